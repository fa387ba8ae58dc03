"""Questions put to the coach ("are you recording this?", "are you a real therapist?", "what
is this exercise for?"): a short, true answer, then the question that was open, asked again.

The answers are data: ``coach:`` in ``dialogs/common.yaml`` (what is kept and where, that
nothing leaves the device, that it is a coach and not a therapist, that it takes no sides)
and, for what an exercise is for, the running dialog's ``why:`` (at most 15 words).  The
meaning layer names the question's ``topic`` (its ``ask_coach`` act)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .flow import Flow
    from .state import Answer

ASK_COACH = "ask_coach"
PURPOSE = "purpose"


def reply(step: Flow, topic: str | None) -> str | None:
    """The answer to a question on ``topic``, or None when the table has none."""
    table = step.program.common.get("coach") or {}
    if topic == PURPOSE and step.state.frames:
        why = step.dialog.spec.get("why")
        if why:
            return str(why)
    answer = table.get(topic) if topic else None
    return str(answer) if answer else None


def answer(step: Flow, heard: Answer) -> None:
    """Answer the question briefly, then ask the open question again (its last line)."""
    text = reply(step, getattr(heard.meaning, "topic", None))
    if text is None:
        step.command("help")  # a question we hold no answer for: the node's help
        return
    step.emit(text)
    if step.state.last_said:
        step.emit(step.state.last_said[-1])
    step.listen()


__all__ = ["ASK_COACH", "answer", "reply"]
