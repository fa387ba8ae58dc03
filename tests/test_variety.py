"""Multi-night variety rules (assistant/engine/variety.py) on hand-made journal records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.engine import variety

OPENERS = ["warm", "glad", "evening", "welcome"]
CLOSERS = ["thanks", "sleep-well", "proud"]
DAY1 = date(2026, 11, 2)


def record(
    day: date,
    *,
    done=("appreciation-round",),
    opener=None,
    closer=None,
    safe=False,
    heavy=False,
    weekly=None,
    recalled=(),
):
    rec = {"started_at": f"{day.isoformat()}T20:00:00", "done": list(done), "lines": {"safe_space": safe}}
    if opener:
        rec["lines"]["opener"] = opener
    if closer:
        rec["lines"]["closer"] = closer
    if heavy:
        rec["heavy"] = True
    if weekly:
        rec["offers"] = {"weekly": weekly}
        if weekly == "yes":
            rec["done"].append("weekly-check-in")
    if recalled:
        rec["recalled_plans"] = list(recalled)
    return rec


def simulate(n_nights: int, heavy_nights=(), weekly_answer="no"):
    """Eight (or n) evenings with one journal: every decision taken from the records so far."""
    records: list[dict] = []
    said = []
    for i in range(n_nights):
        day = DAY1 + timedelta(days=i)
        opener = variety.pick_for(records, "opener", OPENERS, day)
        closer = variety.pick_for(records, "closer", CLOSERS, day)
        safe = variety.safe_space_due(records, day)
        weekly = weekly_answer if variety.weekly_offer_due(records, day) else None
        records.append(record(day, opener=opener, closer=closer, safe=safe, heavy=i in heavy_nights, weekly=weekly))
        said.append((day, opener, closer, safe, weekly))
    return records, said


def test_eight_nights_no_opener_or_closer_repeats_on_consecutive_nights():
    _, said = simulate(8)
    openers = [s[1] for s in said]
    closers = [s[2] for s in said]
    assert all(a != b for a, b in zip(openers, openers[1:]))
    assert all(a != b for a, b in zip(closers, closers[1:]))
    assert set(openers[:4]) == set(OPENERS)  # each said once before any comes back


def test_eight_nights_are_reproducible():
    assert simulate(8) == simulate(8)


def test_safe_space_on_first_nights_and_after_heavy_moments_only():
    _, said = simulate(8, heavy_nights={4})
    safe = [s[3] for s in said]
    assert safe[:3] == [True, True, True]
    assert safe[3:] == [False, False, True, False, False]  # once, the night after the heavy one
    assert sum(safe[3:]) <= 2


def test_weekly_offer_at_most_once_a_week_after_a_no():
    _, said = simulate(15, weekly_answer="no")
    offered = [s[0] for s in said if s[4] is not None]
    assert offered == [DAY1, DAY1 + timedelta(days=7), DAY1 + timedelta(days=14)]


def test_weekly_offer_waits_a_week_after_a_weekly_check_in():
    records = [record(DAY1, weekly="yes")]
    assert not variety.weekly_offer_due(records, DAY1 + timedelta(days=6))
    assert variety.weekly_offer_due(records, DAY1 + timedelta(days=7))
    done_without_offer = [record(DAY1, done=("weekly-check-in",))]
    assert not variety.weekly_offer_due(done_without_offer, DAY1 + timedelta(days=3))


def test_planned_date_recalled_once_then_on_its_day():
    plan = {"activity": "a picnic", "date": (DAY1 + timedelta(days=5)).isoformat()}
    key = variety.plan_key(plan)
    records: list[dict] = []
    recalled_on = []
    for i in range(8):
        day = DAY1 + timedelta(days=i)
        if variety.plan_recall_due(records, plan, day):
            recalled_on.append(i)
            records.append(record(day, recalled=(key,)))
        else:
            records.append(record(day))
    assert recalled_on == [0, 5]


def test_plan_without_a_day_is_recalled_once():
    plan = {"activity": "dancing", "date": None}
    records = [record(DAY1, recalled=(variety.plan_key(plan),))]
    assert not any(variety.plan_recall_due(records, plan, DAY1 + timedelta(days=i)) for i in range(1, 9))


@pytest.mark.parametrize(
    "bad",
    [
        {"started_at": "not a date", "lines": {"opener": "warm"}},
        {"started_at": None},
        {"started_at": "2026-11-02T20:00:00", "lines": "warm", "offers": ["no"], "recalled_plans": "x", "done": None},
    ],
)
def test_malformed_records_are_ignored(bad):
    records = [bad, record(DAY1, opener="glad")]
    assert variety.pick_for(records, "opener", OPENERS, DAY1 + timedelta(days=1)) != "glad"
    assert variety.safe_space_due(records, DAY1 + timedelta(days=1))
    assert variety.weekly_offer_due(records, DAY1 + timedelta(days=1))


def test_pick_line_prefers_never_said_then_least_recent():
    today = DAY1
    assert variety.pick_line(["a", "b", "c"], ["a", "b"], today) == "c"
    assert variety.pick_line(["a", "b", "c"], ["c", "a", "b"], today) == "c"
    assert variety.pick_line(["a"], ["a"], today) == "a"  # one option: repeats are unavoidable
    with pytest.raises(ValueError):
        variety.pick_line([], [], today)


def test_pick_line_tie_break_depends_on_the_date_only():
    picks = {variety.pick_line(OPENERS, [], DAY1 + timedelta(days=i)) for i in range(30)}
    assert len(picks) > 1
    assert variety.pick_line(OPENERS, [], DAY1) == variety.pick_line(list(OPENERS), [], DAY1)


def test_a_night_without_a_finished_exercise_does_not_count():
    empty = {"started_at": "2026-11-02T20:00:00", "done": ["check-in"], "exercises": []}
    unfinished = {
        "started_at": "2026-11-03T20:00:00",
        "done": ["check-in"],
        "exercises": [{"exercise": "x", "complete": False}],
    }
    done = {
        "started_at": "2026-11-04T20:00:00",
        "done": ["check-in"],
        "exercises": [{"exercise": "x", "complete": True}],
    }
    assert [n.counted for n in variety.nights([empty, unfinished, done])] == [False, False, True]
