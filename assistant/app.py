"""Assemble the pieces a command needs from the settings: dialogs, engine, journal, and
(lazily, so text-only commands never load them) the recogniser and the voice."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from .config import PROJECT_DIR, Settings
from .engine import Context, Engine
from .engine import memory as memory_mod
from .engine.model import DialogSet
from .engine.step import Turn
from .formats import advice
from .formats.errors import UsageError
from .home.session import Session, Sink, TurnSource, Voice
from .loader.dialogs import load_dir
from .speech.asr.roles import RoleRecogniser
from .store.journal import Journal
from .text.meaning import KINDS, Ask
from .text.meaning import reader as reader_mod

READER_MODEL = PROJECT_DIR / "models" / "reader.npz"
"""The reader by meaning's trained part (``scripts/train_reader.py`` builds it)."""
_READERS: dict[tuple[str, float], Any] = {}


def dialogs(settings: Settings, reader_model: Path | None = None) -> DialogSet:
    """The dialogs; with ``reader_model`` (``checkin understand``, the bench), the reader by
    meaning beside the meaning layer's rules.  The engine reads with the rules alone for now:
    with the reader on, 16 cooperative scenarios read differently (BENCHMARKS.md,
    "Understanding").  A reader that cannot be loaded (a missing or broken model, no wordllama
    package) is one warning line on stderr, and answers are read by the rules alone."""
    dset = load_dir(settings.dialogs)
    if dset.meaning is None or reader_model is None:
        return dset
    reader = load_reader(reader_model)
    return replace(dset, meaning=replace(dset.meaning, reader=reader)) if reader is not None else dset


def load_reader(path: Path) -> Any:
    """The reader by meaning from ``path`` (loaded once per process and file version), or None
    with one warning line."""
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        key = (str(path), -1.0)
    if key not in _READERS:
        try:
            _READERS[key] = reader_mod.load(path, _embedder())
        except reader_mod.ReaderError as exc:
            print(f"checkin: warning: the reader by meaning is off, reading by rules only: {exc}", file=sys.stderr)
            return None
    return _READERS[key]


_EMBEDDER: list[Any] = []


def _embedder() -> Any:
    if not _EMBEDDER:
        _EMBEDDER.append(reader_mod.load_embedder())
    return _EMBEDDER[0]


def engine(dset: DialogSet) -> Engine:
    return Engine(dset)


def ask_at(dset: DialogSet, at: str | None, now: datetime) -> Ask:
    """The question an answer is read at, for ``checkin understand --at``: a kind of question
    (``yes_no``, ``touch``...) or ``DIALOG:NODE`` (the dialog is started there with placeholder
    names and the node asked as the engine would).  A bad name is a :class:`UsageError`."""
    if at is None:
        return Ask("text", now=now)
    if ":" not in at:
        if at not in KINDS:
            raise UsageError(f"--at: {at!r} is not a kind of question ({', '.join(KINDS)}) nor DIALOG:NODE")
        return Ask(at, now=now, scale="energy" if at == "scale" else None)
    dialog, node = at.split(":", 1)
    if dialog not in dset.dialogs:
        raise UsageError(f"--at: no dialog named {dialog!r} ({', '.join(sorted(dset.dialogs))})")
    if node not in dset.dialogs[dialog].nodes:
        raise UsageError(f"--at: no node {node!r} in {dialog} ({', '.join(dset.dialogs[dialog].nodes)})")
    eng = Engine(dset)
    state, _ = eng.start(Context(("Alex", "Sam"), now, "understand"), dialog)
    step = Turn(eng, state)
    try:
        eng.enter(step, node)
    except (KeyError, ValueError) as exc:  # a template that needs what was said before
        raise UsageError(f"--at: {at} cannot be entered on its own ({exc}); give a kind of question instead") from None
    return eng.handler(step.state).ask(step, step.node)


def journal(settings: Settings, dset: DialogSet, path: Path | None = None) -> Journal:
    return Journal(path or settings.journal_file(), keep=settings.journal.keep, free_text=dset.free_text_fields())


@dataclass
class CheckIn:
    """One session, assembled and ready to run: the engine with its ports, and who, what
    and with which memory.  ``run()`` holds the journal (one check-in at a time), closes
    sessions a dead process left open, computes what the journal remembers of this couple
    (unless memory was given) and runs to the end."""

    session: Session
    program: DialogSet
    partners: tuple[str, str]
    start: str
    styles: Mapping[str, Mapping[str, str]]
    journal: Journal | None = None
    memory: Mapping[str, Any] | None = None
    """None: computed from the journal when the session starts."""
    safety: Mapping[str, str] | None = None
    """Where help is (config.yaml ``safety:``), said after a safety pause."""
    voices: tuple[str, ...] = ()
    """The partners whose voiceprints are enrolled (their answers carry who spoke)."""
    break_minutes: int = 20
    """How long a break is when someone is flooded (config.yaml ``coaching: {break_minutes}``)."""

    def run(self) -> dict[str, Any]:
        now = self.session.clock()
        if self.journal is None:
            return self._run(now, self.memory)
        with self.journal.one_session():  # a second check-in at the same time says so and stops
            self.journal.close_stale()
            memory = self.memory
            if memory is None:
                records = memory_mod.of_couple(self.journal.records(), self.partners)
                memory = memory_mod.compute(records, self.program, now)
            return self._run(now, memory)

    def _run(self, now: datetime, memory: Mapping[str, Any] | None) -> dict[str, Any]:
        return self.session.run(
            self.partners,
            self.start,
            now=now,
            memory=memory or {},
            styles=self.styles,
            safety=self.safety,
            voices=self.voices,
            break_minutes=self.break_minutes,
        )


def session(
    settings: Settings,
    program: DialogSet,
    engine: Engine,
    turns: TurnSource,
    sinks: Sequence[Sink] = (),
    *,
    journal: Journal | None = None,
    voice: Voice | None = None,
    clock: Callable[[], datetime] = datetime.now,
    partners: tuple[str, str] | None = None,
    start: str | None = None,
    memory: Mapping[str, Any] | None = None,
    styles: Mapping[str, Mapping[str, str]] | None = None,
    voices: Sequence[str] | None = None,
) -> CheckIn:
    """The one place a session is put together (chat, simulate, listen, run): partners,
    start dialog and styles default to the settings, memory to the journal's, the enrolled
    voices to the voiceprints in the data folder."""
    partners = partners or settings.partners
    if voices is None:
        voices = enrolled(settings, partners)
    return CheckIn(
        Session(engine, turns, sinks, journal=journal, voice=voice, clock=clock),
        program,
        partners,
        start or settings.start,
        styles if styles is not None else settings.styles,
        journal,
        memory,
        settings.safety,
        tuple(voices),
        settings.break_minutes,
    )


def voiceprints_file(settings: Settings) -> Path:
    """Where the partners' voiceprints are kept (beside the journal)."""
    from .store.voiceprints import path_for

    return path_for(settings.journal_file())


def enrolled(settings: Settings, partners: Sequence[str] | None = None) -> tuple[str, ...]:
    """The partners (config.yaml's unless given) whose voiceprints are kept."""
    from .store.voiceprints import load

    prints = load(voiceprints_file(settings))
    return tuple(p for p in (partners or settings.partners) if p in prints)


def attribution(settings: Settings, partners: Sequence[str] | None = None):
    """Who spoke each utterance: starts an :class:`~assistant.speech.speaker.Attributor` over the
    enrolled partners' voiceprints; None when nobody is enrolled (everything as before)."""
    from .speech.speaker import Attributor, encoder
    from .store.voiceprints import embeddings, load

    prints = embeddings(load(voiceprints_file(settings)), partners or settings.partners)
    if not prints:
        return None
    model = encoder()
    return lambda: Attributor(prints, model)


def journal_only(settings: Settings) -> Journal:
    """The journal for reading and erasing (no dialogs needed: the export and ``forget``
    work even when a dialog file is broken)."""
    return Journal(settings.journal_file(), keep=settings.journal.keep)


def raw_synth(settings: Settings):
    """The configured voice without the cache: espeak-ng through pyttsx3 (the default), or
    Piper (``tts.engine: piper``; :class:`~assistant.speech.piper_voice.VoiceUnavailable`, exit 2,
    when piper-tts or the voice file is missing or broken)."""
    if settings.voice.engine == "piper":
        from .speech.piper_voice import PiperSynth

        return PiperSynth(settings.voice.piper_voice, settings.voice.rate, settings.voice.volume)
    from .speech.tts import Pyttsx3Synth

    return Pyttsx3Synth(settings.voice.voice, settings.voice.rate, settings.voice.volume)


def synth(settings: Settings, static: Iterable[str] = ()):
    """The configured voice behind the on-disk prompt cache, which stores only ``static``
    prompts (and what ``prepare`` is given): nothing the couple said is written to disk."""
    from .speech.tts import PromptCache

    return PromptCache(raw_synth(settings), settings.voice.cache_dir, static=static)


def voice(settings: Settings, speaker=None, log=None, static: Iterable[str] = ()):
    """The prompts spoken through the configured output device (or ``speaker``).  Without
    a usable output device: one line saying so, and None (the prompts are shown only).
    ``static``: the prompts the cache may keep (:func:`static_prompts`)."""

    from .speech.audio import AudioError, SoundDeviceSpeaker, find_device
    from .speech.voice import SpeakingVoice, respell

    if speaker is None:
        try:
            find_device(settings.audio.output_device, "output")
        except AudioError as exc:
            print(f"checkin: not speaking: {exc}", file=log or sys.stderr, flush=True)
            return None
        speaker = SoundDeviceSpeaker(settings.audio.output_device)
    static = [respell(text, settings.pronunciations) for text in static]
    return SpeakingVoice(synth(settings, static), speaker, log=log, say_as=settings.pronunciations)


def recogniser(settings: Settings, common: Mapping[str, Any] | None = None) -> RoleRecogniser:
    """The recognisers in their roles (choices, fallback, free answers), each loaded at its
    first use, so start-up is quick; ``checkin run`` calls ``warm_up()`` to load them in the
    background while it waits for the wake phrase (else the first wake check and the first
    answer would each wait for a model: 0.4 s and 0.26 s here).  A Vosk model that is
    missing is an error now, not at the first turn; ``check()`` loads all.
    ``common``: the loaded dialogs' common.yaml (read from the dialogs folder when not given)."""
    from .speech.asr import registry
    from .speech.asr.base import RecogniserError
    from .speech.asr.vosk import looks_like_vosk_model

    asr = settings.asr
    if "vosk" in asr.roles() and not looks_like_vosk_model(asr.vosk_model):
        raise RecogniserError(f"Vosk model not found at {asr.vosk_model}: {advice.text('fix_vosk_model')}")
    options = asr.options()
    commands = global_commands(settings, common)
    hints = [phrases[0] for phrases in commands.values()] if not registry.RECOGNISERS[asr.free].grammar else []
    confirm = [p for phrases in commands.values() for p in phrases]
    return RoleRecogniser(
        asr.choices, asr.free, asr.fallback, lambda name: registry.load(name, options), confirm=confirm, hints=hints
    )


def global_commands(settings: Settings, common: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """The global commands of the dialogs' common.yaml: their phrases normalised as answers are."""
    from .loader.dialogs import load_file
    from .text.matching import normalise

    if common is None:
        common = load_file(settings.dialogs / "common.yaml", "common")
    return {name: [normalise(p) for p in phrases] for name, phrases in common["commands"].items()}


def audio_turns(settings: Settings, attribute=None):  # noqa: ANN001
    """A decoder for ``{"audio": path}`` turns (the microphone's path, with who spoke when
    ``attribute`` is given); the recogniser loads at the first audio turn."""
    from .home.session import TurnError
    from .speech.audio import AudioError
    from .speech.listener import decode_file

    lazy = recogniser(settings)

    def decode(path: str, listen):
        try:
            return decode_file(path, listen, lazy, attribute)
        except AudioError as exc:
            raise TurnError(f"audio turn: {exc}") from None

    return decode


def wake(settings: Settings, recogniser: RoleRecogniser | None = None):
    """The wake detector.  With ``recogniser`` and Whisper among the roles, in two stages:
    the cheap detector proposes every segment whose grammar path says the phrase; Whisper confirms (loaded at the first
    candidate when no turn has loaded it yet)."""
    from .speech.wake import PROPOSE, WakeDetector, whisper_confirm

    if recogniser is None or "whisper" not in settings.asr.roles():
        return WakeDetector(phrases=settings.wake.phrases)
    confirm = whisper_confirm(settings.wake.phrases, lambda: recogniser.get("whisper"))
    return WakeDetector(phrases=settings.wake.phrases, confirm=confirm, propose=PROPOSE)


def cues(settings: Settings, voice):
    """The listening cues on the voice's speaker, or None (no speaker, or ``audio.cues: false``)."""
    if voice is None or not settings.audio.cues:
        return None
    from .speech.cues import Cues

    return Cues(voice.speaker)


def static_prompts(dset: DialogSet, partners: tuple[str, str]) -> list[str]:
    """Every prompt whose words are known before a session starts (the names are), for
    ``checkin prepare``: says, brief forms, help, re-prompts, each node type's own spoken
    texts and the messages, when they have no placeholders but the names."""
    from .engine.nodes import handler_for
    from .engine.render import fields, fill

    a, b = partners
    texts: list[str] = []

    def add(value: Any) -> None:
        for template in [value] if isinstance(value, str) else list(value or []):
            if {name for name, _ in fields(template)} <= {"a", "b", "partner", "other"}:
                texts.extend(fill(template, {"a": a, "b": b, "partner": p, "other": o}) for p, o in ((a, b), (b, a)))

    for dialog in dset.dialogs.values():
        for node in dialog.nodes.values():
            for key in ("say", "brief", "help", "noinput", "nomatch", "floor"):
                add(node.get(key))
            for _, template in handler_for(node.kind).templates(node.body):
                add(template)
    for value in dset.common["messages"].values():
        add(value)
    for handlers in dset.common["defaults"].values():
        if isinstance(handlers, dict):
            for key in ("noinput", "nomatch"):
                add(handlers.get(key))
    return list(dict.fromkeys(texts))


class Reloadable:
    """Settings, dialogs and engine that a service reload (SIGHUP) can replace.  A broken
    config or dialog file keeps the old, working version running and logs one line."""

    def __init__(self, config_path, log=None):

        from . import config as config_mod

        self._config_mod = config_mod
        self.config_path = config_path
        self.log = log or sys.stderr
        self.settings = config_mod.load(config_path, notice=self._notice)
        self.dialogs = dialogs(self.settings)
        self.engine = engine(self.dialogs)

    def _notice(self, line: str) -> None:
        print(f"checkin: {line}", file=self.log, flush=True)

    def reload(self) -> bool:
        from .formats.errors import CheckinError

        try:
            settings = self._config_mod.load(self.config_path, notice=self._notice)
            dset = dialogs(settings)
        except CheckinError as exc:
            print(f"checkin: reload refused, keeping the running version: {exc}", file=self.log, flush=True)
            return False
        except Exception as exc:  # a reload runs in a signal handler: it must never take the service down
            print(
                f"checkin: reload refused, keeping the running version: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
                file=self.log,
                flush=True,
            )
            return False
        self.settings, self.dialogs, self.engine = settings, dset, engine(dset)
        print(f"checkin: reloaded {len(dset.dialogs)} dialogs and {settings.source}", file=self.log, flush=True)
        return True

    def reload_on_sighup(self) -> None:
        """``systemctl reload checkin`` sends SIGHUP: reload then (between two sessions)."""
        import signal

        signal.signal(signal.SIGHUP, lambda signum, frame: self.reload())
