"""Audio turns over a stream: half duplex, endpointing, and a microphone that vanishes."""

from __future__ import annotations

import io

import numpy as np

from assistant.formats.events import Heard, Listen, Silence
from assistant.home.session import Session
from assistant.speech.asr.base import Transcript
from assistant.speech.audio import AudioError, ReopeningSource, chunks
from assistant.speech.listener import AudioTurns
from assistant.speech.vad import EnergyVAD

RATE = 16000


def tone(seconds, amp=6000):
    t = np.arange(int(RATE * seconds)) / RATE
    return (amp * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(np.int16).tobytes()


def turns_of(*args, **kwargs) -> AudioTurns:
    """Audio turns with the energy detector: these tests speak in tones, which it hears
    (Silero, the default, rightly does not: see test_vad.py)."""
    return AudioTurns(*args, vad=EnergyVAD(), **kwargs)


def silence(seconds):
    return b"\x00\x00" * int(RATE * seconds)


class Utterances:
    """A recogniser port that names each utterance in turn and records what it was fed."""

    name = "scripted"
    sample_rate = RATE

    def __init__(self, texts):
        self.texts = list(texts)
        self.grammars = []
        self.fed = []

    def start(self, grammar=None):
        self.grammars.append(grammar)
        outer = self

        class U:
            def __init__(self):
                self.n = 0

            def feed(self, pcm):
                self.n += len(pcm)

            def finish(self):
                outer.fed.append(self.n / 2 / RATE)
                return Transcript(outer.texts.pop(0) if outer.texts else "", 0.9)

        return U()


def choice_listen():
    return Listen(
        "check-in/energy",
        "choice",
        ("high", "low"),
        ("high", "low", "stop"),
        no_input_s=3.0,
        end_silence_s=0.6,
        max_s=5.0,
    )


def test_one_turn_decodes_only_the_utterance_with_its_grammar():
    recogniser = Utterances(["low"])
    stream = chunks(silence(1.0) + tone(0.8) + silence(2.0))
    turns = turns_of(stream, recogniser)
    event = turns.next_turn(choice_listen(), spoken_s=0.0)
    assert isinstance(event, Heard) and event.text == "low" and event.confidence == 0.9
    assert 0.7 <= event.seconds <= 1.0
    assert recogniser.grammars == [["high", "low", "stop"]]
    assert recogniser.fed[0] <= 0.3 + 0.8 + 0.6 + 0.1, (
        "the second of silence before speech is not decoded (only a short pre-roll)"
    )
    timing = turns.timings[0]
    assert abs(timing.speech_start - 1.0) < 0.1 and abs(timing.endpoint_at - 2.4) < 0.15


def test_half_duplex_skips_what_was_heard_while_speaking():
    recogniser = Utterances(["high"])
    # the assistant's own voice (a tone) plays for 2 s, then the couple answers
    stream = chunks(tone(1.8) + silence(0.2) + silence(0.5) + tone(0.6) + silence(1.5))
    event = turns_of(stream, recogniser).next_turn(choice_listen(), spoken_s=2.0)
    assert event.text == "high" and len(recogniser.fed) == 1


def test_no_input_is_silence_and_capture_decodes_freely():
    recogniser = Utterances([])
    event = turns_of(chunks(silence(5.0)), recogniser).next_turn(choice_listen(), 0.0)
    assert isinstance(event, Silence) and recogniser.grammars == []
    recogniser = Utterances(["we went to the sea"])
    capture = Listen("x/y", "capture", no_input_s=5.0, end_silence_s=2.0, max_s=20.0)
    # a thinking pause shorter than end_silence_s does not end the answer
    event = turns_of(chunks(silence(0.5) + tone(1.0) + silence(1.2) + tone(1.0) + silence(3.0)), recogniser).next_turn(
        capture, 0.0
    )
    assert event.text == "we went to the sea" and recogniser.grammars == [None] and event.seconds > 3.0


class FlakyMic:
    """Opens like a microphone: the first time it delivers audio then fails; then it is
    missing ``missing`` times; then it is back."""

    def __init__(self, first, then, missing=2):
        self.parts = [first, then]
        self.missing = missing
        self.opens = 0

    def __call__(self):
        self.opens += 1
        if self.opens == 1:
            return self._fail_after(self.parts[0])
        if self.opens <= 1 + self.missing:
            return self._fail_after(b"")
        return iter(chunks(self.parts[1]))

    @staticmethod
    def _fail_after(pcm):
        yield from chunks(pcm)
        raise AudioError("input device 1 'USB mic' stopped delivering audio (2 s without samples)")


def test_the_mic_vanishes_mid_session_and_comes_back(engine):
    log = io.StringIO()
    mic = FlakyMic(
        silence(0.5) + tone(0.7) + silence(1.5), silence(0.5) + tone(0.7) + silence(2.0) + tone(0.5) + silence(2.0)
    )
    source = ReopeningSource(mic, retry_s=0.0, give_up_s=5.0, log=log)
    recogniser = Utterances(["low", "name a feeling", "stop"])
    session = Session(engine, turns_of(source.chunks(), recogniser))
    record = session.run(("Maya", "Sam"), "check-in")
    assert record["outcome"] == "stopped"
    assert source.outages >= 1
    assert "microphone lost" in log.getvalue() and "microphone is back" in log.getvalue()


def test_the_mic_that_never_returns_ends_the_session_politely(engine):
    log = io.StringIO()
    mic = FlakyMic(silence(0.5) + tone(0.7) + silence(1.5), b"", missing=10**6)
    now = [0.0]
    source = ReopeningSource(
        mic,
        retry_s=1.0,
        give_up_s=30.0,
        log=log,
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        monotonic=lambda: now[0],
    )
    says = []
    session = Session(
        engine,
        turns_of(source.chunks(), Utterances(["low"])),
        sinks=[lambda e: says.append(e.get("text")) if e["type"] == "say" else None],
    )
    record = session.run(("Maya", "Sam"), "check-in")
    assert record["outcome"] == "stopped"
    assert says[-1].startswith("Okay, we'll stop here")
    assert 29 <= now[0] <= 31


class Peeking(Utterances):
    """A recogniser port whose utterances can say what they have so far."""

    def start(self, grammar=None):
        u = super().start(grammar)
        text = self.texts[0] if self.texts else ""
        u.peek = lambda: text
        return u


def test_a_complete_grammar_phrase_ends_the_turn_early():
    listen = Listen(
        "check-in/energy",
        "choice",
        ("high", "low"),
        ("high", "low", "stop"),
        no_input_s=3.0,
        end_silence_s=0.6,
        max_s=5.0,
        complete_silence_s=0.3,
    )
    turns = turns_of(chunks(silence(0.5) + tone(0.8) + silence(2.0)), Peeking(["low"]))
    event = turns.next_turn(listen, 0.0)
    timing = turns.timings[0]
    assert event.text == "low"
    assert 0.28 <= timing.endpoint_at - timing.speech_end <= 0.4, "ended after the complete timeout, not the full 0.6 s"
    # garbage (not a phrase) waits for the full end silence
    turns = turns_of(chunks(silence(0.5) + tone(0.8) + silence(2.0)), Peeking(["mumble"]))
    turns.next_turn(listen, 0.0)
    timing = turns.timings[0]
    assert timing.endpoint_at - timing.speech_end >= 0.58


def test_listening_cues_are_short_soft_sounds_played_before_each_turn():
    from assistant.speech.audio import NullSpeaker
    from assistant.speech.cues import Cues, tone

    for kind in ("wake", "listen"):
        pcm = np.frombuffer(tone(kind), dtype=np.int16)
        assert 0.05 < pcm.size / 16000 < 0.4 and 0 < np.abs(pcm).max() < 0.25 * 32768
    speaker = NullSpeaker()
    cues = Cues(speaker)
    turns = turns_of(iter(()), recogniser=None, cue=cues)  # type: ignore[arg-type]
    turns.next_turn(Listen("x/y", "choice", ("yes",), ("yes",)), 0.0)
    assert cues.played == ["listen"] and speaker.plays == 1


class Speculating:
    """A whole-utterance recogniser port that notes when it decoded and what it kept."""

    name = "speculating"
    sample_rate = RATE

    def __init__(self):
        self.decodes = []  # seconds of audio decoded each time
        self.kept = None

    def start(self, grammar=None):
        outer = self

        class U:
            def __init__(self):
                self.buffer = b""
                self.spec = None

            def feed(self, pcm):
                self.buffer += pcm

            def speculate(self):
                outer.decodes.append(len(self.buffer) / 2 / RATE)
                self.spec = len(self.buffer)

            def settle(self):
                self.buffer = self.buffer[: self.spec]

            def finish(self):
                if self.spec != len(self.buffer):
                    outer.decodes.append(len(self.buffer) / 2 / RATE)
                    return Transcript("decoded at the end", None)
                outer.kept = self.spec
                return Transcript("speculative", None)

        return U()


def test_speculative_decode_in_the_trailing_silence_is_kept_when_no_speech_follows():
    capture = Listen("x/y", "capture", no_input_s=5.0, end_silence_s=2.0, max_s=20.0)
    recogniser = Speculating()
    event = turns_of(chunks(silence(0.5) + tone(1.0) + silence(3.0)), recogniser).next_turn(capture, 0.0)
    assert event.text == "speculative" and len(recogniser.decodes) == 1
    assert recogniser.decodes[0] < 0.3 + 1.0 + 2.0 / 3 + 0.2, (
        "decoded a third into the end silence, before the endpoint"
    )
    # speech resumes after the speculative decode: decoded again, with all of it
    recogniser = Speculating()
    event = turns_of(chunks(silence(0.5) + tone(1.0) + silence(1.0) + tone(0.8) + silence(3.0)), recogniser).next_turn(
        capture, 0.0
    )
    assert (
        event.text == "speculative"
        and len(recogniser.decodes) == 2
        and recogniser.decodes[1] > recogniser.decodes[0] + 1.5
    )
