"""A deterministic voice-like test signal (no randomness, no recording) for the speaker encoder tests."""

from __future__ import annotations

import numpy as np


def voice_like(f0: float, seconds: float, rate: int = 16000) -> np.ndarray:
    """A buzz at ``f0`` Hz with vibrato, 20 harmonics shaped by three formant-like peaks and a
    syllable rhythm: float32 samples in -1..1."""
    t = np.arange(int(seconds * rate)) / rate
    pitch = f0 * (1 + 0.06 * np.sin(2 * np.pi * 3.0 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    x = np.zeros_like(t)
    for k in range(1, 21):
        freq = k * f0
        shape = sum(np.exp(-(((freq - peak) / width) ** 2)) for peak, width in ((600, 150), (1200, 250), (2500, 400)))
        x += (0.2 + shape) / k * np.sin(k * phase)
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t)
    x *= syllables
    return (0.3 * x / np.max(np.abs(x))).astype(np.float32)
