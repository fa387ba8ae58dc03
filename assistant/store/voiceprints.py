"""Voiceprints: one speaker embedding per partner, kept by name in the data folder, owner only.

Only the embedding (256 numbers) is kept, never the audio it came from.  The file is
``voiceprints.json`` beside the journal (``~/.local/share/checkin/`` by default), mode 0600,
written atomically::

    {"version": 1, "model": "resemblyzer-0.1.4",
     "partners": {"Kim": {"embedding": [...256 floats], "seconds": 11.2, "enrolled_at": "2026-12-07T21:04"}}}

A missing file is "nobody enrolled"; a damaged one is one line (:class:`VoiceprintError`) and
is never overwritten silently: ``checkin enrol`` or ``setup`` replace it, ``forget`` erases it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..formats import advice
from ..formats.errors import CheckinError, InvalidInput
from .files import write_atomically

FILE_NAME = "voiceprints.json"
VERSION = 1
MODEL = "resemblyzer-0.1.4"
DIM = 256
MIN_SPEECH_S = 4.0
"""Enrolment needs at least this much speech in all (the issue's 4 s)."""


class VoiceprintError(CheckinError):
    """The voiceprints file cannot be read or written (one line, exit 1)."""


class TooLittleSpeech(InvalidInput):
    """Enrolment recordings hold less than :data:`MIN_SPEECH_S` of speech (exit 2)."""


@dataclass(frozen=True)
class Voiceprint:
    name: str
    embedding: np.ndarray
    seconds: float
    enrolled_at: str


def path_for(journal_file: Path) -> Path:
    """The voiceprints file of a journal (the same data folder)."""
    return journal_file.parent / FILE_NAME


def load(path: Path) -> dict[str, Voiceprint]:
    """Every partner's voiceprint by name ({} when nobody is enrolled)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise VoiceprintError(f"{path}: cannot read the voiceprints ({exc})") from None
    try:
        data = json.loads(text)
        if data.get("version") != VERSION or data.get("model") != MODEL:
            raise ValueError(f"made for {data.get('model')!r} version {data.get('version')!r}")
        prints = {}
        for name, item in data["partners"].items():
            vec = np.asarray(item["embedding"], dtype=np.float32)
            if vec.shape != (DIM,) or not np.all(np.isfinite(vec)):
                raise ValueError(f"{name}: not {DIM} numbers")
            norm = float(np.linalg.norm(vec))
            if norm <= 0:
                raise ValueError(f"{name}: an empty voiceprint")
            prints[str(name)] = Voiceprint(
                str(name), vec / norm, float(item.get("seconds", 0.0)), str(item.get("enrolled_at", ""))
            )
        return prints
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VoiceprintError(advice.text("voiceprints_damaged", path=path, reason=exc)) from None


def embeddings(prints: Mapping[str, Voiceprint], partners: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The embeddings of ``partners`` (all when None) that are enrolled."""
    names = list(prints) if partners is None else [p for p in partners if p in prints]
    return {name: prints[name].embedding for name in names}


def save(path: Path, prints: Mapping[str, Voiceprint]) -> None:
    """Write every voiceprint (the folder 0700 when created, the file 0600)."""
    data = {
        "version": VERSION,
        "model": MODEL,
        "partners": {
            p.name: {
                "embedding": [round(float(v), 6) for v in p.embedding],
                "seconds": round(p.seconds, 2),
                "enrolled_at": p.enrolled_at,
            }
            for p in prints.values()
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, (json.dumps(data) + "\n").encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise VoiceprintError(f"{path}: cannot save the voiceprints ({exc.strerror or exc})") from None


def put(path: Path, name: str, embedding: np.ndarray, seconds: float, now: datetime | None = None) -> Voiceprint:
    """Enrol (or re-enrol) ``name``, keeping everyone else's."""
    prints = load(path) if path.exists() else {}
    stamp = (now or datetime.now()).isoformat(timespec="seconds")
    vec = np.asarray(embedding, dtype=np.float32)
    prints[name] = Voiceprint(name, vec / max(float(np.linalg.norm(vec)), 1e-12), seconds, stamp)
    save(path, prints)
    return prints[name]


def rename(path: Path, renames: Mapping[str, str]) -> list[str]:
    """Carry voiceprints over to new partner names (``{old: new}``); the names moved."""
    if not path.exists():
        return []
    prints = load(path)
    moved = [old for old, new in renames.items() if old in prints and old != new]
    if not moved:
        return []
    kept = {name: p for name, p in prints.items() if name not in moved}
    for old in moved:
        new = renames[old]
        p = prints[old]
        kept[new] = Voiceprint(new, p.embedding, p.seconds, p.enrolled_at)
    save(path, kept)
    return moved


def forget(path: Path) -> int:
    """Erase every voiceprint (the file is overwritten before it is removed); how many there were."""
    if not path.exists():
        return 0
    try:
        count = len(load(path))
    except VoiceprintError:
        count = 0
    try:
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
        path.unlink()
    except OSError as exc:
        raise VoiceprintError(f"{path}: cannot erase the voiceprints ({exc.strerror or exc})") from None
    return count


def status(path: Path, partners: Sequence[str]) -> str:
    """One line for ``checkin doctor``: who is enrolled."""
    prints = load(path)
    parts = [
        f"{name} enrolled ({prints[name].seconds:.0f} s of speech)" if name in prints else f"{name} not enrolled"
        for name in partners
    ]
    others = sorted(set(prints) - set(partners))
    if others:
        parts.append(f"also kept: {', '.join(others)} (not a partner in config.yaml)")
    return "; ".join(parts)


__all__ = [
    "FILE_NAME",
    "MIN_SPEECH_S",
    "TooLittleSpeech",
    "Voiceprint",
    "VoiceprintError",
    "embeddings",
    "forget",
    "load",
    "path_for",
    "put",
    "rename",
    "save",
    "status",
]
