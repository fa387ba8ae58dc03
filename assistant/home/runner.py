"""The always-on loop: wait for the wake phrase on an audio stream, run a check-in by voice
on the same stream, go back to waiting.

The same loop serves the microphone (``checkin run``) and a long recording
(``checkin listen``): both are streams of :class:`~assistant.formats.events.AudioChunk` on the
audio clock, so a recording runs as fast as the CPU allows and behaves as a room would.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from ..formats import protocol
from ..formats.events import AudioChunk
from ..speech.listener import AudioTurns
from ..store.journal import JournalBusy
from .session import Sink


@dataclass
class Runner:
    """Wait for wake phrases in ``stream``; on each, run a session (unless ``wake_only``)."""

    stream: Iterator[AudioChunk]
    wake: Any
    """A :class:`assistant.speech.wake.WakeDetector` (``feed(chunk) -> [timestamps]``, ``reset()``)."""
    turns: Callable[[Iterator[AudioChunk]], AudioTurns]
    """Builds the audio turn source over the shared stream for one session."""
    session: Callable[[AudioTurns], Any]
    """Builds a session over those turns (``app.session``: engine, journal, voice, sinks)."""
    run_session: Callable[[Any], Mapping[str, Any]]
    """Runs it (``CheckIn.run``; partners, start dialog and memory were given when it was built)."""
    sinks: Sequence[Sink] = ()
    wake_only: bool = False
    max_sessions: int | None = None
    admit: Callable[[float], bool] | None = None
    """Asked on each wake whether a session may start here (one check-in at a time in a
    house with several rooms, :mod:`assistant.home.house`); None: always."""
    cue: Callable[[str], float] | None = None
    """Plays the "wake" cue when the phrase is heard (see :mod:`assistant.speech.cues`)."""
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
                self.emit(protocol.wake(t))
                if self.wake_only:
                    continue
                if self.admit is not None and not self.admit(t):
                    self.wake.reset()
                    continue
                if self.cue is not None:
                    self.cue("wake")
                turns = self.turns(shared)
                turns.position = position
                record = self.run_session(self.session(turns))
                self.records.append(record)
                self.emit(protocol.back_to_waiting(turns.position))
                self.wake.reset()
                if self.max_sessions is not None and len(self.records) >= self.max_sessions:
                    return
                break


def turn_loop(
    stream: Iterator[AudioChunk],
    wake: Any,
    recogniser: Any,
    session: Callable[[AudioTurns], Any],
    *,
    sinks: Sequence[Sink] = (),
    cue: Callable[[str], float] | None = None,
    live: bool = False,
    flush: Callable[[], object] | None = None,
    admit: Callable[[float], bool] | None = None,
    run_session: Callable[[Any], Mapping[str, Any]] = lambda checkin: checkin.run(),
    max_sessions: int | None = None,
    attribute: Callable[[], Any] | None = None,
) -> Runner:
    """The one assembly of the turn loop, for ``checkin listen``, ``checkin run`` and every room
    of the house: ``wake`` over ``stream``; on a wake, audio turns over the same stream
    (:class:`~assistant.speech.listener.AudioTurns`: ``recogniser``, the listening ``cue``, half
    duplex with ``flush`` when ``live``; who spoke with ``attribute``) and a ``session`` over them."""
    return Runner(
        stream,
        wake,
        turns=lambda shared: AudioTurns(shared, recogniser, live=live, flush=flush, cue=cue, attribute=attribute),
        session=session,
        run_session=run_session,
        sinks=sinks,
        cue=cue,
        admit=admit,
        max_sessions=max_sessions,
    )


def run_unless_busy(checkin: Any, voice: Any, log: Any = None) -> Mapping[str, Any]:
    """A check-in woken by voice: ``checkin.run()``, or, while another check-in holds the
    journal (a ``checkin chat`` in a terminal), one logged line, the busy message said, and
    ``{"outcome": "busy"}`` (nothing saved); the speaker goes back to waiting."""
    try:
        return checkin.run()
    except JournalBusy as exc:
        print(f"checkin: heard the wake phrase, but {exc}", file=log or sys.stderr, flush=True)
        if voice is not None:
            voice.speak(checkin.program.common["messages"]["busy_elsewhere"], 1.0)
        return {"outcome": "busy"}
