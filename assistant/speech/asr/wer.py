"""Word error rate, for tests and the benchmark: both sides lower-cased, punctuation
dropped, numbers written as words ("1465" -> "fourteen sixty five")."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import Levenshtein

_TOKEN = re.compile(r"[a-z0-9']+")


def _number_words(token: str) -> list[str]:
    from num2words import num2words

    n = int(token)
    spoken = num2words(n, to="year") if 1100 <= n <= 2099 else num2words(n)
    return [w for w in re.split(r"[\s,-]+", spoken) if w and w != "and"]


def words(text: str) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("-", " ")):
        out.extend(_number_words(token) if token.isdigit() else [token.strip("'")])
    return [w for w in out if w]


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """Total word edits over total reference words, for ``(reference, hypothesis)`` pairs."""
    errors = total = 0
    for reference, hypothesis in pairs:
        ref = words(reference)
        errors += Levenshtein.distance(ref, words(hypothesis))  # over words, not characters
        total += len(ref)
    return errors / max(1, total)
