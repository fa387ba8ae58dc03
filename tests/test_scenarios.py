"""One test per scenario file in tests/scenarios: each runs through `checkin simulate` and
checks its own `expect` block (outcome, exercise entries, what was said)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main as cli

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path, capsys):
    code = cli.main(["simulate", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    record = json.loads(out)
    assert record["outcome"] in ("completed", "stopped", "abandoned", "forgotten")
    assert record["ended_at"] is not None


def test_every_exercise_has_scenarios(dialog_set):
    text = "\n".join(p.read_text() for p in SCENARIOS)
    for dialog in dialog_set.exercises():
        assert dialog.id in text or dialog.title in text, f"no scenario runs {dialog.id}"


def test_the_menu_offers_every_exercise_by_its_natural_name(engine, dialog_set):
    from datetime import datetime

    from assistant.engine import Context
    from assistant.formats.events import Heard

    for dialog in dialog_set.exercises():
        for name in (dialog.title, *dialog.names):
            state, _ = engine.start(Context(("Maya", "Sam"), datetime(2026, 11, 25, 18), "s1"))
            state, _ = engine.handle(state, Heard("high"))
            state, _ = engine.handle(state, Heard(name))
            assert state.frame.dialog == dialog.id, (
                f"saying {name!r} at the menu starts {state.frame.dialog}, not {dialog.id}"
            )


def test_safe_space_rules_are_said_once_per_session(tmp_path, capsys):
    log = tmp_path / "events.jsonl"
    assert (
        cli.main(
            ["simulate", str(Path(__file__).parent / "scenarios" / "safe_space_said_once.yaml"), "--log", str(log)]
        )
        == 0
    )
    capsys.readouterr()
    says = [e["text"] for e in map(json.loads, log.read_text().splitlines()) if e["type"] == "say"]
    assert sum("kind space" in s for s in says) == 1
    assert any(s.startswith("Let's dream a little") for s in says), "the second sensitive exercise ran"


def test_a_wrong_expectation_fails(tmp_path, capsys):
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text(
        "start: plan-a-date\nnow: 2026-11-25T18:00:00\n"
        "turns: [{text: a picnic}, {text: saturday}, {text: noon}, {text: 'yes'}]\n"
        "expect: {outcome: completed, exercises: [{exercise: plan-a-date, date: '2026-11-29'}], says: [nothing like this]}\n"
    )
    assert cli.main(["simulate", str(scenario)]) == 3, "unmet expectations have their own exit code"
    err = capsys.readouterr().err
    assert "'2026-11-29'" in err and "'2026-11-28'" in err
    assert "never said" in err
    assert err.strip().splitlines()[-1].endswith("FAIL: 2 expectation(s) not met (completed, 1 exercise entries)")


def test_a_passing_scenario_prints_one_pass_line(capsys):
    assert cli.main(["simulate", str(Path(__file__).parent / "scenarios" / "date_corrections.yaml")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pass: expectations met (completed" in err[0]


def test_turns_that_run_out_are_silence(tmp_path, capsys):
    scenario = tmp_path / "short.yaml"
    scenario.write_text("start: name-a-feeling\nturns: [{text: happy}]\n")
    assert cli.main(["simulate", str(scenario)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["outcome"] == "abandoned"
    assert record["exercises"][0]["feeling"] == "happy"
    assert record["exercises"][0]["complete"] is False


@pytest.mark.parametrize(
    "text, message",
    [
        ("turns: [{txt: hi}]\n", "turns[0].txt: unknown field"),
        ("start: check-in\nnow: not a date\nturns: []\n", "now: not an ISO date-time"),
        ("start: nope\nturns: []\n", "start: no dialog named 'nope'"),
        ("turns: [\n", "not valid YAML"),
    ],
)
def test_bad_scenarios_give_one_line(tmp_path, capsys, text, message):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text)
    assert cli.main(["simulate", str(scenario)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "bad.yaml" in err and "\n" not in err
