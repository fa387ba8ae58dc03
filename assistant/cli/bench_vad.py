"""The voice-activity detector on real recordings (``../shared/speech``), for ``checkin bench``
and the tests:

* every command and transcribed sentence opens a turn, clean and with recorded noise mixed
  in at 10 dB SNR, and said quietly (scaled to -30 dBFS peak);
* the noise clips, joined and looped to ``noise_s`` seconds (10 minutes), at their own level
  and 10 dB louder, open no turn;
* how much of that time the network ran (the energy gate's saving), and its cost per frame.

A turn is "opened" when the endpointer of a choice turn (the timing of ``dialogs/common.yaml``)
reports :class:`~assistant.speech.vad.SpeechStarted`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..formats.events import AudioChunk
from ..speech.vad import Endpointer, FrameVAD, SileroVAD, SpeechStarted, TurnParams, VADError, load_silero

QUIET_PEAK_DBFS = -30.0
"""A one-word answer said quietly: its peak level."""

LOUDER_DB = 10.0
"""The noise played louder by this much (clipped at full scale)."""


def scaled_to_peak(pcm: bytes, peak_dbfs: float) -> bytes:
    """``pcm`` scaled so that its loudest sample is at ``peak_dbfs``."""
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak == 0.0:
        return pcm
    return np.round(x * (32767.0 * 10 ** (peak_dbfs / 20) / peak)).astype(np.int16).tobytes()


def louder(pcm: bytes, db: float) -> bytes:
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) * 10 ** (db / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16).tobytes()


def _chunks(pcm: bytes, step: int = 3200) -> list[AudioChunk]:
    return [AudioChunk(pcm[i : i + step], 16000, 1, i / 32000) for i in range(0, len(pcm), step)]


def opens_turn(pcm: bytes, vad: FrameVAD, params: TurnParams, lead_s: float = 0.5) -> bool:
    """Does one answer, after ``lead_s`` of silence, open a turn?"""
    silence = b"\x00\x00" * int(16000 * lead_s)
    ep = Endpointer(params, vad, start=0.0)
    for chunk in _chunks(silence + pcm + silence):
        if any(isinstance(ev, SpeechStarted) for ev in ep.feed(chunk)):
            return True
        if ep.done:
            return False
    return False


def turns_opened(pcm: bytes, vad: FrameVAD, params: TurnParams) -> int:
    """How many turns a long recording opens, one turn after another on one VAD (each turn
    endpointed as ``params`` says; a turn with no input is followed by the next)."""
    opened = 0
    ep = Endpointer(params, vad, start=0.0)
    for chunk in _chunks(pcm):
        opened += sum(isinstance(ev, SpeechStarted) for ev in ep.feed(chunk))
        if ep.done:
            ep = Endpointer(params, vad, start=chunk.timestamp + chunk.seconds)
    return opened


def looped(pcm: bytes, seconds: float) -> bytes:
    samples = np.frombuffer(pcm, dtype=np.int16)
    return np.resize(samples, int(16000 * seconds)).tobytes()


def vad_figures(
    make_vad: Callable[[], FrameVAD],
    params: TurnParams,
    clips: Sequence[tuple[str, bytes]],
    noises: Sequence[bytes],
    noise_s: float = 600.0,
    mix: Callable[[bytes, np.ndarray, float], bytes] | None = None,
) -> dict[str, Any]:
    """``clips``: (kind, audio) with kind "command", "sentence" or anything; see the module doc."""
    figures: dict[str, Any] = {}
    kinds = sorted({kind for kind, _ in clips})
    noise_arrays = [np.frombuffer(n, dtype=np.int16).astype(np.float64) for n in noises]
    for kind in kinds:
        pcms = [pcm for k, pcm in clips if k == kind]
        opened = {
            "clean": sum(opens_turn(pcm, make_vad(), params) for pcm in pcms),
            "quiet": sum(opens_turn(scaled_to_peak(pcm, QUIET_PEAK_DBFS), make_vad(), params) for pcm in pcms),
        }
        if mix is not None and noise_arrays:
            opened["noise_10db"] = sum(
                opens_turn(mix(pcm, noise_arrays[i % len(noise_arrays)], 10.0), make_vad(), params)
                for i, pcm in enumerate(pcms)
            )
        figures[kind] = {"clips": len(pcms), **opened}
    if noises:
        joined = looped(b"".join(noises), noise_s)
        for name, pcm in (("noise", joined), ("noise_louder", louder(joined, LOUDER_DB))):
            vad = make_vad()
            t0 = time.process_time()
            opened_n = turns_opened(pcm, vad, params)
            cpu = time.process_time() - t0
            frames = getattr(vad, "frames", 0)
            network = getattr(vad, "network_frames", frames)
            figures[name] = {
                "seconds": round(noise_s),
                "turns_opened": opened_n,
                "network_frames_pct": round(100.0 * network / frames, 1) if frames else None,
                "cpu_pct": round(100.0 * cpu / noise_s, 2),
            }
    return figures


def run(shared: Path, quick: bool, timeouts: dict[str, float]) -> dict[str, Any]:
    """The figures of the module doc on ``shared`` (every fourth clip and 2 minutes of noise
    when ``quick``), for a choice turn timed by ``timeouts`` (a mode of
    ``dialogs/common.yaml``); {} when the recordings are absent or Silero cannot be loaded."""
    from ..speech.audio import read_wav
    from .bench_speech import manifest, mix

    step = 4 if quick else 1
    clips = [("commands", read_wav(p)) for _, p in manifest(shared, "commands")[::step]]
    clips += [("sentences", read_wav(p)) for _, p in manifest(shared, "transcribed")[::step]]
    noises = [read_wav(p) for _, p in manifest(shared, "noise")]
    if not clips:
        return {}
    try:
        model = load_silero()
    except VADError:
        return {}
    turn = TurnParams.from_timeouts(timeouts)
    figures = vad_figures(lambda: SileroVAD(model=model), turn, clips, noises, 120.0 if quick else 600.0, mix)
    x = np.zeros(512, dtype=np.int16) + 1
    t0 = time.process_time()
    for _ in range(200):
        model.process_samples((x / 32767.0).tolist())
    figures["network_ms_per_frame"] = round((time.process_time() - t0) / 200 * 1000, 2)
    return figures
