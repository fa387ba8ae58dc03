"""The always-on loop: wait for the wake phrase on an audio stream, run a check-in by voice
on the same stream, go back to waiting.

The same loop serves the microphone (``checkin run``) and a long recording
(``checkin listen``): both are streams of :class:`~assistant.events.AudioChunk` on the
audio clock, so a recording runs as fast as the CPU allows and behaves as a room would.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from .events import AudioChunk
from .listener import AudioTurns
from .session import Session, Sink


@dataclass
class Runner:
    """Wait for wake phrases in ``stream``; on each, run a session (unless ``wake_only``)."""

    stream: Iterator[AudioChunk]
    wake: Any
    """A :class:`assistant.wake.WakeDetector` (``feed(chunk) -> [timestamps]``, ``reset()``)."""
    turns: Callable[[Iterator[AudioChunk]], AudioTurns]
    """Builds the audio turn source over the shared stream for one session."""
    session: Callable[[AudioTurns], Session]
    """Builds a session over those turns (engine, journal, voice, sinks)."""
    run_session: Callable[[Session], Mapping[str, Any]]
    """Runs it (partners, start dialog, memory come from the caller)."""
    sinks: Sequence[Sink] = ()
    wake_only: bool = False
    max_sessions: int | None = None
    cue: Callable[[str], float] | None = None
    """Plays the "wake" cue when the phrase is heard (see :mod:`assistant.cues`)."""
    wakes: list[float] = field(default_factory=list)
    records: list[Mapping[str, Any]] = field(default_factory=list)

    def emit(self, event: Mapping[str, Any]) -> None:
        for sink in self.sinks:
            sink(event)

    def run(self) -> None:
        position = 0.0
        stream = iter(self.stream)

        def tracked() -> Iterator[AudioChunk]:
            nonlocal position
            for chunk in stream:
                position = chunk.timestamp + chunk.seconds
                yield chunk

        shared = tracked()
        for chunk in shared:
            for t in self.wake.feed(chunk):
                self.wakes.append(round(t, 2))
                self.emit({"type": "wake", "time": round(t, 2)})
                if self.wake_only:
                    continue
                if self.cue is not None:
                    self.cue("wake")
                turns = self.turns(shared)
                turns.position = position
                record = self.run_session(self.session(turns))
                self.records.append(record)
                self.emit({"type": "back_to_waiting", "time": round(turns.position, 2)})
                self.wake.reset()
                if self.max_sessions is not None and len(self.records) >= self.max_sessions:
                    return
                break
