"""Turns from audio: the VAD gate, endpointing and the recogniser, on the audio clock.

:class:`AudioTurns` is a :class:`~assistant.home.session.TurnSource` over a stream of
:class:`~assistant.formats.events.AudioChunk` (a microphone or a long recording).  For each
``Listen`` it skips the audio heard while the assistant spoke (half duplex), lets the
endpointer find one utterance, and decodes only that utterance: constrained to the
listen's grammar for choices, freely for captures.  Silence is never decoded.

:func:`decode_file` does the same for one audio file answer (``{"audio": "clip.wav"}``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, TypeVar

from ..formats.events import AudioChunk, Event, Heard, Listen, Silence
from .asr.base import Recogniser, Transcript, Utterance
from .audio import DeviceLost, read_wav
from .audio import chunks as pcm_chunks
from .speaker import Attributor
from .vad import Endpointer, FrameVAD, NoInput, SpeechAudio, SpeechStarted, TurnParams, default_vad

T = TypeVar("T")


@dataclass
class TurnTiming:
    """Where the time of one turn went, on the audio clock and in processing."""

    speech_start: float | None = None
    speech_end: float | None = None
    endpoint_at: float | None = None
    """When the endpointer decided the turn was over (audio clock)."""
    decode_s: float = 0.0
    """Processing spent in the recogniser (feeding and the final decode), wall clock."""
    final_decode_s: float = 0.0
    """The part of it after the endpoint decision."""
    overrun_s: float = 0.0
    """Decoding started in the trailing silence (an early look, a speculative decode) that
    was still running at the endpoint decision, were the audio live: it runs from its
    place on the audio clock for its wall time."""
    fallback: bool = False
    """A choice answered by the fallback recogniser's words outside the grammar (Whisper's,
    for the text understanding), not by a phrase."""
    speaker_s: float = 0.0
    """Processing spent attributing the utterance to a partner (while it was spoken and after)."""
    speaker_final_s: float = 0.0
    """The part of it after the endpoint decision (what delays the reply)."""


Attribute = Callable[[], Attributor]
"""Starts the attribution of one utterance (the enrolled partners' voiceprints in it)."""


SPECULATE_AFTER_S = 0.25
"""Trailing silence after which a whole-utterance recogniser (Whisper) starts decoding a
turn without an early look, before the endpointer has decided (and at least a third of the
turn's end silence, so thinking pauses in a long answer do not each cost a decode): kept
when no more speech follows."""


PRE_LOOK_S = 0.15
"""In a turn with an early look (a grammar: choices, a day, a time), the whole-utterance
decode (Whisper's) starts after this much trailing silence, so it is ready at the early look
(``complete_silence_s``, 0.3 s) instead of starting there: such answers are short, so a
pause that speech follows costs little (a Pi 4 core takes about 0.3 s for the decode)."""


class Turn:
    """One listening turn: the endpointer, the open utterance and where the time went.

    ``gate=False`` and ``use_grammar=False`` give the naive pipeline the benchmark compares
    against: every sample of the turn decoded, and free decoding even for choices.

    ``vad``: the stream's frame classifier (:func:`~assistant.speech.vad.default_vad`, Silero,
    when not given).  :attr:`voiced` keeps its decision for each frame of the audio the
    recogniser was fed (each :attr:`frame_s` long), so a later step can tell speech
    from the pauses in an utterance."""

    def __init__(
        self,
        listen: Listen,
        recogniser: Recogniser,
        vad: FrameVAD | None = None,
        clock: Callable[[], float] | None = None,
        *,
        gate: bool = True,
        use_grammar: bool = True,
        attribute: Attribute | None = None,
    ) -> None:
        self.listen = listen
        self.attribute = attribute
        self.attribution: Attributor | None = None
        self.speaker_s = 0.0
        self._speaker_prepared_for: float | None = None
        self.recogniser = recogniser
        self.clock = clock or time.perf_counter
        self.gate = gate
        self.endpointer = Endpointer(TurnParams.from_listen(listen), vad=vad if vad is not None else default_vad())
        self.frame_s = self.endpointer.vad.frame_s
        self.voiced: list[bool] = []
        """The VAD's decision per frame of the utterance's audio (pre-roll included)."""
        self.grammar = list(listen.grammar) if use_grammar and listen.grammar else None
        self.early = listen.complete_silence_s if (gate and self.grammar and listen.complete_silence_s) else None
        self.phrases = {" ".join(p.split()) for p in self.grammar} if self.grammar else set()
        self.utterance: Utterance | None = recogniser.start(self.grammar) if not gate else None
        self.decode_s = 0.0
        self.decided: float | None = None
        self.accepted = False
        self._looked = False
        self._speculated_at: float | None = None
        """``endpointer.last_voiced_end`` when the speculative decode ran."""
        self._busy_until = 0.0
        """Audio-clock time until which decoding in the trailing silence kept the recogniser busy."""

    def _busy(self, at: float, work: Callable[[], T]) -> T:
        """Decode now, at ``at`` on the audio clock (see :attr:`TurnTiming.overrun_s`)."""
        t0 = self.clock()
        result = self._timed(work)
        self._busy_until = max(self._busy_until, at) + (self.clock() - t0)
        return result

    def _timed(self, work: Callable[[], T]) -> T:
        t0 = self.clock()
        try:
            return work()
        finally:
            self.decode_s += self.clock() - t0

    def feed(self, chunk: AudioChunk) -> bool:
        """Consume one chunk; True when the turn is over."""
        if not self.gate and self.utterance is not None:
            self._timed(partial(self.utterance.feed, chunk.pcm))
        for ev in self.endpointer.feed(chunk):
            if isinstance(ev, SpeechStarted):
                if self.gate:
                    self.utterance = self._timed(partial(self.recogniser.start, self.grammar))
                if self.attribute is not None:
                    self.attribution = self.attribute()
            elif isinstance(ev, SpeechAudio):
                self.voiced.extend(ev.voiced)
                if self.utterance is not None and self.gate:
                    self._timed(partial(self.utterance.feed, ev.chunk.pcm))
                if self.attribution is not None:
                    t0 = self.clock()
                    self.attribution.feed(ev.chunk.pcm)  # a 1.6 s window is encoded as soon as it is complete
                    self.speaker_s += self.clock() - t0
        end = chunk.timestamp + chunk.seconds
        if self.endpointer.done:
            self.decided = end
            return True
        pause = self.endpointer.trailing_silence_s
        if pause == 0.0:
            self._looked = False
            return False
        if self.attribution is not None and pause + 1e-9 >= PRE_LOOK_S:
            self._prepare_speaker(end)
        if self.early is not None and not self._looked and pause + 1e-9 >= self.early:
            self._looked = True  # one look per pause
            self._settle_if_speculated()
            if self._complete_phrase(end):
                self.accepted, self.decided = True, end
                return True
        self._maybe_speculate(pause, end)
        return False

    def _prepare_speaker(self, at: float) -> None:
        """In the trailing silence: encode the last partial window now, so that the endpoint
        finds who spoke already worked out (kept unless speech resumes)."""
        assert self.attribution is not None
        if self._speaker_prepared_for == self.endpointer.last_voiced_end:
            return  # once a pause
        self._speaker_prepared_for = self.endpointer.last_voiced_end
        t0 = self.clock()
        self.attribution.prepare()
        spent = self.clock() - t0
        self.speaker_s += spent
        self._busy_until = max(self._busy_until, at) + spent

    def _complete_phrase(self, at: float) -> bool:
        peek = getattr(self.utterance, "peek", None)
        if not callable(peek):
            return False
        heard = self._busy(at, peek)
        return bool(heard) and heard in self.phrases

    def _settle_if_speculated(self) -> None:
        """No speech since the speculative decode: the utterance keeps it (and drops the
        silence fed since, so a look now does not decode again)."""
        if self._speculated_at is not None and self._speculated_at == self.endpointer.last_voiced_end:
            settle = getattr(self.utterance, "settle", None)
            if callable(settle):
                settle()

    def _maybe_speculate(self, pause: float, at: float) -> None:
        """Start a whole-utterance decode in the first part of the trailing silence."""
        speculate = getattr(self.utterance, "speculate", None)
        after = PRE_LOOK_S if self.early is not None else max(SPECULATE_AFTER_S, self.listen.end_silence_s / 3)
        if not callable(speculate) or not self.gate or pause + 1e-9 < after:
            return
        voiced_end = self.endpointer.last_voiced_end
        if self._speculated_at == voiced_end:
            return
        self._speculated_at = voiced_end
        self._busy(at, speculate)

    def _finish(self) -> tuple[Transcript, float]:
        utterance = self.utterance
        assert utterance is not None
        self._settle_if_speculated()
        t0 = self.clock()
        transcript = utterance.finish()
        final = self.clock() - t0
        self.decode_s += final
        return transcript, final

    def result(self, timing: TurnTiming | None = None) -> Event:
        """The turn's event (after :meth:`feed` returned True or the audio ran out)."""
        ep = self.endpointer
        speech_end = ep.last_voiced_end if self.accepted else ep.speech_end
        if timing is not None:
            timing.speech_start, timing.speech_end, timing.endpoint_at = ep.speech_start, speech_end, self.decided
        outcome = ep.result
        heard = self.accepted or not (
            self.utterance is None or isinstance(outcome, NoInput) or outcome is None or ep.speech_start is None
        )
        if not heard:
            seconds = getattr(outcome, "seconds", None)
            return Silence(float(seconds) if seconds else self.listen.no_input_s)
        transcript, final = self._finish()
        speaker, attributed, speaker_final = None, False, 0.0
        if self.attribution is not None:
            t0 = self.clock()
            speaker, attributed = self.attribution.result().speaker, True
            speaker_final = self.clock() - t0
            self.speaker_s += speaker_final
        if timing is not None:
            timing.decode_s, timing.final_decode_s = self.decode_s, final
            timing.speaker_s, timing.speaker_final_s = self.speaker_s, speaker_final
            timing.overrun_s = max(0.0, self._busy_until - (self.decided or 0.0))
            timing.fallback = bool(getattr(self.utterance, "used_fallback", False))
        if self.accepted:
            end = ep.last_voiced_end or 0.0
            seconds = max(0.0, end - (ep.speech_start or end))
        else:
            seconds = float(getattr(outcome, "seconds", 0.0) or 0.0)
        return Heard(
            transcript.text,
            confidence=transcript.confidence,
            seconds=round(seconds, 2),
            speaker=speaker,
            attributed=attributed,
        )


def listen_once(
    chunks: Iterable[AudioChunk],
    listen: Listen,
    recogniser: Recogniser,
    vad: FrameVAD | None = None,
    timing: TurnTiming | None = None,
    clock: Callable[[], float] | None = None,
    *,
    gate: bool = True,
    use_grammar: bool = True,
    attribute: Attribute | None = None,
) -> Event:
    """Run one :class:`Turn` over ``chunks`` (consumed up to the endpoint)."""
    turn = Turn(listen, recogniser, vad, clock, gate=gate, use_grammar=use_grammar, attribute=attribute)
    for chunk in chunks:
        if turn.feed(chunk):
            break
    return turn.result(timing)


def decode_file(path: str, listen: Listen, recogniser: Recogniser, attribute: Attribute | None = None) -> Event:
    """One audio-file answer: any rate, mono or stereo; padded with silence so the
    endpointer can close the turn.  The microphone's path: endpointing, decoding and, with
    ``attribute``, who spoke."""
    pcm = read_wav(path)
    head = b"\x00\x00" * int(16000 * 0.5)  # the gate learns the room's floor before speech
    tail = b"\x00\x00" * int(16000 * (listen.end_silence_s + 0.5))
    return listen_once(pcm_chunks(head + pcm + tail), listen, recogniser, attribute=attribute)


@dataclass
class AudioTurns:
    """Turns from a continuous audio stream (mic or recording), half duplex.

    ``live``: the stream is a microphone whose samples piled up while the assistant spoke
    (call ``flush`` on the source); otherwise ``spoken_s`` seconds of the recording are
    skipped, as a room keeps going while the assistant talks.
    """

    stream: Iterator[AudioChunk]
    recogniser: Recogniser
    live: bool = False
    flush: Callable[[], object] | None = None
    vad: FrameVAD = field(default_factory=default_vad)
    """The stream's frame classifier, kept across its turns (Silero unless it cannot load)."""
    cue: Callable[[str], float] | None = None
    """Plays the "listening" cue before each turn (see :mod:`assistant.speech.cues`)."""
    timings: list[TurnTiming] = field(default_factory=list)
    attribute: Attribute | None = None
    """Who spoke each utterance (None: nobody enrolled, no attribution)."""
    position: float = 0.0
    """The audio clock: the timestamp just after the last chunk consumed."""

    def _chunks(self) -> Iterator[AudioChunk]:
        for chunk in self.stream:
            self.position = chunk.timestamp + chunk.seconds
            yield chunk

    def skip(self, seconds: float) -> None:
        """Ignore ``seconds`` of input (the assistant was speaking)."""
        if self.live:
            if callable(self.flush):
                self.flush()
            return
        until = self.position + seconds
        while self.position < until:
            chunk = next(self.stream, None)
            if chunk is None:
                raise StopIteration
            self.position = chunk.timestamp + chunk.seconds

    def next_turn(self, listen: Listen, spoken_s: float) -> Event:
        try:
            self.skip(spoken_s)
        except StopIteration:
            return Silence(listen.no_input_s)
        if self.cue is not None:
            self.cue("listen")
            if self.live and callable(self.flush):
                self.flush()  # the cue is not an answer
        timing = TurnTiming()
        try:
            event = listen_once(self._chunks(), listen, self.recogniser, self.vad, timing, attribute=self.attribute)
        except DeviceLost:
            # The microphone stayed away: end politely (the engine says goodbye and saves).
            return Heard("stop")
        self.timings.append(timing)
        return event
