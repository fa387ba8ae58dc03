#!/usr/bin/env python3
"""Soak: hours of recorded audio through `checkin listen`, with several check-ins in it;
prints the process's memory (RSS) over time, the sessions and the false wakes.

    python scripts/soak.py [--minutes 120] [--sessions 6] [--every 10]

The recording is real read speech that never says the wake phrase (../shared/speech/no-wake,
looped, with background noise mixed in at 15 dB when ../shared/speech/noise exists),
with a check-in every so often: the wake phrase and the answers, spoken by Piper (or
espeak-ng), each placed after the coach's prompts as a couple would answer (the journal keeps
nothing, so every check-in greets alike and the timing holds). It is written
to a temporary WAV file and streamed from disk.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cli.bench import ANSWERS, NOW, SHARED_SPEECH, Voices, prompt_seconds, vm_kb  # noqa: E402
from assistant.speech.audio import read_wav  # noqa: E402

RATE = 16000


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


def background(rng: np.random.Generator) -> list[bytes]:
    folder = SHARED_SPEECH / "no-wake"
    clips = [read_wav(p) for p in sorted(folder.glob("*.wav"))] if folder.exists() else []
    if not clips:
        speak = Voices()
        clips = [
            speak(s)
            for s in (
                "We should call your mother this weekend.",
                "The pasta needs five more minutes.",
                "Did you see the game last night?",
            )
        ]
    noise_dir = SHARED_SPEECH / "noise"
    noises = (
        [np.frombuffer(read_wav(p), dtype=np.int16).astype(np.float64) for p in sorted(noise_dir.glob("*.wav"))]
        if noise_dir.exists()
        else []
    )
    out = []
    for clip in clips:
        x = np.frombuffer(clip, dtype=np.int16).astype(np.float64)
        if noises:
            n = noises[int(rng.integers(len(noises)))]
            n = np.resize(n, x.size)
            gain = np.sqrt(np.mean(x**2) / max(np.mean(n**2), 1e-9)) / (10 ** (15 / 20))
            x = np.clip(x + gain * n, -32768, 32767)
        out.append(x.astype(np.int16).tobytes())
    return out


def build(path: Path, minutes: float, sessions: int, cfg: Path, workdir: Path) -> list[float]:
    """Write the recording; return the times at which a check-in's wake phrase ends."""
    rng = np.random.default_rng(7)
    speak = Voices()
    prompts = prompt_seconds(cfg, workdir)
    clips = background(rng)
    total = minutes * 60
    slots = [total * (i + 0.5) / sessions for i in range(sessions)]
    written, k, wakes = 0.0, 0, []
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)

        def put(pcm: bytes) -> None:
            nonlocal written
            w.writeframes(pcm)
            written += len(pcm) / (2 * RATE)

        while written < total:
            if slots and written >= slots[0]:
                slots.pop(0)
                put(silence(2.0) + speak("start check-in"))
                wakes.append(written)
                put(silence(0.8))
                for seconds, answer in zip(prompts, ANSWERS):
                    put(silence(seconds + 1.0) + speak(answer) + silence(2.5))
                put(silence(15.0))
                continue
            put(clips[k % len(clips)] + silence(float(rng.uniform(0.2, 1.5))))
            k += 1
    return wakes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between memory samples")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-soak-"))
    cfg = workdir / "config.yaml"
    cfg.write_text(
        f"partners: [Maya, Sam]\ntts: {{cache_dir: {workdir / 'prompts'}}}\njournal: {{path: {workdir / 'journal.sqlite3'}, keep: none}}\n"
    )
    recording = workdir / "soak.wav"
    t0 = time.perf_counter()
    wakes = build(recording, args.minutes, args.sessions, cfg, workdir)
    print(
        f"built {args.minutes:.0f} min of audio with {len(wakes)} check-ins in {time.perf_counter() - t0:.0f} s ({recording.stat().st_size / 1e6:.0f} MB on disk)",
        flush=True,
    )
    log = workdir / "soak.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "assistant.cli",
        "listen",
        str(recording),
        "--log",
        str(log),
        "--config",
        str(cfg),
        "--now",
        NOW,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    curve = []
    start = time.perf_counter()
    while proc.poll() is None:
        rss = vm_kb(proc.pid, "VmRSS")
        if rss is not None:
            curve.append((round(time.perf_counter() - start, 1), round(rss / 1024, 1)))
        time.sleep(args.every)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    events = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    detected = [e["time"] for e in events if e["type"] == "wake"]
    ends = [e["record"]["outcome"] for e in events if e["type"] == "session_end"]
    true_wakes = [t for t in detected if any(abs(t - w) < 3.0 for w in wakes)]
    false = len(detected) - len(true_wakes)
    print(
        f"listen exit {proc.returncode} in {elapsed:.0f} s for {args.minutes * 60:.0f} s of audio ({args.minutes * 60 / elapsed:.0f}x real time)"
    )
    if err.strip():
        print("stderr:", err.strip().splitlines()[-1])
    print(f"check-ins: {len(wakes)} in the recording, {len(true_wakes)} woken, outcomes {ends}")
    print(f"false wakes: {false} in {args.minutes / 60:.2f} h ({false / (args.minutes / 60):.2f} per hour)")
    if curve:
        values = [r for _, r in curve]
        print(
            f"RSS MB: first {values[0]}, last {values[-1]}, max {max(values)}, min {min(values)} over {len(curve)} samples"
        )
        step = max(1, len(curve) // 12)
        print("RSS curve (s, MB): " + ", ".join(f"{t:.0f}:{r:.0f}" for t, r in curve[::step]))
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
