"""``levels``: one level for each partner, asked of both at once ("how's your energy?").

Items are listed from the highest level to the lowest, each like a ``choice`` item (label,
phrases, ``set``, ``say``, ``goto``).  One level said ("medium") is both partners'.  Two
("I'm high, Sam's low") go to the partner named with one of them, the other to the other
partner; two without a name ("high and low") ask ``whose`` once ("Who's high, Maya or
Sam?").  The node's own slot holds the lower of the two (a low partner makes a short
night), ``<node>_a`` and ``<node>_b`` each partner's level; the lower level's item is what
the answer does (its ``set``, ``say`` and ``goto``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text import matching
from ...text.meaning import Ask
from ..state import Answer
from ._schema import CHOICE_ITEM, TEXT, texts
from .base import ErrorAt, NodeType, Path, Step
from .choice import check_likes, item_values

if TYPE_CHECKING:
    from ..model import DialogSet, Node

_CLAUSES = re.compile(r"\b(?:and|but|while|whereas)\b|[,;]")


def _mentions(text: str, phrases: Iterable[str]) -> int | None:
    """Where the longest of ``phrases`` occurs in ``text`` as whole words (None: nowhere)."""
    hits = [
        (len(p), m.start())
        for p in map(matching.normalise, phrases)
        if p
        for m in re.finditer(rf"\b{re.escape(p)}\b", text)
    ]
    return max(hits)[1] if hits else None


class Levels(NodeType):
    name = "levels"
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": CHOICE_ITEM, "minItems": 2}, "whose": TEXT, "scale": TEXT},
        "required": ["items", "whose"],
        "additionalProperties": False,
    }
    listens = True

    def check(self, node_id: str, spec: Mapping[str, Any], error: ErrorAt) -> None:
        for i, item in enumerate(spec[self.name]["items"]):
            if "goto" not in item and "next" not in spec:
                error(["items", i, "goto"], "is missing (and the node has no 'next')")

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["items", i, "goto"], item["goto"]) for i, item in enumerate(body["items"]) if "goto" in item]

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        check_likes(body["items"], ["items"], program, error)
        tables = getattr(program, "meaning", None)  # the meaning tables, when the program carries them
        scales = getattr(tables, "scales", None)
        if body.get("scale") and scales is not None and body["scale"] not in scales:
            error(
                ["scale"], f"no scale '{body['scale']}' in meaning/scales.yaml (expected one of: {', '.join(scales)})"
            )

    def slots(self, node: Node) -> Mapping[str, bool]:
        out = {"choice": False, node.id: False, f"{node.id}_a": False, f"{node.id}_b": False}
        for item in node.body["items"]:
            out.update({k: v is None or v == "" for k, v in (item.get("set") or {}).items()})
        return out

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        return {"level": False}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        yield ["whose"], body["whose"]
        for i, item in enumerate(body["items"]):
            for j, text in enumerate(texts(item.get("say"))):
                yield ["items", i, "say"] + ([j] if isinstance(item.get("say"), list) else []), text

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        if step.sub.get("pending"):
            a, b = step.state.session["partners"]
            return {a: [a, "me", "i am", "i'm"], b: [b]}
        return {item["label"]: step.phrases(item) for item in node.body["items"]}

    def ask(self, step: Step, node: Node) -> Ask:
        """For the meaning layer: a scale (``scale:``, "not great" is low), or whose level it is."""
        options = {k: tuple(v) for k, v in self.options(step, node).items()}
        if step.sub.get("pending") or not node.body.get("scale"):
            return Ask("choice", options=options)
        return Ask("scale", options=options, scale=node.body["scale"])

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        if step.sub.get("pending"):
            self._whose(step, node, answer)
            return
        text = matching.normalise(answer.text)
        found = self._levels(step, node, text)
        labels = [item["label"] for item in node.body["items"]]
        if len(found) < 2 and answer.content in labels:
            found = [answer.content]  # one level, as the meaning layer read it ("not great" is low)
        if not found:
            step.fail("nomatch")
            return
        if len(found) == 1:
            self._done(step, node, found[0], found[0])
            return
        first, second = found[0], found[1]
        named = self._named(step, node, answer.text)
        a, b = step.state.session["partners"]
        if named:
            name, level = named
            other = second if level == first else first
            self._done(step, node, *((level, other) if name == a else (other, level)))
            return
        step.set_sub({"pending": [first, second]})
        said = step.say(node.body["whose"], {"level": first}, prompt=True)
        step.set_prompt(said)
        step.listen()

    # ------------------------------------------------------------------ helpers

    def _levels(self, step: Step, node: Node, text: str) -> list[str]:
        """Labels mentioned, in the order said (at most two distinct)."""
        at = {item["label"]: _mentions(text, step.phrases(item)) for item in node.body["items"]}
        said = sorted((pos, label) for label, pos in at.items() if pos is not None)
        if not said:
            match = matching.best_match(text, self.options(step, node))
            return [match.label] if match else []
        return list(dict.fromkeys(label for _, label in said))[:2]

    def _named(self, step: Step, node: Node, text: str) -> tuple[str, str] | None:
        """(partner, level) from a clause that names a partner and a level ("sam's low")."""
        for clause in map(matching.normalise, _CLAUSES.split(text.lower())):
            levels = self._levels(step, node, clause) if clause else []
            for name in step.state.session["partners"]:
                if levels and re.search(rf"\b{re.escape(matching.normalise(name))}\b", clause):
                    return name, levels[0]
        return None

    def _whose(self, step: Step, node: Node, answer: Answer) -> None:
        a, b = step.state.session["partners"]
        match = matching.best_match(answer.content, self.options(step, node))
        if match is None:
            step.fail("nomatch")
            return
        first, second = step.sub["pending"]
        step.set_sub({})
        self._done(step, node, *((first, second) if match.label == a else (second, first)))

    def _done(self, step: Step, node: Node, level_a: str, level_b: str) -> None:
        order = [item["label"] for item in node.body["items"]]
        lower = max(level_a, level_b, key=order.index)
        item = node.body["items"][order.index(lower)]
        step.set_slots(
            {
                "choice": lower,
                node.id: lower,
                f"{node.id}_a": level_a,
                f"{node.id}_b": level_b,
                **item_values(step, item),
            }
        )
        step.say(item.get("say"))
        step.goto(item.get("goto") or node.get("next"))
