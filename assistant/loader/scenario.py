"""Scenario files for ``checkin simulate``: partners, start dialog, ``now``, turns, and
optional expectations that make the scenario check itself.

    partners: [Maya, Sam]
    start: plan-a-date
    now: 2026-11-25T18:00:00
    voices: [Maya, Sam]               # optional: whose voiceprints are enrolled
    turns:
      - text: a picnic
      - {text: "yes", speaker: Sam}   # optional: who said it (by voice; null: not sure)
      - silence: 8
      - audio: clips/saturday.wav     # relative to the scenario file
    expect:
      outcome: completed
      exercises:                      # each a subset of the record's entry at that index
        - {exercise: plan-a-date, date: "2026-11-28", confirmed: true}
      says: ["It's a date"]           # in this order somewhere in the prompts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..formats.yamlfile import DialogError, check_schema, parse_yaml, read_source
from ..formats.yamlfile import Located as Located

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "partners": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 2, "maxItems": 2},
        "voices": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 2},
        "start": {"type": "string"},
        "now": {"type": ["string", "object"]},
        "memory": {"type": "object"},
        "styles": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"pace": {"enum": ["slow", "normal", "fast"]}, "verbosity": {"enum": ["brief", "full"]}},
                "additionalProperties": False,
            },
        },
        "turns": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "silence": {"type": "number", "minimum": 0},
                    "audio": {"type": "string"},
                    "seconds": {"type": "number", "minimum": 0},
                    "speaker": {"type": ["string", "null"], "minLength": 1},
                },
                "minProperties": 1,
                "additionalProperties": False,
            },
        },
        "expect": {
            "type": "object",
            "properties": {
                "outcome": {"enum": ["completed", "stopped", "abandoned", "forgotten"]},
                "exercises": {"type": "array", "items": {"type": "object"}},
                "says": {"type": "array", "items": {"type": "string"}},
                "never_says": {"type": "array", "items": {"type": "string"}},
                "max_turns": {"type": "integer"},
            },
            "additionalProperties": False,
        },
    },
    "required": ["turns"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Scenario:
    source: str
    partners: tuple[str, str] | None
    start: str | None
    now: datetime | None
    turns: tuple[Mapping[str, Any], ...]
    memory: Mapping[str, Any] = field(default_factory=dict)
    expect: Mapping[str, Any] = field(default_factory=dict)
    styles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    voices: tuple[str, ...] = ()
    """The partners whose voiceprints count as enrolled (turns may then say ``speaker``)."""


def from_dict(data: Any, source: str, where: Located | None = None) -> Scenario:
    where = where or Located(None)
    if isinstance(data, dict) and isinstance(data.get("now"), datetime):
        data = {**data, "now": data["now"].isoformat()}  # YAML reads an unquoted timestamp as a datetime
    check_schema(data, SCHEMA, source, where)
    now = data.get("now")
    if isinstance(now, str):
        try:
            now = datetime.fromisoformat(now)
        except ValueError:
            raise DialogError(source, where.line(["now"]), "now", f"not an ISO date-time: {now!r}") from None
    elif now is not None and not isinstance(now, datetime):
        raise DialogError(source, where.line(["now"]), "now", "not an ISO date-time")
    base = Path(source).resolve().parent
    turns = []
    for turn in data["turns"]:
        turn = dict(turn)
        if "audio" in turn and not Path(turn["audio"]).is_absolute():
            turn["audio"] = str(base / turn["audio"])
        turns.append(turn)
    partners = tuple(data["partners"]) if "partners" in data else None
    return Scenario(
        source,
        partners,
        data.get("start"),
        now,
        tuple(turns),
        data.get("memory") or {},
        data.get("expect") or {},
        data.get("styles") or {},
        tuple(data.get("voices") or ()),
    )


def load(path: str | Path) -> Scenario:
    p = Path(path)
    data, where = parse_yaml(read_source(p, "scenario file"), str(p))
    if data is None:
        raise DialogError(str(p), 1, "", "the file is empty")
    return from_dict(data, str(p), where)


def _subset(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(k in actual and _subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, float) or isinstance(actual, float):
        try:
            return abs(float(expected) - float(actual)) < 1e-6
        except (TypeError, ValueError):
            return False
    return expected == actual or (isinstance(expected, str) and str(actual) == expected)


def check(
    scenario: Scenario, record: Mapping[str, Any], says: Sequence[str], turns_used: int | None = None
) -> list[str]:
    """Every way the run missed the scenario's ``expect`` (empty: all met)."""
    expect = scenario.expect
    problems = []
    if "outcome" in expect and record.get("outcome") != expect["outcome"]:
        problems.append(f"outcome {record.get('outcome')!r}, expected {expect['outcome']!r}")
    if "exercises" in expect:
        actual = record.get("exercises", [])
        if len(actual) != len(expect["exercises"]):
            problems.append(
                f"{len(actual)} exercise entries, expected {len(expect['exercises'])}: {[e.get('exercise') for e in actual]}"
            )
        for i, (want, got) in enumerate(zip(expect["exercises"], actual)):
            if not _subset(want, got):
                diff = {k: got.get(k) for k in want if not _subset(want[k], got.get(k))}
                problems.append(f"exercise {i + 1}: expected {dict((k, want[k]) for k in diff)}, got {diff}")
    position = 0
    for phrase in expect.get("says", []):
        for j in range(position, len(says)):
            if phrase.lower() in says[j].lower():
                position = j + 1
                break
        else:
            problems.append(f"never said (in order): {phrase!r}")
    for phrase in expect.get("never_says", []):
        if any(phrase.lower() in s.lower() for s in says):
            problems.append(f"said {phrase!r}, which it should not")
    return problems
