"""Where Check-in's own files are: the checkout it runs from, and the user's settings file."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_path

PROJECT_DIR = Path(__file__).resolve().parents[2]
"""The checkout this package runs from (``dialogs/``, ``models/``, ``scripts/`` and the
documented default ``config.yaml`` live here)."""


def user_file() -> Path:
    """The user's own settings, the file ``checkin setup`` writes (``platformdirs``:
    ``$XDG_CONFIG_HOME/checkin/config.yaml``, usually ``~/.config/checkin/config.yaml``)."""
    return user_config_path("checkin") / "config.yaml"
