"""A recogniser that hears what a script says, whatever the audio (for session tests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Union

from .base import RecogniserError, Transcript

Scripted = Union[str, Transcript]


class ScriptedRecogniser:
    """Returns the next scripted transcript at each :meth:`Utterance.finish`.

    ``texts`` holds strings (confidence ``None``) or :class:`Transcript` objects.  Audio
    is counted but ignored.  Running out of script raises :class:`RecogniserError`, so a
    session test that loops longer than planned fails instead of hanging.  ``grammars``
    records the grammar of every ``start`` (a tuple, or ``None`` for free decoding)."""

    name = "scripted"
    sample_rate = 16000

    def __init__(self, texts: Iterable[Scripted]) -> None:
        self._script: list[Transcript] = [t if isinstance(t, Transcript) else Transcript(str(t)) for t in texts]
        self._next = 0
        self.grammars: list[tuple[str, ...] | None] = []
        self.fed_bytes = 0

    @property
    def remaining(self) -> int:
        """Transcripts not yet returned."""
        return len(self._script) - self._next

    def start(self, grammar: Sequence[str] | None = None) -> _ScriptedUtterance:
        self.grammars.append(tuple(grammar) if grammar is not None else None)
        return _ScriptedUtterance(self)

    def _pop(self) -> Transcript:
        if self._next >= len(self._script):
            raise RecogniserError(f"scripted recogniser ran out of transcripts after {len(self._script)}")
        transcript = self._script[self._next]
        self._next += 1
        return transcript


class _ScriptedUtterance:
    def __init__(self, owner: ScriptedRecogniser) -> None:
        self._owner = owner
        self._result: Transcript | None = None

    def feed(self, pcm: bytes) -> None:
        self._owner.fed_bytes += len(pcm)

    def finish(self) -> Transcript:
        if self._result is None:
            self._result = self._owner._pop()
        return self._result


__all__ = ["ScriptedRecogniser"]
