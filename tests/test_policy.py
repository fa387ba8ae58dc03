"""Issue 19, the engine's side: what it does with what is understood.  The safety pause at
every question of every exercise (choices, menus, consent and timed moments included), stop
wins after it, nothing physical after it, the help lines (the domestic-abuse line shown,
never spoken)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from assistant import cli
from assistant.engine import Context
from assistant.engine.step import Turn
from assistant.events import Heard, Listen, Say

NOW = datetime(2026, 11, 25, 18, 0)
UK = {"country": "GB", "helpline": "Samaritans on 116 123", "emergency": "999"}
DISCLOSURES = ["he hits me when he drinks", "Sometimes I think about killing myself"]
NAMES_DANGER = re.compile(r"abus|violen|hit|hurt|kill|suicid|harm|drink|partner", re.IGNORECASE)


def start(engine, dialog="check-in", safety=None):
    return engine.start(Context(("Maya", "Sam"), NOW, "s1", safety=safety or {}), dialog)


def at_node(engine, dialog_id, node_id):
    """A session of ``dialog_id`` on its own, standing at ``node_id`` (entered as the dialog would)."""
    state, _ = start(engine, dialog_id, UK)
    if state.ended or state.frame.dialog != dialog_id:
        return None  # the dialog ends at once on its own (nothing to follow up)
    step = Turn(engine, state)
    engine.enter(step, node_id)
    return step.state


def listening_nodes(dialog_set):
    for dialog in dialog_set.dialogs.values():
        for node in dialog.nodes.values():
            if node.listens:
                yield dialog.id, node.id


def says(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def test_distress_pauses_at_every_question_of_every_dialog(engine, dialog_set):
    """Choices, menus, consent, forms, levels, captures, timed moments: the same pause."""
    nodes = list(listening_nodes(dialog_set))
    assert len(nodes) > 60
    kinds = {dialog_set.dialogs[d].nodes[n].kind for d, n in nodes}
    assert {"choice", "menu", "consent", "capture", "pause", "form", "lexicon", "levels"} <= kinds
    tried = 0
    for dialog_id, node_id in nodes:
        state = at_node(engine, dialog_id, node_id)
        if state is None or state.ended or state.frame.node != node_id:
            continue  # a node this dialog skips on its own (a menu with nothing left)
        tried += 1
        for text in DISCLOSURES:
            after, actions = engine.handle(state, Heard(text))
            where = f"{dialog_id}/{node_id} on {text!r}"
            said = says(actions)
            assert len(said) == 2 and said[0].startswith("Let's pause here."), where
            assert said[1] == "Shall we stop for tonight, or go on?", where
            assert not any(NAMES_DANGER.search(s) for s in said), where
            assert isinstance(actions[-1], Listen), where
            assert after.held is not None and after.safety_paused, where
            record = engine.record(after)
            assert text.lower() not in str(record).lower(), where
            for entry in record["exercises"]:
                if entry.get("outcome") == "paused_for_safety":
                    assert set(entry) == {"exercise", "complete", "outcome"}, where
    assert tried > 0.8 * len(nodes)


def test_distress_pauses_while_paused_and_while_holding(engine):
    state, _ = start(engine)
    state, _ = engine.handle(state, Heard("high"))
    state, _ = engine.handle(state, Heard("pause"))
    state, actions = engine.handle(state, Heard("he hits me when he drinks"))
    assert says(actions)[0].startswith("Let's pause here.") and state.safety_paused
    state, actions = engine.handle(state, Heard("Sometimes I think about killing myself"))
    assert says(actions)[0].startswith("Let's pause here."), "a second disclosure is met the same way"


@pytest.mark.parametrize(
    "answer, outcome",
    [
        ("stop", "stopped"),
        ("yes", "stopped"),
        ("I'm not sure", "stopped"),
        ("I don't know", "stopped"),
        ("go on... no, stop", "stopped"),
        ("keep going, actually let's stop", "stopped"),
        ("go on", None),
        ("no", None),
    ],
)
def test_stop_wins_at_the_question_to_both(engine, answer, outcome):
    state, _ = start(engine, safety=UK)
    for text in ("high", "name a feeling", "scared", "he hits me when he drinks"):
        state, _ = engine.handle(state, Heard(text))
    state, actions = engine.handle(state, Heard(answer))
    assert state.outcome == outcome, (answer, says(actions))
    if outcome is None:
        assert state.held is None and "Okay. We'll go gently." in says(actions)


def test_the_spoken_line_is_neutral_and_never_reads_the_abuse_line(engine):
    safety = {**UK, "abuse_line": "the National Domestic Abuse Helpline on 0808 2000 247"}
    state, _ = start(engine, safety=safety)
    said = []
    for text in ("high", "name a feeling", "scared", "you pushed me, he hits me when he drinks"):
        state, actions = engine.handle(state, Heard(text))
        said += says(actions)
    line = next(s for s in said if s.startswith("Let's pause here."))
    assert line == (
        "Let's pause here. What you said matters. If either of you wants to talk to someone, "
        "Samaritans on 116 123 is there any time. If anyone is in danger, call 999."
    )
    assert not any("Abuse" in s or "0808" in s for s in said)


def test_nothing_physical_after_a_pause_even_when_asked(engine):
    state, _ = start(engine)
    for text in ("high", "name a feeling", "scared", "he hits me when he drinks", "go on", "another one"):
        state, actions = engine.handle(state, Heard(text))
    assert "hug" not in " ".join(says(actions))
    for ask in ("a long hug", "hold hands", "hug"):
        after, actions = engine.handle(state, Heard(ask))
        assert says(actions)[0] == "Let's leave that one for another night.", ask
        assert after.frame.dialog == "check-in"


def test_a_declined_exercise_is_not_offered_but_may_be_asked_for(engine):
    state, _ = start(engine)
    for text in ("high", "a long hug", "not tonight", "another one"):
        state, actions = engine.handle(state, Heard(text))
    offered = " ".join(says(actions))
    assert "hug" not in offered
    state, actions = engine.handle(state, Heard("actually, a hug"))
    assert state.frame.dialog == "affection", says(actions)


def test_helplines_shows_every_line_set_and_config_typos_are_one_line(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(
        "safety:\n  country: GB\n  emergency: '999'\n  helpline: Samaritans on 116 123\n"
        "  abuse_line: the National Domestic Abuse Helpline on 0808 2000 247\n"
    )
    assert cli.main(["helplines", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "If you are not safe at home: the National Domestic Abuse Helpline on 0808 2000 247" in out
    assert "Samaritans on 116 123" in out and "999" in out and "docs/SAFETY.md" in out
    config.write_text("safety:\n  abuse_lien: somewhere\n")
    assert cli.main(["helplines", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "did you mean 'abuse_line'" in err


def test_the_engine_never_gets_the_abuse_line():
    from assistant import config

    settings = config.from_yaml("safety:\n  country: GB\n  abuse_line: somewhere safe\n", "config.yaml")
    assert "abuse_line" not in settings.safety and settings.helplines["abuse_line"] == "somewhere safe"
