"""``call``: run another dialog (an exercise, the weekly check-in), then come back to ``next``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._schema import TEXT
from .base import ErrorAt, NodeType, Step

if TYPE_CHECKING:
    from ..model import DialogSet, Node


class Call(NodeType):
    name = "call"
    schema = {"type": "object", "properties": {"dialog": TEXT}, "required": ["dialog"], "additionalProperties": False}

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        if "{" not in body["dialog"] and body["dialog"] not in program.dialogs:
            error(["dialog"], f"unknown dialog '{body['dialog']}'")

    def run(self, step: Step, node: Node) -> str:
        """A ``dialog`` may be a variable ("{resume_exercise}": picked up after a break);
        one that names no exercise goes straight on to ``next``."""
        dialog = step.render(node.body["dialog"]) if "{" in node.body["dialog"] else node.body["dialog"]
        if dialog not in step.program.dialogs:
            return str(node.get("next"))
        return step.call(dialog, return_to=node.get("next"))
