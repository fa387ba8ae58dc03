"""``checkin doctor``: check each thing a check-in depends on and say how to fix it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable

from .config import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _guard(name: str, fix: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except Exception as exc:  # each probe reports its own failure as one line
        return Check(name, False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__, fix)


def run_checks(settings: Settings) -> Iterator[Check]:
    def dialogs() -> str:
        from .dialogs import load_dir

        dset = load_dir(settings.dialogs)
        return f"{len(dset.dialogs)} dialogs valid in {settings.dialogs}"

    yield _guard("dialogs", "run `checkin validate` and correct the file and line it names", dialogs)

    def microphone() -> str:
        from .audio import _devices, find_device

        index = find_device(settings.audio.input_device, "input")
        return f"input device {index}: {_devices()[index]['name']}"

    yield _guard("microphone", "plug in the USB microphone, then set audio.input_device in config.yaml (see `checkin devices`)", microphone)

    def speaker() -> str:
        from .audio import _devices, find_device

        index = find_device(settings.audio.output_device, "output")
        return f"output device {index}: {_devices()[index]['name']}"

    yield _guard("speaker", "connect a speaker, then set audio.output_device in config.yaml (see `checkin devices`)", speaker)

    yield from _speech_checks(settings)

    def voice() -> str:
        from .tts import Pyttsx3Synth

        pcm = Pyttsx3Synth(settings.voice.voice, settings.voice.rate, settings.voice.volume).render("Hello.")
        return f"espeak-ng renders ({len(pcm) / 32000:.1f} s for 'Hello.')"

    yield _guard("voice", "install espeak-ng: sudo apt-get install espeak-ng libespeak-ng1", voice)

    def journal() -> str:
        path = settings.journal_file()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = path.parent.stat().st_mode & 0o777
        if mode & 0o077:
            raise PermissionError(f"{path.parent} is readable by others (mode {mode:o})")
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(f"cannot write to {path.parent}")
        return f"{path} (private, keep: {settings.journal.keep})"

    yield _guard("journal", "chmod 700 the journal folder, or set journal.path in config.yaml", journal)

    def disk() -> str:
        free = shutil.disk_usage(settings.journal_file().parent).free
        if free < 50 * 1024 * 1024:
            raise OSError(f"only {free // (1024 * 1024)} MB free")
        return f"{free // (1024 * 1024)} MB free"

    yield _guard("disk", "free some space on the SD card (journal and prompt cache need a few MB)", disk)


def _speech_checks(settings: Settings) -> Iterator[Check]:
    """One check per recogniser the ``asr`` roles name (from the registry)."""
    from .asr.registry import RECOGNISERS, load

    for name in settings.asr.roles():
        entry = RECOGNISERS[name]
        roles = [role for role in ("choices", "fallback", "free") if getattr(settings.asr, role) == name]

        def model(name: str = name, roles: list[str] = roles) -> str:
            rec = load(name, settings.asr.options())
            return f"{rec.name} loaded ({RECOGNISERS[name].about}) for {', '.join(roles)}"

        yield _guard(f"speech: {name}", f"{entry.fix}; or choose another recogniser for {', '.join(roles)} under asr in config.yaml", model)
