"""Faults the always-on speaker must survive, each with a test."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import app, config
from assistant.cli import main as cli
from assistant.home.session import ScriptedTurns, Session
from assistant.loader.dialogs import DialogError, from_yaml
from assistant.speech.audio import AudioError
from assistant.speech.voice import SpeakingVoice

ROOT = Path(__file__).resolve().parent.parent


def test_sigkill_mid_session_keeps_what_was_said(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "assistant.cli", "chat", "--jsonl", "--now", "2026-11-25T18:00"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    listens = 0
    for text in ["high", "name a feeling", "hopeful"]:
        proc.stdin.write(json.dumps({"text": text}) + "\n")
        proc.stdin.flush()
    while listens < 4:
        if json.loads(proc.stdout.readline())["type"] == "listen":
            listens += 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    history = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "history", "--json"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    records = json.loads(history.stdout)
    assert records[0]["exercises"][0]["feeling"] == "hopeful"
    assert records[0]["outcome"] == "in_progress"
    # the next session start closes it as abandoned
    subprocess.run(
        cmd, input=json.dumps({"text": "stop"}) + "\n", capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    records = json.loads(
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "history", "--json"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        ).stdout
    )
    assert [r["outcome"] for r in records] == ["abandoned", "stopped"]


class BrokenSpeaker:
    """An output device that fails on every play (our own port, not a library double)."""

    def __init__(self):
        self.calls = 0

    def play(self, pcm, rate):
        self.calls += 1
        raise AudioError("output device 0 'USB Audio' failed: device unavailable")


class BrokenSynth:
    def render(self, text, rate_factor=1.0):
        from assistant.speech.tts import TTSError

        raise TTSError("espeak-ng failed")


@pytest.mark.parametrize("synth_broken", [False, True])
def test_a_failing_voice_falls_back_to_the_log(engine, synth_broken, tmp_path):
    log = io.StringIO()
    synth = (
        BrokenSynth() if synth_broken else app.synth(config.Settings(voice=config.VoiceSettings(cache_dir=tmp_path)))
    )
    voice = SpeakingVoice(synth, BrokenSpeaker(), log=log)
    session = Session(
        engine,
        ScriptedTurns(
            [
                {"text": "low"},
                {"text": "plan a date"},
                {"text": "a walk"},
                {"text": "saturday"},
                {"text": "noon"},
                {"text": "yes"},
            ]
        ),
        voice=voice,
    )
    record = session.run(("Maya", "Sam"), "check-in")
    assert record["outcome"] == "completed" and record["exercises"][0]["activity"] == "a walk"
    lines = log.getvalue().splitlines()
    assert voice.faults == len(lines) > 5
    assert "said in the log instead: Hi Maya, hi Sam." in lines[0]


def test_no_sound_card_falls_back_to_the_log(engine):
    """Here there is no sound card at all: the real sounddevice speaker fails and the session goes on."""
    pytest.importorskip("sounddevice")
    from assistant.speech.audio import SoundDeviceSpeaker, list_devices

    if list_devices():
        pytest.skip("this machine has audio devices")
    log = io.StringIO()
    voice = SpeakingVoice(app.synth(config.Settings()), SoundDeviceSpeaker(), log=log)
    record = Session(engine, ScriptedTurns([{"text": "stop"}]), voice=voice).run(("Maya", "Sam"))
    assert record["outcome"] == "stopped" and "said in the log instead" in log.getvalue()


def test_reload_with_a_broken_file_keeps_the_running_version(tmp_path):
    import shutil

    root = tmp_path / "dialogs"
    shutil.copytree(ROOT / "dialogs", root)
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"partners: [Maya, Sam]\ndialogs: {root}\n")
    log = io.StringIO()
    live = app.Reloadable(cfg, log=log)
    engine_before = live.engine
    (root / "plan-a-date.yaml").write_text("id: plan-a-date\nkind: exercise\n")
    assert live.reload() is False
    assert live.engine is engine_before
    assert log.getvalue().count("\n") == 1 and "reload refused, keeping the running version" in log.getvalue()
    cfg.write_text(f"partners: [Ana, Ben]\ndialogs: {root}\n")
    (root / "plan-a-date.yaml").write_text((ROOT / "dialogs" / "plan-a-date.yaml").read_text())
    assert live.reload() is True and live.settings.partners == ("Ana", "Ben")


# --------------------------------------------------------------------------- fuzzing the loaders

KEYS = [
    "id",
    "kind",
    "title",
    "start",
    "nodes",
    "record",
    "say",
    "next",
    "choice",
    "capture",
    "lexicon",
    "form",
    "branch",
    "goto",
    "label",
    "slot",
    "if",
    "partners",
    "asr",
    "engine",
    "tts",
    "rate",
    "journal",
    "keep",
    "wake",
    "phrases",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 500),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["exercise", "checkin", "end", "ask", "auto", "vosk", "{partner}", "{", "$x"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_fuzzed_dialogs_load_or_give_a_clean_error(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        from_yaml(text, "fuzz.yaml")
    except DialogError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_fuzzed_configs_load_or_give_a_clean_error(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        config.from_yaml(text, "fuzz.yaml")
    except config.ConfigError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_raw_text_gives_a_clean_error(text):
    for load in (lambda t: from_yaml(t, "fuzz.yaml"), lambda t: config.from_yaml(t, "fuzz.yaml")):
        try:
            load(text)
        except DialogError as exc:
            assert "\n" not in str(exc)


# --------------------------------------------------------------------------- privacy


@pytest.fixture
def no_sockets(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened: nothing may leave the device")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_a_full_session_opens_no_socket(no_sockets, tmp_path, capsys):
    scenario = ROOT / "tests" / "scenarios" / "checkin_full_happy.yaml"
    assert cli.main(["simulate", str(scenario), "--journal", str(tmp_path / "j.sqlite3")]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "completed"
    assert cli.main(["history", "--json"]) == 0
