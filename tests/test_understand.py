"""Issue 10 in the engine: answers read by the meaning layer in the context of each question,
the order commands and acts are tried in, consent, exercises that fail without ending the
evening, times that follow people, the safety pause and help without a loop."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from assistant.engine import Context, Engine
from assistant.formats.events import EndOfInput, Heard, Listen, Say, Silence
from assistant.loader.dialogs import DialogError, load_dir
from assistant.text import meaning

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 18, 0)
UK = {"country": "GB", "helpline": "Samaritans on 116 123", "emergency": "999"}


def start(engine, dialog="check-in", safety=None):
    return engine.start(Context(("Maya", "Sam"), NOW, "s1", safety=safety or {}), dialog)


def play(engine, turns, dialog="check-in", safety=None):
    """Run ``turns`` (text, or a number of seconds of silence); return the state and everything said."""
    state, actions = start(engine, dialog, safety)
    said = [a.text for a in actions if isinstance(a, Say)]
    for turn in turns:
        event = Silence(float(turn)) if isinstance(turn, (int, float)) else Heard(turn)
        state, actions = engine.handle(state, event)
        said += [a.text for a in actions if isinstance(a, Say)]
    return state, said


def record(engine, state):
    return engine.record(state)["exercises"]


# --------------------------------------------------------------------------- the order


def test_the_order_is_written_in_the_readme_as_in_code():
    """docs/MEANING.md's "The meaning layer" writes down meaning.PRECEDENCE as it is in code."""
    text = (ROOT / "docs" / "MEANING.md").read_text()
    section = text[text.index("### The meaning layer") :]
    section = section[: section.index("\n### ", 10)]
    assert " > ".join(meaning.PRECEDENCE) in " ".join(section.split())
    assert "assistant/engine/hearing.py" in section  # where the engine applies it


@pytest.mark.parametrize(
    "turns, expect",
    [
        (["high", "plan a date", "stop"], "stopped"),  # a whole-answer command
        (["high", "plan a date", "I want to stop working late"], None),  # an answer, not stop
    ],
)
def test_commands_only_as_the_whole_answer(engine, turns, expect):
    state, said = play(engine, turns)
    assert state.outcome == expect
    if expect is None:
        assert state.frame.slots.get("activity") == "i want to stop working late" or "Which day works" in said[-1]


def test_distress_comes_before_privacy_and_commands(engine):
    state, said = play(engine, ["high", "name a feeling", "scared", "don't keep that, he hits me"])
    assert state.held is not None and "Let's pause here" in " ".join(said)
    assert all("hits" not in s for s in said)


def test_i_need_help_is_not_the_help_command(engine):
    state, said = play(engine, ["I need help"])
    assert state.held is not None
    assert not any("Just say high, medium, or low" in s for s in said)
    assert "i need help" not in [p.lower() for p in engine.commands["help"]]


@pytest.mark.parametrize(
    "phrase", ["pass", "i pass", "i'd rather not", "not tonight", "can we skip this one", "I'd rather not do this one"]
)
def test_pass_phrases_and_decline_are_one_mechanism(engine, phrase):
    state, said = play(engine, ["high", "plan a date", phrase])
    assert "That's completely fine. We'll pass on that one." in said
    assert state.frame.dialog == "check-in" and state.frame.node == "another"
    assert all(e.get("activity") is None for e in record(engine, state))


def test_a_hedge_mid_hug_withdraws_and_stop_mid_hug_is_not_complete(engine):
    base = ["high", "a long hug", "hug", "yes", "yes"]
    state, said = play(engine, [*base, "no, I don't want this"])
    assert record(engine, state)[-1] == {
        "exercise": "affection",
        "kind": "hug",
        "seconds": 20,
        "complete": False,
        "outcome": "withdrawn",
    }
    state, _ = play(engine, [*base, "stop"])
    assert state.outcome == "stopped" and record(engine, state)[-1]["outcome"] == "withdrawn"
    assert record(engine, state)[-1]["complete"] is False


def test_every_partner_is_asked_by_name_and_any_no_wins(engine):
    for answers in (["no"], ["yes", "kind of"], ["yes", "I don't know"], ["whatever"]):
        state, said = play(engine, ["high", "a long hug", "hug", *answers])
        assert record(engine, state) == [
            {"exercise": "affection", "kind": "hug", "seconds": 20, "complete": False, "outcome": "declined"}
        ], answers
        assert "Come close. I'll keep the time, so you don't have to." not in said


# --------------------------------------------------------------------------- dialogs: the new keys


@pytest.mark.parametrize(
    "file, old, new, message",
    [
        (
            "affection.yaml",
            "acts: {affirm: hug,",
            "acts: {affirm: cuddle,",
            "acts.affirm: 'cuddle' is not an option of this choice",
        ),
        ("affection.yaml", "acts: {affirm: hug,", "acts: {shrug: hug,", "nodes.invite"),
        ("check-in.yaml", "scale: energy", "scale: vigour", "no scale 'vigour'"),
        (
            "name-a-feeling.yaml",
            "    capture: {slot: reason}",
            "    acts: {affirm: x}\n    capture: {slot: reason}",
            "nodes.reason.acts: belongs to a 'choice' node",
        ),
        ("paraphrase-back.yaml", "asks: paraphrase", "asks: poem", "nodes.listen_back"),
    ],
)
def test_new_yaml_keys_are_checked_with_one_line(dialogs_copy, file, old, new, message):
    dialogs_copy.edit(file, old, new)
    with pytest.raises(DialogError) as err:
        load_dir(dialogs_copy.root)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_without_meaning_tables_the_engine_reads_plain_text(dialogs_copy):
    root = dialogs_copy.root
    shutil.rmtree(root / "meaning")
    plain = Engine(load_dir(root))
    assert plain.tables is None
    state, said = play(plain, ["medium", "plan a date", "a picnic"])
    assert state.frame.slots["activity"] == "a picnic"


# --------------------------------------------------------------------------- content


def test_the_third_try_no_longer_stores_any_text_as_the_feeling(engine):
    state, said = play(engine, ["the car parked outside"] * 3, dialog="name-a-feeling")
    assert state.frame.slots.get("feeling") is None
    assert "Thank you for naming it" not in " ".join(said)


def test_homesick_is_not_in_the_lexicon(dialog_set):
    assert "homesick" not in dialog_set.lexicons["feelings"].words


def test_a_decline_at_the_activity_is_not_a_plan_at_one(engine):
    state, _ = play(engine, ["can we skip this one"], dialog="plan-a-date")
    assert state.ended and engine.record(state)["exercises"] == []


# --------------------------------------------------------------------------- ending


def test_ninety_seconds_without_anyone_speaking_ends_the_check_in(engine):
    state, said = play(engine, ["high", "name a feeling", 30, 30, 30])
    assert state.outcome == "abandoned"
    assert said[-1].startswith("Let's leave it there for tonight")


def test_a_timed_pause_is_not_nobody_speaking(engine):
    state, _ = play(engine, ["high", "a quiet minute", "ready", 20, 20, 20])
    assert state.outcome is None and "being-present" in state.done


def test_end_of_input_ends_the_session_and_is_not_a_silence(engine):
    state, _ = play(engine, ["high"])
    state, actions = engine.handle(state, EndOfInput())
    assert state.outcome == "stopped" and actions[-1].record["outcome"] == "stopped"

    from assistant.home.session import ConsoleTurns, JsonlTurns

    listen = Listen("x", "capture")
    assert JsonlTurns(io.StringIO("")).next_turn(listen, 0.0) == EndOfInput(8.0)

    def eof(prompt):
        raise EOFError

    assert ConsoleTurns(read=eof, out=io.StringIO()).next_turn(listen, 0.0) == EndOfInput(8.0)


# --------------------------------------------------------------------------- safety


def test_the_help_line_comes_from_config_and_names_no_number_without_a_country(engine):
    _, said = play(engine, ["high", "name a feeling", "scared", "he hits me when he drinks"], safety=UK)
    spoken = " ".join(said)
    assert "If either of you wants to talk to someone, Samaritans on 116 123 is there any time." in spoken
    assert "If anyone is in danger, call 999." in spoken
    _, said = play(engine, ["high", "name a feeling", "scared", "he hits me when he drinks"])
    line = next(s for s in said if "emergency" in s)
    assert "your local emergency number" in line and not re.search(r"\d", line)


def test_nothing_of_a_screened_answer_is_shown_logged_or_kept(engine, tmp_path):
    from assistant.home.session import JsonlSink, ScriptedTurns, Session

    saved = []

    class Journal:
        def save(self, rec):
            saved.append(json.dumps(rec))

    log = io.StringIO()
    turns = ScriptedTurns(
        [
            {"text": t}
            for t in ["high", "name a feeling", "scared", "Sometimes I think about killing myself", "go on", "wrap up"]
        ]
    )
    final = Session(engine, turns, [JsonlSink(log)], journal=Journal(), clock=lambda: NOW).run(("Maya", "Sam"), now=NOW)
    everything = log.getvalue() + "".join(saved) + json.dumps(final)
    assert "killing" not in everything.lower()
    assert '"text": "[not kept]"' in log.getvalue()
    assert final["exercises"] == [{"exercise": "name-a-feeling", "complete": False, "outcome": "paused_for_safety"}]
    assert final["outcome"] == "completed"


def test_history_says_only_that_an_exercise_paused(engine, dialog_set):
    from assistant.cli.main import history_lines

    state, _ = play(engine, ["high", "name a feeling", "scared", "he hits me when he drinks", "go on", "wrap up"])
    rec = {**engine.record(state), "started_at": "2026-11-25T18:00:00"}
    line = history_lines([rec], dialog_set, engine, NOW).splitlines()[-1]
    assert line.endswith("no exercises (an exercise was paused)")
    assert "feeling" not in line and "hits" not in line


def test_safety_config_and_doctor(tmp_path):
    from assistant import config
    from assistant.cli import doctor

    settings = config.from_yaml("safety: {country: GB, helpline: Samaritans on 116 123, emergency: '999'}\n", "c.yaml")
    assert settings.safety == UK
    assert doctor.safety_check(settings).ok
    unset = doctor.safety_check(config.Settings())
    assert not unset.ok and unset.warning and "local emergency number" in unset.detail
    with pytest.raises(config.ConfigError) as err:
        config.from_yaml("safety: {contry: GB}\n", "c.yaml")
    assert "safety" in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------- help


def test_help_more_than_twice_moves_on(engine):
    state, said = play(engine, ["high", "a long hug", "help", "help", "help"])
    assert said.count("Say hug, or hold hands. If neither feels right tonight, say pass. That's completely fine.") == 3
    assert state.frame.dialog == "check-in" and state.frame.node == "another"


def test_help_count_starts_again_at_each_question(engine):
    state, said = play(engine, ["help", "help", "high", "help", "help"])
    assert state.frame.node == "menu" and state.helps == 2


def test_declining_the_check_ins_own_quiet_moment_simply_ends_it(engine):
    state, said = play(engine, ["high", "leave the day", "stop, I don't want this"])
    assert said[-2] == "Of course. Let's stop right there. Thank you for saying so."
    assert state.frame.node == "menu" and state.outcome is None


def test_a_day_said_for_the_activity_is_kept_and_the_activity_asked(engine):
    state, said = play(engine, ["sunday morning"], dialog="plan-a-date")
    assert state.frame.slots["date"] == "2026-11-29" and state.frame.slots.get("time") is None
    assert said[-1] == "What would you like to do together?"


def test_typed_chat_keeps_the_time_of_a_timed_moment():
    """ "I'll keep the time" is true in typed mode too: the moment ends by itself after its
    seconds (nothing typed), or earlier when something is typed."""
    import io

    from assistant.formats.events import Heard, Listen, Silence
    from assistant.home.session import ConsoleTurns

    hug = Listen("affection/count_start", "capture", no_input_s=10.0, expect_silence=True)
    waited: list[float] = []

    def nothing_typed(seconds):
        waited.append(seconds)
        return False

    def never_read(prompt):
        raise AssertionError("a timed moment that ran out reads nothing")

    out = io.StringIO()
    assert ConsoleTurns(read=never_read, out=out, wait=nothing_typed).next_turn(hug, 0.0) == Silence(10.0)
    assert waited == [10.0] and "10 seconds" in out.getvalue()
    typed = ConsoleTurns(read=lambda prompt: "stop", out=io.StringIO(), wait=lambda s: True)
    assert typed.next_turn(hug, 0.0) == Heard("stop")
    question = Listen("check-in/energy", "capture", no_input_s=8.0)
    assert ConsoleTurns(read=lambda p: "", out=io.StringIO(), wait=nothing_typed).next_turn(question, 0.0) == Silence(
        8.0
    )
    assert waited == [10.0], "an ordinary question waits for Enter, as before"
