"""``capture``: free speech into one slot; "we're stuck" gets a hint; a ``deck`` deals the
next question (in deck order, never one this couple already had) into slot ``question``.

Content checks (issue 19): a capture asks for content (a summary, a validation, a wish, an
agreement, an appreciation...), so an answer without any ("okay", a bare yes or no, "no, I
don't agree", "um") is never kept: it gets one more ask, with the node's ``example:`` if it has
one, then the coach moves on kindly (to the node's ``moves_on:``, else out of the exercise).
Contempt ("you're pathetic honestly", "happy now?") is never kept, read back or praised: one
kind re-ask, then on the same way.  A refusal is a decline and is never asked again.  A node
whose question a short reply answers well ("How did it go?" "Fine.") says ``brief_ok: true``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ...text import matching
from ...text.meaning import Ask
from ..state import Answer
from ._schema import TARGET, TEXT
from .base import ErrorAt, NodeType, Path, Step

if TYPE_CHECKING:
    from ..model import DialogSet, Node

STUCK = (
    "i don't know",
    "i dont know",
    "no idea",
    "not sure",
    "you pick",
    "you choose",
    "any ideas",
    "ideas",
    "give us ideas",
    "we're stuck",
    "help us",
    "surprise us",
    "dunno",
)
"""Answers that ask for help rather than give one."""
ASKS = ("text", "paraphrase", "activity")
"""What a capture may ask for (``asks:``, default text): the meaning layer checks the content."""
STUCK_ACTS = ("dont_know", "you_pick", "question", "unsure")
NO_CONTENT = ("content_free", "deny")
"""Acts that say nothing to keep at a content question: the meaning layer's ``content_free``
("okay", "same") and a bare refusal of the point ("no, I don't agree" is not an agreement)."""
BARE = frozenset(
    "yes yeah yep yup ya yea no nope nah ok okay k sure fine alright right um uh er erm hmm mm mhm uh-huh so well".split()
)
"""Words that say nothing on their own: an answer made only of them is content-free whatever
act it reads as ("yes", "okay fine", "um"); "it does" or "of course you are" are answers."""
CONTEMPT = "contempt"
TRIES = 2
"""Answers without content at one question before the coach moves on (one more ask between)."""

_LEADING_FILLER = re.compile(r"^(?:(?:um+|uh+|er+m?|hmm+|well|so|like|okay so|you know)\b[\s,.]*)+", re.IGNORECASE)


def is_stuck(text: str) -> bool:
    return matching.best_match(text, {"stuck": list(STUCK)}, threshold=90) is not None


def trim_filler(text: str) -> str:
    """ "Um, my pottery class" -> "my pottery class" (keeps the words as said otherwise)."""
    trimmed = _LEADING_FILLER.sub("", text.strip()).strip()
    return trimmed or text.strip()


def deal(deck: tuple[str, ...], had: list[str], tonight: set[str]) -> str:
    """The next unasked item: in deck order, skipping what the couple had (the journal
    knows) and what was asked tonight; when all were had, the least recent comes back."""
    fresh = [q for q in deck if q not in had and q not in tonight]
    if not fresh:
        order = {q: i for i, q in enumerate(had)}
        fresh = sorted((q for q in deck if q not in tonight), key=lambda q: order.get(q, -1)) or list(deck)
    return fresh[0]


class Capture(NodeType):
    name = "capture"
    schema = {
        "type": "object",
        "properties": {
            "slot": TEXT,
            "stuck": TEXT,
            "deck": TEXT,
            "keep": {"type": "boolean"},
            "asks": {"enum": list(ASKS)},
            "example": TEXT,
            "brief_ok": {"type": "boolean"},
            "moves_on": TARGET,
        },
        "required": ["slot"],
        "additionalProperties": False,
    }
    listens = True
    reprompts = "capture"

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [(["moves_on"], body["moves_on"])] if body.get("moves_on") else []

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        if body.get("deck") and body["deck"] not in program.decks:
            error(["deck"], f"unknown deck '{body['deck']}'")

    def slots(self, node: Node) -> Mapping[str, bool]:
        out = {node.body["slot"]: False}
        if node.body.get("deck"):
            out["question"] = False
        return out

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        return [([key], body[key]) for key in ("stuck", "example") if body.get(key)]

    def free_text_slots(self, body: Any) -> set[str]:
        return set() if body.get("keep") else {body["slot"]}

    def on_enter(self, step: Step, node: Node) -> None:
        if node.body.get("deck"):
            had = list(step.memory.get("used_questions") or [])
            question = deal(step.program.decks[node.body["deck"]], had, set(step.state.used))
            step.took_item(question)
            step.set_slots({"question": question}, answer=False)

    def mode(self, step: Step, node: Node) -> str:
        return "capture"

    def ask(self, step: Step, node: Node) -> Ask:
        return Ask(node.body.get("asks", "text"), now=step.now)

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        body = node.body
        stuck = is_stuck(answer.text) or answer.act in STUCK_ACTS
        if body.get("stuck") and stuck:
            if step.sub.get("hinted"):  # the hint once; after that "whatever" counts as a try
                step.fail("nomatch")
                return
            step.set_sub({**step.sub, "hinted": True})
            step.say(body["stuck"])
            step.listen()
            return
        if answer.act == "nothing":
            nothing(step, node)
            return
        if answer.act == "question":
            step.command("help")  # "what do you mean?": the node's help, counted
            return
        asks = body.get("asks", "text")
        if answer.act == CONTEMPT and asks != "paraphrase":  # a mocking paraphrase: the overlap judge coaches it
            no_content(step, node, contempt=True)
            return
        if (answer.act in NO_CONTENT or bare(answer.text)) and not body.get("brief_ok"):
            no_content(step, node, contempt=False)
            return
        if not usable(answer, asks):
            step.fail("nomatch")  # a bare "yes" is no paraphrase; "what?" no answer to keep
            return
        step.set_slots({body["slot"]: trim_filler(answer.text)})
        step.goto(node.get("next"))


def bare(text: str) -> bool:
    """Only acknowledgements and filler: "yes", "okay", "sure", "fine", "um", "yes yes"."""
    return all(word in BARE for word in matching.normalise(text).split())


def usable(answer: Answer, asks: str) -> bool:
    """An answer to keep: a paraphrase or an activity must say something (the meaning layer
    checks); a plain text answer is anything said but a question back or "I don't know"."""
    if asks == "paraphrase" and answer.act == "contempt":
        return True  # mockery goes to the paraphrase judge's kind coaching line (until the engine answers contempt)
    if asks != "text":
        return answer.is_content
    return answer.act not in STUCK_ACTS


def no_content(step: Step, node: Node, contempt: bool) -> None:
    """An answer with nothing to keep: one more ask (with the node's example), then on kindly."""
    tries = int(step.sub.get("empty") or 0) + 1
    step.set_sub({**step.sub, "empty": tries})
    if tries < TRIES:
        if contempt:
            step.message("contempt_again")
            step.repeat_prompt()
        else:
            step.message("content_again")
            step.say(node.body.get("example"))
        step.listen()
        return
    if node.body.get("moves_on"):
        step.message("content_move_on")
        step.goto(node.body["moves_on"])
    else:
        step.message("content_leave")
        step.leave(complete=False)


def nothing(step: Step, node: Node) -> None:
    """ "I don't have any hobbies": a real answer, met warmly, never with "Lovely."  The node's
    ``skip`` if it has one, else out of the exercise."""
    step.message("nothing")
    if node.get("skip"):
        step.goto(node.get("skip"))
    else:
        step.leave(complete=False, outcome="declined")
