"""Conflict moments (Gottman): blame, repair and flooding read from dialogs/meaning/conflict.yaml,
safety first, and the break's length from config.yaml."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant import config
from assistant.engine import Context
from assistant.formats.events import Heard, Say
from assistant.text.meaning import Ask, interpret
from assistant.text.meaning.conflict import aimed_at_me, not_you, read


@pytest.mark.parametrize(
    "said, moment",
    [
        ("you always leave the dishes for me", "blame"),
        ("well, you never listen to me", "blame"),
        ("why do you always do that", "blame"),
        ("I feel tired about the dishes and I need help", None),
        ("you always make me laugh", "blame"),  # a blaming opening by its form; coached only at a share
        ("I'm sorry, can we start over", "repair"),
        ("that came out wrong, let me try again", "repair"),
        ("haha", "repair"),
        ("I can't do this anymore", "flooded"),
        ("I'm done", "flooded"),
        ("sorry, I can't do this", "flooded"),
        ("you left me alone with the kids again", None),
        ("the deadline is killing me", None),
    ],
)
def test_the_moment_of_an_answer(dialog_set, said, moment):
    assert read(said, dialog_set.meaning.conflict) == moment
    assert interpret(said, Ask("text"), dialog_set.meaning).conflict == moment


def test_safety_comes_first(dialog_set):
    meaning = interpret("I can't do this anymore, I want to kill myself", Ask("text"), dialog_set.meaning)
    assert meaning.act == "distress" and meaning.conflict is None


def test_a_feeling_aimed_at_the_partner_and_the_answer(dialog_set):
    rules = dialog_set.meaning.conflict
    assert aimed_at_me("annoyed at me?", rules) and aimed_at_me("was it something I did", rules)
    assert not aimed_at_me("that makes sense, the day was long", rules)
    assert not_you("not you. just the day", rules) and not not_you("yeah, a bit", rules)


def test_the_break_is_as_long_as_config_says(tmp_path, engine):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("coaching: {break_minutes: 15}\n")
    minutes = config.load(cfg).break_minutes
    assert minutes == 15
    state, _ = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s", break_minutes=minutes))
    for text in ("high", "decide together", "the holidays", "I can't do this"):
        state, actions = engine.handle(state, Heard(text))
    said = " ".join(a.text for a in actions if isinstance(a, Say))
    assert "take a break for fifteen minutes" in said and state.outcome == "stopped"


def test_a_bad_break_length_is_one_line(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("coaching: {break_minutes: 0}\n")
    with pytest.raises(config.ConfigError, match="break_minutes"):
        config.load(cfg)
