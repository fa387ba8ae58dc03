"""The session loop: the one place that knows every port.

It runs the pure engine and carries out its actions: ``Say`` goes to the sinks (console,
JSON lines, a log) and to an optional voice; ``Listen`` asks a turn source (keyboard, JSON
lines, a scenario, a microphone) for the next event; ``Save`` and ``End`` go to the
journal; ``Forget`` ("forget tonight") erases the session from the journal and silences the
``--log`` sinks for the rest of it.  Everything comes in through the constructor.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Callable, Protocol

from ..engine import Context, Engine, State
from ..formats import protocol
from ..formats.events import Action, End, Event, Forget, Heard, Listen, Save, Say, Silence
from ..formats.protocol import AudioTurn as AudioRequest
from ..formats.protocol import EndOfInput, TurnError

__all__ = [
    "ConsoleSink",
    "ConsoleTurns",
    "JsonlSink",
    "JsonlTurns",
    "ScriptedTurns",
    "Session",
    "Sink",
    "TurnError",
    "turn_event",
]

Sink = Callable[[Mapping[str, Any]], None]
"""Receives every session event as a JSON-ready dict (``say``, ``listen``, ``heard``...)."""


class TurnSource(Protocol):
    def next_turn(self, listen: Listen, spoken_s: float) -> Event:
        """Wait for the couple's answer to ``listen``.  ``spoken_s`` is how long the prompts
        before it took to say (audio sources skip that much input: half duplex)."""


class Voice(Protocol):
    def speak(self, text: str, rate: float) -> float:
        """Say ``text`` aloud; return its duration in seconds."""


AudioTurn = Callable[[str, Listen], Event]
"""Decodes an audio file answer (``{"audio": path}``) for a listen: provided by the speech layer."""


# --------------------------------------------------------------------------- turn sources


def turn_event(item: Mapping[str, Any], listen: Listen, audio: AudioTurn | None = None, where: str = "turn") -> Event:
    """One scripted or JSON turn (``text``, ``silence`` or ``audio``) as an engine event."""
    return _resolve(protocol.turn_from_dict(item, where), listen, audio, where)


def _resolve(turn: protocol.Turn, listen: Listen, audio: AudioTurn | None, where: str) -> Event:
    if isinstance(turn, AudioRequest):
        if audio is None:
            raise TurnError(f"{where}: audio turns need the speech layer (no recogniser configured)")
        return audio(turn.path, listen)
    return turn


class ScriptedTurns:
    """Turns from a list (a scenario); when they run out, every turn is silence."""

    def __init__(self, turns: Iterable[Mapping[str, Any]], audio: AudioTurn | None = None, where: str = "scenario"):
        self._turns: Iterator[Mapping[str, Any]] = iter(list(turns))
        self._index = 0
        self.audio = audio
        self.where = where

    def next_turn(self, listen: Listen, spoken_s: float) -> Event:
        item = next(self._turns, None)
        self._index += 1
        if item is None:
            return Silence(listen.no_input_s)  # a scenario that runs out: the couple went quiet
        return turn_event(item, listen, self.audio, f"{self.where}: turn {self._index}")


class JsonlTurns:
    """One JSON object a line on a stream (:mod:`assistant.formats.protocol`), one line per
    ``listen``; end of input is silence."""

    def __init__(self, stream: IO[Any], audio: AudioTurn | None = None):
        self.reader = protocol.LineReader(stream)
        self.audio = audio

    def next_turn(self, listen: Listen, spoken_s: float) -> Event:
        turn = self.reader.next_turn()
        if turn is None:
            return EndOfInput(listen.no_input_s)
        return _resolve(turn, listen, self.audio, f"input line {self.reader.number}")


def stdin_ready(seconds: float) -> bool:
    """Whether a typed line arrives on standard input within ``seconds`` (True at once when
    standard input cannot be waited on, such as a pipe on a system without ``select``)."""
    import select  # only the terminal's timed moments need it

    try:
        ready, _, _ = select.select([sys.stdin], [], [], seconds)
    except (OSError, ValueError, TypeError):
        return True
    return bool(ready)


class ConsoleTurns:
    """Typed answers.  An empty line is silence; end of input (Ctrl-D) ends the session.
    A timed moment (a hug, a quiet minute) keeps its own time, as the coach promises: it
    ends by itself after its seconds, or earlier with Enter (``wait`` is that clock)."""

    def __init__(
        self,
        read: Callable[[str], str] = input,
        out: IO[str] | None = None,
        wait: Callable[[float], bool] = stdin_ready,
    ):
        self.read = read
        self.out = out or sys.stdout
        self.wait = wait

    def next_turn(self, listen: Listen, spoken_s: float) -> Event:
        if listen.expect_silence:
            seconds = listen.no_input_s
            print(f"  (quiet for {seconds:g} seconds; type to end it sooner)", file=self.out, flush=True)
            if not self.wait(seconds):
                return Silence(seconds)
        hint = (
            f"  [{' / '.join(listen.choices[:8])}{' / ...' if len(listen.choices) > 8 else ''}]"
            if listen.choices
            else ""
        )
        try:
            text = self.read(f"{hint}\n> " if hint else "> ")
        except EOFError:
            print(file=self.out)
            return EndOfInput(listen.no_input_s)
        return Heard(text) if text.strip() else Silence(listen.no_input_s)


# --------------------------------------------------------------------------- sinks


class JsonlSink:
    """Writes each event as one JSON line (the ``chat --jsonl`` protocol, or with ``log`` a
    ``--log`` file, which writes nothing more of a session the couple asked to forget)."""

    def __init__(self, stream: IO[str], log: bool = False):
        self.stream = stream
        self.log = log
        self.silent = False

    def off_record(self, on: bool) -> None:
        """ "Forget tonight": a log writes nothing more of this session (the lines already
        written are the user's file); the next session is logged again."""
        self.silent = on and self.log

    def __call__(self, event: Mapping[str, Any]) -> None:
        if self.silent:
            return
        self.stream.write(protocol.encode(event))
        self.stream.flush()


class ConsoleSink:
    """Human-readable transcript for ``checkin chat``."""

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream or sys.stdout

    def __call__(self, event: Mapping[str, Any]) -> None:
        if event["type"] == "say":
            print(f"Coach: {event['text']}", file=self.stream, flush=True)
        elif event["type"] == "session_end":
            record = event["record"]
            done = len([e for e in record.get("exercises", []) if e.get("complete")])
            print(f"(check-in {record['outcome']}: {done} exercise part(s) saved)", file=self.stream, flush=True)


# --------------------------------------------------------------------------- the loop


@dataclass
class Session:
    """Runs one session of ``engine`` with the given ports."""

    engine: Engine
    turns: TurnSource
    sinks: Sequence[Sink] = ()
    journal: Any = None
    """Anything with ``save(record)`` (:class:`assistant.store.journal.Journal`), or None."""
    voice: Voice | None = None
    clock: Callable[[], datetime] = datetime.now

    state: State | None = None
    forgotten: bool = False
    """"Forget tonight" was carried out: nothing more of this session is saved or logged."""

    def emit(self, event: Mapping[str, Any]) -> None:
        for sink in self.sinks:
            sink(event)

    def _save(self, record: Mapping[str, Any]) -> None:
        if self.journal is not None and not self.forgotten:
            self.journal.save(record)

    def _forget(self, action: Forget) -> None:
        """Erase tonight's record from the journal and silence the ``--log`` sinks."""
        self.forgotten = True
        if self.journal is not None:
            self.journal.forget_session(action.session)
        self._off_record(True)

    def _off_record(self, on: bool) -> None:
        for sink in self.sinks:
            off_record = getattr(sink, "off_record", None)
            if callable(off_record):
                off_record(on)

    def run(
        self,
        partners: tuple[str, str],
        dialog: str = "check-in",
        now: datetime | None = None,
        memory: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        styles: Mapping[str, Mapping[str, str]] | None = None,
        safety: Mapping[str, str] | None = None,
        voices: Sequence[str] = (),
        break_minutes: int = 20,
    ) -> dict[str, Any]:
        """Run to the end; return the final session record."""
        context = Context(
            partners=partners,
            now=now or self.clock(),
            session_id=session_id or uuid.uuid4().hex,
            memory=memory or {},
            styles=styles or {},
            safety=safety or {},
            voices=tuple(voices),
            break_minutes=break_minutes,
        )
        self.forgotten = False
        self._off_record(False)
        self.state, actions = self.engine.start(context, dialog)
        try:
            while True:
                listen, spoken, end = self._carry_out(actions)
                if end is not None:
                    return end
                assert listen is not None, "the engine always listens or ends"
                event = self.turns.next_turn(listen, spoken)
                screened = isinstance(event, Heard) and self.engine.screen(event.text) is not None
                self.emit(protocol.heard(event, screened))
                self.state, actions = self.engine.handle(self.state, event)
        except BaseException:
            self.interrupted()
            raise

    def interrupted(self) -> dict[str, Any] | None:
        """Save what was said so far when the loop is cut short (Ctrl-C, a fault)."""
        if self.state is None or self.state.ended:
            return None
        record = {
            **self.engine.record(self.state),
            "outcome": "stopped",
            "ended_at": self.clock().isoformat(timespec="seconds"),
        }
        self._save(record)
        return record

    def _carry_out(self, actions: Sequence[Action]) -> tuple[Listen | None, float, dict[str, Any] | None]:
        listen: Listen | None = None
        spoken = 0.0
        for action in actions:
            if isinstance(action, Say):
                self.emit(protocol.say(action.text, action.node, action.rate))
                if self.voice is not None:
                    spoken += self.voice.speak(action.text, action.rate)
            elif isinstance(action, Listen):
                listen = action
                self.emit(protocol.listen(action))
            elif isinstance(action, Save):
                self._save(action.record)
            elif isinstance(action, Forget):
                self._forget(action)
            elif isinstance(action, End):
                record = {**action.record, "ended_at": self.clock().isoformat(timespec="seconds")}
                self._save(record)
                self.emit(protocol.session_end(record))
                return None, spoken, record
        return listen, spoken, None
