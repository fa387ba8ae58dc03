"""``checkin run``'s first line, said before any heavy import: waiting for a microphone.

``checkin run`` on a board whose USB microphone is not there yet (late at boot, or not
plugged in) says so at once, with how long it will wait, instead of loading models first
and saying nothing; everything else goes straight to :mod:`assistant.cli`.  This module
imports only the standard library at the top: PyYAML (the settings) and sounddevice (the
device list) only for ``run``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STARTED = time.monotonic()
"""When the program started: the microphone wait counts from here."""

_announced: dict[str, float] = {}


def _command(argv: Sequence[str]) -> tuple[str | None, str | None]:
    """The command word and ``--config``'s value, read the way :mod:`assistant.cli` does."""
    config, command, i = None, None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config" and i + 1 < len(argv):
            config, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        elif not arg.startswith("-") and command is None:
            command = arg
        i += 1
    return command, config


def _audio_settings(config: str | None) -> tuple[Any, float, bool]:
    """``audio.input_device``, ``audio.device_wait_s`` and whether satellites are set, read
    leniently (the full, checked read comes next and reports any mistake)."""
    import yaml  # only for `run`: the settings the line needs

    from ..formats.places import user_file

    device, wait_s, satellites = None, 120.0, False
    path = Path(config) if config else user_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError, yaml.YAMLError):
        data = None
    if isinstance(data, dict):
        audio: dict[str, Any] = data["audio"] if isinstance(data.get("audio"), dict) else {}
        device = audio.get("input_device")
        wait = audio.get("device_wait_s", wait_s)
        wait_s = float(wait) if isinstance(wait, (int, float)) and not isinstance(wait, bool) else wait_s
        satellites = bool(data.get("satellites"))
    return device, wait_s, satellites


def has_microphone(device: Any) -> bool | None:
    """Whether an input device matching ``device`` (None: any; a number: its index; a
    name: part of it) is there; None when the sound library cannot tell."""
    try:
        import sounddevice  # only for `run`: the device list (PortAudio)

        devices = list(sounddevice.query_devices())
    except Exception:  # no PortAudio at all: the full start says what is wrong
        return None
    inputs = [(i, d) for i, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]
    if device is None:
        return bool(inputs)
    if isinstance(device, int) and not isinstance(device, bool):
        return any(i == device for i, _ in inputs)
    return any(str(device).lower() in str(d.get("name", "")).lower() for _, d in inputs)


def waiting_line(wait_s: float, left_s: float) -> str:
    """What ``checkin run`` says while it waits for a microphone."""
    return (
        f"checkin: waiting for a microphone: plug one in and the check-in starts at once "
        f"({_duration(left_s)} left of {_duration(wait_s)}; Ctrl-C to stop)"
    )


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def announce_waiting(argv: Sequence[str]) -> bool:
    """For ``checkin run`` without a microphone (and without satellites): the waiting line,
    now.  True when it was said."""
    command, config = _command(argv)
    if command != "run" or any(a in ("-h", "--help") for a in argv):
        return False
    device, wait_s, satellites = _audio_settings(config)
    if satellites or has_microphone(device) is not False:
        return False
    print(waiting_line(wait_s, wait_s - (time.monotonic() - STARTED)), file=sys.stderr, flush=True)
    _announced["at"] = time.monotonic()
    return True


def announced() -> bool:
    """Whether the waiting line was said already (:mod:`assistant.cli` goes on from there)."""
    return "at" in _announced
