"""One recogniser port over the configured roles (``asr`` in config.yaml).

* **free** answers (no grammar) go to the free-answer recogniser (default Whisper);
* **choices** go to the choice recogniser (default PocketSphinx with a grammar: the fast
  path).  When it hears a complete grammar phrase, that is the answer at once; when it
  hears nothing it is sure of (its out-of-grammar path won, or it cannot take a
  grammar), the same audio goes to the fallback recogniser (default Whisper) and its
  words reach the same text understanding as typed answers, so "we're good" at a choice
  is understood instead of being forced onto the nearest phrase.

Each recogniser is loaded at its first use through :mod:`assistant.asr.registry`, and
one recogniser serves every role it has.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def __init__(self, choices: str, free: str, fallback: str | None, load: Callable[[str], Recogniser]) -> None:
        self.choices, self.free, self.fallback = choices, free, (fallback if fallback != choices else None)
        self._load = load
        self._loaded: dict[str, Recogniser] = {}

    def get(self, name: str) -> Recogniser:
        if name not in self._loaded:
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def check(self) -> RoleRecogniser:
        """Load every recogniser the roles name now (to fail early)."""
        for name in dict.fromkeys(n for n in (self.choices, self.free, self.fallback) if n):
            self.get(name)
        return self

    def start(self, grammar: Sequence[str] | None = None) -> Utterance:
        if not grammar:
            return self.get(self.free).start(None)
        fast = self.get(self.choices).start(grammar)
        if self.fallback is None:
            return fast
        fallback = self.fallback
        return FallbackUtterance(fast, lambda: self.get(fallback).start(grammar))


class FallbackUtterance:
    """A grammar decode first; the fallback recogniser when it heard nothing sure."""

    def __init__(self, fast: Utterance, open_fallback: Callable[[], Utterance]) -> None:
        self._fast = fast
        self._open_fallback = open_fallback
        self._buffer = bytearray()
        self._fallback: Utterance | None = None
        self._speculated_at: int | None = None
        self.used_fallback = False
        """The answer came from the fallback recogniser (for the benchmark)."""

    def feed(self, pcm: bytes) -> None:
        self._buffer += pcm
        self._fast.feed(pcm)
        if self._fallback is not None:
            self._fallback.feed(pcm)

    def _sure(self, text: str) -> bool:
        sure = getattr(self._fast, "sure", None)
        return bool(text) and (sure(text) if callable(sure) else True)

    def peek(self) -> str:
        """The fast path's phrase so far, only when it is sure of it."""
        peek = getattr(self._fast, "peek", None)
        text = peek() if callable(peek) else ""
        return text if self._sure(text) else ""

    def _open(self) -> Utterance:
        if self._fallback is None:
            self._fallback = self._open_fallback()
            self._fallback.feed(bytes(self._buffer))
        return self._fallback

    def speculate(self) -> None:
        """Start the fallback decode now when the fast path has no phrase so far."""
        if self.peek():
            return
        fallback = self._open()
        if hasattr(fallback, "speculate"):
            fallback.speculate()
            self._speculated_at = len(self._buffer)

    def settle(self) -> None:
        if self._fallback is not None and hasattr(self._fallback, "settle"):
            self._fallback.settle()

    def finish(self) -> Transcript:
        heard = self._fast.finish()
        if self._sure(heard.text):
            return heard
        self.used_fallback = True
        return self._open().finish()


__all__ = ["FallbackUtterance", "RoleRecogniser", "Speculative"]
