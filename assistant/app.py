"""Assemble the pieces a command needs from the settings: dialogs, engine, journal, and
(lazily, so text-only commands never load them) the recogniser and the voice."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .config import Settings
from .dialogs import DialogSet, load_dir
from .engine import Engine
from .journal import Journal


def dialogs(settings: Settings) -> DialogSet:
    return load_dir(settings.dialogs)


def engine(dset: DialogSet) -> Engine:
    return Engine(dset)


def journal(settings: Settings, dset: DialogSet, path: Path | None = None) -> Journal:
    return Journal(path or settings.journal_file(), keep=settings.journal_keep, free_text=dset.free_text_fields())


def journal_only(settings: Settings) -> Journal:
    """The journal for reading and erasing (no dialogs needed: the export and ``forget``
    work even when a dialog file is broken)."""
    return Journal(settings.journal_file(), keep=settings.journal_keep)


def synth(settings: Settings, static: Iterable[str] = ()):
    """pyttsx3 (espeak-ng) behind the on-disk prompt cache, which stores only ``static``
    prompts (and what ``prepare`` is given): nothing the couple said is written to disk."""
    from .tts import PromptCache, Pyttsx3Synth

    return PromptCache(Pyttsx3Synth(settings.tts_voice, settings.tts_rate, settings.tts_volume), settings.tts_cache_dir, static=static)


def voice(settings: Settings, speaker=None, log=None, static: Iterable[str] = ()):
    """The prompts spoken through the configured output device (or ``speaker``).  Without
    a usable output device: one line saying so, and None (the prompts are shown only).
    ``static``: the prompts the cache may keep (:func:`static_prompts`)."""
    import sys

    from .audio import AudioError, SoundDeviceSpeaker, find_device
    from .voice import SpeakingVoice, respell

    if speaker is None:
        try:
            find_device(settings.output_device, "output")
        except AudioError as exc:
            print(f"checkin: not speaking: {exc}", file=log or sys.stderr, flush=True)
            return None
        speaker = SoundDeviceSpeaker(settings.output_device)
    static = [respell(text, settings.pronunciations) for text in static]
    return SpeakingVoice(synth(settings, static), speaker, say_as=settings.pronunciations)


def recogniser(settings: Settings):
    from .asr import load_recogniser

    return load_recogniser(settings.asr_engine, settings.vosk_model)


class LazyRecogniser:
    """Loads the recogniser at its first utterance: while the device waits for the wake
    phrase only the wake detector is needed, and the first turn comes after the greeting
    has been spoken, which hides the load.  ``check()`` loads it now (to fail early)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._loaded = None
        if settings.asr_engine == "vosk":  # a missing model is an error at start, not at the first turn
            from .asr.base import RecogniserError
            from .asr.vosk import looks_like_vosk_model

            if not looks_like_vosk_model(settings.vosk_model):
                raise RecogniserError(f"Vosk model not found at {settings.vosk_model}: run python scripts/download_model.py (or set asr.engine: auto)")

    def check(self):
        if self._loaded is None:
            self._loaded = recogniser(self.settings)
        return self._loaded

    @property
    def name(self) -> str:
        return self.check().name

    sample_rate = 16000

    def start(self, grammar=None):
        return self.check().start(grammar)


def audio_turns(settings: Settings):
    """A decoder for ``{"audio": path}`` turns; the recogniser loads at the first audio turn."""
    from .audio import AudioError
    from .listener import decode_file
    from .session import TurnError

    lazy = LazyRecogniser(settings)

    def decode(path: str, listen):
        try:
            return decode_file(path, listen, lazy)
        except AudioError as exc:
            raise TurnError(f"audio turn: {exc}") from None

    return decode


def wake(settings: Settings):
    from .wake import WakeDetector

    return WakeDetector(phrases=settings.wake_phrases)


def static_prompts(dset: DialogSet, partners: tuple[str, str]) -> list[str]:
    """Every prompt whose words are known before a session starts (the names are), for
    ``checkin prepare``: says, brief forms, help and messages with no slot placeholders."""
    import string

    a, b = partners
    texts: list[str] = []

    def add(template: str) -> None:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        if not fields <= {"a", "b", "partner", "other"}:
            return
        for partner, other in ((a, b), (b, a)):
            texts.append(" ".join(template.format(a=a, b=b, partner=partner, other=other).split()))

    def walk(value) -> None:
        if isinstance(value, str):
            add(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for dialog in dset.dialogs.values():
        for node in dialog.nodes.values():
            for key in ("say", "brief", "help", "noinput", "nomatch"):
                walk(node.get(key))
            for item in (node.body if node.kind in ("choice", "branch") else []) or []:
                walk(item.get("say"))
    for value in dset.common["messages"].values():
        walk(value)
    for handlers in dset.common["defaults"].get("capture", {}).values():
        walk(handlers)
    return list(dict.fromkeys(texts))


class Reloadable:
    """Settings, dialogs and engine that a service reload (SIGHUP) can replace.  A broken
    config or dialog file keeps the old, working version running and logs one line."""

    def __init__(self, config_path, log=None):
        import sys

        from . import config as config_mod

        self._config_mod = config_mod
        self.config_path = config_path
        self.log = log or sys.stderr
        self.settings = config_mod.load(config_path)
        self.dialogs = dialogs(self.settings)
        self.engine = engine(self.dialogs)

    def reload(self) -> bool:
        from .errors import CheckinError

        try:
            settings = self._config_mod.load(self.config_path)
            dset = dialogs(settings)
        except CheckinError as exc:
            print(f"checkin: reload refused, keeping the running version: {exc}", file=self.log, flush=True)
            return False
        except Exception as exc:  # a reload runs in a signal handler: it must never take the service down
            print(f"checkin: reload refused, keeping the running version: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}", file=self.log, flush=True)
            return False
        self.settings, self.dialogs, self.engine = settings, dset, engine(dset)
        print(f"checkin: reloaded {len(dset.dialogs)} dialogs and {settings.source}", file=self.log, flush=True)
        return True

    def reload_on_sighup(self) -> None:
        """``systemctl reload checkin`` sends SIGHUP: reload then (between two sessions)."""
        import signal

        signal.signal(signal.SIGHUP, lambda signum, frame: self.reload())
