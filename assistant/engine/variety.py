"""Variety and restraint across nights, decided from the journal's records.  Pure: records
and a date in, decisions out; no clock, no files, no randomness (scenarios stay reproducible).

- :func:`pick_line`: an opener or closer that was not said on the last nights, the least
  recently said first, ties broken by a stable hash of the date.
- :func:`safe_space_due`: the safe-space line on the first nights and after a heavy night only.
- :func:`weekly_offer_due`: the weekly check-in offered at most once a week after a "no".
- :func:`plan_recall_due`: a planned date recalled once, then again on its day.

Fields read from each record (the journal's session records; missing or malformed fields
are ignored, so old journals keep working):

``started_at``      ISO date-time (exists today)
``done``            dialogs done (exists today); a night "counts" when it finished an exercise
``exercises``       the entries (exists today): a complete one makes the night count
``lines``           ``{"opener": id, "closer": id, "safe_space": bool}``: the variant ids said
``heavy``           true after a hard moment (a safety stop, a withdrawal, a very low night)
``offers``          ``{"weekly": "yes" | "no"}``: the weekly offer and its answer
``recalled_plans``  plan keys recalled that night (see :func:`plan_key`)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FIRST_NIGHTS = 3
"""The safe-space line is said on this many first check-ins (with an exercise)."""
NO_REPEAT_NIGHTS = 1
"""A line said on this many last nights is not picked again while another is free."""
WEEK_DAYS = 7


@dataclass(frozen=True)
class Night:
    """What variety needs from one past check-in record."""

    day: date
    counted: bool
    """The night did at least one exercise."""
    safe_space: bool = False
    heavy: bool = False
    weekly: str | None = None
    """The answer to the weekly offer that night: "yes", "no" or None (not offered)."""
    recalled_plans: tuple[str, ...] = ()
    weekly_done: bool = False
    lines: Mapping[str, str] = field(default_factory=dict)
    """Every line id said that night, by kind (``opener``, ``closer``...)."""


def nights(
    records: Sequence[Mapping[str, Any]], counts: Callable[[Mapping[str, Any]], bool] | None = None
) -> list[Night]:
    """The records as :class:`Night` s in date order; records without a readable date are
    skipped.  ``counts``: whether a record's night counts (default: it finished an entry)."""
    out = []
    for rec in records:
        try:
            day = datetime.fromisoformat(str(rec.get("started_at"))).date()
        except ValueError:
            continue
        lines = _mapping(rec.get("lines"))
        offers = _mapping(rec.get("offers"))
        recalled = rec.get("recalled_plans")
        recalled = recalled if isinstance(recalled, list) else []
        out.append(
            Night(
                day=day,
                counted=(counts or _did_something)(rec),
                safe_space=lines.get("safe_space") is True,
                heavy=rec.get("heavy") is True,
                weekly=offers.get("weekly") if offers.get("weekly") in ("yes", "no") else None,
                recalled_plans=tuple(str(p) for p in recalled),
                weekly_done=isinstance(rec.get("done"), list) and "weekly-check-in" in rec["done"],
                lines={str(k): v for k, v in lines.items() if isinstance(v, str) and v},
            )
        )
    return sorted(out, key=lambda n: n.day)


def _did_something(rec: Mapping[str, Any]) -> bool:
    """The night finished an exercise: a complete entry (a session that only greeted, or was
    stopped before any exercise, does not count); a record without entries, by its ``done``."""
    entries = rec.get("exercises")
    if isinstance(entries, list):
        return any(isinstance(e, Mapping) and e.get("complete", True) for e in entries)
    return bool(rec.get("done"))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _stable(seed: str, option: str) -> str:
    return hashlib.sha256(f"{seed}\0{option}".encode()).hexdigest()


def pick_line(options: Sequence[str], said: Sequence[str | None], today: date) -> str:
    """The option to say tonight, given what was said on past nights (oldest first).

    Never one said on the last :data:`NO_REPEAT_NIGHTS` nights while another is left; among
    the rest, one never said, else the least recently said; ties by a hash of the date, so
    the same journal and date always give the same line.
    """
    if not options:
        raise ValueError("pick_line needs at least one option")
    last_said = {line: i for i, line in enumerate(said) if line is not None}
    recent = {line for line in said[-NO_REPEAT_NIGHTS:] if line is not None} if NO_REPEAT_NIGHTS else set()
    free = [o for o in options if o not in recent] or list(options)
    seed = today.isoformat()
    return min(free, key=lambda o: (last_said.get(o, -1), _stable(seed, o)))


def pick_for(records: Sequence[Mapping[str, Any]], kind: str, options: Sequence[str], today: date) -> str:
    """Tonight's line of ``kind`` (the records' ``lines.<kind>``: ``opener``, ``closer``...)."""
    return pick_line(options, [n.lines.get(kind) for n in nights(records) if n.day <= today], today)


def safe_space_due(
    records: Sequence[Mapping[str, Any]], today: date, counts: Callable[[Mapping[str, Any]], bool] | None = None
) -> bool:
    """Say the safe-space line tonight?  On the first :data:`FIRST_NIGHTS` check-ins that did
    an exercise, and after a heavy night until it has been said once since; never twice a day."""
    past = [n for n in nights(records, counts) if n.day <= today]
    if any(n.day == today and n.safe_space for n in past):
        return False
    if sum(1 for n in past if n.counted) < FIRST_NIGHTS:
        return True
    for n in reversed(past):
        if n.safe_space:
            return False
        if n.heavy:
            return True
    return False


def weekly_offer_due(records: Sequence[Mapping[str, Any]], today: date) -> bool:
    """Offer the weekly check-in tonight?  Not within a week of the last weekly check-in, and
    not within a week of the last offer, whatever its answer: after a "no", at most once a week."""
    for n in nights(records):
        if n.day <= today and (today - n.day).days < WEEK_DAYS and (n.weekly_done or n.weekly is not None):
            return False
    return True


def plan_key(plan: Mapping[str, Any]) -> str:
    """A stable key for a planned date: activity and day."""
    return f"{plan.get('activity') or ''}@{plan.get('date') or ''}"


def plan_recall_due(records: Sequence[Mapping[str, Any]], plan: Mapping[str, Any], today: date) -> bool:
    """Recall ``plan`` tonight?  Once (the first night after it was made), then again on its
    day; not on other nights, and never twice on one day."""
    key = plan_key(plan)
    recalled = [n.day for n in nights(records) if key in n.recalled_plans]
    if today in recalled:
        return False
    if not recalled:
        return True
    try:
        on = date.fromisoformat(str(plan.get("date")))
    except ValueError:
        return False
    return on == today
