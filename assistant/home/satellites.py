"""Wyoming satellites (Home Assistant's voice protocol) as microphones and speakers.

Check-in connects to a satellite as Home Assistant does: it sends ``run-satellite``; the
satellite (running without a local wake word) answers ``run-pipeline`` and streams its
microphone as ``audio-chunk`` events; prompts go back as ``audio-start`` /
``audio-chunk`` / ``audio-stop``, a wake as ``detection`` and each heard answer as an
empty ``transcript`` (so the satellite's LEDs and sounds behave; the words stay here).

The events and the client are the ``wyoming`` library's.  What comes from the network is
guarded: a header line, a data block or a payload over its cap, a line that is not JSON,
or audio in a format we cannot take is one logged line, and the link reconnects.

One asyncio loop in a background thread serves every satellite.  For the rest of
Check-in a satellite is a chunk source (:meth:`SatelliteLink.chunks`, on the audio
clock) and a speaker (:class:`SatelliteSpeaker`, the ``play(pcm, rate)`` port).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import json
import queue
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import numpy as np

from ..formats import advice
from ..formats.errors import one_line
from ..formats.events import AudioChunk
from ..speech.audio import RATE, AudioError, DeviceLost, StreamResampler, to_s16

MAX_LINE = 8 * 1024
"""Longest event header line accepted (bytes)."""
MAX_DATA = 64 * 1024
"""Largest ``data`` block accepted (bytes)."""
MAX_PAYLOAD = 256 * 1024
"""Largest payload accepted (about 8 s of 16 kHz audio; satellites send 64 ms chunks)."""


class SatelliteError(Exception):
    """A satellite address is invalid, or a satellite sent something we refuse (one line)."""


# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True)
class SatelliteAddress:
    host: str
    port: int

    @property
    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    def __str__(self) -> str:
        return self.uri


_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_address(text: str, names: bool = False) -> SatelliteAddress:
    """``tcp://IP:PORT`` -> address.  Only IP addresses unless ``names``: the service contacts
    no name server (its firewall allows exactly these addresses), so host names are looked
    up by ``checkin setup``, which writes the address."""
    if not isinstance(text, str):
        raise SatelliteError(f"{text!r}: expected a text like tcp://192.168.1.40:10700")
    try:
        parts = urlsplit(text.strip())
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise SatelliteError(f"{text!r}: {exc} (expected tcp://IP:PORT, like tcp://192.168.1.40:10700)") from None
    if parts.scheme != "tcp" or not host or port is None or parts.path not in ("", "/"):
        raise SatelliteError(f"{text!r}: expected tcp://IP:PORT, like tcp://192.168.1.40:10700")
    if port == 0:
        raise SatelliteError(f"{text!r}: port 0 is not a port")
    if is_address(host):
        return SatelliteAddress(str(ipaddress.ip_address(host)), port)
    if not _HOST_NAME.match(host):
        raise SatelliteError(f"{text!r}: {host!r} is neither an IP address nor a host name")
    if not names:
        raise SatelliteError(advice.text("satellite_host", uri=repr(text), host=host))
    return SatelliteAddress(host.rstrip(".").lower(), port)


def _why(exc: OSError) -> str:
    """ "Connection refused" rather than "Connect call failed ('10.0.0.5', 10700)"."""
    import os

    if exc.errno:
        return os.strerror(exc.errno)
    if exc.strerror:
        return exc.strerror
    return one_line(exc)


# --------------------------------------------------------------------------- guarded reading


class CappedReader:
    """The two reads ``wyoming.event.async_read_event`` makes, with size caps and a JSON
    check on the header, so hostile input becomes a :class:`SatelliteError`."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        max_line: int = MAX_LINE,
        max_data: int = MAX_DATA,
        max_payload: int = MAX_PAYLOAD,
    ):
        self.reader = reader
        self.max_line, self.max_data, self.max_payload = max_line, max_data, max_payload
        self._expect_data = False

    async def readline(self) -> bytes:
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise SatelliteError("connection closed in the middle of an event") from None
            return b""
        except asyncio.LimitOverrunError:
            raise SatelliteError(f"event header longer than {self.max_line} bytes") from None
        if len(line) > self.max_line:
            raise SatelliteError(f"event header longer than {self.max_line} bytes")
        try:
            header = json.loads(line)
        except ValueError:
            raise SatelliteError(f"not a Wyoming event: {line[:40]!r}") from None
        if not isinstance(header, dict) or not isinstance(header.get("type"), str):
            raise SatelliteError(f"not a Wyoming event (no type): {line[:40]!r}")
        lengths = {}
        for name, cap in (("data", self.max_data), ("payload", self.max_payload)):
            value = header.get(f"{name}_length")
            if value is None:
                value = 0
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SatelliteError(f"{header['type']}: invalid {name}_length {str(value)[:20]!r}")
            if value > cap:
                raise SatelliteError(f"{header['type']}: {name} of {value} bytes is over the {cap}-byte limit")
            lengths[name] = value
        if "data" in header and not isinstance(header["data"], dict):
            raise SatelliteError(f"{header['type']}: event data is not a JSON object")
        self._expect_data = lengths["data"] > 0
        return line

    async def readexactly(self, n: int) -> bytes:
        block = await self.reader.readexactly(n)
        if self._expect_data:
            self._expect_data = False
            try:
                if not isinstance(json.loads(block), dict):
                    raise ValueError
            except ValueError:
                raise SatelliteError("event data is not a JSON object") from None
        return block


async def read_event(reader: asyncio.StreamReader):  # noqa: ANN201 - a wyoming Event or None at EOF
    from wyoming.event import async_read_event

    return await async_read_event(CappedReader(reader))  # type: ignore[arg-type]


def to_mono16k(chunk: Any, resampler: StreamResampler | None) -> bytes:
    """A wyoming AudioChunk's audio as 16 kHz mono s16le (16-bit input only)."""
    if chunk.width != 2 or not 1 <= chunk.channels <= 8 or not 8000 <= chunk.rate <= 96000:
        raise SatelliteError(
            f"audio format not supported ({chunk.rate} Hz, {chunk.width * 8}-bit, {chunk.channels} channels)"
        )
    audio = chunk.audio[: len(chunk.audio) - len(chunk.audio) % (2 * chunk.channels)]
    if chunk.channels > 1:
        x = np.frombuffer(audio, dtype="<i2").reshape(-1, chunk.channels).mean(axis=1) / 32768.0
        audio = to_s16(x)
    return resampler.process(audio) if resampler is not None else audio


# --------------------------------------------------------------------------- the shared loop


class LinkLoop:
    """One asyncio loop in a daemon thread for every satellite link."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="checkin-satellites", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.loop.run_forever()
        self.loop.close()

    def call(self, coro, timeout: float | None = None):  # noqa: ANN001, ANN201
        return self.submit(coro).result(timeout)

    def submit(self, coro):  # noqa: ANN001, ANN201
        if self.loop.is_closed() or not self.thread.is_alive():
            coro.close()
            raise ConnectionError("the satellite links are shut down")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        """Cancel every link's task, let each close its connection, stop the loop."""

        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.thread.is_alive():
            try:
                self.call(shutdown(), 5.0)
            except Exception:  # a task that would not finish: stop anyway
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(2.0)


# --------------------------------------------------------------------------- one satellite


class SatelliteLink:
    """A connection to one satellite, kept up with backoff; its audio as a chunk source.

    ``chunks()`` yields the satellite's microphone on the audio clock.  While the link is
    down it waits (a session on it is paused); after ``give_up_s`` without audio it
    raises :class:`~assistant.speech.audio.DeviceLost`, as a vanished microphone does.  Audio
    arriving while a prompt plays (``mute_for``) is dropped: the coach never hears itself.
    """

    def __init__(
        self,
        address: SatelliteAddress,
        loop: LinkLoop,
        *,
        log: IO[str] | None = None,
        connect_timeout: float = 3.0,
        stall_s: float = 5.0,
        retry_s: float = 1.0,
        max_retry_s: float = 30.0,
        give_up_s: float = 120.0,
        queue_chunks: int = 400,
        stopped: threading.Event | None = None,
    ) -> None:
        self.address = address
        self.name = f"satellite {address.uri}"
        self.loop = loop
        self.log = log or sys.stderr
        self.connect_timeout, self.stall_s = connect_timeout, stall_s
        self.retry_s, self.max_retry_s, self.give_up_s = retry_s, max_retry_s, give_up_s
        self.queue: queue.Queue[AudioChunk] = queue.Queue(maxsize=queue_chunks)
        self.connected = threading.Event()
        self.stopped = stopped or threading.Event()
        """Set to shut down: the link closes, ``chunks()`` and prompts raise KeyboardInterrupt."""
        self.down_since: float | None = time.monotonic()
        self.mute_until = 0.0
        self.samples = 0
        self.connections = 0
        self.errors: list[str] = []
        self.dropped = 0
        self._writer: asyncio.StreamWriter | None = None
        self._task = None

    # ------------------------------------------------------------------ control (any thread)

    def say(self, message: str) -> None:
        print(f"checkin: {self.name}: {message}", file=self.log, flush=True)

    def start(self) -> SatelliteLink:
        self._task = self.loop.submit(self._keep_up())
        return self

    def stop(self) -> None:
        self.stopped.set()
        if self._task is not None:
            self._task.cancel()

    def mute_for(self, seconds: float) -> None:
        self.mute_until = max(self.mute_until, time.monotonic() + seconds)

    def flush(self) -> int:
        dropped = 0
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return dropped
            dropped += 1

    def send(self, *events: Any, timeout: float = 10.0) -> None:
        """Write wyoming events (objects with ``.event()``) in order; AudioError when down."""
        if not self.connected.is_set():
            raise AudioError(f"{self.name} is not connected")
        try:
            self.loop.call(self._write([e.event() for e in events]), timeout)
        except (OSError, ConnectionError, TimeoutError, concurrent.futures.TimeoutError, RuntimeError) as exc:
            raise AudioError(f"{self.name}: cannot send ({type(exc).__name__}: {exc})") from None

    def chunks(self) -> Iterator[AudioChunk]:
        started = time.monotonic()
        while True:
            if self.stopped.is_set():
                raise KeyboardInterrupt
            try:
                yield self.queue.get(timeout=0.2)
                continue
            except queue.Empty:
                pass
            down = self.down_since
            if down is not None and time.monotonic() - max(down, started) > self.give_up_s:
                raise DeviceLost(f"{self.name} did not come back within {self.give_up_s:g} s")

    # ------------------------------------------------------------------ the loop side

    async def _write(self, events: list[Any]) -> None:
        from wyoming.event import async_write_event

        writer = self._writer
        if writer is None:
            raise ConnectionError("not connected")
        for event in events:
            await async_write_event(event, writer)

    async def _keep_up(self) -> None:
        delay = self.retry_s
        while not self.stopped.is_set():
            began = time.monotonic()
            try:
                await self._connection()
                problem = "closed the connection"
            except asyncio.CancelledError:
                raise
            except SatelliteError as exc:
                problem = f"sent something we refuse ({exc})"
            except asyncio.TimeoutError:
                problem = (
                    "did not answer" if self.connected.is_set() else f"did not answer within {self.connect_timeout:g} s"
                )
            except EOFError:
                problem = "closed the connection in the middle of an event"
            except OSError as exc:
                problem = f"unreachable ({_why(exc)})"
            except Exception as exc:  # anything else from the network: one line, and reconnect
                problem = f"failed ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
            was_up = self.connected.is_set()
            self.connected.clear()
            self._writer = None
            if self.down_since is None:
                self.down_since = time.monotonic()
            if was_up and time.monotonic() - began > 10 * self.retry_s:
                delay = self.retry_s  # it worked for a while: start the backoff again
            self.errors.append(problem)
            self.say(f"{problem}; retrying in {delay:g} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_s)

    async def _connection(self) -> None:
        from wyoming.satellite import RunSatellite

        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.address.host, self.address.port, limit=MAX_LINE), self.connect_timeout
        )
        self._writer = writer
        try:
            await self._write([RunSatellite().event()])
            resampler: dict[int, StreamResampler] = {}
            while not self.stopped.is_set():
                event = await asyncio.wait_for(read_event(reader), self.stall_s)
                if event is None:
                    return
                await self._handle(event, resampler)
        finally:
            writer.close()

    async def _handle(self, event: Any, resamplers: dict[int, StreamResampler]) -> None:
        from wyoming.audio import AudioChunk as WyomingChunk
        from wyoming.error import Error
        from wyoming.ping import Ping, Pong
        from wyoming.pipeline import RunPipeline

        if WyomingChunk.is_type(event.type):
            try:
                chunk = WyomingChunk.from_event(event)
            except (KeyError, TypeError, ValueError) as exc:
                raise SatelliteError(f"audio-chunk without {exc}") from None
            if not all(isinstance(v, int) for v in (chunk.rate, chunk.width, chunk.channels)) or not isinstance(
                chunk.audio, bytes
            ):
                raise SatelliteError(f"audio-chunk with a malformed format: {str(event.data)[:80]}")
            if chunk.rate not in resamplers and 8000 <= chunk.rate <= 96000 and chunk.rate != RATE:
                resamplers[chunk.rate] = StreamResampler(chunk.rate, RATE)
            self._audio(to_mono16k(chunk, resamplers.get(chunk.rate)))
        elif RunPipeline.is_type(event.type):
            if not self.connected.is_set():
                self.connections += 1
                self.say("connected, streaming" if self.connections == 1 else "connected again, streaming")
            self.connected.set()
        elif Ping.is_type(event.type):
            await self._write([Pong(text=event.data.get("text") if isinstance(event.data, dict) else None).event()])
        elif Error.is_type(event.type):
            self.say(f"reports an error: {str(event.data)[:120]}")

    def _audio(self, pcm: bytes) -> None:
        if not pcm:
            return
        if not self.connected.is_set():  # audio without run-pipeline: an older satellite
            self.connections += 1
            self.connected.set()
        self.down_since = None
        chunk = AudioChunk(pcm, RATE, 1, self.samples / RATE)
        self.samples += len(pcm) // 2
        if time.monotonic() < self.mute_until:
            return
        try:
            self.queue.put_nowait(chunk)
        except queue.Full:
            self.dropped += 1


# --------------------------------------------------------------------------- speaker and events


class SatelliteSpeaker:
    """The speaker port on a satellite: ``audio-start``, ``audio-chunk``s, ``audio-stop``;
    returns once the prompt has had time to play.  Mutes the satellite's microphone for
    the prompt's length plus ``margin_s`` (satellite 1.0.0 sends no ``played`` event)."""

    def __init__(self, link: SatelliteLink, margin_s: float = 0.6, chunk_samples: int = 1024) -> None:
        self.link = link
        self.margin_s = margin_s
        self.chunk_samples = chunk_samples
        self.played_s = 0.0

    def play(self, pcm: bytes, rate: int) -> None:
        from wyoming.audio import AudioChunk as WyomingChunk
        from wyoming.audio import AudioStart, AudioStop

        pcm = pcm[: len(pcm) - len(pcm) % 2]
        seconds = len(pcm) / (2 * rate)
        began = time.monotonic()
        self.link.mute_for(seconds + self.margin_s)
        step = 2 * self.chunk_samples
        pieces = [
            WyomingChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + step]) for i in range(0, len(pcm), step)
        ]
        self.link.send(AudioStart(rate=rate, width=2, channels=1), *pieces, AudioStop())
        self.played_s += seconds
        if self.link.stopped.wait(max(0.0, seconds - (time.monotonic() - began))):
            raise KeyboardInterrupt  # shutting down: the session saves what was said


def wake_sent(link: SatelliteLink, phrase: str) -> None:
    """Tell the satellite its wake phrase was heard (its awake sound and LEDs)."""
    from wyoming.wake import Detection

    try:
        link.send(Detection(name=phrase))
    except AudioError:
        pass


def transcript_sink(link: SatelliteLink):  # noqa: ANN201 - a session sink
    """A session sink: after each heard answer, an empty ``transcript`` (the satellite's
    "done listening" cue).  The words themselves are never sent."""
    from wyoming.asr import Transcript

    def sink(event) -> None:  # noqa: ANN001
        if event.get("type") == "heard":
            try:
                link.send(Transcript(text=""))
            except AudioError:
                pass

    return sink


async def ask_info(host: str, port: int, timeout: float) -> Any:
    """One ``describe`` -> ``info`` round trip with a Wyoming service (it does not take a
    satellite over): its ``Info``.  Raises SatelliteError, OSError or asyncio.TimeoutError."""
    from wyoming.event import async_write_event
    from wyoming.info import Describe, Info

    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, limit=MAX_LINE), timeout)
    try:
        await async_write_event(Describe().event(), writer)
        while True:
            event = await asyncio.wait_for(read_event(reader), timeout)
            if event is None:
                raise SatelliteError("closed the connection without describing itself")
            if Info.is_type(event.type):
                return Info.from_event(event)
    finally:
        writer.close()


async def _describe(address: SatelliteAddress, timeout: float) -> str:
    sat = (await ask_info(address.host, address.port, timeout)).satellite
    if sat is None:
        raise SatelliteError("answered, but it is not a satellite (a different Wyoming service?)")
    return f"answered: {sat.name or 'satellite'}" + (f" in {sat.area}" if sat.area else "")


def probe(address: SatelliteAddress, timeout: float = 3.0) -> str:
    """Ask a satellite to describe itself (``describe`` -> ``info``), as ``checkin doctor`` does.
    A ``describe`` does not take the satellite over.  Raises SatelliteError (one line)."""
    try:
        return asyncio.run(_describe(address, timeout))
    except asyncio.TimeoutError:
        raise SatelliteError(f"{address.uri} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise SatelliteError(f"{address.uri} unreachable ({_why(exc)})") from None
    except SatelliteError as exc:
        raise SatelliteError(f"{address.uri} {exc}") from None


# --------------------------------------------------------------------------- the service's firewall


def systemd_dropin(uris: list[str] | tuple[str, ...]) -> str:
    """A systemd drop-in for checkin.service that lets it reach exactly these satellites
    (the unit denies all IP traffic); empty when there are none."""
    if not uris:
        return ""
    hosts = [ipaddress.ip_address(parse_address(u).host) for u in uris]
    allow = " ".join(dict.fromkeys(f"{h}/{h.max_prefixlen}" for h in hosts))
    families = "AF_UNIX AF_INET" + (" AF_INET6" if any(h.version == 6 for h in hosts) else "")
    return (
        "# Written by scripts/install.sh from config.yaml's satellites: Check-in may reach these\n"
        "# Wyoming satellites and nothing else (checkin.service denies all other IP traffic).\n"
        f"[Service]\nIPAddressAllow={allow}\nRestrictAddressFamilies={families}\n"
    )
