"""An in-process Wyoming satellite on 127.0.0.1 for fault tests (wyoming library events).

Each connection follows a behaviour: ``normal`` (answer ``run-satellite`` with
``run-pipeline``, then stream the microphone in real time: quiet, the first clip after
``lead_s``, each later clip once the coach's prompt has played plus ``gap_s``),
``garbage`` (bytes that are not an event), ``oversized`` (an event announcing a huge
payload), ``long-line`` (a header line that never ends) or ``drop:SECONDS`` (normal, then
the connection closes).  Everything the client sends is recorded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import async_read_event, async_write_event
from wyoming.info import Attribution, Describe, Info, Satellite
from wyoming.pipeline import PipelineStage, RunPipeline
from wyoming.satellite import RunSatellite

CHUNK = 1024
RATE = 16000


def to_16k(pcm: bytes, rate: int) -> bytes:
    if rate == RATE:
        return pcm
    import numpy as np

    from assistant.speech.audio import resample, to_s16

    return to_s16(resample(np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2") / 32768.0, rate, RATE))


class FakeSatellite:
    def __init__(
        self,
        clips: list[bytes],
        behaviours: tuple[str, ...] = (),
        lead_s: float = 1.0,
        gap_s: float = 0.8,
        at: list[float] | None = None,
        echo: bool = False,
        when: list[Callable[[], bool]] | None = None,
        hold: list[Callable[[], bool] | None] | None = None,
    ):
        self.clips = list(clips)
        self.echo = echo
        """The microphone hears what the satellite plays (its speaker is in the same room)."""
        self.at = at
        """Say clip i at ``at[i]`` seconds into the connection instead of after the prompts."""
        self.when = when
        """Say clip i as soon as ``when[i]()`` holds (an event elsewhere), instead of on a timer."""
        self.hold = hold
        """Clip i waits, besides its usual moment, until ``hold[i]()`` holds (None: no wait)."""
        self.said = 0
        """Clips started so far."""
        self.behaviours = list(behaviours)
        self.lead_s, self.gap_s = lead_s, gap_s
        self.received: list[str] = []
        self.played: list[bytes] = []
        self.rates: set[int] = set()
        """The sample rates of the prompts played (each ``audio-start``'s)."""
        self.connections = 0
        self.last_event = time.monotonic()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(5)

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _serve(self, ready: threading.Event) -> None:
        async def start() -> None:
            self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def close(self, quiet_s: float = 0.5, most_s: float = 5.0) -> None:
        """Stop once what Check-in already sent has been read (no event for ``quiet_s``)."""
        deadline = time.monotonic() + most_s
        while time.monotonic() - self.last_event < quiet_s and time.monotonic() < deadline:
            time.sleep(0.05)

        async def stop() -> None:
            self.server.close()
            for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        behaviour = self.behaviours[index] if index < len(self.behaviours) else "normal"
        try:
            if behaviour == "garbage":
                writer.write(b"\x00\xff\xfe this is not an event\n" * 3)
            elif behaviour == "oversized":
                writer.write(
                    b'{"type": "audio-chunk", "data": {"rate": 16000, "width": 2, "channels": 1}, "payload_length": 1000000000}\n'
                )
            elif behaviour == "bad-format":
                await async_write_event(
                    RunPipeline(start_stage=PipelineStage.WAKE, end_stage=PipelineStage.TTS).event(), writer
                )
                writer.write(
                    b'{"type": "audio-chunk", "data": {"rate": "fast", "width": 2, "channels": [1]}, "payload_length": 4}\n\x00\x00\x00\x00'
                )
            elif behaviour == "long-line":
                writer.write(b"{" + b"a" * 200_000)
            else:
                await self._normal(
                    reader, writer, float(behaviour.split(":")[1]) if behaviour.startswith("drop:") else None
                )
                return
            await writer.drain()
            await asyncio.sleep(30)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _normal(self, reader, writer, drop_after: float | None) -> None:  # noqa: ANN001
        state = {"prompt": b"", "playback_end": 0.0, "prompts": 0, "running": False, "echo": b"", "rate": RATE}
        listener = asyncio.ensure_future(self._listen(reader, writer, state))
        try:
            while not state["running"]:
                await asyncio.sleep(0.02)
            await async_write_event(
                RunPipeline(start_stage=PipelineStage.WAKE, end_stage=PipelineStage.TTS).event(), writer
            )
            await self._stream(writer, state, drop_after)
        finally:
            listener.cancel()

    async def _listen(self, reader, writer, state) -> None:  # noqa: ANN001
        while True:
            event = await async_read_event(reader)
            if event is None:
                return
            self.received.append(event.type)
            self.last_event = time.monotonic()
            if RunSatellite.is_type(event.type):
                state["running"] = True
            elif Describe.is_type(event.type):
                info = Info(
                    satellite=Satellite(
                        name="fake",
                        area="kitchen",
                        description="fake",
                        installed=True,
                        attribution=Attribution(name="", url=""),
                        version="1",
                    )
                )
                await async_write_event(info.event(), writer)
            elif AudioStart.is_type(event.type):
                state["prompt"] = b""
                state["rate"] = AudioStart.from_event(event).rate
                self.rates.add(state["rate"])
            elif AudioChunk.is_type(event.type):
                state["prompt"] += event.payload or b""
            elif AudioStop.is_type(event.type):
                self.played.append(state["prompt"])
                if self.echo:  # heard by its own microphone at 16 kHz, whatever rate it played at
                    state["echo"] += to_16k(state["prompt"], state["rate"])
                now = time.monotonic()
                state["playback_end"] = max(state["playback_end"], now) + len(state["prompt"]) / (2 * state["rate"])
                state["prompts"] += 1

    async def _stream(self, writer, state, drop_after: float | None) -> None:  # noqa: ANN001
        start = time.monotonic()
        sent = 0
        clips = list(self.clips)
        speaking = b""
        say_at: float | None = start + self.lead_s
        while drop_after is None or time.monotonic() - start < drop_after:
            now = time.monotonic()
            index = len(self.clips) - len(clips)
            if self.at is not None:
                say_at = start + self.at[index] if clips else None
            elif self.when is not None:
                say_at = now if clips and self.when[index]() else None
            elif say_at is None and not speaking and state["prompts"] and now >= state["playback_end"] + self.gap_s:
                say_at = now
            held = self.hold is not None and clips and self.hold[index] is not None and not self.hold[index]()
            if not speaking and clips and say_at is not None and now >= say_at and not held:
                speaking, clips = clips[0], clips[1:]
                self.said += 1
                say_at, state["prompts"] = None, 0
            if speaking:
                block, speaking = speaking[: 2 * CHUNK], speaking[2 * CHUNK :]
            else:
                block, state["echo"] = state["echo"][: 2 * CHUNK], state["echo"][2 * CHUNK :]
            chunk = AudioChunk(rate=RATE, width=2, channels=1, audio=block.ljust(2 * CHUNK, b"\x00"))
            await async_write_event(chunk.event(), writer)
            sent += CHUNK
            await asyncio.sleep(max(0.0, start + sent / RATE - time.monotonic()))
