"""The engine with text only: purity, the listen contract, VoiceXML counting, commands."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from assistant.engine import Context
from assistant.formats.events import End, Heard, Listen, Save, Say, Silence

NOW = datetime(2026, 11, 25, 18, 0)


def start(engine, dialog="check-in", memory=None):
    return engine.start(Context(("Maya", "Sam"), NOW, "s1", memory or {}), dialog)


def run(engine, turns, dialog="check-in"):
    state, actions = start(engine, dialog)
    log = list(actions)
    for turn in turns:
        state, actions = engine.handle(state, Silence(8) if turn is None else Heard(turn))
        log += actions
    return state, log


def says(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def test_start_greets_by_name_and_listens_for_energy(engine):
    state, actions = start(engine)
    assert says(actions)[0] == "Hi Maya, hi Sam. Glad you're both here."
    listen = actions[-1]
    assert isinstance(listen, Listen)
    assert listen.node == "check-in/energy" and listen.mode == "choice"
    assert listen.choices == ("high", "medium", "low")
    # choice turns constrain recognition to the choices and the global commands
    assert "low" in listen.grammar and "stop" in listen.grammar and "repeat" in listen.grammar
    assert listen.end_silence_s < 1.0


def test_handle_is_pure(engine):
    state, _ = start(engine)
    frozen = copy.deepcopy(state)
    first = engine.handle(state, Heard("low"))
    second = engine.handle(state, Heard("low"))
    assert state == frozen, "handle must not change its input state"
    assert first == second, "same state and event give the same result"


def test_capture_listens_freely(engine):
    state, actions = run(engine, [], dialog="paraphrase-back")
    listen = actions[-1]
    assert listen.mode == "capture" and listen.grammar == () and listen.choices == ()
    assert listen.end_silence_s >= 1.5, "free answers tolerate thinking pauses"


def test_every_answer_is_saved_as_given(engine):
    state, actions = start(engine, "name-a-feeling")
    state, actions = engine.handle(state, Heard("grateful"))
    saves = [a for a in actions if isinstance(a, Save)]
    assert len(saves) == 1 and isinstance(actions[-2], Save) and isinstance(actions[-1], Listen), (
        "saved before listening"
    )
    entry = saves[0].record["exercises"][0]
    assert entry["feeling"] == "grateful" and entry["complete"] is False
    state, actions = engine.handle(state, Heard("my sister called"))
    entry = [a for a in actions if isinstance(a, Save)][0].record["exercises"][0]
    assert entry["reason"] == "my sister called"


@pytest.mark.parametrize(
    "failures, expected",
    [
        (1, "Sorry, I didn't catch that. You can say high, medium, or low."),
        (2, "I'm still not sure. Please say high, medium, or low, or say help."),
        (3, "One more try: high, medium, or low?"),
    ],
)
def test_nomatch_is_count_indexed(engine, failures, expected):
    state, actions = run(engine, ["purple"] * failures)
    assert says(actions)[-1] == expected
    assert isinstance(actions[-1], Listen)


def test_last_handler_repeats_and_tries_are_bounded(engine, dialog_set):
    tries = dialog_set.common["defaults"]["tries"]
    state, actions = run(engine, ["purple"] * tries + [None])
    assert isinstance(actions[-1], End) and actions[-1].outcome == "abandoned"
    assert "leave it there for tonight" in says(actions)[-1]
    assert state.ended
    assert engine.handle(state, Heard("high")) == (state, []), "an ended session stays ended"


def test_counters_reset_on_a_new_node(engine):
    state, actions = run(engine, ["purple", "purple", "medium", "purple"])
    assert says(actions)[-1].startswith("Sorry, I didn't catch that"), "the first nomatch of the menu"


def test_mixed_noinput_and_nomatch_share_the_bound(engine):
    state, actions = run(engine, [None, "purple", None, "purple"])
    assert isinstance(actions[-1], End)


def test_silence_in_capture_is_thinking_time(engine):
    state, actions = run(engine, ["grateful", None, None], dialog="name-a-feeling")
    texts = says(actions)
    assert texts[-2:] == ["Take your time.", "No rush, Maya. Whenever you're ready."]
    assert not any("didn't catch" in t for t in texts)


def test_commands_in_capture_need_the_whole_utterance(engine):
    state, actions = run(engine, ["grateful", "I want to stop working late"], dialog="name-a-feeling")
    assert not state.ended
    assert state.frame.slots["reason"] == "I want to stop working late"
    state, actions = engine.handle(state, Heard("stop"))
    assert state.outcome == "stopped"


def test_slower_lowers_the_rate_and_repeats(engine):
    state, actions = start(engine)
    state, actions = engine.handle(state, Heard("slower please"))
    assert [a.rate for a in actions if isinstance(a, Say)] == [0.85]
    assert says(actions) == ["How's your energy tonight? High, medium, or low?"]
    state, actions = engine.handle(state, Heard("slow down"))
    assert state.rate == pytest.approx(0.722, abs=0.001)


def test_pause_ignores_everything_but_resume_and_stop(engine):
    state, actions = run(engine, ["pause"])
    assert actions[-1].choices == ("resume", "stop")
    for event in (Silence(300), Heard("what should we eat"), Heard("low")):
        state, actions = engine.handle(state, event)
        assert says(actions) == [] and isinstance(actions[-1], Listen) and state.paused
    state, actions = engine.handle(state, Heard("we're back"))
    assert not state.paused
    assert says(actions)[0] == "Welcome back."


def test_go_back_returns_to_the_previous_question(engine):
    state, actions = run(engine, ["high", "go back"])
    assert state.frame.node == "energy"
    state, actions = engine.handle(state, Heard("low"))
    assert state.frame.slots["short"] is True


def test_help_lists_the_options_three_at_a_time(engine, dialog_set):
    state, actions = run(engine, ["medium", "help"])
    assert "surprise us" in says(actions)[-1] and "what else" in says(actions)[-1]
    offered = [d.title for d in dialog_set.exercises() if d.title in says(actions)[-1]]
    assert len(offered) == 3
    heard = set(offered)
    for _ in range(3):
        state, actions = engine.handle(state, Heard("what else"))
        assert says(actions)[-1].startswith("There's also ")
        heard |= {d.title for d in dialog_set.exercises() if d.title in says(actions)[-1]}
    assert heard == {d.title for d in dialog_set.exercises()}, "what else goes through every exercise"
    state, actions = engine.handle(state, Heard("name a feeling"))
    assert state.frame.dialog == "name-a-feeling"


def test_surprise_is_deterministic_and_prefers_fresh_exercises(engine, dialog_set):
    recent = [d.id for d in dialog_set.exercises()][:-1]
    memory = {"recent_exercises": recent}

    def pick():
        state, _ = start(engine, memory=memory)
        state, _ = engine.handle(state, Heard("high"))
        state, actions = engine.handle(state, Heard("surprise us"))
        return state.frame.dialog

    assert pick() == pick() == dialog_set.exercises()[-1].id


def test_record_contract(engine):
    state, actions = run(engine, ["a picnic", "saturday", "noon", "yes"], dialog="plan-a-date")
    end = actions[-1]
    assert isinstance(end, End) and end.outcome == "completed"
    record = end.record
    assert set(record) >= {"id", "started_at", "ended_at", "partners", "outcome", "exercises"}
    assert record["partners"] == ["Maya", "Sam"]
    assert record["exercises"] == [
        {
            "exercise": "plan-a-date",
            "activity": "a picnic",
            "date": "2026-11-28",
            "time": "12:00",
            "confirmed": True,
            "when": "Saturday, November 28 at noon",
            "complete": True,
        }
    ]


def test_speaking_time_is_attributed(engine):
    state, _ = start(engine, "name-a-feeling")
    state, _ = engine.handle(state, Heard("proud", seconds=1.5))
    state, _ = engine.handle(state, Heard("I ran ten kilometres", seconds=4.0))
    state, _ = engine.handle(state, Heard("that's amazing", seconds=2.0))
    assert state.speaking == {"Maya": 5.5, "Sam": 2.0}


def test_unintelligible_speech_is_a_nomatch_for_choices_and_thinking_time_for_captures(engine):
    state, _ = start(engine)
    state, actions = engine.handle(state, Heard("", seconds=1.2))
    assert says(actions)[-1].startswith("Sorry, I didn't catch that") and state.nomatch == 1
    state, _ = start(engine, "name-a-feeling")
    state, _ = engine.handle(state, Heard("proud"))
    state, actions = engine.handle(state, Heard("", seconds=2.0))
    assert says(actions) == ["Take your time."] and state.noinput == 1


def test_captured_answers_lose_leading_filler_only(engine):
    state, _ = start(engine, "name-a-feeling")
    state, _ = engine.handle(state, Heard("proud"))
    state, _ = engine.handle(state, Heard("Um, well, I finished the quilt, um, finally"))
    assert state.frame.slots["reason"] == "I finished the quilt, um, finally"


def test_summary_parts_are_not_repeated(engine):
    state, _ = start(engine)
    entry = {"exercise": "name-a-feeling", "partner": "Maya", "feeling": "calm", "complete": True}
    from dataclasses import replace

    state = replace(state, entries=(entry, dict(entry)))
    assert engine.variables(state)["summary"] == "Maya felt calm"
