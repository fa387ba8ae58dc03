"""Wyoming satellites found by zeroconf: a real ``_wyoming._tcp`` announcement on loopback
(registered here with the zeroconf package on 127.0.0.1, nothing sent to any other
interface; every browse is bounded in time), picked by name in ``checkin setup``, listed
by ``checkin devices``; none found is one line; host names are looked up by setup."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fake_satellite import FakeSatellite

from assistant import config
from assistant.cli import main as cli
from assistant.cli.firstrun import Ports
from assistant.cli.setup_satellites import NONE_FOUND, pick, satellites_step
from assistant.formats import advice
from assistant.home import discovery
from assistant.home.discovery import DiscoveryError, Found

LOOPBACK = ["127.0.0.1"]


@contextlib.contextmanager
def announced(name: str, port: int, server: str = "kitchen-sat.local."):
    """A ``_wyoming._tcp`` service announced by zeroconf on loopback only, as wyoming-satellite does.

    Loopback is shared by every process on the machine, so other test runs here may announce
    satellites too: the tests pick out their own (by port, or by a host name of their own)."""
    from zeroconf import IPVersion, ServiceInfo, Zeroconf

    zc = Zeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only)
    info = ServiceInfo(
        discovery.SERVICE,
        f"{name}.{discovery.SERVICE}",
        addresses=[socket.inet_aton("127.0.0.1")],
        port=port,
        server=server,
    )
    try:
        zc.register_service(info)
        yield info
    finally:
        zc.unregister_service(info)
        zc.close()


@pytest.fixture
def satellite():
    fake = FakeSatellite([])
    yield fake
    fake.close(quiet_s=0.0)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_announced_satellite_is_found_by_its_name(satellite):
    silent = closed_port()
    by_port: dict = {}
    with announced("wyoming-kitchen", satellite.port), announced("mystery", silent, "mystery.local."):
        for _ in range(6):  # a loaded machine may answer a 2 s browse late: browse again, 12 s at most
            found = discovery.browse(seconds=2.0, interfaces=LOOPBACK)
            by_port.update({f.port: f for f in found if f.address == "127.0.0.1"})
            if {satellite.port, silent} <= set(by_port):
                break
    assert {satellite.port, silent} <= set(by_port), found
    kitchen = by_port[satellite.port]
    assert (kitchen.name, kitchen.kind, kitchen.detail) == ("fake", "satellite", "in kitchen"), (
        "its own name, by describe"
    )
    assert kitchen.announced_as == "wyoming-kitchen" and kitchen.host == "kitchen-sat.local"
    assert kitchen.uri == f"tcp://127.0.0.1:{satellite.port}" and kitchen.offered
    mystery = by_port[silent]
    assert mystery.kind == "unknown" and "did not describe itself" in mystery.detail and mystery.offered
    assert set(satellite.received) == {"describe"}, "describes only: the satellite is not taken over"
    assert discovery.SERVICE == "_wyoming._tcp.local."


@pytest.fixture
def nothing_announced(monkeypatch):
    """A service type of this test's own, which nothing on the machine announces (other test
    runs here may announce ``_wyoming._tcp`` on the shared loopback at any moment)."""
    import uuid

    monkeypatch.setattr(discovery, "SERVICE", f"_wy{uuid.uuid4().hex[:10]}._tcp.local.")


def test_none_found_is_an_empty_list_and_one_line_in_devices(nothing_announced, capsys):
    assert discovery.browse(seconds=1.0, interfaces=LOOPBACK) == []
    cli.main(["devices"])
    out = capsys.readouterr().out.splitlines()
    assert out.count("No Wyoming satellites found on the network.") == 1
    assert not [line for line in out if line.startswith("satellite ")]


def test_devices_lists_a_satellite_and_says_whether_it_is_configured(satellite, tmp_path, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("satellites: []\n")
    with announced("wyoming-kitchen", satellite.port):
        cli.main(["devices", "--config", str(cfg)])
    out = capsys.readouterr().out.splitlines()
    line = [x for x in out if x.startswith(f"satellite fake: tcp://127.0.0.1:{satellite.port} ")]
    assert line == [
        f"satellite fake: tcp://127.0.0.1:{satellite.port} (kitchen-sat.local) - in kitchen; pick it in `checkin setup`"
    ]


def setup_run(cfg: Path, answers: list[str], *extra: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "setup", "--config", str(cfg), *extra],
        input="".join(a + "\n" for a in answers),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


NAMES = ["Maya", "", "Sam", "", "Germany", "", ""]


def test_setup_finds_satellites_and_the_couple_picks_them_by_name(satellite, tmp_path):
    import uuid

    cfg = tmp_path / "config.yaml"
    host = f"kitchen-{uuid.uuid4().hex[:8]}"  # its own: other test runs here may announce satellites too
    with (
        announced("wyoming-kitchen", satellite.port, f"{host}.local."),
        announced("attic", closed_port(), "attic.local."),
    ):
        result = setup_run(cfg, [*NAMES, "n", "n", host.upper()], tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Wyoming satellites found on the network:" in result.stdout
    settings = config.load(cfg)
    uri = f"tcp://127.0.0.1:{satellite.port}"
    assert settings.satellites == (uri,) and settings.satellite_names == {uri: "fake"}
    assert yaml.safe_load(cfg.read_text())["satellites"] == [{"name": "fake", "uri": uri, "host": f"{host}.local"}]
    assert "install.sh again" in result.stdout
    # the service's firewall: exactly this address
    dropin = subprocess.run(
        [sys.executable, "-m", "assistant.cli.firewall", "--systemd", str(cfg)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dropin.returncode == 0 and "IPAddressAllow=127.0.0.1/32\n" in dropin.stdout


def test_setup_with_no_satellite_around_says_one_line_and_asks_nothing(
    nothing_announced, tmp_path, monkeypatch, capsys
):
    import io

    cfg = tmp_path / "config.yaml"
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join([*NAMES, "n", "n"]) + "\n"))  # ends after the device tests
    assert cli.main(["setup", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert out.count(NONE_FOUND) == 1 and "Which should Check-in" not in out
    assert "satellites" not in yaml.safe_load(cfg.read_text())


def test_setup_looks_up_host_names_and_writes_the_address(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("satellites: ['tcp://localhost:10700']\n")
    assert config.load(cfg).satellites == ("tcp://localhost:10700",), "kept as written until setup"
    result = setup_run(cfg, NAMES, "--skip-devices", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(cfg.read_text())["satellites"] == [{"uri": "tcp://127.0.0.1:10700", "host": "localhost"}]
    assert config.load(cfg).satellite_hosts == {"tcp://127.0.0.1:10700": "localhost"}


def test_run_refuses_a_host_name_in_one_line(tmp_path, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("satellites: ['tcp://kitchen-sat.local:10700']\n")
    assert cli.main(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"kitchen-sat.local is a host name: run `{advice.command('setup')}`" in err[0], err


# --------------------------------------------------------------------------- the step, in process


class Answers:
    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.told: list[str] = []
        self.asked: list[str] = []

    def ports(self) -> Ports:
        def ask(question: str) -> str:
            self.asked.append(question)
            if not self.answers:
                raise EOFError
            return self.answers.pop(0)

        return Ports(ask=ask, tell=self.told.append)


KITCHEN = Found("kitchen", "kitchen-sat.local", "192.168.1.40", 10700, "satellite", "in the kitchen", "kitchen")
BEDROOM = Found("bedroom", "bedroom-sat.local", "192.168.1.41", 10700, "satellite", "", "bedroom")
PIPER = Found("piper", "nas.local", "192.168.1.5", 10200, "tts", "", "piper")


def never(host: str) -> str:
    raise DiscoveryError(f"cannot look up {host}: Name or service not known")


def test_an_unresolvable_host_name_is_one_line_and_kept():
    io_ = Answers()
    step = satellites_step(lambda: [], never)
    data = {"satellites": [{"name": "kitchen", "uri": "tcp://192.168.1.40:10700", "host": "kitchen-sat.local"}]}
    assert step(data, io_.ports()) == {}
    problems = [line for line in io_.told if "cannot look up" in line]
    assert problems == [
        "Satellites: cannot look up kitchen-sat.local: Name or service not known; kitchen (tcp://192.168.1.40:10700) kept as it was."
    ]
    assert not io_.asked


def test_picking_by_name_all_none_and_a_typo():
    assert pick("all", [KITCHEN, BEDROOM]) == [KITCHEN, BEDROOM]
    assert pick("none", [KITCHEN]) == []
    assert pick("Bedroom, kitchen", [KITCHEN, BEDROOM]) == [BEDROOM, KITCHEN]
    assert pick("kitchen-sat", [KITCHEN, BEDROOM]) == [KITCHEN]
    assert pick("kitchn", [KITCHEN, BEDROOM]) == "no satellite called 'kitchn' was found (found: kitchen, bedroom)"
    io_ = Answers("kitchn", "bedroom")
    changed = satellites_step(lambda: [KITCHEN, BEDROOM, PIPER], never)({}, io_.ports())
    assert changed == {
        "satellites": [{"name": "bedroom", "uri": "tcp://192.168.1.41:10700", "host": "bedroom-sat.local"}]
    }
    assert any("no satellite called 'kitchn'" in line for line in io_.told)
    assert not any("piper" in line for line in io_.told), "a Wyoming service that is not a satellite is not offered"


def test_enter_keeps_the_satellites_in_use_and_one_that_moved_is_followed():
    moved = Found("kitchen", "kitchen-sat.local", "192.168.1.77", 10700, "satellite", "", "kitchen")
    data = {"satellites": [{"name": "kitchen", "uri": "tcp://192.168.1.40:10700", "host": "kitchen-sat.local"}]}
    io_ = Answers("")
    changed = satellites_step(lambda: [moved], lambda host: "192.168.1.77")(data, io_.ports())
    assert changed == {
        "satellites": [{"name": "kitchen", "uri": "tcp://192.168.1.77:10700", "host": "kitchen-sat.local"}]
    }
    assert "[kitchen]" in io_.asked[0] and "kitchen-sat.local is now at tcp://192.168.1.77:10700." in " ".join(io_.told)


def test_a_browse_that_fails_is_one_line():
    def broken() -> list[Found]:
        raise DiscoveryError("cannot look for satellites on the network: Address already in use")

    io_ = Answers()
    assert satellites_step(broken, never)({}, io_.ports()) == {}
    assert io_.told[0] == "Satellites: cannot look for satellites on the network: Address already in use."
    assert io_.told[1] == NONE_FOUND


def test_the_tests_browse_on_loopback_only():
    assert discovery.interfaces_from_env() == ["127.0.0.1"]
