"""The meaning layer's word lists and patterns (dialogs/meaning/*.yaml), read and checked.

:func:`tables_from_data` builds :class:`Tables` from parsed data and is pure; the files are read
by :func:`assistant.loader.meaning.load_tables`.  Every problem is one :class:`~assistant.loader.dialogs.DialogError` line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...formats.yamlfile import DialogError, Located, check_schema
from ..lexicon import Lexicon
from .model import ACTS, COMMANDS, GRIEFS, PRIVACY, TONES, TOPICS, WEAK_ACTS
from .text import Phrase, phrase

SAFETY_CATEGORIES = ("suicide", "self_harm", "violence", "abuse", "others", "crisis", "help")
"""Safety categories, for tests and logs only: the engine pauses alike for every one.  ``others``
is danger to children or other people."""

_WORDS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_SPAN = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 23}, "minItems": 2, "maxItems": 2}
_PHRASES = {"type": "object", "additionalProperties": False, "properties": {"anywhere": _WORDS, "whole": _WORDS}}
ACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "acts", "commands", "strong"],
    "properties": {
        "id": {"const": "acts"},
        "commands": {
            "type": "object",
            "additionalProperties": False,
            "required": ["acts"],
            "properties": {
                "acts": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object", "additionalProperties": _WORDS},
                "not_commands": _WORDS,
                "polite": _WORDS,
            },
        },
        "strong": _WORDS,
        "leads": _WORDS,
        "acts": {
            "type": "object",
            "propertyNames": {"enum": list(PRIVACY) + ["decline", *WEAK_ACTS]},
            "additionalProperties": _PHRASES,
        },
    },
}
SCALES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "scales", "negators"],
    "properties": {
        "id": {"const": "scales"},
        "negators": _WORDS,
        "softeners": _WORDS,
        "strengtheners": _WORDS,
        "scales": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["levels", "words"],
                "properties": {
                    "levels": {**_WORDS, "minItems": 2},
                    "words": {"type": "object", "additionalProperties": _WORDS},
                },
            },
        },
    },
}
SAFETY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "categories"],
    "properties": {
        "id": {"const": "safety"},
        "people": {"type": "string"},
        "you": {"type": "string"},
        "hurt": {"type": "string"},
        "kids": {"type": "string"},
        "false_alarms": _WORDS,
        "categories": {
            "type": "object",
            "propertyNames": {"enum": list(SAFETY_CATEGORIES)},
            "additionalProperties": {**_WORDS, "minItems": 1},
        },
    },
}
_PATTERNS = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
UNDERSTANDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "coach", "tones", "grief", "content_free", "touch"],
    "properties": {
        "id": {"const": "understanding"},
        "coach": {"type": "object", "propertyNames": {"enum": list(TOPICS)}, "additionalProperties": _PATTERNS},
        "tones": {"type": "object", "propertyNames": {"enum": list(TONES)}, "additionalProperties": _PATTERNS},
        "grief": {"type": "object", "propertyNames": {"enum": list(GRIEFS)}, "additionalProperties": _PATTERNS},
        "content_free": {
            "type": "object",
            "additionalProperties": False,
            "required": ["phrases"],
            "properties": {"phrases": {**_WORDS, "minItems": 1}},
        },
        "touch": {
            "type": "object",
            "additionalProperties": False,
            "required": ["keep_going"],
            "properties": {"keep_going": {**_WORDS, "minItems": 1}},
        },
    },
}
TIMES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "default", "dayparts"],
    "properties": {
        "id": {"const": "times"},
        "default": _SPAN,
        "dayparts": {"type": "object", "additionalProperties": _SPAN},
        "activities": {"type": "object", "additionalProperties": _SPAN},
    },
}


@dataclass(frozen=True)
class Phrases:
    anywhere: tuple[Phrase, ...] = ()
    whole: tuple[Phrase, ...] = ()


@dataclass(frozen=True)
class Scale:
    levels: tuple[str, ...]
    """Lowest first."""
    words: Mapping[Phrase, str]
    """phrase -> level."""


@dataclass(frozen=True)
class Tables:
    acts: Mapping[str, Phrases]
    strong: frozenset[str]
    commands: Mapping[str, tuple[Phrase, ...]]
    """act (stop, go_back, decline, ...) -> whole-answer phrases."""
    polite: frozenset[str]
    leads: re.Pattern[str]
    """Openings dropped before an answer is kept ("um, let's ...")."""
    scales: Mapping[str, Scale]
    negators: frozenset[str]
    softeners: frozenset[str]
    strengtheners: tuple[Phrase, ...]
    false_alarms: tuple[re.Pattern[str], ...]
    safety: tuple[tuple[str, re.Pattern[str]], ...]
    dayparts: Mapping[str, tuple[int, int]]
    activities: Mapping[str, tuple[int, int]]
    default_hours: tuple[int, int]
    feelings: Lexicon | None = field(default=None)
    coach: tuple[tuple[str, re.Pattern[str]], ...] = ()
    """topic -> patterns of a question to the coach (dialogs/meaning/understanding.yaml)."""
    tones: tuple[tuple[str, re.Pattern[str]], ...] = ()
    grief: tuple[tuple[str, re.Pattern[str]], ...] = ()
    content_free: tuple[Phrase, ...] = ()
    """Phrases that say nothing at an open question ("same", "what she said")."""
    keep_going: tuple[Phrase, ...] = ()
    """Phrases that are a clear keep-going during touch ("this is nice")."""
    reader: Any = field(default=None, compare=False)
    """The reader by meaning (:class:`assistant.text.meaning.reader.Reader`), or None: rules only."""


def _check(data: Any, schema: Mapping[str, Any], source: str, where: Located | None) -> None:
    if data is None:
        raise DialogError(source, 1, "", "the file is empty")
    check_schema(data, schema, source, where or Located(None))


def _commands(acts: Mapping[str, Any], common: Mapping[str, Any], source: str) -> dict[str, tuple[Phrase, ...]]:
    spec = acts["commands"]
    rename = {name: spec["acts"].get(name, name) for name in common}
    for name, act in rename.items():
        if act not in COMMANDS and act != "decline":
            raise DialogError(
                source,
                None,
                f"commands.acts.{name}",
                f"'{act}' is not a command or act (expected one of: {', '.join(COMMANDS)}, decline)",
            )
    dropped = {phrase(p) for p in spec.get("not_commands", [])}
    out: dict[str, list[Phrase]] = {}
    for name, phrases in common.items():
        out.setdefault(rename[name], []).extend(p for p in map(phrase, phrases) if p not in dropped)
    for name, phrases in (spec.get("extra") or {}).items():
        act = rename.get(name, name)
        if act not in out:
            raise DialogError(source, None, f"commands.extra.{name}", "is not a command in common.yaml")
        out[act].extend(map(phrase, phrases))
    return {k: tuple(v) for k, v in out.items()}


TABLE_NAMES = ("acts", "scales", "safety", "times")
"""The tables every dialogs/meaning/ has; understanding.yaml is read when it is there."""


def _compile(patterns: list[str], names: Mapping[str, str], source: str, path: str) -> list[re.Pattern[str]]:
    """Patterns with ``{people}``-like names filled in (safety.yaml's ``people``, ``you``...)."""
    out = []
    for i, text in enumerate(patterns):
        for key, value in names.items():
            text = text.replace("{" + key + "}", value)
        try:
            out.append(re.compile(text))
        except re.error as exc:
            raise DialogError(source, None, f"{path}[{i}]", f"not a valid pattern: {exc}") from None
    return out


def _leads(leads: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(
        r"\s+".join(re.escape(w).replace("'", "'?") for w in lead.lower().split())
        for lead in sorted(leads, key=len, reverse=True)
    )
    return re.compile(rf"^(?:(?:{alternatives})\b[\s,.!?]*)+" if alternatives else r"^\b\B", re.IGNORECASE)


def _scales(data: Mapping[str, Any], source: str) -> dict[str, Scale]:
    out = {}
    for name, spec in data["scales"].items():
        words: dict[Phrase, str] = {}
        for level, items in spec["words"].items():
            if level not in spec["levels"]:
                raise DialogError(
                    source,
                    None,
                    f"scales.{name}.words.{level}",
                    f"is not one of the levels: {', '.join(spec['levels'])}",
                )
            for item in items:
                key = phrase(item)
                if key in words and words[key] != level:
                    raise DialogError(
                        source, None, f"scales.{name}.words.{level}", f"'{item}' is already a word for '{words[key]}'"
                    )
                words[key] = level
        out[name] = Scale(tuple(spec["levels"]), words)
    return out


def _check_all(
    acts: Any, scales: Any, safety: Any, times: Any, understanding: Any, src: Mapping[str, tuple[str, Any]]
) -> None:
    """Each table against its schema, then what a schema cannot say (acts named, hours in order)."""
    for name, data, schema in (
        ("acts", acts, ACTS_SCHEMA),
        ("scales", scales, SCALES_SCHEMA),
        ("safety", safety, SAFETY_SCHEMA),
        ("times", times, TIMES_SCHEMA),
        *((("understanding", understanding, UNDERSTANDING_SCHEMA),) if understanding is not None else ()),
    ):
        _check(data, schema, *src[name])
    for act in acts["strong"]:
        if act not in ACTS:
            raise DialogError(src["acts"][0], None, "strong", f"'{act}' is not an act")
    for name, span in {**times["dayparts"], **(times.get("activities") or {}), "default": times["default"]}.items():
        if span[0] > span[1]:
            raise DialogError(src["times"][0], None, name, "the first hour must not be after the last")


def tables_from_data(
    acts: Any,
    scales: Any,
    safety: Any,
    times: Any,
    common: Mapping[str, Any],
    feelings: Lexicon | None = None,
    where: Mapping[str, tuple[str, Located | None]] | None = None,
    understanding: Any = None,
    reader: Any = None,
) -> Tables:
    """Check parsed tables (``where``: name -> (source, locator) for error lines) and build them.
    Without ``understanding`` (dialogs/meaning/understanding.yaml) no question to the coach,
    tone, grief, content-free answer or keep-going is read; without ``reader``, rules only."""
    where = where or {}
    src = {name: where.get(name, (f"{name}.yaml", None)) for name in (*TABLE_NAMES, "understanding")}
    _check_all(acts, scales, safety, times, understanding, src)
    names = {key: safety[key] for key in ("you", "hurt", "kids") if key in safety}
    names["people"] = safety.get("people", "(?:he|she|they)")
    categories = [
        (cat, p)
        for cat, items in safety["categories"].items()
        for p in _compile(items, names, src["safety"][0], f"categories.{cat}")
    ]
    u = understanding or {}
    usrc = src["understanding"][0]

    def labelled(section: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
        items = (u.get(section) or {}).items()
        return tuple((k, p) for k, ps in items for p in _compile(ps, {}, usrc, f"{section}.{k}"))

    return Tables(
        acts={
            name: Phrases(tuple(map(phrase, spec.get("anywhere", []))), tuple(map(phrase, spec.get("whole", []))))
            for name, spec in acts["acts"].items()
        },
        strong=frozenset(acts["strong"]),
        commands=_commands(acts, common.get("commands") or {}, src["acts"][0]),
        leads=_leads(acts.get("leads", [])),
        polite=frozenset(w for p in acts["commands"].get("polite", []) for w in phrase(p)),
        scales=_scales(scales, src["scales"][0]),
        negators=frozenset(scales["negators"]),
        softeners=frozenset(w for p in scales.get("softeners", []) for w in phrase(p)),
        strengtheners=tuple(map(phrase, scales.get("strengtheners", []))),
        false_alarms=tuple(_compile(safety.get("false_alarms", []), names, src["safety"][0], "false_alarms")),
        safety=tuple(categories),
        dayparts={k: (v[0], v[1]) for k, v in times["dayparts"].items()},
        activities={k: (v[0], v[1]) for k, v in (times.get("activities") or {}).items()},
        default_hours=(times["default"][0], times["default"][1]),
        feelings=feelings,
        coach=labelled("coach"),
        tones=labelled("tones"),
        grief=labelled("grief"),
        content_free=tuple(map(phrase, (u.get("content_free") or {}).get("phrases", []))),
        keep_going=tuple(map(phrase, (u.get("touch") or {}).get("keep_going", []))),
        reader=reader,
    )
