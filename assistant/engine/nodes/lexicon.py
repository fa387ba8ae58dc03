"""``lexicon``: one word from a word list with families (feelings); a vague word ("bad")
gets one coaching question offering a few specific ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ... import matching
from ..state import Answer
from ._schema import TEXT
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ...dialogs import DialogSet, Lexicon, Node

COACH = "'{vague}' can mean a lot of things. Was it closer to {options}?"


def examples(lex: Lexicon) -> list[str]:
    return [words[0] for words in list(lex.families.values())[:4]]


class LexiconNode(NodeType):
    name = "lexicon"
    schema = {
        "type": "object",
        "properties": {"name": TEXT, "slot": TEXT, "coach": TEXT, "accept": TEXT},
        "required": ["name", "slot"],
        "additionalProperties": False,
    }
    listens = True

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        if body["name"] not in program.lexicons:
            error(["name"], f"unknown lexicon '{body['name']}'")

    def slots(self, node: Node) -> Mapping[str, bool]:
        slot = node.body["slot"]
        return {slot: False, f"{slot}_family": True}

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        return {"vague": False, "options": False, "examples": False}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["coach"], body["coach"])] if body.get("coach") else []

    def variables(self, step: Step, node: Node) -> Mapping[str, Any]:
        return {"examples": matching.spoken_list(examples(step.program.lexicons[node.body["name"]]))}

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        offered = step.sub.get("options")
        if offered:
            return {w: [w] for w in offered}
        lex = step.program.lexicons[node.body["name"]]
        return {w: [w] for w in list(lex.words) + list(lex.vague)}

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        body = node.body
        lex = step.program.lexicons[body["name"]]
        found = matching.find_terms(answer.content, list(lex.words) + list(lex.vague))
        specific = [t for _, t in found if t in lex.words and t not in lex.vague]
        vague = [t for _, t in found if t in lex.vague]
        slot = body["slot"]
        if specific:
            step.set_slots({slot: specific[0], f"{slot}_family": lex.words[specific[0]]})
            step.goto(node.get("next"))
        elif vague and not step.sub.get("coached"):
            options = lex.vague[vague[0]]
            said = step.say(body.get("coach") or COACH, {"vague": vague[0], "options": matching.spoken_list(list(options))})
            step.set_sub({"coached": vague[0], "options": list(options)})
            step.set_prompt(said)
            step.listen()
        elif vague:
            hinted = [lex.words[o] for o in lex.vague[vague[0]]]
            family = lex.words.get(vague[0]) or max(hinted, key=hinted.count)
            step.set_slots({slot: vague[0], f"{slot}_family": family})
            step.goto(node.get("next"))
        elif body.get("accept") == "anything" and step.state.nomatch + 1 >= node.get("tries", step.program.common["defaults"].get("tries", 3)):
            step.set_slots({slot: matching.normalise(answer.content), f"{slot}_family": None})
            step.goto(node.get("next"))
        else:
            step.fail("nomatch")
