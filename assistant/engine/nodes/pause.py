"""``pause``: a timed quiet moment; silence is the expected answer, and any words end it too.

In a ``touch: true`` exercise (a hug, holding hands) the moment is touch: what is said is read
as ``Ask("touch")``, and anything that is not a clear "this is nice / keep going" (``affirm``)
ends it gently ("Of course. Let go whenever you like."), recorded as ``withdrawn``: "can we
stop", "ow", "I changed my mind", a question.  A bare "stop" lets go the same way, then
stops the evening as "stop" does everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...formats.events import Listen
from ...text.matching import normalise
from ...text.meaning import KINDS, Ask
from ..state import Answer
from ._schema import TEXT
from .base import NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import Node


WITHDRAWING = ("deny", "unsure", "decline")
"""Said during a timed moment, these stop it (a withdrawal); other words end it as usual."""


TOUCH = "touch"
"""The kind of question an answer during touch is read as (the meaning layer's ``withdraw``
for anything but a clear keep-going)."""
KEEP_GOING = ("affirm", "resume")
"""A clear "this is nice" or "keep going" ("go on" is also the resume command)."""


def touching(step: Step) -> bool:
    """Standing at a timed moment of a ``touch: true`` exercise (a hug, holding hands)."""
    dialog = step.program.dialogs[step.state.frame.dialog]
    return bool(dialog.spec.get("touch")) and step.node.kind == "pause"


def said_stop(step: Step, answer: Answer) -> bool:
    """The whole answer is the global "stop" (read as a withdrawal during touch)."""
    phrases = (step.program.common.get("commands") or {}).get("stop") or []
    return normalise(answer.text) in {normalise(p) for p in phrases}


class Pause(NodeType):
    name = "pause"
    schema = {
        "type": "object",
        "properties": {"seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 600}, "close": TEXT},
        "required": ["seconds"],
        "additionalProperties": False,
    }
    listens = True
    reprompts = "capture"
    timed = True

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["close"], body["close"])] if body.get("close") else []

    def mode(self, step: Step, node: Node) -> str:
        return "capture"

    def tune_listen(self, step: Step, node: Node, listen: Listen, command_phrases: Sequence[str]) -> Listen:
        return replace(listen, no_input_s=float(node.body["seconds"]), expect_silence=True)

    def ask(self, step: Step, node: Node) -> Ask:
        if touching(step):
            return Ask(TOUCH if TOUCH in KINDS else "yes_no")
        return Ask("text", now=step.now)

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        if touching(step):
            if answer.act in KEEP_GOING:
                self.on_silence(step, node)
                return
            step.message("withdrawn_touch")
            if answer.act == "stop" or said_stop(step, answer):  # still the evening's stop, after letting go
                step.command("stop")
            else:
                step.leave(complete=False, outcome="withdrawn")
            return
        if answer.act in WITHDRAWING:
            step.command("pass")  # "I don't want this" mid-hug: it stops, recorded as withdrawn
            return
        self.on_silence(step, node)

    def on_silence(self, step: Step, node: Node) -> bool:
        step.say(node.body.get("close"))
        step.goto(node.get("next"))
        return True
