"""``words``: how many words one slot's answer has, into a slot (a long share can be split);
with ``asks``, also whether it asks a question (a question is answered before moving on);
with ``not_you``, whether it says a feeling was not about the partner ("not you, just the day")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...text.matching import asks_question
from ...text.meaning.conflict import not_you
from ._schema import TEXT
from .base import NodeType, Step

if TYPE_CHECKING:
    from ..model import Node


class WordCount(NodeType):
    name = "words"
    schema = {
        "type": "object",
        "properties": {"source": TEXT, "slot": TEXT, "asks": TEXT, "not_you": TEXT},
        "required": ["source", "slot"],
        "additionalProperties": False,
    }

    def slots(self, node: Node) -> Mapping[str, bool]:
        out = {node.body["slot"]: False}
        out.update({node.body[k]: False for k in ("asks", "not_you") if node.body.get(k)})
        return out

    def run(self, step: Step, node: Node) -> str:
        text = str(step.slots.get(node.body["source"]) or "")
        step.set_slots({node.body["slot"]: len(text.split())}, answer=False)
        if node.body.get("asks"):
            step.set_slots({node.body["asks"]: asks_question(text)}, answer=False)
        if node.body.get("not_you"):  # "not you. just the day": the feeling was not about the partner
            rules = step.program.meaning.conflict if step.program.meaning else None
            step.set_slots({node.body["not_you"]: not_you(text, rules)}, answer=False)
        return str(node.get("next"))
