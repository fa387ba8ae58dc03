"""One recogniser port over the configured roles (``asr`` in config.yaml).

* **free** answers (no grammar) go to the free-answer recogniser (default Whisper);
* **choices** go to the choice recogniser (default PocketSphinx with a grammar: the fast
  path).  When it hears a complete phrase at the listener's early look, that is the
  answer at once; when it hears nothing (its out-of-grammar path won), or a global
  command (``confirm``: a wrong "repeat" or "help" loops, a wrong "stop" ends the
  evening), the same audio goes to the fallback recogniser (default Whisper, started
  speculatively in the trailing silence) and its words reach the same text understanding
  as typed answers, so "we're good" at a choice is understood instead of being forced
  onto "repeat" (measured: PocketSphinx's grammar hears it so, whatever the garbage
  weight; no score it gives separated such cases from right answers).

Each recogniser is loaded at its first use through :mod:`assistant.asr.registry`, and
one recogniser serves every role it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Callable, Protocol

from .base import Recogniser, Transcript, Utterance


class Speculative(Protocol):
    """An utterance that can decode early (see :mod:`assistant.listener`)."""

    def speculate(self) -> None: ...

    def settle(self) -> None: ...


class RoleRecogniser:
    """The :class:`~assistant.asr.base.Recogniser` the listener uses."""

    name = "roles"
    sample_rate = 16000

    def __init__(self, choices: str, free: str, fallback: str | None, load: Callable[[str], Recogniser], confirm: Iterable[str] = (), hints: Sequence[str] = ()) -> None:
        self.choices, self.free, self.fallback = choices, free, (fallback if fallback != choices else None)
        self.confirm = frozenset(" ".join(p.lower().split()) for p in confirm)
        """Phrases the fast path hears that the fallback decides (the global commands)."""
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

    def start(self, grammar: Sequence[str] | None = None) -> Utterance:
        if not grammar:
            return self.get(self.free).start(list(self.hints) or None)
        fast = self.get(self.choices).start(grammar)
        if self.fallback is None:
            return fast
        fallback = self.fallback
        return FallbackUtterance(fast, lambda: self.get(fallback).start(grammar), self.confirm)


class FallbackUtterance:
    """A grammar decode first; the fallback recogniser when it heard nothing sure."""

    def __init__(self, fast: Utterance, open_fallback: Callable[[], Utterance], confirm: frozenset[str] = frozenset()) -> None:
        self._fast = fast
        self._confirm = confirm
        self._open_fallback = open_fallback
        self._buffer = bytearray()
        self._fallback: Utterance | None = None
        self._speculated = False
        self._settled = False
        self.used_fallback = False
        """The answer came from the fallback recogniser (for the benchmark)."""

    def feed(self, pcm: bytes) -> None:
        self._fast.feed(pcm)
        if self._fallback is not None:
            self._fallback.feed(pcm)
        else:
            self._buffer += pcm  # kept only until the fallback opens

    def _sure(self, text: str) -> bool:
        return bool(text) and text not in self._confirm

    def peek(self) -> str:
        """The fast path's phrase so far, only when it is sure of it."""
        peek = getattr(self._fast, "peek", None)
        text = peek() if callable(peek) else ""
        return text if self._sure(text) else ""

    def _open(self) -> Utterance:
        if self._fallback is None:
            self._fallback = self._open_fallback()
            self._fallback.feed(bytes(self._buffer))
            self._buffer = bytearray()
        return self._fallback

    def speculate(self) -> None:
        """Start the fallback decode now, in the trailing silence (the fast path had its
        say at the early look for a complete phrase, which comes first)."""
        fallback = self._open()
        speculate = getattr(fallback, "speculate", None)
        if callable(speculate):
            speculate()
        self._speculated = True
        self._settled = False

    def settle(self) -> None:
        """No speech followed :meth:`speculate`: the fallback's answer stands."""
        self._settled = self._speculated
        settle = getattr(self._fallback, "settle", None)
        if callable(settle):
            settle()

    def finish(self) -> Transcript:
        if not self._settled:
            heard = self._fast.finish()
            if self._sure(heard.text):
                return heard
        self.used_fallback = True
        return self._open().finish()


__all__ = ["FallbackUtterance", "RoleRecogniser", "Speculative"]
