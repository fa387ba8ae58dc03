"""Finding acts in an answer: phrase hits, whole-answer commands, and the order they win in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..matching import best_match, content_words
from .model import COMMANDS, PRECEDENCE, Ask, Meaning
from .tables import Tables
from .text import HESITATIONS, Hit, find, outermost, uncovered, whole


def act_hits(words: Sequence[str], tables: Tables) -> list[Hit]:
    """Every act phrase in the answer, the outermost only ("not sure" hides "sure")."""
    hits: list[Hit] = []
    wholes: list[Hit] = []
    for act, phrases in tables.acts.items():
        hits += find(words, act, phrases.anywhere)
        hit = whole(words, act, phrases.whole + tuple(p for p in phrases.anywhere if len(p) == 1))  # "yeas" is yes
        if hit is not None:
            wholes.append(hit)
    spans = {(h.start, h.end) for h in hits}
    hits += [h for h in wholes if (h.start, h.end) not in spans]  # "uh huh" said exactly is not "huh"
    return outermost(hits)


def says_nothing_else(words: Sequence[str], hits: Iterable[Hit]) -> bool:
    """Nothing but acts and filler: "I don't know what to say" (not "I don't know, maybe bowling")."""
    rest = [w for w in uncovered(words, hits) if w not in HESITATIONS]
    return not content_words(" ".join(rest))


def first_act(
    hits: Sequence[Hit], acts: Iterable[str], words: Sequence[str] | None = None, strong: frozenset[str] = frozenset()
) -> Meaning | None:
    """The act of ``acts`` found in ``hits`` that comes first in :data:`PRECEDENCE`.  With
    ``words`` (an open question), a weak act counts only when nothing else was said."""
    wanted = set(acts)
    alone = words is None or says_nothing_else(words, hits)
    for act in PRECEDENCE:
        if act not in wanted:
            continue
        found = [h for h in hits if h.label == act]
        if found and (alone or act in strong):
            return Meaning(act, confidence=max(h.score for h in found))
    return None


def command(words: Sequence[str], ask: Ask, tables: Tables) -> Meaning | None:
    """A global command said as the whole answer (give or take "please"), fuzzily for a
    misheard word; in a choice an option said as well or better wins ("keep going")."""
    best: Hit | None = None
    for act in (*COMMANDS, "decline"):
        hit = whole(words, act, tables.commands.get(act, ()), fuzzy=88.0, drop=tables.polite)
        if hit is not None and (best is None or hit.score > best.score):
            best = hit
    if best is None:
        return None
    if ask.options:
        option = best_match(" ".join(words), ask.options, threshold=80.0)
        if option is not None and option.score / 100 >= best.score:
            return None
    return Meaning(best.label, confidence=best.score)
