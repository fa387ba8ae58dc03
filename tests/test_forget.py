"""Privacy requests: "don't keep that" drops the last answer wherever it is kept, and
"forget tonight" erases the session from the journal (securely) and from the log on."""

from __future__ import annotations

import io
import json
from datetime import datetime

from assistant.engine import Context
from assistant.engine.memory import compute
from assistant.formats.events import End, Forget, Heard, Save, Say
from assistant.home.session import JsonlSink, ScriptedTurns, Session
from assistant.store.journal import Journal

NOW = datetime(2026, 11, 25, 18, 0)
REASON = "my boss shouted at me in front of everyone"


def play(engine, turns, dialog="check-in"):
    state, actions = engine.start(Context(("Maya", "Sam"), NOW, "s1"), dialog)
    log = list(actions)
    for turn in turns:
        state, actions = engine.handle(state, Heard(turn))
        log += actions
    return state, log


def says(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def saves(actions):
    return [a.record for a in actions if isinstance(a, Save)]


# --------------------------------------------------------------------------- don't keep that


def test_dont_keep_drops_the_answer_still_in_the_exercise_and_moves_on(engine):
    state, log = play(engine, ["anxious", REASON, "don't keep that"], "name-a-feeling")
    said = says(log)
    assert said[-2:] == [
        "Of course. I won't keep that.",
        "Sam, no advice and no fixing. Just let Maya know it makes sense to feel anxious.",
    ]
    assert state.frame.slots.get("reason") is None and state.frame.node == "validate"
    entry = saves(log)[-1]["exercises"][-1]
    assert "reason" not in entry and entry["not_kept"] == ["reason"] and entry["feeling"] == "anxious"
    assert REASON not in json.dumps(saves(log)[-1]), "the saved record no longer has the words"
    state, actions = engine.handle(state, Heard("that makes sense"))
    state, actions = engine.handle(state, Heard("calm"))
    committed = engine.record(state)["exercises"][0]
    assert committed == {
        "exercise": "name-a-feeling",
        "partner": "Maya",
        "feeling": "anxious",
        "family": "anxious",
        "not_kept": ["reason"],
        "complete": True,
    }
    assert "not_kept" not in engine.record(state)["exercises"][1], "the next round starts with nothing dropped"


def test_dont_keep_asks_again_when_the_question_builds_on_the_answer(engine):
    state, log = play(engine, ["calm", "dont keep that"], "name-a-feeling")
    assert says(log)[-2:] == [
        "Of course. I won't keep that. Say it another way if you like, or say skip.",
        "Maya, what's one feeling you had today?",
    ]
    assert state.frame.node == "ask" and state.frame.slots.get("feeling") is None
    state, actions = engine.handle(state, Heard("skip"))
    assert "calm" not in json.dumps(engine.record(state))


def test_dont_keep_after_an_unrecorded_answer_keeps_the_earlier_ones(engine):
    state, log = play(engine, ["high", "name a feeling", "anxious", REASON, "that makes sense"])
    before = engine.record(state)["exercises"]
    assert before[0]["reason"] == REASON
    state, actions = engine.handle(state, Heard("please don't keep that"))
    assert says(actions)[0] == "Of course. I won't keep that."
    assert saves(actions), "the record is saved again without it"
    # the validation is the last answer and is not recorded: the reason stays
    assert engine.record(state)["exercises"][0]["reason"] == REASON


def test_dont_keep_after_the_exercise_was_committed_removes_the_fields_of_its_entry(engine):
    state, log = play(engine, ["high", "plan a date", "a picnic", "saturday at seven", "yes"])
    assert engine.record(state)["exercises"][0]["confirmed"] is True
    state, actions = engine.handle(state, Heard("actually don't keep that"))
    entry = engine.record(state)["exercises"][0]
    assert entry["not_kept"] == ["confirmed"] and "confirmed" not in entry and entry["activity"] == "a picnic"
    assert says(actions)[0] == "Of course. I won't keep that."


def test_dont_keep_in_a_form_asks_the_field_again(engine):
    state, log = play(engine, ["a picnic", "saturday at noon", "don't keep that"], "plan-a-date")
    assert says(log)[-2:] == [
        "Of course. I won't keep that. Say it another way if you like, or say skip.",
        "Which day works for you both? For example Saturday, or tomorrow.",
    ]
    state, actions = engine.handle(state, Heard("sunday"))
    state, actions = engine.handle(state, Heard("no"))
    state, actions = engine.handle(state, Heard("yes"))
    entry = engine.record(state)["exercises"][0]
    assert entry["date"] == "2026-11-29" and "time" not in entry and entry["not_kept"] == ["time"], (
        "the time was dropped and not said again"
    )


def test_dont_keep_with_nothing_to_drop_only_confirms(engine):
    state, log = play(engine, ["don't keep that"])
    assert says(log)[-2] == "Of course. I won't keep that." and says(log)[-1] == says(log)[-3], (
        "then the question again"
    )
    assert not saves(log)


def test_neither_request_is_ever_content(engine):
    for phrase in ("don't keep that", "forget tonight"):
        state, log = play(engine, ["a picnic", phrase], "plan-a-date")
        assert phrase not in json.dumps([engine.record(state), *saves(log)])


# --------------------------------------------------------------------------- forget tonight


def test_forget_tonight_returns_one_forget_action_and_saves_nothing_more(engine):
    state, log = play(engine, ["anxious", REASON, "forget tonight"], "name-a-feeling")
    forgets = [a for a in log if isinstance(a, Forget)]
    assert forgets == [Forget("tonight", "s1")]
    assert says(log)[-2:] == [
        "Of course. Tonight's check-in is erased, and nothing more of it will be kept.",
        "Would you like to stop here, or go on? Say stop, or say go on.",
    ]
    assert engine.record(state)["outcome"] == "forgotten" and engine.record(state)["exercises"] == []
    state, actions = engine.handle(state, Heard("go on"))
    assert says(actions) == [
        "Okay, let's go on.",
        "Sam, no advice and no fixing. Just let Maya know it makes sense to feel anxious.",
    ]
    state, actions = engine.handle(state, Heard("that makes sense"))
    state, actions = engine.handle(state, Heard("stop"))
    assert not [a for a in actions if isinstance(a, Save)]
    assert says(actions) == ["Okay, we'll stop here. Nothing from tonight is kept. Thank you both."], (
        "never 'everything you shared is kept'"
    )
    end = actions[-1]
    assert isinstance(end, End) and end.record["outcome"] == "forgotten" and end.record["exercises"] == []


def test_forget_tonight_then_stop(engine):
    state, log = play(engine, ["high", "forget tonight", "yes"])
    assert state.ended and says(log)[-1] == "Okay, we'll stop here. Nothing from tonight is kept. Thank you both."
    assert engine.record(state)["outcome"] == "forgotten"


def _session(engine, turns, journal, sinks=()):
    return Session(
        engine, ScriptedTurns([{"text": t} for t in turns]), sinks=list(sinks), journal=journal, clock=lambda: NOW
    )


def test_forget_tonight_leaves_nothing_readable_in_the_journal_file(engine, dialog_set, tmp_path):
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path, keep="full")
    earlier = {
        "id": "earlier",
        "started_at": "2026-11-20T18:00:00",
        "outcome": "completed",
        "exercises": [{"exercise": "being-present", "complete": True, "seconds": 60, "completed": True}],
        "done": ["being-present"],
    }
    journal.save(earlier)
    log = io.StringIO()
    record = _session(
        engine,
        ["anxious", REASON, "forget tonight", "go on", "that makes sense", "content", "we finally cleaned the garage"],
        journal,
        [JsonlSink(log, log=True)],
    ).run(("Maya", "Sam"), "name-a-feeling", now=NOW, session_id="tonight")
    assert record["outcome"] == "forgotten"
    journal.close()
    for file in tmp_path.iterdir():
        data = file.read_bytes()
        assert b"shouted" not in data and b"garage" not in data and b"anxious" not in data, file.name
    assert [r["id"] for r in Journal(path).records()] == ["earlier"], "the session is gone; the others stay"
    assert compute(Journal(path).records(), dialog_set, NOW)["sessions_this_month"] == 1
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert lines[-1]["type"] == "heard" and lines[-1]["text"] == "forget tonight", "the log stops at the request"
    assert "garage" not in log.getvalue(), "the log wrote nothing after the request"


def test_a_plain_jsonl_stream_goes_on_and_the_next_session_is_logged_again(engine, tmp_path):
    protocol, log = io.StringIO(), io.StringIO()
    sinks = [JsonlSink(protocol), JsonlSink(log, log=True)]
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    _session(engine, ["high", "forget tonight", "stop"], journal, sinks).run(("Maya", "Sam"), session_id="one")
    assert (
        "Nothing from tonight is kept" in protocol.getvalue() and "Nothing from tonight is kept" not in log.getvalue()
    )
    _session(engine, ["high", "stop"], journal, sinks).run(("Maya", "Sam"), session_id="two")
    assert '"session_end"' in log.getvalue().split("forget tonight")[-1], "a new session is logged again"
    assert [r["id"] for r in journal.records()] == ["two"]


def test_forget_session_drops_a_record_waiting_for_a_retry(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    journal.pending["s1"] = {"id": "s1", "started_at": "2026-11-25T18:00:00", "outcome": "in_progress"}
    assert journal.forget_session("s1") == 0 and journal.pending == {}
    assert Journal(tmp_path / "none.sqlite3", keep="none").forget_session("s1") == 0


def test_dont_keep_leaves_the_words_nowhere_in_the_journal_file(engine, tmp_path):
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path, keep="full")
    record = _session(engine, ["anxious", REASON, "don't keep that", "stop"], journal).run(
        ("Maya", "Sam"), "name-a-feeling", now=NOW, session_id="s1"
    )
    assert record["exercises"][0]["not_kept"] == ["reason"]
    journal.close()
    for file in tmp_path.iterdir():
        assert b"shouted" not in file.read_bytes(), file.name
    assert Journal(path).records()[0]["exercises"][0]["feeling"] == "anxious"


def test_dont_keep_while_paused_drops_and_stays_paused(engine):
    state, log = play(engine, ["anxious", REASON, "pause", "don't keep that"], "name-a-feeling")
    assert says(log)[-1] == "Of course. I won't keep that." and state.paused
    assert "reason" not in engine.record(state)["exercises"][0]
    state, actions = engine.handle(state, Heard("resume"))
    assert says(actions) == [
        "Welcome back.",
        "Sam, no advice and no fixing. Just let Maya know it makes sense to feel anxious.",
    ]


class _CutShort:
    """Turns from a list, then Ctrl-C."""

    def __init__(self, turns):
        self.turns = list(turns)

    def next_turn(self, listen, spoken_s):
        if not self.turns:
            raise KeyboardInterrupt
        return Heard(self.turns.pop(0))


def test_a_forgotten_session_cut_short_saves_nothing(engine, tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    session = Session(engine, _CutShort(["anxious", "forget tonight", "go on"]), journal=journal, clock=lambda: NOW)
    try:
        session.run(("Maya", "Sam"), "name-a-feeling", now=NOW, session_id="s1")
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the turns were cut short")
    assert session.interrupted() is not None  # the loop would save here, but the session is forgotten
    assert journal.records() == []


def test_after_forget_tonight_the_coach_listens_for_stop_or_go_on_and_waits_through_silence(engine):
    """At a choice (the menu) the wait is the stop / go-on listen, as after a safety pause:
    "go on" is in its grammar, and a silence asks nothing new."""
    from assistant.formats.events import Listen, Silence

    state, log = play(engine, ["high", "forget tonight"])
    listen = [a for a in log if isinstance(a, Listen)][-1]
    assert listen.choices == ("stop", "go on") and "go on" in listen.grammar
    state, actions = engine.handle(state, Silence(listen.no_input_s))
    assert state.offer is not None and not state.ended and not says(actions)
