"""``checkin setup``'s voice step: espeak-ng (built in, the default) or Piper, chosen with
``--voice piper`` (or ``--voice PATH.onnx``, ``--voice espeak``).

Without ``--voice`` nothing is asked: setup says which voice speaks and, for Piper, checks
that it still loads.  Piper that cannot be used (piper-tts missing, the voice file missing
or broken) is one line, and espeak-ng is kept.  The step sets the ``tts`` keys ``engine``
and ``piper_voice``; every other ``tts`` key stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from ..formats.errors import CheckinError, one_line
from ..speech.piper_voice import describe
from .firstrun import Ports

LICENCE = (
    "Piper (piper-tts) is GPL-3.0-or-later; the joe voice is fine-tuned from the lessac voice,"
    " whose data licence is yours to check (README: A warmer voice)."
)


def voice_step(
    choice: str | None, check: Callable[[Mapping[str, Any]], str]
) -> Callable[[Mapping[str, Any], Ports], dict[str, Any]]:
    """The step for ``--voice choice`` (None: keep the configured voice).  ``check(tts)``
    loads the voice ``tts`` names and says a sentence with it: a one-line description, or
    a :class:`~assistant.formats.errors.CheckinError`."""

    def step(data: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
        tts = dict(data.get("tts") or {})
        engine = tts.get("engine", "espeak")
        if choice is None and engine != "piper":
            ports.tell("Voice: espeak-ng, built in (for a warmer voice: checkin setup --voice piper).")
            return {}
        if choice == "espeak":
            ports.tell("Voice: espeak-ng, built in.")
            return {} if engine == "espeak" else {"tts": {**tts, "engine": "espeak"}}
        wanted = dict(tts, engine="piper")
        if choice is not None and choice != "piper":  # a voice file given on the command line
            wanted["piper_voice"] = str(Path(choice).expanduser().resolve())
        elif choice == "piper":
            current = wanted.get("piper_voice")
            answer = ports.ask(
                f"Piper voice file (a voice's .onnx, its .onnx.json beside it) [{current or describe(None)}]: "
            ).strip()
            if answer:
                wanted["piper_voice"] = str(Path(answer).expanduser().resolve())
        try:
            said = check(wanted)
        except CheckinError as exc:
            ports.tell(f"Voice: {one_line(exc)}; keeping espeak-ng.")
            return {} if engine == "espeak" else {"tts": {**tts, "engine": "espeak"}}
        if choice is not None:
            ports.tell(LICENCE)
        ports.tell(f"Voice: {said}.")
        return {} if wanted == tts else {"tts": wanted}

    return step


__all__ = ["LICENCE", "voice_step"]
