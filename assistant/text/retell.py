"""Read-backs the ear can follow: a partner's words said back by the coach in the third
person ("I'm worn out" -> "Sam is worn out"), short (a clause, at most a few words), and
never a mockery or an insult repeated in the coach's own voice.  Pure text in, text out.

    >>> retell("I'm worn out from the week", "Sam", "Maya")
    'Sam is worn out from the week'
    >>> retell("I miss being outdoors with you", "Maya", "Sam")
    'Maya misses being outdoors with Sam'
    >>> retell("time together", "Maya", "Sam")
    'for Maya, time together'
"""

from __future__ import annotations

import re

from . import matching
from .lexicon_paraphrase import MARKERS

MAX_WORDS = 11
"""Words of one read-back clause (two of them and a question stay within a 40-word turn)."""

_ADVERBS = frozenset(
    "never always really just also still only often sometimes usually actually honestly even truly simply so".split()
)
_KEEP_VERB = frozenset(
    "can can't cannot could couldn't will won't would wouldn't should shouldn't might must may did didn't "
    "was wasn't had hadn't".split()
)
_AGREE = {
    "am": "is",
    "are": "is",
    "were": "was",
    "have": "has",
    "do": "does",
    "don't": "doesn't",
    "haven't": "hasn't",
    "aren't": "isn't",
    "weren't": "wasn't",
    "go": "goes",
}
_SPEAKER_CONTRACTIONS = {"i'm": "is", "i've": "has", "i'd": "would", "i'll": "will"}
_LISTENER_CONTRACTIONS = {"you're": "is", "you've": "has", "you'd": "would", "you'll": "will"}
_CLAUSE_START = frozenset("and but because cause so that when if while since or then".split())
_BREAKS = frozenset("and but because so when while since or which".split())
_TRAILING = frozenset(
    "the a an to of and but or so we i you my your our with for in on at that which who is are was were be "
    "been used some any more very really just his her their its not no".split()
)
_OPINION_LEADS = (["i", "think"], ["i", "guess"], ["i", "suppose"], ["i", "mean"], ["i", "feel", "like"])
_FILLER_LEAD = frozenset("um uh erm well so like okay honestly basically".split())
_MOCKING = tuple(re.compile(p) for category, patterns in MARKERS if category == "mocking" for p in patterns)
_INSULTS = re.compile(
    r" (?:idiot|stupid|pathetic|useless|lazy|moron|dumb|selfish|crazy|loser|nag|nagging|child|baby|grow up|"
    r"shut up|yeah right|oh sure|oh great|as if|big deal|what a surprise|thanks a lot|genius)\b"
)


def mocks(text: str) -> bool:
    """Mockery, sarcasm or an insult (the paraphrase judge's mocking markers and a few more):
    never said back by the coach."""
    said = f" {matching.normalise(text)} "
    return any(p.search(said) for p in _MOCKING) or _INSULTS.search(said) is not None


def _third_singular(verb: str) -> str:
    if verb in _AGREE:
        return _AGREE[verb]
    if (
        verb in _KEEP_VERB
        or (verb.endswith("ed") and not verb.endswith("eed"))
        or verb.endswith("n't")
        or len(verb) < 2
    ):
        return verb
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _key(token: str) -> str:
    return matching.normalise(token).replace(" ", "")


def _tail(token: str) -> str:
    """The punctuation a token ends with ("parents," -> ",")."""
    m = re.search(r"[^\w']+$", token)
    return m.group(0) if m else ""


def third_person(text: str, speaker: str, listener: str | None = None) -> str:
    """``text`` as the coach would say it about ``speaker`` (to whom ``listener`` is "you");
    the words are kept as said otherwise, commas and all."""
    tokens = text.replace("’", "'").split()
    out: list[str] = []
    agree_next = False
    for i, token in enumerate(tokens):
        word, tail = _key(token), _tail(token)
        before = _key(tokens[i - 1]) if i else ""
        if word in _SPEAKER_CONTRACTIONS:
            out += [speaker, _SPEAKER_CONTRACTIONS[word] + tail]
            agree_next = False
        elif listener and word in _LISTENER_CONTRACTIONS:
            out += [listener, _LISTENER_CONTRACTIONS[word] + tail]
            agree_next = False
        elif word == "i":
            out.append(speaker + tail)
            agree_next = not tail
        elif word in ("me", "myself"):
            out.append(speaker + tail)
        elif word in ("my", "mine"):
            named = any(o.startswith(speaker) for o in out)
            out.append(("their" if word == "my" and named else f"{speaker}'s") + tail)  # "Tom tries their best"
        elif listener and word == "you":
            out.append(listener + tail)
            agree_next = (not before or before in _CLAUSE_START) and not tail  # "you never call" / "to hear you"
        elif listener and word in ("your", "yours"):
            out.append(f"{listener}'s" + tail)
        elif listener and word == "yourself":
            out.append(listener + tail)
        elif agree_next and word in _ADVERBS:
            out.append(token)
        elif agree_next:
            out.append(_third_singular(word) + tail)
            agree_next = False
        else:
            out.append(token)
    return " ".join(out)


def shorten(words: list[str], limit: int) -> list[str]:
    """At most ``limit`` words, cut at a clause boundary when there is one, never ending on
    a word that leaves the sentence hanging ("the", "and", "to")."""
    if len(words) <= limit:
        return words
    cut = next(
        (i for i in range(limit, 2, -1) if _key(words[i]) in _BREAKS or _tail(words[i - 1]) in (",", ";", ".")),
        limit,
    )
    kept = words[:cut]
    while len(kept) > 1 and _key(kept[-1]) in _TRAILING:
        kept.pop()
    return kept


def retell(text: str, speaker: str | None = None, listener: str | None = None, limit: int = MAX_WORDS) -> str | None:
    """A short third-person read-back of ``text`` said by ``speaker``; None when it mocks or
    insults (the coach does not say it back)."""
    if not text or not matching.normalise(text) or mocks(text):
        return None
    words = text.split()
    while words and _key(words[0]) in _FILLER_LEAD:
        words = words[1:]
    for lead in _OPINION_LEADS:  # "I think I just need a rest": the need itself
        if [_key(w) for w in words[: len(lead)]] == lead and len(words) > len(lead) + 1:
            words = words[len(lead) :]
    if words and _key(words[0]) == "that" and len(words) > 2:  # "that I'm not his mother": the clause itself
        words = words[1:]
    said = " ".join(words)
    if speaker:
        said = third_person(said, speaker, listener)
    words = shorten(said.split(), limit)
    if not words:
        return None
    clause = " ".join(words).rstrip(",.;:!? ")
    if speaker and _key(words[0]) not in (_key(speaker), _key(speaker) + "'s"):
        clause = " ".join(shorten(f"for {speaker}, {clause}".split(), limit + 2)).rstrip(",.;:!? ")
    return clause


__all__ = ["MAX_WORDS", "mocks", "retell", "shorten", "third_person"]
