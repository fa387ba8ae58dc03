#!/usr/bin/env python3
"""Benchmark the wake-phrase detector against the keyphrase-spotting baseline, in one run.

For each detector (the baseline: pocketsphinx keyphrase search fed the whole stream;
and :class:`assistant.speech.wake.WakeDetector`):

* hit rate on "start check-in" by the Piper "joe" voice and by espeak-ng (several
  voices, speeds, pitches), each mixed with real background noise at 10-20 dB SNR and
  placed in silence or after other speech (clips synthesised now, never stored in the
  repository; their seeds differ from the ones used to tune the thresholds);
* false wakes per hour on real speech that never says the phrase: the
  ``shared/speech/no-wake`` and ``transcribed`` clips joined with short gaps, the same
  stream with background noise mixed in at 15 dB SNR, and the one-word ``commands``;
* CPU: process CPU time over audio time, as % of one core, on 60 s of digital
  silence, of quiet room noise, and on the continuous no-wake speech (median over
  repeats / 5-minute blocks).

Usage::

    python scripts/bench_wake.py [--sensitivity 0.5 [0.3 ...]] [--quick] [--save-clips DIR]

The Piper voice samples noise at synthesis, so its clips (and the hit counts on
them) vary a little from run to run; the espeak clips and the noise are seeded.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as assistant/__init__.py: set before numpy loads
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import make_wake_clips as mw  # noqa: E402

from assistant.formats.events import AudioChunk  # noqa: E402
from assistant.speech.audio import chunks, write_wav  # noqa: E402
from assistant.speech.wake import WakeDetector  # noqa: E402

RATE = 16000
HIT_BEFORE_S = 0.5
"""A detection counts as a hit from this long before the phrase's true end..."""
HIT_AFTER_S = 1.0
"""...to this long after it."""


class KeyphraseBaseline:
    """pocketsphinx keyphrase search run continuously on every chunk (the baseline)."""

    name = "baseline: keyphrase search on the whole stream"

    def __init__(self, phrase: str = "start check in", threshold: float = 1e-20) -> None:
        import pocketsphinx

        model = pocketsphinx.get_model_path()
        self.decoder = pocketsphinx.Decoder(
            hmm=os.path.join(model, "en-us", "en-us"),
            dict=os.path.join(model, "en-us", "cmudict-en-us.dict"),
            keyphrase=phrase,
            kws_threshold=threshold,
            loglevel="FATAL",
        )
        self.decodes = 0
        self._t0: float | None = None
        self._in_utt = False

    def reset(self) -> None:
        if self._in_utt:
            self.decoder.end_utt()
        self._in_utt = False
        self._t0 = None

    def feed(self, chunk: AudioChunk) -> list[float]:
        d = self.decoder
        if not self._in_utt:
            d.start_utt()
            self._in_utt = True
            self._t0 = chunk.timestamp
        d.process_raw(chunk.pcm, False, False)
        self.decodes += 1
        hyp = d.hyp()
        if hyp is None:
            return []
        segs = list(d.seg() or [])
        end_frame = segs[-1].end_frame + 1 if segs else d.n_frames()
        t = (self._t0 or 0.0) + end_frame / 100.0
        d.end_utt()
        self._in_utt = False
        return [t]


def feed_clip(det, samples: np.ndarray) -> list[float]:
    det.reset()
    out: list[float] = []
    for c in chunks(samples.astype("<i2").tobytes(), RATE, 30):
        out.extend(det.feed(c))
    return out


def positives(det, clips: list[mw.Clip]) -> dict:
    hits, stray, errors = 0, 0, []
    for clip in clips:
        found = feed_clip(det, clip.samples)
        good = [t for t in found if clip.end - HIT_BEFORE_S <= t <= clip.end + HIT_AFTER_S]
        if good:
            hits += 1
            errors.append(good[0] - clip.end)
        stray += len(found) - len(good[:1])
    return {
        "hits": hits,
        "n": len(clips),
        "stray": stray,
        "err_median": statistics.median(errors) if errors else float("nan"),
        "err_max": max((abs(e) for e in errors), default=float("nan")),
    }


def timed_stream(det, samples: np.ndarray, block_s: float = 300.0) -> tuple[list[float], list[float], float]:
    """Feed a long stream; wake times, CPU % of each block, total CPU %."""
    det.reset()
    pcm = samples.astype("<i2").tobytes()
    block = int(block_s * RATE) * 2
    found: list[float] = []
    per_block: list[float] = []
    total_cpu = 0.0
    for start in range(0, len(pcm), block):
        part = list(chunks(pcm[start : start + block], RATE, 30, start=start / 2 / RATE))
        t = time.process_time()
        for c in part:
            found.extend(det.feed(c))
        cpu = time.process_time() - t
        total_cpu += cpu
        seconds = len(pcm[start : start + block]) / 2 / RATE
        if seconds >= block_s / 2:
            per_block.append(100.0 * cpu / seconds)
    return found, per_block, 100.0 * total_cpu / (len(pcm) / 2 / RATE)


def noisy(x: np.ndarray, snr_db: float, rng: random.Random, block_s: float = 300.0) -> np.ndarray:
    """``x`` with background noise at ``snr_db`` (relative to its voiced samples), a
    different noise clip for every block."""
    noises = mw.noise_clips()
    if not noises:
        return x
    out = []
    n = int(block_s * RATE)
    for i in range(0, len(x), n):
        part = x[i : i + n].astype(np.float64)
        bed = mw._noise_bed(noises, len(part), rng)
        loud = part[np.abs(part) > 100]
        p = float(np.mean(loud**2)) if loud.size else 1.0
        y = part + bed * np.sqrt(p / float(np.mean(bed**2)) / 10 ** (snr_db / 10))
        out.append(np.clip(np.rint(y), -32768, 32767).astype(np.int16))
    return np.concatenate(out)


def room_noise(seconds: float, level_dbfs: float, rng: random.Random) -> np.ndarray:
    noises = mw.noise_clips()
    if not noises:
        return np.zeros(int(seconds * RATE), dtype=np.int16)
    quiet = min(noises, key=lambda x: float(np.std(x)))
    bed = mw._noise_bed([quiet], int(seconds * RATE), rng)
    bed *= 10 ** (level_dbfs / 20) * 32768 / max(1e-9, float(np.sqrt(np.mean(bed**2))))
    return np.clip(np.rint(bed), -32768, 32767).astype(np.int16)


def cpu_percent(det, samples: np.ndarray, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        det.reset()
        part = list(chunks(samples.astype("<i2").tobytes(), RATE, 30))
        t = time.process_time()
        for c in part:
            det.feed(c)
        out.append(100.0 * (time.process_time() - t) / (len(samples) / RATE))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sensitivity", type=float, nargs="+", default=[0.5], help="one row per value")
    ap.add_argument("--baseline-threshold", type=float, default=1e-20)
    ap.add_argument("--clips", type=int, default=32, help="positive clips per voice")
    ap.add_argument("--quick", action="store_true", help="a few minutes of no-wake speech only")
    ap.add_argument("--save-clips", metavar="DIR", help="also write the positive clips as WAVs")
    ap.add_argument(
        "--confirm",
        action="store_true",
        help="also the two-stage detector: each sensitivity proposes, Whisper confirms",
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the keyphrase baseline")
    args = ap.parse_args(argv)

    if not mw.SHARED.is_dir():
        print(f"no shared speech at {mw.SHARED}: nothing to measure", file=sys.stderr)
        return 2
    t_start = time.time()
    espeak_clips = mw.espeak_positives(args.clips, seed=101)
    why = mw.have_piper()
    piper_clips = mw.piper_positives(args.clips, seed=102) if why is None else []
    if why is not None:
        print(f"Piper unavailable ({why}); espeak clips only")
    if args.save_clips:
        out = Path(args.save_clips)
        out.mkdir(parents=True, exist_ok=True)
        for c in espeak_clips + piper_clips:
            write_wav(out / f"{c.name}.wav", c.samples.astype("<i2").tobytes())

    rng = random.Random(7)
    clean = mw.no_wake_stream()
    if args.quick:
        clean = clean[: 300 * RATE]
    streams = {
        "no-wake+transcribed": clean,
        "same, noise 15 dB": noisy(clean, 15.0, rng),
        "commands": mw.no_wake_stream(("commands",), gap_s=1.0),
    }
    silence = np.zeros(60 * RATE, dtype=np.int16)
    room = room_noise(60.0, -55.0, rng)
    print(
        f"clips: {len(piper_clips)} Piper, {len(espeak_clips)} espeak (10-20 dB SNR); no-wake: "
        + ", ".join(f"{k} {len(v) / RATE / 3600:.3f} h" for k, v in streams.items())
    )

    if args.confirm:
        from assistant.speech.asr.registry import AsrOptions, load
        from assistant.speech.wake import PROPOSE, whisper_confirm

        whisper = load("whisper", AsrOptions())
    detectors: list = [] if args.no_baseline else [KeyphraseBaseline(threshold=args.baseline_threshold)]
    for sensitivity in args.sensitivity:
        det = WakeDetector(sensitivity=sensitivity)
        det.name = f"WakeDetector (gate + grammar + verify), sensitivity {sensitivity:g}"
        detectors.append(det)
        if args.confirm:
            det = WakeDetector(
                sensitivity=sensitivity, confirm=whisper_confirm(("start check-in",), lambda w=whisper: w)
            )
            det.name = f"two stages: sensitivity {sensitivity:g} proposes, Whisper tiny.en confirms"
            detectors.append(det)
    if args.confirm:
        det = WakeDetector(confirm=whisper_confirm(("start check-in",), lambda w=whisper: w), propose=PROPOSE)
        det.name = f"two stages as shipped: a whole phrase path (word score >= {PROPOSE.word_score:g}, coverage >= {PROPOSE.coverage:g}) proposes, Whisper tiny.en confirms"
        detectors.append(det)
    rows = []
    for det in detectors:
        row: dict = {"name": det.name}
        row["piper"] = positives(det, piper_clips) if piper_clips else None
        row["espeak"] = positives(det, espeak_clips)
        wakes, hours, blocks, cpu_total, per_stream = 0, 0.0, [], [], {}
        before = getattr(det, "candidates", 0)
        for label, x in streams.items():
            found, per_block, total = timed_stream(det, x)
            wakes += len(found)
            hours += len(x) / RATE / 3600
            per_stream[label] = len(found)
            blocks += per_block
            cpu_total.append((total, len(x)))
        row["stream_candidates"] = getattr(det, "candidates", 0) - before
        row["fa"] = wakes
        row["hours"] = hours
        row["fa_streams"] = per_stream
        row["speech_cpu_blocks"] = blocks
        row["speech_cpu"] = sum(t * n for t, n in cpu_total) / sum(n for _, n in cpu_total)
        row["silence_cpu"] = cpu_percent(det, silence, 5)
        row["room_cpu"] = cpu_percent(det, room, 5)
        if isinstance(det, WakeDetector):
            row["decodes"] = det.decodes
            row["verifications"] = det.verifications
            row["candidates"] = det.candidates if det.confirm is not None else None
        rows.append(row)

    def rate(r: dict | None) -> str:
        return "n/a" if r is None else f"{r['hits']}/{r['n']} ({100 * r['hits'] / r['n']:.0f} %)"

    print()
    print(
        "| detector | Piper hits (noise) | espeak hits (noise) | false wakes / h (wakes / hours) "
        "| CPU % silence, median | CPU % room noise -55 dBFS, median | CPU % speech, median of 5-min blocks (overall) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        fa_h = r["fa"] / r["hours"] if r["hours"] else float("nan")
        print(
            f"| {r['name']} | {rate(r['piper'])} | {rate(r['espeak'])} "
            f"| {fa_h:.2f} ({r['fa']} / {r['hours']:.2f} h) "
            f"| {statistics.median(r['silence_cpu']):.3f} "
            f"| {statistics.median(r['room_cpu']):.3f} "
            f"| {statistics.median(r['speech_cpu_blocks']) if r['speech_cpu_blocks'] else float('nan'):.2f} "
            f"({r['speech_cpu']:.2f}) |"
        )
    print()
    for r in rows:
        extra = ", ".join(f"{k}: {v}" for k, v in r["fa_streams"].items())
        timing = ""
        for key in ("piper", "espeak"):
            p = r[key]
            if p and p["hits"]:
                timing += f"; {key} timestamp error median {p['err_median']:+.2f} s, max |{p['err_max']:.2f}| s, stray {p['stray']}"
        work = f"; {r['decodes']} decodes, {r['verifications']} verifications" if "decodes" in r else ""
        if r.get("candidates") is not None:
            work += f"; first-stage candidates (Whisper checks, all streams and clips) {r['candidates']}, on the no-wake speech {r['stream_candidates']} = {r['stream_candidates'] / r['hours']:.1f} per hour"
        print(f"- {r['name']}: false wakes by stream ({extra}){timing}{work}")
    print(f"\nbench took {time.time() - t_start:.0f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
