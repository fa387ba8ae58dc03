"""What ``checkin understand`` prints: one answer read, with each reader's scores and which rule
decided.  Pure: text and tables in, lines out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Ask, Meaning
from .read import interpret, read_by_rules
from .tables import Tables

_FIELDS = ("content", "safety", "topic", "tone", "grief", "conflict", "family", "issue", "word")


def read(text: str, ask: Ask, tables: Tables) -> Meaning:
    """The answer read as the engine reads it (the rules, and the reader when there is one)."""
    return interpret(text, ask, tables)


def _rule(meaning: Meaning) -> str:
    by = meaning.decided_by or "rules"
    return {
        "rules": "the rules alone (word lists and patterns in dialogs/meaning/)",
        "reader": "the reader by meaning (models/reader.npz) over the rules",
        "both": "the rules and the reader agree",
    }.get(by, by)


def as_dict(meaning: Meaning, ask: Ask) -> dict[str, Any]:
    """One JSON-ready object: the question's kind, the act, every field set, the scores."""
    out: dict[str, Any] = {"at": ask.kind, "act": meaning.act}
    out.update({k: getattr(meaning, k) for k in _FIELDS if getattr(meaning, k) is not None})
    if meaning.when is not None:
        out["when"] = {
            "day": meaning.when.day.isoformat() if meaning.when.day else None,
            "time": meaning.when.time.isoformat() if meaning.when.time else None,
            "daypart": meaning.when.daypart,
        }
    out["confidence"] = meaning.confidence
    out["scores"] = dict(meaning.scores)
    out["decided_by"] = meaning.decided_by or "rules"
    return out


def _scores(scores: Mapping[str, float], reader: str) -> str:
    mine = sorted(
        ((k.split(":", 1)[1], v) for k, v in scores.items() if k.startswith(reader + ":")), key=lambda x: -x[1]
    )
    return ", ".join(f"{label} {value:.2f}" for label, value in mine[:5]) or "-"


def lines(meaning: Meaning, ask: Ask) -> list[str]:
    """Human lines: act, content and fields, the rules' and the reader's scores, the deciding rule."""
    out = [f"at: {ask.kind}", f"act: {meaning.act}"]
    out += [f"{k}: {getattr(meaning, k)}" for k in _FIELDS if getattr(meaning, k) is not None]
    if meaning.when is not None:
        out.append(f"when: {meaning.when.day or '-'} {meaning.when.time or '-'} {meaning.when.daypart or ''}".rstrip())
    out.append(f"confidence: {meaning.confidence:.2f}")
    out.append(f"rules: {_scores(meaning.scores, 'rules')}")
    has_reader = any(k.startswith("reader:") for k in meaning.scores)
    out.append(f"reader: {_scores(meaning.scores, 'reader') if has_reader else 'none loaded (rules only)'}")
    out.append(f"decided by: {_rule(meaning)}")
    return out


__all__ = ["as_dict", "lines", "read", "read_by_rules"]
