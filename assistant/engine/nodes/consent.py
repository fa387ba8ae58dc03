"""``consent``: before anything physical, each partner is asked by name (one microphone
cannot tell who said "yes").  Any "no", hedge or "not sure" wins at once, warmly: the
exercise ends as ``declined`` and the couple goes back to the check-in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text.meaning import Ask
from ..state import Answer
from ._schema import TEXT
from .base import NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import Node

ASK = "{name}, is that okay for you?"
NOT_A_YES = ("deny", "unsure", "dont_know", "you_pick", "nothing")
"""Anything but a clear yes is a no: a hedge, "I don't know", "whatever"."""


class Consent(NodeType):
    name = "consent"
    schema = {
        "type": "object",
        "properties": {"ask": TEXT, "declined": TEXT},
        "additionalProperties": False,
    }
    listens = True

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        return {"name": False}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [([key], body[key]) for key in ("ask", "declined") if body.get(key)]

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        return {"yes": step.phrases({"label": "yes", "like": "yes"}), "no": step.phrases({"label": "no", "like": "no"})}

    def ask(self, step: Step, node: Node) -> Ask:
        return Ask("yes_no")

    def variables(self, step: Step, node: Node) -> Mapping[str, Any]:
        return {"name": self._name(step)}

    @staticmethod
    def _name(step: Step) -> str:
        return str(step.state.session["partners"][int(step.sub.get("asked", 0))])

    def prompt(self, step: Step, node: Node) -> list[str]:
        step.set_sub({"asked": 0})
        return step.say(node.body.get("ask") or ASK, {"name": self._name(step)})

    def addressee(self, step: Step, node: Node) -> str | None:
        return self._name(step)

    def is_yes(self, step: Step, node: Node, answer: Answer) -> bool:
        if answer.act in NOT_A_YES or answer.content == "no":
            return False
        return answer.act == "affirm" or answer.content == "yes"

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        yes = answer.act == "affirm" or answer.content == "yes"
        if answer.act in NOT_A_YES or answer.content == "no":
            if node.body.get("declined"):
                step.say(node.body["declined"])
            else:
                step.message("declined")
            step.leave(complete=False, outcome="declined")
        elif yes and int(step.sub.get("asked", 0)) == 0:
            step.set_sub({"asked": 1})
            step.answered()
            said = step.say(node.body.get("ask") or ASK, {"name": self._name(step)})
            step.set_prompt(said)
            step.listen()
        elif yes:
            step.answered()
            step.goto(node.get("next"))
        elif answer.act == "question":
            step.command("help")
        else:
            step.fail("nomatch")
