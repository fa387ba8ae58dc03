"""Who spoke, in the engine: a yes counts in the voice it was asked of, the floor holder keeps
the floor, speaking time by voice; and the wire format that carries the speaker."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.engine import Context
from assistant.formats import protocol
from assistant.formats.events import Heard, Listen, Say

NOW = datetime(2026, 11, 25, 18, 0)


def play(engine, turns, dialog="affection", voices=("Kim", "Rob")):
    state, actions = engine.start(Context(("Kim", "Rob"), NOW, "s1", voices=tuple(voices)), dialog)
    log = list(actions)
    for turn in turns:
        event = turn if isinstance(turn, Heard) else Heard(turn)
        state, actions = engine.handle(state, event)
        log += actions
    return state, log


def said(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def by(name, text="yes", seconds=0.8):
    return Heard(text, seconds=seconds, speaker=name, attributed=True)


HUG_STARTS = "Come close"


def test_the_wrong_partners_yes_never_starts_a_hug(engine):
    state, log = play(engine, ["a hug", by("Rob")])
    texts = said(log)
    assert texts[-1] == "I'd like to hear that from Kim."
    assert not any(HUG_STARTS in t for t in texts)
    assert state.frame.node == "consent" and isinstance(log[-1], Listen)
    # the question stays open: Kim's own yes goes on to Rob, and Rob's yes starts the hug
    state, log = play(engine, ["a hug", by("Rob"), by("Kim"), by("Rob")])
    texts = said(log)
    assert "Rob, is that okay for you?" in texts
    assert any(HUG_STARTS in t for t in texts)


def test_a_yes_in_a_voice_not_sure_is_asked_again_by_name(engine):
    state, log = play(engine, ["a hug", by(None)])
    assert said(log)[-1] == "Kim, was that you? Is it a yes from you?"
    assert state.frame.node == "consent"
    _, log = play(engine, ["a hug", by(None), by("Kim"), by(None)])
    assert said(log)[-1] == "Rob, was that you? Is it a yes from you?"


@pytest.mark.parametrize("answer", ["no", "I'm not sure", "not tonight"])
def test_a_no_or_a_hedge_wins_whoever_says_it(engine, answer):
    state, log = play(engine, ["a hug", by("Rob", answer)])
    assert not any(HUG_STARTS in t for t in said(log))
    assert not state.frames or state.frame.node != "consent"
    assert "I'd like to hear that from Kim." not in said(log)
    assert not state.entries or state.entries[-1].get("outcome") == "declined"


def test_with_one_voice_enrolled_or_none_a_yes_counts_as_before(engine):
    for voices in ((), ("Kim",)):
        _, log = play(engine, ["a hug", by("Rob"), by("Rob")], voices=voices)
        assert any(HUG_STARTS in t for t in said(log)), voices
    # typed answers (not attributed) are never held back
    _, log = play(engine, ["a hug", "yes", "yes"])
    assert any(HUG_STARTS in t for t in said(log))


DECIDE = [
    "where to go on sunday",
    "the lake",
    "to be outside",
    "the museum",
    "somewhere quiet",
    "a walk by the lake then the museum cafe",
]


def test_a_confirmation_by_name_counts_in_that_voice(engine):
    state, log = play(engine, [*DECIDE, by("Rob")], dialog="decide-together")
    assert said(log)[-2].endswith("Kim, is that a yes from you?")
    assert said(log)[-1] == "I'd like to hear that from Kim."
    assert state.frame.node == "confirm_a" and state.frame.slots.get("confirmed_a") is not True
    state, log = play(engine, [*DECIDE, by("Rob"), by("Kim"), by("Kim")], dialog="decide-together")
    assert said(log)[-1] == "I'd like to hear that from Rob."
    state, log = play(engine, [*DECIDE, by("Kim"), by("Rob")], dialog="decide-together")
    assert "Lovely. You decided that together." in said(log)


def test_the_floor_holder_keeps_the_floor(engine):
    # stress-reducing: Kim talks; Rob's words get one hold line, and Kim's turn stays open
    state, log = play(engine, [], dialog="stress-reducing")
    node = state.frame.node
    assert node.startswith("talk_")
    holder = state.frame.slots["partner"]
    other = state.frame.slots["other"]
    state, log = play(engine, [by(other, "you should quit that job", 3.0)], dialog="stress-reducing")
    texts = said(log)
    assert texts[-1].startswith(f"{other}, hold on, these are {holder}'s") or texts[-1].startswith(
        f"{other}, hold on, this is {holder}'s"
    )
    assert state.frame.node == node and "stress" not in state.frame.slots
    # a second interruption: no second line, still open; then the holder's words are taken
    state, log = play(
        engine,
        [by(other, "really you should", 2.0), by(other, "just leave it", 1.0), by(holder, "work has been hard", 4.0)],
        dialog="stress-reducing",
    )
    assert sum("hold on" in t for t in said(log)) == 1
    assert state.frame.slots.get("stress") == "work has been hard"
    assert state.speaking[other] == pytest.approx(3.0) and state.speaking[holder] == pytest.approx(4.0)
    assert state.answer_words == {holder: (4,)}  # the interruptions are not the holder's answers


def test_speaking_time_is_counted_by_voice(engine):
    # a question to both, answered by one voice: all of it counts for that partner
    state, _ = play(engine, [by("Rob", "a hug", 2.5)])
    assert state.speaking == {"Rob": 2.5}
    state, _ = play(engine, [Heard("a hug", seconds=2.0)])
    assert state.speaking == {"Kim": 1.0, "Rob": 1.0}


def test_heard_carries_the_speaker_only_when_attributed():
    plain = protocol.heard(Heard("yes"))
    assert "speaker" not in plain
    protocol.check_event(plain)
    for who in ("Kim", None):
        event = protocol.heard(Heard("yes", speaker=who, attributed=True))
        assert event["speaker"] == who
        protocol.check_event(event)
    with pytest.raises(ValueError):
        protocol.check_event({**plain, "speaker": 3})


def test_a_text_turn_may_say_who_spoke():
    turn = protocol.decode('{"text": "yes", "speaker": "Kim"}')
    assert turn == Heard("yes", speaker="Kim", attributed=True)
    assert protocol.decode('{"text": "yes", "speaker": null}') == Heard("yes", attributed=True)
    for bad in ('{"text": "yes", "speaker": 1}', '{"text": "yes", "speaker": ""}', '{"silence": 1, "speaker": "K"}'):
        with pytest.raises(protocol.TurnError):
            protocol.decode(bad)
