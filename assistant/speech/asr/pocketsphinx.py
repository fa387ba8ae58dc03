"""PocketSphinx 5 behind the recogniser port: the embedded US English model.

One :class:`pocketsphinx.Decoder` is loaded per recogniser and reused for every turn.

* **Free** (``grammar=None``): the full trigram language model, streamed as audio arrives.
  The confidence is the mean lattice posterior of the recognised words.
* **Grammar**: a JSGF search built from the phrases, added to the decoder once per distinct
  phrase set and then switched to by name.  Next to the phrases the grammar has a
  *garbage* path, a loop of common short English words entered with a very low weight and
  penalised per word, so speech that is not one of the phrases comes back as ``""``
  instead of being forced onto the nearest phrase.  A grammar turn is decoded in one pass
  at :meth:`finish` over the buffered audio, so cepstral mean normalisation sees the whole
  utterance (measured: clearly better on one-word answers than live normalisation, and a
  grammar search is cheap).  The text is the phrase, lower case; the confidence is
  ``None`` (the FSG search gives no meaningful posterior without a lattice pass, and the
  lattice pass of PocketSphinx 5 ignores the grammar).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...formats import advice
from .base import RecogniserError, Transcript, known_phrases, whole_samples

if TYPE_CHECKING:
    from .registry import AsrOptions

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000

GARBAGE_WORDS: tuple[str, ...] = (
    "a",
    "i",
    "the",
    "and",
    "to",
    "of",
    "uh",
    "um",
    "oh",
    "you",
    "it",
    "is",
    "in",
    "that",
    "we",
    "but",
    "so",
    "well",
    "like",
)
"""The loop that absorbs out-of-grammar speech.  Measured against a loop of the 39 phones
(one dictionary word per phone) and a 70-word loop: short common words reject as much
out-of-grammar speech while losing fewer real commands."""

GARBAGE_WEIGHT = 1e-10
"""Weight of entering the garbage path (the phrases weigh 1).  Raising it rejects more of
everything; at 1e-30 the path is pruned away and every utterance is forced onto a phrase."""

GARBAGE_WORD_PENALTY = 1e-10
"""Weight of each further garbage word (a per-word penalty)."""

_WORD = re.compile(r"[a-z0-9']+")
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "[speech]", "(null)"}


def normalise_phrase(phrase: str) -> tuple[str, ...]:
    """Lower-case words of a phrase (punctuation and hyphens become spaces)."""
    return tuple(_WORD.findall(phrase.lower().replace("-", " ")))


def _jsgf_weight(value: float) -> str:
    """A weight the JSGF scanner accepts (``/0.5/`` or ``/1e-10/``, never ``1e+10``)."""
    text = f"{value:g}"
    if "e+" in text or value <= 0 or value > 1:
        raise ValueError(f"JSGF weight must be in (0, 1]: {value}")
    return text


def build_jsgf(
    phrases: Sequence[str],
    garbage: Sequence[str] = GARBAGE_WORDS,
    garbage_weight: float = GARBAGE_WEIGHT,
    garbage_word_penalty: float = GARBAGE_WORD_PENALTY,
) -> str:
    """A JSGF grammar: one of ``phrases`` (already normalised, words separated by spaces)
    or, when ``garbage`` is not empty, a penalised loop of garbage words."""
    if not phrases:
        raise ValueError("a grammar needs at least one phrase")
    lines = ["#JSGF V1.0;", "grammar checkin;"]
    if garbage:
        lines.append(f"public <utterance> = /1/ <phrase> | /{_jsgf_weight(garbage_weight)}/ <garbage>;")
        lines.append(f"<garbage> = <filler> ( /1/ <NULL> | /{_jsgf_weight(garbage_word_penalty)}/ <garbage> );")
        lines.append(f"<filler> = {' | '.join(garbage)};")
    else:
        lines.append("public <utterance> = <phrase>;")
    lines.append(f"<phrase> = {' | '.join(phrases)};")
    return "\n".join(lines) + "\n"


def _find_model_files(model_dir: Path) -> dict[str, str]:
    """``hmm``, ``lm`` and ``dict`` inside a PocketSphinx model directory (the layout of
    ``pocketsphinx.get_model_path('en-us')``: an acoustic model folder, ``*.lm.bin`` and
    ``*.dict``)."""
    if not model_dir.is_dir():
        raise RecogniserError(f"PocketSphinx model not found at {model_dir}")
    hmm = next((p for p in sorted(model_dir.iterdir()) if p.is_dir() and (p / "mdef").exists()), None)
    if hmm is None and (model_dir / "mdef").exists():
        hmm = model_dir
    lms = sorted(
        p for p in model_dir.iterdir() if p.name.endswith((".lm.bin", ".lm", ".lm.gz")) and "phone" not in p.name
    )
    dicts = sorted(p for p in model_dir.iterdir() if p.name.endswith(".dict"))
    missing = [
        what for what, found in (("acoustic model", hmm), ("language model", lms), ("dictionary", dicts)) if not found
    ]
    if missing:
        raise RecogniserError(f"PocketSphinx model at {model_dir} is incomplete: no {', no '.join(missing)}")
    return {"hmm": str(hmm), "lm": str(lms[0]), "dict": str(dicts[0])}


class PocketsphinxRecogniser:
    """The embedded English PocketSphinx model (or another model directory)."""

    name = "pocketsphinx"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        garbage: Sequence[str] = GARBAGE_WORDS,
        garbage_weight: float = GARBAGE_WEIGHT,
        garbage_word_penalty: float = GARBAGE_WORD_PENALTY,
        max_grammars: int = 64,
    ) -> None:
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise RecogniserError(f"pocketsphinx is not installed: {advice.text('fix_pocketsphinx')}") from exc
        if model_dir is None:
            model_dir = pocketsphinx.get_model_path("en-us")
        files = _find_model_files(Path(model_dir))
        try:
            decoder = pocketsphinx.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **files)
        except (ValueError, RuntimeError) as exc:
            raise RecogniserError(f"PocketSphinx model at {model_dir} could not be loaded ({exc})") from exc
        # The language-model search above keeps the lattice pass (posteriors for the
        # confidence).  Grammar searches added from now on do without it: on an FSG the
        # PocketSphinx 5 lattice pass can return a path outside the grammar (often just
        # silence) and is very slow with a garbage loop.
        decoder.config["bestpath"] = False
        self._decoder = decoder
        self._free_search = decoder.current_search()
        self._garbage = tuple(w for w in garbage if decoder.lookup_word(w) is not None)
        self._garbage_weight = garbage_weight
        self._garbage_word_penalty = garbage_word_penalty
        self._max_grammars = max_grammars
        self._searches: OrderedDict[tuple[str, ...], str] = OrderedDict()
        self._search_count = 0
        self._known: dict[str, bool] = {}
        self._lock = threading.RLock()
        self._active: _PocketsphinxUtterance | None = None

    # ------------------------------------------------------------------ grammar

    def _in_dictionary(self, word: str) -> bool:
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = self._decoder.lookup_word(word) is not None
        return known

    def grammar_phrases(self, grammar: Sequence[str]) -> tuple[str, ...]:
        """The phrases of ``grammar`` this model can recognise, normalised, sorted, unique."""
        return known_phrases(grammar, normalise_phrase, self._in_dictionary, "dictionary")

    def _search_for(self, phrases: tuple[str, ...]) -> str:
        name = self._searches.get(phrases)
        if name is not None:
            self._searches.move_to_end(phrases)
            return name
        self._search_count += 1
        name = f"checkin_grammar_{self._search_count}"
        jsgf = build_jsgf(phrases, self._garbage, self._garbage_weight, self._garbage_word_penalty)
        try:
            self._decoder.add_jsgf_string(name, jsgf)
        except (ValueError, RuntimeError) as exc:
            raise RecogniserError(
                f"PocketSphinx could not build a grammar from {len(phrases)} phrases ({exc})"
            ) from exc
        self._searches[phrases] = name
        while len(self._searches) > self._max_grammars:
            _, old = self._searches.popitem(last=False)
            try:
                self._decoder.remove_search(old)
            except Exception:  # pragma: no cover - an unknown search is harmless here
                pass
        return name

    # ------------------------------------------------------------------ turns

    def start(self, grammar: Sequence[str] | None = None) -> _PocketsphinxUtterance:
        """Open an utterance: one of ``grammar``'s phrases (or ``""``), or free speech."""
        with self._lock:
            self._abandon_active()
            phrases = self.grammar_phrases(grammar) if grammar else ()
            if grammar and not phrases:
                log.debug("no grammar phrase is in the dictionary: decoding freely")
            if phrases:
                search = self._search_for(phrases)
                utterance = _PocketsphinxUtterance(self, search, frozenset(phrases))
            else:
                utterance = _PocketsphinxUtterance(self, self._free_search, None)
                try:
                    self._decoder.activate_search(self._free_search)
                    self._decoder.start_utt()
                except (KeyError, RuntimeError) as exc:
                    raise RecogniserError(f"PocketSphinx could not start an utterance ({exc})") from exc
                utterance._started = True
            self._active = utterance
            return utterance

    def _abandon_active(self) -> None:
        active, self._active = self._active, None
        if active is not None and not active._done:
            active._done = True
            active._abandoned = True
            if active._started:
                try:
                    self._decoder.end_utt()
                except Exception:  # pragma: no cover
                    pass

    def _decode_grammar(self, search: str, pcm: bytes) -> str:
        decoder = self._decoder
        decoder.activate_search(search)
        decoder.start_utt()
        try:
            if pcm:
                decoder.process_raw(pcm, full_utt=True)
        finally:
            decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def _free_result(self) -> Transcript:
        decoder = self._decoder
        hyp = decoder.hyp()
        text = " ".join(hyp.hypstr.split()) if hyp is not None else ""
        if not text:
            return Transcript("", None)
        probs = [
            seg.prob
            for seg in (decoder.seg() or ())
            if seg.word.lower() not in _FILLERS and not seg.word.startswith("++")
        ]
        confidence = None
        if probs:
            confidence = min(1.0, max(0.0, sum(probs) / len(probs)))
        return Transcript(text.lower(), confidence)


class _PocketsphinxUtterance:
    """One turn on the shared decoder (only one is open at a time)."""

    def __init__(self, owner: PocketsphinxRecogniser, search: str, phrases: frozenset[str] | None) -> None:
        self._owner = owner
        self._search = search
        self._phrases = phrases
        self._buffer = bytearray()
        self._odd = b""
        self._started = False
        self._done = False
        self._abandoned = False
        self._result: Transcript | None = None
        self._peeked: tuple[int, str] | None = None

    def _check(self) -> None:
        if self._abandoned:
            raise RecogniserError("this utterance was abandoned: another one was started on the same recogniser")

    def feed(self, pcm: bytes) -> None:
        """Decode (free) or keep (grammar) more 16 kHz mono s16le audio."""
        self._check()
        if self._done:
            raise RecogniserError("feed() after finish()")
        data, self._odd = whole_samples(self._odd, pcm)
        if not data:
            return
        if self._phrases is not None:
            self._buffer += data
            return
        with self._owner._lock:
            try:
                self._owner._decoder.process_raw(data)
            except RuntimeError as exc:
                raise RecogniserError(f"PocketSphinx failed to decode audio ({exc})") from exc

    def peek(self) -> str:
        """Grammar turns: the phrase the audio so far decodes to (``""`` for garbage),
        without ending the turn; ``finish`` reuses it when no audio came after."""
        self._check()
        if self._phrases is None:
            with self._owner._lock:
                hyp = self._owner._decoder.hyp()
            return " ".join(hyp.hypstr.split()).lower() if hyp is not None else ""
        with self._owner._lock:
            try:
                text = self._owner._decode_grammar(self._search, bytes(self._buffer))
            except RuntimeError as exc:
                raise RecogniserError(f"PocketSphinx failed to decode audio ({exc})") from exc
        text = text if text in self._phrases else ""
        self._peeked = (len(self._buffer), text)
        return text

    def finish(self) -> Transcript:
        """End of speech: the phrase heard (``""`` for garbage), or the free transcript."""
        self._check()
        if self._result is not None:
            return self._result
        owner = self._owner
        with owner._lock:
            self._done = True
            if owner._active is self:
                owner._active = None
            try:
                if self._phrases is not None:
                    if self._peeked is not None and self._peeked[0] == len(self._buffer):
                        text = self._peeked[1]  # nothing came after the peek: same answer
                    else:
                        text = owner._decode_grammar(self._search, bytes(self._buffer))
                    self._buffer = bytearray()
                    self._result = Transcript(text if text in self._phrases else "", None)
                else:
                    owner._decoder.end_utt()
                    self._result = owner._free_result()
            except RuntimeError as exc:
                raise RecogniserError(f"PocketSphinx failed to decode audio ({exc})") from exc
        return self._result


__all__ = ["GARBAGE_WORDS", "PocketsphinxRecogniser", "build_jsgf", "normalise_phrase"]


SEARCH_TYPES = ("jsgf", "kws", "allphone")
"""The searches :func:`decoder` adds by type: a JSGF grammar, keyphrase spotting (lines of
``phrase /threshold/``), the phone loop (its text is ignored)."""


def decoder(dictionary: str, searches: Mapping[str, tuple[str, str]], **options: Any) -> Any:
    """A raw PocketSphinx decoder over the embedded English model, with ``dictionary`` (the
    text of a pronouncing dictionary) and each named search ``(type, text)`` of
    :data:`SEARCH_TYPES` added (the wake detector's).  ``options`` go to ``pocketsphinx.Decoder``."""
    import pocketsphinx  # the package's own dependency; imported here as load() does, for a one-line error

    model = pocketsphinx.get_model_path()
    with tempfile.TemporaryDirectory(prefix="checkin-ps-") as tmp:
        dict_path = os.path.join(tmp, "search.dict")
        Path(dict_path).write_text(dictionary, encoding="utf-8")
        try:
            made = pocketsphinx.Decoder(
                hmm=os.path.join(model, "en-us", "en-us"), dict=dict_path, lm=None, loglevel="FATAL", **options
            )
            for name, (kind, text) in searches.items():
                if kind == "jsgf":
                    made.add_jsgf_string(name, text)
                elif kind == "kws":
                    kws_path = os.path.join(tmp, f"{name}.kws")
                    Path(kws_path).write_text(text, encoding="utf-8")
                    made.add_kws(name, kws_path)
                elif kind == "allphone":
                    made.add_allphone_file(name, os.path.join(model, "en-us", "en-us-phone.lm.bin"))
                else:
                    raise RecogniserError(f"unknown search type {kind!r}: use one of {', '.join(SEARCH_TYPES)}")
        except RecogniserError:
            raise
        except Exception as exc:
            raise RecogniserError(f"cannot load the PocketSphinx decoder: {exc}") from None
    return made


def load(options: AsrOptions) -> PocketsphinxRecogniser:
    """The registry's loader (:mod:`assistant.speech.asr.registry`): the embedded English model."""
    weight = options.grammar_garbage_weight
    return PocketsphinxRecogniser(garbage_weight=weight) if weight is not None else PocketsphinxRecogniser()
