#!/usr/bin/env python3
"""Understanding figures per label, and what the reader by meaning costs.

Reads a labelled set (``label<TAB>text``; default: the held-out set
tests/data/heldout/understanding_v1.tsv) with the rules alone and with the rules and the reader,
and prints per-label figures only (never a row), the file's SHA-256, the median time per answer
of each, and the reader's cost in peak RSS (measured in two fresh processes: the meaning tables
alone, and the tables with the reader loaded and one answer read).

Usage: python scripts/bench_understanding.py [FILE] [--json OUT.json]
The held-out set is never tuned against: run this once, at the end, for the report.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import app  # noqa: E402
from assistant.cli import bench_understanding as bu  # noqa: E402
from assistant.loader.dialogs import load_tables  # noqa: E402

HELDOUT = ROOT / "tests" / "data" / "heldout" / "understanding_v1.tsv"

_RSS = """
import resource, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from assistant import app
from assistant.loader.dialogs import load_tables
from assistant.text.meaning import Ask, interpret
tables = load_tables({dialogs!r})
if {reader!r}:
    from dataclasses import replace
    tables = replace(tables, reader=app.load_reader(Path({model!r})))
interpret("i have to hide the car keys so he can't follow me", Ask("text"), tables)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kb(with_reader: bool) -> int:
    code = _RSS.format(root=str(ROOT), dialogs=str(ROOT / "dialogs"), reader=with_reader, model=str(app.READER_MODEL))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(HELDOUT))
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    path = Path(args.file)
    rows = bu.read_tsv(path)
    digest = bu.sha256(path)
    rules_only = load_tables(ROOT / "dialogs")
    started = time.perf_counter()
    reader = app.load_reader(app.READER_MODEL)
    load_s = time.perf_counter() - started
    if reader is None:
        print("bench_understanding: the reader could not be loaded", file=sys.stderr)
        return 1
    from dataclasses import replace

    both = replace(rules_only, reader=reader)
    figures = {"rules": bu.evaluate(rows, rules_only), "rules+reader": bu.evaluate(rows, both)}
    rss_rules, rss_reader = peak_rss_kb(False), peak_rss_kb(True)
    print(f"file: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({len(rows)} rows)")
    print(f"sha256: {digest}")
    for name, fig in figures.items():
        print(f"\n== {name}: median {statistics.median(fig.per_answer_ms):.2f} ms per answer")
        print("\n".join(bu.table(fig)))
    added_ms = statistics.median(figures["rules+reader"].per_answer_ms) - statistics.median(
        figures["rules"].per_answer_ms
    )
    print(
        f"\nreader cost: +{added_ms:.2f} ms per answer (median), +{(rss_reader - rss_rules) / 1024:.1f} MB peak RSS "
        f"({rss_rules / 1024:.1f} -> {rss_reader / 1024:.1f} MB), loaded in {load_s:.2f} s"
    )
    report = {
        "file": str(path.name),
        "sha256": digest,
        "rows": len(rows),
        **{name: {"summary": bu.summary(fig), **fig.as_dict()} for name, fig in figures.items()},
        "reader_cost": {
            "added_ms_per_answer_median": round(added_ms, 3),
            "peak_rss_mb_rules": round(rss_rules / 1024, 1),
            "peak_rss_mb_rules_and_reader": round(rss_reader / 1024, 1),
            "added_peak_rss_mb": round((rss_reader - rss_rules) / 1024, 1),
            "load_s": round(load_s, 2),
        },
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    print("\nsummary (rules+reader): " + json.dumps(bu.summary(figures["rules+reader"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
