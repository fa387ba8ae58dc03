"""Data tables for the pure helpers: choice matching, lexicon terms, overlap, days and times."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.text import matching, slots

YES_NO = {"yes": ["yes", "yeah", "sure", "that's right"], "not quite": ["no", "not quite", "not really"]}


@pytest.mark.parametrize(
    "text, label",
    [
        ("yes", "yes"),
        ("Yeah!", "yes"),
        ("yeah that's right", "yes"),
        ("not quite", "not quite"),
        ("no not really", "not quite"),
        ("nope", None),
        ("purple", None),
        ("yess", "yes"),
    ],
)
def test_best_match(text, label):
    match = matching.best_match(text, YES_NO)
    assert (match.label if match else None) == label


def test_no_is_not_found_inside_know():
    assert matching.best_match("i know", {"no": ["no"]}) is None


@pytest.mark.parametrize(
    "text, terms",
    [
        ("I felt kind of tired of it", ["tired of it"]),
        ("I'm tired", ["tired"]),
        ("frustrate and anxius", ["frustrated", "anxious"]),
        ("worn out and left out", ["worn out", "left out"]),
        ("nothing here", []),
    ],
)
def test_find_terms(text, terms):
    vocabulary = ["tired", "tired of it", "frustrated", "anxious", "worn out", "left out", "happy"]
    assert [t for _, t in matching.find_terms(text, vocabulary)] == terms


@pytest.mark.parametrize(
    "statement, paraphrase, score, caught",
    [
        (
            "I've been worried about money and the car",
            "you're worrying about money and the car",
            1.0,
            ("worrying", "money", "car"),
        ),
        ("Um, like, I miss my sister", "you miss your sister", 1.0, ("miss", "sister")),
        ("I miss my sister", "you had a good day", 0.0, ()),
        ("the the um", "anything", 0.0, ()),
    ],
)
def test_overlap_over_content_words(statement, paraphrase, score, caught):
    result = matching.overlap(statement, paraphrase)
    assert result.score == score and result.caught == caught


NOW = datetime(2026, 11, 25, 18, 0)  # a Wednesday


@pytest.mark.parametrize(
    "text, day, at, rest",
    [
        ("saturday", "2026-11-28", None, ""),
        ("tomorrow", "2026-11-26", None, ""),
        ("next friday", "2026-11-27", None, ""),
        ("friday at seven thirty", "2026-11-27", "19:30", ""),
        ("seven thirty", None, "19:30", ""),
        ("in the evening", None, "19:00", ""),
        ("half past six", None, "18:30", ""),
        ("sunday morning at ten", "2026-11-29", "10:00", ""),
        ("eight o'clock", None, "20:00", ""),
        ("9 am", None, "09:00", ""),
        ("at noon", None, "12:00", ""),
        ("tonight", "2026-11-25", "19:00", ""),
        ("in two days", "2026-11-27", None, ""),
        ("on the third of december", "2026-12-03", None, ""),
        ("a picnic on saturday at 7", "2026-11-28", "19:00", "a picnic"),
        ("a board game night tomorrow in the evening", "2026-11-26", "19:00", "a board game night"),
        ("saturday night", "2026-11-28", "20:00", ""),
        ("the first of march", "2027-03-01", None, ""),
        ("whenever really", None, None, "whenever really"),
    ],
)
def test_extract_days_and_times(text, day, at, rest):
    found = slots.extract(text, NOW)
    assert (found.date.isoformat() if found.date else None) == day
    assert (found.time.strftime("%H:%M") if found.time else None) == at
    assert found.rest == rest


def test_spoken_forms():
    assert slots.spoken_date(datetime(2026, 11, 26).date(), NOW) == "tomorrow, Thursday, November 26"
    assert slots.spoken_time(datetime(2026, 1, 1, 19, 30).time()) == "7:30 in the evening"
    assert matching.spoken_list(["a", "b", "c"]) == "a, b, or c"


def test_a_day_trip_is_an_activity_not_a_time():
    found = slots.extract("a day trip", NOW)
    assert found.time is None and found.rest == "a day trip"
