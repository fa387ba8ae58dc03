"""Several rooms, one check-in at a time: the local microphone and Wyoming satellites.

Each room (the microphone plugged into this board, or a satellite) runs the same loop as
``checkin run`` in its own thread: its own wake detector over its own stream, and on a
wake a session with the same listener, engine and journal, spoken on that room's
speaker.  :class:`House` lets one check-in run at a time: a wake in a second room within
``same_room_s`` of the first is the same phrase heard twice (a satellite in the room with
the board) and is ignored; a later one is told, on its own speaker, that a check-in is
going on elsewhere.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Protocol

from ..formats.events import AudioChunk
from ..speech.audio import AudioError, DeviceLost
from .runner import turn_loop

BUSY = "busy_elsewhere"
"""The message (``dialogs/common.yaml`` ``messages``) said in a room that wakes while another room has the check-in."""


class House:
    """The one-check-in-at-a-time rule (thread-safe)."""

    def __init__(self, same_room_s: float = 3.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.same_room_s = same_room_s
        self.clock = clock
        self._lock = threading.Lock()
        self.room: str | None = None
        self.since = 0.0

    def claim(self, room: str) -> str:
        """``start`` (the room runs the check-in), ``same-room`` or ``busy``."""
        with self._lock:
            now = self.clock()
            if self.room is None:
                self.room, self.since = room, now
                return "start"
            return "same-room" if now - self.since <= self.same_room_s else "busy"

    def release(self, room: str) -> None:
        with self._lock:
            if self.room == room:
                self.room = None


@dataclass
class Room:
    """One place Check-in listens and speaks."""

    name: str
    open_chunks: Callable[[], Iterator[AudioChunk]]
    flush: Callable[[], object]
    voice: Any = None
    """A :class:`~assistant.speech.voice.SpeakingVoice` on this room's speaker, or None."""
    sinks: Sequence[Callable[[Mapping[str, Any]], None]] = ()
    """Extra session sinks (a satellite's transcript cue)."""
    on_wake: Callable[[str], None] | None = None
    """Called with the wake phrase when a check-in starts here (a satellite's detection)."""
    cue: Callable[[str], float] | None = None
    """The listening cues (:func:`assistant.app.cues`): the board's own speaker only; a
    satellite sounds its own, on the ``detection`` and ``transcript`` events it is sent."""
    retry_s: float = 2.0


class RoomParts(Protocol):
    """What a room needs built for it, by the one assembler (:mod:`assistant.app`)."""

    recogniser: Any

    def journal(self) -> Any:
        """A journal connection for one room's thread."""

    def wake(self) -> Any:
        """A wake detector for one room."""

    def session(
        self, turns: Any, sinks: Sequence[Callable[[Mapping[str, Any]], None]], journal: Any, voice: Any
    ) -> Any:
        """A check-in over ``turns``, spoken by ``voice``."""


@dataclass
class HouseRunner:
    """Runs every room's loop in its own thread until interrupted."""

    rooms: Sequence[Room]
    live: Any
    """An :class:`assistant.app.Reloadable` (settings, dialogs, engine)."""
    parts: RoomParts
    """Builds each room's journal connection, wake detector and sessions (:class:`assistant.app.HouseParts`)."""
    sinks: Sequence[Callable[[Mapping[str, Any]], None]] = ()
    house: House = field(default_factory=House)
    log: IO[str] = field(default_factory=lambda: sys.stderr)
    max_sessions: int | None = None
    """Stop after this many check-ins in the house (tests)."""
    stop: threading.Event = field(default_factory=threading.Event)
    records: list[Mapping[str, Any]] = field(default_factory=list)
    declined: list[tuple[str, str]] = field(default_factory=list)

    def say(self, message: str) -> None:
        print(f"checkin: {message}", file=self.log, flush=True)

    def run(self) -> None:
        done = [threading.Event() for _ in self.rooms]
        for room, finished in zip(self.rooms, done):
            threading.Thread(
                target=self._serve_then_set, args=(room, finished), name=f"checkin-{room.name}", daemon=True
            ).start()
        try:
            while not all(d.is_set() for d in done):
                time.sleep(0.2)  # not Thread.join: a Ctrl-C inside join can lose track of the thread
        finally:
            self.stop.set()  # Ctrl-C: each room's session saves what was said and ends
            for finished in done:
                finished.wait(15.0)

    def _serve_then_set(self, room: Room, finished: threading.Event) -> None:
        try:
            self.serve(room)
        finally:
            finished.set()

    def _stoppable(self, chunks: Iterator[AudioChunk]) -> Iterator[AudioChunk]:
        for chunk in chunks:
            if self.stop.is_set():
                raise KeyboardInterrupt
            yield chunk

    def serve(self, room: Room) -> None:
        journal = self.parts.journal()  # a connection per thread
        wake = self.parts.wake()  # two stages, as on the board's mic
        sinks = [self._tagged(sink, room.name) for sink in self.sinks]
        while not self.stop.is_set():
            runner = turn_loop(
                self._stoppable(room.open_chunks()),
                wake,
                self.parts.recogniser,
                lambda turns: self.parts.session(turns, [*sinks, *room.sinks], journal, room.voice),
                sinks=sinks,
                cue=room.cue,
                live=True,
                flush=room.flush,
                admit=lambda t: self._admit(room, sinks),
                run_session=lambda session: self._run_session(session, room, journal),
            )
            try:
                runner.run()
            except KeyboardInterrupt:
                return
            except DeviceLost:
                continue  # the link said why; wait for it again
            except AudioError as exc:
                self.say(f"{room.name}: {exc}; retrying in {room.retry_s:g} s")
                time.sleep(room.retry_s)

    @staticmethod
    def _tagged(sink: Callable[[Mapping[str, Any]], None], name: str) -> Callable[[Mapping[str, Any]], None]:
        return lambda event: sink({**event, "room": name})

    def _run_session(self, checkin, room: Room, journal) -> Mapping[str, Any]:  # noqa: ANN001
        from .runner import run_unless_busy

        try:
            record = run_unless_busy(checkin, room.voice, self.log)
        finally:
            self.house.release(room.name)
        self.records.append(record)
        if self.max_sessions is not None and len(self.records) >= self.max_sessions:
            self.stop.set()
        return record

    def _admit(self, room: Room, sinks) -> bool:  # noqa: ANN001
        verdict = self.house.claim(room.name)
        if verdict == "start":
            if room.on_wake is not None:
                room.on_wake(self.live.settings.wake.phrases[0])
            return True
        self.declined.append((room.name, verdict))
        for sink in sinks:
            sink({"type": "wake_declined", "reason": verdict})
        if verdict == "busy":
            self.say(f"{room.name}: heard the wake phrase during a check-in in {self.house.room}; told them so")
            if room.voice is not None:
                room.voice.speak(self.live.dialogs.common["messages"][BUSY], 1.0)
            room.flush()
        return False
