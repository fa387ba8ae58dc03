"""``choice``: one of a few labelled answers, each with phrases, slot values, a reply and a goto."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text import matching
from ...text.matching import spoken_list
from ...text.meaning import Ask, interpret
from ..state import Answer
from ._schema import CHOICE_ITEM, texts
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import DialogSet, Node


def check_likes(items: list[Mapping[str, Any]], base: Path, program: DialogSet, error: ErrorAt) -> None:
    """Every ``like`` names a phrase set of common.yaml."""
    sets = set((program.common.get("phrases") or {}).keys())
    for i, item in enumerate(items):
        if "like" in item and item["like"] not in sets:
            error(base + [i, "like"], f"no phrase set '{item['like']}' in common.yaml")


ACTS = {
    "type": "object",
    "propertyNames": {"enum": ["affirm", "deny", "unsure", "dont_know", "you_pick", "question", "nothing"]},
    "additionalProperties": {"type": "string", "minLength": 1},
}
"""A choice's ``acts:``: what an act picks ("How about a long hug?" -> ``{affirm: hug}``);
an option's label, or ``decline`` (the act declines, like saying pass)."""
DECLINE = "decline"


def pick(step: Step, answer: Answer, options: Mapping[str, list[str]]) -> str | None:
    """The option an answer picks: the meaning layer's content, else an option said as the
    whole answer even though it reads as an act ("surprise us"); without a meaning layer,
    the closest option."""
    if answer.content in options or answer.content == DECLINE:
        return answer.content
    if answer.meaning is None:
        match = matching.best_match(answer.content, options)
        return match.label if match else None
    if answer.act in ("answer", "unclear", "deny", "affirm", "unsure"):
        return None
    said = matching.normalise(answer.text)
    return next((label for label, phrases in options.items() if said in {matching.normalise(p) for p in phrases}), None)


def yes_no_acts(options: Mapping[str, Any]) -> dict[str, str]:
    """A choice with "yes" and "no" options is picked by any yes or no ("I don't think so")."""
    return {act: label for act, label in (("affirm", "yes"), ("deny", "no")) if label in options}


CARRY_FILLER = frozenset(
    "and also too plus oh um uh well so actually just like yeah yes yep yup sure okay ok right there's there is a bit more one thing".split()
)
"""Words around a yes that carry nothing of their own ("yeah, and also ...")."""


def carried(text: str, phrases: list[str]) -> str:
    """What an answer says beyond picking its option: "yeah, and also the kids" -> "the kids"
    (empty when it says nothing more)."""
    words = matching.normalise(text).split()
    leads = sorted((matching.normalise(p).split() for p in phrases), key=len, reverse=True)
    changed = True
    while words and changed:
        changed = False
        for lead in leads:
            if lead and words[: len(lead)] == lead:
                words, changed = words[len(lead) :], True
                break
        if words and words[0] in CARRY_FILLER:
            words, changed = words[1:], True
    return " ".join(words) if any(w not in CARRY_FILLER for w in words) else ""


def item_values(step: Step, item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's ``set:`` with its templates filled in."""
    return {k: (step.render(v) if isinstance(v, str) else v) for k, v in (item.get("set") or {}).items()}


class Choice(NodeType):
    name = "choice"
    schema = {"type": "array", "items": CHOICE_ITEM, "minItems": 1}
    node_fields = {"acts": ACTS, "scale": {"type": "string", "minLength": 1}}
    listens = True
    needs_next = False

    def check(self, node_id: str, spec: Mapping[str, Any], error: ErrorAt) -> None:
        for i, item in enumerate(spec[self.name]):
            if "goto" not in item and "next" not in spec:
                error([i, "goto"], "is missing (and the node has no 'next')")
        labels = [item["label"] for item in spec[self.name]]
        for act, label in (spec.get("acts") or {}).items():
            if label not in labels and label != DECLINE:
                error(
                    [],
                    f"acts.{act}: '{label}' is not an option of this choice (expected one of: {', '.join(labels)}, decline)",
                )

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        check_likes(body, [], program, error)

    def check_node_refs(self, node: Node, program: DialogSet, error: ErrorAt) -> None:
        scale = node.get("scale")
        tables = program.meaning
        if scale and tables is not None and scale not in tables.scales:
            error([], f"scale: no scale '{scale}' in meaning/scales.yaml (expected one of: {', '.join(tables.scales)})")
        elif scale and tables is not None:
            levels = set(tables.scales[scale].levels)
            labels = [item["label"] for item in node.body if item["label"] not in levels]
            if labels:
                error(
                    [],
                    f"scale: '{labels[0]}' is not a level of scale '{scale}' ({', '.join(tables.scales[scale].levels)})",
                )

    def ask(self, step: Step, node: Node) -> Ask:
        options = {k: tuple(v) for k, v in self.options(step, node).items()}
        acts = {**yes_no_acts(options), **(node.get("acts") or {})}
        scale = node.get("scale")
        return Ask("scale" if scale else "choice", options=options, acts=acts, scale=scale)

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        out = [([i, "goto"], item["goto"]) for i, item in enumerate(body) if "goto" in item]
        return out + [([i, "carry", "goto"], item["carry"]["goto"]) for i, item in enumerate(body) if "carry" in item]

    def slots(self, node: Node) -> Mapping[str, bool]:
        out = {"choice": False, node.id: False}
        for item in node.body:
            out.update({k: v is None or v == "" for k, v in (item.get("set") or {}).items()})
            out.update({item["carry"]["slot"]: True} if "carry" in item else {})
        return out

    def free_text_slots(self, body: Any) -> set[str]:
        return {item["carry"]["slot"] for item in body if "carry" in item}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        for i, item in enumerate(body):
            for j, text in enumerate(texts(item.get("say"))):
                yield [i, "say"] + ([j] if isinstance(item.get("say"), list) else []), text

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        return {item["label"]: step.phrases(item) for item in node.body}

    def is_yes(self, step: Step, node: Node, answer: Answer) -> bool:
        """A yes to a choice with a "yes" option (a confirmation)."""
        options = self.options(step, node)
        if "yes" not in options or answer.act in ("deny", "unsure", "dont_know", "you_pick", "nothing"):
            return False
        return answer.act == "affirm" or pick(step, answer, options) == "yes"

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        label = no_beats_yes(step, node, answer, pick(step, answer, self.options(step, node)))
        if label == DECLINE:
            step.command("pass")
            return
        if label is None:
            unpicked(step, node, answer, self.options(step, node))
            return
        item = next(i for i in node.body if i["label"] == label)
        step.set_slots({"choice": label, node.id: label, **item_values(step, item)})
        more = carried(answer.text, step.phrases(item)) if item.get("carry") else ""
        if more:  # "yeah, and also the kids": the kids are the answer to what comes next
            step.set_slots({item["carry"]["slot"]: more})
            step.goto(item["carry"]["goto"])
            return
        step.say(item.get("say"))
        step.goto(item.get("goto") or node.get("next"))


HEDGES = ("unsure", "dont_know")


def no_label(node: Node) -> str | None:
    """The option that means no at a yes/no question ("no", or one ``like: "no"``)."""
    return next((i["label"] for i in node.body if i["label"] == "no" or i.get("like") == "no"), None)


def no_beats_yes(step: Step, node: Node, answer: Answer, label: str | None) -> str | None:
    """At a yes/no question any no beats a yes said beside it: "no, that's ok" to "shall I keep
    those words?" keeps nothing ("ok" is one of yes's phrases).  A hedge beside a yes is no pick."""
    tables = step.program.meaning
    if label != "yes" or answer.meaning is None or tables is None or no_label(node) is None:
        return label
    closed = interpret(answer.text, Ask("yes_no"), tables)
    if closed.act == "deny":
        return no_label(node)
    return None if closed.act in HEDGES else label


def unpicked(step: Step, node: Node, answer: Answer, options: Mapping[str, list[str]]) -> None:
    """An answer that picks no option: a question back gets the help; contempt ("yes, happy
    now?") and a hedge ("I'm not sure") a kind re-ask once (never "Sorry, I didn't catch
    that"); anything else is a nomatch."""
    if answer.act == "question":
        step.command("help")
    elif answer.act == "contempt" and not step.sub.get("unkind"):
        step.set_sub({**step.sub, "unkind": True})  # never read back or taken as a yes: kindly, once
        step.message("contempt_again")
        step.repeat_prompt()
        step.listen()
    elif answer.meaning is not None and answer.act in HEDGES and not step.sub.get("hedged"):
        step.set_sub({**step.sub, "hedged": True})
        step.message("hedge_again", {"options": spoken_list(list(options)[:6], "or")})
        step.listen()
    else:
        step.fail("nomatch")
