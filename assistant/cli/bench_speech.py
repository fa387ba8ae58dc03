"""The recognisers on real people (``../shared/speech``), for ``checkin bench``:

* word error rate of the free-answer recogniser on the transcribed sentences, clean and
  with recorded background noise mixed in at 10 dB SNR;
* the 160 real commands (yes, no, stop, go) through the choice path exactly as a choice
  turn decodes them (grammar fast path and Whisper), correct / all with rejects counted
  as wrong, also on two halves by speaker (choices were tuned on the first, the second is
  held out), and how many were answered with a phrase; each command file carries its
  label in its name (``..__LABEL__SPEAKER_nohash_N.wav``), and the label is taken from
  there (the manifest says the same since the shared copy was corrected);
* the choice path on the transcribed sentences (none is a command): how many the fast
  path took for a command (the garbage path and the confidence check at work);
* Whisper on the noise clips alone: how many 8-second windows gave words (should be 0).
"""

from __future__ import annotations

import math
import statistics
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..speech.asr import transcribe
from ..speech.asr.roles import FallbackUtterance, RoleRecogniser
from ..speech.asr.wer import word_error_rate
from ..speech.audio import read_wav

COMMAND_GRAMMAR = ("yes", "no", "stop", "go", "repeat", "skip", "help", "go back", "pause", "resume")


def manifest(shared: Path, folder: str) -> list[tuple[str, Path]]:
    path = shared / "MANIFEST.tsv"
    if not path.exists():
        return []
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [(r[4].strip(), shared / r[0]) for r in rows if r[0].startswith(folder + "/")]


def mix(speech: bytes, noise: np.ndarray, snr_db: float) -> bytes:
    """``speech`` with ``noise`` (looped) at ``snr_db`` below the speech's RMS."""
    x = np.frombuffer(speech, dtype=np.int16).astype(np.float64)
    n = np.resize(noise, x.size)
    gain = math.sqrt(np.mean(x**2) / max(1e-9, np.mean(n**2))) / (10 ** (snr_db / 20))
    return np.clip(x + gain * n, -32768, 32767).astype(np.int16).tobytes()


def wer_figures(
    recogniser: Any, sentences: Sequence[tuple[str, bytes]], noises: Sequence[np.ndarray]
) -> dict[str, Any]:
    clean, noisy, seconds = [], [], []
    for i, (text, pcm) in enumerate(sentences):
        t0 = time.perf_counter()
        clean.append((text, transcribe(recogniser, pcm).text))
        seconds.append(time.perf_counter() - t0)
        if noises:
            noisy.append((text, transcribe(recogniser, mix(pcm, noises[i % len(noises)], 10.0)).text))
    return {
        "sentences": len(sentences),
        "wer_clean": round(word_error_rate(clean), 4),
        "wer_10db": round(word_error_rate(noisy), 4) if noisy else None,
        "decode_s_median": round(statistics.median(seconds), 3) if seconds else None,
    }


def choice_path(recogniser: RoleRecogniser, pcm: bytes, grammar: Sequence[str]) -> tuple[str, bool]:
    """(text, answered with a phrase rather than words for the understanding) for one
    clip decoded as a choice turn."""
    utterance = recogniser.start(list(grammar))
    for i in range(0, len(pcm), 3200):
        utterance.feed(pcm[i : i + 3200])
    text = utterance.finish().text
    return text, not (isinstance(utterance, FallbackUtterance) and utterance.used_fallback)


def command_label(path: Path) -> str:
    """The word a Speech Commands clip says (``..__<label>__<speaker>_nohash_<n>.wav``)."""
    return path.stem.split("__")[-2]


def speaker(path: Path) -> str:
    """The speaker of a Speech Commands clip (``..._<speaker>_nohash_<n>.wav``)."""
    return path.stem.split("__")[-1].split("_nohash")[0]


def speaker_half(speaker: str) -> int:
    """0: the tuning half of the commands' speakers (the fast path's acceptance rule was
    chosen on it), 1: the held-out half; by a hash of the speaker, so no voice is in both."""
    return zlib.crc32(speaker.encode()) % 2


def command_figures(
    recogniser: RoleRecogniser, commands: Sequence[tuple[str, bytes, str]], sentences: Sequence[tuple[str, bytes]]
) -> dict[str, Any]:
    """``commands``: (label, audio, speaker)."""
    from ..text.matching import best_match

    options = {phrase: [phrase] for phrase in COMMAND_GRAMMAR}
    right = fast = 0
    halves = [[0, 0], [0, 0]]  # [correct, clips] of the tuning half, the held-out half
    for label, pcm, speaker in commands:
        text, by_fast = choice_path(recogniser, pcm, COMMAND_GRAMMAR)
        fast += by_fast
        match = best_match(text, options)
        ok = match is not None and match.label == label
        right += ok
        halves[speaker_half(speaker)][0] += ok
        halves[speaker_half(speaker)][1] += 1
    taken = 0
    for _, pcm in sentences:
        text, by_fast = choice_path(recogniser, pcm, COMMAND_GRAMMAR)
        taken += by_fast and text in COMMAND_GRAMMAR
    return {
        "commands": len(commands),
        "correct": right,
        "tuning_half": "{}/{}".format(*halves[0]),
        "held_out_half": "{}/{}".format(*halves[1]),
        "fast_path": fast,
        "sentences": len(sentences),
        "sentences_taken_as_commands": taken,
    }


def noise_words(recogniser: Any, noises: Sequence[np.ndarray]) -> dict[str, Any]:
    windows = worded = 0
    for noise in noises:
        pcm = noise.astype(np.int16).tobytes()
        for start in range(0, len(pcm), 32000 * 8):
            windows += 1
            worded += transcribe(recogniser, pcm[start : start + 32000 * 8]).text != ""
    return {"windows": windows, "with_words": worded}


def run(recogniser: RoleRecogniser, shared: Path, quick: bool) -> dict[str, Any]:
    step = 4 if quick else 1
    sentences = [(text, read_wav(path)) for text, path in manifest(shared, "transcribed")[::step]]
    commands = [
        (command_label(path), read_wav(path), speaker(path)) for _, path in manifest(shared, "commands")[::step]
    ]
    noises = [np.frombuffer(read_wav(path), dtype=np.int16).astype(np.float64) for _, path in manifest(shared, "noise")]
    if not sentences:
        return {}
    free = recogniser.get(recogniser.free)
    return {
        "free_recogniser": recogniser.free,
        "wer": wer_figures(free, sentences, noises),
        "choices": {
            "fast": recogniser.choices,
            "fallback": recogniser.fallback,
            **command_figures(recogniser, commands, sentences),
        },
        "noise": noise_words(free, noises),
    }
