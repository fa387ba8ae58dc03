"""The `checkin` command as a program sees it: the JSON-lines protocol, history, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def checkin(args, input_text="", env_extra=None, tmp_path=None, timeout=60):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=input_text,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path or ROOT,
        timeout=timeout,
    )


@pytest.fixture
def home(tmp_path):
    return {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_jsonl_protocol_runs_a_check_in(home):
    answers = ["medium", "plan a date", "a picnic", {"silence": 5}, "saturday at noon", "yes"]
    stdin = "".join(json.dumps(a if isinstance(a, dict) else {"text": a}) + "\n" for a in answers)
    result = checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00", "--partners", "Maya,Sam"], stdin, home)
    assert result.returncode == 0, result.stderr
    events = lines(result.stdout)
    types = [e["type"] for e in events]
    assert types[0] == "say" and types[-1] == "session_end"
    listens = [e for e in events if e["type"] == "listen"]
    assert listens[0] == {
        "type": "listen",
        "node": "check-in/energy",
        "mode": "choice",
        "choices": ["high", "medium", "low"],
        "no_input_s": 8.0,
        "expect_silence": False,
    }
    assert any(e["type"] == "listen" and e["mode"] == "capture" for e in events)
    heard = [e for e in events if e["type"] == "heard"]
    assert heard[0] == {"type": "heard", "text": "medium", "confidence": None}
    assert {"type": "silence", "seconds": 5.0} in events
    # after the answers run out, the end of input is its own event (not a silence) and ends the session
    assert events[-2] == {"type": "end_of_input", "seconds": 8.0}
    assert [e for e in events if e["type"] == "silence"] == [{"type": "silence", "seconds": 5.0}]
    record = events[-1]["record"]
    assert record["partners"] == ["Maya", "Sam"]
    assert record["exercises"][0]["date"] == "2026-11-28" and record["exercises"][0]["time"] == "12:00"
    assert record["outcome"] == "stopped"
    for e in events:
        if e["type"] == "say":
            assert set(e) >= {"text", "node"}


def test_one_listen_per_input_line(home):
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "chat", "--jsonl", "--now", "2026-11-25T18:00"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **home},
        cwd=ROOT,
    )
    out = []
    while True:
        event = json.loads(proc.stdout.readline())
        out.append(event)
        if event["type"] == "listen":
            break
    assert out[0]["text"] == "Hi Alex, hi Sam. Glad you're both here."
    proc.stdin.write(json.dumps({"text": "stop"}) + "\n")
    proc.stdin.flush()
    rest = lines(proc.stdout.read())
    assert proc.wait(timeout=20) == 0
    assert rest[0] == {"type": "heard", "text": "stop", "confidence": None}
    assert rest[-1]["type"] == "session_end" and rest[-1]["record"]["outcome"] == "stopped"


def test_history_lists_what_chat_saved(home, tmp_path):
    stdin = "".join(
        json.dumps({"text": t}) + "\n"
        for t in ["high", "name a feeling", "grateful", "my friend visited", "lovely", "stop"]
    )
    assert (
        checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00", "--partners", "Maya,Sam"], stdin, home).returncode == 0
    )
    assert json.loads(checkin(["history", "--json"], env_extra=home).stdout) == [], "not the placeholder couple's"
    result = checkin(["history", "--json", "--partners", "Sam,Maya"], env_extra=home)
    records = json.loads(result.stdout)
    assert len(records) == 1
    assert records[0]["outcome"] == "stopped"
    entry = records[0]["exercises"][0]
    assert entry["feeling"] == "grateful" and entry["partner"] == "Maya"
    assert "reason" not in entry, "journal.keep: summary keeps no free-form sentences"
    text = checkin(["history", "--partners", "Maya,Sam"], env_extra=home).stdout
    assert "1 check-in(s)" in text and "2026-11-25 18:00" in text and "Maya felt grateful" in text
    journal = Path(home["XDG_DATA_HOME"]) / "checkin" / "journal.sqlite3"
    assert oct(journal.stat().st_mode & 0o777) == "0o600"
    assert oct(journal.parent.stat().st_mode & 0o777) == "0o700"


def test_greeting_recalls_the_last_planned_date(home):
    plan = "".join(
        json.dumps({"text": t}) + "\n"
        for t in ["high", "plan a date", "a picnic by the lake", "saturday", "noon", "yes", "wrap up"]
    )
    assert checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00"], plan, home).returncode == 0
    result = checkin(["chat", "--jsonl", "--now", "2026-12-01T18:00"], json.dumps({"text": "stop"}) + "\n", home)
    says = [e["text"] for e in lines(result.stdout) if e["type"] == "say"]
    assert any("Last time, you planned a picnic by the lake for Saturday, November 28 at noon" in s for s in says)


def test_interactive_chat_prints_prompts(home):
    result = checkin(["chat", "--now", "2026-11-25T18:00", "--partners", "Maya,Sam"], "low\n\nstop\n", home)
    assert result.returncode == 0
    assert "Coach: Hi Maya, hi Sam." in result.stdout
    assert "[high / medium / low]" in result.stdout
    assert "Coach: Okay, we'll stop here." in result.stdout


@pytest.mark.parametrize(
    "args, stdin, fragment",
    [
        (["chat", "--jsonl", "--now", "yesterday"], "", "--now: not an ISO date-time"),
        (["chat", "--jsonl", "--partners", "Maya"], "", "--partners: give two names"),
        (["chat", "--jsonl", "--start", "karaoke"], "", "--start: no dialog named 'karaoke'"),
        (["chat", "--jsonl"], "{not json}\n", "input line 1: not JSON"),
        (["chat", "--jsonl"], '{"txt": "hi"}\n', "input line 1: expected one of 'text', 'silence' or 'audio'"),
        (["validate", "/nonexistent"], "", "not a directory of dialogs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(home, args, stdin, fragment):
    result = checkin(args, stdin, home)
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert fragment in err and "\n" not in err and "Traceback" not in err


def test_config_typo_is_one_line(home, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("partners: [Maya, Sam]\ntts:\n  rat: 120\n")
    result = checkin(["chat", "--jsonl", "--config", str(config)], "", home)
    assert result.returncode == 2
    assert result.stderr.strip() == f"checkin: {config}:3: tts.rat: unknown field (did you mean 'rate'?)"


def test_bad_protocol_line_keeps_what_was_saved(home):
    stdin = "".join(json.dumps({"text": t}) + "\n" for t in ["high", "name a feeling", "proud"]) + "oops\n"
    result = checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00"], stdin, home)
    assert result.returncode == 2
    records = json.loads(checkin(["history", "--json"], env_extra=home).stdout)
    assert records[0]["exercises"][0]["feeling"] == "proud"


def test_sigterm_saves_and_exits_cleanly(home):
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "chat", "--jsonl", "--now", "2026-11-25T18:00"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **home},
        cwd=ROOT,
    )
    for text in ["high", "name a feeling", "hopeful"]:
        proc.stdin.write(json.dumps({"text": text}) + "\n")
        proc.stdin.flush()
    seen = 0
    while seen < 4:
        if json.loads(proc.stdout.readline())["type"] == "listen":
            seen += 1
    proc.terminate()
    assert proc.wait(timeout=20) == 130
    err = proc.stderr.read()
    assert "Traceback" not in err and "interrupted" in err
    records = json.loads(checkin(["history", "--json"], env_extra=home).stdout)
    assert records[0]["outcome"] == "stopped" and records[0]["exercises"][0]["feeling"] == "hopeful"


def test_speak_without_a_sound_device_says_so_once(home):
    from assistant.speech.audio import list_devices

    try:
        if list_devices():
            pytest.skip("this machine has audio devices")
    except Exception:
        pass
    result = checkin(["chat", "--speak", "--now", "2026-11-25T18:00"], "low\nstop\n", home)
    assert result.returncode == 0
    assert result.stderr.count("not speaking") == 1 and "Traceback" not in result.stderr
    assert "Coach: Okay, we'll stop here." in result.stdout


def test_run_without_a_microphone_waits_then_exits_with_its_own_code(home, tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(
        f"audio: {{input_device: no-such-microphone-xyz, device_wait_s: 1.5}}\njournal: {{path: {tmp_path / 'j.sqlite3'}}}\n"
    )
    result = checkin(["run", "--config", str(cfg)], "", home, timeout=60)
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("checkin: waiting for a microphone") and "Traceback" not in result.stderr
    assert "no microphone after waiting 1.5 s" in lines[-1] and "checkin doctor" in lines[-1]
    unit = (ROOT / "scripts" / "checkin.service").read_text()
    assert "RestartPreventExitStatus=4" in unit


def test_waiting_for_a_microphone_that_appears_late():
    from assistant.speech import audio

    now = [0.0]
    calls = []

    def sleep(seconds):
        now[0] += seconds

    def find(device, kind):
        calls.append(now[0])
        if now[0] < 5:
            raise audio.AudioError("no input device with index 1; available input devices: none")
        return 1

    original, audio.find_device = audio.find_device, find
    try:
        assert audio.wait_for_input(1, 10.0, sleep=sleep, monotonic=lambda: now[0]) == 1
        with pytest.raises(audio.NoMicrophone, match="after waiting 3 s"):
            now[0] = 0.0
            audio.wait_for_input(1, 3.0, sleep=sleep, monotonic=lambda: now[0])
    finally:
        audio.find_device = original
    assert calls[:6] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
