"""Node types are plug-ins: a handler class and one registry line; nothing else in the
project names a node type, and a handler acts only through the narrow step interface."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from assistant.engine import Context, Engine
from assistant.engine.model import DialogSet
from assistant.engine.nodes import REGISTRY, NodeType
from assistant.formats.events import Heard, Listen, Say
from assistant.loader.dialogs import from_yaml

ROOT = Path(__file__).resolve().parent.parent / "assistant"


class Count(NodeType):
    """A new node type for this test: counts the words of an answer into a slot."""

    name = "count"
    schema = {
        "type": "object",
        "properties": {"slot": {"type": "string"}},
        "required": ["slot"],
        "additionalProperties": False,
    }
    listens = True
    reprompts = "capture"

    def slots(self, node):
        return {node.body["slot"]: False}

    def mode(self, step, node):
        return "capture"

    def on_answer(self, step, node, answer):
        step.set_slots({node.body["slot"]: len(answer.content.split())})
        step.say("That was {words} words.")
        step.goto(node.get("next"))


TINY = """\
id: tiny
kind: exercise
title: tiny
record: {exercise: tiny, words: $words}
start: ask
nodes:
  ask:
    say: "Say anything, {partner}."
    count: {slot: words}
    next: end
"""


def test_a_new_node_type_is_one_class_and_one_registry_line(monkeypatch, dialog_set):
    monkeypatch.setitem(REGISTRY, "count", Count())
    tiny = from_yaml(TINY, "dialogs/tiny.yaml")
    engine = Engine(replace(dialog_set, dialogs={"tiny": tiny}))
    state, actions = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1"), "tiny")
    assert isinstance(actions[-1], Listen) and actions[-1].mode == "capture"
    state, actions = engine.handle(state, Heard("we went for a long walk"))
    assert [a.text for a in actions if isinstance(a, Say)] == ["That was 6 words."]
    assert actions[-1].record["exercises"] == [{"exercise": "tiny", "words": 6, "complete": True}]


def test_an_unregistered_node_type_is_an_unknown_field():
    from assistant.loader.dialogs import DialogError

    with pytest.raises(DialogError, match="nodes.ask.count: unknown field"):
        from_yaml(TINY, "dialogs/tiny.yaml")


def test_no_node_type_is_named_outside_its_handler_and_the_registry():
    """No code outside the node types switches on a node's kind (the ~30 `kind ==` of old)."""
    names = "|".join(REGISTRY)
    switches = re.compile(
        rf"""\b(node|n)\.kind\s*(==|!=|in\b)|kind\s*(==|!=)\s*["']({names})["']|kind in \([^)]*["']({names})["']"""
    )
    for path in ROOT.rglob("*.py"):
        if "nodes" in path.parts:
            continue
        found = switches.search(path.read_text())
        assert found is None, f"{path.name} switches on a node type: {found.group(0) if found else ''}"


def test_handlers_never_see_the_engine():
    for path in (ROOT / "engine" / "nodes").glob("*.py"):
        text = path.read_text()
        assert "core" not in re.findall(r"from \.\.(\w+)", text), path.name
        assert "Engine" not in text, path.name


def test_every_node_type_declares_its_schema(dialog_set: DialogSet):
    used = {n.kind for d in dialog_set.dialogs.values() for n in d.nodes.values() if n.kind}
    assert used == set(REGISTRY)
    for name, handler in REGISTRY.items():
        assert handler.name == name and handler.schema["type"] in ("object", "array")


def test_handlers_take_the_interpreted_answer(dialog_set):
    """The meaning layer's seat: what the interpreter makes of the words is what handlers use."""
    from assistant.engine import Answer

    seen = []

    def interpret(text, confidence):
        seen.append((text, confidence))
        return Answer(act="answer", text=text, content="low" if "knackered" in text else text, confidence=confidence)

    engine = Engine(dialog_set, interpret=interpret)
    state, _ = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1"))
    state, _ = engine.handle(state, Heard("honestly we're knackered", confidence=0.7))
    assert seen == [("honestly we're knackered", 0.7)]
    assert state.frame.slots["short"] is True


def test_a_handler_can_leave_the_exercise_or_use_a_command(monkeypatch, dialog_set):
    class Polite(Count):
        def on_answer(self, step, node, answer):
            if answer.act == "deny":  # "no thanks", read by the meaning layer
                step.leave(complete=False)
            elif answer.content == "again please":
                step.command("repeat")
            else:
                super().on_answer(step, node, answer)

    monkeypatch.setitem(REGISTRY, "count", Polite())
    engine = Engine(replace(dialog_set, dialogs={"tiny": from_yaml(TINY, "dialogs/tiny.yaml")}))
    state, _ = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1"), "tiny")
    state, actions = engine.handle(state, Heard("again please"))
    assert [a.text for a in actions if isinstance(a, Say)] == ["Say anything, Maya."]
    state, actions = engine.handle(state, Heard("no thanks"))
    assert state.outcome == "completed" and state.done == ()
