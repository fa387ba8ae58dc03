"""Turns from audio: the VAD gate, endpointing and the recogniser, on the audio clock.

:class:`AudioTurns` is a :class:`~assistant.session.TurnSource` over a stream of
:class:`~assistant.events.AudioChunk` (a microphone or a long recording).  For each
``Listen`` it skips the audio heard while the assistant spoke (half duplex), lets the
endpointer find one utterance, and decodes only that utterance: constrained to the
listen's grammar for choices, freely for captures.  Silence is never decoded.

:func:`decode_file` does the same for one audio file answer (``{"audio": "clip.wav"}``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .asr.base import Recogniser
from .audio import DeviceLost, read_wav
from .audio import chunks as pcm_chunks
from .events import AudioChunk, Event, Heard, Listen, Silence
from .vad import Endpointer, EnergyVAD, NoInput, SpeechAudio, SpeechStarted, TurnParams


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


def listen_once(
    chunks: Iterator[AudioChunk],
    listen: Listen,
    recogniser: Recogniser,
    vad: EnergyVAD | None = None,
    timing: TurnTiming | None = None,
    clock=None,
    *,
    gate: bool = True,
    use_grammar: bool = True,
) -> Event:
    """Run one turn over ``chunks`` (consumed up to the endpoint).

    ``gate=False`` and ``use_grammar=False`` give the naive pipeline the benchmark compares
    against: every sample of the turn decoded, and free decoding even for choices."""
    import time

    clock = clock or time.perf_counter
    params = TurnParams.from_listen(listen)
    endpointer = Endpointer(params, vad=vad)
    grammar = list(listen.grammar) if use_grammar and listen.grammar else None
    utterance = None
    decode = 0.0
    if not gate:
        utterance = recogniser.start(grammar)
    early = listen.complete_silence_s if (gate and grammar and listen.complete_silence_s) else None
    phrases = {" ".join(p.split()) for p in grammar} if grammar else set()
    peeked_pause = False
    accepted: str | None = None
    decided = None
    for chunk in chunks:
        if not gate:
            t0 = clock()
            utterance.feed(chunk.pcm)
            decode += clock() - t0
        for ev in endpointer.feed(chunk):
            if isinstance(ev, SpeechStarted) and gate:
                t0 = clock()
                utterance = recogniser.start(grammar)
                decode += clock() - t0
            elif isinstance(ev, SpeechAudio) and utterance is not None and gate:
                t0 = clock()
                utterance.feed(ev.chunk.pcm)
                decode += clock() - t0
        if endpointer.done:
            decided = chunk.timestamp + chunk.seconds
            break
        if early is not None and utterance is not None and hasattr(utterance, "peek"):
            pause = endpointer.trailing_silence_s
            if pause == 0.0:
                peeked_pause = False
            elif pause + 1e-9 >= early and not peeked_pause:
                peeked_pause = True  # one look per pause
                t0 = clock()
                heard = utterance.peek()
                decode += clock() - t0
                if heard and heard in phrases:
                    accepted = heard
                    decided = chunk.timestamp + chunk.seconds
                    break
    if accepted is not None:
        # early endpoint (completetimeout): the grammar phrase is complete after a short pause
        t0 = clock()
        transcript = utterance.finish()
        final = clock() - t0
        speech_end = endpointer.last_voiced_end
        if timing is not None:
            timing.speech_start, timing.speech_end, timing.endpoint_at = endpointer.speech_start, speech_end, decided
            timing.decode_s, timing.final_decode_s = decode + final, final
        seconds = max(0.0, speech_end - (endpointer.speech_start or speech_end))
        return Heard(transcript.text, confidence=transcript.confidence, seconds=round(seconds, 2))
    result = endpointer.result
    if timing is not None:
        timing.speech_start = endpointer.speech_start
        timing.speech_end = endpointer.speech_end
        timing.endpoint_at = decided
    if utterance is None or isinstance(result, NoInput) or result is None or endpointer.speech_start is None:
        return Silence(getattr(result, "seconds", listen.no_input_s) or listen.no_input_s)
    t0 = clock()
    transcript = utterance.finish()
    final = clock() - t0
    if timing is not None:
        timing.decode_s = decode + final
        timing.final_decode_s = final
    seconds = float(getattr(result, "seconds", 0.0) or 0.0)
    return Heard(transcript.text, confidence=transcript.confidence, seconds=round(seconds, 2))


def decode_file(path: str, listen: Listen, recogniser: Recogniser) -> Event:
    """One audio-file answer: any rate, mono or stereo; padded with silence so the
    endpointer can close the turn."""
    pcm = read_wav(path)
    head = b"\x00\x00" * int(16000 * 0.5)  # the gate learns the room's floor before speech
    tail = b"\x00\x00" * int(16000 * (listen.end_silence_s + 0.5))
    return listen_once(pcm_chunks(head + pcm + tail), listen, recogniser)


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
    flush: object = None
    vad: EnergyVAD = field(default_factory=EnergyVAD)
    timings: list[TurnTiming] = field(default_factory=list)
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
        timing = TurnTiming()
        try:
            event = listen_once(self._chunks(), listen, self.recogniser, self.vad, timing)
        except DeviceLost:
            # The microphone stayed away: end politely (the engine says goodbye and saves).
            return Heard("stop")
        self.timings.append(timing)
        return event
