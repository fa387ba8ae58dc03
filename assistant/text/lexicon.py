"""A lexicon: words grouped into families (the feelings), plus vague words with suggestions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Lexicon:
    """Words grouped into families, plus vague words with suggested families."""

    id: str
    words: Mapping[str, str]
    """word or phrase -> family."""
    vague: Mapping[str, tuple[str, ...]]
    """vague word or phrase -> a few specific words to offer."""
    source: str

    @property
    def families(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for word, family in self.words.items():
            out.setdefault(family, []).append(word)
        return out
