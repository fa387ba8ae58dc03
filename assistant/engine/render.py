"""Prompt rendering: template variables, fallbacks, and each partner's style (brief, pace).

Templates are Python format strings over named variables: ``"{partner}, what's one
feeling you had today?"``.  A variable that may be empty when the prompt is spoken carries
a fallback after a bar: ``"Some people say {examples|happy or worried}."`` says the
fallback whenever ``examples`` is empty or unset.  An unknown name is an error when the
dialogs load (:func:`assistant.loader.dialogs.check_references`).

Variables: ``a``/``b`` (the partners), the current frame's slots (``partner``, ``other``,
``turn``...), what memory holds (``last_plan`` becomes ``last_plan_activity``...), the
balance of speaking time (``quieter``, ``louder``, ``lopsided``, ``quieter_is_other``: the
current frame's ``other`` spoke much less tonight, or, before tonight leans, at the last check-in), what nodes noted tonight as ``night_<key>``
(``night_energy``), the check-in count this
month, ``summary``, ``summary_parts``, ``count_done``, ``times_done`` (entries of the current
exercise so far tonight), ``exercises``, ``exercises_left``, ``options``, and ``forgotten``
(true after "forget tonight": a line that promises to keep something branches on it and says
the honest alternative, since nothing more is kept).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..text import matching
from ..text.retell import shorten
from .state import State

if TYPE_CHECKING:
    from .model import DialogSet, Node

BUILTINS: dict[str, bool] = {
    "a": False,
    "b": False,
    "partner": False,
    "other": False,
    "turn": False,
    "quieter": False,
    "louder": False,
    "lopsided": False,
    "quieter_is_other": False,
    "night_energy": True,
    "checkin_number_this_month": False,
    "checkin_ordinal_this_month": False,
    "summary": False,
    "summary_parts": False,
    "count_done": False,
    "times_done": False,
    "exercises": False,
    "exercises_left": False,  # a menu with none left is skipped
    "options": False,  # asked for only where there is a choice
    "help_where": False,  # where help is (config.yaml's safety:), said after a safety pause
    "forgotten": False,  # "forget tonight" was said: a line that promises to keep something branches on it
}
"""Variables every template may use -> whether one may be empty when spoken."""

PROMPT_VARS: dict[str, bool] = {"prompt": False}
"""What re-prompts (noinput, nomatch, help) may use besides: the last question, the options."""

PACE = {"slow": 0.85, "fast": 1.15}
TERSE_ANSWERS = 3
"""A partner whose last this many free answers were each at most :data:`TERSE_WORDS` words
gets brief prompts, unless config.yaml sets their verbosity."""
TERSE_WORDS = 3


def fields(template: str) -> list[tuple[str, str | None]]:
    """The variables of a template, each with its fallback (or None).  ValueError if it does not parse."""
    out: list[tuple[str, str | None]] = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        name, bar, fallback = field.partition("|")
        out.append((name, fallback if bar else None))
    return out


class Vars(dict):
    """Template variables: an unknown name is empty, ``{name|fallback}`` falls back when empty."""

    def __missing__(self, key: str) -> Any:
        name, bar, fallback = key.partition("|")
        if bar:
            value = self.get(name)
            return fallback if value is None or value == "" else value
        return ""


WORDS_SPEC = re.compile(r"w(\d{1,2})")
"""A variable's format spec ``{topic:w8}``: the couple's words said back, at most 8 of them
(cut at a clause, never left hanging: :func:`assistant.text.retell.shorten`)."""


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        limit = WORDS_SPEC.fullmatch(format_spec)
        if limit:
            return " ".join(shorten(str(value).split(), int(limit.group(1)))).rstrip(",.;: ")
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def format_template(template: str, variables: Mapping[str, Any]) -> str:
    """``template`` filled in (with ``{name:wN}`` word limits), spaces as they are."""
    values = variables if isinstance(variables, Vars) else Vars(variables)
    return _FORMATTER.vformat(template, (), values)


def fill(template: str, variables: Mapping[str, Any]) -> str:
    """The template filled in, its spaces folded."""
    return " ".join(format_template(template, variables).split())


def help_where(safety: Mapping[str, Any]) -> str:
    """One calm, neutral line on where help is, addressed to both, from config.yaml's
    ``safety:`` (country, helpline, emergency).  It never names what was said, nor abuse:
    a domestic-abuse line (``abuse_line``) is never read out, only shown by ``checkin
    helplines``.  Without a country, only "a helpline" and "your local emergency number"."""
    emergency, helpline = safety.get("emergency"), safety.get("helpline")
    if not safety.get("country") or not (emergency or helpline):
        emergency, helpline = None, None
    talk = f"{helpline} is there any time" if helpline else "a local helpline can listen"
    return (
        f"If either of you wants to talk to someone, {talk}. "
        f"If anyone is in danger, call {emergency or 'your local emergency number'}."
    )


def ordinal(number: int) -> str:
    from num2words import num2words

    return str(num2words(number, to="ordinal"))


def balance(speaking: Mapping[str, float], partners: tuple[str, str]) -> dict[str, Any]:
    """Who spoke less tonight, and whether the difference is worth a gentle word (never a score)."""
    a, b = (float(speaking.get(p, 0.0)) for p in partners)
    quieter, louder = (partners[0], partners[1]) if a <= b else (partners[1], partners[0])
    low, high = min(a, b), max(a, b)
    lopsided = high + low >= 30.0 and high >= 2.5 * max(low, 1.0)
    return {"quieter": quieter, "louder": louder, "lopsided": lopsided}


def leans(speaking: Mapping[str, float], partners: tuple[str, str]) -> bool:
    """Tonight's speaking time leans to one partner enough to steer who is invited next
    (gentler than :func:`balance`'s ``lopsided``, which is worth a word at the close)."""
    a, b = (float(speaking.get(p, 0.0)) for p in partners)
    return a + b >= 20.0 and max(a, b) >= 1.5 * max(min(a, b), 1.0)


class Renderer:
    """Fills in templates for a session state; knows the dialogs (titles, summaries) only."""

    def __init__(self, program: DialogSet):
        self.program = program
        self.messages: Mapping[str, str] = program.common["messages"]

    def variables(self, state: State, options: Sequence[str] = (), extra: Mapping[str, Any] | None = None) -> Vars:
        session = state.session
        a, b = session["partners"]
        memory = session.get("memory") or {}
        out = Vars(a=a, b=b)
        for key, value in memory.items():
            if isinstance(value, Mapping):
                out.update({f"{key}_{k2}": v2 for k2, v2 in value.items()})
            else:
                out[key] = value
        if state.frames:
            out.update({k: v for k, v in state.frame.slots.items() if v is not None})
        out.update(balance(state.speaking, (a, b)))
        if state.frames:
            other = state.frame.slots.get("other")
            if leans(state.speaking, (a, b)):
                out["quieter_is_other"] = out["quieter"] == other
            else:  # nothing to go on tonight yet: who was quieter last time
                out["quieter_is_other"] = bool(other) and memory.get("last_quieter") == other
        out.update({f"night_{k.replace('.', '_')}": v for k, v in state.notes.items() if not k.endswith("[]")})
        number = int(memory.get("sessions_this_month") or 0) + 1
        out["checkin_number_this_month"] = number
        out["checkin_ordinal_this_month"] = ordinal(number)
        out["summary"] = self.summarise(state.entries)
        out["summary_parts"] = len(self.summary_parts(state.entries))
        out["count_done"] = len(state.entries)
        if state.frames:
            this = self.program.dialogs[state.frame.dialog].record or {}
            out["times_done"] = sum(1 for e in state.entries if this and e.get("exercise") == this.get("exercise"))
        out["exercises"] = matching.spoken_list([d.title for d in self.program.exercises()], "and")
        out["exercises_left"] = matching.spoken_list([d.title for d in self.program.exercises() if state.offers(d)])
        if state.frames:
            out["options"] = matching.spoken_list(list(options)[:6])
        out["help_where"] = help_where(session.get("safety") or {})
        out["forgotten"] = state.forgotten
        if extra:
            out.update(extra)
        return out

    def summarise(self, entries: Sequence[Mapping[str, Any]]) -> str:
        """One clause for a list of exercise entries, from each dialog's ``summary`` template."""
        parts = self.summary_parts(entries)
        if not parts:
            return self.messages.get("summary_none", "you checked in with each other")
        return matching.spoken_list(parts, "and")

    def summary_parts(self, entries: Sequence[Mapping[str, Any]]) -> list[str]:
        """The distinct clauses of :meth:`summarise` (``summary_unconfirmed`` for an unconfirmed entry)."""
        parts = []
        for entry in entries:
            dialog = self.program.dialogs.get(str(entry.get("exercise")))
            if dialog and dialog.summary and entry.get("complete", True):
                template = dialog.spec.get("summary_unconfirmed") if entry.get("confirmed") is False else None
                parts.append(fill(template or dialog.summary, {k: v for k, v in entry.items() if v is not None}))
        return list(dict.fromkeys(parts))

    @staticmethod
    def style(state: State, node: Node | None) -> Mapping[str, str]:
        """The style of the partner ``node`` speaks to (``who``), if one."""
        if node is None:
            return {}
        who = node.get("who", "partner")
        if who == "both":
            return {}
        name = state.frame.slots.get(who)
        style = dict((state.session.get("styles") or {}).get(name, {}))
        words = state.answer_words.get(name, ()) if name else ()
        if "verbosity" not in style and len(words) >= TERSE_ANSWERS and max(words) <= TERSE_WORDS:
            style["verbosity"] = "brief"  # answers tersely: brief prompts, no config change needed
        return style

    def rate(self, state: State, node: Node | None) -> float:
        pace = PACE.get(self.style(state, node).get("pace", "normal"), 1.0)
        return round(state.rate * pace, 3)

    def node_say(self, state: State, node: Node) -> Any:
        """A node's prompt: its ``brief`` form for a partner who prefers brief; ``once`` nodes speak once."""
        if node.get("once") and node.get("once") in state.once:
            return None
        if node.get("brief") and self.style(state, node).get("verbosity") == "brief":
            return node.get("brief")
        return node.get("say")


__all__ = [
    "BUILTINS",
    "PROMPT_VARS",
    "TERSE_ANSWERS",
    "TERSE_WORDS",
    "Renderer",
    "Vars",
    "balance",
    "fields",
    "fill",
    "format_template",
    "leans",
    "ordinal",
]
