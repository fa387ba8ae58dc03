from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIALOGS = ROOT / "dialogs"
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))


@pytest.fixture(scope="session")
def dialog_set():
    from assistant.dialogs import load_dir

    return load_dir(DIALOGS)


@pytest.fixture(scope="session")
def engine(dialog_set):
    from assistant.engine import Engine

    return Engine(dialog_set)


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """No test writes to the real user's journal or cache."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
