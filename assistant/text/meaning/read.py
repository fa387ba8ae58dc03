"""Reading an answer: the act first, then the content, by the kind of question asked."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from ..matching import best_match, content_words, find_terms, normalise
from ..slots import resolve_when
from . import conflict
from .acts import act_hits, command, first_act
from .cues import coach_topic, content_free, grief, keeps_going, tone
from .model import (
    ANSWER,
    ASK_COACH,
    CLOSED,
    CONTEMPT,
    CONTENT_FREE,
    DISTRESS,
    OPEN,
    PRIVACY,
    UNCLEAR,
    WITHDRAW,
    Ask,
    Meaning,
)
from .safety import screen
from .tables import Tables
from .text import HESITATIONS, Hit, find, outermost, tokens, whole

_BEFORE_CONTENT = ("question", "you_pick", "nothing", "dont_know")
_AFTER_CONTENT = ("unsure", "deny", "affirm")
_WEAK = _BEFORE_CONTENT + _AFTER_CONTENT
_NOT_AN_ACTIVITY = frozenset("something anything stuff whatever idk nothing everything somewhere sometime".split())
_REPORTING = frozenset("said say says told tell telling feels feel thinks mean means heard hear".split())


def interpret(text: str, ask: Ask, tables: Tables) -> Meaning:
    """Read one answer in the context of what was asked (:func:`read_answer`), with its
    conflict moment (:func:`.conflict.read`: never on a distress answer)."""
    meaning = read_answer(text, ask, tables)
    if meaning.act == DISTRESS or tables.conflict is None:
        return meaning
    moment = conflict.read(text, tables.conflict)
    return replace(meaning, conflict=moment) if moment else meaning


def read_answer(text: str, ask: Ask, tables: Tables) -> Meaning:
    """Read one answer in the context of what was asked.

    Order (docs/MEANING.md, "The meaning layer"): the safety screen; during touch a clear keep-going or
    else withdraw; privacy requests; a whole-answer command; a question to the coach; contempt;
    a decline; then by the kind of question: for a choice or scale the acts question, you_pick,
    nothing, dont_know, then the content, then unsure, deny, affirm; for an open question the
    content, with weak acts only when nothing else is said and ``content_free`` for an answer
    of acknowledgements and filler.  ``tone`` and ``grief`` are noted on every act but distress.
    With a reader by meaning on the tables, its reading is combined with the rules'
    (:func:`assistant.text.meaning.reader.combine`).
    """
    rules = read_by_rules(text, ask, tables)
    if tables.reader is None:
        return rules
    return tables.reader.combine(text, ask, rules)


def read_by_rules(text: str, ask: Ask, tables: Tables) -> Meaning:
    """The rules' reading alone (word lists and patterns), ``decided_by="rules"``."""
    found = _rules(text, ask, tables)
    if found.act != DISTRESS:
        found = replace(found, tone=tone(text, tables), grief=grief(text, tables))
    return replace(found, decided_by="rules", scores={f"rules:{found.act}": found.confidence})


def _rules(text: str, ask: Ask, tables: Tables) -> Meaning:
    words = tokens(text)
    if ask.kind == "touch" and words:
        category = screen(text, tables)
        if category is not None:
            return Meaning(DISTRESS, safety=category)
        return Meaning("affirm") if keeps_going(words, tables) else Meaning(WITHDRAW)
    if not words or (ask.kind not in CLOSED and all(w in HESITATIONS for w in words)):
        return Meaning(UNCLEAR, confidence=0.0)
    category = screen(text, tables)
    if category is not None:
        return Meaning(DISTRESS, safety=category)
    hits = act_hits(words, tables)
    found = first_act(hits, PRIVACY) or command(words, ask, tables)
    if found is None:
        topic = coach_topic(text, tables)
        if topic is not None:
            return Meaning(ASK_COACH, topic=topic)
        if tone(text, tables) in ("contempt", "sarcasm"):
            return Meaning(CONTEMPT)
    found = found or first_act(hits, ("decline", "nothing") if ask.kind not in CLOSED else ("decline",))
    if found is None and ask.kind in OPEN and ask.kind != "feeling" and content_free(words, hits, tables):
        return Meaning(CONTENT_FREE, confidence=0.9)
    found = found or _READERS[ask.kind](text, words, hits, ask, tables)
    if found.act in ask.acts and found.content is None:
        return Meaning(found.act, content=ask.acts[found.act], confidence=found.confidence)
    return found


def choose(text: str, options: Mapping[str, Sequence[str]], acts: Mapping[str, str], tables: Tables) -> Meaning:
    """Read an answer to a choice whose options may also be picked by an act: with
    ``acts={"affirm": "hug"}`` a "yes" to "How about a long hug?" picks the hug.  ``content``
    is the option label; an act that picks nothing keeps ``content`` None."""
    return interpret(text, Ask("choice", options={k: tuple(v) for k, v in options.items()}, acts=dict(acts)), tables)


# --------------------------------------------------------------------------- closed questions


def _closed(content: Callable[[], Meaning | None], hits: Sequence[Hit], ask: Ask) -> Meaning:
    found = first_act(hits, _BEFORE_CONTENT) or content() or first_act(hits, _AFTER_CONTENT)
    return found or Meaning(UNCLEAR, confidence=0.0)


def _yes_no(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    return _closed(lambda: None, hits, ask)


def _negated(words: Sequence[str], start: int, tables: Tables, reach: int = 3) -> bool:
    """A negator within ``reach`` words before ``start``, with only softeners between ("not too bad")."""
    i = start - 1
    while i >= 0 and start - i <= reach:
        if words[i] in tables.negators:
            return True
        if words[i] not in tables.softeners:
            return False
        i -= 1
    return False


def _choice(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    def content() -> Meaning | None:
        found = [
            h for label, phrases in ask.options.items() for h in find(words, label, [tuple(tokens(p)) for p in phrases])
        ]
        found = [h for h in found if not any(a.covers(h) for a in hits)]  # "no, that's ok" hides "ok"
        kept = [h for h in outermost(found) if not _negated(words, h.start, tables)]
        if kept:
            return Meaning(ANSWER, content=max(kept, key=lambda h: (h.size, h.start)).label)
        if found or any(h.label in ("deny", "affirm", "unsure") for h in hits):
            return None
        match = best_match(" ".join(words), ask.options, threshold=80.0)
        return Meaning(ANSWER, content=match.label, confidence=round(match.score / 100, 2)) if match else None

    return _closed(content, hits, ask)


def _level(scale_levels: Sequence[str], level: str, negated: bool, strong: bool) -> str:
    if not negated:
        return level
    i, top = scale_levels.index(level), len(scale_levels) - 1
    if i == top:
        return scale_levels[0]
    if i == 0:
        return scale_levels[top] if strong else scale_levels[len(scale_levels) // 2]
    return scale_levels[0]


def _scale(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    scale = tables.scales[ask.scale or "energy"]
    table = dict(scale.words)
    for label, phrases in ask.options.items():
        if label in scale.levels:
            table.update({tuple(tokens(p)): label for p in phrases if tuple(tokens(p)) not in table})

    def content() -> Meaning | None:
        by_level: dict[str, list[tuple[str, ...]]] = {}
        for p, level in table.items():
            by_level.setdefault(level, []).append(p)
        found = outermost(h for level, ps in by_level.items() for h in find(words, level, ps))
        if found:
            h = max(found, key=lambda x: x.start)
            strong = any(tuple(words[h.end : h.end + len(s)]) == s for s in tables.strengtheners)
            return Meaning(ANSWER, content=_level(scale.levels, h.label, _negated(words, h.start, tables), strong))
        near = [x for level, ps in by_level.items() if (x := whole(words, level, ps, fuzzy=80.0)) is not None]
        return (
            Meaning(ANSWER, content=max(near, key=lambda x: x.score).label, confidence=max(x.score for x in near))
            if near
            else None
        )

    return _closed(content, hits, ask)


# --------------------------------------------------------------------------- open questions


_HESITATING = re.compile(r"^(?:(?:um+|uh+|er+m?|hmm+|mm+)\b[\s,.]*)+", re.IGNORECASE)


def kept_text(text: str, tables: Tables, leads: bool = False) -> str:
    """The answer as said, without hesitations ("um, ..."), with ``leads`` also without
    openings ("let's ..."), and without end punctuation."""
    trimmed = (tables.leads if leads else _HESITATING).sub("", text.strip()).strip().rstrip(".!?,;: ")
    return trimmed or text.strip()


def _without_acts(text: str, words: Sequence[str], hits: Sequence[Hit]) -> str:
    """The answer without the act phrases in it ("I don't know, maybe bowling" -> "maybe bowling")."""
    said = normalise(text).split()
    if not hits or len(said) != len(words):
        return text
    covered = {i for h in hits for i in range(h.start, h.end)}
    last = max(h.end for h in hits)
    return " ".join(w for i, w in enumerate(said) if i not in covered and (i >= last or any(h.start > i for h in hits)))


def _open_act(words: list[str], hits: list[Hit], tables: Tables) -> Meaning | None:
    return first_act(hits, _WEAK, words=words, strong=tables.strong)


def _feeling(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    lexicon = tables.feelings
    if lexicon is not None:
        found = find_terms(text, [*lexicon.words, *lexicon.vague])  # indices match ``words`` (same split)
        specific = [(i, term) for i, term in found if term in lexicon.words and not _negated(words, i, tables)]
        if specific:
            word = specific[0][1]
            return Meaning(ANSWER, content=word, family=lexicon.words[word])
        vague = [term for _, term in found if term in lexicon.vague]
        if vague:
            return Meaning(ANSWER, issue="vague", word=vague[0])
        if found:
            return Meaning(ANSWER, issue="negated", word=found[0][1])
    if content_free(words, hits, tables):
        return Meaning(CONTENT_FREE, confidence=0.9)
    act = _open_act(words, hits, tables)
    if act is not None:
        return act
    own = [w for w in content_words(text) if w not in _REPORTING]
    if 1 <= len(own) <= 2 and "like" not in words:  # "I feel like pizza" is a wish, not a feeling
        return Meaning(ANSWER, content=" ".join(own), issue="unknown_feeling", confidence=0.6)
    return Meaning(UNCLEAR, confidence=0.0)


def _activity(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    act = _open_act(words, hits, tables)
    if act is not None:
        return act
    text = _without_acts(text, words, hits)
    when = resolve_when(
        text, ask.now, None, dayparts=tables.dayparts, activities=tables.activities, default=tables.default_hours
    )
    said_when = when.day is not None or when.time is not None or when.daypart is not None
    content = kept_text(when.rest if said_when else text, tables, leads=True)
    if not [w for w in content_words(content) if w not in _NOT_AN_ACTIVITY]:
        return Meaning(UNCLEAR, confidence=0.0)
    return Meaning(ANSWER, content=content, confidence=0.8, when=when if said_when else None)


def _paraphrase(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    act = _open_act(words, hits, tables)
    if act is not None:
        return act
    if all(w in HESITATIONS for w in words):
        return Meaning(UNCLEAR, confidence=0.0)
    if len(words) < 2 or not [w for w in content_words(text) if w not in _REPORTING]:
        return Meaning(CONTENT_FREE, issue="says_nothing", confidence=0.5)
    return Meaning(ANSWER, content=kept_text(text, tables), confidence=0.8)


def _text(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    act = _open_act(words, hits, tables)
    if act is not None:
        return act
    if not content_words(text):
        return Meaning(UNCLEAR, confidence=0.0)
    return Meaning(ANSWER, content=kept_text(text, tables), confidence=0.9)


def _when(text: str, words: list[str], hits: list[Hit], ask: Ask, tables: Tables) -> Meaning:
    act = _open_act(words, hits, tables)
    if act is not None:
        return act
    when = resolve_when(
        text,
        ask.now,
        ask.activity,
        dayparts=tables.dayparts,
        activities=tables.activities,
        default=tables.default_hours,
    )
    if when.day is None and when.time is None and when.daypart is None:
        return Meaning(UNCLEAR, confidence=0.0)
    return Meaning(ANSWER, content=re.sub(r"\s+", " ", normalise(text)), confidence=0.9, when=when)


_READERS: dict[str, Callable[[str, list[str], list[Hit], Ask, Tables], Meaning]] = {
    "yes_no": _yes_no,
    "choice": _choice,
    "scale": _scale,
    "feeling": _feeling,
    "activity": _activity,
    "paraphrase": _paraphrase,
    "text": _text,
    "when": _when,
}
