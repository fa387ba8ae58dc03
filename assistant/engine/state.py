"""The engine's plain data: what a session starts from (:class:`Context`), where it stands
(:class:`State` and its :class:`Frame` stack) and what the couple did (:class:`Answer`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .model import Dialog


@dataclass(frozen=True)
class Context:
    """What the session loop knows at the start and the engine may not look up itself."""

    partners: tuple[str, str]
    now: datetime
    session_id: str
    memory: Mapping[str, Any] = field(default_factory=dict)
    """What the journal remembers (:mod:`assistant.engine.memory`): ``last_plan``, ``recent_exercises``..."""
    styles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per partner name: ``pace`` (slow, normal, fast) and ``verbosity`` (brief, full)."""
    safety: Mapping[str, str] = field(default_factory=dict)
    """Where help is (config.yaml ``safety:``): ``country``, ``helpline``, ``emergency``."""
    voices: tuple[str, ...] = ()
    """The partners whose voiceprints are enrolled: their answers say who spoke (``Heard.speaker``)."""
    break_minutes: int = 20
    """How long a break is when someone is flooded (config.yaml ``coaching: {break_minutes}``)."""


@dataclass(frozen=True)
class Frame:
    """One running dialog (the check-in, or an exercise it called)."""

    dialog: str
    node: str
    slots: Mapping[str, Any]
    round: int = 1
    history: tuple[str, ...] = ()
    """Listening nodes visited in this frame, for "go back"."""
    sub: Mapping[str, Any] = field(default_factory=dict)
    """The current node handler's own progress (form field being asked, coaching...)."""
    return_to: str | None = None
    """The caller's node to continue at when this dialog ends."""
    dirty: bool = False
    """Answers were given since the last record entry was committed."""
    outcome: str | None = None
    """How the exercise ended early, for its record: declined, withdrawn, paused_for_safety,
    silence or not_understood (None: as planned)."""
    not_kept: tuple[str, ...] = ()
    """Record fields the couple asked not to keep ("don't keep that")."""


@dataclass(frozen=True)
class State:
    """Everything about a session in progress.  Treated as immutable."""

    session: Mapping[str, Any]
    frames: tuple[Frame, ...]
    entries: tuple[Mapping[str, Any], ...] = ()
    done: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()
    """Exercises declined, withdrawn or paused for safety tonight: not offered again."""
    requestable: tuple[str, ...] = ()
    """Exercises declined or withdrawn from tonight: not offered again, but a partner may ask
    for one by name (the choice is theirs to take back)."""
    safety_paused: bool = False
    """A safety pause happened tonight: nothing physical (a ``touch:`` exercise) is offered or
    started again this session."""
    noinput: int = 0
    nomatch: int = 0
    paused: bool = False
    rate: float = 1.0
    last_said: tuple[str, ...] = ()
    outcome: str | None = None
    speaking: Mapping[str, float] = field(default_factory=dict)
    once: tuple[str, ...] = ()
    """Keys of ``once`` nodes already said this session."""
    used: tuple[str, ...] = ()
    """Deck items (questions) already asked this session."""
    helps: int = 0
    """"help" asked at the current question (more than twice moves on)."""
    quiet_exits: int = 0
    """Exercises in a row that ended in silence (two end the check-in)."""
    quiet_s: float = 0.0
    """Seconds of silence since anyone last spoke."""
    held: str | None = None
    """After a safety pause: where the session goes on if the couple wants to ("" ends it)."""
    last_answer: Mapping[str, Any] | None = None
    """The slots the last answer set, for "don't keep that": ``depth`` (frame index),
    ``round``, ``node``, ``keys``, and ``entry`` once committed (its index in ``entries``)."""
    forgotten: bool = False
    """"Forget tonight" was said: nothing of this session is saved (or logged) any more."""
    offer: tuple[str, ...] | None = None
    """After "forget tonight": the question to go back to if the couple goes on."""
    answer_words: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Per partner: the word counts of their last few free answers (a terse partner gets brief prompts)."""
    moments: Mapping[str, int] = field(default_factory=dict)
    """Conflict moments counted tonight (``contempt``, ``repair``): contempt twice is a break."""
    grief_noted: tuple[str, ...] = ()
    """Grief heard tonight (``loss``, ``hopeless``): acknowledged once, the gentle question once."""
    grief_check: Answer | None = None
    """Waiting for the answer to the gentle question about thoughts of not being here: the
    answer that raised it, handed to its question after a no (never saved)."""
    notes: Mapping[str, Any] = field(default_factory=dict)
    """What nodes' ``note:`` wrote for the record's own fields (``lines.opener``, ``offers.weekly``...)."""

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    @property
    def holding(self) -> bool:
        """Waiting for "stop, or go on?" (after a safety pause, or after "forget tonight"), or
        for the answer to the gentle question after hopelessness."""
        return self.held is not None or self.offer is not None or self.grief_check is not None

    def not_offered(self, dialog: str) -> bool:
        """Done tonight, or set aside (declined, withdrawn, paused for safety): not offered again."""
        return dialog in self.done or dialog in self.set_aside

    def offers(self, dialog: Dialog) -> bool:
        """The menu may offer ``dialog`` tonight: not done or set aside, and nothing physical
        after a safety pause."""
        return not self.not_offered(dialog.id) and self.may_start(dialog)

    def may_start(self, dialog: Dialog) -> bool:
        """``dialog`` may run at all tonight: after a safety pause, no ``touch:`` exercise."""
        return not (self.safety_paused and dialog.spec.get("touch"))

    def may_request(self, dialog: Dialog) -> bool:
        """A partner may still ask for ``dialog`` by name: offered, or declined or withdrawn
        from tonight (never one paused for safety, never touch after a pause)."""
        return self.offers(dialog) or (
            dialog.id in self.requestable and dialog.id not in self.done and self.may_start(dialog)
        )

    @property
    def frame(self) -> Frame:
        return self.frames[-1]


@dataclass(frozen=True)
class Answer:
    """What the couple did in one turn, as the node handlers see it.

    ``act`` is what the person did: ``answer`` (content to use), and, once a meaning layer
    interprets the words, ``affirm``, ``deny``, ``decline``, ``stuck``, ``question``...
    ``text`` is the words as heard; ``content`` the part that answers the question.
    """

    act: str
    text: str
    content: str
    confidence: float | None = None
    meaning: Any = None
    """The meaning layer's full reading (:class:`assistant.text.meaning.Meaning`: ``family``,
    ``issue``, ``word``, ``when``), or None when the dialogs have no meaning tables."""

    @property
    def is_content(self) -> bool:
        """Something to keep: an ``answer`` the meaning layer found usable (acts and non-answers never are)."""
        return self.act == "answer" and (self.meaning is None or self.meaning.is_content)


Interpreter = Callable[[str, "float | None"], Answer]
"""Heard text and the recogniser's confidence -> what the person did (the meaning layer's seat)."""


def plain_answer(text: str, confidence: float | None = None) -> Answer:
    """The default interpreter: every utterance is an ``answer`` whose content is its text
    (the handlers do their own matching).  A meaning layer replaces this."""
    return Answer(act="answer", text=text, content=text, confidence=confidence)


__all__ = ["Answer", "Context", "Frame", "Interpreter", "State", "plain_answer"]
