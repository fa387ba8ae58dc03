"""How an answer is said, by rules (dialogs/meaning/understanding.yaml): a question to the coach,
the tone (contempt, sarcasm, criticism, defensiveness), grief, an answer with no content, and a
clear keep-going during touch."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .tables import Tables
from .text import HESITATIONS, Hit, canonical, find

_CONTENT_FREE_ACTS = ("affirm", "deny")
"""Act phrases that say nothing at an open question by themselves ("yes", "okay", "no")."""


def _first(patterns: Sequence[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    t = canonical(text)
    for label, pattern in patterns:
        if pattern.search(t):
            return label
    return None


def coach_topic(text: str, tables: Tables) -> str | None:
    """The topic of a question to the coach ("are you recording this?" -> recording), or None."""
    return _first(tables.coach, text)


def tone(text: str, tables: Tables) -> str | None:
    """contempt, sarcasm, criticism or defensive (the first that holds, in that order), or None."""
    found = {label for label, pattern in tables.tones if pattern.search(canonical(text))}
    return next((t for t in ("contempt", "sarcasm", "criticism", "defensive") if t in found), None)


def grief(text: str, tables: Tables) -> str | None:
    """hopeless (hopelessness heard, a loss named or not), loss (a loss named), or None."""
    found = {label for label, pattern in tables.grief if pattern.search(canonical(text))}
    return "hopeless" if "hopeless" in found else ("loss" if "loss" in found else None)


def _covered(words: Sequence[str], phrases: Sequence[tuple[str, ...]], hits: Sequence[Hit] = ()) -> bool:
    """Every word is a hesitation or inside one of ``phrases`` or ``hits``."""
    covered = {i for h in hits for i in range(h.start, h.end)}
    covered |= {i for h in find(words, "", phrases) for i in range(h.start, h.end)}
    rest = [w for i, w in enumerate(words) if i not in covered and w not in HESITATIONS]
    return bool(covered) and not rest


def content_free(words: Sequence[str], hits: Sequence[Hit], tables: Tables) -> bool:
    """At an open question: nothing but acknowledgements, a bare yes or no and filler."""
    if not tables.content_free or any(h.label not in _CONTENT_FREE_ACTS for h in hits):
        return False  # "whatever", "i don't know", "not sure": their own acts
    acts = [h for h in hits if h.label == "affirm" or (h.label == "deny" and h.size == 1)]  # "no thanks" refuses
    return _covered(words, tables.content_free, acts)


def keeps_going(words: Sequence[str], tables: Tables) -> bool:
    """During touch: a clear "this is nice / keep going" and nothing else."""
    return _covered(words, tables.keep_going)
