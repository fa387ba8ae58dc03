"""Prompts stay brief: every turn (everything said before the next listen) is at most 40
words, and no line is said more than twice in one session (repeats and re-asks aside).
Every scenario is rendered as written, and again with every free answer made long (a
60-word answer must not make a 60-word read-back)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from assistant.cli import main as cli
from assistant.loader import scenario

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))
MAX_WORDS = 40
MAX_SAME_LINE = 2

PENDING: dict[str, str] = {}
"""Nodes whose turn is over the limit in files this branch does not own; see the report."""


def turns(log: Path) -> list[list[dict]]:
    """The say events between listens: one list per turn."""
    out: list[list[dict]] = [[]]
    for event in map(json.loads, log.read_text().splitlines()):
        if event["type"] == "say":
            out[-1].append(event)
        elif event["type"] == "listen":
            out.append([])
    return [t for t in out if t]


def simulate(path: Path, tmp_path: Path, capsys) -> list[list[dict]]:
    log = tmp_path / f"{path.stem}.jsonl"
    assert cli.main(["simulate", str(path), "--log", str(log)]) in (
        0,
        3,
    )  # 3: its own expectations unmet (test_scenarios says which)
    capsys.readouterr()
    return turns(log)


def words(turn: list[dict]) -> int:
    return len(" ".join(e["text"] for e in turn).split())


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_turn_is_at_most_forty_words(path, tmp_path, capsys):
    for turn in simulate(path, tmp_path, capsys):
        if any(e["node"] in PENDING for e in turn):
            continue
        text = " | ".join(e["text"] for e in turn)
        assert words(turn) <= MAX_WORDS, f"{words(turn)} words: {text}"


def unnamed(text: str, partners: list[str]) -> str:
    """A line with the partners' names taken out: "Sam, just let it in" and "Maya, just let
    it in" are the same line to the ear."""
    for name in partners:
        text = re.sub(rf"\b{re.escape(name)}\b", "NAME", text)
    return text


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_no_line_is_said_more_than_twice_in_a_session(path, tmp_path, capsys):
    said: Counter[str] = Counter()
    previous: list[list[str]] = []
    partners = list(scenario.load(path).partners or ("Maya", "Sam"))
    for turn in simulate(path, tmp_path, capsys):
        texts = [unnamed(e["text"], partners) for e in turn]
        recent = {t for p in previous[-1:] for t in p} | {p[-1] for p in previous[-2:]}
        for text in texts:
            if text in recent:  # a repeat, or a question asked again (re-prompt, resume, go back)
                continue
            said[text] += 1
        previous.append(texts)
    over = {t: n for t, n in said.items() if n > MAX_SAME_LINE}
    assert not over, over


LONG_TAIL = (
    "and honestly I have been carrying it around for weeks now, with work and your mother and the kids and "
    "everything else going on at home, so I keep thinking about it at night when I should be sleeping and "
    "I just wish you would notice it without me having to say it every single time"
)
"""Added to every free answer: with it, an answer is 50 to 70 words."""


def long_answers(path: Path, engine) -> list[list[str]]:
    """The scenario with every answer to an open question made long: the turns said."""
    from assistant.engine import Context
    from assistant.formats.events import End, Heard, Listen, Say, Silence

    scen = scenario.load(path)
    partners = tuple(scen.partners or ("Maya", "Sam"))
    context = Context(partners, scen.now or datetime(2026, 11, 25, 18), "long", memory=scen.memory, styles=scen.styles)
    state, actions = engine.start(context, scen.start or "check-in")
    said: list[list[str]] = [[]]
    for turn in [*scen.turns, *([{"silence": 10}] * 12)]:
        for action in actions:
            if isinstance(action, Say):
                said[-1].append(action.text)
            elif isinstance(action, Listen):
                said.append([])
        if any(isinstance(a, End) for a in actions):
            break
        listen = next((a for a in reversed(actions) if isinstance(a, Listen)), None)
        if "text" in turn:
            text = turn["text"]
            if listen is not None and listen.mode == "capture" and not listen.expect_silence and len(text.split()) > 2:
                text = f"{text.rstrip('.')} {LONG_TAIL}"
            state, actions = engine.handle(state, Heard(text, seconds=float(turn.get("seconds", 0))))
        else:
            state, actions = engine.handle(state, Silence(float(turn.get("silence", 10))))
    return [t for t in said if t]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_turn_is_at_most_forty_words_with_long_answers(path, engine):
    for turn in long_answers(path, engine):
        text = " | ".join(turn)
        assert len(" ".join(turn).split()) <= MAX_WORDS, f"{len(' '.join(turn).split())} words: {text}"
