"""The recogniser port.

A :class:`Recogniser` is loaded once (models are expensive) and then opens one
:class:`Utterance` per turn, constrained to a grammar (a list of phrases) or free
when the grammar is ``None``.  Audio is fed as 16 kHz mono 16-bit PCM bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Protocol

from ...formats.errors import Fault

log = logging.getLogger("assistant.speech.asr")


def known_phrases(
    grammar: Sequence[str], words_of: Callable[[str], tuple[str, ...]], known: Callable[[str], bool], model: str
) -> tuple[str, ...]:
    """The phrases of ``grammar`` a model can recognise: normalised by ``words_of``, sorted,
    unique.  A phrase with a word the model does not know is skipped (logged at debug
    level): dropping the word would return a phrase the dialog never offered."""
    kept = set()
    for phrase in grammar:
        words = words_of(phrase)
        if not words:
            continue
        unknown = [w for w in words if not known(w)]
        if unknown:
            log.debug("grammar phrase %r skipped: not in the %s: %s", phrase, model, " ".join(unknown))
            continue
        kept.add(" ".join(words))
    return tuple(sorted(kept))


def whole_samples(carry: bytes, pcm: bytes) -> tuple[bytes, bytes]:
    """``(data, carry)``: ``carry + pcm`` cut to whole 16-bit samples, and the odd byte
    left over for the next call (audio may arrive in chunks of any byte length)."""
    data = carry + bytes(pcm)
    return (data[:-1], data[-1:]) if len(data) % 2 else (data, b"")


def once(text: str) -> str:
    """Words said again at once, said once ("no no no" -> "no", "start check in start
    check in" -> "start check in"): a short window makes Whisper repeat a short answer,
    and a repeated answer is the same answer."""
    words = text.split()
    for n in range(1, len(words) // 2 + 1):
        i = 0
        while i + 2 * n <= len(words):
            if words[i : i + n] == words[i + n : i + 2 * n]:
                del words[i + n : i + 2 * n]
            else:
                i += 1
    return " ".join(words)


class RecogniserError(Fault):
    """A recogniser could not be loaded or used (missing or corrupt model...)."""


@dataclass(frozen=True)
class Transcript:
    """The words a recogniser heard in one utterance."""

    text: str
    """Lower-case words; empty when nothing was recognised."""
    confidence: float | None = None
    """0..1 when the engine reports one."""


class Utterance(Protocol):
    """One turn of decoding."""

    def feed(self, pcm: bytes) -> None:
        """Decode more 16 kHz mono s16le audio."""

    def finish(self) -> Transcript:
        """End of speech: return the final transcript."""

    # Optional: ``peek() -> str``, what was recognised so far without ending the utterance
    # (for early endpointing once a grammar phrase is complete).


class Recogniser(Protocol):
    """A loaded speech recogniser."""

    name: str
    """``pocketsphinx``, ``vosk`` or ``scripted``."""
    sample_rate: int
    """The rate ``feed`` expects (16000)."""

    def start(self, grammar: Sequence[str] | None = None) -> Utterance:
        """Open an utterance: constrained to ``grammar`` phrases, or free when None."""


class HintedRecogniser(Protocol):
    """A recogniser whose free answers can be told phrases to expect (Whisper's hotwords;
    the registry's ``grammar=False`` entries)."""

    def start(self, grammar: Sequence[str] | None = None, *, hints: Sequence[str] = ()) -> Utterance: ...
