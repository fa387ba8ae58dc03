"""Listening cues: a short sound when the wake phrase is heard and when the coach starts
listening, so the couple knows when to speak (``audio.cues`` in config.yaml turns them off).

The sounds are made here (two soft sine notes with faded edges), not read from files."""

from __future__ import annotations

import functools
import sys
from typing import IO

import numpy as np

from .audio import AudioError, Speaker

RATE = 16000
NOTES = {
    "wake": ((660.0, 0.09), (880.0, 0.12)),
    "listen": ((880.0, 0.08),),
}
"""Per cue: (frequency Hz, seconds) of each note; a rising pair for the wake, one note for listening."""
LEVEL = 0.18
"""Peak level (of full scale): audible, well below the prompts."""


@functools.cache
def tone(kind: str) -> bytes:
    """The cue's samples (16 kHz mono s16le)."""
    parts = []
    for freq, seconds in NOTES[kind]:
        t = np.arange(int(RATE * seconds)) / RATE
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.015)
        parts.append(LEVEL * np.sin(2 * np.pi * freq * t) * fade)
        parts.append(np.zeros(int(RATE * 0.02)))
    return (np.concatenate(parts) * 32767).astype(np.int16).tobytes()


class Cues:
    """Plays the cues on a speaker; a failing speaker is one log line, never the end of a session."""

    def __init__(self, speaker: Speaker, log: IO[str] | None = None) -> None:
        self.speaker = speaker
        self.log = log or sys.stderr
        self.played: list[str] = []

    def __call__(self, kind: str) -> float:
        pcm = tone(kind)
        try:
            self.speaker.play(pcm, RATE)
        except (AudioError, OSError) as exc:
            print(f"checkin: cue not played: {exc}", file=self.log, flush=True)
            return 0.0
        self.played.append(kind)
        return len(pcm) / (2 * RATE)
