"""The voice: render a prompt (through the prompt cache) and play it on a speaker.

A synth that streams (Piper) is played piece by piece: a thread renders the next sentence
while the speaker plays this one, so the first words start as soon as they are rendered
and the sentences follow without gaps.  If rendering or the output device fails, the rest
of the prompt falls back to the log (stderr) and the session goes on: a broken speaker
must never be the reason a check-in is lost.
"""

from __future__ import annotations

import queue
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, Callable

from .audio import RATE, AudioError, Speaker
from .tts import TTSError, stream


def respell(text: str, say_as: Mapping[str, str]) -> str:
    """``text`` with each name replaced by how to say it (``partners: [{name: Siobhan, say: Shivawn}]``)."""
    for name, spoken in say_as.items():
        text = re.sub(rf"\b{re.escape(name)}\b", spoken, text)
    return text


class SpeakingVoice:
    """``speak(text, rate) -> seconds`` over a synth (or :class:`~assistant.speech.tts.PromptCache`) and a speaker."""

    def __init__(
        self,
        synth: Any,
        speaker: Speaker,
        log: IO[str] | None = None,
        on_fault: Callable[[str], None] | None = None,
        say_as: Mapping[str, str] | None = None,
    ):
        self.synth = synth
        self.say_as = dict(say_as or {})
        self.speaker = speaker
        self.log = log or sys.stderr
        self.on_fault = on_fault
        self.faults = 0

    @property
    def sample_rate(self) -> int:
        """The rate of the synth's PCM (16 kHz for espeak-ng, 22,050 Hz for Piper's joe)."""
        return int(getattr(self.synth, "sample_rate", RATE))

    def render(self, text: str, rate: float = 1.0) -> bytes:
        """The whole prompt as PCM at :attr:`sample_rate`."""
        return self.synth.render(respell(text, self.say_as), rate_factor=rate)

    def pieces(self, text: str, rate: float = 1.0) -> Iterator[bytes]:
        """The prompt's PCM piece by piece, the next rendered while this one plays (a synth
        that renders whole prompts, espeak-ng, renders in the caller's thread as before)."""
        inner = getattr(self.synth, "synth", self.synth)  # under a PromptCache
        if getattr(inner, "stream", None) is None:
            pcm = self.render(text, rate)
            return iter([pcm] if pcm else [])
        return read_ahead(stream(self.synth, respell(text, self.say_as), rate))

    def speak(self, text: str, rate: float = 1.0) -> float:
        """Say ``text``; the seconds of audio played."""
        seconds = 0.0
        sample_rate = self.sample_rate
        try:
            for pcm in self.pieces(text, rate):
                self.speaker.play(pcm, sample_rate)
                seconds += len(pcm) / (2 * sample_rate)
            return seconds
        except (TTSError, AudioError, OSError) as exc:
            self.faults += 1
            message = f"checkin: voice: {exc}; said in the log instead: {text}"
            print(message, file=self.log, flush=True)
            if self.on_fault:
                self.on_fault(message)
            return seconds


_DONE = object()


def read_ahead(items: Iterable[bytes], depth: int = 2) -> Iterator[bytes]:
    """``items``, produced in a background thread up to ``depth`` ahead of the consumer, so
    rendering the next piece overlaps playing this one.  An error in the producer is raised
    in the consumer; a consumer that stops early stops the producer at its next piece."""
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="checkin-voice", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error
