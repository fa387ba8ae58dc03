"""Small frozen events and actions exchanged between the engine and the edges.

The engine receives *events* (:class:`Heard`, :class:`Silence`) and returns *actions*
(:class:`Say`, :class:`Listen`, :class:`Save`, :class:`End`, :class:`Forget`).  Audio travels as
:class:`AudioChunk`.  Every type here is plain data: it can be logged as JSON and
compared in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Union

# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioChunk:
    """A slice of 16-bit little-endian PCM audio."""

    pcm: bytes
    """Raw samples, signed 16-bit little endian, interleaved if channels > 1."""
    rate: int = 16000
    """Samples per second."""
    channels: int = 1
    """Number of interleaved channels."""
    timestamp: float = 0.0
    """Seconds since the start of the stream (the audio clock) of the first sample."""

    @property
    def seconds(self) -> float:
        """Duration of this chunk in seconds."""
        return len(self.pcm) / (2 * self.channels * self.rate)


# --------------------------------------------------------------------------- engine input


@dataclass(frozen=True)
class Heard:
    """The couple said something (a transcript from a recogniser or typed text)."""

    text: str
    """What was heard, as words."""
    confidence: float | None = None
    """Recogniser confidence in 0..1 when known."""
    seconds: float = 0.0
    """How long the speaker talked (audio clock), used for the balance of speaking time."""
    speaker: str | None = None
    """Which partner spoke, by voice (:mod:`assistant.speech.speaker`), or None: not sure, or unknown."""
    attributed: bool = False
    """The speaker was looked for (voiceprints enrolled): ``speaker`` None then means "not sure"."""


@dataclass(frozen=True)
class Silence:
    """Nobody spoke before the listening timeout (a VoiceXML ``noinput``)."""

    seconds: float = 0.0
    """How long the silence lasted."""


@dataclass(frozen=True)
class EndOfInput:
    """The turn source has nothing more (end of a JSON-lines stream, Ctrl-D): the session
    ends, with what was said so far kept.  Not a silence: nobody is thinking."""

    seconds: float = 0.0
    """How long the turn waited (the listen's timeout), as the protocol reports it."""


Event = Union[Heard, Silence, EndOfInput]

# --------------------------------------------------------------------------- engine output

ListenMode = Literal["choice", "capture"]


@dataclass(frozen=True)
class Say:
    """Speak (or print) one prompt."""

    text: str
    """The words to say."""
    node: str
    """The dialog node (``dialog/node``) this prompt belongs to."""
    rate: float = 1.0
    """Speaking-rate factor: 1.0 is the configured rate; "slower" lowers it."""


@dataclass(frozen=True)
class Listen:
    """Wait for the couple to answer, then send the engine a :class:`Heard` or :class:`Silence`."""

    node: str
    """The dialog node (``dialog/node``) that is listening."""
    mode: ListenMode
    """``choice``: one of a known set of phrases; ``capture``: free speech."""
    choices: tuple[str, ...] = ()
    """The labels the couple can choose from (choice mode)."""
    grammar: tuple[str, ...] = ()
    """Every phrase worth constraining a recogniser to: choices, their synonyms and the
    global commands.  Empty in capture mode (decode freely)."""
    no_input_s: float = 8.0
    """Seconds of silence before the turn counts as no input."""
    end_silence_s: float = 0.6
    """Seconds of trailing silence that end an utterance (endpointing)."""
    max_s: float = 10.0
    """Longest utterance accepted before it is cut."""
    complete_silence_s: float | None = None
    """VoiceXML's completetimeout: once what was said is already a complete grammar phrase,
    this much silence ends the turn (shorter than ``end_silence_s``).  None: never early."""
    expect_silence: bool = False
    """A timed pause: silence is the expected answer, not a failure."""


@dataclass(frozen=True)
class Save:
    """Persist the session record as it stands (written after every answer)."""

    record: Mapping[str, Any]


@dataclass(frozen=True)
class End:
    """The session is over; ``record`` is final."""

    outcome: Literal["completed", "stopped", "abandoned"]
    record: Mapping[str, Any]


@dataclass(frozen=True)
class Forget:
    """Erase what the couple asked not to keep.  ``tonight``: this session's record goes
    from the journal (securely deleted) and nothing more of it is saved or logged."""

    scope: Literal["tonight"]
    session: str
    """The session's id (the journal row to erase)."""


Action = Union[Say, Listen, Save, End, Forget]


def to_json(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of an event or action, with its ``type`` first."""
    name = type(obj).__name__.lower()
    data = asdict(obj)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
    return {"type": name, **data}


__all__ = [
    "Action",
    "AudioChunk",
    "End",
    "EndOfInput",
    "Event",
    "Forget",
    "Heard",
    "Listen",
    "ListenMode",
    "Save",
    "Say",
    "Silence",
    "to_json",
]
