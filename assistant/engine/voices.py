"""Who spoke, once the couple's voices are enrolled (``Heard.speaker``; the engine stays pure:
the speaker arrives in the event, the enrolled names in the session's context).

* **A yes counts in the voice it was asked of.**  When both partners are enrolled, a yes to a
  question addressed to one partner by name (a ``consent`` node; a yes/no ``choice`` whose
  ``who`` is ``partner`` or ``other``: "Kim, is that a yes from you?", "did Sam get it?")
  counts only in that partner's voice.  The other's yes gets ``not_your_yes`` ("I'd like to
  hear that from Kim.") and the question stays open; a yes whose voice was not sure gets
  ``whose_yes`` (asked again by name).  A no, a hedge or a withdrawal is never held back:
  it wins whoever says it.
* **The floor holder keeps the floor.**  A node with ``floor:`` (the hold line) belongs to the
  partner it asks (``who``): an answer in the other enrolled voice gets the hold line once
  ("Greg, hold on, these are Lena's three minutes.") and the turn stays open.
* **Speaking time by voice.**  An attributed utterance counts for the partner who said it.

Answers without attribution (typed, scripted, or nobody enrolled) work as they always did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..formats.events import Heard
from .state import Answer

if TYPE_CHECKING:
    from .flow import Flow


def enrolled(step: Flow) -> tuple[str, ...]:
    return tuple(step.state.session.get("voices") or ())


def addressee(step: Flow) -> str | None:
    """The one partner the current question asks by name, or None (both, or nobody)."""
    return step.handler.addressee(step, step.node)


def _is_yes(step: Flow, answer: Answer) -> bool:
    """The answer is a yes to a yes/no question (the node type says: a consent, a confirmation)."""
    if answer.content == "no":
        return False
    return step.handler.is_yes(step, step.node, answer)


def hold_yes(step: Flow, answer: Answer, event: Heard | None) -> bool:
    """A yes in the wrong voice, or in a voice not sure, while both are enrolled: say so
    and keep the question open (True: handled, the node does not see the answer)."""
    if event is None or not event.attributed or step.state.paused or step.state.holding:
        return False
    voices = enrolled(step)
    if len(voices) < 2:
        return False
    name = addressee(step)
    if name is None or event.speaker == name or not _is_yes(step, answer):
        return False
    step.message("not_your_yes" if event.speaker in voices else "whose_yes", {"name": name})
    step.listen()
    return True


def hold_floor(step: Flow, event: Heard | None) -> bool:
    """An answer in the other voice at a node that holds the floor for one partner: the hold
    line once per node visit, and the turn stays open (True: handled)."""
    if event is None or not event.attributed or event.speaker is None or step.state.paused or step.state.holding:
        return False
    node = step.node
    line = node.get("floor")
    if not line or event.speaker not in enrolled(step):
        return False
    holder = addressee(step)
    if holder is None or event.speaker == holder:
        return False
    if not step.sub.get("floor_held"):
        step.say(line)
        step.set_sub({**step.sub, "floor_held": True})
    step.listen()
    return True


def speaker_of(step: Flow, event: Heard) -> str | None:
    """The partner an utterance counts for by voice (None: not attributed or not sure)."""
    if not event.attributed or event.speaker is None:
        return None
    return event.speaker if event.speaker in step.state.session["partners"] else None


__all__ = ["addressee", "enrolled", "hold_floor", "hold_yes", "speaker_of"]
