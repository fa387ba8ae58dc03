"""``words``: how many words one slot's answer has, into a slot (a long share can be split)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._schema import TEXT
from .base import NodeType, Step

if TYPE_CHECKING:
    from ...loader.dialogs import Node


class WordCount(NodeType):
    name = "words"
    schema = {
        "type": "object",
        "properties": {"source": TEXT, "slot": TEXT},
        "required": ["source", "slot"],
        "additionalProperties": False,
    }

    def slots(self, node: Node) -> Mapping[str, bool]:
        return {node.body["slot"]: False}

    def run(self, step: Step, node: Node) -> str:
        text = str(step.slots.get(node.body["source"]) or "")
        step.set_slots({node.body["slot"]: len(text.split())}, answer=False)
        return str(node.get("next"))
