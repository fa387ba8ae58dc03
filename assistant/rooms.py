"""The house assembled: its rooms (this board's microphone, each Wyoming satellite), each with
its voice, cues and sessions built by :mod:`assistant.app`, run by :class:`~assistant.home.house.HouseRunner`.
Apart from :mod:`assistant.app` so a command that needs no audio does not load the audio stack."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import IO, Any, Callable

from . import app
from .formats.events import AudioChunk
from .home.house import House, HouseRunner, Room
from .home.satellites import LinkLoop, SatelliteLink, SatelliteSpeaker, transcript_sink, wake_sent
from .home.session import Sink
from .speech.audio import AudioError, MicSource, ReopeningSource, find_device, refresh_devices
from .store.journal import Journal


@dataclass
class HouseParts:
    """What each room of the house gets built (:class:`assistant.home.house.RoomParts`)."""

    live: Any
    """A :class:`Reloadable`: settings, dialogs and engine as they stand."""
    recogniser: Any

    def journal(self) -> Journal:
        return app.journal(self.live.settings, self.live.dialogs)

    def wake(self) -> Any:
        return app.wake(self.live.settings, self.recogniser)

    def session(self, turns: Any, sinks: Sequence[Sink], journal: Journal, voice: Any) -> Any:
        return app.session(
            self.live.settings, self.live.dialogs, self.live.engine, turns, sinks, journal=journal, voice=voice
        )


def local_room(settings: Any, voice: Any, log: IO[str]) -> Room | None:
    """The microphone plugged into this board, if there is one."""
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
    house: House | None = None,
) -> HouseRunner:
    """Assemble the rooms (this board's microphone and each satellite) and run them until
    interrupted (or ``max_sessions`` check-ins).  Returns the runner (records, declines)."""
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
        spoken = app.voice(settings, speaker=SatelliteSpeaker(link, margin_s=margin_s), log=log, static=static)
        rooms.append(
            Room(
                link.name,
                link.chunks,
                link.flush,
                voice=spoken,
                sinks=[transcript_sink(link)],
                on_wake=partial(wake_sent, link),
            )
        )
    runner = HouseRunner(
        rooms,
        live,
        HouseParts(live, recogniser),
        sinks,
        house=house or House(),
        log=log,
        max_sessions=max_sessions,
        stop=stop,
    )
    try:
        runner.run()
    finally:
        for link in links:
            link.stop()
        loop.close()
    return runner
