"""``words``: how many words one slot's answer has, into a slot (a long share can be split);
with ``asks``, also whether it asks a question (a question is answered before moving on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...text.matching import asks_question
from ._schema import TEXT
from .base import NodeType, Step

if TYPE_CHECKING:
    from ..model import Node


class WordCount(NodeType):
    name = "words"
    schema = {
        "type": "object",
        "properties": {"source": TEXT, "slot": TEXT, "asks": TEXT},
        "required": ["source", "slot"],
        "additionalProperties": False,
    }

    def slots(self, node: Node) -> Mapping[str, bool]:
        return {node.body["slot"]: False, **({node.body["asks"]: False} if node.body.get("asks") else {})}

    def run(self, step: Step, node: Node) -> str:
        text = str(step.slots.get(node.body["source"]) or "")
        step.set_slots({node.body["slot"]: len(text.split())}, answer=False)
        if node.body.get("asks"):
            step.set_slots({node.body["asks"]: asks_question(text)}, answer=False)
        return str(node.get("next"))
