"""The meaning layer: what a person is doing with an answer (the act), then what it says.

Pure: :func:`interpret` takes the answer, what was asked (:class:`Ask`) and the tables from
dialogs/meaning/ (:func:`assistant.loader.dialogs.load_tables`, read once at start-up) and returns a frozen
:class:`Meaning`.  :func:`screen` is the safety screen on its own.
"""

from ..slots import When, resolve_when
from .model import (
    ACTS,
    ANSWER,
    CLOSED,
    COMMANDS,
    DISTRESS,
    KINDS,
    PRECEDENCE,
    PRIVACY,
    UNCLEAR,
    WEAK_ACTS,
    Ask,
    Meaning,
)
from .read import choose, interpret, kept_text
from .safety import screen
from .tables import SAFETY_CATEGORIES, Tables, tables_from_data

__all__ = [
    "ACTS",
    "ANSWER",
    "CLOSED",
    "COMMANDS",
    "DISTRESS",
    "KINDS",
    "PRECEDENCE",
    "PRIVACY",
    "SAFETY_CATEGORIES",
    "UNCLEAR",
    "WEAK_ACTS",
    "Ask",
    "Meaning",
    "Tables",
    "When",
    "choose",
    "interpret",
    "kept_text",
    "resolve_when",
    "screen",
    "tables_from_data",
]
