"""Judge a listener's paraphrase by meaning, not by shared words.  Pure: text in, verdict out.

A statement word counts as said back when a paraphrase word (or short phrase) has the same
Snowball stem, shares a WordNet sense with it, is one WordNet step away (a broader term,
the noun of the verb, part of it), or belongs to the same everyday near-paraphrase group
("time to myself" / "time alone").  The score is the balance (F-beta, leaning to recall) of how much of the
statement was caught and how much of the paraphrase is about the statement, each word
weighted by how informative it is.  Mockery, rebuttal, "you always / you never" and
problem-solving are recognised from their phrasing and get their own category (and a low
score), so the coach answers them with a kind coaching line instead of praise.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from . import lexicon_paraphrase as lex
from .words import normalise
from .wordtable import Sense, WordLookup, WordTable, WordTableError

CATEGORIES = ("faithful", "partial", "unrelated", "mocking", "rebuttal", "always_never", "fixing", "filler")
FAITHFUL_AT = 0.6
"""Scores from here up are faithful (the dialogs praise from 0.6)."""
PARTIAL_AT = 0.25
MARKED_FACTOR = 0.25
"""Mockery, rebuttal, absolutes and fixing keep this share of their meaning score."""


@dataclass(frozen=True)
class Verdict:
    score: float
    """0..1: how faithfully the paraphrase says the statement back."""
    category: str
    """One of :data:`CATEGORIES`."""
    praise: tuple[str, ...]
    """The listener's own words that carried the statement's meaning, worth praising (no filler)."""
    missed: tuple[str, ...]
    """Statement words whose meaning the paraphrase did not carry."""
    recall: float = 0.0
    precision: float = 0.0
    markers: tuple[str, ...] = field(default=())
    """The phrases that put the paraphrase in a coaching category ("boo hoo", "exaggerating")."""

    @property
    def caught(self) -> tuple[str, ...]:
        """Compatibility with :class:`assistant.text.matching.Overlap`: the words to praise."""
        return self.praise


@dataclass(frozen=True)
class Token:
    surface: str
    key: str
    """Snowball stems of the word or phrase, space-joined (the table's key)."""
    group: str | None
    """Near-paraphrase group, if the phrase is in the project's own list."""
    sense: Sense | None
    weight: float


class Judge:
    """Paraphrase judge over a :class:`WordTable` (one per process is plenty)."""

    def __init__(self, table: WordLookup | None = None):
        self.table = table if table is not None else WordTable()
        import snowballstemmer

        self._stem = lru_cache(maxsize=8192)(snowballstemmer.stemmer("english").stemWord)
        self._group_of_stem = {self._stem(p): g for p, g in lex.GROUP_OF.items() if " " not in p}

    # ------------------------------------------------------------------ tokens

    def tokens(self, text: str) -> list[Token]:
        """Content tokens of ``text``: near-paraphrase groups and WordNet phrases first
        (longest at each position), then single words; filler and stop words dropped."""
        ws = _words(text)
        out: list[Token] = []
        i = 0
        while i < len(ws):
            tok, n = self._phrase_at(ws, i)
            if tok is None:
                tok, n = self._word(ws[i]), 1
            if tok is not None and all(t.key != tok.key for t in out):
                out.append(tok)
            i += n
        return out

    def _phrase_at(self, ws: Sequence[str], i: int) -> tuple[Token | None, int]:
        for n in (4, 3, 2):
            if i + n > len(ws):
                continue
            surface = " ".join(ws[i : i + n])
            group = lex.GROUP_OF.get(surface)
            if group is not None:
                return Token(surface, group, group, None, 1.0), n
            if n <= 3 and ws[i] not in lex.PHRASE_EDGE_STOP and ws[i + n - 1] not in lex.PHRASE_EDGE_STOP:
                key = " ".join(self._stem(w) for w in ws[i : i + n])
                sense = self.table.lookup(key)
                # a phrase of filler words only ("sure thing") is filler too
                if sense is not None and any(self._word(w) is not None for w in ws[i : i + n]):
                    return Token(surface, key, None, sense, _weight(sense)), n
        return None, 1

    def _word(self, w: str) -> Token | None:
        if w in lex.STOP or len(w) < 2 or not w.isalpha():
            return None
        base = lex.IRREGULAR.get(w, w)
        key = self._stem(base)
        group = lex.GROUP_OF.get(w) or lex.GROUP_OF.get(base) or self._group_of_stem.get(key)
        sense = self.table.lookup(key)
        weight = lex.LIGHT.get(base, _weight(sense))
        return Token(w, group or key, group, sense, weight)

    # ------------------------------------------------------------------ meaning

    def judge(self, statement: str, paraphrase: str) -> Verdict:
        said, back = self.tokens(statement), self.tokens(paraphrase)
        if not back:
            return Verdict(0.0, "filler", (), tuple(t.surface for t in said))
        if not said:
            return Verdict(0.0, "unrelated", (), ())
        best_back = [max((_similarity(s, b) for b in back), default=0.0) for s in said]
        best_said = [max((_similarity(b, s) for s in said), default=0.0) for b in back]
        recall = _weighted(best_back, said)
        precision = _weighted(best_said, back)
        b2 = lex.BETA**2
        f_beta = 0.0 if recall + precision == 0 else (1 + b2) * recall * precision / (b2 * precision + recall)
        score = min(1.0, f_beta * lex.SCALE)
        praise = tuple(b.surface for b, sim in zip(back, best_said) if sim >= 0.5 and b.surface not in lex.NEVER_PRAISE)
        missed = tuple(s.surface for s, sim in zip(said, best_back) if sim < 0.5)
        category, markers = coaching_category(statement, paraphrase)
        if category is not None:
            return Verdict(
                round(score * MARKED_FACTOR, 3), category, (), missed, round(recall, 3), round(precision, 3), markers
            )
        if score >= FAITHFUL_AT:
            category = "faithful"
        elif score >= PARTIAL_AT:
            category = "partial"
        else:
            category, praise = "unrelated", ()
        return Verdict(round(score, 3), category, praise, missed, round(recall, 3), round(precision, 3))


def _similarity(a: Token, b: Token) -> float:
    """How close two tokens are in meaning (0..1)."""
    if a.key == b.key or (a.group is not None and a.group == b.group):
        return 1.0
    sa, sb = a.sense, b.sense
    if sa is None or sb is None:
        return 0.0
    if sa.synsets & sb.synsets:
        return lex.SIM_SYNONYM
    if sa.synsets & sb.related or sb.synsets & sa.related:
        return lex.SIM_RELATED
    if sa.related & sb.related:
        return lex.SIM_SIBLING
    return 0.0


def _weight(sense: Sense | None) -> float:
    """Rarer words say more: 1.0 for words the corpus barely has, less for everyday ones."""
    freq = sense.freq if sense is not None else 0
    return 1.0 / (1.0 + lex.FREQ_DAMPING * math.log1p(freq))


def _weighted(sims: Sequence[float], toks: Sequence[Token]) -> float:
    total = sum(t.weight for t in toks)
    return sum(s * t.weight for s, t in zip(sims, toks)) / total if total else 0.0


def _words(text: str) -> list[str]:
    """Normalised words with contractions opened ("don't" -> "do not") and possessives dropped."""
    out: list[str] = []
    for w in normalise(text).split():
        w = w.strip("'")
        for suffix, extra in lex.CONTRACTIONS:
            if w.endswith(suffix) and len(w) > len(suffix):
                w = lex.CONTRACTION_BASES.get(w, w[: -len(suffix)])
                out.append(w)
                if extra:
                    out.append(extra)
                break
        else:
            if w:
                out.append(w)
    return out


# ---------------------------------------------------------------------- coaching categories


def _swap_persons(text: str) -> str:
    """The statement as the listener would mirror it: I <-> you, my <-> your."""
    return " ".join(lex.PERSON_SWAP.get(w, w) for w in text.split())


def coaching_category(statement: str, paraphrase: str) -> tuple[str | None, tuple[str, ...]]:
    """("mocking" | "rebuttal" | "always_never" | "fixing", markers) when the paraphrase is
    phrased like that, else (None, ()).  A marker the statement itself contains (mirrored)
    does not count: "you're tired of the drama" mirrors "I'm tired of the drama"."""
    said = " " + " ".join(_words(statement)) + " "
    mirrored = " " + _swap_persons(said.strip()) + " "
    back = " " + " ".join(_words(paraphrase)) + " "
    for category, patterns in lex.MARKERS:
        hits = []
        for pattern in patterns:
            for m in re.finditer(pattern, back):
                phrase = m.group(0).strip()
                if f" {phrase} " in said or f" {phrase} " in mirrored:
                    continue
                if category == "always_never" and lex.ABSOLUTE.search(said):
                    continue
                hits.append(phrase)
        if hits:
            return category, tuple(dict.fromkeys(hits))
    return None, ()


# ---------------------------------------------------------------------- module-level API


class _NoTable:
    """Stands in for a missing word table: words then match by stem and the project's lists only."""

    def lookup(self, key: str) -> Sense | None:
        return None


@lru_cache(maxsize=1)
def default_judge() -> Judge:
    """The shared judge.  A missing or unreadable word table (a broken install) costs the
    synonyms, not the session: one line on stderr, then stems and the project's lists only
    (``checkin doctor`` reports it too)."""
    try:
        return Judge()
    except WordTableError as exc:
        print(f"checkin: paraphrase: {exc}; judging by word stems only", file=sys.stderr)
        return Judge(_NoTable())


def judge(statement: str, paraphrase: str) -> Verdict:
    """The verdict on ``paraphrase`` as a saying-back of ``statement`` (shared judge)."""
    return default_judge().judge(statement, paraphrase)
