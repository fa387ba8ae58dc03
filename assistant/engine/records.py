"""Session records: which slots a dialog's record reads, one exercise entry, the whole record."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .render import fill
from .state import Frame, State

if TYPE_CHECKING:
    from .model import Dialog


def _reads(spec: Any) -> set[str]:
    """Slots one field of a ``record:`` map reads."""
    if isinstance(spec, str) and spec.startswith("$"):
        return {spec[1:]}
    if isinstance(spec, str):
        return {f.partition("|")[0] for _, f, _, _ in string.Formatter().parse(spec) if f}
    return set()


def recorded_slots(dialog: Dialog) -> frozenset[str]:
    """Slots an exercise's record reads ($slot references and {placeholders})."""
    names: set[str] = set()
    for spec in (dialog.record or {}).values():
        names |= _reads(spec)
    return frozenset(names - {"partner", "other"})


def fields_reading(dialog: Dialog, slots: Iterable[str]) -> list[str]:
    """The record fields that read any of ``slots`` (what "don't keep that" removes)."""
    wanted = set(slots) - {"partner", "other"}
    return [key for key, spec in (dialog.record or {}).items() if _reads(spec) & wanted]


def entry(dialog: Dialog, frame: Frame, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The record entry of one run of ``dialog`` (its ``record:`` map filled in from ``frame``)."""
    values = {**variables, **{k: v for k, v in frame.slots.items() if v is not None}}
    out: dict[str, Any] = {}
    for key, spec in (dialog.record or {}).items():
        if isinstance(spec, str) and spec.startswith("$"):
            out[key] = frame.slots.get(spec[1:], values.get(spec[1:]) if spec[1:] in values else None)
        elif isinstance(spec, str):
            out[key] = fill(spec, values)
        else:
            out[key] = spec
    gone = [
        f
        for f in fields_reading(dialog, [k for k in frame.not_kept if frame.slots.get(k) is None])
        if out.get(f) in (None, "")
    ]
    if gone:
        for name in gone:
            out.pop(name, None)
        out["not_kept"] = gone
    return out


def session_record(state: State, unfinished: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The session record as it stands: committed entries, plus ``unfinished`` ones."""
    return {
        "id": state.session["id"],
        "started_at": state.session["started_at"],
        "ended_at": None,
        "partners": list(state.session["partners"]),
        "outcome": state.outcome or "in_progress",
        "exercises": [dict(e) for e in state.entries] + [dict(e) for e in unfinished],
        "speaking_seconds": dict(state.speaking),
        "done": list(state.done),
        **notes_fields(state.notes),
    }


def add_notes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A node's ``note:`` over the notes so far: a key ending in ``[]`` adds to a list."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        if key.endswith("[]"):
            out[key] = [*old.get(key, []), value] if value not in (None, "") else list(old.get(key, []))
        else:
            out[key] = value
    return out


def notes_fields(notes: Mapping[str, Any]) -> dict[str, Any]:
    """Notes as record fields: ``lines.opener`` -> ``{"lines": {"opener": ...}}``, ``recalled_plans[]`` -> a list."""
    out: dict[str, Any] = {}
    for key, value in notes.items():
        head, dot, tail = key.removesuffix("[]").partition(".")
        if dot:
            out.setdefault(head, {})[tail] = value
        else:
            out[head] = value
    return out
