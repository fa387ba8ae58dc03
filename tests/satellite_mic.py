"""A couple at a Wyoming satellite, for wyoming-satellite's ``--mic-command`` (stdlib only:
it runs in the satellite's own virtual environment).

Writes 16 kHz mono s16le to stdout in real time: silence, then the first clip (the wake
phrase); each later clip is said once the coach has finished speaking.  The satellite's
``--snd-command`` appends what it plays to ``played`` (raw, ``snd_rate`` Hz, 16-bit), so
each burst written there is a prompt: the couple waits for the last prompt to end (its
length from its size) plus ``gap`` seconds, then answers.

    python satellite_mic.py PLAYED SND_RATE CLIP.raw [CLIP.raw ...]
"""

from __future__ import annotations

import os
import sys
import time

CHUNK = 1024  # samples, 64 ms
RATE = 16000


def played_bytes(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def main() -> None:
    played, snd_rate, clips = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    gap = float(os.environ.get("SATELLITE_MIC_GAP", "1.0"))
    out = sys.stdout.buffer
    silence = b"\x00\x00" * CHUNK
    pending = [open(c, "rb").read() for c in clips]
    speaking = b""
    start = time.monotonic()
    sent = 0
    seen = played_bytes(played)
    playback_end = 0.0
    prompts_since_answer = 0
    say_at = start + float(os.environ.get("SATELLITE_MIC_LEAD", "4.0"))  # the wake phrase after a moment of quiet
    while True:
        now = time.monotonic()
        size = played_bytes(played)
        if size > seen:  # a prompt arrived: it plays for its length
            playback_end = max(playback_end, now) + (size - seen) / (2 * snd_rate)
            seen = size
            prompts_since_answer += 1
        if not speaking and pending and (say_at is not None and now >= say_at):
            speaking, pending = pending[0], pending[1:]
            say_at, prompts_since_answer = None, 0
        if say_at is None and not speaking and prompts_since_answer and now >= playback_end + gap:
            say_at = now
        block, speaking = (speaking[: 2 * CHUNK], speaking[2 * CHUNK :]) if speaking else (silence, b"")
        out.write(block.ljust(2 * CHUNK, b"\x00"))
        out.flush()
        sent += CHUNK
        time.sleep(max(0.0, start + sent / RATE - time.monotonic()))


if __name__ == "__main__":
    try:
        main()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
