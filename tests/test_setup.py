"""`checkin setup`, driven by stdin: names, how to say them, the country for the help line,
device tests that fail in one line, config.yaml written atomically with other keys kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from assistant import config
from assistant.cli import firstrun
from assistant.speech.voice import SpeakingVoice, respell

ROOT = Path(__file__).resolve().parent.parent


def setup(cfg: Path, answers: list[str], *extra: str, tmp_path: Path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    stdin = "".join(a + "\n" for a in answers)
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "setup", "--config", str(cfg), *extra],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


def test_first_run_writes_a_config_that_loads(tmp_path):
    cfg = tmp_path / "config.yaml"
    answers = ["Maya", "", "Siobhan", "Shivawn", "Germany", "", "0800 111 0 111"]
    result = setup(cfg, answers, "--skip-devices", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Germany (DE)." in result.stdout and f"Saved to {cfg}" in result.stdout
    data = yaml.safe_load(cfg.read_text())
    assert data["partners"] == ["Maya", {"name": "Siobhan", "say": "Shivawn"}]
    assert data["safety"] == {"country": "DE", "emergency": "112", "helpline": "0800 111 0 111"}
    settings = config.load(cfg)
    assert settings.partners == ("Maya", "Siobhan") and settings.pronunciations == {"Siobhan": "Shivawn"}
    assert settings.styles == {} and settings.safety_country == "DE" and settings.safety_emergency == "112"


def test_a_second_run_keeps_other_keys_and_comments_and_offers_current_values(tmp_path):
    cfg = tmp_path / "config.yaml"
    shutil.copy(ROOT / "config.yaml", cfg)
    original = cfg.read_text()
    cfg.write_text(
        original.replace(
            "# partners: [Maya, Sam]        # your two names: asked before the first check-in, or by checkin setup",
            "partners: [{name: Alex, pace: slow}, Sam]",
        )
    )
    os.chmod(cfg, 0o640)
    first = setup(cfg, ["", "", "", "", "uk", "", ""], "--skip-devices", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "[Alex]" in first.stdout and "United Kingdom (GB)." in first.stdout
    text = cfg.read_text()
    for line in original.splitlines():
        if not line.startswith("# partners:"):
            assert line in text, f"lost: {line}"
    data = yaml.safe_load(text)
    assert data["partners"] == [{"name": "Alex", "pace": "slow"}, "Sam"]
    assert data["safety"] == {"country": "GB", "emergency": "999", "helpline": None}
    assert cfg.stat().st_mode & 0o777 == 0o640
    again = setup(cfg, ["", "", "Ben", "", "", "", ""], "--skip-devices", tmp_path=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "[GB]" in again.stdout and "[999]" in again.stdout
    data = yaml.safe_load(cfg.read_text())
    assert data["partners"] == [{"name": "Alex", "pace": "slow"}, "Ben"] and data["safety"]["country"] == "GB"
    assert (
        data["journal"] == {"path": None, "keep": "summary"}
        and [p.name for p in tmp_path.iterdir() if p.name.startswith(".config-")] == []
    )


def test_device_tests_fail_in_one_line_each_and_setup_goes_on(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("partners: [Maya, Sam]\naudio: {input_device: no-such-microphone, output_device: no-such-speaker}\n")
    result = setup(cfg, ["", "", "", "", "France", "", "", "y", "y"], tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = [line.split("? [Y/n]: ", 1)[-1] for line in result.stdout.splitlines()]  # after the typed answer's prompt
    speaker = [line for line in shown if line.startswith("speaker: ")]
    mic = [line for line in shown if line.startswith("microphone: ")]
    assert len(speaker) == 1 and len(mic) == 1 and "no-such-speaker" in speaker[0] and "no-such-microphone" in mic[0]
    assert "Traceback" not in result.stderr and yaml.safe_load(cfg.read_text())["safety"]["country"] == "FR"
    skipped = setup(cfg, ["", "", "", "", "", "", "", "n", "n"], tmp_path=tmp_path)
    assert "speaker: skipped." in skipped.stdout and "microphone: skipped." in skipped.stdout


def test_input_that_ends_early_writes_nothing(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("partners: [Maya, Sam]\n")
    result = setup(cfg, ["Ana"], "--skip-devices", tmp_path=tmp_path)
    assert (
        result.returncode == 2
        and result.stderr.strip()
        == "checkin: setup: the input ended before every question was answered; nothing was written"
    )
    assert cfg.read_text() == "partners: [Maya, Sam]\n"


def test_an_unknown_country_is_asked_again(tmp_path):
    cfg = tmp_path / "config.yaml"
    result = setup(cfg, ["Maya", "", "Sam", "", "Atlantis", "NZ", "", ""], "--skip-devices", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "I don't know that country" in result.stdout
    assert yaml.safe_load(cfg.read_text())["safety"] == {"country": "NZ", "emergency": "111", "helpline": None}


def test_names_are_spoken_back_and_a_respelling_is_tried_until_it_sounds_right():
    spoken: list[str] = []
    answers = iter(
        [
            "Siobhan",
            "n",
            "Shivon",
            "Shivawn",
            "",
            "Sam",
            "",
            "IE",
            "",
            "",
        ]
    )
    told: list[str] = []
    ports = firstrun.Ports(ask=lambda q: next(answers), tell=told.append, speak=spoken.append)
    data = firstrun.run({}, ports)
    assert spoken == ["Siobhan", "Shivon", "Shivawn", "Sam"]
    assert data["partners"] == [{"name": "Siobhan", "say": "Shivawn"}, "Sam"]
    assert data["safety"]["emergency"] == "112"
    assert "speaker: skipped (no speaker to test here)." in told


def test_the_voice_says_names_as_respelled():
    rendered: list[str] = []

    class Synth:
        def render(self, text, rate_factor=1.0):
            rendered.append(text)
            return b"\x00\x00" * 160

    class Speaker:
        def play(self, pcm, rate):
            pass

    voice = SpeakingVoice(Synth(), Speaker(), say_as={"Siobhan": "Shivawn"})
    voice.speak("Siobhan, what did you hear? Siobhanna stays.")
    assert rendered == ["Shivawn, what did you hear? Siobhanna stays."]
    assert respell("Hi Sam", {}) == "Hi Sam"
