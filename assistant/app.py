"""Assemble the pieces a command needs from the settings: dialogs, engine, journal, and
(lazily, so text-only commands never load them) the recogniser and the voice."""

from __future__ import annotations

from pathlib import Path

from .config import Settings
from .dialogs import DialogSet, load_dir
from .engine import Engine
from .journal import Journal


def dialogs(settings: Settings) -> DialogSet:
    return load_dir(settings.dialogs)


def engine(dset: DialogSet) -> Engine:
    return Engine(dset)


def journal(settings: Settings, dset: DialogSet, path: Path | None = None) -> Journal:
    return Journal(path or settings.journal_file(), keep=settings.journal_keep, free_text=dset.free_text_fields())


def voice(settings: Settings):
    """Speech output for ``--speak`` (filled in by the speech layer)."""
    raise NotImplementedError


def audio_turns(settings: Settings):
    """A decoder for ``{"audio": path}`` turns (filled in by the speech layer)."""
    return None
