from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIALOGS = ROOT / "dialogs"
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))


@pytest.fixture(scope="session")
def dialog_set():
    from assistant.loader.dialogs import load_dir

    return load_dir(DIALOGS)


@pytest.fixture(scope="session")
def engine(dialog_set):
    from assistant.engine import Engine

    return Engine(dialog_set)


class DialogsCopy:
    """A copy of the shipped ``dialogs/`` to break on purpose."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(DIALOGS, root)

    def edit(self, file: str, old: str, new: str) -> int:
        """Replace the first ``old`` in ``file`` with ``new``; the line ``new`` starts on."""
        path = self.root / file
        text = path.read_text()
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1))
        return self.line_of(file, new.splitlines()[0])

    def line_of(self, file: str, fragment: str) -> int:
        return next(i for i, text in enumerate((self.root / file).read_text().splitlines(), 1) if fragment in text)


@pytest.fixture
def dialogs_copy(tmp_path) -> DialogsCopy:
    return DialogsCopy(tmp_path / "dialogs")


@pytest.fixture(autouse=True)
def _loopback_zeroconf(monkeypatch):
    """Zeroconf looks for satellites on loopback only: no test sends anything to the network."""
    monkeypatch.setenv("CHECKIN_ZEROCONF_INTERFACES", "127.0.0.1")


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """No test reads or writes the real user's settings, journal, cache or logs."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
