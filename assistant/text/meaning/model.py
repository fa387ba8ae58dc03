"""What the meaning layer returns, what it is asked, and the order acts are tried in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ..slots import When

# Acts: what a person is doing with an answer.
ANSWER = "answer"
"""The answer says something (``content``), or tried to (``issue`` says why it cannot be kept)."""
UNCLEAR = "unclear"
"""Nothing recognised: neither an act nor content (a nomatch)."""
DISTRESS = "distress"
"""The safety screen found danger to someone (``safety`` is the category; nothing of the text is kept)."""
CONTEMPT = "contempt"
"""Contempt toward the partner: mockery, insults, sarcasm (mock praise or agreement).  Never kept
as content, never read back, never praised, never an agreement (``tone`` says which)."""
ASK_COACH = "ask_coach"
"""A question to the coach (``topic``: one of :data:`TOPICS`)."""
WITHDRAW = "withdraw"
"""Only at ``Ask(kind="touch")``: anything said during a hug or hand-hold that is not a clear
"this is nice / keep going" (a clear keep-going is ``affirm``)."""
CONTENT_FREE = "content_free"
"""At an open question: an answer with no content ("okay", "yes", "same", "what she said")."""

TOPICS = ("recording", "privacy", "therapist", "sides", "purpose")
"""What a question to the coach is about: what is kept and where; whether anything leaves the
device; whether it is a therapist, a person or a machine; whether it takes sides; what the
exercise is for."""
TONES = ("contempt", "sarcasm", "criticism", "defensive")
"""``Meaning.tone``: contempt and sarcasm make the act ``contempt``; criticism and defensiveness
are an annotation only."""
GRIEFS = ("loss", "hopeless")
"""``Meaning.grief``: a loss named; hopelessness heard (with or without a loss named)."""

COMMANDS = ("stop", "pause", "time_out", "resume", "repeat", "slower", "help", "skip", "go_back")
"""Global commands, tried only on a whole (short) answer: "stop" stops, "I want to stop working late" is an answer."""
PRIVACY = ("forget_tonight", "dont_keep")
WEAK_ACTS = ("question", "you_pick", "nothing", "dont_know", "unsure", "deny", "affirm")

PRECEDENCE: tuple[str, ...] = (
    DISTRESS,
    WITHDRAW,
    *PRIVACY,
    *COMMANDS,
    ASK_COACH,
    CONTEMPT,
    "decline",
    *WEAK_ACTS,
    CONTENT_FREE,
    ANSWER,
    UNCLEAR,
)
"""The order acts are tried in; the first that holds wins.  For a choice or a scale the answer's
content is tried after ``dont_know`` and before ``unsure`` ("medium, I guess" is medium); for an
open question (feeling, activity, paraphrase, reason, time) the weak acts count only when nothing
else is said ("I don't know, maybe bowling" is bowling), and an answer of acknowledgements and
filler only is ``content_free``.  ``withdraw`` is read only during touch (``Ask("touch")``),
where distress comes first, then a clear keep-going (``affirm``), and anything else is
``withdraw``."""

ACTS: frozenset[str] = frozenset(PRECEDENCE)

# Kinds of question (Ask.kind).
KINDS = ("yes_no", "choice", "scale", "feeling", "activity", "paraphrase", "text", "when", "touch")
CLOSED = ("yes_no", "choice", "scale")
OPEN = ("feeling", "activity", "paraphrase", "text", "when")
"""Open questions: an answer is ``answer`` only with real content (else ``content_free``).
``touch`` is neither: something said during a hug or hand-hold."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Ask:
    """What was asked: the context an answer is read in."""

    kind: str
    options: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY)
    """choice: option label -> phrases (as in a dialog's choice node)."""
    acts: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """choice: act -> option label, so a "yes" to "How about a long hug?" picks the hug."""
    scale: str | None = None
    """scale: the name of a scale in dialogs/meaning/scales.yaml (e.g. energy)."""
    activity: str | None = None
    """when: what the time is for ("brunch"), to read "at eleven" as 11:00."""
    now: datetime | None = None
    """when/activity: the moment days are resolved against (passed in, never read from a clock)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of question {self.kind!r} (expected one of: {', '.join(KINDS)})")
        unknown = sorted(set(self.acts) - ACTS)
        if unknown:
            raise ValueError(
                f"unknown act {unknown[0]!r} in a choice's acts (expected one of: {', '.join(PRECEDENCE)})"
            )


@dataclass(frozen=True)
class Meaning:
    """One answer read: the act, then the content."""

    act: str
    content: str | None = None
    """The value to keep: an option label, a scale level, a lexicon word, an activity, a sentence."""
    confidence: float = 1.0
    """0..1: 1 for an exact phrase, less for a fuzzy one (a misheard word)."""
    family: str | None = None
    """feeling: the lexicon family of ``content``."""
    issue: str | None = None
    """Why ``content`` cannot be kept as it is: vague, negated, unknown_feeling, says_nothing."""
    word: str | None = None
    """The person's own word behind an issue ("ok" for vague, "happy" for "not happy")."""
    safety: str | None = None
    """distress: a category of SAFETY_CATEGORIES (never the words); for tests and logs only."""
    when: When | None = None
    topic: str | None = None
    """ask_coach: one of :data:`TOPICS`."""
    tone: str | None = None
    """One of :data:`TONES`, with any act (criticism and defensiveness leave the act as it is)."""
    grief: str | None = None
    """One of :data:`GRIEFS`, with any act but distress."""
    conflict: str | None = None
    """blame, repair or flooded (assistant/text/meaning/conflict.py, owned by the coaching issue)."""
    scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY, compare=False)
    """Each reader's score for the act it weighed ("rules:distress", "reader:distress"...), for
    ``checkin understand`` and the bench."""
    decided_by: str = field(default="", compare=False)
    """Which reader decided the act: "rules", "reader", "both", or "" (the rules alone, no reader)."""

    @property
    def is_content(self) -> bool:
        """An answer that may be stored as it is (acts and non-answers never are)."""
        return self.act == ANSWER and self.content is not None and self.issue is None
