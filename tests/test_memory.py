"""What the next check-in remembers: computed from journal records by what the dialogs
declare under `remember:` (the journal only stores)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.engine import memory
from assistant.loader.dialogs import DialogError, from_yaml
from assistant.store.journal import Journal


def record(rid="s1", outcome="completed", started="2026-11-25T18:00:00", done=(), **entry):
    return {
        "id": rid,
        "started_at": started,
        "ended_at": None,
        "partners": ["Maya", "Sam"],
        "outcome": outcome,
        "exercises": [entry] if entry else [],
        "done": list(done),
    }


def test_memory_recalls_the_last_confirmed_plan_from_the_journal(tmp_path, dialog_set):
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    journal.save(
        record(
            "a",
            exercise="plan-a-date",
            activity="a picnic",
            date="2026-11-28",
            time=None,
            confirmed=True,
            when="Saturday, November 28",
        )
    )
    journal.save(
        record("b", started="2026-11-26T18:00:00", exercise="plan-a-date", activity="bowling", confirmed=False)
    )
    remembered = memory.compute(journal.records(), dialog_set, datetime(2026, 11, 30))
    assert remembered["last_plan"] == {
        "activity": "a picnic",
        "date": "2026-11-28",
        "time": None,
        "when": "Saturday, November 28",
        "past": True,
        "key": "a picnic@2026-11-28",
        "recall_due": True,
    }
    assert remembered["sessions_this_month"] == 2
    assert remembered["recent_exercises"] == ["plan-a-date"]


def test_a_plan_followed_up_is_forgotten_unless_it_has_not_happened_yet(dialog_set):
    plan = record("a", exercise="plan-a-date", activity="bowling", date="2026-11-27", confirmed=True, when="Friday")
    later = "2026-11-29T18:00:00"
    not_yet = record("b", started=later, exercise="date-followup", activity="bowling", happened="not yet")
    happened = record("b", started=later, exercise="date-followup", activity="bowling", happened="yes")
    now = datetime(2026, 11, 30)
    assert memory.compute([plan, not_yet], dialog_set, now)["last_plan"]["activity"] == "bowling"
    assert "last_plan" not in memory.compute([plan, happened], dialog_set, now)


def test_weekly_is_due_after_seven_days(dialog_set):
    weekly = record("w", started="2026-11-20T18:00:00", done=["weekly-check-in"])
    first = memory.compute([], dialog_set, datetime(2026, 11, 25))
    assert first["weekly_due"] is True and first["days_since_weekly"] is None
    assert memory.compute([weekly], dialog_set, datetime(2026, 11, 25))["weekly_due"] is False
    late = memory.compute([weekly], dialog_set, datetime(2026, 11, 28))
    assert late["weekly_due"] is True and late["days_since_weekly"] == 7


def test_the_last_entry_of_every_exercise_and_the_questions_asked(dialog_set):
    hobby = record(
        "h", exercise="curious-about-hobby", topic="chess", roles_swapped=False, question="What got you into it?"
    )
    remembered = memory.compute([hobby], dialog_set, datetime(2026, 11, 30))
    assert remembered["last_curious_about_hobby"]["topic"] == "chess"
    assert remembered["used_questions"] == ["What got you into it?"]
    names = memory.variables(dialog_set)
    assert {
        "last_curious_about_hobby_topic",
        "last_plan_when",
        "last_plan_past",
        "weekly_due",
        "days_since_weekly",
    } <= set(names)


def test_memory_code_names_no_exercise():
    from pathlib import Path

    import assistant

    root = Path(assistant.__file__).parent
    for path in (root / "engine" / "memory.py", root / "store" / "journal.py"):
        text = path.read_text()
        for name in ("plan-a-date", "date-followup", "weekly-check-in", "curious-about-hobby"):
            assert name not in text.split('"""', 2)[-1], f"{path.name} names {name}"


TINY = """\
id: tiny
kind: exercise
title: tiny
record: {exercise: tiny, answer: $answer}
remember:
  last_answer: {latest: {}, fields: [answr]}
start: ask
nodes:
  ask:
    say: "What is it, {partner}?"
    capture: {slot: answer}
    next: end
"""


def test_remembering_a_field_the_record_lacks_is_a_load_error():
    with pytest.raises(DialogError) as info:
        from_yaml(TINY, "dialogs/tiny.yaml")
    assert (
        str(info.value)
        == "dialogs/tiny.yaml:6: remember.last_answer.fields[0]: 'answr' is not a field of this dialog's record"
    )


def test_one_rule_for_a_night_that_counts_month_total_and_first_nights(dialog_set):
    """Nights that only followed up a date finished no exercise of the menu: they count
    neither in the month nor toward the first nights of the safe-space line."""
    followups = [
        record(
            f"f{d}",
            started=f"2026-11-{d:02d}T18:00:00",
            done=("date-followup",),
            exercise="date-followup",
            activity="bowling",
            happened=True,
        )
        for d in (20, 21, 22, 23)
    ]
    remembered = memory.compute(followups, dialog_set, datetime(2026, 11, 25, 18, 0))
    assert remembered["sessions_this_month"] == 0 and remembered["sessions_total"] == 0
    assert remembered["safe_space_due"] is True, "no first night has passed yet"


def test_an_agreement_followed_up_is_not_asked_again_through_a_summary_journal(tmp_path, dialog_set):
    """A rule with ``until`` but no ``unless`` forgets once followed up (the same agreement was
    asked every night); through a summary journal, as the couple's own device keeps it."""
    journal = Journal(tmp_path / "journal.sqlite3", keep="summary", free_text=dialog_set.free_text_fields())
    journal.save(
        record(
            "a",
            exercise="decide-together",
            topic="chores",
            agreement="we take turns with the dishes",
            confirmed=True,
            kept="agreement",
        )
    )
    asked = memory.compute(journal.records(), dialog_set, datetime(2026, 11, 26, 18))
    assert asked["last_agreement"]["agreement"] == "we take turns with the dishes"
    journal.save(
        record(
            "b",
            started="2026-11-26T18:00:00",
            exercise="agreement-followup",
            topic="chores",
            agreement="we take turns with the dishes",
            went="pretty well",
        )
    )
    after = memory.compute(journal.records(), dialog_set, datetime(2026, 11, 27, 18))
    assert "last_agreement" not in after


def test_an_agreement_the_couple_did_not_keep_is_not_followed_up(dialog_set):
    """ "Shall I keep that agreement, and ask next time how it went?" "No": no follow-up."""
    agreed = record("a", exercise="decide-together", topic="chores", agreement="turns", confirmed=True, kept="")
    assert "last_agreement" not in memory.compute([agreed], dialog_set, datetime(2026, 11, 26, 18))
