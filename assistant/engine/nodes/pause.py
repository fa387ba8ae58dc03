"""``pause``: a timed quiet moment; silence is the expected answer, and any words end it too."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...formats.events import Listen
from ..state import Answer
from ._schema import TEXT
from .base import NodeType, Path, Step

if TYPE_CHECKING:
    from ...loader.dialogs import Node


WITHDRAWING = ("deny", "unsure", "decline")
"""Said during a timed moment, these stop it (a withdrawal); other words end it as usual."""


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

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        if answer.act in WITHDRAWING:
            step.command("pass")  # "I don't want this" mid-hug: it stops, recorded as withdrawn
            return
        self.on_silence(step, node)

    def on_silence(self, step: Step, node: Node) -> bool:
        step.say(node.body.get("close"))
        step.goto(node.get("next"))
        return True
