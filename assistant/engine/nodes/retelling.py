"""``retell``: one slot's words as the coach says them back, into a slot: in the third person
("I'm worn out" -> "Sam is worn out"), a short clause, and never a mockery or an insult in
the coach's own voice (then the node's ``instead`` line, or nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text.retell import MAX_WORDS, retell
from ._schema import TEXT
from .base import NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import Node


class Retell(NodeType):
    name = "retell"
    schema = {
        "type": "object",
        "properties": {
            "source": TEXT,
            "slot": TEXT,
            "speaker": TEXT,
            "listener": TEXT,
            "words": {"type": "integer", "minimum": 3, "maximum": 25},
            "instead": TEXT,
        },
        "required": ["source", "slot"],
        "additionalProperties": False,
    }

    def slots(self, node: Node) -> Mapping[str, bool]:
        return {node.body["slot"]: "instead" not in node.body}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["instead"], body["instead"])] if body.get("instead") else []

    def run(self, step: Step, node: Node) -> str:
        body = node.body
        speaker = step.value(body["speaker"]) if body.get("speaker") else None
        listener = step.value(body["listener"]) if body.get("listener") else None
        told = retell(
            str(step.slots.get(body["source"]) or ""),
            str(speaker) if speaker else None,
            str(listener) if listener else None,
            int(body.get("words", MAX_WORDS)),
        )
        if told is None and body.get("instead"):
            told = step.render(body["instead"])
        step.set_slots({body["slot"]: told or ""}, answer=False)
        return str(node.get("next"))
