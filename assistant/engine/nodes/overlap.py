"""``overlap``: how faithfully one slot's sentence says another back (a paraphrase), into a slot.

Sets ``{slot}`` (the score, 0..1), ``{slot}_words`` (up to three of the listener's words worth
praising, spoken), ``{slot}_caught``, ``{slot}_category`` (``faithful``, ``partial``,
``unrelated``, ``mocking``, ``rebuttal``, ``always_never``, ``fixing``, ``filler``) and
``{slot}_markers`` (the phrases that set a coaching category), so a dialog can answer
mockery or fixing with a coaching line instead of praise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...text import matching
from ._schema import TEXT
from .base import NodeType, Step

if TYPE_CHECKING:
    from ..model import Node


class Overlap(NodeType):
    name = "overlap"
    schema = {
        "type": "object",
        "properties": {"source": TEXT, "target": TEXT, "slot": TEXT},
        "required": ["source", "target", "slot"],
        "additionalProperties": False,
    }

    def slots(self, node: Node) -> Mapping[str, bool]:
        name = node.body["slot"]
        return {
            name: False,
            f"{name}_words": True,
            f"{name}_caught": True,
            f"{name}_category": False,
            f"{name}_markers": True,
        }

    def run(self, step: Step, node: Node) -> str:
        body = node.body
        result = matching.overlap(str(step.slots.get(body["source"]) or ""), str(step.slots.get(body["target"]) or ""))
        name = body["slot"]
        words = matching.spoken_list(list(result.caught[:3]), "and")
        step.set_slots(
            {
                name: result.score,
                f"{name}_words": words,
                f"{name}_caught": list(result.caught),
                f"{name}_category": result.category,
                f"{name}_markers": matching.spoken_list(list(result.markers[:2]), "and"),
            },
            answer=False,
        )
        return str(node.get("next"))
