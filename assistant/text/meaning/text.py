"""Normalised words and phrase spans: the one way the meaning layer compares text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..matching import normalise

Phrase = tuple[str, ...]
"""A phrase as words; "*" stands for any one word."""

HESITATIONS = frozenset("um umm uh uhh er erm hmm hm mm ah oh eh well so like".split())


def canonical(text: str) -> str:
    """Lower case, punctuation and apostrophes dropped: "Don't!" -> "dont"."""
    return " ".join(normalise(text).replace("'", "").split())


def tokens(text: str) -> list[str]:
    return canonical(text).split()


def phrase(text: str) -> Phrase:
    """A table phrase as words, keeping "*" (any one word)."""
    out: list[str] = []
    for w in str(text).split():
        out.extend(["*"] if w == "*" else tokens(w))
    return tuple(out)


@dataclass(frozen=True)
class Hit:
    """A phrase found at words ``start``..``end`` (end excluded)."""

    label: str
    start: int
    end: int
    score: float = 1.0

    @property
    def size(self) -> int:
        return self.end - self.start

    def covers(self, other: Hit) -> bool:
        return self.start <= other.start and other.end <= self.end and self.size > other.size


def _same(words: Sequence[str], p: Phrase) -> bool:
    return len(words) == len(p) and all(w == q or q == "*" for w, q in zip(words, p))


def find(words: Sequence[str], label: str, phrases: Iterable[Phrase]) -> list[Hit]:
    """Every place one of ``phrases`` occurs as a word sequence in ``words``."""
    out = []
    for p in phrases:
        n = len(p)
        for i in range(len(words) - n + 1):
            if _same(words[i : i + n], p):
                out.append(Hit(label, i, i + n))
    return out


def strip_hesitation(words: Sequence[str], extra: Iterable[str] = ()) -> list[str]:
    """Words without hesitations ("um", "well") at either end."""
    drop = HESITATIONS | frozenset(extra)
    w = list(words)
    while w and w[0] in drop:
        w.pop(0)
    while w and w[-1] in drop:
        w.pop()
    return w


def whole(
    words: Sequence[str], label: str, phrases: Iterable[Phrase], fuzzy: float = 85.0, drop: Iterable[str] = ()
) -> Hit | None:
    """``words`` (hesitations and ``drop`` words at the ends removed) say exactly one of
    ``phrases``; a short answer may also be a near miss ("yess", "stopp")."""
    core = strip_hesitation(words, drop) or list(words)
    if not core:
        return None
    text = " ".join(core)
    best: Hit | None = None
    for p in phrases:
        if _same(core, p):
            return Hit(label, 0, len(words), 1.0)
        if "*" in p or len(core) > 3 or len(text) < 4:
            continue
        score = fuzz.ratio(text, " ".join(p))
        if score >= fuzzy and (best is None or score / 100 > best.score):
            best = Hit(label, 0, len(words), round(score / 100, 2))
    return best


def outermost(hits: Iterable[Hit]) -> list[Hit]:
    """Hits not covered by a longer one ("not sure" hides "sure", "no idea" hides "no")."""
    hits = list(hits)
    return [h for h in hits if not any(o.covers(h) for o in hits)]


def uncovered(words: Sequence[str], hits: Iterable[Hit]) -> list[str]:
    """The words no hit covers."""
    covered = {i for h in hits for i in range(h.start, h.end)}
    return [w for i, w in enumerate(words) if i not in covered]
