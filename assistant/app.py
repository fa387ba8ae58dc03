"""Assemble the pieces a command needs from the settings: dialogs, engine, journal, and
(lazily, so text-only commands never load them) the recogniser and the voice."""

from __future__ import annotations

from pathlib import Path

from .asr.roles import RoleRecogniser
from .config import Settings
from .dialogs import DialogSet, load_dir
from .engine import Engine
from .journal import Journal


def dialogs(settings: Settings) -> DialogSet:
    return load_dir(settings.dialogs)


def engine(dset: DialogSet) -> Engine:
    return Engine(dset)


def journal(settings: Settings, dset: DialogSet, path: Path | None = None) -> Journal:
    return Journal(path or settings.journal_file(), keep=settings.journal.keep, free_text=dset.free_text_fields())


def synth(settings: Settings):
    """pyttsx3 (espeak-ng) behind the on-disk prompt cache."""
    from .tts import PromptCache, Pyttsx3Synth

    return PromptCache(Pyttsx3Synth(settings.voice.voice, settings.voice.rate, settings.voice.volume), settings.voice.cache_dir)


def voice(settings: Settings, speaker=None, log=None):
    """The prompts spoken through the configured output device (or ``speaker``).  Without
    a usable output device: one line saying so, and None (the prompts are shown only)."""
    import sys

    from .audio import AudioError, SoundDeviceSpeaker, find_device
    from .voice import SpeakingVoice

    if speaker is None:
        try:
            find_device(settings.audio.output_device, "output")
        except AudioError as exc:
            print(f"checkin: not speaking: {exc}", file=log or sys.stderr, flush=True)
            return None
        speaker = SoundDeviceSpeaker(settings.audio.output_device)
    return SpeakingVoice(synth(settings), speaker)


def recogniser(settings: Settings) -> RoleRecogniser:
    """The recognisers in their roles (choices, fallback, free answers), each loaded at its
    first utterance: while the device waits for the wake phrase only the wake detector is
    needed, and the first turn comes after the greeting, which hides the load.  A Vosk
    model that is missing is an error now, not at the first turn; ``check()`` loads all."""
    from .asr import registry
    from .asr.base import RecogniserError
    from .asr.vosk import looks_like_vosk_model

    asr = settings.asr
    if "vosk" in asr.roles() and not looks_like_vosk_model(asr.vosk_model):
        raise RecogniserError(f"Vosk model not found at {asr.vosk_model}: run python scripts/download_model.py (or choose pocketsphinx in asr)")
    options = asr.options()
    commands = global_commands(settings)
    hints = [phrases[0] for phrases in commands.values()] if not registry.RECOGNISERS[asr.free].grammar else []
    confirm = [p for phrases in commands.values() for p in phrases]
    return RoleRecogniser(asr.choices, asr.free, asr.fallback, lambda name: registry.load(name, options), confirm=confirm, hints=hints)


def global_commands(settings: Settings) -> dict[str, list[str]]:
    """The global commands of the dialogs' common.yaml: their phrases in lower-case words."""
    import re

    from .dialogs import load_file

    common = load_file(settings.dialogs / "common.yaml", "common")
    return {name: [" ".join(re.findall(r"[a-z0-9']+", p.lower().replace("-", " "))) for p in phrases] for name, phrases in common["commands"].items()}


def audio_turns(settings: Settings):
    """A decoder for ``{"audio": path}`` turns; the recogniser loads at the first audio turn."""
    from .audio import AudioError
    from .listener import decode_file
    from .session import TurnError

    lazy = recogniser(settings)

    def decode(path: str, listen):
        try:
            return decode_file(path, listen, lazy)
        except AudioError as exc:
            raise TurnError(f"audio turn: {exc}") from None

    return decode


def wake(settings: Settings, recogniser: RoleRecogniser | None = None):
    """The wake detector.  With ``recogniser`` and Whisper among the roles, in two stages:
    the cheap detector, more sensitive, proposes; Whisper confirms (loaded at the first
    candidate when no turn has loaded it yet)."""
    from .asr import transcribe
    from .wake import PROPOSE_SENSITIVITY, WakeDetector, phrase_confirm

    if recogniser is None or "whisper" not in settings.asr.roles():
        return WakeDetector(phrases=settings.wake.phrases)
    confirm = phrase_confirm(settings.wake.phrases, lambda pcm: transcribe(recogniser.get("whisper"), pcm).text)
    return WakeDetector(phrases=settings.wake.phrases, sensitivity=PROPOSE_SENSITIVITY, confirm=confirm)


def cues(settings: Settings, voice):
    """The listening cues on the voice's speaker, or None (no speaker, or ``audio.cues: false``)."""
    if voice is None or not settings.audio.cues:
        return None
    from .cues import Cues

    return Cues(voice.speaker)


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
        from .dialogs import DialogError

        try:
            settings = self._config_mod.load(self.config_path)
            dset = dialogs(settings)
        except DialogError as exc:
            print(f"checkin: reload refused, keeping the running version: {exc}", file=self.log, flush=True)
            return False
        self.settings, self.dialogs, self.engine = settings, dset, engine(dset)
        print(f"checkin: reloaded {len(dset.dialogs)} dialogs and {settings.source}", file=self.log, flush=True)
        return True
