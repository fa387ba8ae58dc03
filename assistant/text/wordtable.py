"""Word meanings from the WordNet-derived table shipped in ``assistant/data``.

The table (``wordnet_table.tsv``, built by ``scripts/build_wordnet_table.py``) is sorted
by key, so a lookup is a binary search over a memory-mapped file: nothing is parsed at
start-up, memory stays at the few pages touched, and nothing is ever fetched.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "data" / "wordnet_table.tsv"


class WordTableError(Exception):
    """The word table is missing or unreadable.  ``str()`` is one line."""


@dataclass(frozen=True)
class Sense:
    """What the table knows about one key (Snowball stems of a word or a short phrase)."""

    freq: int
    """Tagged-corpus frequency of the lemma (0 = rare)."""
    synsets: frozenset[str]
    related: frozenset[str]
    antonyms: frozenset[str]


class WordLookup(Protocol):
    """What the paraphrase judge needs from a word table."""

    def lookup(self, key: str) -> Sense | None: ...


class WordTable:
    """Read-only lookups in a sorted ``key<TAB>freq<TAB>syn<TAB>rel<TAB>ant`` file."""

    def __init__(self, path: Path | str = DEFAULT_TABLE):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as e:
            raise WordTableError(f"cannot read the word table {self.path}: {e.__class__.__name__}") from e
        self.lookup = lru_cache(maxsize=4096)(self._lookup)

    def close(self) -> None:
        self._map.close()

    def _line_at(self, pos: int) -> tuple[int, bytes]:
        """Start offset and text of the first whole line starting at or after ``pos``."""
        m = self._map
        if pos > 0:
            nl = m.find(b"\n", pos - 1)
            if nl < 0:
                return len(m), b""
            pos = nl + 1
        end = m.find(b"\n", pos)
        if end < 0:
            end = len(m)
        return pos, m[pos:end]

    def _lookup(self, key: str) -> Sense | None:
        target = key.encode("ascii", "replace")
        lo, hi = 0, len(self._map)
        while lo < hi:
            mid = (lo + hi) // 2
            start, line = self._line_at(mid)
            if start >= hi or not line:
                hi = mid
                continue
            k = line.split(b"\t", 1)[0]
            if k == target:
                return _parse(line)
            if k < target:
                lo = start + len(line) + 1
            else:
                hi = mid
        start, line = self._line_at(lo)
        if line and line.split(b"\t", 1)[0] == target:
            return _parse(line)
        return None

    def has(self, key: str) -> bool:
        return self.lookup(key) is not None


def _parse(line: bytes) -> Sense:
    parts = line.decode("ascii").split("\t")
    parts += [""] * (5 - len(parts))
    return Sense(
        int(parts[1] or 0), frozenset(parts[2].split()), frozenset(parts[3].split()), frozenset(parts[4].split())
    )
