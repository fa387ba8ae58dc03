"""Issue 12's coaching pieces: the listening dialogue's record, notes for the record's own
fields, the time-out, summaries that tell whether a paraphrase was confirmed."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.engine import Context
from assistant.engine.records import add_notes, notes_fields
from assistant.formats.events import Heard, Listen, Say, Silence


def _run(engine, turns, start="paraphrase-back", memory=None):
    state, actions = engine.start(
        Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1", memory=memory or {}), start
    )
    said = [a.text for a in actions if isinstance(a, Say)]
    for turn in turns:
        state, actions = engine.handle(state, Silence(turn) if isinstance(turn, (int, float)) else Heard(turn))
        said += [a.text for a in actions if isinstance(a, Say)]
    return state, said


def test_the_listening_dialogue_keeps_its_free_text_out_of_summary_journals(dialog_set):
    free = dialog_set.free_text_fields()
    for field in ("statement", "paraphrase", "summed_up", "validation", "empathy"):
        assert f"paraphrase-back:{field}" in free, field
    assert "paraphrase-back:category" not in free and "paraphrase-back:heard" not in free


def test_notes_become_record_fields():
    notes = add_notes({}, {"lines.opener": "o2", "heavy": True, "recalled_plans[]": "picnic@2026-11-28"})
    notes = {**notes, **add_notes(notes, {"recalled_plans[]": "dinner@2026-12-01", "lines.closer": "c1"})}
    assert notes_fields(notes) == {
        "lines": {"opener": "o2", "closer": "c1"},
        "heavy": True,
        "recalled_plans": ["picnic@2026-11-28", "dinner@2026-12-01"],
    }


def test_the_safe_space_line_notes_itself_in_the_record(engine):
    state, said = _run(engine, [])
    assert any("kind space" in s for s in said)
    assert engine.record(state)["lines"] == {"safe_space": True}


def test_safe_space_not_due_is_not_said(engine):
    state, said = _run(engine, [], memory={"safe_space_due": False})
    assert not any("kind space" in s for s in said)
    assert "lines" not in engine.record(state)


def test_a_time_out_pauses_for_a_set_time_then_the_question_comes_back(engine):
    state, said = _run(engine, ["I miss our evenings"])
    state, actions = engine.handle(state, Heard("time out"))
    listen = actions[-1]
    assert isinstance(listen, Listen) and listen.no_input_s == 120 and listen.expect_silence
    assert any("Time out" in a.text for a in actions if isinstance(a, Say))
    state, actions = engine.handle(state, Silence(120))
    texts = [a.text for a in actions if isinstance(a, Say)]
    assert texts == ["Welcome back. Let's pick up where we were.", "Sam, what did you hear Maya say?"]
    assert state.frame.dialog == "paraphrase-back" and state.frame.node == "listen_back"
    assert engine.record(state)["exercises"][0]["statement"] == "I miss our evenings"


def test_history_says_said_back_only_when_confirmed(engine):
    confirmed = {"exercise": "paraphrase-back", "speaker": "Maya", "listener": "Sam", "confirmed": True}
    assert engine.summarise([confirmed]) == "Sam said back what Maya shared"
    assert engine.summarise([{**confirmed, "confirmed": False}]) == "Sam listened to Maya"


def test_mockery_is_never_praised(engine):
    _, said = _run(engine, ["I never get any time to myself in the evenings", "Oh poor you, I never listen. Boo hoo."])
    assert said[-1] == "Let's try that again, kindly. Sam, what did Maya feel?"
    assert not any("caught" in s or "picked up" in s for s in said)


def test_a_long_share_is_split_gently(engine):
    long = " ".join(["I have been carrying a lot at work and at home"] * 4)
    _, said = _run(engine, [long])
    assert said[-2:] == ["Let's pause there so Sam can say back this part.", "Sam, what did you hear Maya say?"]
    _, said = _run(engine, ["I miss our evenings"])
    assert not any("pause there" in s for s in said)


def test_history_reports_exactly_and_counts_only_check_ins_with_an_exercise(dialog_set, engine):
    from assistant.cli.main import history_lines

    def rec(rid, day, outcome, *entries):
        return {
            "id": rid,
            "started_at": f"2026-11-{day}T19:00:00",
            "outcome": outcome,
            "exercises": list(entries),
            "done": [],
        }

    said_back = {
        "exercise": "paraphrase-back",
        "speaker": "Maya",
        "listener": "Sam",
        "confirmed": False,
        "complete": True,
    }
    records = [
        rec("a", 20, "completed", said_back),
        rec("b", 21, "stopped"),
        rec("c", 22, "completed"),
        rec(
            "d", 23, "stopped", {"exercise": "name-a-feeling", "partner": "Sam", "feeling": "tired", "complete": False}
        ),
        rec("e", 24, "completed", {**said_back, "confirmed": True, "speaker": "Sam", "listener": "Maya"}),
    ]
    text = history_lines(records, dialog_set, engine, datetime(2026, 11, 25))
    lines = text.splitlines()
    assert lines[0].startswith("2 check-in(s), 2 this month (and 3 without an exercise)")
    assert "Sam listened to Maya" in lines[1] and "said back" not in lines[1]
    assert "no exercises" in lines[2] and "no exercises" in lines[3]
    assert "name a feeling not finished" in lines[4]
    assert "Maya said back what Sam shared" in lines[5]


def _kept_record(**extra):
    entry = {
        "exercise": "appreciation-round",
        "partner": "Maya",
        "to": "Sam",
        "appreciation": "the soup when I was ill",
        "complete": True,
    }
    return {
        "id": "k1",
        "started_at": "2026-11-20T19:00:00",
        "outcome": "completed",
        "exercises": [{**entry, **extra}],
        "done": ["appreciation-round"],
    }


def test_a_yes_keeps_that_item_even_in_a_summary_journal(tmp_path, dialog_set):
    from assistant.store.journal import Journal

    journal = Journal(tmp_path / "j.sqlite3", keep="summary", free_text=dialog_set.free_text_fields())
    journal.save(_kept_record(kept="appreciation"))
    journal.save({**_kept_record(kept=""), "id": "k2"})
    kept, not_kept = journal.records()
    assert kept["exercises"][0]["appreciation"] == "the soup when I was ill"
    assert "appreciation" not in not_kept["exercises"][0]


def test_the_safety_rule_wins_over_a_yes_and_none_keeps_nothing(tmp_path, dialog_set):
    from assistant.store.journal import Journal

    journal = Journal(tmp_path / "j.sqlite3", keep="summary", free_text=dialog_set.free_text_fields())
    journal.save({**_kept_record(kept="appreciation"), "safety": "crisis"})
    journal.save({**_kept_record(kept="appreciation", safety="crisis"), "id": "k2"})
    assert all("appreciation" not in r["exercises"][0] for r in journal.records())
    nothing = Journal(tmp_path / "none.sqlite3", keep="none", free_text=dialog_set.free_text_fields())
    nothing.save(_kept_record(kept="appreciation"))
    assert nothing.records() == []


def test_kept_kind_words_come_back_on_a_hard_night(dialog_set, engine):
    from assistant.engine import memory

    remembered = memory.compute([_kept_record(kept="appreciation")], dialog_set, datetime(2026, 11, 25, 19))
    assert remembered["kind_words"] == {"partner": "Maya", "to": "Sam", "appreciation": "the soup when I was ill"}
    state, said = _run(engine, ["low"], start="check-in", memory=remembered)
    assert "Something kind from before. Maya said to Sam: the soup when I was ill." in said
    assert engine.record(state)["heavy"] is True
    _, said = _run(engine, ["medium"], start="check-in", memory=remembered)
    assert not any("Something kind" in s for s in said)
    unkept = memory.compute([_kept_record()], dialog_set, datetime(2026, 11, 25, 19))
    assert "kind_words" not in unkept


@pytest.mark.parametrize(
    "answers, energies, short",
    [
        (["I'm high, Sam's low"], {"a": "high", "b": "low"}, True),
        (["Sam is high but I'm pretty low"], {"a": "low", "b": "high"}, True),
        (["high and medium", "Maya"], {"a": "high", "b": "medium"}, False),
        (["medium"], {"a": "medium", "b": "medium"}, False),
    ],
)
def test_each_partner_has_their_own_energy(engine, answers, energies, short):
    state, said = _run(engine, answers, start="check-in", memory={"safe_space_due": False})
    record = engine.record(state)
    assert record["energies"] == energies
    assert state.frame.slots["short"] is short
    assert record["energy"] == ("low" if short else max(energies.values(), key=["high", "medium", "low"].index))


def test_the_quieter_partner_last_time_is_invited_first(dialog_set, engine):
    from assistant.engine import memory

    last = {
        "id": "q",
        "started_at": "2026-11-24T19:00:00",
        "outcome": "completed",
        "partners": ["Maya", "Sam"],
        "speaking_seconds": {"Maya": 90.0, "Sam": 10.0},
        "exercises": [{"exercise": "name-a-feeling", "complete": True}],
        "done": ["name-a-feeling"],
    }
    remembered = memory.compute([last], dialog_set, datetime(2026, 11, 25, 19))
    assert remembered["last_quieter"] == "Sam"
    _, said = _run(engine, [], memory={**remembered, "safe_space_due": False})
    assert said[-1] == "Sam, what's on your mind? A sentence or two."
    _, said = _run(engine, [], memory={"safe_space_due": False})
    assert said[-1] == "Maya, what's on your mind? A sentence or two."


@pytest.mark.parametrize("energy, minutes", [("medium", 3), ("low", 1)])
def test_the_stress_turn_listens_for_minutes(engine, energy, minutes):
    state, _ = _run(engine, [energy], start="check-in", memory={"safe_space_due": False})
    state, actions = engine.handle(state, Heard("talk about stress"))
    listen = actions[-1]
    assert isinstance(listen, Listen) and listen.mode == "capture"
    assert listen.max_s == minutes * 60 > 45, "longer than the usual capture"
    assert listen.end_silence_s >= 3, "a pause to think does not end the turn"
