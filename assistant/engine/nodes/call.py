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
        if body["dialog"] not in program.dialogs:
            error(["dialog"], f"unknown dialog '{body['dialog']}'")

    def run(self, step: Step, node: Node) -> str:
        return step.call(node.body["dialog"], return_to=node.get("next"))
