"""Whole check-ins by voice: audio turns through the configured recogniser reach the same
session record as the same check-in typed; the JSON-lines protocol takes audio; and a long
recording runs through `checkin listen` exactly as the microphone would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synth import espeak, needs_espeak, needs_piper, piper, piper_pcm

from assistant.cli import main as cli
from assistant.speech.audio import write_wav

pytestmark = pytest.mark.speech
ROOT = Path(__file__).resolve().parent.parent

# A check-in that covers a choice, the menu, a free answer, a day-and-time grammar turn and a confirmation.
ANSWERS = ["low", "plan a date", "dinner and a movie", "saturday at seven", "yes"]


def scenario(path: Path, turns: list[dict]) -> Path:
    path.write_text(json.dumps({"partners": ["Maya", "Sam"], "now": "2026-11-25T18:00:00", "turns": turns}))
    return path


def simulate(path: Path, capsys) -> dict:
    assert cli.main(["simulate", str(path), "--config", str(ROOT / "config.yaml")]) == 0
    return json.loads(capsys.readouterr().out)


def comparable(record: dict) -> dict:
    return {"outcome": record["outcome"], "partners": record["partners"], "exercises": record["exercises"]}


@needs_piper
def test_a_check_in_by_voice_matches_the_same_check_in_typed(tmp_path, capsys):
    clips = [piper(text, tmp_path / f"a{i}.wav") for i, text in enumerate(ANSWERS)]
    by_voice = simulate(scenario(tmp_path / "voice.json", [{"audio": str(c)} for c in clips]), capsys)
    by_text = simulate(scenario(tmp_path / "text.json", [{"text": t} for t in ANSWERS]), capsys)
    assert by_text["exercises"][0]["activity"] == "dinner and a movie" and by_text["exercises"][0]["time"] == "19:00"
    assert comparable(by_voice) == comparable(by_text)
    assert sum(by_voice["speaking_seconds"].values()) > 2.0, "the audio clock measured who spoke"


@needs_espeak
def test_robotic_speech_works_where_grammars_constrain_it(tmp_path, capsys):
    """espeak-ng speech is hard to decode freely (about 38% here) but choices, days and yes/no
    are grammar turns; only the free activity is typed."""
    turns = [
        {"audio": str(espeak("low", tmp_path / "1.wav"))},
        {"audio": str(espeak("plan a date", tmp_path / "2.wav"))},
        {"text": "a picnic"},
        {"audio": str(espeak("saturday", tmp_path / "3.wav"))},
        {"text": "noon"},
        {"audio": str(espeak("yes", tmp_path / "4.wav"))},
    ]
    record = simulate(scenario(tmp_path / "s.json", turns), capsys)
    assert record["outcome"] == "completed"
    assert record["exercises"][0] == {
        "exercise": "plan-a-date",
        "activity": "a picnic",
        "date": "2026-11-28",
        "time": "12:00",
        "confirmed": True,
        "when": "Saturday, November 28 at noon",
        "complete": True,
    }


@needs_piper
def test_jsonl_audio_turns_report_what_was_heard(tmp_path):
    stereo_44k = tmp_path / "medium.wav"
    mono = piper_pcm("medium")
    import numpy as np

    from assistant.speech.audio import resample

    x = resample(np.frombuffer(mono, dtype=np.int16).astype(np.float64), 16000, 44100).astype(np.int16)
    write_wav(stereo_44k, np.repeat(x, 2).tobytes(), rate=44100, channels=2)
    stdin = json.dumps({"audio": str(stereo_44k)}) + "\n" + json.dumps({"text": "stop"}) + "\n"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "chat", "--jsonl"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    heard = [json.loads(line) for line in result.stdout.splitlines() if '"heard"' in line]
    assert heard[0]["text"] == "medium", "a 44.1 kHz stereo clip is resampled and decoded with the energy grammar"
    assert set(heard[0]) == {"type", "text", "confidence"}


def test_a_missing_audio_file_is_one_line(tmp_path, capsys):
    path = scenario(tmp_path / "s.json", [{"audio": str(tmp_path / "nope.wav")}])
    assert cli.main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "audio turn" in err and "nope.wav" in err and "\n" not in err


@needs_piper
def test_listen_runs_a_recording_like_a_room(tmp_path, capsys):
    """A recording: the wake phrase, then each answer after the coach's prompts (rendered
    with the same voice, so their length is known), as a couple at the table would."""
    from assistant import app, config

    text = simulate(scenario(tmp_path / "text.json", [{"text": t} for t in ANSWERS]), capsys)
    # what the coach says before each listen, from a text run's log
    log = tmp_path / "text.jsonl"
    assert cli.main(["simulate", str(tmp_path / "text.json"), "--log", str(log)]) == 0
    capsys.readouterr()
    events = [json.loads(line) for line in log.read_text().splitlines()]
    settings = config.Settings(voice=config.VoiceSettings(cache_dir=tmp_path / "cache"), partners=("Maya", "Sam"))
    synth = app.synth(settings)
    prompt_seconds, pending = [], 0.0
    for event in events:
        if event["type"] == "say":
            pending += len(synth.render(event["text"], event.get("rate", 1.0))) / 32000
        elif event["type"] == "listen":
            prompt_seconds.append(pending)
            pending = 0.0
    silence = lambda s: b"\x00\x00" * int(16000 * s)  # noqa: E731
    recording = silence(2.0) + piper_pcm("start check-in") + silence(0.8)
    for seconds, answer in zip(prompt_seconds, ANSWERS):
        recording += silence(seconds + 1.0) + piper_pcm(answer) + silence(2.5)
    recording += silence(20.0)
    wav = tmp_path / "evening.wav"
    write_wav(wav, recording)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"partners: [Maya, Sam]\ntts: {{cache_dir: {tmp_path / 'cache'}}}\njournal: {{path: {tmp_path / 'j.sqlite3'}, keep: full}}\n"
    )
    events_log = tmp_path / "listen.jsonl"
    assert (
        cli.main(["listen", str(wav), "--log", str(events_log), "--config", str(cfg), "--now", "2026-11-25T18:00:00"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["wakes"]) == 1 and 2.0 < summary["wakes"][0] < 4.5
    assert summary["sessions"] == ["completed"]
    logged = [json.loads(line) for line in events_log.read_text().splitlines()]
    assert logged[0]["type"] == "wake"
    end = [e for e in logged if e["type"] == "session_end"][0]["record"]
    assert comparable(end) == comparable(text)


@needs_piper
@pytest.mark.parametrize("voice", ["default", "piper"])
def test_setup_then_a_spoken_check_in_with_each_voice(tmp_path, capsys, monkeypatch, voice):
    """`checkin setup` (with `--voice piper`, or the default espeak-ng), then a whole check-in
    by voice through `checkin listen`, the coach's replies written at the voice's own rate."""
    import io

    from assistant import app, config
    from assistant.speech.audio import pcm_and_rate_from_wav_bytes
    from assistant.speech.tts import PromptCache

    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"tts: {{cache_dir: {tmp_path / 'cache'}}}\njournal: {{path: {tmp_path / 'j.sqlite3'}, keep: full}}\n"
    )
    answers = ["Maya", "", "Sam", "", "Germany", "", ""] + ([""] if voice == "piper" else [])
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(answers) + "\n"))
    extra = ["--voice", "piper"] if voice == "piper" else []
    assert cli.main(["setup", "--config", str(cfg), "--skip-devices", *extra]) == 0
    capsys.readouterr()
    settings = config.load(cfg)
    assert settings.voice.engine == ("piper" if voice == "piper" else "espeak")
    assert settings.partners == ("Maya", "Sam")

    text = simulate(scenario(tmp_path / "text.json", [{"text": t} for t in ANSWERS]), capsys)
    log = tmp_path / "text.jsonl"
    assert cli.main(["simulate", str(tmp_path / "text.json"), "--log", str(log)]) == 0
    capsys.readouterr()
    # every prompt rendered once into the cache listen reads, so both agree on its length
    synth = PromptCache(app.raw_synth(settings), settings.voice.cache_dir, static=None)
    assert synth.sample_rate == (22050 if voice == "piper" else 16000)
    prompt_seconds, pending = [], 0.0
    for event in (json.loads(line) for line in log.read_text().splitlines()):
        if event["type"] == "say":
            pending += len(synth.render(event["text"], event.get("rate", 1.0))) / (2 * synth.sample_rate)
        elif event["type"] == "listen":
            prompt_seconds.append(pending)
            pending = 0.0
    silence = lambda s: b"\x00\x00" * int(16000 * s)  # noqa: E731
    recording = silence(2.0) + piper_pcm("start check-in") + silence(0.8)
    for seconds, answer in zip(prompt_seconds, ANSWERS):
        recording += silence(seconds + 1.5) + piper_pcm(answer) + silence(2.5)
    recording += silence(20.0)
    wav, replies, events_log = tmp_path / "evening.wav", tmp_path / "replies.wav", tmp_path / "listen.jsonl"
    write_wav(wav, recording)
    argv = ["listen", str(wav), "--log", str(events_log), "--config", str(cfg), "--now", "2026-11-25T18:00:00"]
    assert cli.main([*argv, "--out", str(replies)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(summary["wakes"]) == 1 and summary["sessions"] == ["completed"]
    end = [json.loads(line) for line in events_log.read_text().splitlines() if '"session_end"' in line][0]["record"]
    assert comparable(end) == comparable(text)
    pcm, rate = pcm_and_rate_from_wav_bytes(replies.read_bytes())
    assert len(pcm) / (2 * rate) >= 0.9 * sum(prompt_seconds), "the coach's prompts were played"
