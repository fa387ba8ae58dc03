"""Audio in and out, at the edge.

Everything inside the assistant speaks one format: 16 kHz mono signed 16-bit little
endian PCM (``s16le``), travelling as :class:`~assistant.formats.events.AudioChunk`.  This
module converts the outside world to and from it:

* :func:`read_wav` reads any PCM/float WAV (any rate, any channel count) as 16 kHz mono;
* :func:`chunks` slices PCM into timestamped chunks (a pure generator);
* :class:`WavSource` and :class:`MicSource` are the two audio sources (``.chunks()``);
* :class:`SoundDeviceSpeaker`, :class:`WavWriterSpeaker` and :class:`NullSpeaker`
  implement the speaker port (``play(pcm, rate)``);
* :func:`find_device` and :func:`list_devices` resolve configured device names.

``sounddevice`` (PortAudio) is imported lazily: reading files works without it.
Every failure surfaces as an :class:`AudioError` with a one-line message.
"""

from __future__ import annotations

import os
import queue
import struct
import threading
import time
import wave
from collections.abc import Iterator
from math import gcd
from pathlib import Path
from typing import Literal, Protocol, Union

import numpy as np

from ..formats.errors import Fault, one_line
from ..formats.events import AudioChunk

RATE = 16000
"""The assistant's internal sample rate."""

DeviceKind = Literal["input", "output"]
DeviceSpec = Union[int, str, None]


class AudioError(Fault):
    """An audio file or device could not be read, opened or used (one-line message)."""


# --------------------------------------------------------------------------- WAV files

_PCM = 0x0001
_FLOAT = 0x0003
_EXTENSIBLE = 0xFFFE


def _parse_wav(data: bytes, name: str) -> tuple[np.ndarray, int, int]:
    """Samples as float64 in -1..1, shape (frames, channels), the rate and bit depth."""
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        raise AudioError(f"{name}: not a WAV file (no RIFF/WAVE header)")
    if data[:4] == b"RIFX":
        raise AudioError(f"{name}: big-endian (RIFX) WAV files are not supported")
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            if len(body) < 16:
                raise AudioError(f"{name}: truncated fmt chunk")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _EXTENSIBLE and len(body) >= 26:
                (tag,) = struct.unpack_from("<H", body, 24)  # first 2 bytes of the GUID
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            payload = body  # a streamed file's bogus size just runs to the end of data
            break
        pos += 8 + size + (size & 1)
    if fmt is None:
        raise AudioError(f"{name}: WAV file has no fmt chunk")
    if payload is None:
        raise AudioError(f"{name}: WAV file has no data chunk")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise AudioError(f"{name}: invalid WAV header ({channels} channels at {rate} Hz)")
    width = bits // 8
    if tag == _PCM and bits in (8, 16, 24, 32):
        frame = width * channels
        payload = payload[: len(payload) - len(payload) % frame]
        raw = np.frombuffer(payload, dtype=np.uint8)
        if bits == 8:
            x = (raw.astype(np.float64) - 128.0) / 128.0
        elif bits == 16:
            x = np.frombuffer(payload, dtype="<i2") / 32768.0
        elif bits == 24:
            b = raw.reshape(-1, 3).astype(np.int32)
            v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
            v = np.where(v >= 1 << 23, v - (1 << 24), v)
            x = v / float(1 << 23)
        else:
            x = np.frombuffer(payload, dtype="<i4") / 2147483648.0
    elif tag == _FLOAT and bits in (32, 64):
        frame = width * channels
        payload = payload[: len(payload) - len(payload) % frame]
        x = np.frombuffer(payload, dtype="<f4" if bits == 32 else "<f8").astype(np.float64)
        x = np.nan_to_num(x)
    else:
        raise AudioError(f"{name}: unsupported WAV encoding (format {tag:#x}, {bits}-bit)")
    return x.reshape(-1, channels), rate, bits if tag == _PCM else -bits


def to_s16(x: np.ndarray) -> bytes:
    """Float samples in -1..1 as s16le bytes (rounded, clipped)."""
    return np.clip(np.rint(np.asarray(x) * 32768.0), -32768, 32767).astype("<i2").tobytes()


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a 1-D float signal; uses ``soxr`` when installed, else a windowed sinc."""
    if rate_in == rate_out or len(x) == 0:
        return np.asarray(x, dtype=np.float64)
    try:
        import soxr
    except ImportError:
        return _resample_sinc(np.asarray(x, dtype=np.float64), rate_in, rate_out)
    return soxr.resample(np.asarray(x, dtype=np.float64), rate_in, rate_out, quality="HQ")


class _SincResampler:
    """Streaming band-limited polyphase resampler (Kaiser-windowed sinc, numpy only).

    ``process(x)`` returns the output that is final so far; ``process(x, last=True)``
    flushes.  Feeding a signal in pieces gives the same samples as feeding it whole.
    """

    def __init__(self, rate_in: int, rate_out: int, zeros: int = 16) -> None:
        g = gcd(rate_in, rate_out)
        self.up, self.down = rate_out // g, rate_in // g
        cutoff = min(1.0, rate_out / rate_in) * 0.95
        self.half = half = int(np.ceil(zeros / cutoff))  # taps each side, input samples
        self.taps = np.arange(-half + 1, half + 1)
        # One kernel per output phase (output n sits at input base + phase/up).
        dist = self.taps[None, :] - (np.arange(self.up) / self.up)[:, None]
        window = np.i0(8.6 * np.sqrt(np.clip(1.0 - (dist / (half + 1)) ** 2, 0.0, 1.0))) / np.i0(8.6)
        self.table = cutoff * np.sinc(cutoff * dist) * window
        self.buf = np.zeros(half)  # input history, zero-padded on the left
        self.buf_start = -half  # absolute input index of buf[0]
        self.n = 0  # next output index
        self.total_in = 0

    def process(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self.total_in += len(x)
        self.buf = np.concatenate([self.buf, x, np.zeros(self.half + 1)] if last else [self.buf, x])
        if last:
            n_end = (self.total_in * self.up + self.down - 1) // self.down
        else:  # outputs whose whole kernel has arrived
            avail = self.buf_start + len(self.buf) - 1  # last absolute input index
            n_end = max(self.n, ((avail - self.half + 1) * self.up) // self.down)
        pieces = []
        block = max(1, (1 << 18) // len(self.taps))
        for start in range(self.n, n_end, block):
            n = np.arange(start, min(n_end, start + block))
            base, phase = np.divmod(n * self.down, self.up)
            idx = base[:, None] + self.taps[None, :] - self.buf_start
            pieces.append(np.einsum("ij,ij->i", self.buf[idx], self.table[phase]))
        self.n = n_end
        keep_from = (self.n * self.down) // self.up - self.half + 1 - self.buf_start
        if keep_from > 0:
            self.buf = self.buf[keep_from:]
            self.buf_start += keep_from
        return np.concatenate(pieces) if pieces else np.zeros(0)


def _resample_sinc(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling of a whole signal with the numpy fallback."""
    return _SincResampler(rate_in, rate_out).process(x, last=True)


class StreamResampler:
    """Resample a stream of s16le blocks (``soxr.ResampleStream`` when installed)."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        self.rate_in, self.rate_out = rate_in, rate_out
        try:
            import soxr
        except ImportError:
            self._soxr = None
            self._sinc = _SincResampler(rate_in, rate_out)
        else:
            self._soxr = soxr.ResampleStream(rate_in, rate_out, 1, dtype="float64", quality="HQ")

    def process(self, pcm: bytes, last: bool = False) -> bytes:
        x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2") / 32768.0
        if self._soxr is not None:
            y = self._soxr.resample_chunk(x, last=last)
        else:
            y = self._sinc.process(x, last=last)
        return to_s16(y)


def read_wav(path: str | os.PathLike[str]) -> bytes:
    """A WAV file as 16 kHz mono s16le bytes.

    Accepts 8/16/24/32-bit integer and 32/64-bit float WAV at any rate and channel
    count (channels are averaged).  A 16 kHz mono 16-bit file is returned bit-exact.
    Raises :class:`AudioError` for a missing, unreadable or non-WAV file.
    """
    name = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise AudioError(f"{name}: cannot read ({exc.strerror or one_line(exc)})") from None
    return pcm_from_wav_bytes(data, name)


def pcm_from_wav_bytes(data: bytes, name: str = "<wav>") -> bytes:
    """Like :func:`read_wav` for WAV bytes already in memory."""
    x, rate, bits = _parse_wav(data, name)
    if rate == RATE and x.shape[1] == 1 and bits == 16:
        return to_s16(x[:, 0])  # exact: int16 / 32768 * 32768
    mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    return to_s16(resample(mono, rate, RATE))


def pcm_and_rate_from_wav_bytes(data: bytes, name: str = "<wav>") -> tuple[bytes, int]:
    """Mono s16le PCM at the file's own rate, and that rate (channels averaged)."""
    x, rate, _ = _parse_wav(data, name)
    mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    return to_s16(mono), rate


def wav_bytes(pcm: bytes, rate: int = RATE, channels: int = 1) -> bytes:
    """A complete s16le WAV file holding ``pcm``."""
    return _wav_header(len(pcm), rate, channels) + pcm


def write_wav(path: str | os.PathLike[str], pcm: bytes, rate: int = RATE, channels: int = 1) -> None:
    """Write s16le ``pcm`` to a WAV file."""
    Path(path).write_bytes(wav_bytes(pcm, rate, channels))


def _wav_header(n_bytes: int, rate: int, channels: int) -> bytes:
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + n_bytes, b"WAVE",
        b"fmt ", 16, _PCM, channels, rate, rate * 2 * channels, 2 * channels, 16,
        b"data", n_bytes,
    )  # fmt: skip


# --------------------------------------------------------------------------- chunks


def chunks(pcm: bytes, rate: int = RATE, chunk_ms: int = 30, start: float = 0.0) -> Iterator[AudioChunk]:
    """Slice mono s16le ``pcm`` into chunks of ``chunk_ms`` (the last may be shorter).

    Timestamps are on the audio clock: ``start`` plus the sample offset over ``rate``.
    """
    n = max(1, rate * chunk_ms // 1000) * 2
    for offset in range(0, len(pcm) - len(pcm) % 2, n):
        yield AudioChunk(pcm[offset : offset + n], rate, 1, start + offset / 2 / rate)


class Source(Protocol):
    """Where audio comes from."""

    def chunks(self) -> Iterator[AudioChunk]:
        """Yield 16 kHz mono chunks with audio-clock timestamps."""


class WavSource:
    """A WAV file as an audio source.  A 16 kHz mono 16-bit file (what recordings for
    ``checkin listen`` usually are) streams from disk, so hours of audio take no memory;
    any other format is converted in memory first.  Errors surface at construction."""

    def __init__(self, path: str | os.PathLike[str], chunk_ms: int = 30) -> None:
        self.path = Path(path)
        self.chunk_ms = chunk_ms
        self.rate = RATE
        self._frames = self._streamable()
        self._pcm = None if self._frames is not None else read_wav(path)

    def _streamable(self) -> int | None:
        try:
            with wave.open(str(self.path), "rb") as w:
                if (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (RATE, 1, 2, "NONE"):
                    return w.getnframes()
        except (wave.Error, EOFError, OSError):
            pass
        return None

    @property
    def pcm(self) -> bytes:
        return self._pcm if self._pcm is not None else read_wav(self.path)

    @property
    def seconds(self) -> float:
        if self._frames is not None:
            return self._frames / RATE
        return len(self.pcm) / (2 * RATE)

    def chunks(self, start: float = 0.0) -> Iterator[AudioChunk]:
        if self._pcm is not None:
            return chunks(self._pcm, RATE, self.chunk_ms, start)
        return self._stream(start)

    def _stream(self, start: float) -> Iterator[AudioChunk]:
        per_chunk = RATE * self.chunk_ms // 1000
        done = 0
        with wave.open(str(self.path), "rb") as w:
            while True:
                pcm = w.readframes(per_chunk)
                if not pcm:
                    return
                yield AudioChunk(pcm, RATE, 1, start + done / RATE)
                done += len(pcm) // 2

    def __repr__(self) -> str:
        return f"WavSource({str(self.path)!r}, {self.seconds:.2f} s)"


# --------------------------------------------------------------------------- devices


def _sd():  # noqa: ANN202 - the sounddevice module
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise AudioError(f"sound devices unavailable (PortAudio): {one_line(exc)}") from None
    return sounddevice


def _devices() -> list[dict]:
    sd = _sd()
    try:
        return [dict(d) for d in sd.query_devices()]
    except Exception as exc:  # PortAudioError
        raise AudioError(f"cannot list sound devices: {one_line(exc)}") from None


def _channels_key(kind: DeviceKind) -> str:
    if kind not in ("input", "output"):
        raise ValueError(f"kind must be 'input' or 'output', not {kind!r}")
    return "max_input_channels" if kind == "input" else "max_output_channels"


def _describe(devices: list[dict], kind: DeviceKind) -> str:
    key = _channels_key(kind)
    usable = [f"{i} {d['name']!r}" for i, d in enumerate(devices) if d[key] > 0]
    return ", ".join(usable) if usable else "none"


def find_device(name_or_index: DeviceSpec, kind: DeviceKind = "input") -> int:
    """Resolve a configured device to a PortAudio index.

    ``name_or_index`` is an index (int or digit string), a case-insensitive name or
    substring of one (an exact name wins; several substring matches are an error), or
    ``None`` for the system default.  Only devices with ``kind`` channels count.
    Raises :class:`AudioError` naming the available devices.
    """
    key = _channels_key(kind)
    devices = _devices()
    available = f"available {kind} devices: {_describe(devices, kind)}"
    if name_or_index is None:
        default = _sd().default.device[0 if kind == "input" else 1]
        if isinstance(default, int) and 0 <= default < len(devices) and devices[default][key] > 0:
            return default
        raise AudioError(f"no default {kind} device; {available}")
    if isinstance(name_or_index, bool):
        raise AudioError(f"invalid {kind} device {name_or_index!r}; {available}")
    spec = name_or_index.strip() if isinstance(name_or_index, str) else name_or_index
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        index = int(spec)
        if 0 <= index < len(devices) and devices[index][key] > 0:
            return index
        raise AudioError(f"no {kind} device with index {index}; {available}")
    if not spec:
        raise AudioError(f"empty {kind} device name; {available}")
    wanted = spec.casefold()
    exact = [i for i, d in enumerate(devices) if d[key] > 0 and d["name"].casefold() == wanted]
    if exact:
        return exact[0]
    partial = [i for i, d in enumerate(devices) if d[key] > 0 and wanted in d["name"].casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{i} {devices[i]['name']!r}" for i in partial)
        raise AudioError(f"{kind} device {spec!r} is ambiguous: matches {names}")
    raise AudioError(f"no {kind} device matches {spec!r}; {available}")


def list_devices() -> list[str]:
    """One line per sound device, e.g. ``"2: USB Mic (hw:1,0) [in 1, out 0] default input"``."""
    devices = _devices()
    default_in, default_out = _sd().default.device
    lines = []
    for i, d in enumerate(devices):
        marks = [m for m, hit in (("default input", i == default_in), ("default output", i == default_out)) if hit]
        line = (
            f"{i}: {d['name']} [in {d['max_input_channels']}, out {d['max_output_channels']},"
            f" {d['default_samplerate']:.0f} Hz]"
        )
        lines.append(line + (" " + ", ".join(marks) if marks else ""))
    return lines


# --------------------------------------------------------------------------- microphone

_STOP = object()


class MicSource:
    """The microphone as an audio source, through ``sounddevice.RawInputStream``.

    A reader thread does the blocking reads and hands chunks over a bounded queue, so a
    slow consumer applies back-pressure instead of losing samples, and a device that
    errors *or hangs* (PortAudio's ALSA backend can hang on a vanished USB device)
    raises :class:`AudioError` in :meth:`chunks` after ``stall_s`` without audio.
    Timestamps count samples (the audio clock), not wall time.

    Raw ``hw:`` devices often cannot capture at 16 kHz: when opening at ``rate`` fails,
    the device is opened at its default rate and the audio resampled to ``rate``
    (``device_rate`` forces a capture rate).
    """

    def __init__(
        self,
        device: DeviceSpec = None,
        rate: int = RATE,
        chunk_ms: int = 30,
        *,
        device_rate: int | None = None,
        stall_s: float = 2.0,
        queue_chunks: int = 100,
    ) -> None:
        self.device = device
        self.rate = rate
        self.chunk_ms = chunk_ms
        self.device_rate = device_rate
        self.stall_s = stall_s
        self.queue_chunks = queue_chunks
        self.capture_rate: int | None = None
        """The rate the device was opened at (known once :meth:`chunks` runs)."""
        self.overflows = 0
        """How many reads reported an input overflow (samples the device dropped)."""
        self._handoff: queue.Queue | None = None

    def _open(self, sd, index: int, name: str):  # noqa: ANN001, ANN202
        rates = [self.device_rate] if self.device_rate else [self.rate]
        if not self.device_rate:
            native = int(_devices()[index]["default_samplerate"])
            if native != self.rate:
                rates.append(native)
        failure = ""
        for rate in rates:
            frames = max(1, rate * self.chunk_ms // 1000)
            try:
                stream = sd.RawInputStream(device=index, samplerate=rate, channels=1, dtype="int16", blocksize=frames)
            except Exception as exc:
                failure = failure or one_line(exc)
                continue
            try:
                stream.start()
            except Exception as exc:
                stream.close()
                failure = failure or one_line(exc)
                continue
            return stream, rate, frames
        tried = " or ".join(f"{r} Hz" for r in rates)
        raise AudioError(f"cannot open {name} at {tried}: {failure}")

    def chunks(self) -> Iterator[AudioChunk]:
        """Open the device and yield chunks until the consumer stops iterating."""
        sd = _sd()
        index = find_device(self.device, "input")
        name = f"input device {index} {_devices()[index]['name']!r}"
        stream, capture_rate, frames = self._open(sd, index, name)
        self.capture_rate = capture_rate
        resampler = StreamResampler(capture_rate, self.rate) if capture_rate != self.rate else None
        handoff: queue.Queue = queue.Queue(maxsize=self.queue_chunks)
        self._handoff = handoff
        stop = threading.Event()

        def put(item: object) -> bool:
            while not stop.is_set():
                try:
                    handoff.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def reader() -> None:
            try:
                while not stop.is_set():
                    data, overflowed = stream.read(frames)
                    if overflowed:
                        self.overflows += 1
                    if not put(bytes(data)):
                        return
            except Exception as exc:  # PortAudioError, or the stream closed under us
                if not stop.is_set():
                    put(AudioError(f"{name} failed: {one_line(exc)}"))
            finally:
                put(_STOP)

        thread = threading.Thread(target=reader, name="checkin-mic", daemon=True)
        thread.start()
        samples = 0
        try:
            while True:
                try:
                    item = handoff.get(timeout=self.stall_s)
                except queue.Empty:
                    raise AudioError(f"{name} stopped delivering audio ({self.stall_s:g} s without samples)") from None
                if isinstance(item, AudioError):
                    raise item
                if item is _STOP:
                    raise AudioError(f"{name} stopped unexpectedly")
                pcm = resampler.process(item) if resampler else item
                if not pcm:
                    continue
                yield AudioChunk(pcm, self.rate, 1, samples / self.rate)
                samples += len(pcm) // 2
        finally:
            stop.set()
            _close_quietly(stream, thread)

    def flush(self) -> int:
        """Drop the audio captured so far but not yet read (e.g. while the assistant spoke:
        half duplex).  Returns how many chunks were dropped."""
        dropped = 0
        handoff = self._handoff
        while handoff is not None:
            try:
                item = handoff.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, AudioError) or item is _STOP:
                handoff.put(item)  # keep faults for the reader of chunks()
                break
            dropped += 1
        return dropped

    def __repr__(self) -> str:
        return f"MicSource(device={self.device!r}, rate={self.rate}, chunk_ms={self.chunk_ms})"


def _close_quietly(stream: object, thread: threading.Thread, timeout: float = 1.0) -> None:
    """Abort and close a stream without ever hanging the caller on a wedged device."""

    def close() -> None:
        for method in ("abort", "close"):
            try:
                getattr(stream, method)()
            except Exception:
                pass

    deadline = time.monotonic() + timeout
    closer = threading.Thread(target=close, name="checkin-audio-close", daemon=True)
    closer.start()
    closer.join(timeout)
    thread.join(max(0.0, deadline - time.monotonic()))


# --------------------------------------------------------------------------- speakers


class DeviceLost(AudioError):
    """The input device stayed away longer than we wait for it."""


def refresh_devices() -> None:
    """Make PortAudio scan devices again (it lists them once, at start), so a USB
    microphone plugged back in is found without restarting the service."""
    sd = _sd()
    try:
        sd._terminate()
        sd._initialize()
    except Exception:  # an older sounddevice: a restart will find the device
        pass


class NoMicrophone(AudioError):
    """No input device appeared within the wait at start."""


def wait_for_input(
    device: DeviceSpec,
    wait_s: float,
    retry_s: float = 1.0,
    sleep=None,  # noqa: ANN001
    monotonic=None,  # noqa: ANN001
    on_retry=None,  # noqa: ANN001
    waited_s: float | None = None,
) -> int:
    """The input device's index once it exists: a USB microphone can appear late at boot,
    so look again every ``retry_s`` for up to ``wait_s``; then :class:`NoMicrophone`
    (saying ``waited_s``, the whole wait, when part of it went before this call)."""
    import time

    sleep = sleep or time.sleep
    monotonic = monotonic or time.monotonic
    deadline = monotonic() + wait_s
    while True:
        try:
            return find_device(device, "input")
        except AudioError as exc:
            if monotonic() >= deadline:
                raise NoMicrophone(
                    f"no microphone after waiting {waited_s if waited_s is not None else wait_s:g} s ({str(exc).split(';')[0]})"
                ) from None
        sleep(retry_s)
        if on_retry:
            on_retry()


class ReopeningSource:
    """A source that survives its device vanishing: on an :class:`AudioError` it reports
    one line, waits for the device to come back (reopening every ``retry_s``) and goes on
    with the audio clock continuing; after ``give_up_s`` it raises :class:`DeviceLost`.

    ``open_chunks`` opens the device and returns its chunk iterator (e.g.
    ``lambda: MicSource(dev).chunks()``).  While it waits, whoever reads the stream (the
    wake detector or a session's turn) simply waits too: the session is paused.
    """

    def __init__(
        self,
        open_chunks,
        retry_s: float = 1.0,
        give_up_s: float = 120.0,
        log=None,
        sleep=None,
        monotonic=None,
        on_retry=None,
    ):
        import sys
        import time

        self.open_chunks = open_chunks
        self.retry_s = retry_s
        self.give_up_s = give_up_s
        self.log = log or sys.stderr
        self.sleep = sleep or time.sleep
        self.monotonic = monotonic or time.monotonic
        self.on_retry = on_retry
        self.outages = 0

    def chunks(self) -> Iterator[AudioChunk]:
        offset = 0.0
        position = 0.0
        while True:
            try:
                for chunk in self.open_chunks():
                    position = offset + chunk.timestamp + chunk.seconds
                    yield AudioChunk(chunk.pcm, chunk.rate, chunk.channels, offset + chunk.timestamp)
                return
            except DeviceLost:
                raise
            except AudioError as exc:
                self.outages += 1
                print(
                    f"checkin: microphone lost ({exc}); waiting up to {self.give_up_s:g} s for it to come back",
                    file=self.log,
                    flush=True,
                )
                offset = position
                self._wait()

    def _wait(self) -> None:
        deadline = self.monotonic() + self.give_up_s
        while self.monotonic() < deadline:
            self.sleep(self.retry_s)
            if self.on_retry:
                self.on_retry()
            try:
                probe = self.open_chunks()
                next(iter(probe))
            except AudioError:
                continue
            except StopIteration:
                continue
            close = getattr(probe, "close", None)
            if close:
                close()
            print("checkin: microphone is back", file=self.log, flush=True)
            return
        raise DeviceLost(f"the microphone did not come back within {self.give_up_s:g} s")


class Speaker(Protocol):
    """The speaker port: play mono s16le audio, returning when it has been played."""

    def play(self, pcm: bytes, rate: int) -> None: ...


class NullSpeaker:
    """Plays nothing; remembers how much it was asked to play."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.plays = 0

    def play(self, pcm: bytes, rate: int) -> None:
        self.plays += 1
        self.seconds += len(pcm) / (2 * rate)


class WavWriterSpeaker:
    """Appends everything played to one 16-bit mono WAV file (valid after every play).

    The file is created (emptied) on construction.  Audio at another rate than
    ``rate`` is resampled.
    """

    def __init__(self, path: str | os.PathLike[str], rate: int = RATE) -> None:
        self.path = Path(path)
        self.rate = rate
        self._bytes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(_wav_header(0, rate, 1))
        except OSError as exc:
            raise AudioError(f"{self.path}: cannot write ({exc.strerror or one_line(exc)})") from None

    @property
    def seconds(self) -> float:
        return self._bytes / (2 * self.rate)

    def play(self, pcm: bytes, rate: int) -> None:
        if rate != self.rate:
            x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2") / 32768.0
            pcm = to_s16(resample(x, rate, self.rate))
        pcm = pcm[: len(pcm) - len(pcm) % 2]
        try:
            with open(self.path, "r+b") as f:
                f.seek(44 + self._bytes)
                f.write(pcm)
                self._bytes += len(pcm)
                f.seek(0)
                f.write(_wav_header(self._bytes, self.rate, 1))
        except OSError as exc:
            raise AudioError(f"{self.path}: cannot write ({exc.strerror or one_line(exc)})") from None


class SoundDeviceSpeaker:
    """Blocking playback through a sounddevice output stream.

    ``device`` is resolved with :func:`find_device` on first use.  When the device
    refuses the audio's rate (raw ``hw:`` devices often accept only 44.1/48 kHz), the
    audio is resampled to the device's default rate.
    """

    def __init__(self, device: DeviceSpec = None) -> None:
        self.device = device
        self._index: int | None = None

    def play(self, pcm: bytes, rate: int) -> None:
        sd = _sd()
        if self._index is None:
            self._index = find_device(self.device, "output")
        pcm = pcm[: len(pcm) - len(pcm) % 2]
        if not pcm:
            return
        try:
            self._write(sd, pcm, rate)
            return
        except AudioError:
            device_rate = int(_devices()[self._index]["default_samplerate"])
            if device_rate == rate:
                raise
        x = np.frombuffer(pcm, dtype="<i2") / 32768.0
        self._write(sd, to_s16(resample(x, rate, device_rate)), device_rate)

    def _write(self, sd, pcm: bytes, rate: int) -> None:  # noqa: ANN001
        try:
            with sd.RawOutputStream(device=self._index, samplerate=rate, channels=1, dtype="int16") as out:
                out.write(pcm)
        except Exception as exc:
            raise AudioError(f"cannot play on output device {self._index} at {rate} Hz: {one_line(exc)}") from None


__all__ = [
    "AudioError",
    "MicSource",
    "NullSpeaker",
    "RATE",
    "Source",
    "SoundDeviceSpeaker",
    "Speaker",
    "StreamResampler",
    "WavSource",
    "WavWriterSpeaker",
    "chunks",
    "find_device",
    "list_devices",
    "pcm_from_wav_bytes",
    "read_wav",
    "resample",
    "to_s16",
    "wav_bytes",
    "write_wav",
]
