"""``branch``: the first case whose condition holds says its line and goes on; the last
case has no condition (the fallback)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._schema import TARGET, TEXTS, texts
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import Node

CONDITION = {
    "type": "object",
    "properties": {
        "slot": {"type": "string"},
        "eq": {},
        "ne": {},
        "gte": {"type": "number"},
        "lt": {"type": "number"},
        "in": {"type": "array"},
        "set": {"type": "boolean"},
    },
    "required": ["slot"],
    "additionalProperties": False,
}


def holds(cond: Mapping[str, Any], value: Any) -> bool:
    if "set" in cond:
        return bool(value not in (None, "", [], False)) == cond["set"]
    if "eq" in cond:
        return value == cond["eq"]
    if "ne" in cond:
        return value != cond["ne"]
    if "in" in cond:
        return value in cond["in"]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if "gte" in cond:
        return number >= cond["gte"]
    if "lt" in cond:
        return number < cond["lt"]
    return False


class Branch(NodeType):
    name = "branch"
    schema = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": {"if": CONDITION, "goto": TARGET, "say": TEXTS},
            "required": ["goto"],
            "additionalProperties": False,
        },
    }
    needs_next = False

    def check(self, node_id: str, spec: Mapping[str, Any], error: ErrorAt) -> None:
        if "if" in spec[self.name][-1]:
            error([], "the last case needs no 'if' (it is the fallback)")

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [([i, "goto"], case["goto"]) for i, case in enumerate(body)]

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        for i, case in enumerate(body):
            for j, text in enumerate(texts(case.get("say"))):
                yield [i, "say"] + ([j] if isinstance(case.get("say"), list) else []), text

    def run(self, step: Step, node: Node) -> str:
        for case in node.body:
            cond = case.get("if")
            if cond is None or holds(cond, step.value(cond["slot"])):
                step.say(case.get("say"))
                return str(case["goto"])
        raise AssertionError("validated branches end with a fallback")
