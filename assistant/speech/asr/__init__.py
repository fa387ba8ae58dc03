"""Speech recognisers behind one small interface (:mod:`assistant.speech.asr.base`)."""

from __future__ import annotations

import io
import os
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Union

from ...formats import advice
from .base import Recogniser, RecogniserError, Transcript, Utterance

DOWNLOAD_HINT = advice.text("fix_vosk_model")

Audio = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]


def load_recogniser(
    name: str = "pocketsphinx",
    vosk_model: str | os.PathLike[str] | None = None,
    whisper_model: str | os.PathLike[str] | None = None,
    threads: int = 1,
) -> Recogniser:
    """Load one recogniser by its registry name (:mod:`assistant.speech.asr.registry`).  Every
    failure is a :class:`RecogniserError` with a one-line message."""
    from .registry import AsrOptions, load

    return load(
        (name or "").strip().lower(),
        AsrOptions(
            vosk_model=Path(vosk_model) if vosk_model else None,
            whisper_model=Path(whisper_model) if whisper_model else None,
            threads=threads,
        ),
    )


def read_wav_pcm(source: Union[bytes, str, os.PathLike[str]]) -> bytes:
    """The samples of a 16 kHz mono 16-bit WAV (a path or the file's bytes)."""
    try:
        handle = wave.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else os.fspath(source), "rb")
    except (OSError, EOFError, wave.Error) as exc:
        raise RecogniserError(f"cannot read WAV audio ({exc})") from exc
    with handle as w:
        shape = (w.getframerate(), w.getnchannels(), w.getsampwidth())
        if shape != (16000, 1, 2):
            raise RecogniserError(
                f"WAV must be 16 kHz mono 16-bit, got {shape[0]} Hz, {shape[1]} channel(s), {8 * shape[2]}-bit"
            )
        return w.readframes(w.getnframes())


def transcribe(
    recogniser: Recogniser,
    pcm_bytes: Audio,
    grammar: Sequence[str] | None = None,
    chunk_ms: int = 100,
) -> Transcript:
    """Decode a whole utterance in one call: raw 16 kHz mono s16le bytes, a WAV file's
    bytes (starting with ``RIFF``) or a WAV path, fed in ``chunk_ms`` slices."""
    if isinstance(pcm_bytes, memoryview):
        pcm_bytes = pcm_bytes.tobytes()
    if isinstance(pcm_bytes, (bytes, bytearray)):
        pcm = read_wav_pcm(bytes(pcm_bytes)) if pcm_bytes[:4] == b"RIFF" else bytes(pcm_bytes)
    else:
        pcm = read_wav_pcm(pcm_bytes)
    step = max(2, int(recogniser.sample_rate * chunk_ms / 1000) * 2)
    utterance = recogniser.start(list(grammar) if grammar is not None else None)
    for i in range(0, len(pcm), step):
        utterance.feed(pcm[i : i + step])
    return utterance.finish()


__all__ = [
    "Recogniser",
    "RecogniserError",
    "Transcript",
    "Utterance",
    "load_recogniser",
    "read_wav_pcm",
    "transcribe",
]
