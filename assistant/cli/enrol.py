"""Enrolment: a partner's voiceprint from recordings (``checkin enrol``) or from three
sentences read aloud at ``checkin setup``.  Only the embedding is kept, never the audio.

Speech is found with the turn endpointer's energy detector (:func:`assistant.vad.segments`);
the voiceprint is the normed mean of the encoder's 1.6 s windows over that speech, computed
exactly as attribution computes them at run time (:class:`assistant.speech.speaker.Attributor`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..formats.events import AudioChunk
from ..speech import speaker
from ..speech.audio import RATE, AudioError, read_wav
from ..speech.vad import Endpointer, EnergyVAD, SpeechAudio, TurnParams, segments
from ..store import voiceprints

SENTENCES = (
    "We sit down together at the end of the day.",
    "I would like to hear how your week has really been.",
    "Thank you for listening to me when things are hard.",
)
"""What each partner reads at setup: short, everyday, with many different sounds."""


@dataclass(frozen=True)
class Enrolled:
    name: str
    seconds: float
    """Seconds of speech the voiceprint rests on."""
    path: Path


def speech_of(pcm: bytes) -> np.ndarray:
    """The speech in mono s16le ``pcm`` (its segments joined), as int16 samples."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    # the endpointer's gate learns the floor from the first frame: lead with a little silence
    lead = np.zeros(int(0.3 * RATE), dtype=np.int16)
    padded = np.concatenate([lead, samples])
    found = segments(padded.tobytes(), RATE, TurnParams(no_input_s=1e9, max_s=1e9, end_silence_s=0.3))
    pieces = [padded[int(a * RATE) : int(b * RATE)] for a, b in found]
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)


def enrol_recordings(path: Path, name: str, recordings: Sequence[bytes], what: str = "the recordings") -> Enrolled:
    """Enrol ``name`` from mono 16 kHz s16le recordings: at least :data:`voiceprints.MIN_SPEECH_S`
    of speech in all, else :class:`voiceprints.TooLittleSpeech`."""
    speech = [speech_of(pcm) for pcm in recordings]
    seconds = sum(s.size for s in speech) / RATE
    if seconds < voiceprints.MIN_SPEECH_S:
        raise voiceprints.TooLittleSpeech(
            f"enrol {name}: {what} hold {seconds:.1f} s of speech; "
            f"at least {voiceprints.MIN_SPEECH_S:.0f} s are needed (read a few sentences)"
        )
    embedding, _ = speaker.voiceprint([s for s in speech if s.size])
    voiceprints.put(path, name, embedding, seconds)
    return Enrolled(name, round(seconds, 1), path)


def enrol_files(path: Path, name: str, files: Sequence[str]) -> Enrolled:
    """``checkin enrol NAME FILE.wav...``: a broken or missing WAV is one line (exit 2)."""
    recordings = []
    for file in files:
        try:
            recordings.append(read_wav(file))
        except AudioError as exc:
            raise voiceprints.TooLittleSpeech(f"enrol {name}: {exc}") from None
    return enrol_recordings(path, name, recordings, "the recordings" if len(files) > 1 else "the recording")


def record_sentence(chunks: Iterable[AudioChunk], max_s: float = 12.0) -> bytes:
    """One sentence read aloud from a live stream: from speech start to its end (endpointed)."""
    ep = Endpointer(TurnParams(no_input_s=10.0, end_silence_s=1.0, max_s=max_s), vad=EnergyVAD())
    audio: list[bytes] = []
    for chunk in chunks:
        for ev in ep.feed(chunk):
            if isinstance(ev, SpeechAudio):
                audio.append(ev.chunk.pcm)
        if ep.done:
            break
    return b"".join(audio)


def setup_voices(
    partners: Sequence[str],
    path: Path,
    ask: Callable[[str], str],
    tell: Callable[[str], None],
    listen: Callable[[], Iterator[AudioChunk]] | None,
) -> list[Enrolled]:
    """The voice part of ``checkin setup``: asks first (consent), then each partner reads
    :data:`SENTENCES`.  ``listen`` opens the microphone (None: no microphone, skipped)."""
    if listen is None:
        return []
    try:
        known = voiceprints.load(path)
    except voiceprints.VoiceprintError:
        known = {}
    have = [p for p in partners if p in known]
    question = (
        "Learn your voices again, so I can tell who is speaking? Only a voiceprint is kept, never a recording. [y/N] "
        if have
        else "Shall I learn your voices, so I can tell who is speaking? Each of you reads three short sentences; "
        "only a voiceprint is kept, never a recording. [y/N] "
    )
    if ask(question).strip().lower() not in ("y", "yes"):
        tell("Okay: voices not learnt. Everything works without them; `checkin enrol` can do it later.")
        return []
    done = []
    for name in partners:
        recordings = []
        tell(f"{name}, please read these three sentences, one at a time, after each prompt.")
        for sentence in SENTENCES:
            tell(f'  {name}, read: "{sentence}"')
            stream = listen()
            try:
                recordings.append(record_sentence(stream))
            finally:
                close = getattr(stream, "close", None)
                if callable(close):
                    close()
        try:
            enrolled = enrol_recordings(path, name, recordings, "your three sentences")
        except voiceprints.TooLittleSpeech as exc:
            tell(f"{exc}. Not enrolled; try `checkin setup` again in a quieter moment.")
            continue
        tell(f"Thank you, {name}: your voiceprint is kept ({enrolled.seconds:.0f} s of speech).")
        done.append(enrolled)
    return done


__all__ = ["SENTENCES", "Enrolled", "enrol_files", "enrol_recordings", "record_sentence", "setup_voices", "speech_of"]
