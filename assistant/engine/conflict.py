"""Coaching the hard moments (Gottman), after the safety screen and privacy requests:

- flooding ("I can't do this", "I'm done", or contempt a second time tonight): a break.  The
  coach ends the evening kindly with a time to come back (``break_minutes``, 20 by default);
  the record notes ``break: {exercise, minutes}`` and a "start check-in" later that evening
  picks up that exercise (:mod:`assistant.memory`'s ``resume``).
- a harsh start-up ("you always...") at a node marked ``gentle``: the coach offers "I feel ...
  about ... and I need ..." once and listens again.
- a repair attempt ("sorry", "can we start over", a joke): welcomed by name; an answer that
  says more than the repair goes on as the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..text.matching import normalise
from ..text.meaning.conflict import BLAME, FLOODED, REPAIR, after_repair
from ..text.retell import mocks
from .state import Answer

if TYPE_CHECKING:
    from .flow import Flow

CONTEMPT_ACTS = ("contempt",)
CONTEMPT_TONES = ("contempt", "sarcasm")
FLOODED_AFTER_CONTEMPT = 2
"""Contempt this many times in one evening is flooding too."""
MIN_REST_WORDS = 4
DISMISSALS = frozenset({"whatever", "yeah yeah", "oh please", "fine whatever", "whatever fine", "i don't care"})
"""A whole answer that shrugs off the question is not contempt toward the partner."""
"""An answer with a repair in it and at least this many other words is also an answer."""


def contemptuous(answer: Answer) -> bool:
    """Contempt or sarcasm toward the partner: the meaning layer's act or tone when it has
    one, else the mockery markers (the paraphrase judge's, and a few insults)."""
    meaning = answer.meaning
    if meaning is not None and (meaning.act in CONTEMPT_ACTS or getattr(meaning, "tone", None) in CONTEMPT_TONES):
        return True
    return normalise(answer.text) not in DISMISSALS and mocks(answer.text)


def on_heard(step: Flow, answer: Answer) -> bool:
    """Handle a conflict moment; False when the answer is not one (the node handles it)."""
    if not step.state.frames or step.state.paused:
        return False
    moment = answer.meaning.conflict if answer.meaning is not None else None
    counts = dict(step.state.moments)
    if contemptuous(answer):
        counts["contempt"] = counts.get("contempt", 0) + 1
        step.update(moments=counts)
        if counts["contempt"] >= FLOODED_AFTER_CONTEMPT:
            take_a_break(step)
            return True
    if moment == FLOODED:
        take_a_break(step)
        return True
    capture = step.mode() == "capture" and not step.handler.timed
    if moment == BLAME and capture and step.node.get("gentle") and not step.sub.get("gentled"):
        step.set_sub({**step.sub, "gentled": True})
        step.message("gentle_start", {"name": _name(step)})
        step.listen()
        return True
    if moment == REPAIR and capture:
        counts["repair"] = counts.get("repair", 0) + 1
        step.update(moments=counts)
        step.message("repair" if counts["repair"] % 2 else "repair_again", {"name": _name(step)})
        rest = after_repair(answer.text, step.program.meaning.conflict if step.program.meaning else None)
        if len(rest.split()) >= MIN_REST_WORDS:
            return False  # "sorry, I meant the kids take my evenings": welcomed, and an answer
        step.listen()
        return True
    return False


def _name(step: Flow) -> str:
    who = step.node.get("who", "partner")
    if who == "both":
        return "both of you"
    return str(step.slots.get(who) or "both of you")


def take_a_break(step: Flow) -> None:
    """Flooded: a kind end to the evening with a time to come back; the exercise in hand is
    noted so that "start check-in" later tonight picks it up."""
    exercise = next(
        (f.dialog for f in reversed(step.state.frames) if step.program.dialogs[f.dialog].kind == "exercise"), None
    )
    minutes = int(step.state.session.get("break_minutes") or 20)
    notes = {**step.state.notes, "break.minutes": minutes, "heavy": True}
    if exercise:
        notes["break.exercise"] = exercise
    step.update(notes=notes)
    step.message("conflict_break")
    step.end("stopped")


__all__ = ["contemptuous", "on_heard", "take_a_break"]
