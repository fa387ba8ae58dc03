"""The JSON-lines protocol (assistant/formats/protocol.py): strict input, bounded lines, valid UTF-8
out, its schema as docs/PROTOCOL.md documents it, and a closed pipe that ends quietly."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.formats import protocol
from assistant.formats.events import Heard, Silence
from assistant.formats.protocol import AudioTurn, TurnError

ROOT = Path(__file__).resolve().parent.parent


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_any_bytes_are_an_error_or_a_valid_turn(raw):
    try:
        turn = protocol.decode(raw)
    except TurnError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(turn, (Heard, Silence, AudioTurn))
    if isinstance(turn, Silence):
        assert 0 <= turn.seconds <= protocol.MAX_SILENCE_S
    else:
        (turn.text if isinstance(turn, Heard) else turn.path).encode("utf-8")


@given(
    st.lists(
        st.binary(max_size=80) | st.sampled_from([b'{"text": "hi"}', b'{"silence": 2}', b"\n", b"\r\n", b"\xff"]),
        max_size=8,
    )
)
@settings(max_examples=300, deadline=None)
def test_any_byte_stream_reads_as_turns_then_an_error_or_the_end(parts):
    reader = protocol.LineReader(io.BytesIO(b"".join(parts)))
    for _ in range(100):
        try:
            turn = reader.next_turn()
        except TurnError as exc:
            assert str(exc).startswith(f"input line {reader.number}: ")
            return
        if turn is None:
            return
        assert isinstance(turn, (Heard, Silence, AudioTurn))
    raise AssertionError("the reader never reached the end")


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["text", "silence", "audio", "confidence", "seconds", "x"]), json_values, max_size=4
    )
)
@settings(max_examples=400, deadline=None)
def test_any_json_object_is_an_error_or_a_valid_turn(item):
    raw = json.dumps(item).encode()
    try:
        turn = protocol.decode(raw)
    except TurnError:
        return
    if isinstance(turn, Heard):
        assert set(item) <= {"text", "confidence", "seconds"} and isinstance(item["text"], str)
    elif isinstance(turn, Silence):
        assert set(item) == {"silence"} and item["silence"] >= 0
    else:
        assert set(item) == {"audio"}


@pytest.mark.parametrize(
    "line, fragment",
    [
        (b'{"silence": -5}', "'silence' must be a number from 0 to 3600, not -5"),
        (b'{"silence": true}', "'silence' must be a number"),
        (b'{"silence": "5"}', "'silence' must be a number"),
        (b'{"silence": 1e400}', "'silence' must be a number"),
        (b'{"silence": NaN}', "not JSON"),
        (b'{"text": "hi", "confidence": 2}', "'confidence' must be a number from 0 to 1"),
        (b'{"text": "hi", "silence": 2}', "expected one of 'text', 'silence' or 'audio'"),
        (b'{"text": "hi", "colour": "red"}', "unknown field 'colour'"),
        (b'{"text": 5}', "'text' must be a string"),
        (b'{"text": "caf\xe9"}', "not UTF-8 text"),
        (b'{"text": "\\udc80"}', "lone surrogate"),
        (b"[" * 40_000 + b"]" * 20_000, "not JSON"),
        (b'"just a string"', "expected an object"),
    ],
)
def test_bad_turns_are_one_line_errors(line, fragment):
    with pytest.raises(TurnError) as caught:
        protocol.decode(line, "input line 1")
    assert fragment in str(caught.value) and str(caught.value).startswith("input line 1: ")


def test_a_long_line_is_refused_after_reading_at_most_the_cap():
    class Counting(io.BytesIO):
        read_total = 0

        def readline(self, size=-1):
            line = super().readline(size)
            Counting.read_total += len(line)
            return line

    stream = Counting(b'{"text": "' + b"x" * 10_000_000 + b'"}\n')
    reader = protocol.LineReader(stream)
    with pytest.raises(TurnError, match="input line 1: longer than the 65536 byte limit"):
        reader.next_turn()
    assert Counting.read_total <= protocol.MAX_LINE_BYTES + 1


def test_a_line_of_exactly_the_cap_is_read():
    text = "x" * (protocol.MAX_LINE_BYTES - len('{"text": ""}'))
    reader = protocol.LineReader(io.BytesIO(json.dumps({"text": text[: protocol.MAX_TEXT_CHARS]}).encode() + b"\n"))
    assert isinstance(reader.next_turn(), Heard)
    assert reader.next_turn() is None


def test_output_is_valid_utf8_even_for_lone_surrogates():
    line = protocol.encode({"type": "heard", "text": "caf\udce9 ok \u00e9", "confidence": None})
    line.encode("utf-8")
    assert json.loads(line)["text"] == "caf\udce9 ok \u00e9"
    assert (
        protocol.encode({"type": "say", "text": "Café", "node": "n", "rate": 1.0})
        == '{"type": "say", "text": "Café", "node": "n", "rate": 1.0}\n'
    )


def checkin(args, stdin: bytes, env, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.fixture
def env(tmp_path):
    return {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "LC_ALL": "C",
        "PYTHONIOENCODING": "",
    }


def test_every_event_of_a_session_matches_the_schema_and_end_of_input_is_its_own_event(env):
    stdin = b"".join(
        json.dumps(a).encode() + b"\n"
        for a in [{"text": "medium"}, {"silence": 3}, {"text": "plan a date"}, {"text": "a picnic"}]
    )
    result = checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00"], stdin, env)
    assert result.returncode == 0, result.stderr
    result.stdout.decode("utf-8")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    for event in events:
        protocol.check_event(event)
    types = [e["type"] for e in events]
    assert {"say", "listen", "heard", "silence", "end_of_input", "session_end"} <= set(types)
    first_eoi = types.index("end_of_input")
    assert "heard" not in types[first_eoi:] and types[-1] == "session_end"


def test_hostile_protocol_input_ends_in_one_line_with_exit_2(env):
    for stdin, fragment in [
        (b'{"text": "medium"}\n{"silence": -5}\n', "input line 2: 'silence' must be a number"),
        (b'{"text": "' + b"x" * 10_000_000 + b'"}\n', "input line 1: longer than the 65536 byte limit"),
        (b'{"text": "caf\xe9"}\n', "input line 1: not UTF-8 text"),
    ]:
        result = checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00"], stdin, env)
        err = result.stderr.decode().strip()
        assert (
            result.returncode == 2
            and err == f"checkin: {fragment}"
            or (result.returncode == 2 and fragment in err and "\n" not in err)
        ), err
        result.stdout.decode("utf-8")


def test_the_protocol_doc_documents_every_event_type():
    readme = (ROOT / "docs" / "PROTOCOL.md").read_text()
    section = readme[readme.index("### The JSON-lines protocol") :]
    section = section[: section.index("\n### ", 5)]
    for kind, fields in protocol.SCHEMA.items():
        match = re.search(r'\{"type": "' + kind + r'"([^}]*)\}', section)
        assert match, f"README does not show the {kind!r} event"
        assert set(re.findall(r'"(\w+)"', match.group(1))) >= set(fields), kind
    assert str(protocol.MAX_LINE_BYTES) in section.replace(",", "")


def _pipe_to_head(args, n, env, stdin=b""):
    shell = f"{sys.executable} -m assistant.cli {' '.join(args)} | head -{n}"
    return subprocess.run(
        ["bash", "-c", "set -o pipefail; " + shell],
        input=stdin,
        capture_output=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=60,
    )


def test_a_closed_pipe_is_quiet_and_the_session_is_still_recorded(env):
    answers = b"".join(
        json.dumps({"text": t}).encode() + b"\n" for t in ["high", "name a feeling", "proud", "because of the move"]
    )
    result = _pipe_to_head(["chat", "--jsonl", "--now", "2026-11-25T18:00"], 3, env, answers)
    assert result.stderr == b"" and result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    typed = _pipe_to_head(["chat", "--now", "2026-11-25T18:00"], 3, env, b"high\nname a feeling\nproud\n")
    assert typed.stderr == b"" and typed.returncode == 0, typed.stderr
    records = json.loads(checkin(["history", "--json"], b"", env).stdout)
    assert len(records) == 2, "a session cut short by a closed pipe is saved (as stopped, unless it finished first)"
    for n in (1, 2):
        history = _pipe_to_head(["history"], n, env)
        assert history.stderr == b"" and history.returncode == 0 and len(history.stdout.splitlines()) == n
