"""Speech recognisers behind one small interface (:mod:`assistant.asr.base`)."""

from __future__ import annotations

import io
import logging
import os
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Union

from .base import Recogniser, RecogniserError, Transcript, Utterance

log = logging.getLogger(__name__)

ENGINES = ("auto", "vosk", "pocketsphinx")
DOWNLOAD_HINT = "run python scripts/download_model.py"

Audio = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]"]


def load_recogniser(engine: str = "auto", vosk_model: str | os.PathLike[str] | None = None) -> Recogniser:
    """Load a recogniser once (models are expensive).

    ``auto``: Vosk when ``vosk_model`` is a directory that looks like a Vosk model, else
    the PocketSphinx English model shipped with the ``pocketsphinx`` wheel.  ``vosk``:
    that model or a :class:`RecogniserError`.  ``pocketsphinx``: always PocketSphinx.
    Vosk is imported only when it is used.  Every failure is a :class:`RecogniserError`
    with a one-line message."""
    engine = (engine or "auto").strip().lower()
    if engine not in ENGINES:
        raise RecogniserError(f"unknown speech engine {engine!r}: use one of {', '.join(ENGINES)}")
    from .vosk import looks_like_vosk_model

    if engine == "vosk" or (engine == "auto" and looks_like_vosk_model(vosk_model)):
        if vosk_model is None:
            raise RecogniserError(f"no Vosk model configured (asr.vosk_model): {DOWNLOAD_HINT}")
        from .vosk import VoskRecogniser

        return VoskRecogniser(vosk_model)
    if engine == "auto" and vosk_model is not None:
        path = Path(vosk_model)
        if path.exists():
            log.warning("%s does not look like a Vosk model (no am/final.mdl): using PocketSphinx", path)
        else:
            log.info("no Vosk model at %s: using PocketSphinx", path)
    from .pocketsphinx import PocketsphinxRecogniser

    return PocketsphinxRecogniser()


def read_wav_pcm(source: Union[bytes, str, os.PathLike[str]]) -> bytes:
    """The samples of a 16 kHz mono 16-bit WAV (a path or the file's bytes)."""
    try:
        handle = wave.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else os.fspath(source), "rb")
    except (OSError, EOFError, wave.Error) as exc:
        raise RecogniserError(f"cannot read WAV audio ({exc})") from exc
    with handle as w:
        shape = (w.getframerate(), w.getnchannels(), w.getsampwidth())
        if shape != (16000, 1, 2):
            raise RecogniserError(f"WAV must be 16 kHz mono 16-bit, got {shape[0]} Hz, {shape[1]} channel(s), {8 * shape[2]}-bit")
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
    "ENGINES",
    "Recogniser",
    "RecogniserError",
    "Transcript",
    "Utterance",
    "load_recogniser",
    "read_wav_pcm",
    "transcribe",
]
