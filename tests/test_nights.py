"""Eight evenings with the same journal: variety and restraint across nights, decided by the
journal's records (no randomness, so this is reproducible).

Asserted: no opener (or closer) repeats on consecutive nights; the safe-space line at most
twice after the first three nights; the weekly check-in offered at most once in seven days
after a "no"; a planned date recalled once, then on its day; check-ins without an exercise
do not count in "your n-th check-in this month"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.engine import Context, Engine, memory
from assistant.formats.events import End, Heard, Say, Silence
from assistant.store.journal import Journal

FIRST = datetime(2026, 11, 20, 19, 0)  # a Friday


PLAN: list[str] = []


def answer(node: str, night: int) -> str | None:
    """What the couple says at ``node`` on ``night`` (None: silence)."""
    if node.endswith("/energy"):
        return "low" if night == 4 else "medium"
    if node.endswith("/offer_weekly"):
        return "no"
    if node.startswith("check-in/menu"):
        if night == 0:
            return "plan a date"
        return "wrap up" if night == 2 else "share appreciations"
    if node.startswith("plan-a-date/"):
        return PLAN.pop(0) if PLAN else "yes"
    if node == "appreciation-round/ask" or node == "appreciation-round/ask_more":
        return "the way you made coffee for me"
    if node == "appreciation-round/receive":
        return "thank you"
    if node == "appreciation-round/keep":
        return "yes"
    if node.startswith("check-in/another"):
        return "wrap up"
    if node == "date-followup/happened":
        return "yes"
    return None


def evening(engine: Engine, journal: Journal, dialog_set, night: int, answers=None) -> tuple[list[str], dict]:
    now = FIRST + timedelta(days=night)
    remembered = memory.compute(journal.records(), dialog_set, now)
    state, actions = engine.start(Context(("Maya", "Sam"), now, f"night{night}", memory=remembered))
    said: list[str] = []
    for _ in range(60):
        said += [a.text for a in actions if isinstance(a, Say)]
        end = next((a for a in actions if isinstance(a, End)), None)
        if end is not None:
            record = {**end.record, "ended_at": now.isoformat()}
            journal.save(record)
            return said, record
        text = (answers or answer)(engine.ref(state), night)
        state, actions = engine.handle(state, Heard(text) if text else Silence(10))
    raise AssertionError(f"night {night} did not end: {said[-3:]}")


@pytest.fixture
def eight_nights(tmp_path, dialog_set):
    engine = Engine(dialog_set)
    PLAN[:] = ["dinner at luigi's on november 27 at seven", "yes"]
    journal = Journal(tmp_path / "journal.sqlite3", keep="summary", free_text=dialog_set.free_text_fields())
    return [evening(engine, journal, dialog_set, night) for night in range(8)]


def test_no_opener_or_closer_repeats_on_consecutive_nights(eight_nights):
    openers = [rec["lines"]["opener"] for _, rec in eight_nights]
    closers = [rec["lines"]["closer"] for _, rec in eight_nights]
    assert all(a != b for a, b in zip(openers, openers[1:])), openers
    assert all(a != b for a, b in zip(closers, closers[1:])), closers
    assert len(set(openers)) >= 3, "several openers are used"
    firsts = [said[0] for said, _ in eight_nights]
    assert all(a != b for a, b in zip(firsts, firsts[1:])), firsts


def test_the_safe_space_line_on_the_first_nights_and_after_a_heavy_one(eight_nights):
    said = [any("kind space" in s for s in night) for night, _ in eight_nights]
    noted = [bool((rec.get("lines") or {}).get("safe_space")) for _, rec in eight_nights]
    assert said == noted, "the record says when the line was said"
    counted = [i for i, (_, rec) in enumerate(eight_nights) if any(e.get("complete") for e in rec["exercises"])]
    first_three = counted[:3]
    assert all(said[i] for i in first_three), (said, first_three)
    assert sum(said[first_three[-1] + 1 :]) <= 2, said
    assert sum(said[3:]) <= 2, said
    assert eight_nights[4][1].get("heavy") is True, "the low night is heavy"
    assert said[5], "the night after a heavy one says it again"


def test_the_weekly_offer_at_most_once_a_week_after_a_no(eight_nights):
    offered = [i for i, (_, rec) in enumerate(eight_nights) if (rec.get("offers") or {}).get("weekly")]
    assert offered, "the weekly check-in is offered"
    assert all(rec["offers"]["weekly"] == "no" for i, (_, rec) in enumerate(eight_nights) if i in offered)
    assert all(b - a >= 7 for a, b in zip(offered, offered[1:])), offered
    said = [sum("longer weekly check-in" in s for s in night) for night, _ in eight_nights]
    assert sum(said) == len(offered)


def test_a_planned_date_is_recalled_once_then_on_its_day(eight_nights):
    recalls = [
        i for i, (said, _) in enumerate(eight_nights) if any(s.startswith("Coming up: dinner at luigi's") for s in said)
    ]
    assert recalls == [1, 7], recalls  # the night after it was planned, and on Friday, November 27
    assert eight_nights[1][1]["recalled_plans"] == ["dinner at luigi's@2026-11-27"]


def test_an_empty_night_does_not_count(eight_nights):
    assert eight_nights[2][1]["exercises"] == []
    said = [s for night, _ in eight_nights for s in night if "check-in this month" in s]
    ordinals = [s.split()[1] for s in said]
    assert ordinals == ["second", "third", "third", "fourth", "fifth", "sixth", "seventh"], ordinals


AGREEMENT = {
    "decide-together/topic": "the dishes",
    "decide-together/wish_a_first": "we take turns",
    "decide-together/wish_b_first": "we take turns",
    "decide-together/need_a_first": "feeling like a team",
    "decide-together/need_b_first": "some fairness",
    "decide-together/wish_a_second": "a rota",
    "decide-together/wish_b_second": "a rota",
    "decide-together/need_a_second": "feeling like a team",
    "decide-together/need_b_second": "some fairness",
    "decide-together/agree": "we take turns with the dishes",
    "decide-together/confirm_a": "yes",
    "decide-together/confirm_b": "yes",
    "decide-together/keep": "yes",
    "agreement-followup/ask": "it went well",
}


def agreement_answer(node: str, night: int) -> str | None:
    if node in AGREEMENT:
        return AGREEMENT[node]
    if node.startswith("check-in/menu") and night == 0:
        return "decide together"
    return answer(node, night)


@pytest.fixture
def eight_nights_with_an_agreement(tmp_path, dialog_set):
    """Eight nights through a summary journal, as the couple's device keeps it: an agreement on
    the first night (kept), then appreciations; memory comes from the journal each night."""
    engine = Engine(dialog_set)
    PLAN[:] = []
    journal = Journal(tmp_path / "journal.sqlite3", keep="summary", free_text=dialog_set.free_text_fields())
    return [evening(engine, journal, dialog_set, night, agreement_answer) for night in range(8)]


def test_an_agreement_is_followed_up_once_the_next_night(eight_nights_with_an_agreement):
    asked = [sum(s.startswith("You agreed on") for s in said) for said, _ in eight_nights_with_an_agreement]
    assert asked == [0, 1, 0, 0, 0, 0, 0, 0], asked
    assert "we take turns with the dishes" in next(
        s for s in eight_nights_with_an_agreement[1][0] if s.startswith("You agreed on")
    )


def test_no_opener_presumes_earlier_nights_on_the_first(eight_nights, eight_nights_with_an_agreement):
    for nights in (eight_nights, eight_nights_with_an_agreement):
        first = nights[0][0]
        assert not any("Welcome back" in s or "again" in s for s in first[:2]), first[:2]
