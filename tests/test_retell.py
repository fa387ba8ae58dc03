"""Read-backs in the third person, short, and never a jab in the coach's voice."""

from __future__ import annotations

import pytest

from assistant.text.retell import mocks, retell


@pytest.mark.parametrize(
    "said, speaker, listener, told",
    [
        ("I'm worn out from the week", "Sam", "Maya", "Sam is worn out from the week"),
        ("I miss being outdoors with you.", "Maya", "Sam", "Maya misses being outdoors with Sam"),
        ("time together", "Maya", "Sam", "for Maya, time together"),
        ("I need to feel like we are a team", "Tom", "Jess", "Tom needs to feel like we are a team"),
        ("you never help with the dishes", "Jess", "Tom", "for Jess, Tom never helps with the dishes"),
        ("Um, I think I just need a rest", "Sam", "Maya", "Sam just needs a rest"),
        (
            "My sister is visiting, and I want us to be ready",
            "Tom",
            "Jess",
            "Tom's sister is visiting, and Tom wants us to be ready",
        ),
        ("I try my best", "Tom", "Jess", "Tom tries their best"),
        (
            "christmas eve at your parents, christmas day at home",
            None,
            None,
            "christmas eve at your parents, christmas day at home",
        ),
    ],
)
def test_said_back_in_the_third_person(said, speaker, listener, told):
    assert retell(said, speaker, listener) == told


def test_a_long_answer_is_cut_at_a_clause_and_never_left_hanging():
    long = (
        "that i'm not his mother and that he actually does his share of the housework without being asked "
        "every single time because I am so tired of reminding him"
    )
    told = retell(long, "Jess", "Tom")
    assert told == "Jess is not his mother"
    for limit in range(3, 26):
        words = retell(long.replace("that i'm", "I'm"), "Jess", "Tom", limit).split()
        assert len(words) <= limit + 2 and words[-1] not in ("the", "and", "to", "of", "his", "not")


@pytest.mark.parametrize(
    "jab",
    ["oh sure, like she ever notices anything I do", "Oh poor you. Boo hoo.", "whatever, you never listen", "grow up"],
)
def test_mockery_and_sarcasm_are_never_said_back(jab):
    assert mocks(jab) and retell(jab, "Tom", "Jess") is None


def test_plain_needs_are_not_taken_for_mockery():
    for need in ("some rest after the week", "being outside together", "money is tight", "I want us to be a team"):
        assert not mocks(need)
