"""Vosk (Kaldi) behind the recogniser port.

The :class:`vosk.Model` is loaded once.  Each turn uses a :class:`vosk.KaldiRecognizer`:
one for free speech and one per distinct grammar, created on first use and kept (a
recogniser is cheap once the model is loaded; ``Reset`` readies it for the next turn).
Grammars are the phrases whose words are all in the model's vocabulary, plus ``[unk]``
when the model has an unknown-word entry (many small models, the Korean one among them,
have none: a grammar turn on them is always forced onto a phrase).

The text drops ``[unk]``; the confidence is the mean word confidence (``SetWords``).
This module imports :mod:`vosk` itself, so import it only when Vosk is wanted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ...formats import advice
from .base import RecogniserError, Transcript, known_phrases, whole_samples

if TYPE_CHECKING:
    from .registry import AsrOptions

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
UNK = "[unk]"
_WORD = re.compile(r"[\w']+")
DOWNLOAD_HINT = advice.text("fix_vosk_model")


def looks_like_vosk_model(path: str | os.PathLike[str] | None) -> bool:
    """True when ``path`` is a directory laid out like a Vosk model (``am/final.mdl`` or a
    top-level ``final.mdl``)."""
    if path is None:
        return False
    p = Path(path)
    return p.is_dir() and ((p / "am" / "final.mdl").is_file() or (p / "final.mdl").is_file())


def normalise_phrase(phrase: str) -> tuple[str, ...]:
    """Lower-case words of a phrase, any script (punctuation becomes spaces)."""
    return tuple(_WORD.findall(phrase.lower()))


@contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what C code writes to file descriptor 2 (Kaldi's ERROR lines) instead of
    letting it reach the terminal; the lines are available after the block."""
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded interpreters)
        yield lines
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def _kaldi_reason(lines: Sequence[str]) -> str:
    """The first Kaldi ERROR message, without its ``ERROR (VoskAPI:...)`` prefix."""
    for line in lines:
        if "ERROR" in line:
            reason = re.sub(r"^\s*ERROR \(.*?:\d+\)\s*", "", line).strip()
            reason = reason.split(". ")[0]
            if len(reason) > 120:
                reason = reason[:120].rsplit(" ", 1)[0] + "..."
            return reason
    return ""


class VoskRecogniser:
    """A Vosk model directory (for example ``models/vosk-model-small-en-us-0.15``)."""

    name = "vosk"
    sample_rate = SAMPLE_RATE

    def __init__(self, model_path: str | os.PathLike[str], *, max_grammars: int = 32) -> None:
        path = Path(model_path)
        if not path.is_dir():
            raise RecogniserError(f"Vosk model not found at {model_path}: {DOWNLOAD_HINT}")
        try:
            import vosk
        except ImportError as exc:
            raise RecogniserError(f"vosk is not installed: {advice.text('fix_vosk')}") from exc
        vosk.SetLogLevel(-1)
        with _captured_stderr() as lines:
            try:
                model = vosk.Model(str(path))
            except Exception:
                model = None
        if model is None:
            reason = _kaldi_reason(lines)
            detail = f" ({reason})" if reason else ""
            raise RecogniserError(f"Vosk model at {model_path} is corrupt or incomplete{detail}: {DOWNLOAD_HINT}")
        self._vosk = vosk
        self._model = model
        self.model_path = path
        self._has_unk = model.vosk_model_find_word(UNK) >= 0
        self._known: dict[str, bool] = {}
        self._free = None
        self._grammars: OrderedDict[tuple[str, ...], object] = OrderedDict()
        self._max_grammars = max_grammars

    @property
    def has_unk(self) -> bool:
        """Whether grammar turns get an ``[unk]`` (garbage) path on this model."""
        return self._has_unk

    def _in_vocabulary(self, word: str) -> bool:
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = self._model.vosk_model_find_word(word) >= 0
        return known

    def grammar_phrases(self, grammar: Sequence[str]) -> tuple[str, ...]:
        """The phrases of ``grammar`` whose words are all in the model, normalised, sorted."""
        return known_phrases(
            grammar, lambda p: tuple(w for w in normalise_phrase(p) if w != UNK), self._in_vocabulary, "Vosk vocabulary"
        )

    def grammar_json(self, phrases: Sequence[str]) -> str:
        """The grammar as Vosk takes it: a JSON list of phrases (``[unk]`` last if known)."""
        items = list(phrases) + ([UNK] if self._has_unk else [])
        return json.dumps(items, ensure_ascii=False)

    def _recognizer(self, phrases: tuple[str, ...]):
        vosk = self._vosk
        if not phrases:
            if self._free is None:
                free = vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE))
                free.SetWords(True)
                self._free = free
            return self._free
        rec = self._grammars.get(phrases)
        if rec is None:
            rec = vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE), self.grammar_json(phrases))
            rec.SetWords(True)
            self._grammars[phrases] = rec
            while len(self._grammars) > self._max_grammars:
                self._grammars.popitem(last=False)
        else:
            self._grammars.move_to_end(phrases)
        return rec

    def start(self, grammar: Sequence[str] | None = None) -> _VoskUtterance:
        """Open an utterance: constrained to ``grammar``'s phrases (and ``[unk]``), or free."""
        phrases = self.grammar_phrases(grammar) if grammar else ()
        if grammar and not phrases:
            log.debug("no grammar phrase is in the Vosk vocabulary: decoding freely")
        rec = self._recognizer(phrases)
        rec.Reset()
        return _VoskUtterance(rec)


class _VoskUtterance:
    def __init__(self, rec) -> None:
        self._rec = rec
        self._words: list[dict] = []
        self._texts: list[str] = []
        self._odd = b""
        self._result: Transcript | None = None

    def _collect(self, result_json: str) -> None:
        result = json.loads(result_json or "{}")
        words = result.get("result")
        if words:
            self._words.extend(words)
        elif result.get("text"):
            self._texts.append(result["text"])

    def feed(self, pcm: bytes) -> None:
        """Decode more 16 kHz mono s16le audio (Vosk's own endpoints are collected)."""
        if self._result is not None:
            raise RecogniserError("feed() after finish()")
        data, self._odd = whole_samples(self._odd, pcm)
        if data and self._rec.AcceptWaveform(data):
            self._collect(self._rec.Result())

    def peek(self) -> str:
        """The words recognised so far (Vosk's partial result), without ending the turn."""
        partial = json.loads(self._rec.PartialResult() or "{}").get("partial", "")
        done = " ".join(w["word"] for w in self._words) + " " + " ".join(self._texts)
        return " ".join(t for t in (done + " " + partial).split() if t != UNK).lower()

    def finish(self) -> Transcript:
        """End of speech: the words heard (without ``[unk]``) and their mean confidence."""
        if self._result is None:
            self._collect(self._rec.FinalResult())
            words = [w for w in self._words if w.get("word") and w["word"] != UNK]
            if words:
                text = " ".join(w["word"] for w in words)
                confs = [float(w["conf"]) for w in words if "conf" in w]
                confidence = min(1.0, max(0.0, sum(confs) / len(confs))) if confs else None
            else:
                text = " ".join(t for t in " ".join(self._texts).split() if t != UNK)
                confidence = None
            self._result = Transcript(text.lower(), confidence if text else None)
        return self._result


__all__ = ["VoskRecogniser", "looks_like_vosk_model", "normalise_phrase"]


def load(options: AsrOptions) -> VoskRecogniser:
    """The registry's loader (:mod:`assistant.speech.asr.registry`): the configured model."""
    if options.vosk_model is None or not looks_like_vosk_model(options.vosk_model):
        raise RecogniserError(f"Vosk model not found at {options.vosk_model}: {DOWNLOAD_HINT} (or choose pocketsphinx)")
    return VoskRecogniser(options.vosk_model)
