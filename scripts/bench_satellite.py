"""Added latency of a turn heard and answered through a Wyoming satellite, against the local
microphone.  One run; prints figures (nothing asserted).

Both paths hear the same answers (Piper's "joe" voice) in real time and decode them with the
same endpointer and recogniser on a choice turn.  Latency is from the end of the answer's clip
(wall clock, as it was "said"; Piper's clips end with a little silence) to the reply's first sample reaching the output: for the local
microphone, 30 ms chunks handed over as they fill and the reply handed to the output at once;
for the satellite, a Wyoming server on 127.0.0.1 (the wyoming library, as wyoming-satellite
is) streaming 1024-sample chunks over TCP, Check-in's link and queue, and the reply's first
``audio-chunk`` arriving back at the satellite.

    python scripts/bench_satellite.py [--turns 10]
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wyoming.audio import AudioChunk as WyChunk  # noqa: E402
from wyoming.event import async_read_event, async_write_event  # noqa: E402
from wyoming.pipeline import PipelineStage, RunPipeline  # noqa: E402

from assistant import app, config  # noqa: E402
from assistant.formats.events import Listen  # noqa: E402
from assistant.home.satellites import LinkLoop, SatelliteLink, SatelliteSpeaker, parse_address  # noqa: E402
from assistant.speech.audio import chunks as pcm_chunks  # noqa: E402
from assistant.speech.listener import listen_once  # noqa: E402
from assistant.speech.synthetic import piper_pcm  # noqa: E402
from assistant.speech.vad import EnergyVAD  # noqa: E402

RATE, CHUNK = 16000, 1024
WORDS = ("high", "medium", "low", "yes", "no")
LISTEN = Listen("bench/choice", "choice", choices=WORDS, grammar=WORDS, complete_silence_s=0.3)


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


class Server:
    """A satellite: streams quiet, or a queued recording, in real time; notes when the reply arrives."""

    def __init__(self) -> None:
        self.say: queue.Queue[bytes] = queue.Queue()
        self.started_at: float = 0.0
        self.reply_at: queue.Queue[float] = queue.Queue()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(5)

    def _run(self, ready: threading.Event) -> None:
        async def start() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _client(self, reader, writer) -> None:  # noqa: ANN001
        try:
            await self._stream(reader, writer)
        except ConnectionError:
            pass  # the bench is over

    async def _stream(self, reader, writer) -> None:  # noqa: ANN001
        await async_read_event(reader)  # run-satellite
        await async_write_event(
            RunPipeline(start_stage=PipelineStage.WAKE, end_stage=PipelineStage.TTS).event(), writer
        )
        asyncio.ensure_future(self._replies(reader))
        start, sent, current = time.perf_counter(), 0, b""
        while True:
            if not current:
                try:
                    current = self.say.get_nowait()
                    self.started_at = start + sent / RATE
                except queue.Empty:
                    current = silence(CHUNK / RATE)
            block, current = current[: 2 * CHUNK], current[2 * CHUNK :]
            sent += CHUNK  # a microphone hands over a chunk once it has filled
            await asyncio.sleep(max(0.0, start + sent / RATE - time.perf_counter()))
            await async_write_event(
                WyChunk(rate=RATE, width=2, channels=1, audio=block.ljust(2 * CHUNK, b"\x00")).event(), writer
            )

    async def _replies(self, reader) -> None:  # noqa: ANN001
        first = True
        while True:
            event = await async_read_event(reader)
            if event is None:
                return
            if event.type == "audio-chunk" and first:
                self.reply_at.put(time.perf_counter())
                first = False
            elif event.type == "audio-stop":
                first = True


def local_turn(recording: bytes, speech_end_s: float, recogniser) -> float:  # noqa: ANN001
    start = time.perf_counter()

    def paced():  # noqa: ANN202 - a microphone hands over each 30 ms chunk once it has filled
        for chunk in pcm_chunks(recording, chunk_ms=30):
            time.sleep(max(0.0, start + chunk.timestamp + chunk.seconds - time.perf_counter()))
            yield chunk

    heard = listen_once(paced(), LISTEN, recogniser, EnergyVAD())
    replied = time.perf_counter()  # the local output starts at once (the bench's figure)
    assert getattr(heard, "text", None), heard
    return replied - (start + speech_end_s)


def satellite_turn(
    server: Server,
    link: SatelliteLink,
    speaker: SatelliteSpeaker,
    recording: bytes,
    speech_end_s: float,
    reply: bytes,
    recogniser,
) -> float:  # noqa: ANN001
    link.flush()
    server.say.put(recording)
    heard = listen_once(link.chunks(), LISTEN, recogniser, EnergyVAD())
    assert getattr(heard, "text", None), heard
    speaker.play(reply, RATE)
    return server.reply_at.get(timeout=5) - (server.started_at + speech_end_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    settings = config.load()
    recogniser = app.recogniser(settings)
    clips = {w: piper_pcm(w) for w in WORDS}
    lead = 1.0
    recordings = [(silence(lead) + clips[w] + silence(1.5), lead + len(clips[w]) / (2 * RATE)) for w in WORDS]
    reply = silence(0.2)
    server = Server()
    loop = LinkLoop()
    link = SatelliteLink(parse_address(f"tcp://127.0.0.1:{server.port}"), loop, log=sys.stderr).start()
    speaker = SatelliteSpeaker(link, margin_s=0.0)
    link.connected.wait(5)
    local, remote = [], []
    for i in range(args.turns):
        rec, end = recordings[i % len(recordings)]
        local.append(local_turn(rec, end, recogniser) * 1000)
        remote.append(satellite_turn(server, link, speaker, rec, end, reply, recogniser) * 1000)
    link.stop()
    loop.close()
    added = [r - m for r, m in zip(remote, local)]

    def row(name: str, xs: list[float]) -> str:
        return f"{name:<34} median {statistics.median(xs):6.0f}   min {min(xs):6.0f}   max {max(xs):6.0f}"

    print(f"Turns: {args.turns} choice turns ({', '.join(WORDS)}), pocketsphinx grammar, early endpoint 0.3 s; ms")
    print(row("local microphone (30 ms chunks)", local))
    print(row("satellite (1024-sample chunks, TCP)", remote))
    print(row("added by the satellite", added))
    return 0


if __name__ == "__main__":
    sys.exit(main())
