"""``form``: fill fields (text, a day, a time) in any order, read them back, confirm, and
correct one at a time ("no, make it sunday", "the time", "no, a movie")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...formats.events import Listen
from ...text import matching, slots
from ...text.meaning import Ask, interpret
from ..state import Answer
from ._schema import TEXT
from .base import NodeType, Path, Step, with_grammar
from .capture import is_stuck
from .choice import yes_no_acts

if TYPE_CHECKING:
    from ..model import Node

CORRECTION_LEADS = (
    "no",
    "nope",
    "actually",
    "make it",
    "change it to",
    "change that to",
    "instead",
    "rather",
    "let's do",
    "lets do",
    "how about",
    "not",
    "but",
)
FILLER_LEADS = (
    "let's",
    "lets",
    "we could",
    "we'll",
    "we will",
    "maybe",
    "how about",
    "i think",
    "we want to",
    "we'd like to",
    "i'd like to",
    "let us",
    "go for",
    "um",
    "uh",
    "well",
    "so",
)
NO_TIME = ["no", "doesn't matter", "any time", "anytime", "not sure", "we'll see", "later", "no time", "skip"]

FIELD = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["text", "date", "time"]},
        "prompt": TEXT,
        "optional": {"type": "boolean"},
        "stuck": TEXT,
        "spoken": TEXT,
    },
    "required": ["kind", "prompt"],
    "additionalProperties": False,
}


def strip_leads(text: str, leads: Sequence[str] = FILLER_LEADS, whole: bool = False) -> str:
    """Drop leading filler ("let's", "maybe") or, with ``whole``, correction words that may
    also be the whole text ("no", "actually make it")."""
    changed = True
    while changed:
        changed = False
        for lead in leads:
            if (whole and text == lead) or text.startswith(lead + " "):
                text = text[len(lead) :].strip()
                changed = True
    return text


def fields(node: Node) -> Mapping[str, Mapping[str, Any]]:
    return node.body["fields"]


def missing(step: Step, node: Node) -> str | None:
    asked = set(step.sub.get("asked", []))
    for name, spec in fields(node).items():
        if step.slots.get(name) is None and not (spec.get("optional") and name in asked):
            return name
    return None


def ask(step: Step, node: Node, first: bool = False) -> list[str]:
    """Ask the next empty field, or read everything back for confirmation."""
    name = missing(step, node)
    sub = dict(step.sub)
    if name is not None:
        sub.update(asking=name, confirming=False, changing=False)
        sub["asked"] = list(dict.fromkeys([*sub.get("asked", []), name]))
        step.set_sub(sub)
        said = step.say(fields(node)[name]["prompt"])
    else:
        sub.update(asking=None, confirming=True, changing=False)
        step.set_sub(sub)
        said = step.say(node.body["confirm"])
    if not first:
        step.set_prompt(said)
    return said


def _when(step: Step, node: Node, text: str) -> tuple[Any, Any, str, bool, str | None]:
    """The day, time, rest of ``text`` and whether an hour is still needed ("Sunday
    morning"): read by the meaning layer's times (placed by the activity and daypart)."""
    tables = step.program.meaning
    if tables is None:
        found = slots.extract(text, step.now)
        return found.date, found.time, found.rest, False, None
    activity = next(
        (step.slots.get(n) for n, s in fields(node).items() if s["kind"] == "text" and step.slots.get(n)), None
    )

    def read(said: str) -> slots.When:
        return slots.resolve_when(
            said,
            step.now,
            activity,
            dayparts=tables.dayparts,
            activities=tables.activities,
            default=tables.default_hours,
        )

    when = read(text)
    daypart = step.sub.get("daypart")
    if when.time is not None and when.daypart is None and daypart in ("morning", "afternoon", "evening"):
        when = read(f"{text} in the {daypart}")  # "Sunday morning", then "half past nine": 9:30
    return when.day, when.time, when.rest, when.needs_hour and when.time is None, when.daypart


def fill(step: Step, node: Node, text: str, only: str | None = None) -> bool:
    """Put any day/time in ``text`` into the date/time fields; the rest goes to text field ``only``."""
    day, at, rest_text, needs_hour, daypart = _when(step, node, text)
    values: dict[str, Any] = {}
    if needs_hour:  # "Sunday morning": the hour is asked, never invented (nor kept from before)
        step.set_sub(
            {
                **step.sub,
                "daypart": daypart,
                "asked": [a for a in step.sub.get("asked", []) if fields(node).get(a, {}).get("kind") != "time"],
            }
        )
        values.update(
            {
                f"{n}{end}": None
                for n, s in fields(node).items()
                if s["kind"] == "time"
                for end in ("", "_spoken", "_at")
            }
        )
    for name, spec in fields(node).items():
        if spec["kind"] == "date" and day is not None:
            values[name] = day.isoformat()
            values[f"{name}_spoken"] = slots.spoken_date(day, step.now)
            values[f"{name}_day"] = slots.spoken_date(day, None)
        elif spec["kind"] == "time" and at is not None:
            values[name] = at.strftime("%H:%M")
            values[f"{name}_spoken"] = slots.spoken_time(at)
            values[f"{name}_at"] = f" at {values[f'{name}_spoken']}"
    if only is not None and fields(node)[only]["kind"] == "text":
        rest = strip_leads(matching.normalise(rest_text if (day or at) else matching.normalise(text)))
        if rest:
            values[only] = rest
    if values:
        step.set_slots(values)
    return any(v is not None for v in values.values())


def an_activity(step: Step, text: str) -> bool:
    """``text`` names something to do ("a movie"), not "I don't think so" (meaning layer)."""
    tables = step.program.meaning
    return tables is None or interpret(text, Ask("activity", now=step.now), tables).is_content


def reask(step: Step, node: Node, name: str) -> None:
    """Clear one field and ask for it again (the others stay)."""
    step.set_slots({name: None, f"{name}_spoken": None}, answer=False)
    step.set_sub({**step.sub, "asked": [a for a in step.sub.get("asked", []) if a != name], "changing": False})
    ask(step, node)
    step.listen()


class Form(NodeType):
    name = "form"
    schema = {
        "type": "object",
        "properties": {
            "fields": {"type": "object", "additionalProperties": FIELD, "minProperties": 1},
            "confirm": TEXT,
            "ask_change": TEXT,
            "ideas": {"type": "array", "items": TEXT},
        },
        "required": ["fields", "confirm"],
        "additionalProperties": False,
    }
    listens = True
    reprompts = "capture"

    def slots(self, node: Node) -> Mapping[str, bool]:
        out: dict[str, bool] = {"confirmed": False}
        for name, spec in fields(node).items():
            optional = bool(spec.get("optional"))
            out[name] = optional
            if spec["kind"] in ("date", "time"):
                out[f"{name}_spoken"] = optional
            out.update({f"{name}_day": optional} if spec["kind"] == "date" else {})
            out.update({f"{name}_at": True} if spec["kind"] == "time" else {})
        return out

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        return {"ideas": False, "fields": False}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        for name, spec in body["fields"].items():
            yield ["fields", name, "prompt"], spec["prompt"]
            if spec.get("stuck"):
                yield ["fields", name, "stuck"], spec["stuck"]
        yield ["confirm"], body["confirm"]
        if body.get("ask_change"):
            yield ["ask_change"], body["ask_change"]

    def prompt(self, step: Step, node: Node) -> list[str]:
        return ask(step, node, first=True)

    def mode(self, step: Step, node: Node) -> str:
        return "choice" if step.sub.get("confirming") or step.sub.get("changing") else "capture"

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        if step.sub.get("confirming"):
            return {
                "yes": step.phrases({"label": "yes", "like": "yes"}),
                "no": step.phrases({"label": "no", "like": "no"}),
            }
        if step.sub.get("changing"):
            return {
                name: [name, f"the {name}", *(["day", "the day", "date"] if spec["kind"] == "date" else [])]
                for name, spec in fields(node).items()
            }
        return {}

    def tune_listen(self, step: Step, node: Node, listen: Listen, command_phrases: Sequence[str]) -> Listen:
        if listen.mode == "choice":
            phrases = [p for ps in self.options(step, node).values() for p in ps]
            phrases += ["the activity", "the day", "the time"] + slots.day_phrases()
            phrases += [
                f"{lead} {day}"
                for lead in ("no make it", "make it", "no")
                for day in slots._WEEKDAYS + ("tomorrow", "today")
            ]
            listen = with_grammar(listen, phrases + list(command_phrases))
        elif step.sub.get("asking"):
            # a day or a time is asked for: a grammar of spoken days and times (free decoding
            # of "seven thirty" is poor); free text fields decode freely
            kind = fields(node)[step.sub["asking"]]["kind"]
            if kind == "date":
                listen = with_grammar(listen, slots.day_time_phrases() + list(command_phrases))
            elif kind == "time":
                listen = with_grammar(
                    listen, slots.time_phrases() + ["no", "doesn't matter", "any time"] + list(command_phrases)
                )
        if step.sub.get("confirming"):  # "no ... make it sunday" must not end early
            listen = replace(listen, complete_silence_s=None)
        return listen

    def ask(self, step: Step, node: Node) -> Ask:
        options = {k: tuple(v) for k, v in self.options(step, node).items()}
        if options:
            return Ask("choice", options=options, acts=yes_no_acts(options))
        kind = fields(node)[step.sub["asking"]]["kind"] if step.sub.get("asking") else "text"
        return Ask("activity" if kind == "text" else "when", now=step.now)

    def on_back(self, step: Step, node: Node) -> bool:
        """ "Go back" at a field: to the field asked before it (the day -> the activity)."""
        asked = [a for a in step.sub.get("asked", []) if a != step.sub.get("asking")]
        if step.sub.get("confirming") or step.sub.get("changing") or not asked:
            return False
        previous = asked[-1]
        step.set_sub({**step.sub, "asked": asked})
        reask(step, node, previous)
        return True

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        text = answer.text
        if step.sub.get("confirming"):
            if answer.act in ("unsure", "dont_know", "question"):
                # "hmm, not sure" is not a yes: nothing kept as agreed
                step.set_slots({"confirmed": False})
                step.message("not_confirmed")
                step.goto(node.get("next"))
                return
            self._confirm(step, node, "no" if answer.act == "deny" else text)  # "I don't think so" is a no
        elif step.sub.get("changing"):
            choice = matching.best_match(text, self.options(step, node))
            if choice is not None:
                reask(step, node, choice.label)
            elif fill(step, node, text):
                ask(step, node)
                step.listen()
            else:
                step.fail("nomatch")
        else:
            self._answer_field(step, node, answer)

    def _answer_field(self, step: Step, node: Node, answer: Answer) -> None:
        name = step.sub["asking"]
        spec = fields(node)[name]
        if spec["kind"] == "text" and (is_stuck(answer.text) or answer.act in ("dont_know", "you_pick", "unsure")):
            ideas = node.body.get("ideas") or []
            offset = int(step.sub.get("ideas_offered", 0))
            picks = [ideas[(offset * 3 + i) % len(ideas)] for i in range(min(3, len(ideas)))] if ideas else []
            said = step.say(spec.get("stuck") or "How about {ideas}?", {"ideas": matching.spoken_list(picks)})
            step.set_sub({**step.sub, "ideas_offered": offset + 1})
            step.set_prompt(said)
            step.listen()
            return
        if spec["kind"] == "text" and not answer.is_content:
            if answer.act == "unclear" and fill(
                step, node, answer.text
            ):  # "Sunday morning": the day, then the activity
                ask(step, node)
                step.listen()
            else:
                step.fail("nomatch")  # "I don't think so", "what?": never an activity
            return
        filled = fill(step, node, answer.text, only=name)
        if spec["kind"] == "time" and step.slots.get(name) is None and spec.get("optional"):
            if matching.best_match(answer.text, {"none": NO_TIME}, threshold=85):
                step.set_slots({name: None})
                filled = True
        if not filled or (step.slots.get(name) is None and not spec.get("optional")):
            step.fail("nomatch")
            return
        ask(step, node)
        step.listen()

    def _confirm(self, step: Step, node: Node, text: str) -> None:
        yes_no = matching.best_match(text, self.options(step, node))
        t = matching.normalise(text)
        correcting = t.split()[:1] in (["no"], ["nope"], ["actually"]) or any(
            t.startswith(lead) for lead in CORRECTION_LEADS[2:]
        )
        rounds = int(step.sub.get("rounds", 0)) + 1
        if yes_no is not None and yes_no.label == "yes" and not correcting:
            step.set_slots({"confirmed": True})
            step.goto(node.get("next"))
            return
        if rounds > 3:
            step.set_slots({"confirmed": False})
            step.message("keep_as_is")
            step.goto(node.get("next"))
            return
        step.set_sub({**step.sub, "rounds": rounds})
        if fill(step, node, text):
            ask(step, node)
            step.listen()
            return
        self._correct(step, node, t, yes_no, correcting)

    def _correct(self, step: Step, node: Node, t: str, yes_no: matching.Match | None, correcting: bool) -> None:
        rest = strip_leads(strip_leads(t, CORRECTION_LEADS, whole=True))
        text_fields = [n for n, s in fields(node).items() if s["kind"] == "text"]
        named = matching.best_match(rest, {n: [n, f"the {n}"] for n in fields(node)}, threshold=90) if rest else None
        if named is not None:  # "the time": ask that one again
            reask(step, node, named.label)
        elif rest and text_fields and (yes_no is None or (correcting and len(rest) > 2)) and an_activity(step, rest):
            # neither yes nor a day or time: a new activity ("no, a movie")
            step.set_slots({text_fields[0]: rest})
            ask(step, node)
            step.listen()
        elif yes_no is not None and yes_no.label == "no":
            names = matching.spoken_list([f"the {n}" if n != "date" else "the day" for n in fields(node)])
            said = step.say(node.body.get("ask_change") or "What should change: {fields}?", {"fields": names})
            step.set_sub({**step.sub, "confirming": False, "changing": True})
            step.set_prompt(said)
            step.listen()
        else:
            step.fail("nomatch")
