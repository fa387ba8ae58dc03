"""Issue 19, the meaning side: how people really say it.  Every example the issue quotes is a
row here, read through ``checkin understand`` (as dialog authors use it) or ``interpret``;
the new acts (withdraw, content_free, ask_coach, contempt) and fields (topic, tone, grief)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main as cli
from assistant.loader.dialogs import load_tables
from assistant.text.meaning import Ask, interpret

ROOT = Path(__file__).resolve().parent.parent
TABLES = load_tables(ROOT / "dialogs")


def understand(capsys, text: str, at: str = "text") -> dict:
    code = cli.main(["understand", text, "--at", at, "--json", "--now", "2026-11-25T20:00"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# (what was said, where, the act, other fields expected) -- verbatim from issue 19
ISSUE_ROWS = [
    # safety: second, first and third person, indirect
    ("you pushed me into the door last week", "paraphrase", "distress", {}),
    ("you slapped me in front of the kids", "text", "distress", {}),
    ("i don't feel safe at home anymore", "feeling", "distress", {}),
    ("i just want to go to sleep and not wake up", "text", "distress", {"safety": "suicide"}),
    ("i wrote a goodbye letter", "text", "distress", {"safety": "suicide"}),
    ("i have to hide the car keys so he can't follow me", "text", "distress", {}),
    ("sometimes i'm scared of how he gets when he drinks", "paraphrase", "distress", {}),
    # consent during touch
    ("that's enough for me", "touch", "withdraw", {}),
    ("i want to let go now", "touch", "withdraw", {}),
    ("can we stop", "touch", "withdraw", {}),
    ("ow, let go", "touch", "withdraw", {}),
    ("i changed my mind", "touch", "withdraw", {}),
    # empty answers are not content
    ("okay", "paraphrase", "content_free", {}),
    ("yes", "paraphrase", "content_free", {}),
    ("sure", "text", "content_free", {}),
    ("fine", "text", "content_free", {}),
    ("yes", "text", "content_free", {}),
    ("no, I don't agree", "text", "deny", {}),
    ("you're pathetic honestly", "text", "contempt", {"tone": "contempt"}),
    ("i'll do the dishes forever, happy now?", "text", "contempt", {"tone": "sarcasm"}),
    ("no, that's ok", "appreciation-round:keep", "deny", {"content": "no"}),
    ("no, that's ok", "yes_no", "deny", {}),
    # questions people ask
    ("are you recording this?", "text", "ask_coach", {"topic": "recording"}),
    ("are you a real therapist?", "paraphrase", "ask_coach", {"topic": "therapist"}),
    ("what is this exercise for?", "yes_no", "ask_coach", {"topic": "purpose"}),
    # grief
    ("sad. my dad died last month", "feeling", "answer", {"content": "sad", "grief": "loss"}),
    ("i just want to be with him again. nothing matters much", "text", "answer", {"grief": "hopeless"}),
    # hedges at a confirmation
    ("I'm not sure", "yes_no", "unsure", {}),
    # false alarms stay rare
    ("i cut myself chopping onions", "text", "answer", {}),
    ("he hit me up for money", "text", "answer", {}),
]


@pytest.mark.parametrize(("said", "at", "act", "fields"), ISSUE_ROWS, ids=[f"{r[1]}: {r[0]}" for r in ISSUE_ROWS])
def test_the_issue_examples_are_read_as_meant(capsys, said, at, act, fields):
    got = understand(capsys, said, at)
    assert got["act"] == act, got
    for key, value in fields.items():
        assert got.get(key) == value, got
    if act == "distress":
        assert set(got) <= {"at", "act", "safety", "confidence", "scores", "decided_by"}, (
            "nothing of a disclosure is kept"
        )


def test_understand_prints_the_act_the_content_the_scores_and_the_rule(capsys):
    assert cli.main(["understand", "sad. my dad died last month", "--at", "feeling"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "act: answer" in out and "content: sad" in out and "grief: loss" in out
    assert any(line.startswith("rules: answer") for line in out)
    assert any(line.startswith("reader: ") for line in out)
    assert any(line.startswith("decided by: ") for line in out)


@pytest.mark.parametrize("at", ["nope", "paraphrase-back:nonode", "nodialog:x"])
def test_understand_at_an_unknown_place_is_one_line_and_exit_2(capsys, at):
    assert cli.main(["understand", "yes", "--at", at]) == 2
    err = capsys.readouterr().err
    assert err.startswith("checkin: --at:") and err.count("\n") == 1


KEEP_GOING = ["this is nice", "mm keep going", "yes", "this is lovely, a bit longer", "don't stop", "mmm"]
STOP_TOUCH = [
    "ok that's enough",
    "yes but i want to stop",
    "not really",
    "can we let go",
    "i'm done",
    "um",
    "it hurts my back",
    "this is nice but i'd like to stop now",
    "stop",
    "hmm I don't know",
]


@pytest.mark.parametrize("said", KEEP_GOING)
def test_a_clear_keep_going_during_touch_is_affirm(said):
    assert interpret(said, Ask("touch"), TABLES).act == "affirm"


@pytest.mark.parametrize("said", STOP_TOUCH)
def test_anything_else_during_touch_is_withdraw(said):
    assert interpret(said, Ask("touch"), TABLES).act == "withdraw"


def test_danger_during_touch_is_distress():
    assert interpret("you're hurting me", Ask("touch"), TABLES).act == "distress"


@pytest.mark.parametrize(
    "said",
    ["ok", "yes", "same", "same here", "what she said", "me too", "uh huh", "got it", "i agree", "exactly", "that"],
)
@pytest.mark.parametrize("kind", ["paraphrase", "text", "activity"])
def test_content_free_answers_are_never_answers_at_an_open_question(said, kind):
    got = interpret(said, Ask(kind), TABLES)
    assert got.act == "content_free" and not got.is_content, got


@pytest.mark.parametrize(
    ("said", "kind", "act"),
    [
        ("okay", "yes_no", "affirm"),  # at a closed question a yes is a yes
        ("i don't know", "paraphrase", "dont_know"),
        ("whatever", "text", "you_pick"),
        ("no thanks", "text", "deny"),  # a refusal is not filler
        ("you said you feel alone in the evenings", "paraphrase", "answer"),
        ("same as last year, a walk by the river", "activity", "answer"),
    ],
)
def test_content_free_leaves_other_acts_and_real_content_alone(said, kind, act):
    assert interpret(said, Ask(kind), TABLES).act == act


@pytest.mark.parametrize(
    ("said", "topic"),
    [
        ("is this being recorded", "recording"),
        ("what do you keep", "recording"),
        ("does any of this go to the internet", "privacy"),
        ("is anyone else listening", "privacy"),
        ("am i talking to a real person", "therapist"),
        ("are you ai", "therapist"),
        ("whose side are you on", "sides"),
        ("are you going to tell us who is right", "sides"),
        ("why are we doing this", "purpose"),
        ("what's the point of this", "purpose"),
    ],
)
def test_questions_to_the_coach_name_their_topic(said, topic):
    got = interpret(said, Ask("text"), TABLES)
    assert (got.act, got.topic) == ("ask_coach", topic)


@pytest.mark.parametrize(
    ("said", "tone", "act"),
    [
        ("you're such an idiot", "contempt", "contempt"),
        ("oh poor baby", "contempt", "contempt"),
        ("yeah right like that will ever happen", "sarcasm", "contempt"),
        ("you always leave your socks on the floor", "criticism", "answer"),
        ("it's not my fault the car broke", "defensive", "answer"),
        ("you always make me laugh", None, "answer"),  # appreciation is not criticism
    ],
)
def test_tone_is_noted_and_contempt_is_its_own_act(said, tone, act):
    got = interpret(said, Ask("text"), TABLES)
    assert (got.tone, got.act) == (tone, act)


@pytest.mark.parametrize(
    "said",
    [
        "i'm not sure",
        "not totally sure",
        "probably",
        "let me think about it",
        "i'm in two minds",
        "maybe",
        "i guess so",
        "it depends",
    ],
)
def test_hedges_at_a_confirmation_are_unsure(said):
    assert interpret(said, Ask("yes_no"), TABLES).act == "unsure"


@pytest.mark.parametrize(
    "said",
    [
        "she pushed me to apply for the job",
        "he beat me at chess again",
        "my mum is going to kill me when she sees the carpet",
        "i burnt myself on the oven",
        "it hit me hard when i heard the news",
        "you grabbed me a coffee this morning",
        "i hurt her feelings yesterday",
        "she's scared of spiders",
    ],
)
def test_everyday_look_alikes_are_not_danger(said):
    assert interpret(said, Ask("text"), TABLES).act != "distress"
