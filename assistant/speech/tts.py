"""Speech output: render prompts to 16 kHz mono PCM, with an on-disk cache.

:class:`Pyttsx3Synth` drives pyttsx3's espeak-ng driver *only* through
``save_to_file`` + ``runAndWait`` into a temporary WAV (``say()`` shells out to
``aplay``, which is not installed, and fails silently).  Rendering a sentence takes
about 10 ms.  :class:`PromptCache` keeps rendered prompts on disk so a prompt is
synthesised once per (text, voice, rate, rate factor, volume).

Both offer ``render(text, rate_factor=1.0) -> bytes`` (the :class:`Synth` port), so a
cache can stand wherever a synth is expected.

Why the care around pyttsx3 (2.99, espeak driver) — measured, not guessed:

* espeak-ng runs in asynchronous ``AUDIO_OUTPUT_RETRIEVAL`` mode: ``setProperty`` and
  the synthesis are queued to espeak's own thread.  ``runAndWait`` calls the driver's
  ``stop()``, which cancels (``espeak_Cancel``) whatever is still queued — including a rate
  just set — so without a barrier every render after the first kept one stale rate.
* On the engine's first run the driver loop exits ~10 ms after starting synthesis,
  before the audio is written; the WAV is written later from espeak's thread, to
  whatever path ``save_to_file`` names *then*.

So every render runs under one process-wide lock and calls ``espeak_Synchronize()``
before setting properties, after setting them and after ``runAndWait``; the engine is
warmed up once so that properties apply immediately; and the applied rate is checked.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import io
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from ..formats.errors import Fault, one_line
from ..store.files import write_atomically
from .audio import RATE, AudioError, pcm_and_rate_from_wav_bytes, read_wav, wav_bytes

MIN_WPM = 80
"""espeak-ng's slowest speaking rate (words per minute)."""
MAX_WPM = 450
"""espeak-ng's fastest speaking rate without its "sonic" speed-up."""


class TTSError(Fault):
    """Speech could not be synthesised (one-line message)."""


class Synth(Protocol):
    """The speech-synthesis port."""

    name: str
    voice: str | None
    rate: int
    volume: float
    sample_rate: int
    """The rate of the PCM it renders (16 kHz for espeak-ng, the voice's own for Piper)."""

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        """``text`` as mono s16le PCM at ``sample_rate``; ``rate_factor`` < 1 speaks slower."""


def stream(synth: Synth, text: str, rate_factor: float = 1.0) -> Iterator[bytes]:
    """``text`` piece by piece when the synth can stream (Piper, a cache over it), else whole."""
    streaming = getattr(synth, "stream", None)
    if streaming is not None:
        yield from streaming(text, rate_factor)
        return
    pcm = synth.render(text, rate_factor)
    if pcm:
        yield pcm


# pyttsx3 keeps one engine per driver and espeak-ng is a process-wide singleton (its
# voice, rate and volume are global), so every synth shares one engine, under a lock.
_ENGINE_LOCK = threading.RLock()
_ENGINE = None


def _engine():  # noqa: ANN202 - a pyttsx3.Engine
    global _ENGINE
    if _ENGINE is None:
        try:
            import pyttsx3

            engine = pyttsx3.init("espeak")
            # A fresh engine queues commands until its first loop; run an empty loop so
            # that setProperty applies at once (see the module notes).
            with contextlib.redirect_stdout(io.StringIO()):
                engine.runAndWait()
        except Exception as exc:
            raise TTSError(f"cannot start pyttsx3/espeak-ng: {one_line(exc)}") from None
        _ENGINE = engine
        atexit.register(_shutdown)
    return _ENGINE


def _shutdown() -> None:
    """Drop the engine while modules still exist (pyttsx3's __del__ fails at interpreter teardown)."""
    global _ENGINE
    with _ENGINE_LOCK:
        _ENGINE = None
    gc.collect()


def _espeak_module():  # noqa: ANN202
    try:
        from pyttsx3.drivers import _espeak
    except Exception:  # another pyttsx3 layout: fall back to the rate check alone
        return None
    return _espeak


def _synchronize() -> None:
    """Wait until espeak's command queue is empty (a no-op if unavailable)."""
    espeak = _espeak_module()
    if espeak is not None:
        espeak.Synchronize()


def _applied_rate() -> int | None:
    espeak = _espeak_module()
    if espeak is None:
        return None
    return int(espeak.GetParameter(espeak.RATE))


class Pyttsx3Synth:
    """Offline speech through pyttsx3 and espeak-ng.

    ``voice`` is an espeak voice id (``gmw/en``, ``gmw/en-us``...) or name
    (``English (America)``), None for espeak's default; ``rate`` is in words per minute;
    ``volume`` in 0..1.  Raises :class:`TTSError` for an unknown voice.
    """

    name = "pyttsx3"
    sample_rate = RATE

    def __init__(self, voice: str | None = None, rate: int = 165, volume: float = 0.9) -> None:
        self.rate = int(rate)
        self.volume = float(volume)
        if not 0.0 <= self.volume <= 2.0:
            raise TTSError(f"volume must be within 0..2, not {volume}")
        with _ENGINE_LOCK:
            engine = _engine()
            self._default_voice = engine.getProperty("voice")
            self.voice = self._resolve_voice(engine, voice) if voice else None
        self._count = 0

    @staticmethod
    def _resolve_voice(engine, voice: str) -> str:  # noqa: ANN001
        voices = engine.getProperty("voices")
        wanted = voice.strip().casefold()
        for v in voices:
            if v.id.casefold() == wanted:
                return v.id
        for v in voices:
            if (v.name or "").casefold() == wanted:
                return v.id
        for v in voices:
            if v.id.casefold().rsplit("/", 1)[-1] == wanted:
                return v.id
        english = ", ".join(v.id for v in voices if "/en" in v.id)
        raise TTSError(f"unknown espeak voice {voice!r} (English voices: {english})")

    @classmethod
    def voices(cls) -> list[tuple[str, str]]:
        """(id, name) of every installed espeak voice."""
        with _ENGINE_LOCK:
            return [(v.id, v.name) for v in _engine().getProperty("voices")]

    def wpm(self, rate_factor: float = 1.0) -> int:
        """The espeak rate used for ``rate_factor`` (clamped to espeak's range)."""
        return max(MIN_WPM, min(MAX_WPM, round(self.rate * rate_factor)))

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        """``text`` as 16 kHz mono s16le PCM (b"" for blank text)."""
        if not text or not text.strip():
            return b""
        if rate_factor <= 0:
            raise TTSError(f"rate_factor must be positive, not {rate_factor}")
        try:
            return self._render_once(text, rate_factor)
        except TTSError:  # espeak's loop now and then drops a render under load: once more
            return self._render_once(text, rate_factor)

    def _render_once(self, text: str, rate_factor: float) -> bytes:
        with _ENGINE_LOCK, tempfile.TemporaryDirectory(prefix="checkin-tts-", dir=render_base_dir()) as private:
            self._count += 1
            path = os.path.join(private, f"render-{self._count}.wav")  # mkdtemp: mode 0700, deleted on leaving
            engine = _engine()
            wpm = self.wpm(rate_factor)
            try:
                _synchronize()
                # Every property is set on every render: other synths share the engine.
                engine.setProperty("voice", self.voice or self._default_voice)
                engine.setProperty("rate", wpm)
                engine.setProperty("volume", self.volume)
                _synchronize()
                applied = _applied_rate()
                if applied is not None and applied != wpm:
                    raise TTSError(f"espeak did not take rate {wpm} (has {applied})")
                engine.save_to_file(text, path)
                with contextlib.redirect_stdout(io.StringIO()):  # "Audio saved to ..."
                    engine.runAndWait()
                    _synchronize()
            except TTSError:
                _reset_engine_loop(engine)
                raise
            except Exception as exc:
                _reset_engine_loop(engine)
                raise TTSError(f"speech synthesis failed: {one_line(exc)}") from None
            # The driver reports write errors only by printing: check the file itself.
            try:
                if not os.path.exists(path) or os.path.getsize(path) <= 44:
                    raise TTSError(f"speech synthesis produced no audio for {_preview(text)}")
                return read_wav(path)
            except AudioError as exc:
                raise TTSError(f"speech synthesis produced unreadable audio: {exc}") from None
            finally:
                with contextlib.suppress(OSError):
                    os.remove(path)

    def close(self) -> None:
        """Nothing to release: every render cleans up after itself."""

    def __repr__(self) -> str:
        return f"Pyttsx3Synth(voice={self.voice!r}, rate={self.rate}, volume={self.volume})"


def render_base_dir() -> str:
    """Where a render's private folder goes: RAM-backed when possible (nothing the couple said
    touches a disk), else the temp folder."""
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return tempfile.gettempdir()


def _reset_engine_loop(engine) -> None:  # noqa: ANN001
    """After a failure mid-loop pyttsx3 would refuse every later runAndWait."""
    with contextlib.suppress(Exception):
        engine._inLoop = False  # noqa: SLF001 - pyttsx3 has no public reset


def _preview(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= n else flat[: n - 1] + "…")


# --------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """``<user cache dir>/checkin/prompts`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("checkin")) / "prompts"


def clear_cache(directory: Path) -> int:
    """Delete every cached prompt in ``directory`` (``checkin forget``); how many files went."""
    removed = 0
    if directory.is_dir():
        for entry in directory.iterdir():
            if entry.is_file() and entry.suffix == ".wav":
                entry.unlink()
                removed += 1
    return removed


class PromptCache:
    """Rendered static prompts on disk, one WAV per key (at the synth's sample rate), in a
    0700 folder.

    ``static`` lists the texts that may be stored (``checkin prepare``'s); any other text is
    rendered by the synth each time and never written.  ``None`` stores every text (for
    benchmarks and tests of the cache itself).

    The key is the sha256 of (text, synth name, voice, rate, rate_factor, volume), and of
    the voice file itself for a synth that names one (``cache_id``: Piper's file, size and
    date), so a prompt rendered by one voice is never played for another.  A hit reads the
    file and never touches the synth; a miss renders and writes the file atomically
    (temporary file, then rename), so a crash never leaves a half file and concurrent
    processes are safe.  A corrupt entry, or one at another sample rate, is re-rendered.
    """

    VERSION = 1

    def __init__(
        self, synth: Synth, cache_dir: str | os.PathLike[str] | None = None, static: Iterable[str] | None = None
    ) -> None:
        self.synth = synth
        self.dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.static: set[str] | None = None if static is None else set(static)
        self.hits = 0
        self.misses = 0
        self.uncached = 0

    def cacheable(self, text: str) -> bool:
        return self.static is None or text in self.static

    # Mirror the synth so a cache can be used as one (and wrapped in another).
    @property
    def name(self) -> str:
        return getattr(self.synth, "name", type(self.synth).__name__)

    @property
    def voice(self) -> str | None:
        return getattr(self.synth, "voice", None)

    @property
    def rate(self) -> int:
        return getattr(self.synth, "rate", 0)

    @property
    def volume(self) -> float:
        return getattr(self.synth, "volume", 0.0)

    @property
    def sample_rate(self) -> int:
        return int(getattr(self.synth, "sample_rate", RATE))

    def key(self, text: str, rate_factor: float = 1.0) -> str:
        fields = {
            "v": self.VERSION,
            "text": text,
            "synth": self.name,
            "voice": self.voice,
            "rate": self.rate,
            "rate_factor": round(float(rate_factor), 6),
            "volume": round(float(self.volume), 6),
        }
        voice_file = getattr(self.synth, "cache_id", None)
        if voice_file is not None:  # only synths with a voice file: espeak's keys stay as they were
            fields["voice_file"] = voice_file
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    def path(self, text: str, rate_factor: float = 1.0) -> Path:
        return self.dir / f"{self.key(text, rate_factor)}.wav"

    def __contains__(self, text: str) -> bool:
        return self.path(text).exists()

    def _cached(self, path: Path) -> bytes | None:
        """The stored PCM, or None when absent, corrupt or at another sample rate."""
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            pcm, rate = pcm_and_rate_from_wav_bytes(data, str(path))
        except AudioError:
            return None  # corrupt entry: render again and overwrite
        return pcm if rate == self.sample_rate else None

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        """The prompt's PCM: from disk when cached, else rendered (and stored if static)."""
        return b"".join(self.stream(text, rate_factor))

    get = render

    def stream(self, text: str, rate_factor: float = 1.0) -> Iterator[bytes]:
        """The prompt's PCM: a cached prompt whole, else piece by piece as the synth renders it
        (stored once complete if static), so the first words can play at once."""
        if not self.cacheable(text):
            self.uncached += 1
            yield from stream(self.synth, text, rate_factor)
            return
        path = self.path(text, rate_factor)
        pcm = self._cached(path)
        if pcm is not None:
            self.hits += 1
            if pcm:
                yield pcm
            return
        parts = []
        for part in stream(self.synth, text, rate_factor):
            parts.append(part)
            yield part
        self.misses += 1
        self._store(path, b"".join(parts))

    def _store(self, path: Path, pcm: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if path.parent.stat().st_mode & 0o077:
                os.chmod(path.parent, 0o700)
            write_atomically(path, wav_bytes(pcm, self.sample_rate, 1))
        except OSError as exc:
            raise TTSError(f"cannot write prompt cache {self.dir}: {exc.strerror or one_line(exc)}") from None

    def prepare(
        self,
        texts: Iterable[str],
        rate_factors: Iterable[float] = (1.0,),
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Render every text at every rate factor not yet cached; how many were rendered.
        ``progress(done, total)`` is told after each text."""
        factors = tuple(rate_factors)
        rendered = 0
        unique = list(dict.fromkeys(texts))  # unique, in order
        for done, text in enumerate(unique, 1):
            if progress is not None:
                progress(done, len(unique))
            if not text or not text.strip():
                continue
            if self.static is not None:
                self.static.add(text)  # what prepare is given is static by definition
            for factor in factors:
                if self._cached(self.path(text, factor)) is None:
                    self.render(text, factor)
                    rendered += 1
        return rendered

    def clear(self) -> int:
        return clear_cache(self.dir)

    def __repr__(self) -> str:
        return f"PromptCache({self.synth!r}, {str(self.dir)!r})"


__all__ = [
    "MAX_WPM",
    "MIN_WPM",
    "PromptCache",
    "Pyttsx3Synth",
    "Synth",
    "TTSError",
    "clear_cache",
    "default_cache_dir",
    "render_base_dir",
    "stream",
]
