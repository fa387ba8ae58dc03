"""Grief and loss heard in an answer (the meaning layer's ``grief``: ``loss`` or ``hopeless``).

A loss is met with a warm acknowledgement before anything else, once a session, and the
exercise goes on gently (the node sets slot ``grief`` so a dialog can skip "what brought that
on?").  Where hopelessness is heard the coach asks one gentle question about thoughts of not
being here: anything but a clear no is a safety pause (:mod:`.safety`); after a no the answer
that was given goes on to the question it answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import safety

if TYPE_CHECKING:
    from .flow import Flow
    from .state import Answer

LOSS = "loss"
HOPELESS = "hopeless"
GO_ON = ("deny",)
"""The only answers to "have you had thoughts like that?" that do not pause for safety."""


def kind(answer: Answer) -> str | None:
    found = getattr(answer.meaning, "grief", None)
    return found if found in (LOSS, HOPELESS) else None


def heard(step: Flow, answer: Answer) -> bool:
    """Acknowledge a loss (and ask about hopelessness) before the node hears the answer;
    True when the turn is taken (the gentle question is waiting for its answer)."""
    found = kind(answer)
    if found is None:
        return False
    first = not step.state.grief_noted
    if first:
        step.message("grief")
    step.set_slots({"grief": found}, answer=False)
    if found == HOPELESS and HOPELESS not in step.state.grief_noted:
        step.update(grief_noted=(*step.state.grief_noted, HOPELESS), grief_check=answer)
        said = step.say(step.messages["grief_ask"])
        step.set_prompt(said)
        step.listen()
        return True
    if first:
        step.update(grief_noted=(*step.state.grief_noted, found))
    return False


def answer(step: Flow, reply: Answer) -> None:
    """The answer to the gentle question: a no goes on gently with what was said before; any
    other answer ("yes", "sometimes", "I don't know") is a safety pause."""
    given = step.state.grief_check
    step.update(grief_check=None)
    if reply.act not in GO_ON or given is None:
        safety.hold(step)
        return
    step.message("grief_go_on")
    step.handler.on_answer(step, step.node, given)


__all__ = ["HOPELESS", "LOSS", "answer", "heard", "kind"]
