"""Wyoming satellites as Check-in's microphones and speakers.

The end-to-end tests run the real ``wyoming-satellite`` 1.0.0 (in its own virtual
environment: it pins ``wyoming==1.4.1``) on 127.0.0.1, its microphone a script that says
"start check-in" and the answers in real time and its speaker a file; fault tests use an
in-process fake satellite (garbage, oversized events, dropped connections, two rooms).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from fake_satellite import FakeSatellite
from synth import needs_piper, piper_pcm

from assistant import app, config
from assistant.cli import main as cli
from assistant.formats import advice
from assistant.home.house import BUSY, House
from assistant.home.satellites import LinkLoop, SatelliteError, SatelliteLink, parse_address
from assistant.rooms import run_house
from assistant.speech.audio import DeviceLost

ROOT = Path(__file__).resolve().parent.parent
MIC = Path(__file__).resolve().parent / "satellite_mic.py"
SAT_VENV = Path(
    os.environ.get("CHECKIN_SATELLITE_VENV", Path.home() / ".cache" / "checkin-tests" / "wyoming-satellite-1.0.0")
)
ANSWERS = ["low", "plan a date", "dinner and a movie", "saturday at seven", "yes"]


# --------------------------------------------------------------------------- addresses, config, house


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            "tcp://kitchen.local:10700",
            f"kitchen.local is a host name: run `{advice.command('setup')}` to look up its address",
        ),
        ("tcp://kitchen_sat:10700", "neither an IP address nor a host name"),
        ("http://192.168.1.40:10700", "expected tcp://IP:PORT"),
        ("tcp://192.168.1.40", "expected tcp://IP:PORT"),
        ("tcp://192.168.1.40:99999", "expected tcp://IP:PORT"),
        ("tcp://192.168.1.40:0", "port 0"),
    ],
)
def test_a_bad_satellite_address_is_one_line(text, problem):
    with pytest.raises(SatelliteError, match=problem):
        parse_address(text)


def test_satellite_addresses_parse():
    assert parse_address("tcp://192.168.1.40:10700").uri == "tcp://192.168.1.40:10700"
    assert parse_address("tcp://[fd00::1]:10700").uri == "tcp://[fd00::1]:10700"


def test_config_satellites_are_validated_with_file_and_line(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("partners: [Maya, Sam]\nsatellites:\n  - tcp://192.168.1.40:10700\n  - tcp://kitchen_sat:10700\n")
    with pytest.raises(config.ConfigError) as err:
        config.load(cfg)
    assert str(err.value).startswith(f"{cfg}:4: satellites[1]:") and "\n" not in str(err.value)
    cfg.write_text("satelites: [tcp://192.168.1.40:10700]\n")
    with pytest.raises(config.ConfigError, match="did you mean 'satellites'"):
        config.load(cfg)
    cfg.write_text("satellites: [tcp://192.168.1.40:10700, 'tcp://192.168.1.41:10700']\n")
    assert config.load(cfg).satellites == ("tcp://192.168.1.40:10700", "tcp://192.168.1.41:10700")
    # what setup writes (a name and host name from zeroconf), and a host name kept as written
    cfg.write_text(
        "satellites:\n  - {name: kitchen, uri: 'tcp://192.168.1.40:10700', host: kitchen-sat.local}\n  - tcp://Bedroom.local:10700\n"
    )
    settings = config.load(cfg)
    assert settings.satellites == ("tcp://192.168.1.40:10700", "tcp://bedroom.local:10700")
    assert settings.satellite_names == {"tcp://192.168.1.40:10700": "kitchen"}
    assert settings.satellite_hosts == {"tcp://192.168.1.40:10700": "kitchen-sat.local"}
    cfg.write_text("satellites:\n  - {name: kitchen}\n")
    with pytest.raises(config.ConfigError, match="satellites"):
        config.load(cfg)


def test_run_with_a_bad_satellite_flag_is_exit_2_and_one_line(capsys):
    assert cli.main(["run", "--satellite", "kitchen:10700"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("checkin: --satellite:") and "IP:PORT" in err[-1]


def test_the_house_runs_one_check_in_at_a_time():
    now = [0.0]
    house = House(same_room_s=3.0, clock=lambda: now[0])
    assert house.claim("kitchen") == "start"
    now[0] = 1.0
    assert house.claim("living room") == "same-room", "the same phrase heard by two rooms"
    now[0] = 10.0
    assert house.claim("living room") == "busy"
    house.release("living room")
    assert house.claim("living room") == "busy", "only the room running it releases it"
    house.release("kitchen")
    assert house.claim("living room") == "start"


# --------------------------------------------------------------------------- faults on the wire


def _link(uri: str, **kw) -> tuple[LinkLoop, SatelliteLink, io.StringIO]:
    log = io.StringIO()
    loop = LinkLoop()
    return loop, SatelliteLink(parse_address(uri), loop, log=log, **kw).start(), log


@pytest.mark.parametrize(
    "behaviour, message",
    [
        ("garbage", "not a Wyoming event"),
        ("oversized", "over the 262144-byte limit"),
        ("long-line", "event header longer than"),
        ("bad-format", "malformed format"),
    ],
)
def test_garbage_and_oversized_events_are_one_logged_line_then_the_link_reconnects(behaviour, message):
    fake = FakeSatellite([b"\x10\x00" * 16000], behaviours=(behaviour,), lead_s=0.2)
    loop, link, log = _link(fake.uri, retry_s=0.05)
    try:
        heard = b""
        for chunk in link.chunks():
            heard += chunk.pcm
            if b"\x10\x00" in heard:
                break
    finally:
        link.stop()
        loop.close()
        fake.close()
    lines = [line for line in log.getvalue().splitlines() if "refuse" in line]
    assert len(lines) == 1 and message in lines[0], log.getvalue()
    assert fake.connections == 2 and "connected" in log.getvalue()


def test_a_satellite_that_never_answers_is_retried_with_backoff():
    with socket.socket() as listener:  # accepts, never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        uri = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        loop, link, log = _link(uri, retry_s=0.05, stall_s=0.3, give_up_s=1.0)
        try:
            with pytest.raises(DeviceLost) as err:
                for _ in link.chunks():
                    pass
        finally:
            link.stop()
            loop.close()
    assert "did not come back within 1 s" in str(err.value)
    delays = [float(line.split("retrying in ")[1].split(" s")[0]) for line in log.getvalue().splitlines()]
    assert len(delays) >= 2 and delays == sorted(delays) and delays[1] == 2 * delays[0], log.getvalue()


# --------------------------------------------------------------------------- rooms, by voice


def _settings_file(tmp_path: Path, **extra: str) -> Path:
    cfg = tmp_path / "config.yaml"
    lines = [
        "partners: [Maya, Sam]",
        f"dialogs: {ROOT / 'dialogs'}",
        f"tts: {{cache_dir: {tmp_path / 'cache'}}}",
        f"journal: {{path: {tmp_path / 'journal.sqlite3'}, keep: full}}",
        *[f"{k}: {v}" for k, v in extra.items()],
    ]
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def _house(cfg: Path, uris: list[str], on_listen: threading.Event | None = None, **kw):
    live = app.Reloadable(cfg, log=io.StringIO())
    log = io.StringIO()
    events: list[dict] = []

    def sink(event: dict) -> None:
        events.append(event)
        if on_listen is not None and event["type"] == "listen":
            on_listen.set()

    runner = run_house(
        live, [parse_address(u) for u in uris], app.recogniser(live.settings), [sink], local=False, log=log, **kw
    )
    return runner, events, log.getvalue(), live


@pytest.mark.speech
@needs_piper
def test_two_satellites_waking_at_once_start_one_check_in_and_a_later_wake_is_told(tmp_path):
    wake, stop = piper_pcm("start check-in"), piper_pcm("stop")
    # Waits on events, not on a timetable (a busy machine decodes late): the lounge says the
    # wake phrase once the kitchen's was heard (the house's clock stands still: the same phrase
    # heard twice), and again once that was declined and the kitchen's check-in has spoken (the clock 10 s on); the
    # kitchen says "stop" only after the lounge was told.
    clock = [0.0]
    verdicts: list[str] = []

    class Recorded(House):
        def claim(self, room: str) -> str:
            verdicts.append(super().claim(room))
            return verdicts[-1]

    def ten_seconds_on() -> bool:
        clock[0] = 10.0
        return True

    lounge: FakeSatellite | None = None
    kitchen = FakeSatellite([wake, stop], lead_s=1.0, gap_s=0.8, hold=[None, lambda: bool(lounge and lounge.played)])
    lounge = FakeSatellite(
        [wake, wake],
        when=[
            lambda: "detection" in kitchen.received,
            lambda: "same-room" in verdicts and bool(kitchen.played) and ten_seconds_on(),
        ],
    )
    house = Recorded(same_room_s=3.0, clock=lambda: clock[0])
    try:
        runner, events, log, live = _house(
            _settings_file(tmp_path), [kitchen.uri, lounge.uri], max_sessions=1, house=house
        )
    finally:
        kitchen.close()
        lounge.close()
    k, lng = f"satellite {kitchen.uri}", f"satellite {lounge.uri}"
    assert [r["outcome"] for r in runner.records] == ["stopped"]
    assert runner.declined == [(lng, "same-room"), (lng, "busy")], log
    assert [e["room"] for e in events if e["type"] == "say"] == [k] * len([e for e in events if e["type"] == "say"])
    busy = app.synth(live.settings, static=app.static_prompts(live.dialogs, live.settings.partners)).render(
        live.dialogs.common["messages"][BUSY]
    )
    assert lounge.played == [busy], "the other room hears the short busy message, once"
    assert "detection" not in lounge.received and "detection" in kitchen.received
    assert kitchen.received.count("transcript") == 1, "one answer heard: one (empty) transcript cue"
    assert len(kitchen.played) == len([e for e in events if e["type"] == "say"])


@pytest.mark.speech
@needs_piper
def test_a_satellite_that_stays_away_ends_the_check_in_politely_and_saves_it(tmp_path):
    fake = FakeSatellite([piper_pcm("start check-in")], behaviours=("drop:7",) + ("long-line",) * 100, lead_s=1.0)
    cfg = _settings_file(tmp_path, audio="{device_wait_s: 2}")
    try:
        runner, events, log, live = _house(cfg, [fake.uri], max_sessions=1)
    finally:
        fake.close()
    assert [r["outcome"] for r in runner.records] == ["stopped"], log
    saved = app.journal(live.settings, live.dialogs).records()
    assert [r["outcome"] for r in saved] == ["stopped"], "what was said so far is in the journal"
    assert "closed the connection" in log and "sent something we refuse" in log


# --------------------------------------------------------------------------- the real wyoming-satellite


@pytest.fixture(scope="session")
def satellite_python() -> Path:
    """wyoming-satellite 1.0.0 in its own venv (cached between runs)."""
    python = SAT_VENV / "bin" / "python"
    if not python.exists():
        for step in (
            [sys.executable, "-m", "venv", str(SAT_VENV)],
            [str(python), "-m", "pip", "install", "-q", "wyoming-satellite==1.0.0"],
        ):
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                shutil.rmtree(SAT_VENV, ignore_errors=True)
                pytest.skip(
                    f"cannot install wyoming-satellite 1.0.0 in a venv: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
                )
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RealSatellite:
    """``python -m wyoming_satellite`` on 127.0.0.1, always streaming, no zeroconf."""

    def __init__(self, python: Path, port: int, played: Path, clips: list[Path], lead_s: float = 6.0):
        mic = f"{python} {MIC} {played} 16000 {' '.join(str(c) for c in clips)}"
        cmd = [
            str(python), "-m", "wyoming_satellite", "--uri", f"tcp://127.0.0.1:{port}", "--no-zeroconf",
            "--mic-command", mic, "--snd-command", f"sh -c 'cat >> {played}'", "--snd-command-rate", "16000", "--debug",
        ]  # fmt: skip
        self.log_path = played.with_suffix(f".{port}.{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        env = {**os.environ, "SATELLITE_MIC_LEAD": str(lead_s)}
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError("wyoming-satellite did not start")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)  # the satellite and its mic/snd commands
            self.proc.wait(5)
        self.log.close()


def _clips(tmp_path: Path, texts: list[str]) -> list[Path]:
    paths = []
    for i, text in enumerate(texts):
        path = tmp_path / f"clip{i}.raw"
        path.write_bytes(piper_pcm(text))
        paths.append(path)
    return paths


def _typed_record(tmp_path: Path, capsys, answers: list[str] = ANSWERS) -> dict:
    scen = tmp_path / "typed.json"
    scen.write_text(
        json.dumps(
            {
                "partners": ["Maya", "Sam"],
                "now": datetime.now().isoformat(timespec="seconds"),
                "turns": [{"text": t} for t in answers],
            }
        )
    )
    assert cli.main(["simulate", str(scen), "--config", str(ROOT / "config.yaml")]) == 0
    return json.loads(capsys.readouterr().out)


def comparable(record: dict) -> dict:
    return {"outcome": record["outcome"], "partners": record["partners"], "exercises": record["exercises"]}


@pytest.mark.speech
@pytest.mark.satellite
@needs_piper
def test_a_check_in_on_a_real_wyoming_satellite_matches_the_same_check_in_typed(tmp_path, capsys, satellite_python):
    played = tmp_path / "played.raw"
    played.touch()
    port = _free_port()
    sat = RealSatellite(satellite_python, port, played, _clips(tmp_path, ["start check-in", *ANSWERS]))
    cfg = _settings_file(tmp_path)
    log = tmp_path / "run.jsonl"
    try:
        code = cli.main(
            [
                "run",
                "--config",
                str(cfg),
                "--satellite",
                f"tcp://127.0.0.1:{port}",
                "--max-sessions",
                "1",
                "--log",
                str(log),
            ]
        )
    finally:
        sat.kill()
    out = capsys.readouterr()
    assert code == 0, out.err
    events = [json.loads(line) for line in log.read_text().splitlines()]
    end = [e for e in events if e["type"] == "session_end"][0]["record"]
    assert comparable(end) == comparable(_typed_record(tmp_path, capsys))
    settings = config.load(cfg)
    static = set(app.static_prompts(app.dialogs(settings), settings.partners))
    synth = app.synth(settings, static=static)
    sound = played.read_bytes()
    says = [e for e in events if e["type"] == "say"]
    fixed = [e for e in says if e["text"] in static and e.get("rate", 1.0) == 1.0]
    # Static prompts come from the on-disk cache, byte for byte; a prompt built from the
    # couple's words is rendered afresh each time, and espeak-ng's output can differ by a
    # few samples between two renders, so those are checked by length.
    assert fixed and all(synth.render(e["text"]) in sound for e in fixed), (
        "every cached prompt was played on the satellite"
    )
    expected = sum(len(synth.render(e["text"], e.get("rate", 1.0))) for e in says)
    assert abs(len(sound) - expected) <= 0.01 * expected, "every prompt was played, and nothing else"
    assert [e["text"] for e in events if e["type"] == "heard"] == ANSWERS, "the coach never heard itself"
    satellite_log = sat.log_path.read_text()
    assert "Wake word detected" in satellite_log, "the satellite was told of the wake (its awake sound and LEDs)"
    assert satellite_log.count("Event(type='transcript', data={'text': ''}") == len(ANSWERS), (
        "an empty transcript cue after each answer"
    )


@pytest.mark.speech
@pytest.mark.satellite
@needs_piper
def test_a_satellite_killed_mid_check_in_and_restarted_carries_on(tmp_path, capsys, satellite_python):
    played = tmp_path / "played.raw"
    played.touch()
    port = _free_port()
    answers = ["low", "plan a date", "stop"]
    clips = _clips(tmp_path, ["start check-in", *answers])
    first = RealSatellite(satellite_python, port, played, clips[:1])
    restarted: list[RealSatellite] = []
    listening = threading.Event()

    def restart() -> None:
        listening.wait(60)
        first.kill()
        time.sleep(2.0)
        restarted.append(RealSatellite(satellite_python, port, played, clips[1:], lead_s=4.0))

    killer = threading.Thread(target=restart, daemon=True)
    killer.start()
    cfg = _settings_file(tmp_path)
    try:
        runner, events, log, _ = _house(cfg, [f"tcp://127.0.0.1:{port}"], max_sessions=1, on_listen=listening)
    finally:
        killer.join(30)
        first.kill()
        for sat in restarted:
            sat.kill()
    assert [e["text"] for e in events if e["type"] == "heard"] == answers, log
    assert comparable(runner.records[0]) == comparable(_typed_record(tmp_path, capsys, answers))
    assert "closed the connection" in log and "connected again" in log


def test_doctor_checks_each_configured_satellite(tmp_path, capsys):
    fake = FakeSatellite([])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    cfg = _settings_file(tmp_path, satellites=f"[{fake.uri}, 'tcp://127.0.0.1:{closed}']")
    try:
        cli.main(["doctor", "--config", str(cfg)])
    finally:
        fake.close()
    out = capsys.readouterr().out.splitlines()
    ok = [line for line in out if line.startswith(f"ok   satellite {fake.uri}:")]
    bad = [line for line in out if line.startswith(f"FAIL satellite tcp://127.0.0.1:{closed}:")]
    assert ok and "answered: fake in kitchen" in ok[0], out
    assert bad and "unreachable" in bad[0], out
    assert fake.received == ["describe"], "a describe only: the satellite is not taken over"
    if any(line.startswith("ok   microphone: none on this board") for line in out):
        assert any(line.startswith("ok   speaker: none on this board") for line in out), (
            "no sound card: the satellites listen and speak"
        )


def test_the_service_may_reach_exactly_the_configured_satellites(tmp_path):
    from assistant.cli.firewall import main
    from assistant.home.satellites import systemd_dropin

    assert systemd_dropin(()) == ""
    text = systemd_dropin(("tcp://192.168.1.40:10700", "tcp://192.168.1.41:10700", "tcp://192.168.1.40:10701"))
    assert "IPAddressAllow=192.168.1.40/32 192.168.1.41/32\n" in text
    assert "RestrictAddressFamilies=AF_UNIX AF_INET\n" in text
    assert "AF_INET6" in systemd_dropin(("tcp://[fd00::7]:10700",)) and "fd00::7/128" in systemd_dropin(
        ("tcp://[fd00::7]:10700",)
    )
    unit = (ROOT / "scripts" / "checkin.service").read_text()
    assert "IPAddressDeny=any" in unit and "IPAddressAllow" not in unit.split("IPAddressDeny=any")[1]
    cfg = tmp_path / "config.yaml"
    cfg.write_text("satellites: [tcp://kitchen:10700]\n")
    assert main(["--systemd", str(cfg)]) == 2


@pytest.mark.speech
@needs_piper
def test_stopping_the_service_mid_check_in_on_a_satellite_keeps_what_was_said(tmp_path):
    import signal

    fake = FakeSatellite([piper_pcm("start check-in"), piper_pcm("low")], lead_s=1.0)
    cfg = _settings_file(tmp_path)
    log = tmp_path / "run.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "run",
            "--config",
            str(cfg),
            "--satellite",
            fake.uri,
            "--log",
            str(log),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (log.exists() and '"heard"' in log.read_text()):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        fake.close()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "checkin: interrupted; what was said so far is saved", err
    assert "Traceback" not in err and "Warning" not in err, err
    records = app.journal(config.load(cfg), app.dialogs(config.load(cfg))).records()
    assert [r["outcome"] for r in records] == ["stopped"], err
    assert sum(records[0]["speaking_seconds"].values()) > 0, "the answer heard before the stop is in the record"


@pytest.mark.speech
@needs_piper
def test_the_coach_never_hears_itself_on_a_satellite_that_streams_while_it_plays():
    from wyoming.audio import AudioChunk as WyomingChunk
    from wyoming.audio import AudioStart, AudioStop

    from assistant.home.satellites import SatelliteSpeaker

    prompt = piper_pcm("start check-in")  # the worst prompt to overhear
    fake = FakeSatellite([], echo=True, lead_s=1000)
    loop, link, _ = _link(fake.uri)
    heard: list[bytes] = []

    def listen() -> None:
        try:
            for chunk in link.chunks():
                heard.append(chunk.pcm)
        except KeyboardInterrupt:
            pass

    try:
        assert link.connected.wait(5)
        threading.Thread(target=listen, daemon=True).start()
        SatelliteSpeaker(link, margin_s=0.6).play(prompt, 16000)
        time.sleep(1.0)
        muted = b"".join(heard)
        link.send(
            AudioStart(rate=16000, width=2, channels=1),
            WyomingChunk(rate=16000, width=2, channels=1, audio=prompt),
            AudioStop(),
        )
        time.sleep(len(prompt) / 32000 + 1.0)  # the same prompt sent without the speaker's mute
        unmuted = b"".join(heard)[len(muted) :]
    finally:
        link.stop()
        loop.close()
        fake.close()
    assert fake.played == [prompt, prompt]
    assert muted.strip(b"\x00") == b"", "the echo of the prompt was dropped"
    assert prompt[4000:8000] in unmuted, "without the mute the satellite's microphone hears the prompt"


def _read_all(data: bytes) -> list:
    import asyncio

    from assistant.home.satellites import MAX_LINE, read_event

    async def go() -> list:
        reader = asyncio.StreamReader(limit=MAX_LINE)
        reader.feed_data(data)
        reader.feed_eof()
        events = []
        while True:
            event = await read_event(reader)
            if event is None:
                return events
            events.append(event)

    return asyncio.run(go())


def test_hostile_bytes_are_refused_with_one_line_never_anything_else():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    header = st.fixed_dictionaries(
        {"type": st.sampled_from(["audio-chunk", "run-pipeline", "x"])},
        optional={
            "data_length": st.integers(-5, 10**7),
            "payload_length": st.one_of(st.integers(-5, 10**9), st.text(max_size=3)),
            "data": st.one_of(st.none(), st.integers(), st.dictionaries(st.text(max_size=5), st.integers())),
        },
    )

    @settings(max_examples=300, deadline=None)
    @given(
        st.one_of(
            st.binary(max_size=300),
            st.builds(lambda h, tail: json.dumps(h).encode() + b"\n" + tail, header, st.binary(max_size=64)),
        )
    )
    def check(data: bytes) -> None:
        try:
            _read_all(data)
        except SatelliteError as exc:
            assert "\n" not in str(exc) and str(exc)
        except EOFError:
            pass  # a truncated event: the link reports "closed the connection in the middle of an event"

    check()
