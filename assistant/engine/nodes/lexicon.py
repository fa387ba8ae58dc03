"""``lexicon``: one word from a word list with families (feelings); a vague word ("bad")
gets one coaching question offering a few specific ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text import matching
from ...text.meaning import Ask
from ..state import Answer
from ._schema import TEXT
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ...text.lexicon import Lexicon
    from ..model import DialogSet, Node

COACH = "'{vague}' can mean a lot of things. Was it closer to {options}?"
UNKNOWN = '"{word}", thank you. Can you tell me a little more? Is it closer to {examples}, or something else?'


def examples(lex: Lexicon) -> list[str]:
    return [words[0] for words in list(lex.families.values())[:4]]


class LexiconNode(NodeType):
    name = "lexicon"
    schema = {
        "type": "object",
        "properties": {"name": TEXT, "slot": TEXT, "coach": TEXT, "unknown": TEXT},
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
        return {"vague": False, "options": False, "examples": False, "word": False}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [([key], body[key]) for key in ("coach", "unknown") if body.get(key)]

    def variables(self, step: Step, node: Node) -> Mapping[str, Any]:
        return {"examples": matching.spoken_list(examples(step.program.lexicons[node.body["name"]]))}

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        offered = step.sub.get("options")
        if offered:
            return {w: [w] for w in offered}
        lex = step.program.lexicons[node.body["name"]]
        return {w: [w] for w in list(lex.words) + list(lex.vague)}

    def ask(self, step: Step, node: Node) -> Ask:
        return Ask("feeling")

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        if answer.meaning is None:
            self._plain(step, node, answer)
            return
        meaning = answer.meaning
        slot = node.body["slot"]
        unknown = step.sub.get("unknown")
        if meaning.is_content:
            step.set_slots({slot: meaning.content, f"{slot}_family": meaning.family})
            step.goto(node.get("next"))
        elif meaning.issue == "vague" and not step.sub.get("coached"):
            self._coach(step, node, meaning.word)
        elif meaning.issue == "vague":
            self._keep_vague(step, node, meaning.word)
        elif unknown:
            # asked about once: the person's own word is kept, its family unknown
            own = meaning.content if meaning.issue == "unknown_feeling" and meaning.content else unknown
            step.set_slots({slot: own, f"{slot}_family": None})
            step.goto(node.get("next"))
        elif meaning.issue == "unknown_feeling" and meaning.content:
            said = step.say(
                node.body.get("unknown") or UNKNOWN,
                {
                    "word": meaning.content,
                    "examples": matching.spoken_list(examples(step.program.lexicons[node.body["name"]])),
                },
            )
            step.set_sub({**step.sub, "unknown": meaning.content})
            step.set_prompt(said)
            step.listen()
        elif answer.act in ("question", "dont_know", "unsure", "you_pick"):
            step.command("help")
        else:
            step.fail("nomatch")  # "ok", "not happy", a bare "yes": no feeling named yet

    def _coach(self, step: Step, node: Node, vague: str) -> None:
        lex = step.program.lexicons[node.body["name"]]
        options = lex.vague[vague]
        said = step.say(
            node.body.get("coach") or COACH, {"vague": vague, "options": matching.spoken_list(list(options))}
        )
        step.set_sub({"coached": vague, "options": list(options)})
        step.set_prompt(said)
        step.listen()

    def _keep_vague(self, step: Step, node: Node, vague: str) -> None:
        lex = step.program.lexicons[node.body["name"]]
        hinted = [lex.words[o] for o in lex.vague[vague]]
        family = lex.words.get(vague) or max(hinted, key=hinted.count)
        step.set_slots({node.body["slot"]: vague, f"{node.body['slot']}_family": family})
        step.goto(node.get("next"))

    def _plain(self, step: Step, node: Node, answer: Answer) -> None:
        """Without a meaning layer: the first lexicon word in the answer."""
        lex = step.program.lexicons[node.body["name"]]
        found = matching.find_terms(answer.content, list(lex.words) + list(lex.vague))
        specific = [t for _, t in found if t in lex.words and t not in lex.vague]
        vague = [t for _, t in found if t in lex.vague]
        if specific:
            step.set_slots({node.body["slot"]: specific[0], f"{node.body['slot']}_family": lex.words[specific[0]]})
            step.goto(node.get("next"))
        elif vague and not step.sub.get("coached"):
            self._coach(step, node, vague[0])
        elif vague:
            self._keep_vague(step, node, vague[0])
        else:
            step.fail("nomatch")
