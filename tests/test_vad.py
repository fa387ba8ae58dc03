"""Voice activity and endpointing on synthesised speech (espeak-ng), silence and noise.

Truth for a synthesised clip is where its samples rise above 1 % of the peak; the clip
is padded with known silence, so the expected times are exact.  Real background noise
from ``shared/speech/noise`` (beside the repository) is mixed in when it is present.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import SHARED_SPEECH

from assistant.formats.events import AudioChunk, Listen
from assistant.speech.audio import chunks, read_wav
from assistant.speech.vad import (
    Endpointer,
    EnergyVAD,
    MaxLength,
    NoInput,
    SpeechAudio,
    SpeechEnded,
    SpeechStarted,
    TurnParams,
    rms_db,
    segments,
)

RATE = 16000
START_TOL = 0.1
END_TOL = 0.15

NOISE_DIR = SHARED_SPEECH / "noise" if (SHARED_SPEECH / "noise").is_dir() else None

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")


@cache
def espeak(text: str) -> np.ndarray:
    """``text`` spoken by espeak-ng, as 16 kHz int16 samples."""
    from assistant.speech.synthetic import espeak_pcm

    return np.frombuffer(espeak_pcm(text, voice="en", speed=175), dtype="<i2").copy()


def truth(x: np.ndarray) -> tuple[float, float]:
    a = np.abs(x.astype(np.float64))
    idx = np.nonzero(a > 0.01 * a.max())[0]
    return idx[0] / RATE, (idx[-1] + 1) / RATE


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.float64)


def to_pcm(x: np.ndarray) -> bytes:
    return np.clip(np.rint(x), -32768, 32767).astype("<i2").tobytes()


def run_turn(pcm: bytes, params: TurnParams, chunk_ms: int = 30, vad: EnergyVAD | None = None) -> list:
    ep = Endpointer(params, vad)
    return ep.feed_all(chunks(pcm, RATE, chunk_ms))


def kinds(events: list) -> list[str]:
    return [type(e).__name__ for e in events if not isinstance(e, SpeechAudio)]


def first(events: list, kind: type):
    return next(e for e in events if isinstance(e, kind))


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)) / 32768 + 1e-12)


def mix(speech: np.ndarray, lead: float, tail: float, noise: np.ndarray | None = None, snr_db: float = 20.0):
    """Speech padded with silence, plus noise at ``snr_db`` below the speech level."""
    y = np.concatenate([silence(lead), speech.astype(np.float64), silence(tail)])
    if noise is not None:
        n = np.resize(noise.astype(np.float64), len(y))
        y = y + n * 10 ** ((db(speech) - snr_db - db(n)) / 20)
    return y


SENTENCE = "Yes, I think we should talk about the weekend."
COMMON = yaml.safe_load((Path(__file__).resolve().parent.parent / "dialogs" / "common.yaml").read_text())["defaults"][
    "timeouts"
]
CHOICE = TurnParams.from_timeouts(COMMON["choice"], no_input_s=8.0)


# --------------------------------------------------------------------------- speech


@needs_espeak
@pytest.mark.speech
def test_clean_speech_start_and_end() -> None:
    speech = espeak(SENTENCE)
    t0, t1 = truth(speech)
    y = mix(speech, 1.0, 1.5)
    events = run_turn(to_pcm(y), CHOICE)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    start, end = first(events, SpeechStarted), first(events, SpeechEnded)
    assert start.timestamp == pytest.approx(1.0 + t0, abs=START_TOL)
    assert end.timestamp == pytest.approx(1.0 + t1, abs=END_TOL)
    assert end.seconds == pytest.approx(end.timestamp - start.timestamp)


@needs_espeak
@pytest.mark.speech
@pytest.mark.parametrize("noise_db", [-60, -45])
def test_speech_in_white_noise(noise_db: float) -> None:
    speech = espeak(SENTENCE)
    t0, t1 = truth(speech)
    y = mix(speech, 1.2, 1.5)
    y = y + np.random.default_rng(7).normal(0, 32768 * 10 ** (noise_db / 20), len(y))
    events = run_turn(to_pcm(y), CHOICE)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    assert first(events, SpeechStarted).timestamp == pytest.approx(1.2 + t0, abs=START_TOL)
    assert first(events, SpeechEnded).timestamp == pytest.approx(1.2 + t1, abs=END_TOL)


@needs_espeak
@pytest.mark.speech
@pytest.mark.skipif(NOISE_DIR is None, reason="shared/speech/noise not present")
@pytest.mark.parametrize("clip", ["noise3", "noise5"])
def test_speech_in_recorded_noise(clip: str) -> None:
    """Steady recorded background noise at 15 dB SNR."""
    path = next(NOISE_DIR.glob(f"*{clip}.wav"))
    noise = np.frombuffer(read_wav(path), dtype="<i2")[RATE // 2 :]  # skip any fade-in
    speech = espeak(SENTENCE)
    t0, t1 = truth(speech)
    y = mix(speech, 1.5, 1.5, noise, snr_db=15.0)
    events = run_turn(to_pcm(y), CHOICE)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    assert first(events, SpeechStarted).timestamp == pytest.approx(1.5 + t0, abs=START_TOL)
    assert first(events, SpeechEnded).timestamp == pytest.approx(1.5 + t1, abs=END_TOL)


@needs_espeak
@pytest.mark.speech
@pytest.mark.skipif(NOISE_DIR is None, reason="shared/speech/noise not present")
def test_speech_in_bursty_recorded_noise() -> None:
    """noise1 swells by ~10 dB now and then: a swell right after the answer is heard as
    more speech (an energy gate cannot tell), so only the start is held tight here."""
    path = next(NOISE_DIR.glob("*noise1.wav"))
    noise = np.frombuffer(read_wav(path), dtype="<i2")[RATE // 2 :]
    speech = espeak(SENTENCE)
    t0, t1 = truth(speech)
    for lead in (0.5, 1.0, 1.5):
        events = run_turn(to_pcm(mix(speech, lead, 2.0, noise, snr_db=15.0)), CHOICE)
        assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
        assert first(events, SpeechStarted).timestamp == pytest.approx(lead + t0, abs=START_TOL)
        assert -END_TOL <= first(events, SpeechEnded).timestamp - (lead + t1) <= 1.0


@needs_espeak
@pytest.mark.speech
@pytest.mark.parametrize("word", ["No.", "Yes.", "Stop."])
def test_short_answers_count_as_speech(word: str) -> None:
    speech = espeak(word)
    t0, t1 = truth(speech)
    events = run_turn(to_pcm(mix(speech, 0.5, 1.0)), CHOICE)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    assert first(events, SpeechStarted).timestamp == pytest.approx(0.5 + t0, abs=START_TOL)
    assert first(events, SpeechEnded).timestamp == pytest.approx(0.5 + t1, abs=END_TOL)


# --------------------------------------------------------------------------- not speech


def burst(seconds: float, tau: float, peak_db: float = -3.0, seed: int = 3) -> np.ndarray:
    """A noise burst (a click, a clatter of cutlery) with an exponential decay."""
    t = np.arange(int(RATE * (seconds + 8 * tau))) / RATE
    envelope = np.where(t < seconds, 1.0, np.exp(-(t - seconds) / tau))
    return np.random.default_rng(seed).normal(0, 1, len(t)) * envelope * 32768 * 10 ** (peak_db / 20) / 3


@pytest.mark.parametrize(
    "name, sound",
    [
        ("click", burst(0.005, 0.005)),
        ("clatter", burst(0.1, 0.01)),
        (
            "three clicks",
            np.concatenate([burst(0.005, 0.005), silence(0.1), burst(0.005, 0.005), silence(0.1), burst(0.01, 0.005)]),
        ),
    ],
)
@pytest.mark.parametrize("room_db", [None, -60.0])
def test_clicks_and_clatter_do_not_start_speech(name: str, sound: np.ndarray, room_db: float | None) -> None:
    y = np.concatenate([silence(1.0), sound, silence(2.0)])
    if room_db is not None:
        y = y + np.random.default_rng(5).normal(0, 32768 * 10 ** (room_db / 20), len(y))
    events = run_turn(to_pcm(y), TurnParams(no_input_s=2.5))
    assert kinds(events) == ["NoInput"], name
    assert not any(isinstance(e, SpeechAudio) for e in events)


@needs_espeak
@pytest.mark.speech
def test_click_in_a_pause_does_not_extend_the_turn() -> None:
    speech = espeak("No.")
    _, t1 = truth(speech)
    y = np.concatenate([silence(0.5), speech.astype(float), silence(0.3), burst(0.005, 0.005), silence(1.5)])
    end = first(run_turn(to_pcm(y), CHOICE), SpeechEnded)
    assert end.timestamp == pytest.approx(0.5 + t1, abs=END_TOL)


# --------------------------------------------------------------------------- turn logic


@needs_espeak
@pytest.mark.speech
def test_thinking_pause_shorter_than_end_silence_does_not_end_the_turn() -> None:
    a, b = espeak("I think"), espeak("we should rest more.")
    a0, _ = truth(a)
    _, b1 = truth(b)
    pause = 1.5
    y = np.concatenate([silence(0.8), a.astype(float), silence(pause), b.astype(float), silence(3.0)])
    b_start = 0.8 + len(a) / RATE + pause

    capture = run_turn(to_pcm(y), TurnParams.from_timeouts(COMMON["capture"]))  # the dialogs' thinking time
    assert kinds(capture) == ["SpeechStarted", "SpeechEnded"]
    assert first(capture, SpeechStarted).timestamp == pytest.approx(0.8 + a0, abs=START_TOL)
    assert first(capture, SpeechEnded).timestamp == pytest.approx(b_start + b1, abs=END_TOL)

    choice = run_turn(to_pcm(y), CHOICE)  # 0.6 s: the pause ends the answer
    assert first(choice, SpeechEnded).timestamp < b_start


def test_no_input_fires_on_silence() -> None:
    events = run_turn(to_pcm(silence(5.0)), TurnParams(no_input_s=2.0))
    assert kinds(events) == ["NoInput"]
    (ev,) = events
    assert ev.seconds == pytest.approx(2.0, abs=0.031)
    assert ev.timestamp == pytest.approx(2.0, abs=0.031)


def test_no_input_counts_from_the_turn_start_on_the_audio_clock() -> None:
    hiss = np.random.default_rng(1).normal(0, 30, RATE * 4)
    ep = Endpointer(TurnParams(no_input_s=1.0))
    events = ep.feed_all(chunks(to_pcm(hiss), RATE, 30, start=100.0))
    assert isinstance(ep.result, NoInput) and ep.done
    assert events[-1].timestamp == pytest.approx(101.0, abs=0.031)
    assert ep.feed(AudioChunk(b"\x00\x00" * 480, RATE, 1, 105.0)) == []  # done: ignored


@needs_espeak
@pytest.mark.speech
def test_max_length_cuts_a_long_answer() -> None:
    speech = espeak("and then we went on and on and on about the garden and the house and the car")
    t0, _ = truth(speech)
    y = mix(speech, 0.5, 0.5)
    events = run_turn(to_pcm(y), TurnParams(max_s=1.5))
    assert kinds(events) == ["SpeechStarted", "MaxLength"]
    cut = first(events, MaxLength)
    assert cut.seconds == pytest.approx(1.5, abs=0.031)
    assert cut.timestamp == pytest.approx(first(events, SpeechStarted).timestamp + 1.5, abs=0.031)


@needs_espeak
@pytest.mark.speech
def test_recogniser_audio_starts_with_the_pre_roll_and_is_contiguous() -> None:
    speech = espeak(SENTENCE)
    pcm = to_pcm(mix(speech, 1.0, 1.5))
    params = TurnParams.from_timeouts(COMMON["choice"], pre_roll_s=0.3)
    events = run_turn(pcm, params, chunk_ms=20)
    start = first(events, SpeechStarted).timestamp
    audio = [e.chunk for e in events if isinstance(e, SpeechAudio)]
    # Audio events come only after SpeechStarted, and begin ~pre_roll_s before it.
    assert kinds(events)[0] == "SpeechStarted" and isinstance(events[1], SpeechAudio)
    assert audio[0].timestamp == pytest.approx(start - 0.3, abs=0.031)
    # Contiguous, and exactly the input samples from there on.
    for before, after in zip(audio, audio[1:]):
        assert after.timestamp == pytest.approx(before.timestamp + before.seconds)
    fed = b"".join(c.pcm for c in audio)
    offset = round(audio[0].timestamp * RATE) * 2
    assert fed == pcm[offset : offset + len(fed)]
    assert audio[-1].timestamp + audio[-1].seconds >= first(events, SpeechEnded).timestamp + 0.5


@needs_espeak
@pytest.mark.speech
@pytest.mark.parametrize("chunk_ms", [10, 30, 64, 250])
def test_chunk_size_does_not_change_the_result(chunk_ms: int) -> None:
    pcm = to_pcm(mix(espeak(SENTENCE), 1.0, 1.5))
    reference = [e for e in run_turn(pcm, CHOICE, 30) if not isinstance(e, SpeechAudio)]
    events = [e for e in run_turn(pcm, CHOICE, chunk_ms) if not isinstance(e, SpeechAudio)]
    assert [type(e) for e in events] == [type(e) for e in reference]
    for got, want in zip(events, reference):
        assert got.timestamp == pytest.approx(want.timestamp, abs=1e-6)


def test_turn_params_from_listen() -> None:
    listen = Listen(node="d/n", mode="capture", no_input_s=12.0, end_silence_s=2.0, max_s=45.0)
    p = TurnParams.from_listen(listen, pre_roll_s=0.5)
    assert (p.no_input_s, p.end_silence_s, p.max_s, p.pre_roll_s) == (12.0, 2.0, 45.0, 0.5)
    assert TurnParams.from_timeouts(COMMON["choice"]).end_silence_s == COMMON["choice"]["end_silence_s"]
    assert TurnParams.from_timeouts(COMMON["capture"]).max_s == COMMON["capture"]["max_s"]


def test_stationary_noise_step_does_not_hold_the_gate_open() -> None:
    """A fan switching on mid-turn looks like speech at first; it must let go."""
    rng = np.random.default_rng(2)
    y = np.concatenate([rng.normal(0, 30, RATE), rng.normal(0, 2000, RATE * 6)])
    ep = Endpointer(TurnParams(end_silence_s=0.6, max_s=10.0, no_input_s=20.0))
    ep.feed_all(chunks(to_pcm(y)))
    assert isinstance(ep.result, SpeechEnded)
    assert ep.result.timestamp < 2.5  # released after ~1 s of steady level
    # ...and the floor has learnt the fan: the next turn hears only silence.
    nxt = Endpointer(TurnParams(no_input_s=2.0), ep.vad)
    assert kinds(nxt.feed_all(chunks(to_pcm(rng.normal(0, 2000, RATE * 3)), start=7.0))) == ["NoInput"]


@needs_espeak
@pytest.mark.speech
def test_vad_reused_across_turns_keeps_its_floor() -> None:
    rng = np.random.default_rng(4)
    vad = EnergyVAD()
    run_turn(to_pcm(rng.normal(0, 300, RATE * 2)), TurnParams(no_input_s=1.5), vad=vad)
    floor = vad.floor_db
    assert floor == pytest.approx(db(rng.normal(0, 300, RATE)), abs=3)
    speech = espeak(SENTENCE)
    y = mix(speech, 0.0, 1.0) + rng.normal(0, 300, len(speech) + RATE)
    events = run_turn(to_pcm(y), CHOICE, vad=vad)
    assert kinds(events) == ["SpeechStarted", "SpeechEnded"]
    assert first(events, SpeechStarted).timestamp == pytest.approx(truth(speech)[0], abs=START_TOL)


def test_rms_db() -> None:
    assert rms_db(np.zeros(480, dtype=np.int16)) == -90.0
    full = (np.sin(np.arange(480) * 2 * np.pi / 48) * 32767).astype(np.int16)
    assert rms_db(full) == pytest.approx(-3.01, abs=0.05)
    assert rms_db(np.full(480, 1000, dtype=np.int16)) == -90.0  # DC is not sound


@needs_espeak
@pytest.mark.speech
def test_segments_helper_finds_each_utterance() -> None:
    a, b = espeak("Yes."), espeak("Let's do that.")
    y = np.concatenate([silence(0.5), a.astype(float), silence(1.0), b.astype(float), silence(0.8)])
    found = segments(to_pcm(y))
    assert len(found) == 2
    assert found[0][0] == pytest.approx(0.5 + truth(a)[0], abs=START_TOL)
    b_at = 0.5 + len(a) / RATE + 1.0
    assert found[1][1] == pytest.approx(b_at + truth(b)[1], abs=END_TOL)
