"""A safety pause: an answer the screen found danger in (violence, abuse, self-harm, suicide,
a crisis, "I need help").

The exercise stops at once; nothing of the answer is kept (the exercise's record entry says
only ``outcome: paused_for_safety``); the partner is not asked to respond; the coach does
not repeat or name what was said, says one calm, neutral line addressed to both on where
help is (never naming abuse: the partner who may be the danger can be in the room), and
offers to stop for tonight.  "Go on" continues where the exercise would have returned to.

The question is put to both, so either may answer it and stop wins: a "stop" anywhere in the
answer ("go on... no, stop"), a yes, or a hedge ("I'm not sure") stops for tonight; only a
clear "go on" or "no" goes on.  After a pause nothing physical is offered or started that
night (:meth:`~.state.State.may_start`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..text.matching import normalise
from .model import END

if TYPE_CHECKING:
    from .flow import Flow
    from .state import Answer

STOP_ACTS = ("affirm", "stop", "unsure", "dont_know")
"""A yes to "stop for tonight?", or a hedge: stop (stop wins when in doubt)."""
GO_ON_ACTS = ("deny", "resume", "skip", "decline")
STOP_WORDS = re.compile(r"\b(?:stop|stopping|enough for tonight|we'?re done|let'?s end)\b")
"""A stop said anywhere in the answer wins over a "go on" beside it."""
KEEP = ("partner", "other", "turn")
"""Slots that are never an answer's words (the names and the round)."""


def stop_or_go_on(step: Flow, answer: Answer) -> str | None:
    """The answer to "stop for tonight, or go on?": ``"stop"``, ``"go on"``, or None after
    asking again (the caller ends its wait and says its own line)."""
    if answer.act in STOP_ACTS or STOP_WORDS.search(normalise(answer.text)):
        return "stop"
    if answer.act in GO_ON_ACTS:
        return "go on"
    step.repeat_prompt()
    step.listen()
    return None


def hold(step: Flow) -> None:
    """Pause the exercise for safety: keep none of it, say where help is, offer to stop."""
    state = step.state
    dialog = step.dialog
    if state.held is None:
        step.update(safety_paused=True, grief_check=None)  # the gentle question is answered by the pause
        if dialog.kind == "exercise":
            step.update(set_aside=state.set_aside + (dialog.id,))
            if dialog.record:
                entry = {
                    "exercise": dialog.record.get("exercise", dialog.id),
                    "complete": False,
                    "outcome": "paused_for_safety",
                }
                step.update(entries=state.entries + (entry,))
            if len(state.frames) > 1:
                step.update(frames=state.frames[:-1], held=state.frame.return_to or END)
            else:
                step.update_frame(dirty=False, slots={k: v for k, v in state.frame.slots.items() if k in KEEP})
                step.update(held="")
        else:
            step.update(held=state.frame.node)
        step.answered()
    said = step.say([step.messages["safety"], step.messages["safety_offer"]])
    step.set_prompt(said[-1:])
    step.listen()


def answer(step: Flow, answer: Answer) -> None:
    """After the safety line: stop for tonight, or go on gently."""
    held = step.state.held
    choice = stop_or_go_on(step, answer)
    if choice is None:
        return
    step.update(held=None)
    if choice == "stop":
        step.message("safety_stop")
        step.end("stopped")
        return
    step.message("safety_go_on")
    if held:
        step.goto(held)
    else:
        step.end("stopped")


__all__ = ["answer", "hold"]
