"""The speaker and microphone tests of ``checkin setup`` (the device edge, kept out of the questions)."""

from __future__ import annotations

import numpy as np

from ..config import Settings
from ..speech.audio import AudioError, MicSource, SoundDeviceSpeaker, find_device
from ..speech.vad import SILENT_DB, rms_db

SENTENCE = "This is Check-in. If you can hear me, the speaker works."


def test_speaker(settings: Settings) -> str:
    from .. import app

    index = find_device(settings.audio.output_device, "output")
    synth = app.synth(settings)
    pcm = synth.render(SENTENCE)
    SoundDeviceSpeaker(settings.audio.output_device).play(pcm, synth.sample_rate)
    return f"played a test sentence on output device {index}"


def test_mic(settings: Settings, seconds: float = 3.0) -> str:
    """Record ``seconds`` and describe the loudest part heard."""
    source = MicSource(settings.audio.input_device)
    chunks = source.chunks()
    heard = 0.0
    level = SILENT_DB
    try:
        for chunk in chunks:
            level = max(level, rms_db(np.frombuffer(chunk.pcm, dtype="<i2")))
            heard += chunk.seconds
            if heard >= seconds:
                break
    finally:
        chunks.close()  # type: ignore[attr-defined]
    if heard == 0:
        raise AudioError("the microphone gave no audio")
    if level < -50:
        return f"only silence ({level:.0f} dBFS): is it muted, or is audio.input_device the right one?"
    return f"heard you (loudest {level:.0f} dBFS)"
