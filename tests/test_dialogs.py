"""Dialog files: the shipped ones are valid; every broken one gives one line naming file,
line and field; `checkin validate` exits 0 / 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import main as cli
from assistant.loader.dialogs import DialogError, from_yaml, load_dir, validate_dir

GOOD = """\
id: tiny
kind: exercise
title: tiny
record: {exercise: tiny, answer: $answer}
start: ask
nodes:
  ask:
    say: "What is it, {partner}?"
    capture: {slot: answer}
    next: end
"""


def test_shipped_dialogs_are_valid(dialog_set):
    assert {"check-in", "paraphrase-back", "name-a-feeling", "plan-a-date"} <= set(dialog_set.dialogs)
    assert len(dialog_set.lexicons["feelings"].words) >= 100
    assert len(dialog_set.lexicons["feelings"].families) >= 8


def test_a_new_exercise_is_one_yaml_file(dialogs_copy):
    root = dialogs_copy.root
    (root / "tiny.yaml").write_text(GOOD)
    dset = load_dir(root)
    assert "tiny" in [d.id for d in dset.exercises()]


BROKEN = [
    # (what, yaml text, line, field fragment, message fragment)
    ("missing start", GOOD.replace("start: ask\n", ""), 1, "", "'start' is missing"),
    ("unknown goto", GOOD.replace("next: end", "next: nowhere"), 10, "nodes.ask.next", "no node named 'nowhere'"),
    ("typo in a field", GOOD.replace("capture: {slot", "captur: {slot"), 9, "nodes.ask.captur", "unknown field"),
    ("wrong type", GOOD.replace('say: "What is it, {partner}?"', "say: 42"), 8, "nodes.ask.say", "text"),
    ("bare yes", GOOD.replace('say: "What is it, {partner}?"', "say: yes"), 8, "nodes.ask.say", "quotes"),
    ("bad template", GOOD.replace("{partner}?", "{partner?"), 8, "nodes.ask.say", "template"),
    (
        "two capabilities",
        GOOD.replace("    next: end", "    choice: [{label: a}]\n    next: end"),
        7,
        "nodes.ask",
        "more than one capability",
    ),
    ("duplicate key", GOOD.replace("    next: end", "    next: end\n    next: ask"), 11, "nodes.ask.next", "twice"),
    ("not yaml", GOOD.replace("nodes:", "nodes: [\n"), None, "", "not valid YAML"),
    (
        "exercise without record",
        GOOD.replace("record: {exercise: tiny, answer: $answer}\n", ""),
        1,
        "record",
        "missing",
    ),
    (
        "branch without fallback",
        GOOD.replace("    capture: {slot: answer}\n", "    branch: [{if: {slot: x, eq: 1}, goto: end}]\n"),
        9,
        "nodes.ask.branch",
        "fallback",
    ),
    ("bad kind", GOOD.replace("kind: exercise", "kind: game"), 2, "kind", "is not one of"),
]


@pytest.mark.parametrize("what, text, line, field, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_dialog_names_file_line_field(what, text, line, field, message):
    with pytest.raises(DialogError) as info:
        from_yaml(text, "dialogs/tiny.yaml")
    error = info.value
    text_of_error = str(error)
    assert "\n" not in text_of_error
    assert text_of_error.startswith("dialogs/tiny.yaml")
    assert message in text_of_error
    if line is not None:
        assert error.line == line, text_of_error
    assert field in (error.field or ""), text_of_error


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "name-a-feeling.yaml",
            "name: feelings",
            "name: feelz",
            "name-a-feeling.yaml:{line}: nodes.ask.lexicon.name: unknown lexicon 'feelz'",
        ),
        (
            "paraphrase-back.yaml",
            'like: "no"',
            "like: nah",
            "paraphrase-back.yaml:{line}: nodes.check.choice[1].like: no phrase set 'nah' in common.yaml",
        ),
        (
            "common.yaml",
            "  stop: [stop,",
            "  stopp: [stop,",
            "common.yaml:{line}: commands.stopp: unknown field (did you mean 'stop'?)",
        ),
        (
            "lexicons/feelings.yaml",
            "  fine: [calm, content, relieved]",
            "  fine: [calm, contented]",
            "feelings.yaml:{line}: vague.fine[1]: 'contented' is not a word of this lexicon",
        ),
    ],
)
def test_validate_cli_reports_each_broken_file(dialogs_copy, capsys, file, old, new, expected):
    line = dialogs_copy.edit(file, old, new)
    expected = expected.format(line=line)
    assert cli.main(["validate", str(dialogs_copy.root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(expected), err


def test_validate_reports_several_files(dialogs_copy, capsys):
    root = dialogs_copy.root
    for name in ("plan-a-date.yaml", "check-in.yaml"):
        (root / name).write_text((root / name).read_text().replace("start:", "begin:", 1))
    errors = validate_dir(root)
    assert len(errors) == 2 and all(": begin: unknown field" in str(e) for e in errors)
    assert cli.main(["validate", str(root)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 2


def test_validate_ok(capsys):
    assert cli.main(["validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_broken_dialog_anywhere_gives_the_same_line(tmp_path, dialogs_copy, capsys):
    root = dialogs_copy.root
    (root / "plan-a-date.yaml").write_text((root / "plan-a-date.yaml").read_text().replace("next: done", "next: dnoe"))
    config = tmp_path / "config.yaml"
    config.write_text(f"dialogs: {root}\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("turns: []\n")
    assert cli.main(["simulate", str(scenario), "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    line = dialogs_copy.line_of("plan-a-date.yaml", "next: dnoe")
    assert err.endswith(f"plan-a-date.yaml:{line}: nodes.plan.next: no node named 'dnoe'") and "\n" not in err


def test_turn_timing_is_required_in_common_yaml_defaults():
    """One home for turn timing: common.yaml must give every listen mode its timeouts."""
    import yaml as _yaml

    from assistant.loader.dialogs import DialogError, common_from_dict

    path = Path(__file__).resolve().parent.parent / "dialogs" / "common.yaml"
    data = _yaml.safe_load(path.read_text())
    common_from_dict(data, str(path))
    del data["defaults"]["timeouts"]["capture"]["end_silence_s"]
    with pytest.raises(DialogError, match="end_silence_s"):
        common_from_dict(data, str(path))
    del data["defaults"]["timeouts"]
    with pytest.raises(DialogError, match="timeouts"):
        common_from_dict(data, str(path))


def _messages_the_code_speaks() -> set[str]:
    """Every common.yaml message name written in assistant/: ``message("x")`` (all literals of
    its first argument), ``messages["x"]``, ``messages.get("x")``, and house.py's ``BUSY``."""
    import ast

    from assistant.home import house

    names = {house.BUSY}
    for path in (Path(__file__).resolve().parent.parent / "assistant").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            arg: ast.AST | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                if node.func.attr == "message" or (
                    node.func.attr == "get"
                    and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "messages"
                ):
                    arg = node.args[0]
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "messages"
            ):
                arg = node.slice
            if arg is not None:
                names |= {c.value for c in ast.walk(arg) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return names


def test_every_message_the_code_speaks_is_required_at_load():
    """One place declares the common.yaml messages Python uses (REQUIRED_MESSAGES); the code uses no other."""
    from assistant.loader.dialogs import REQUIRED_MESSAGES

    used = _messages_the_code_speaks()
    assert {"busy_elsewhere", "forgotten", "not_kept_again", "safety_go_on", "surprise", "skipped"} <= used, used
    assert used - set(REQUIRED_MESSAGES) == set()


@pytest.mark.parametrize("name", ["busy_elsewhere", "forgotten_offer", "not_kept_again", "safety_offer"])
def test_a_missing_message_is_one_line_at_validate_and_doctor(tmp_path, dialogs_copy, capsys, name):
    from assistant import config
    from assistant.cli import doctor

    root = dialogs_copy.root
    common = root / "common.yaml"
    lines = common.read_text().splitlines(keepends=True)
    common.write_text("".join(line for line in lines if not line.startswith(f"  {name}:")))
    assert cli.main(["validate", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith(f"messages.{name}: is missing") and "\n" not in err and "common.yaml:" in err
    check = next(doctor.run_checks(config.from_yaml(f"dialogs: {root}\n", "c.yaml")))
    assert check.name == "dialogs" and not check.ok and f"messages.{name}: is missing" in check.detail
