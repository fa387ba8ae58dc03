"""Map noisy transcripts to choices, commands and lexicon words (rapidfuzz), and score
how much of one sentence another caught (by meaning: assistant/text/paraphrase.py).  Pure
functions, no state."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from .paraphrase import Verdict, judge
from .words import FILLER, normalise


def words(text: str) -> list[str]:
    return normalise(text).split()


def phrase_score(text: str, phrase: str) -> float:
    """How well ``text`` says ``phrase`` (0..100).

    Exact word sequences inside the text score highest (less for each extra word, so
    "yes" beats "yes but no" for the phrase "yes"); otherwise the best fuzzy ratio of the
    phrase against same-length word windows of the text, or against the whole text.
    """
    t, p = normalise(text).split(), normalise(phrase).split()
    if not t or not p:
        return 0.0
    n = len(p)
    windows = [" ".join(t[i : i + n]) for i in range(len(t) - n + 1)] or [" ".join(t)]
    target = " ".join(p)
    extra = max(0, len(t) - n)
    if target in windows:
        return max(86.0, 100.0 - 3.0 * extra)
    best_window = max(fuzz.ratio(w, target) for w in windows)
    whole = fuzz.ratio(" ".join(t), target)
    return max(whole, best_window * 0.95 - 2.0 * extra)


@dataclass(frozen=True)
class Match:
    label: str
    phrase: str
    score: float


def best_match(text: str, options: Mapping[str, Sequence[str]], threshold: float = 80.0) -> Match | None:
    """The option whose phrases best match ``text``, if any scores at least ``threshold``."""
    best: Match | None = None
    for label, phrases in options.items():
        for phrase in phrases:
            score = phrase_score(text, phrase)
            if best is None or score > best.score or (score == best.score and len(phrase) > len(best.phrase)):
                best = Match(label, phrase, score)
    if best is not None and best.score >= threshold:
        return best
    return None


def whole_utterance_match(
    text: str, options: Mapping[str, Sequence[str]], threshold: float = 88.0, max_words: int = 4
) -> Match | None:
    """Like :func:`best_match` but the *whole* utterance must be the phrase: used for
    global commands during free answers, so "I want to stop working late" is an answer,
    while "stop" is a command."""
    t = normalise(text)
    if not t or len(t.split()) > max_words:
        return None
    best: Match | None = None
    for label, phrases in options.items():
        for phrase in phrases:
            score = fuzz.ratio(t, normalise(phrase))
            if best is None or score > best.score:
                best = Match(label, phrase, score)
    return best if best is not None and best.score >= threshold else None


def find_terms(text: str, terms: Iterable[str], fuzzy: float = 88.0) -> list[tuple[int, str]]:
    """Lexicon terms found in ``text`` as ``(start_word_index, term)``, longest first at
    each position.  Exact word sequences always count; single words of five letters or
    more also match fuzzily (recognisers mangle endings: "frustrate" for "frustrated")."""
    t = words(text)
    by_len: dict[int, list[str]] = {}
    for term in terms:
        n = len(term.split())
        by_len.setdefault(n, []).append(term)
    found: list[tuple[int, str]] = []
    covered: set[int] = set()
    for n in sorted(by_len, reverse=True):
        candidates = by_len[n]
        exact = set(candidates)
        for i in range(len(t) - n + 1):
            if any(j in covered for j in range(i, i + n)):
                continue
            window = " ".join(t[i : i + n])
            hit = window if window in exact else None
            if hit is None and n == 1 and len(window) >= 5:
                scored = [(fuzz.ratio(window, c), c) for c in candidates if abs(len(c) - len(window)) <= 3]
                if scored:
                    score, cand = max(scored)
                    if score >= fuzzy:
                        hit = cand
            if hit is not None:
                found.append((i, hit))
                covered.update(range(i, i + n))
    return sorted(found)


# --------------------------------------------------------------------------- overlap


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _stem(word: str) -> str:
    """The Snowball (Porter2) stem: "worried" and "worrying" are both "worri"."""
    return _stemmer().stemWord(word)


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stop words, filler or one-letter tokens, in order, unique."""
    seen: set[str] = set()
    out = []
    for w in words(text):
        w = w.strip("'")
        if w.endswith("'s"):
            w = w[:-2]
        if len(w) < 2 or w in FILLER or "'" in w:
            continue
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


@dataclass(frozen=True)
class Overlap:
    score: float
    """Share of the statement's content words that the paraphrase caught (0..1)."""
    caught: tuple[str, ...]
    """The statement's content words that were caught, in the statement's order."""
    missed: tuple[str, ...]


def overlap(statement: str, paraphrase: str) -> Verdict:
    """How faithfully ``paraphrase`` says ``statement`` back, judged by meaning
    (:func:`assistant.text.paraphrase.judge`): ``score``, ``caught`` (the listener's words worth
    praising), ``missed``, plus ``category`` for mockery, rebuttal, "you always / never",
    fixing and filler."""
    return judge(statement, paraphrase)


def word_overlap(statement: str, paraphrase: str, threshold: float = 80.0) -> Overlap:
    """The former scorer, kept for comparison in benchmarks: how much of ``statement`` the
    ``paraphrase`` said back, over shared content words.

    A statement word counts as caught when a paraphrase word has the same crude stem or
    is close to it (rapidfuzz ratio >= ``threshold``), so "worried" matches "worrying".
    """
    said = content_words(statement)
    back = [_stem(w) for w in content_words(paraphrase)]
    if not said:
        return Overlap(0.0, (), ())
    caught, missed = [], []
    for w in said:
        s = _stem(w)
        if any(s == b or fuzz.ratio(s, b) >= threshold for b in back):
            caught.append(w)
        else:
            missed.append(w)
    return Overlap(round(len(caught) / len(said), 2), tuple(caught), tuple(missed))


def spoken_list(items: Sequence[str], conjunction: str = "or") -> str:
    """'a', 'a or b', 'a, b, or c'."""
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return ", ".join(items[:-1]) + f", {conjunction} {items[-1]}"


_QUESTION = re.compile(
    r"(?:^|\b(?:and|so|but|okay|well)\s+)(?:what|how|why|when|where|who|which|do|did|does|is|are|was|were|can|could|would|will|should|shall|have|has)\b"
    r"|\b(?:what|what's|how|why|when|where|who|which)\s+(?:would|can|could|do|did|does|is|was|are|were|will|should|"
    r"happened|made|makes|helps|help|about|long|much|kind|sort)\b"
    r"|\b(?:do|did|does|are|is|was|were|can|could|would|will|have|has|should|shall)\s+"
    r"(?:you|we|there|they|he|she|your)\b"
)


def asks_question(text: str) -> bool:
    """Whether ``text`` asks something: a question mark, or (speech has none) a question word
    or an auxiliary leading into one ("what would help", "do you want", "is there")."""
    if "?" in text:
        return True
    return _QUESTION.search(normalise(text).replace(" s ", "'s ")) is not None
