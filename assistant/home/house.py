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
from functools import partial
from typing import IO, Any, Callable

from ..formats.events import AudioChunk
from ..speech.audio import AudioError, DeviceLost

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


@dataclass
class HouseRunner:
    """Runs every room's loop in its own thread until interrupted."""

    rooms: Sequence[Room]
    live: Any
    """An :class:`assistant.app.Reloadable` (settings, dialogs, engine)."""
    recogniser: Any
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
        from .. import app
        from .runner import Runner

        journal = app.journal(self.live.settings, self.live.dialogs)  # a connection per thread
        wake = app.wake(self.live.settings, self.recogniser)  # two stages, as on the board's mic
        sinks = [self._tagged(sink, room.name) for sink in self.sinks]
        while not self.stop.is_set():
            runner = Runner(
                self._stoppable(room.open_chunks()),
                wake,
                cue=room.cue,
                turns=lambda stream: self._turns(stream, room),
                session=lambda turns: self._session(turns, room, journal, sinks),
                run_session=lambda session: self._run_session(session, room, journal),
                sinks=sinks,
                admit=lambda t: self._admit(room, sinks),
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

    def _turns(self, stream: Iterator[AudioChunk], room: Room):  # noqa: ANN202
        from ..speech.listener import AudioTurns

        return AudioTurns(stream, self.recogniser, live=True, flush=room.flush, cue=room.cue)

    def _session(self, turns, room: Room, journal, sinks):  # noqa: ANN001, ANN202
        from .. import app

        return app.session(
            self.live.settings,
            self.live.dialogs,
            self.live.engine,
            turns,
            [*sinks, *room.sinks],
            journal=journal,
            voice=room.voice,
        )

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


def local_room(settings: Any, voice: Any, log: IO[str]) -> Room | None:
    """The microphone plugged into this board, if there is one."""
    from ..speech.audio import MicSource, ReopeningSource, find_device, refresh_devices

    try:
        find_device(settings.audio.input_device, "input")
    except AudioError as exc:
        print(f"checkin: no microphone on this board ({exc}); listening on the satellites only", file=log, flush=True)
        return None
    current: dict[str, MicSource] = {}

    def open_mic() -> Iterator[AudioChunk]:
        current["mic"] = MicSource(settings.audio.input_device)
        return current["mic"].chunks()

    def chunks() -> Iterator[AudioChunk]:
        return ReopeningSource(
            open_mic, give_up_s=settings.audio.device_wait_s, on_retry=refresh_devices, log=log
        ).chunks()

    from .. import app

    flush = lambda: current["mic"].flush() if "mic" in current else 0  # noqa: E731
    return Room("this room", chunks, flush, voice=voice, cue=app.cues(settings, voice))


def run_house(
    live: Any,
    addresses: Sequence[Any],
    recogniser: Any,
    sinks: Sequence[Callable[[Mapping[str, Any]], None]] = (),
    local_voice: Any = None,
    *,
    local: bool = True,
    log: IO[str] | None = None,
    max_sessions: int | None = None,
    margin_s: float = 0.6,
) -> HouseRunner:
    """Assemble the rooms (this board's microphone and each satellite) and run them until
    interrupted (or ``max_sessions`` check-ins).  Returns the runner (records, declines)."""
    from .. import app
    from .satellites import LinkLoop, SatelliteLink, SatelliteSpeaker, transcript_sink, wake_sent

    log = log or sys.stderr
    settings = live.settings
    rooms: list[Room] = []
    here = local_room(settings, local_voice, log) if local else None
    if here is not None:
        rooms.append(here)
    loop = LinkLoop()
    static = app.static_prompts(live.dialogs, settings.partners)
    stop = threading.Event()
    links = [
        SatelliteLink(a, loop, log=log, give_up_s=settings.audio.device_wait_s, stopped=stop).start() for a in addresses
    ]
    for link in links:
        voice = app.voice(settings, speaker=SatelliteSpeaker(link, margin_s=margin_s), log=log, static=static)
        rooms.append(
            Room(
                link.name,
                link.chunks,
                link.flush,
                voice=voice,
                sinks=[transcript_sink(link)],
                on_wake=partial(wake_sent, link),
            )
        )
    runner = HouseRunner(rooms, live, recogniser, sinks, log=log, max_sessions=max_sessions, stop=stop)
    try:
        runner.run()
    finally:
        for link in links:
            link.stop()
        loop.close()
    return runner
