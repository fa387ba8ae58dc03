"""The voice: render a prompt (through the prompt cache) and play it on a speaker.

If rendering or the output device fails, the prompt falls back to the log (stderr) and
the session goes on: a broken speaker must never be the reason a check-in is lost.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import IO, Any, Callable

from .audio import AudioError, Speaker
from .tts import TTSError

RATE = 16000


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

    def render(self, text: str, rate: float = 1.0) -> bytes:
        return self.synth.render(respell(text, self.say_as), rate_factor=rate)

    def speak(self, text: str, rate: float = 1.0) -> float:
        try:
            pcm = self.render(text, rate)
            self.speaker.play(pcm, RATE)
            return len(pcm) / (2 * RATE)
        except (TTSError, AudioError, OSError) as exc:
            self.faults += 1
            message = f"checkin: voice: {exc}; said in the log instead: {text}"
            print(message, file=self.log, flush=True)
            if self.on_fault:
                self.on_fault(message)
            return 0.0
