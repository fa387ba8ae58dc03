"""JSON-schema pieces shared by node types and dialogs (texts, node targets, assignments)."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
TEXTS: dict[str, Any] = {"oneOf": [TEXT, {"type": "array", "items": TEXT, "minItems": 1}]}
TARGET: dict[str, Any] = {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"}
ASSIGN: dict[str, Any] = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
CHOICE_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "label": TEXT,
        "phrases": {"type": "array", "items": TEXT},
        "like": {"type": "string"},
        "goto": TARGET,
        "set": ASSIGN,
        "say": TEXTS,
        "carry": {
            "type": "object",
            "properties": {"slot": TEXT, "goto": TARGET},
            "required": ["slot", "goto"],
            "additionalProperties": False,
        },
    },
    "required": ["label"],
    "additionalProperties": False,
}


def texts(value: Any) -> list[str]:
    """A text-or-list-of-texts field as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
