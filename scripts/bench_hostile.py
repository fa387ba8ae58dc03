"""Hostile dialog files through `checkin validate`: wall time and peak memory of each run
(the limits of assistant/formats/safeyaml.py at work).  Prints one line per file and the medians.

    python3 scripts/bench_hostile.py            # here
    taskset -c 0 python3 scripts/bench_hostile.py   # one core (see scripts/bench_pi.sh for the Pi 4 quota)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_hostile_files import HOSTILE  # noqa: E402


def run(args: list[str]) -> tuple[int, float, int, str]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    err = proc.stderr.read().decode() if proc.stderr else ""
    return (
        os.waitstatus_to_exitcode(status),
        elapsed,
        usage.ru_maxrss // 1024,
        err.strip().splitlines()[0] if err.strip() else "",
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="checkin-hostile-"))
    try:
        dialogs = work / "dialogs"
        shutil.copytree(ROOT / "dialogs", dialogs)
        code, base_s, base_mb, _ = run(["validate", str(dialogs)])
        print(f"{'shipped dialogs':<22} exit {code}  {base_s:5.2f} s  {base_mb:4d} MB")
        times, peaks = [], []
        for name, data in HOSTILE.items():
            (dialogs / "plan-a-date.yaml").write_bytes(data)
            code, seconds, mb, line = run(["validate", str(dialogs)])
            times.append(seconds)
            peaks.append(mb)
            print(f"{name:<22} exit {code}  {seconds:5.2f} s  {mb:4d} MB  {line.replace(str(dialogs), 'dialogs')[:90]}")
        print(
            f"median {statistics.median(times):.2f} s (max {max(times):.2f}), peak {max(peaks)} MB; the shipped dialogs take {base_s:.2f} s, {base_mb} MB"
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
