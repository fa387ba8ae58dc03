#!/usr/bin/env python3
"""Speaker attribution on real speech: right / wrong / not sure on two-speaker pairs.

    python scripts/bench_speakers.py [--speech DIR] [--noise-db 10] [--json]

Protocol (issue 21), on the shared recordings (``../shared/speech`` or ``$CHECKIN_SHARED_SPEECH``):

* **LibriSpeech** (``no-wake/``, one long clip per speaker): enrol on the first 6 s, test on the
  later 2.5 s pieces (up to 4 a speaker).
* **Speech Commands** (``commands/``, speakers with several one-second clips): enrol on the
  speaker's other words joined, test on each one-word clip.

Every ordered pair of speakers (A speaks, A and B enrolled) counts each of A's test pieces
as right (A), wrong (B) or not sure (None), through :class:`assistant.speech.speaker.Attributor`
(the run-time path: the same quiet-frame gate, 1.6 s windows and decision).  Also with one
partner enrolled (A's piece against A alone: right or not sure; against B alone: wrong or
not sure), and with the shared noise mixed into the test pieces at ``--noise-db`` SNR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as assistant/__init__.py: set before numpy loads

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.speech import speaker  # noqa: E402
from assistant.speech.audio import read_wav  # noqa: E402

RATE = 16000


def shared_speech(given: str | None) -> Path:
    for candidate in (given, os.environ.get("CHECKIN_SHARED_SPEECH"), ROOT.parent / "shared" / "speech"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    raise SystemExit("bench_speakers: no shared speech (give --speech DIR)")


def pcm(path: Path) -> np.ndarray:
    return np.frombuffer(read_wav(path), dtype="<i2")


def windows(samples: np.ndarray) -> tuple[list[np.ndarray], list[int], float]:
    att = speaker.Attributor({})
    t0 = time.perf_counter()
    att.feed(samples.astype("<i2").tobytes())
    att.finish()
    embeds, weights = att.windows
    return embeds, weights, time.perf_counter() - t0


def active_power(x: np.ndarray) -> float:
    """Mean power of the louder half of the 30 ms frames (the speech, not the pauses)."""
    frames = x[: len(x) // 480 * 480].astype(np.float64).reshape(-1, 480)
    power = np.sort((frames**2).mean(axis=1))
    return float(power[len(power) // 2 :].mean()) if len(power) else 0.0


def mix(x: np.ndarray, noise: np.ndarray, snr_db: float, offset: int) -> np.ndarray:
    n = np.resize(np.roll(noise, -offset), x.size).astype(np.float64)
    gain = np.sqrt(active_power(x) / max(float((n**2).mean()), 1e-9) / 10 ** (snr_db / 10))
    return np.clip(x.astype(np.float64) + gain * n, -32768, 32767).astype(np.int16)


def librispeech(root: Path, pieces: int = 4, piece_s: float = 2.5) -> tuple[dict, dict]:
    enrol, tests = {}, {}
    for path in sorted((root / "no-wake").glob("resemblyzer_librispeech*.wav")):
        x = pcm(path)
        spk = path.stem.split("__")[1].split("-")[0]
        later = x[6 * RATE :]
        n = min(pieces, int(later.size / (piece_s * RATE)))
        if n < 1:
            continue
        enrol[spk] = [x[: 6 * RATE]]
        tests[spk] = [later[int(i * piece_s * RATE) : int((i + 1) * piece_s * RATE)] for i in range(n)]
    return enrol, tests


def commands(root: Path) -> dict[str, list[np.ndarray]]:
    clips: dict[str, list[np.ndarray]] = defaultdict(list)
    for path in sorted((root / "commands").glob("*.wav")):
        spk = path.stem.split("__")[2].split("_nohash")[0]
        clips[spk].append(pcm(path))
    return {s: c for s, c in clips.items() if len(c) >= 2}


def tally(decisions: list[tuple[str | None, str, str]]) -> dict[str, float]:
    n = len(decisions)
    right = sum(1 for got, a, _ in decisions if got == a)
    wrong = sum(1 for got, a, _ in decisions if got is not None and got != a)
    return {
        "trials": n,
        "right": round(100 * right / n, 2) if n else 0.0,
        "wrong": round(100 * wrong / n, 2) if n else 0.0,
        "not_sure": round(100 * (n - right - wrong) / n, 2) if n else 0.0,
    }


def run_pairs(prints_for, tests, thresholds) -> dict[str, dict[str, float]]:
    """``prints_for(A, i)``: A's voiceprint when A's i-th piece is tested (``(A, None)``: A's full one)."""
    two, alone, other_alone = [], [], []
    speakers = sorted(tests)
    for a in speakers:
        for i, (embeds, weights) in enumerate(tests[a]):
            va = prints_for(a, i)
            alone.append((speaker.attribute(embeds, weights, {a: va}, thresholds).speaker, a, a))
            for b in speakers:
                if b == a:
                    continue
                vb = prints_for(b, None)
                two.append((speaker.attribute(embeds, weights, {a: va, b: vb}, thresholds).speaker, a, b))
                other_alone.append((speaker.attribute(embeds, weights, {b: vb}, thresholds).speaker, a, b))
    return {"two_enrolled": tally(two), "speaker_alone": tally(alone), "other_alone": tally(other_alone)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speech", help="the shared speech folder")
    parser.add_argument("--noise-db", type=float, default=10.0, help="SNR of the noisy run (dB)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    root = shared_speech(args.speech)
    thresholds = speaker.Thresholds()
    noise = np.concatenate([pcm(p) for p in sorted((root / "noise").glob("*.wav"))])
    report: dict[str, object] = {"thresholds": thresholds.__dict__}
    timings: list[tuple[float, float]] = []

    # LibriSpeech: enrol on the first 6 s, test on later pieces
    enrol, tests = librispeech(root)
    prints = {s: speaker.voiceprint(x)[0] for s, x in enrol.items()}
    for label, snr in (("clean", None), (f"noise_{args.noise_db:g}dB", args.noise_db)):
        embedded = {}
        for k, (s, pieces) in enumerate(sorted(tests.items())):
            embedded[s] = []
            for j, piece in enumerate(pieces):
                x = piece if snr is None else mix(piece, noise, snr, 7919 * (k * 5 + j))
                e, w, dt = windows(x)
                timings.append((x.size / RATE, dt))
                embedded[s].append((e, w))
        report[f"librispeech_{label}"] = {
            "speakers": len(tests),
            "pieces": sum(len(v) for v in tests.values()),
            "pairs": len(tests) * (len(tests) - 1),
            **run_pairs(lambda s, i: prints[s], embedded, thresholds),
        }

    # Speech Commands: enrol on the other words joined, test on each word
    clips = commands(root)
    full = {s: speaker.voiceprint([np.concatenate(c)])[0] for s, c in clips.items()}
    held = {
        (s, i): speaker.voiceprint([np.concatenate([c for j, c in enumerate(cs) if j != i])])[0]
        for s, cs in clips.items()
        for i in range(len(cs))
    }
    for label, snr in (("clean", None), (f"noise_{args.noise_db:g}dB", args.noise_db)):
        embedded = {}
        for k, (s, cs) in enumerate(sorted(clips.items())):
            embedded[s] = []
            for j, clip in enumerate(cs):
                x = clip if snr is None else mix(clip, noise, snr, 7919 * (k * 9 + j))
                e, w, dt = windows(x)
                timings.append((x.size / RATE, dt))
                embedded[s].append((e, w))
        report[f"commands_{label}"] = {
            "speakers": len(clips),
            "clips": sum(len(v) for v in clips.values()),
            "pairs": len(clips) * (len(clips) - 1),
            **run_pairs(lambda s, i: held[(s, i)] if i is not None else full[s], embedded, thresholds),
        }
    secs = sum(t for t, _ in timings)
    report["encode_s_per_audio_s"] = round(sum(dt for _, dt in timings) / secs, 4)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
