"""The meaning layer: the table of real answers, the order acts are tried in, the safety screen
both ways, and the tables' own checks."""

from __future__ import annotations

import copy
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.loader.dialogs import DialogError, load_dir, load_tables
from assistant.text.meaning import (
    ACTS,
    COMMANDS,
    PRECEDENCE,
    Ask,
    Meaning,
    choose,
    interpret,
    resolve_when,
    screen,
    tables_from_data,
)

ROOT = Path(__file__).resolve().parent.parent
DIALOGS = ROOT / "dialogs"
CASES = yaml.safe_load((ROOT / "tests" / "data" / "meaning_cases.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 25, 20, 0)  # a Wednesday evening
TABLES = load_tables(DIALOGS)


def _energy_options() -> dict[str, tuple[str, ...]]:
    node = load_dir(DIALOGS).dialogs["check-in"].nodes["energy"]
    items = node.body["items"] if isinstance(node.body, dict) else node.body  # a levels node, or a choice
    return {item["label"]: tuple(item["phrases"]) for item in items}


ENERGY = _energy_options()


def ask_for(row: dict[str, Any]) -> Ask:
    kind = row["ask"]
    if kind == "energy":
        return Ask("scale", options=ENERGY, scale="energy")
    if kind.startswith("choice:"):
        spec = CASES["options"][kind.split(":", 1)[1]]
        return Ask("choice", options={k: tuple(v) for k, v in spec["choices"].items()}, acts=spec.get("acts") or {})
    return Ask(kind, activity=row.get("activity"), now=NOW)


def _row_id(row: dict[str, Any]) -> str:
    return f"{row['ask']}: {row['say']}"


@pytest.mark.parametrize("row", CASES["cases"], ids=_row_id)
def test_every_answer_in_the_table_is_read_as_expected(row: dict[str, Any]) -> None:
    got = interpret(row["say"], ask_for(row), TABLES)
    assert got.act == row["act"], got
    if "content" in row:
        assert got.content == row["content"], got
    elif row["act"] != "answer" or "issue" in row:
        assert got.content is None or "issue" in row, f"acts and non-answers carry no content: {got}"
    for key in ("family", "issue", "word", "safety"):
        if key in row:
            assert getattr(got, key) == row[key], got
    if row["act"] == "distress":
        assert got.content is None and got.word is None and got.when is None
    if any(k in row for k in ("day", "time", "daypart", "needs_hour")):
        assert got.when is not None, got
        if "day" in row:
            assert got.when.day is not None and got.when.day.strftime("%A").lower() == row["day"], got
        if "time" in row:
            assert got.when.time == time.fromisoformat(row["time"]), got
        else:
            assert got.when.time is None, f"no hour was said, none may be invented: {got}"
        if "daypart" in row:
            assert got.when.daypart == row["daypart"]
        assert got.when.needs_hour == row.get("needs_hour", False)


def test_the_table_is_big_and_covers_every_kind_of_answer() -> None:
    rows = CASES["cases"]
    assert len(rows) >= 170
    acts = {r["act"] for r in rows}
    assert {
        "answer",
        "affirm",
        "deny",
        "unsure",
        "dont_know",
        "decline",
        "you_pick",
        "question",
        "go_back",
        "dont_keep",
        "forget_tonight",
        "distress",
        "nothing",
        "unclear",
        *COMMANDS,
    } <= acts
    asks = {r["ask"].split(":")[0] for r in rows}
    assert asks == {"energy", "yes_no", "choice", "feeling", "activity", "paraphrase", "text", "when"}
    assert sum(1 for r in rows if r["act"] == "distress") >= 20
    assert sum(1 for r in rows if r["ask"] == "text" and "killing me" in r["say"] or "kill for" in r["say"]) >= 3


def test_the_issue_examples_are_in_the_table_verbatim() -> None:
    said = {r["say"] for r in CASES["cases"]}
    for example in (
        "not great",
        "we're doing pretty well",
        "hmm, not sure",
        "I don't think so",
        "yes",
        "I'm not in the mood",
        "no",
        "stop, I don't want this",
        "can we skip this one",
        "I don't have any hobbies",
        "ok",
        "whatever",
        "I don't care",
        "go back",
        "He hits me when he drinks",
        "Sometimes I think about killing myself",
        "I need help",
        "not too bad",
        "could be better",
        "not tired at all",
        "homesick",
        "kinda",
        "I guess",
        "skip",
        "not tonight",
        "I'd rather not",
        "you pick",
        "what do you mean?",
        "don't keep that",
        "forget tonight",
        "this deadline is killing me",
        "I could kill for a pizza",
        "not sure",
        "Sunday morning",
    ):
        assert example in said or example.capitalize() in said or example.lower() in said, example


# --------------------------------------------------------------------------- order of precedence


def test_precedence_is_written_down_once_and_names_every_act() -> None:
    assert set(PRECEDENCE) == ACTS
    assert PRECEDENCE[0] == "distress" and PRECEDENCE[-1] == "unclear"
    assert (
        PRECEDENCE.index("forget_tonight")
        < PRECEDENCE.index("stop")
        < PRECEDENCE.index("decline")
        < PRECEDENCE.index("affirm")
    )


@pytest.mark.parametrize(
    ("said", "kind", "act"),
    [
        ("help me", "text", "distress"),  # safety before the help command
        ("i need help", "yes_no", "distress"),
        ("help", "yes_no", "help"),
        ("stop", "choice", "stop"),  # a whole-answer command
        ("stop i dont want this", "choice", "decline"),  # a longer answer is not a command: the decline wins
        ("i want to stop working late", "text", "answer"),
        ("forget that stop", "text", "dont_keep"),  # privacy before commands
        ("pass", "choice", "decline"),  # common.yaml's pass phrases are the decline act
        ("not tonight", "yes_no", "decline"),  # decline before deny
        ("no idea", "yes_no", "dont_know"),  # the longer phrase hides "no"
        ("yes and no", "yes_no", "unsure"),
        ("yeah i guess", "yes_no", "unsure"),  # a hedge beats a yes
        ("no yes", "yes_no", "deny"),  # any no beats a yes
        ("i dont know what do you mean", "yes_no", "question"),
        ("whatever i dont know", "yes_no", "you_pick"),
    ],
)
def test_acts_are_tried_in_the_written_order(said: str, kind: str, act: str) -> None:
    ask = Ask(kind, options={"hug": ("hug",)} if kind == "choice" else {})
    assert interpret(said, ask, TABLES).act == act


def test_an_open_question_keeps_content_said_after_a_weak_act() -> None:
    got = interpret("i don't know, maybe bowling", Ask("activity"), TABLES)
    assert (got.act, got.content) == ("answer", "bowling")
    assert interpret("i don't know what to say", Ask("paraphrase"), TABLES).act == "dont_know"


def test_content_of_a_choice_comes_before_a_hedge_but_after_dont_know() -> None:
    energy = Ask("scale", options=ENERGY, scale="energy")
    assert interpret("medium i guess", energy, TABLES).content == "medium"
    assert interpret("i dont know", energy, TABLES).act == "dont_know"


def test_an_option_said_as_a_command_word_is_the_option() -> None:
    ask = Ask("choice", options={"another": ("keep going", "another"), "finish": ("finish",)})
    assert interpret("keep going", ask, TABLES).content == "another"
    assert interpret("keep going", Ask("text"), TABLES).act == "resume"


def test_choose_maps_acts_to_options() -> None:
    options = {"hug": ["a long hug", "hug"], "hold hands": ["hold hands"]}
    assert choose("yes", options, {"affirm": "hug"}, TABLES) == Meaning("affirm", content="hug")
    assert choose("yes", options, {}, TABLES) == Meaning("affirm")
    assert choose("not tonight", options, {"decline": "hold hands"}, TABLES).content == "hold hands"
    assert choose("no", options, {"affirm": "hug"}, TABLES) == Meaning("deny")
    assert choose("I'm scared of him", options, {"affirm": "hug"}, TABLES) == Meaning("distress", safety="abuse")


def test_acts_and_non_answers_are_never_content() -> None:
    for said in ("yes", "ok", "no", "whatever", "i don't know", "skip", "can we skip this one", "I don't think so"):
        for kind in ("feeling", "activity", "paraphrase", "text"):
            assert not interpret(said, Ask(kind), TABLES).is_content, (said, kind)
    assert interpret("pottery", Ask("activity"), TABLES).is_content
    assert not interpret("wistful", Ask("feeling"), TABLES).is_content  # asked about once first


def test_an_empty_or_filler_answer_is_unclear() -> None:
    for said in ("", "   ", "um", "uh hmm"):
        assert interpret(said, Ask("text"), TABLES) == Meaning("unclear", confidence=0.0)


def test_a_misheard_word_is_read_with_less_confidence() -> None:
    got = interpret("yeas", Ask("yes_no"), TABLES)
    assert got.act == "affirm" and got.confidence < 1.0
    assert interpret("yes", Ask("yes_no"), TABLES).confidence == 1.0


# --------------------------------------------------------------------------- safety, both ways

DANGER = [
    ("He hits me when he drinks", "violence"),
    ("she threatened me", "violence"),
    ("he said he'd kill me", "violence"),
    ("my husband pushed me", "violence"),
    ("Sometimes I think about killing myself", "suicide"),
    ("I want to die", "suicide"),
    ("i wish i was dead", "suicide"),
    ("i dont want to be alive anymore", "suicide"),
    ("I've been cutting myself", "self_harm"),
    ("I'm scared of him", "abuse"),
    ("I'm afraid of my partner", "abuse"),
    ("he forced me", "abuse"),
    ("i took a bottle of pills", "crisis"),
    ("I'm not safe at home", "crisis"),
    ("I need help", "help"),
    ("please help us", "help"),
]
FALSE_ALARMS = [
    "this deadline is killing me",
    "I could kill for a pizza",
    "my feet are killing me",
    "I died laughing",
    "I need help with the dishes",
    "we killed it at karaoke",
    "I'm dying to go to Rome",
    "I nearly killed myself laughing",
    "she's afraid of heights",
    "he never hurts anyone",
    "my boss will kill me if i'm late again",
    "help",
    "what can i say",
    "this cake is to die for",
    "i'm scared of the exam",
    "my back is killing me today",
    "we could have died of embarrassment",
    "the kids are driving me crazy",
    "i hit the gym",
    "he hit the nail on the head",
]


@pytest.mark.parametrize(("said", "category"), DANGER)
def test_danger_is_screened(said: str, category: str) -> None:
    assert screen(said, TABLES) == category
    assert screen(said.lower().replace("'", "").replace(",", ""), TABLES) == category  # as a recogniser writes it


@pytest.mark.parametrize("said", FALSE_ALARMS)
def test_false_alarms_are_not_crises(said: str) -> None:
    assert screen(said, TABLES) is None


def test_distress_wins_in_every_kind_of_question() -> None:
    for kind in ("yes_no", "choice", "scale", "feeling", "activity", "paraphrase", "text", "when"):
        got = interpret("he hits me when he drinks", Ask(kind, scale="energy", now=NOW), TABLES)
        assert got == Meaning("distress", safety="violence"), kind


# --------------------------------------------------------------------------- times


def test_times_follow_the_activity_and_the_daypart() -> None:
    def when(said: str, activity: str | None = None):
        return resolve_when(
            said, NOW, activity, dayparts=TABLES.dayparts, activities=TABLES.activities, default=TABLES.default_hours
        )

    assert when("brunch at eleven").time == time(11, 0)
    assert when("at eleven").time == time(23, 0)  # unmarked, no activity: evening (as before)
    assert when("at eight", "dinner").time == time(20, 0)
    assert when("at eight", "breakfast").time == time(8, 0)
    assert when("at eight pm", "breakfast").time == time(20, 0)  # said is said
    sunday = when("Sunday morning")
    assert (sunday.day is not None and sunday.day.weekday(), sunday.time, sunday.daypart, sunday.needs_hour) == (
        6,
        None,
        "morning",
        True,
    )
    assert when("brunch at eleven").rest == "brunch"
    assert when("tomorrow at noon").time == time(12, 0)


# --------------------------------------------------------------------------- the tables' own checks


def _raw(name: str) -> Any:
    return yaml.safe_load((DIALOGS / "meaning" / f"{name}.yaml").read_text(encoding="utf-8"))


def _build(**changes: Any):
    parts = {name: _raw(name) for name in ("acts", "scales", "safety", "times", "understanding")}
    for name, change in changes.items():
        change(parts[name])
    common = yaml.safe_load((DIALOGS / "common.yaml").read_text(encoding="utf-8"))
    return tables_from_data(
        parts["acts"], parts["scales"], parts["safety"], parts["times"], common, understanding=parts["understanding"]
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"acts": lambda d: d["acts"].update(agree={"anywhere": ["yes"]})}, "acts"),
        ({"acts": lambda d: d["acts"]["deny"]["anywhere"].append(False)}, "put them in quotes"),
        ({"safety": lambda d: d["categories"]["violence"].append("(unclosed")}, "not a valid pattern"),
        ({"safety": lambda d: d["categories"].update(gossip=["x"])}, "categories"),
        ({"scales": lambda d: d["scales"]["energy"]["words"].update(huge=["huge"])}, "is not one of the levels"),
        ({"times": lambda d: d["dayparts"].update(morning=[11, 5])}, "must not be after"),
        ({"acts": lambda d: d["commands"]["extra"].update(dance=["dance"])}, "not a command"),
    ],
)
def test_broken_tables_give_one_clear_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DialogError) as err:
        _build(**change)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_the_loaded_tables_are_the_files_in_dialogs() -> None:
    assert _build() == TABLES.__class__(**{**TABLES.__dict__, "feelings": None})
    assert TABLES.feelings is not None and "lonely" in TABLES.feelings.words and "homesick" not in TABLES.feelings.words
    assert copy.deepcopy(_raw("acts"))["id"] == "acts"


def test_a_missing_table_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "meaning").mkdir()
    with pytest.raises(DialogError, match="meaning table not found"):
        load_tables(tmp_path)


def test_checkin_validate_checks_the_meaning_tables(tmp_path: Path) -> None:
    import shutil

    from assistant.loader.dialogs import validate_dir

    shutil.copytree(DIALOGS, tmp_path / "d")
    assert validate_dir(tmp_path / "d") == []
    safety = tmp_path / "d" / "meaning" / "safety.yaml"
    safety.write_text(safety.read_text(encoding="utf-8").replace("  violence:\n", "  violense:\n"), encoding="utf-8")
    errors = validate_dir(tmp_path / "d")
    assert len(errors) == 1 and "safety.yaml" in str(errors[0]) and "violense" in str(errors[0])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(
    "yes no not sure i dont know he hits me kill myself stop help please the um maybe hug at eight sunday morning great tired".split()
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_WORDS, max_size=8).map(" ".join) | st.text(max_size=40),
    st.sampled_from(["yes_no", "choice", "scale", "feeling", "activity", "paraphrase", "text", "when"]),
)
def test_any_answer_gives_one_known_act_and_distress_keeps_nothing(said: str, kind: str) -> None:
    got = interpret(said, Ask(kind, options={"hug": ("hug",)}, scale="energy", now=NOW), TABLES)
    assert got.act in ACTS and 0.0 <= got.confidence <= 1.0
    if got.act == "distress":
        assert got.safety is not None and got.content is None and got.word is None
    if got.act not in ("answer",) and kind != "choice":
        assert got.content is None


def test_an_ask_with_an_unknown_kind_or_act_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Ask("essay")
    with pytest.raises(ValueError, match="unknown act 'agree'"):
        Ask("choice", options={"hug": ("hug",)}, acts={"agree": "hug"})
