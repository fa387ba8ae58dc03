"""The reader by meaning (issue 19): the model is rebuilt the same from the tuning corpus, it is
combined with the rules by the documented rule, and a missing or broken model is one warning
line and the rules alone."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import app
from assistant.cli import main as cli
from assistant.config import Settings
from assistant.loader.dialogs import load_tables
from assistant.text.meaning import Ask, Meaning, interpret
from assistant.text.meaning.reader import THRESHOLDS, ReaderError, combine, load_model

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "reader.npz"
T = {name: 0.5 for name in THRESHOLDS}


def p(**labels: float) -> dict[str, float]:
    return labels


def test_the_committed_model_is_what_the_script_builds_from_the_corpus():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_reader.py"), "--check", "--out", str(MODEL)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    with np.load(MODEL) as data:
        assert (
            str(data["corpus_sha256"])
            == __import__("hashlib")
            .sha256((ROOT / "tests" / "data" / "understanding_tuning.tsv").read_bytes())
            .hexdigest()
        )


def test_the_committed_model_is_small_and_names_every_threshold():
    assert MODEL.stat().st_size < 200_000
    model = load_model(MODEL)
    assert set(THRESHOLDS) <= set(model.thresholds)
    assert {"danger_self", "everyday", "touch_withdraw", "content", "question_sides"} <= set(model.labels)


@pytest.mark.parametrize("rules_act", ["answer", "affirm", "unclear", "stop", "decline", "ask_coach"])
def test_danger_is_raised_when_the_reader_raises_it_whatever_the_rules_read(rules_act):
    got = combine(p(danger_partner_violence=0.9, everyday=0.1), T, Ask("text"), Meaning(rules_act))
    assert (got.act, got.safety, got.decided_by) == ("distress", "violence", "reader")


def test_danger_raised_by_the_rules_stands_whatever_the_reader_reads():
    got = combine(p(everyday=1.0), T, Ask("choice"), Meaning("distress", safety="suicide"))
    assert (got.act, got.safety, got.decided_by) == ("distress", "suicide", "rules")
    both = combine(p(danger_self=0.9, everyday=0.1), T, Ask("text"), Meaning("distress", safety="suicide"))
    assert both.decided_by == "both" and both.scores["reader:danger"] == pytest.approx(0.9)


def test_during_touch_either_reader_ends_it():
    assert combine(p(touch_withdraw=0.9, touch_continue=0.1), T, Ask("touch"), Meaning("affirm")).act == "withdraw"
    assert combine(p(touch_continue=0.9, touch_withdraw=0.1), T, Ask("touch"), Meaning("withdraw")).act == "withdraw"
    kept = combine(p(touch_continue=0.9, touch_withdraw=0.1), T, Ask("touch"), Meaning("affirm"))
    assert (kept.act, kept.decided_by) == ("affirm", "both")


def test_the_reader_never_overrides_an_act_the_rules_found():
    for act in ("stop", "decline", "dont_keep", "question", "nothing"):
        got = combine(p(question_sides=0.9, contempt=0.05, content=0.05), T, Ask("text"), Meaning(act))
        assert got.act == act


def test_the_reader_decides_where_the_rules_found_no_act():
    topic = combine(p(question_privacy=0.8, content=0.2), T, Ask("paraphrase"), Meaning("answer", content="x"))
    assert (topic.act, topic.topic, topic.content, topic.decided_by) == ("ask_coach", "privacy", None, "reader")
    mock = combine(p(sarcasm=0.7, content=0.3), T, Ask("text"), Meaning("answer", content="x"))
    assert (mock.act, mock.tone, mock.content) == ("contempt", "sarcasm", None)
    hedge = combine(p(hedge=0.8, consent_yes=0.2), T, Ask("yes_no"), Meaning("affirm"))
    assert hedge.act == "unsure"
    empty = combine(p(content_free=0.6, consent_yes=0.3, content=0.1), T, Ask("text"), Meaning("answer", content="x"))
    assert (empty.act, empty.content) == ("content_free", None)
    closed = combine(p(content_free=0.9, content=0.1), T, Ask("yes_no"), Meaning("affirm"))
    assert closed.act == "affirm"  # content_free is for open questions only


def test_grief_and_tone_are_the_rules_else_the_readers():
    got = combine(p(hopelessness=0.8, content=0.2), T, Ask("text"), Meaning("answer", content="x"))
    assert got.grief == "hopeless" and got.act == "answer"
    kept = combine(p(hopelessness=0.8, content=0.2), T, Ask("text"), Meaning("answer", content="x", grief="loss"))
    assert kept.grief == "loss"


def test_a_missing_model_is_one_warning_line_and_the_rules_read_alone(tmp_path, capsys):
    dset = app.dialogs(Settings(dialogs=ROOT / "dialogs"), reader_model=tmp_path / "nope.npz")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reader by meaning is off" in err and "nope.npz" in err
    assert dset.meaning is not None and dset.meaning.reader is None
    assert interpret("he hits me", Ask("text"), dset.meaning).act == "distress"


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_a_broken_model_is_one_clear_line(tmp_path, content):
    bad = tmp_path / "reader.npz"
    bad.write_bytes(content)
    with pytest.raises(ReaderError) as err:
        load_model(bad)
    assert "reader.npz" in str(err.value) and "\n" not in str(err.value)


def test_a_model_of_another_format_is_refused(tmp_path):
    with np.load(MODEL) as data:
        parts = {k: data[k] for k in data.files}
    parts["format"] = np.array(99)
    other = tmp_path / "reader.npz"
    np.savez(other, **parts)
    with pytest.raises(ReaderError, match="format 99"):
        load_model(other)


def test_understand_shows_the_readers_scores_and_who_decided(capsys):
    assert cli.main(["understand", "i have to hide the car keys so he can't follow me"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "act: distress" in out
    reader_line = next(line for line in out if line.startswith("reader: "))
    assert "none loaded" not in reader_line and "danger" in reader_line
    assert any(line.startswith("decided by: ") for line in out)


def test_with_the_reader_the_rules_examples_still_hold():
    tables = load_tables(ROOT / "dialogs")
    reader = app.load_reader(MODEL)
    assert reader is not None
    both = replace(tables, reader=reader)
    for said, kind, act in [
        ("he hit me up for money", "text", "answer"),
        ("i cut myself chopping onions", "text", "answer"),
        ("you pushed me into the door last week", "text", "distress"),
        ("can we stop", "touch", "withdraw"),
        ("this is nice", "touch", "affirm"),
        ("yes", "paraphrase", "content_free"),
        ("you never get time alone at night", "paraphrase", "answer"),
        ("no, that's ok", "yes_no", "deny"),
    ]:
        assert interpret(said, Ask(kind), both).act == act, said
