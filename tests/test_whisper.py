"""Whisper (faster-whisper, tiny.en): the model check, noise is silence, real and Piper
speech, and the fast path for choices that hands what it is not sure of to Whisper.

The model loads once per test session (the registry keeps it); these tests are few on
purpose (each decode costs about 0.3 s of a core)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from synth import needs_espeak, needs_piper, piper_pcm

from assistant.cli import main as cli
from assistant.speech.asr import RecogniserError, read_wav_pcm, transcribe
from assistant.speech.asr.registry import AsrOptions, load
from assistant.speech.asr.wer import word_error_rate
from assistant.speech.asr.whisper import EMBEDDED_SHA256, SUMS_FILE, embedded_model_dir, verify_model
from assistant.speech.audio import write_wav
from assistant.speech.synthetic import espeak_pcm

pytestmark = pytest.mark.speech
ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))
needs_shared = pytest.mark.skipif(not (SHARED_SPEECH / "transcribed").is_dir(), reason="../shared/speech is absent")

FREE_WER = 0.15
"""Free sentences spoken by Piper through a whole check-in: at most this word error rate
(measured: 0 to 5%)."""


@pytest.fixture(scope="session")
def whisper():
    return load("whisper", AsrOptions())


@pytest.fixture
def corrupt_model(tmp_path) -> Path:
    """A copy of the embedded model with its checksums, then one byte of model.bin flipped."""
    model = tmp_path / "tiny.en"
    shutil.copytree(embedded_model_dir(), model)
    (model / SUMS_FILE).write_text("".join(f"{sha}  {name}\n" for name, sha in EMBEDDED_SHA256.items()))
    verify_model(model)  # the intact copy passes
    with open(model / "model.bin", "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    return model


@needs_espeak
def test_a_corrupted_model_is_one_line_and_exit_1(corrupt_model, tmp_path):
    with pytest.raises(RecogniserError, match="corrupt"):
        verify_model(corrupt_model, embedded=True)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "asr": {"choices": "whisper", "fallback": None, "free": "whisper", "whisper_model": str(corrupt_model)},
                "journal": {"path": str(tmp_path / "j.sqlite3")},
            }
        )
    )
    clip = tmp_path / "medium.wav"
    write_wav(clip, espeak_pcm("medium"))  # speech: a tone opens no turn, so it never reaches the model
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"partners": ["Maya", "Sam"], "turns": [{"audio": str(clip)}]}))
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "simulate", str(scenario), "--config", str(cfg)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    err = result.stderr.strip()
    assert "\n" not in err and "corrupt (SHA-256 mismatch)" in err and "model.bin" in err


def test_a_model_folder_without_checksums_is_refused(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(RecogniserError, match=SUMS_FILE):
        verify_model(tmp_path / "m")


def test_made_noise_is_silence(whisper):
    rng = np.random.default_rng(1)
    t = np.arange(16000 * 4) / 16000
    hum = 3000 * np.sin(2 * np.pi * 110 * t) * (1 + np.sin(2 * np.pi * 0.5 * t))
    for noise in (rng.normal(0, 2000, t.size), hum + rng.normal(0, 300, t.size)):
        assert transcribe(whisper, noise.astype(np.int16).tobytes()).text == ""


@needs_shared
def test_recorded_noise_is_silence(whisper):
    heard = []
    for clip in sorted((SHARED_SPEECH / "noise").glob("*.wav")):
        pcm = read_wav_pcm(clip)
        for start in range(0, len(pcm), 32000 * 8):
            heard.append(transcribe(whisper, pcm[start : start + 32000 * 8]).text)
    assert heard and heard == [""] * len(heard)


@needs_shared
def test_real_sentences_within_the_target_word_error_rate(whisper):
    rows = [line.split("\t") for line in (SHARED_SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    sentences = [(row[4], SHARED_SPEECH / row[0]) for row in rows if row[0].startswith("transcribed/")][::4]
    pairs = [(text, transcribe(whisper, read_wav_pcm(path)).text) for text, path in sentences]
    wer = word_error_rate(pairs)
    print(f"\nwhisper tiny.en, {len(pairs)} real sentences: WER {wer:.1%}")
    assert wer <= 0.08


# --------------------------------------------------------------------------- whole check-ins

FULL = ROOT / "tests" / "scenarios" / "checkin_full_happy.yaml"
FREE_FIELDS = ("reason", "statement", "paraphrase", "activity")


def _simulate(path: Path, capsys) -> dict:
    assert cli.main(["simulate", str(path), "--config", str(ROOT / "config.yaml")]) == 0
    return json.loads(capsys.readouterr().out)


@needs_piper
def test_a_whole_check_in_spoken_with_free_answers_matches_it_typed(tmp_path, capsys, whisper):
    scenario = yaml.safe_load(FULL.read_text())
    typed = _simulate(FULL, capsys)
    turns = []
    for i, turn in enumerate(scenario["turns"]):
        clip = tmp_path / f"{i}.wav"
        write_wav(clip, piper_pcm(turn["text"]))
        turns.append({"audio": str(clip)})
    spoken_path = tmp_path / "spoken.yaml"
    spoken_path.write_text(
        yaml.safe_dump({**{k: v for k, v in scenario.items() if k not in ("turns", "expect")}, "turns": turns})
    )
    spoken = _simulate(spoken_path, capsys)
    assert spoken["outcome"] == typed["outcome"] == "completed"
    pairs = []
    assert len(spoken["exercises"]) == len(typed["exercises"])
    for said, wrote in zip(spoken["exercises"], typed["exercises"]):
        for key in ("exercise", "feeling", "family", "date", "time", "confirmed", "partner", "speaker"):
            assert said.get(key) == wrote.get(key), key
        pairs += [(wrote[k], said.get(k) or "") for k in FREE_FIELDS if k in wrote]
    wer = word_error_rate(pairs)
    print(f"\nfree sentences of a spoken check-in: {len(pairs)}, WER {wer:.1%}")
    assert pairs and wer <= FREE_WER


@needs_piper
def test_an_answer_outside_the_grammar_is_understood_not_forced_onto_help(tmp_path):
    from assistant import app, config
    from assistant.formats.events import Listen

    settings = config.load(ROOT / "config.yaml")
    decode = app.audio_turns(settings)
    clip = tmp_path / "good.wav"
    write_wav(clip, piper_pcm("we're good"))
    grammar = ("high", "medium", "low", "what can i say", "help", "stop", "pause", "repeat")
    heard = decode(
        str(clip), Listen("check-in/energy", "choice", ("high", "medium", "low"), grammar, complete_silence_s=0.3)
    )
    assert heard.text in ("we're good", "we are good"), heard


# --------------------------------------------------------------------------- global commands and doctor

CHOICE_GRAMMAR = ("high", "medium", "low", "repeat", "pause", "stop", "help", "what can i say", "go back", "skip")


def _turns(settings_path: Path = ROOT / "config.yaml"):
    from assistant import app, config
    from assistant.formats.events import Listen

    decode = app.audio_turns(config.load(settings_path))
    choice = Listen(
        "check-in/energy",
        "choice",
        ("high", "medium", "low"),
        CHOICE_GRAMMAR,
        no_input_s=8,
        end_silence_s=0.6,
        max_s=8,
        complete_silence_s=0.3,
    )
    capture = Listen("plan-a-date/plan", "capture", no_input_s=12, end_silence_s=2.0, max_s=45)
    return decode, choice, capture


@needs_piper
def test_global_commands_are_heard_in_choice_and_free_turns(tmp_path):
    decode, choice, capture = _turns()
    for word in ("stop", "pause", "repeat"):
        clip = tmp_path / f"{word}.wav"
        write_wav(clip, piper_pcm(word))
        assert decode(str(clip), choice).text == word
        assert decode(str(clip), capture).text == word


@pytest.mark.skipif(not (SHARED_SPEECH / "commands").is_dir(), reason="../shared/speech is absent")
def test_real_spoken_stop_is_heard_in_choice_and_free_turns():
    decode, choice, capture = _turns()
    rows = [line.split("\t") for line in (SHARED_SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    clips = [SHARED_SPEECH / r[0] for r in rows if r[0].startswith("commands/") and r[4].strip() == "stop"][::4]
    heard = {
        kind: sum("stop" in getattr(decode(str(c), listen), "text", "").split() for c in clips)
        for kind, listen in (("choice", choice), ("capture", capture))
    }
    print(f"\nreal 'stop' heard: {heard} of {len(clips)}")
    assert all(n >= 0.8 * len(clips) for n in heard.values())


def test_doctor_checks_each_configured_recogniser(corrupt_model, tmp_path):
    from assistant import config
    from assistant.cli import doctor

    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "asr": {
                    "choices": "pocketsphinx",
                    "fallback": "whisper",
                    "free": "whisper",
                    "whisper_model": str(corrupt_model),
                }
            }
        )
    )
    checks = {c.name: c for c in doctor.run_checks(config.load(cfg)) if c.name.startswith("speech")}
    assert set(checks) == {"speech: pocketsphinx", "speech: whisper"}
    assert checks["speech: pocketsphinx"].ok and "choices" in checks["speech: pocketsphinx"].detail
    bad = checks["speech: whisper"]
    assert not bad.ok and "corrupt" in bad.detail and "\n" not in bad.detail and "fallback, free" in bad.fix


def test_whisper_text_is_normalised_like_typed_answers():
    from assistant.speech.asr.whisper import NoiseGate, normalise_text

    assert normalise_text("Yes, we're good.") == "yes we're good"
    assert (
        normalise_text("Dinner at 730 on Saturday, at 10:15, in 1465.") == "dinner at 7:30 on saturday at 10:15 in 1465"
    )
    gate = NoiseGate()
    assert gate.keeps(0.05, -0.3) and gate.keeps(0.58, -0.72)  # "five five", quiet but real
    assert not gate.keeps(0.52, -1.7) and not gate.keeps(0.7, -0.9)  # noise heard as " ." / "Thank you."


def test_an_unknown_recogniser_in_config_is_one_line(tmp_path):
    from assistant import config

    cfg = tmp_path / "config.yaml"
    cfg.write_text("asr:\n  free: kaldi\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(cfg)
    message = str(err.value)
    assert "\n" not in message and "asr.free" in message and ":2:" in message and "whisper" in message


# --------------------------------------------------------------------------- choices


def test_a_repeated_answer_is_the_same_answer():
    from assistant.speech.asr.base import once

    assert once("no no no") == "no" and once("stop stop") == "stop" and once("go back go back") == "go back"
    assert once("start check in start check in start check") == "start check in start check"
    assert once("yes that sounds good") == "yes that sounds good" and once("") == ""


@needs_shared
def test_real_commands_through_the_choice_path_of_the_config():
    """The 160 real commands (yes, no, stop, go) as a choice turn decodes them with the
    shipped roles, each labelled by its file name (``..__LABEL__SPEAKER_nohash_N.wav``),
    which the manifest repeats.  Measured here: 156/160 (the issue's target is 90%,
    ``checkin bench`` reports it); int8 arithmetic may round a clip differently on another
    CPU, so this asserts 95%."""
    from assistant import app, config
    from assistant.cli.bench_speech import command_figures, command_label, manifest, speaker

    rows = manifest(SHARED_SPEECH, "commands")
    assert len(rows) == 160 and len({path for _, path in rows}) == 160
    assert all(label == command_label(path) for label, path in rows)
    assert {command_label(path) for _, path in rows} == {"yes", "no", "stop", "go"}
    commands = [(command_label(path), read_wav_pcm(path), speaker(path)) for _, path in rows]
    figures = command_figures(app.recogniser(config.load(ROOT / "config.yaml")), commands, [])
    print(f"\nreal commands: {figures}")
    assert figures["correct"] >= 0.95 * len(rows)


@needs_shared
def test_a_choice_in_noise_alone_is_silence_and_not_a_phrase(whisper):
    grammar = ["yes", "no", "stop", "go", "repeat", "help"]
    heard = []
    for clip in sorted((SHARED_SPEECH / "noise").glob("*.wav")):
        pcm = read_wav_pcm(clip)
        heard += [
            whisper.choose(pcm[start : start + 48000], grammar).text for start in range(0, len(pcm) - 16000, 48000)
        ]
    assert len(heard) > 20 and not set(heard) & set(grammar)


@needs_shared
def test_a_choice_hears_a_phrase_as_the_grammar_spells_it(whisper):
    rows = [line.split("\t") for line in (SHARED_SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    yes = next(SHARED_SPEECH / r[0] for r in rows if r[0].startswith("commands/") and r[4].strip() == "yes")
    assert whisper.choose(read_wav_pcm(yes), ["Yes", "no", "go  back"]).text == "Yes"
    utterance = whisper.start(["yes", "no"])
    utterance.feed(read_wav_pcm(yes))
    assert utterance.peek() == "yes"
    assert utterance.finish().text == "yes"
