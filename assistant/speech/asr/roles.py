"""One recogniser port over the configured roles (``asr`` in config.yaml).

* **free** answers (no grammar) go to the free-answer recogniser (default Whisper);
* **choices** go to the choice recogniser (default PocketSphinx with a grammar: the fast
  path) and, when a fallback is configured (default Whisper), to it as well: Whisper's
  phrase wins, the grammar's phrase breaks a tie, and Whisper's words outside the grammar
  reach the same text understanding as typed answers (:class:`FallbackUtterance`), so
  "we're good" at a choice is understood instead of being forced onto "repeat".  Both
  answer at the listener's early look when the answer is a complete phrase.  Measured on
  the real commands: PocketSphinx alone heard 127/160, its phrase with Whisper only when it
  heard nothing 136-138/160, Whisper deciding 145/160 (BENCHMARKS.md); PocketSphinx's own
  scores did not separate its right answers from its wrong ones.

Each recogniser is loaded at its first use through :mod:`assistant.speech.asr.registry`, and
one recogniser serves every role it has.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Callable, cast

from .base import HintedRecogniser, Recogniser, Transcript, Utterance, once


class RoleRecogniser:
    """The :class:`~assistant.speech.asr.base.Recogniser` the listener uses."""

    name = "roles"
    sample_rate = 16000

    def __init__(
        self,
        choices: str,
        free: str,
        fallback: str | None,
        load: Callable[[str], Recogniser],
        confirm: Iterable[str] = (),
        hints: Sequence[str] = (),
    ) -> None:
        self.choices, self.free, self.fallback = choices, free, (fallback if fallback != choices else None)
        self.confirm = frozenset(" ".join(p.lower().split()) for p in confirm)
        """Phrases the fast path's word alone never decides (the global commands: a wrong
        "repeat" loops, a wrong "stop" ends the evening)."""
        self.hints = tuple(hints)
        """Free turns: phrases the free recogniser is told to expect (the global commands,
        as Whisper hotwords; only for a recogniser whose grammar is a hint, not a constraint)."""
        self._load = load

    def get(self, name: str) -> Recogniser:
        return self._load(name)  # the registry keeps one instance a recogniser and options

    def check(self) -> RoleRecogniser:
        """Load every recogniser the roles name now (to fail early)."""
        for name in dict.fromkeys(n for n in (self.choices, self.free, self.fallback) if n):
            self.get(name)
        return self

    def warm_up(self) -> None:
        """Load every recogniser the roles name in a background thread (``checkin run``,
        while it waits for the wake phrase), so neither the first wake check nor the first
        answer waits for a model; a failure is left for the first use to report."""

        def load_all() -> None:
            try:
                self.check()
            except Exception:  # reported, as one line, when a turn needs the model
                return

        threading.Thread(target=load_all, name="recognisers warm-up", daemon=True).start()

    def start(self, grammar: Sequence[str] | None = None) -> Utterance:
        if not grammar:
            free = self.get(self.free)
            return cast(HintedRecogniser, free).start(None, hints=self.hints) if self.hints else free.start(None)
        fast = self.get(self.choices).start(grammar)
        if self.fallback is None:
            return fast
        return FallbackUtterance(fast, self.get(self.fallback).start(grammar), self.confirm, grammar)


class FallbackUtterance:
    """A choice heard by both recognisers: the grammar fast path (streaming) and the
    fallback (Whisper, which weighs its own hypotheses against the phrases).

    * Whisper heard one of the phrases: that is the answer (on real people it is the more
      accurate of the two: BENCHMARKS.md);
    * Whisper heard nothing, or words outside the grammar as many as the fast path's
      phrase ("well" for a synthetic "low", "media" for "medium"): the fast path's phrase
      stands, unless it is a global command (a wrong "repeat" loops, a wrong "stop" ends
      the evening);
    * otherwise Whisper's words go to the same understanding as typed answers ("we're
      good", "not great" are not forced onto a phrase).

    The early look (:meth:`peek`) asks both about the audio so far; the fallback's decode
    there is its speculative decode, kept when no speech follows.
    """

    def __init__(
        self, fast: Utterance, fallback: Utterance, confirm: frozenset[str] = frozenset(), phrases: Iterable[str] = ()
    ) -> None:
        self._fast = fast
        self._confirm = confirm
        self._phrases = frozenset(" ".join(p.split()) for p in phrases)
        self._fallback = fallback
        self.used_fallback = False
        """The answer is the fallback's words outside the grammar (for the benchmark)."""

    def feed(self, pcm: bytes) -> None:
        self._fast.feed(pcm)
        self._fallback.feed(pcm)

    def _sure(self, text: str) -> bool:
        return bool(text) and text not in self._confirm

    def _answer(self, fast: str, other: Transcript) -> Transcript:
        if other.text in self._phrases:
            return other
        if self._sure(fast) and (not other.text or len(once(other.text).split()) == len(fast.split())):
            return Transcript(fast, None)
        return other

    def peek(self) -> str:
        """The answer so far when it is one of the phrases (else ``""``)."""
        peek = getattr(self._fast, "peek", None)
        fast = peek() if callable(peek) else ""
        so_far = getattr(self._fallback, "so_far", None)
        if not callable(so_far):
            return fast if self._sure(fast) else ""
        answer = self._answer(fast, so_far()).text
        return answer if answer in self._phrases else ""

    def speculate(self) -> None:
        """Start the fallback's decode now, in the trailing silence."""
        speculate = getattr(self._fallback, "speculate", None)
        if callable(speculate):
            speculate()

    def settle(self) -> None:
        """No speech followed :meth:`speculate`: the fallback's decode stands."""
        settle = getattr(self._fallback, "settle", None)
        if callable(settle):
            settle()

    def finish(self) -> Transcript:
        answer = self._answer(self._fast.finish().text, self._fallback.finish())
        self.used_fallback = answer.text not in self._phrases
        return answer


__all__ = ["FallbackUtterance", "RoleRecogniser"]
