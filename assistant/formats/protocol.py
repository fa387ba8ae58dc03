"""The JSON-lines wire format, written and read in this one place.

Out (``checkin chat --jsonl``, ``--log`` files, ``checkin listen``), one object a line::

    {"type": "say", "text", "node", "rate"}
    {"type": "listen", "node", "mode", "choices", "no_input_s", "expect_silence"}
    {"type": "heard", "text", "confidence", "speaker"?}   speaker: a partner's name or null,
                                             only when voiceprints are enrolled (optional)
    {"type": "silence", "seconds"}
    {"type": "end_of_input", "seconds"}      the input ended; the engine takes it as silence
    {"type": "wake", "time"}                 (checkin run / listen)
    {"type": "back_to_waiting", "time"}      (checkin run / listen)
    {"type": "session_end", "record"}

In, one line per ``listen`` and at most :data:`MAX_LINE_BYTES` bytes of UTF-8:
``{"text": "...", "confidence"?: 0..1, "seconds"?: >= 0}``, ``{"silence": SECONDS}`` or
``{"audio": "clip.wav"}``; a text turn may say who spoke: ``"speaker": NAME`` (or null).  Anything else (unknown or missing fields, a wrong type, a
negative silence, bytes that are not UTF-8, a line over the cap) is a :class:`TurnError`
(one line, exit 2).  Output is always valid UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, Union

from .errors import InvalidInput
from .events import Heard, Listen, Silence

MAX_LINE_BYTES = 65_536
"""The longest input line read; a longer one is an error, found after reading at most this much."""
MAX_TEXT_CHARS = 2_000
"""The longest answer text (a spoken answer is a few sentences)."""
MAX_SILENCE_S = 3_600.0


class TurnError(InvalidInput):
    """A turn could not be read (bad JSON line, unreadable audio...).  One line."""


from .events import EndOfInput  # noqa: E402  the input ended: the engine ends the session


@dataclass(frozen=True)
class AudioTurn:
    """An answer given as a recording (``{"audio": path}``), decoded by the speech layer."""

    path: str


Turn = Union[Heard, Silence, AudioTurn]

# --------------------------------------------------------------------------- out

SCHEMA: dict[str, dict[str, Any]] = {
    "say": {"text": str, "node": (str, type(None)), "rate": (int, float)},
    "listen": {
        "node": (str, type(None)),
        "mode": str,
        "choices": list,
        "no_input_s": (int, float),
        "expect_silence": bool,
    },
    "heard": {"text": str, "confidence": (int, float, type(None))},
    "silence": {"seconds": (int, float)},
    "end_of_input": {"seconds": (int, float)},
    "wake": {"time": (int, float)},
    "back_to_waiting": {"time": (int, float)},
    "session_end": {"record": dict},
}
"""Every output event type and its fields (besides ``type``) with their Python types."""

OPTIONAL: dict[str, dict[str, Any]] = {"heard": {"speaker": (str, type(None))}}
"""Fields an event may have besides :data:`SCHEMA`'s: ``heard.speaker`` when voiceprints are
enrolled (the partner who spoke, or null when the voice was not sure)."""


def check_event(event: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``event`` has exactly the fields :data:`SCHEMA` gives its type."""
    fields = SCHEMA.get(event.get("type"))  # type: ignore[arg-type]
    if fields is None:
        raise ValueError(f"unknown event type {event.get('type')!r}")
    optional = OPTIONAL.get(event["type"], {})
    if not {"type", *fields} <= set(event) <= {"type", *fields, *optional}:
        raise ValueError(f"{event['type']}: fields {sorted(event)}, expected {sorted(['type', *fields])}")
    fields = {**fields, **{k: v for k, v in optional.items() if k in event}}
    for name, kind in fields.items():
        if not isinstance(event[name], kind) or (kind is not bool and isinstance(event[name], bool)):
            raise ValueError(f"{event['type']}.{name}: {event[name]!r} is not {kind}")


def say(text: str, node: str | None, rate: float) -> dict[str, Any]:
    return {"type": "say", "text": text, "node": node, "rate": rate}


def listen(action: Listen) -> dict[str, Any]:
    return {
        "type": "listen",
        "node": action.node,
        "mode": action.mode,
        "choices": list(action.choices),
        "no_input_s": action.no_input_s,
        "expect_silence": action.expect_silence,
    }


NOT_KEPT = "[not kept]"


def heard(event: Heard | Silence | EndOfInput, screened: bool = False) -> dict[str, Any]:
    if isinstance(event, Heard):
        out = {"type": "heard", "text": NOT_KEPT if screened else event.text, "confidence": event.confidence}
        if event.attributed:
            out["speaker"] = event.speaker
        return out
    kind = "end_of_input" if isinstance(event, EndOfInput) else "silence"
    return {"type": kind, "seconds": event.seconds}


def wake(time: float) -> dict[str, Any]:
    return {"type": "wake", "time": round(time, 2)}


def back_to_waiting(time: float) -> dict[str, Any]:
    return {"type": "back_to_waiting", "time": round(time, 2)}


def session_end(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "session_end", "record": dict(record)}


def encode(event: Mapping[str, Any]) -> str:
    """One output line (with its newline) that is always valid UTF-8: text that cannot be
    encoded (a lone surrogate from a file name, say) is written as JSON escapes instead."""
    line = json.dumps(event, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(event, ensure_ascii=True)
    return line + "\n"


# --------------------------------------------------------------------------- in


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def _number(item: Mapping[str, Any], key: str, where: str, low: float, high: float) -> float:
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
        raise TurnError(f"{where}: '{key}' must be a number from {low:g} to {high:g}, not {_preview(value)}")
    return float(value)


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


_FIELDS = {"text": {"text", "confidence", "seconds", "speaker"}, "silence": {"silence"}, "audio": {"audio"}}


def turn_from_dict(item: Any, where: str = "turn") -> Turn:
    """One scripted or JSON turn, strictly checked."""
    if not isinstance(item, Mapping):
        raise TurnError(f'{where}: expected an object like {{"text": "..."}}, got {_preview(item)}')
    kinds = [k for k in _FIELDS if k in item]
    if len(kinds) != 1:
        raise TurnError(f"{where}: expected one of 'text', 'silence' or 'audio', got {sorted(map(str, item))[:6]}")
    kind = kinds[0]
    extra = sorted(str(k) for k in item if k not in _FIELDS[kind])
    if extra:
        raise TurnError(
            f"{where}: unknown field {extra[0]!r} in a {kind!r} turn (allowed: {', '.join(sorted(_FIELDS[kind]))})"
        )
    if kind == "silence":
        return Silence(_number(item, "silence", where, 0.0, MAX_SILENCE_S))
    value = item[kind]
    if not isinstance(value, str):
        raise TurnError(f"{where}: '{kind}' must be a string")
    if kind == "audio":
        return AudioTurn(value)
    if len(value) > MAX_TEXT_CHARS:
        raise TurnError(f"{where}: 'text' is longer than {MAX_TEXT_CHARS} characters")
    confidence = _number(item, "confidence", where, 0.0, 1.0) if item.get("confidence") is not None else None
    seconds = _number(item, "seconds", where, 0.0, MAX_SILENCE_S) if "seconds" in item else 0.0
    if "speaker" not in item:
        return Heard(value, confidence=confidence, seconds=seconds)
    speaker = item["speaker"]
    if speaker is not None and (not isinstance(speaker, str) or not speaker.strip() or len(speaker) > 100):
        raise TurnError(f"{where}: 'speaker' must be a partner's name or null, not {_preview(speaker)}")
    return Heard(value, confidence=confidence, seconds=seconds, speaker=speaker, attributed=True)


def decode(line: bytes | str, where: str = "input line") -> Turn:
    """One input line (bytes as read) into a turn, or a :class:`TurnError`."""
    if isinstance(line, str):
        try:
            line = line.encode("utf-8")
        except UnicodeEncodeError:
            raise TurnError(f"{where}: not UTF-8 text") from None
    if len(line) > MAX_LINE_BYTES:
        raise TurnError(f"{where}: longer than the {MAX_LINE_BYTES} byte limit")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TurnError(f"{where}: not UTF-8 text (byte {exc.start + 1})") from None
    try:
        item = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise TurnError(f"{where}: not JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise TurnError(
            f"{where}: not JSON ({'nested too deeply' if isinstance(exc, RecursionError) else exc})"
        ) from None
    turn = turn_from_dict(item, where)
    if isinstance(turn, (Heard, AudioTurn)):
        value = turn.text if isinstance(turn, Heard) else turn.path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise TurnError(f"{where}: text holds an escaped lone surrogate (not UTF-8)") from None
    return turn


class LineReader:
    """Input lines from a byte (or text) stream, reading at most :data:`MAX_LINE_BYTES` + 1
    bytes a line: a 10 MB line is refused after 64 KB, not read whole."""

    def __init__(self, stream: IO[Any]):
        self.stream = getattr(stream, "buffer", stream)
        self.number = 0

    def next_line(self) -> bytes | None:
        """The next non-blank line (without its newline), or None at the end of input."""
        while True:
            raw = self.stream.readline(MAX_LINE_BYTES + 1)
            self.number += 1
            if not raw:
                return None
            if isinstance(raw, str):
                try:
                    raw = raw.encode("utf-8")
                except UnicodeEncodeError:
                    raise TurnError(f"input line {self.number}: not UTF-8 text") from None
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise TurnError(f"input line {self.number}: longer than the {MAX_LINE_BYTES} byte limit")
            if raw.strip():
                return raw.rstrip(b"\r\n")

    def next_turn(self) -> Turn | None:
        raw = self.next_line()
        return None if raw is None else decode(raw, f"input line {self.number}")
