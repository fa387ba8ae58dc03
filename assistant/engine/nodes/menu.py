"""``menu``: the exercises not done (nor declined) tonight, by name, plus "surprise us" and a few extra items.

It offers at most :data:`PAGE` of them at a time (``{offer}``, the ``suggest`` slot's exercise
first); "what else?" offers the next few (its ``more`` line)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text.matching import best_match, spoken_list
from ...text.meaning import Ask
from ..state import Answer
from ._schema import CHOICE_ITEM, TEXT, texts
from .base import ErrorAt, NodeType, Path, Step
from .choice import DECLINE, check_likes, pick, unpicked

if TYPE_CHECKING:
    from ..model import Dialog, DialogSet, Node


PAGE = 3
"""Options offered at a time (more on "what else?")."""
WHAT_ELSE = [
    "what else",
    "something else",
    "what other ones",
    "other options",
    "more options",
    "what are the others",
    "the other ones",
    "any others",
]
MORE_HINT = " There are others too."
"""Said after the first few options when there are more (``{more_hint}``): easier to follow
by ear than "or say what else" at the end of a list."""


def remaining(step: Step) -> list[Dialog]:
    """The exercises still on offer tonight: not done, declined, withdrawn or paused for safety,
    and nothing physical after a safety pause."""
    return [d for d in step.program.exercises() if step.state.offers(d)]


def requestable(step: Step) -> list[Dialog]:
    """What a partner may pick by name: what is on offer, and what was declined or withdrawn
    from tonight (never offered again, but theirs to ask for)."""
    return [d for d in step.program.exercises() if step.state.may_request(d)]


def not_tonight(step: Step, answer: Answer) -> bool:
    """A touch exercise asked for after a safety pause: a kind line, and the menu again."""
    if not step.state.safety_paused:
        return False
    barred = {d.title: [d.title, *d.names] for d in step.program.exercises() if not step.state.may_start(d)}
    if not barred or best_match(answer.text, barred) is None:
        return False
    step.message("not_tonight")
    step.repeat_prompt()
    step.listen()
    return True


def page(step: Step) -> list[Dialog]:
    """The exercises offered now, :data:`PAGE` at a time: the suggested one (slot ``suggest``)
    first, then those the last few check-ins did not have, each in file order."""
    left = remaining(step)
    first = step.slots.get("suggest")
    recent = set(step.memory.get("recent_exercises") or [])
    left.sort(key=lambda d: (d.id != first, d.id in recent))
    start = (int(step.sub.get("page") or 0) * PAGE) % max(len(left), 1)
    return left[start : start + PAGE]


def surprise(step: Step, left: list[Dialog]) -> Dialog:
    """A fixed pick for this session and point: one not done in the last few sessions if any."""
    recent = set(step.memory.get("recent_exercises") or [])
    fresh = [d for d in left if d.id not in recent] or left
    seed = int(hashlib.sha256(f"{step.state.session['id']}:{len(step.state.done)}".encode()).hexdigest(), 16)
    return fresh[seed % len(fresh)]


class Menu(NodeType):
    name = "menu"
    schema = {
        "type": "object",
        "properties": {
            "extra": {"type": "array", "items": CHOICE_ITEM},
            "surprise": {"type": "array", "items": TEXT},
            "more": TEXT,
        },
        "additionalProperties": False,
    }
    listens = True

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["extra", i, "goto"], item["goto"]) for i, item in enumerate(body.get("extra", [])) if "goto" in item]

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        check_likes(body.get("extra", []), ["extra"], program, error)

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        if body.get("more"):
            yield ["more"], body["more"]
        for i, item in enumerate(body.get("extra", [])):
            for j, text in enumerate(texts(item.get("say"))):
                yield ["extra", i, "say"] + ([j] if isinstance(item.get("say"), list) else []), text

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        return {"title": False, "offer": False, "more_hint": True}

    def variables(self, step: Step, node: Node) -> Mapping[str, Any]:
        more = MORE_HINT if len(remaining(step)) > PAGE else ""
        return {"offer": spoken_list([d.title for d in page(step)], "or"), "more_hint": more}

    def skipped(self, step: Step, node: Node) -> bool:
        return not remaining(step)

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        out = {d.title: [d.title, *d.names] for d in requestable(step)}
        if node.body.get("surprise"):
            out["surprise us"] = list(node.body["surprise"])
        for item in node.body.get("extra", []):
            out[item["label"]] = step.phrases(item)
        if len(remaining(step)) > PAGE:
            out["what else"] = list(WHAT_ELSE)
        return out

    def ask(self, step: Step, node: Node) -> Ask:
        options = {k: tuple(v) for k, v in self.options(step, node).items()}
        return Ask("choice", options=options, acts={"you_pick": "surprise us"} if "surprise us" in options else {})

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        if self.what_else(step, node, answer):
            return
        label = pick(step, answer, self.options(step, node))
        if label is None and not_tonight(step, answer):
            return
        if label is None or label == DECLINE:
            unpicked(step, node, answer, self.options(step, node))
            return
        left = remaining(step)
        chosen = next((d for d in requestable(step) if d.title == label), None)
        if label == "surprise us":
            chosen = surprise(step, left)
            step.message("surprise", {"title": chosen.title})
        if chosen is None:
            item: Mapping[str, Any] = next(i for i in node.body.get("extra", []) if i["label"] == label)
            step.say(item.get("say"))
            step.goto(item.get("goto") or node.get("skip") or node.get("next"))
            return
        step.answered()
        step.goto(step.call(chosen.id, return_to=node.get("next")))

    def what_else(self, step: Step, node: Node, answer: Answer) -> bool:
        """ "What else?": the next few exercises (the node's ``more`` line); False for any other answer."""
        if len(remaining(step)) <= PAGE or best_match(answer.text, {"what else": WHAT_ELSE}) is None:
            return False
        step.set_sub({"page": int(step.sub.get("page") or 0) + 1})
        step.say(node.body.get("more") or "There's also {offer}.", prompt=True)
        step.listen()
        return True
