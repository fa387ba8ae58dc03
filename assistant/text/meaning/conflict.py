"""Conflict moments in one answer (Gottman): a harsh start-up (``blame``), a repair attempt
(``repair``) or flooding (``flooded``), from the phrases in dialogs/meaning/conflict.yaml.

Pure: text and the rules in, a label out.  :func:`read` gives the ``conflict`` field of
:class:`~assistant.meaning.Meaning`; :func:`aimed_at_me` and :func:`not_you` read a feeling
that points at the partner ("annoyed at me?") and the answer to it ("not you, just the day").
The safety screen runs before any of this (a distress answer has no conflict label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..matching import normalise

BLAME = "blame"
REPAIR = "repair"
FLOODED = "flooded"
LABELS = (FLOODED, BLAME, REPAIR)
"""In the order they are tried: flooding first (nobody resolves anything flooded), then a
harsh start-up (an apology before it does not soften it), then a repair attempt."""

_FILLER = frozenset("um uh erm well so like okay ok honestly look listen and but i mean".split())
_PHRASES = {"type": "array", "items": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "blame", "repair", "flooded"],
    "properties": {
        "id": {"const": "conflict"},
        "blame": {
            "type": "object",
            "additionalProperties": False,
            "required": ["opens"],
            "properties": {"opens": _PHRASES},
        },
        "repair": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"anywhere": _PHRASES, "whole": _PHRASES},
        },
        "flooded": {"type": "object", "additionalProperties": False, "properties": {"anywhere": _PHRASES}},
        "aimed_at_me": _PHRASES,
        "not_you": _PHRASES,
    },
}


@dataclass(frozen=True)
class Rules:
    """dialogs/meaning/conflict.yaml, normalised."""

    blame_opens: tuple[str, ...] = ()
    repair_anywhere: tuple[str, ...] = ()
    repair_whole: tuple[str, ...] = ()
    flooded: tuple[str, ...] = ()
    aimed_at_me: tuple[str, ...] = ()
    not_you: tuple[str, ...] = ()


def rules_from_data(data: Mapping[str, Any]) -> Rules:
    """Rules from the parsed file (already checked against :data:`SCHEMA`)."""

    def norm(items: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(normalise(p) for p in items or () if normalise(p)))

    return Rules(
        blame_opens=norm(data["blame"].get("opens")),
        repair_anywhere=norm(data["repair"].get("anywhere")),
        repair_whole=norm(data["repair"].get("whole")),
        flooded=norm((data.get("flooded") or {}).get("anywhere")),
        aimed_at_me=norm(data.get("aimed_at_me")),
        not_you=norm(data.get("not_you")),
    )


def _said(text: str) -> str:
    return f" {normalise(text)} "


def _anywhere(said: str, phrases: tuple[str, ...]) -> bool:
    return any(f" {p} " in said for p in phrases)


def _opening(text: str) -> str:
    """The answer from its first word that is not filler ("well, you always ..." -> "you always ...")."""
    words = normalise(text).split()
    while words and words[0] in _FILLER:
        words = words[1:]
    return " ".join(words)


def read(text: str, rules: Rules | None) -> str | None:
    """``blame``, ``repair``, ``flooded`` or None for one answer."""
    if rules is None or not normalise(text):
        return None
    said = _said(text)
    if _anywhere(said, rules.flooded):
        return FLOODED
    opening = f" {_opening(text)} "
    if any(opening.startswith(f" {p} ") for p in rules.blame_opens):
        return BLAME
    if _anywhere(said, rules.repair_anywhere) or normalise(text) in rules.repair_whole:
        return REPAIR
    return None


def aimed_at_me(text: str, rules: Rules | None) -> bool:
    """The listener asks whether the feeling is about them ("annoyed at me?", "was it something I did?")."""
    return rules is not None and _anywhere(_said(text), rules.aimed_at_me)


def not_you(text: str, rules: Rules | None) -> bool:
    """The answer says it was not about the partner ("not you. just the day")."""
    return rules is not None and _anywhere(_said(text), rules.not_you)


def after_repair(text: str, rules: Rules | None) -> str:
    """What an answer says besides its repair ("sorry, I meant the kids take my evenings" ->
    "I meant the kids take my evenings"); empty when it is only the repair."""
    if rules is None:
        return text
    said = _said(text)
    for phrase in sorted(rules.repair_anywhere + rules.repair_whole, key=len, reverse=True):
        said = said.replace(f" {phrase} ", " ")
    words = [w for w in said.split() if w not in _FILLER]
    return " ".join(words)


__all__ = [
    "BLAME",
    "FLOODED",
    "LABELS",
    "REPAIR",
    "SCHEMA",
    "Rules",
    "after_repair",
    "aimed_at_me",
    "not_you",
    "read",
    "rules_from_data",
]
