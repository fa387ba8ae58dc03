"""Prompt templates: every variable is known when the dialogs load, a variable that may be
empty has a fallback, and no shipped prompt ever leaves a gap ("Some people say . What fits")."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

import pytest

from assistant.cli import main as cli
from assistant.engine import Context
from assistant.engine.memory import variables as memory_variables
from assistant.engine.render import Vars, fields, fill, format_template
from assistant.engine.templates import GAP, dialog_vars, spoken
from assistant.formats.events import Heard, Say

ROOT = Path(__file__).resolve().parent.parent


def renderings(template: str, may_be_empty: dict[str, bool]):
    """The template over the values its variables can take: a word each, and every mix of
    empty values for those that may be empty."""
    names = list(dict.fromkeys(name for name, _ in fields(template)))
    optional = [n for n in names if may_be_empty.get(n)]
    for empties in itertools.chain.from_iterable(itertools.combinations(optional, k) for k in range(len(optional) + 1)):
        yield format_template(template, Vars({n: ("" if n in empties else "something") for n in names}))


def test_every_shipped_prompt_reads_without_gaps(dialog_set):
    remembered = memory_variables(dialog_set)
    checked = 0
    for dialog in dialog_set.dialogs.values():
        known = dialog_vars(dialog, dialog_set, remembered)
        for path, template in spoken(dialog):
            for text in renderings(template, known):
                assert not GAP.search(text), f"{dialog.source}: {path}: {text!r}"
                checked += 1
    assert checked > 150


def test_fallbacks_fill_in_only_when_empty():
    assert fill("Last time: {topic|a hobby}.", {}) == "Last time: a hobby."
    assert fill("Last time: {topic|a hobby}.", {"topic": ""}) == "Last time: a hobby."
    assert fill("Last time: {topic|a hobby}.", {"topic": "chess"}) == "Last time: chess."
    assert fill("{missing} and {a}", {"a": "b"}) == "and b"


def test_a_feeling_not_caught_gets_examples(engine):
    """The bug this module exists for: "Some people say . What fits for you?"."""
    state, _ = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1"), "name-a-feeling")
    for event in (Heard("the car parked outside"), Heard("", seconds=1.5)):
        _, actions = engine.handle(state, event)
        said = [a.text for a in actions if isinstance(a, Say)]
        assert said == [
            "I didn't catch a feeling word there. Some people say happy, calm, grateful, or loving. What fits for you?"
        ]


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "name-a-feeling.yaml",
            "Thank you for naming it: {feeling}.",
            "Thank you for naming it: {feelng}.",
            "name-a-feeling.yaml:{line}: nodes.reason.say: unknown variable {{feelng}} (did you mean 'feeling'?)",
        ),
        (
            "check-in.yaml",
            "{last_plan_when|later}",
            "{last_plan_when}",
            "check-in.yaml:{line}: nodes.recall_plan.say: {{last_plan_when}} may be empty when this is said: give it a fallback, like {{last_plan_when|...}}",
        ),
        (
            "common.yaml",
            'surprise: "My pick tonight: {title}."',
            'surprise: "My pick tonight: {titel}."',
            "common.yaml:{line}: messages.surprise: unknown variable {{titel}} (did you mean 'title'?)",
        ),
        (
            "name-a-feeling.yaml",
            'summary: "{partner} felt {feeling}"',
            'summary: "{partner} felt {feeling_family}"',
            "name-a-feeling.yaml:{line}: summary: unknown variable {{feeling_family}} (a summary reads the record's fields: exercise, partner, feeling, family, reason)",
        ),
    ],
)
def test_template_problems_are_validation_errors(dialogs_copy, capsys, file, old, new, expected):
    line = dialogs_copy.edit(file, old, new)
    assert cli.main(["validate", str(dialogs_copy.root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(expected.format(line=line)), err


def test_a_word_limit_says_the_couples_words_back_short():
    long = "dinner at our favourite place and then a long walk by the river if the weather holds"
    assert fill("So that's {activity:w8}.", {"activity": long}) == "So that's dinner at our favourite place."
    assert fill("So that's {activity|a date:w8}.", {}) == "So that's a date."
    assert fill("So that's {activity:w8}.", {"activity": "a picnic"}) == "So that's a picnic."


def test_an_unknown_format_is_a_validation_error(dialogs_copy, capsys):
    line = dialogs_copy.edit("plan-a-date.yaml", "{activity:w8}, on", "{activity:>20}, on")
    assert cli.main(["validate", str(dialogs_copy.root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"plan-a-date.yaml:{line}:" in err[0] and "unknown format '>20'" in err[0], err
