"""``choice``: one of a few labelled answers, each with phrases, slot values, a reply and a goto."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ... import matching
from ..state import Answer
from ._schema import CHOICE_ITEM, texts
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ...dialogs import DialogSet, Node


def check_likes(items: list[Mapping[str, Any]], base: Path, program: DialogSet, error: ErrorAt) -> None:
    """Every ``like`` names a phrase set of common.yaml."""
    sets = set((program.common.get("phrases") or {}).keys())
    for i, item in enumerate(items):
        if "like" in item and item["like"] not in sets:
            error(base + [i, "like"], f"no phrase set '{item['like']}' in common.yaml")


def item_values(step: Step, item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's ``set:`` with its templates filled in."""
    return {k: (step.render(v) if isinstance(v, str) else v) for k, v in (item.get("set") or {}).items()}


class Choice(NodeType):
    name = "choice"
    schema = {"type": "array", "items": CHOICE_ITEM, "minItems": 1}
    listens = True
    needs_next = False

    def check(self, node_id: str, spec: Mapping[str, Any], error: ErrorAt) -> None:
        for i, item in enumerate(spec[self.name]):
            if "goto" not in item and "next" not in spec:
                error([i, "goto"], "is missing (and the node has no 'next')")

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [([i, "goto"], item["goto"]) for i, item in enumerate(body) if "goto" in item]

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        check_likes(body, [], program, error)

    def slots(self, node: Node) -> Mapping[str, bool]:
        out = {"choice": False, node.id: False}
        for item in node.body:
            out.update({k: v is None or v == "" for k, v in (item.get("set") or {}).items()})
        return out

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        for i, item in enumerate(body):
            for j, text in enumerate(texts(item.get("say"))):
                yield [i, "say"] + ([j] if isinstance(item.get("say"), list) else []), text

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        return {item["label"]: step.phrases(item) for item in node.body}

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        match = matching.best_match(answer.content, self.options(step, node))
        if match is None:
            step.fail("nomatch")
            return
        item = next(i for i in node.body if i["label"] == match.label)
        step.set_slots({"choice": match.label, node.id: match.label, **item_values(step, item)})
        step.say(item.get("say"))
        step.goto(item.get("goto") or node.get("next"))

