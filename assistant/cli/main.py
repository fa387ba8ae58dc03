"""The ``checkin`` command and its subcommands.  Parsing and exit codes only: the work is
done by the modules it calls.

Exit codes (:mod:`assistant.formats.errors`): 0 success; 1 a fault at run time (device, model,
journal); 2 invalid input (a dialog, config, scenario or protocol line); 3 a simulated
scenario missed its ``expect``; 130 interrupted (Ctrl-C / SIGTERM).  Every error is one
line on stderr, never a traceback.  A closed output pipe (``checkin history | head -1``)
ends the command quietly with 0; a session cut short that way is saved as ``stopped``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from .. import app
from .. import config as config_mod
from ..engine.model import DialogSet
from ..formats import advice
from ..formats.errors import (
    EXIT_FAULT,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_NO_MICROPHONE,
    EXIT_OK,
    EXIT_UNMET,
    CheckinError,
    UsageError,
)
from ..formats.yamlfile import DialogError
from ..home.session import ConsoleSink, ConsoleTurns, JsonlSink, JsonlTurns, ScriptedTurns, TurnSource
from ..loader.dialogs import validate_dir
from . import waiting

__all__ = [
    "EXIT_FAULT",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_NO_MICROPHONE",
    "EXIT_OK",
    "EXIT_UNMET",
    "UsageError",
    "build_parser",
    "main",
]


def _notice(line: str) -> None:
    print(f"checkin: {line}", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> config_mod.Settings:
    """The settings: ``--config``, else the user's file, else the defaults."""
    return config_mod.load(args.config, notice=_notice)


def _fail(message: str, code: int) -> int:
    print(f"checkin: {message}", file=sys.stderr)
    return code


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--now: not an ISO date-time: {value!r} (for example 2026-11-25T18:30)") from None


def _partners(value: str | None, settings: config_mod.Settings) -> tuple[str, str]:
    if value is None:
        return settings.partners
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) != 2:
        raise UsageError(f"--partners: give two names separated by a comma, like Maya,Sam (got {value!r})")
    return names[0], names[1]


def default_log_dir() -> Path:
    """Where ``--log`` with no file name writes (``~/.local/state/checkin/log``); ``forget`` empties it."""
    from platformdirs import user_log_path

    return user_log_path("checkin")


def _log_sink(value: str, mode: str = "a") -> JsonlSink:
    """A ``--log`` file: the named one, or a new 0600 file in the private default folder."""
    if value:
        return JsonlSink(open(value, mode, encoding="utf-8"), log=True)
    folder = default_log_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / f"events-{datetime.now().strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.jsonl"
    return JsonlSink(
        os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8"), log=True
    )


def _clock(now: datetime | None) -> Callable[[], datetime]:
    return (lambda: now) if now is not None else datetime.now


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else _settings(args).dialogs
    try:
        dset = app.dialogs(config_mod.Settings(dialogs=directory))
    except DialogError as exc:
        for error in validate_dir(directory) or [exc]:  # every broken file, one line each
            print(error, file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: {len(dset.dialogs)} dialogs, {len(dset.lexicons)} lexicons, {len(dset.decks)} decks in {directory}")
    return EXIT_OK


def _interactive() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def ask_names_first(args: argparse.Namespace, settings: config_mod.Settings) -> config_mod.Settings:
    """Before the first evening, when no names are set (and none given with ``--partners``):
    the two names, typed, saved where ``checkin setup`` writes (``--config``, else the
    user's file), and the settings read again.  Only in a terminal: a program on the other
    end of a pipe (``--jsonl``, a script) is never asked and keeps the placeholders."""
    from . import firstrun

    if getattr(args, "partners", None) is not None or settings.named or not _interactive():
        return settings
    print("Before your first check-in: your two names, so the coach can greet you.", flush=True)
    ports = firstrun.Ports(ask=_asker("names"), tell=lambda line: print(line, flush=True))
    names = [firstrun.ask_name(ports, which, None) for which in ("first", "second")]
    path = config_mod.writable_file(args.config)
    config_mod.update_file(path, {"partners": names})
    print(advice.text("names_saved", path=path), flush=True)
    return config_mod.load(path)


def cmd_chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not args.jsonl:
        settings = ask_names_first(args, settings)
    dset = app.dialogs(settings)
    now = _parse_now(args.now)
    partners = _partners(args.partners, settings)
    start = args.start or settings.start
    if start not in dset.dialogs:
        raise UsageError(f"--start: no dialog named {start!r} (have: {', '.join(sorted(dset.dialogs))})")
    voice = app.voice(settings, static=app.static_prompts(dset, partners)) if args.speak else None
    turns: TurnSource
    sinks: list[Any]
    if args.jsonl:
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8")  # the protocol is UTF-8 whatever the locale says
        turns = JsonlTurns(
            sys.stdin,
            audio=app.audio_turns(settings, app.attribution(settings, partners)) if not args.no_audio else None,
        )
        sinks = [JsonlSink(sys.stdout)]
    else:
        turns = ConsoleTurns()
        sinks = [ConsoleSink(sys.stdout)]
    if args.log is not None:
        sinks.append(_log_sink(args.log))
    journal = app.journal(settings, dset)
    app.session(
        settings,
        dset,
        app.engine(dset),
        turns,
        sinks,
        journal=journal,
        voice=voice,
        clock=_clock(now),
        partners=partners,
        start=start,
    ).run()
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..loader import scenario as scenario_mod

    settings = _settings(args)
    dset = app.dialogs(settings)
    scen = scenario_mod.load(args.scenario)
    start = scen.start or settings.start
    if start not in dset.dialogs:
        raise DialogError(
            scen.source, None, "start", f"no dialog named {start!r} (have: {', '.join(sorted(dset.dialogs))})"
        )
    now = scen.now or datetime.now()
    has_audio = any("audio" in t for t in scen.turns)
    voices = scen.voices
    attribute = app.attribution(settings, voices) if has_audio and voices else None
    turns = ScriptedTurns(
        scen.turns, audio=app.audio_turns(settings, attribute) if has_audio else None, where=scen.source
    )
    says: list[str] = []
    sinks: list[Any] = [lambda e: says.append(e["text"]) if e["type"] == "say" else None]
    if args.log is not None:
        sinks.append(_log_sink(args.log, "w"))
    journal = app.journal(settings, dset, Path(args.journal)) if args.journal else None
    checkin = app.session(
        settings,
        dset,
        app.engine(dset),
        turns,
        sinks,
        journal=journal,
        clock=_clock(now),
        partners=scen.partners,
        start=start,
        memory=scen.memory,
        styles=scen.styles or None,
        voices=voices,
    )
    record = checkin.run()
    print(json.dumps(record, indent=2, ensure_ascii=False))
    problems = scenario_mod.check(scen, record, says)
    for problem in problems:
        print(f"checkin: {scen.source}: {problem}", file=sys.stderr)
    checked = "expectations met" if scen.expect else "no expectations to check"
    verdict = f"FAIL: {len(problems)} expectation(s) not met" if problems else f"pass: {checked}"
    print(
        f"checkin: {scen.source}: {verdict} ({record['outcome']}, {len(record.get('exercises', []))} exercise entries)",
        file=sys.stderr,
    )
    return EXIT_UNMET if problems else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    """The couple's check-ins (``--partners``, else the configured names): never another
    couple's; ``--json --all`` exports every stored record."""
    from ..engine import memory as memory_mod

    settings = _settings(args)
    partners = _partners(args.partners, settings)
    if args.json:  # the export: records as stored, without needing the dialogs
        stored = app.journal_only(settings).records()
        print(json.dumps(stored if args.all else memory_mod.of_couple(stored, partners), indent=2, ensure_ascii=False))
        return EXIT_OK
    if args.all:
        raise UsageError("history: --all goes with --json (the export of every stored record)")
    dset = app.dialogs(settings)
    records = memory_mod.of_couple(app.journal(settings, dset).records(), partners)
    if not records:
        print(advice.text("no_checkins"))
        return EXIT_OK
    print(history_lines(records, dset, app.engine(dset), datetime.now()))
    return EXIT_OK


PAUSED_LINE = "an exercise was paused"
"""What history says of a safety pause: words both partners can see."""


def history_lines(records: Sequence[Mapping[str, Any]], dset: DialogSet, engine: Any, now: datetime) -> str:
    """Counts (check-ins with an exercise), when each dialog that is remembered by how long ago
    it ran last ran, then one line per session: its summary (a paraphrase "said back" only when
    confirmed, see ``summary_unconfirmed``), with the asides of dialogs that declare a
    ``history`` line and the exercises left unfinished."""
    from ..engine import memory as memory_mod
    from ..engine.render import fill

    remembered = memory_mod.compute(records, dset, now)
    head = f"{remembered['sessions_total']} check-in(s), {remembered['sessions_this_month']} this month"
    if len(records) > remembered["sessions_total"]:
        head += f" (and {len(records) - remembered['sessions_total']} without an exercise)"
    for dialog in dset.dialogs.values():
        if any("every_days" in rule for rule in (dialog.spec.get("remember") or {}).values()):
            done = [r for r in records if dialog.id in (r.get("done") or [])]
            head += f"; last {dialog.title} {str(done[-1]['started_at'])[:10]}" if done else f"; no {dialog.title} yet"
    lines = [head]
    for rec in records:
        when = str(rec.get("started_at", ""))[:16].replace("T", " ")
        entries = [e for e in rec.get("exercises", []) if e.get("complete", True)]
        unfinished = [e for e in rec.get("exercises", []) if not e.get("complete", True)]
        asides, summed = [], []
        for e in entries:
            own = dset.dialogs.get(str(e.get("exercise")))
            template = own.spec.get("history") if own else None
            if template:
                asides.append(fill(template, {k: v for k, v in e.items() if v is not None}))
            else:
                summed.append(e)
        summary = engine.summarise(summed) if entries else "no exercises"
        if any(e.get("outcome") == "paused_for_safety" for e in rec.get("exercises", [])):
            asides.append(PAUSED_LINE)  # never what was said, nor which exercise
        for e in unfinished:
            own = dset.dialogs.get(str(e.get("exercise")))
            outcome = e.get("outcome")
            if outcome == "paused_for_safety":
                continue  # never which exercise (said once, without it)
            asides.append(
                f"{own.title if own else e.get('exercise')} {outcome if isinstance(outcome, str) and outcome else 'not finished'}"
            )
        extra = f" ({'; '.join(asides)})" if asides else ""
        lines.append(f"{when}  {rec.get('outcome', '?'):<11} {summary}{extra}")
    return "\n".join(lines)


def _voice_parts(settings: config_mod.Settings, speaker=None):
    """Dialogs, engine, journal and a voice for speech commands."""
    dset = app.dialogs(settings)
    return (
        dset,
        app.engine(dset),
        app.journal(settings, dset),
        app.voice(settings, speaker=speaker, static=app.static_prompts(dset, settings.partners)),
    )


def cmd_listen(args: argparse.Namespace) -> int:
    """A long recording through the same pipeline as the microphone, on the audio clock."""
    # The audio stack (numpy, the recognisers) loads only for the audio commands: `checkin chat` starts fast.
    from ..home.runner import Runner, turn_loop
    from ..speech.audio import NullSpeaker, WavSource, WavWriterSpeaker

    settings = _settings(args)
    source = WavSource(args.recording)
    sinks: list[Any] = [_log_sink(args.log, "w")] if args.log is not None else []
    recogniser = app.recogniser(settings)
    wake = app.wake(settings, recogniser)
    if args.wake_only:
        runner = Runner(source.chunks(), wake, turns=None, session=None, run_session=None, sinks=sinks, wake_only=True)  # type: ignore[arg-type]
        runner.run()
        print(json.dumps({"wakes": runner.wakes, "seconds": round(source.seconds, 2)}))
        return EXIT_OK
    now = _parse_now(args.now)
    clock = _clock(now)
    speaker = WavWriterSpeaker(args.out) if args.out else NullSpeaker()
    dset, engine, journal, voice = _voice_parts(settings, speaker=speaker)
    cue = app.cues(settings, voice)
    runner = turn_loop(
        source.chunks(),
        wake,
        recogniser,
        lambda turns: app.session(settings, dset, engine, turns, sinks, journal=journal, voice=voice, clock=clock),
        sinks=sinks,
        cue=cue,
        attribute=app.attribution(settings),
    )
    runner.run()
    print(
        json.dumps(
            {
                "wakes": runner.wakes,
                "sessions": [r["outcome"] for r in runner.records],
                "seconds": round(source.seconds, 2),
            }
        )
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The microphone, forever: wait for the wake phrase, run a check-in, wait again.
    SIGHUP reloads config and dialogs between sessions (a broken file keeps the old ones)."""

    # The audio stack (numpy, the recognisers, wyoming) loads only for the audio commands.
    from .. import rooms
    from ..speech.audio import NoMicrophone

    live = app.Reloadable(args.config)
    since = waiting.STARTED
    if not live.settings.named and _interactive():  # in a terminal: the names first, typed
        ask_names_first(args, live.settings)
        live.reload()
        since = time.monotonic()  # the wait for a microphone starts again after the question
    live.reload_on_sighup()
    settings = live.settings
    satellites = _satellites(args.satellite, settings)
    if not satellites:
        try:
            _wait_for_microphone(settings, since)
        except NoMicrophone as exc:
            return _fail(advice.text("no_microphone", reason=exc), EXIT_NO_MICROPHONE)
    journal = app.journal(settings, live.dialogs)
    voice = app.voice(settings, static=app.static_prompts(live.dialogs, settings.partners))
    recogniser = app.recogniser(settings, live.dialogs.common)
    recogniser.warm_up()
    sinks: list[Any] = [ConsoleSink(sys.stdout)]
    if args.log is not None:
        sinks.append(_log_sink(args.log))
    print(
        f"checkin: listening for {' / '.join(repr(p) for p in settings.wake.phrases)} (Ctrl-C to quit)",
        file=sys.stderr,
        flush=True,
    )
    if satellites:  # each room builds its own wake detector
        rooms.run_house(live, satellites, recogniser, sinks, voice, max_sessions=args.max_sessions)
        return EXIT_OK
    return _run_on_microphone(live, recogniser, journal, voice, sinks)


def _run_on_microphone(live: Any, recogniser: Any, journal: Any, voice: Any, sinks: list[Any]) -> int:
    """The board's microphone, reopened when it vanishes, through the one turn loop."""
    import time

    from ..home.runner import run_unless_busy, turn_loop  # the audio stack loads only for the audio commands
    from ..speech.audio import AudioError, MicSource, ReopeningSource, refresh_devices

    settings = live.settings
    wake = app.wake(settings, recogniser)
    current: dict[str, MicSource] = {}

    def open_mic():
        current["mic"] = MicSource(live.settings.audio.input_device)
        return current["mic"].chunks()

    while True:
        source = ReopeningSource(open_mic, give_up_s=settings.audio.device_wait_s, on_retry=refresh_devices)
        runner = turn_loop(
            source.chunks(),
            wake,
            recogniser,
            lambda turns: app.session(
                live.settings, live.dialogs, live.engine, turns, sinks, journal=journal, voice=voice
            ),
            run_session=lambda checkin: run_unless_busy(checkin, voice),
            sinks=sinks,
            cue=app.cues(live.settings, voice),
            live=True,
            flush=lambda: current["mic"].flush(),
            attribute=app.attribution(live.settings),
        )
        try:
            runner.run()
        except AudioError as exc:
            print(f"checkin: {exc}; retrying in 2 s", file=sys.stderr, flush=True)
            time.sleep(2)
            continue
        return EXIT_OK


def _wait_for_microphone(settings: config_mod.Settings, since: float, every_s: float = 15.0) -> None:
    """Until a microphone is there (``audio.device_wait_s`` from ``since``, the program's
    start): the waiting line at once (unless :mod:`assistant.cli.waiting` said it already), how
    long is left every ``every_s``, one line when it is found; :class:`NoMicrophone` at the end."""
    import time

    from ..speech.audio import AudioError, find_device, refresh_devices, wait_for_input

    audio = settings.audio
    left = max(0.0, audio.device_wait_s - (time.monotonic() - since))
    try:
        find_device(audio.input_device, "input")
        return
    except AudioError:
        pass
    if not waiting.announced() or since != waiting.STARTED:
        print(waiting.waiting_line(audio.device_wait_s, left), file=sys.stderr, flush=True)
    said = {"at": time.monotonic()}

    def retry() -> None:
        refresh_devices()
        if time.monotonic() - said["at"] >= every_s:
            said["at"] = time.monotonic()
            remaining = audio.device_wait_s - (time.monotonic() - since)
            print(waiting.waiting_line(audio.device_wait_s, remaining), file=sys.stderr, flush=True)

    index = wait_for_input(audio.input_device, left, on_retry=retry, waited_s=audio.device_wait_s)
    print(f"checkin: microphone found (device {index}); starting", file=sys.stderr, flush=True)


def _satellites(given: list[str] | None, settings: config_mod.Settings) -> list:
    """``--satellite`` addresses (they replace config.yaml's ``satellites``), parsed."""
    from ..home.satellites import SatelliteError, parse_address

    try:
        return [parse_address(uri) for uri in (given or settings.satellites)]
    except SatelliteError as exc:
        raise UsageError(f"{'--satellite' if given else f'satellites in {settings.source}'}: {exc}") from None


def cmd_devices(args: argparse.Namespace) -> int:
    """Audio devices, then the Wyoming satellites announced on the network (a few seconds)."""
    from ..home import discovery
    from ..speech.audio import list_devices

    devices = list_devices()
    print("\n".join(devices) if devices else "No audio devices found (is a USB microphone plugged in?)")
    if args.no_satellites:
        return EXIT_OK if devices else EXIT_FAULT
    settings = config_mod.load(args.config)
    print(f"Looking for Wyoming satellites on the network ({discovery.BROWSE_S:g} s)...", flush=True)
    try:
        found = discovery.browse()
    except discovery.DiscoveryError as exc:
        print(f"Satellites: {exc}")
        found = []
    configured = set(settings.satellites)
    if not found:
        print("No Wyoming satellites found on the network.")
    for f in found:
        what = f.detail if f.kind in ("satellite", "unknown") else f"not a satellite ({f.kind})"
        state = "in config.yaml" if f.uri in configured else ("pick it in `checkin setup`" if f.offered else "")
        notes = "; ".join(n for n in (what, state) if n)
        print(f"satellite {f.name}: {f.uri}" + (f" ({f.host})" if f.host else "") + (f" - {notes}" if notes else ""))
    return EXIT_OK if devices or found else EXIT_FAULT


def cmd_prepare(args: argparse.Namespace) -> int:
    """Pre-render every static prompt so it starts at once."""
    settings = _settings(args)
    dset = app.dialogs(settings)
    from ..speech.voice import respell

    texts = [respell(text, settings.pronunciations) for text in app.static_prompts(dset, settings.partners)]
    cache = app.synth(settings)
    from tqdm import tqdm  # progress only here: a Pi renders for minutes

    with tqdm(total=len(set(texts)), desc="checkin prepare: rendering prompts", unit="prompt", file=sys.stderr) as bar:

        def advance(done: int, total: int) -> None:
            bar.update(done - bar.n)

        rendered = cache.prepare(texts, progress=advance)
    print(f"ok: {len(texts)} prompts, {rendered} newly rendered, in {cache.dir}")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    """Erase the journal, the prompt cache and the default log folder."""
    from ..speech.tts import clear_cache, default_cache_dir

    settings = _settings(args)
    journal = app.journal_only(settings)
    cache_dir = settings.voice.cache_dir or default_cache_dir()
    logs = sorted(default_log_dir().glob("*")) if default_log_dir().is_dir() else []
    prints_file = app.voiceprints_file(settings)
    if not journal.path.exists() and not any(cache_dir.glob("*.wav")) and not logs and not prints_file.exists():
        print("Nothing to forget: the journal, the prompt cache, the voiceprints and the log folder are empty.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(advice.text("forget_needs_yes"))
        answer = input(
            f"Erase every check-in in {journal.path}, the voiceprints, the prompt cache and the logs? "
            "This cannot be undone. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept everything.")
            return EXIT_OK
    from ..store.voiceprints import forget as forget_voices

    count = journal.forget()
    prompts = clear_cache(cache_dir)
    for log in logs:
        if log.is_file():
            log.unlink()
    voices = forget_voices(prints_file)
    print(
        f"Erased {count} check-in(s), {voices} voiceprint(s), {prompts} cached prompt(s) and {len(logs)} log file(s). "
        "Nothing of them is left."
    )
    return EXIT_OK


def cmd_enrol(args: argparse.Namespace) -> int:
    """A partner's voiceprint from recordings (16 kHz mono WAV, 4 s of speech in all)."""
    from . import enrol

    settings = config_mod.load(args.config)
    name = " ".join(args.name.split())
    if not name:
        raise UsageError("enrol: give the partner's name, as in config.yaml")
    if name not in settings.partners:
        print(
            f"checkin: note: {name} is not one of the partners in config.yaml ({', '.join(settings.partners)}); "
            "the voiceprint is kept under that name",
            file=sys.stderr,
        )
    done = enrol.enrol_files(app.voiceprints_file(settings), name, args.files)
    print(f"Enrolled {done.name}: a voiceprint from {done.seconds:.1f} s of speech in {done.path} (no audio kept).")
    return EXIT_OK


def _asker(command: str) -> Callable[[str], str]:
    """``input()`` for the questions of ``command``; the end of input is one line, exit 2."""

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            raise UsageError(
                f"{command}: the input ended before every question was answered; nothing was written"
            ) from None

    return ask


def _setup_voices(args: argparse.Namespace, path: Path, before: tuple[str, str] | None) -> None:
    """After the names: voiceprints follow a renamed partner, then (with a microphone) the
    partners may read three sentences each so their voices are known."""
    from ..store import voiceprints
    from . import enrol

    settings = config_mod.load(str(path))
    prints_file = app.voiceprints_file(settings)
    try:
        if before is not None:
            moved = voiceprints.rename(prints_file, dict(zip(before, settings.partners)))
            for old in moved:
                print(f"{old}'s voiceprint now belongs to {dict(zip(before, settings.partners))[old]}.")
    except voiceprints.VoiceprintError as exc:
        print(f"checkin: {exc}", file=sys.stderr)
        return
    if args.skip_devices:
        return
    from ..speech.audio import AudioError, MicSource, find_device

    try:
        find_device(settings.audio.input_device, "input")
    except AudioError as exc:
        print(f"Voices not learnt: no microphone ({exc}); `checkin enrol NAME FILE.wav` works from recordings.")
        return

    def ask(question: str) -> str:
        try:
            return input(question)
        except EOFError:
            return ""

    try:
        enrol.setup_voices(
            settings.partners,
            prints_file,
            ask,
            lambda line: print(line, flush=True),
            lambda: MicSource(settings.audio.input_device).chunks(),
        )
    except (AudioError, voiceprints.VoiceprintError) as exc:
        print(f"checkin: voices not learnt: {exc} (`checkin enrol` works from recordings)", file=sys.stderr)


def _setup_voice(settings: config_mod.Settings, speak: bool):
    """The voice setup speaks with (``--speak``): the configured one, or espeak-ng with one
    line when the configured Piper cannot be used."""
    import dataclasses

    from ..speech.piper_voice import VoiceUnavailable

    settings = dataclasses.replace(settings, pronunciations={})
    if not speak:
        return None
    try:
        return app.voice(settings)
    except VoiceUnavailable as exc:
        _fail(f"{exc}; setup speaks with espeak-ng", 0)
        return app.voice(dataclasses.replace(settings, voice=dataclasses.replace(settings.voice, engine="espeak")))


def _check_voice(tts: Mapping[str, Any], existing: Any, path: Path, voice: Any) -> str:
    """Load the voice ``tts`` names and say a sentence with it (on the speaker with --speak)."""
    import time

    from ..speech.piper_voice import describe
    from ..speech.voice import SpeakingVoice
    from . import setup_devices

    trial = config_mod.from_dict({**(existing or {}), "tts": dict(tts)}, str(path))
    synth = app.raw_synth(trial)
    began = time.perf_counter()
    pcm = synth.render(setup_devices.SENTENCE)
    took = time.perf_counter() - began
    if voice is not None:
        SpeakingVoice(synth, voice.speaker).speak(setup_devices.SENTENCE)
    seconds = len(pcm) / (2 * synth.sample_rate)
    name = f"Piper, {describe(trial.voice.piper_voice)}" if synth.name == "piper" else "espeak-ng"
    return f"{name} ({seconds:.1f} s of speech rendered in {took:.1f} s)"


def cmd_setup(args: argparse.Namespace) -> int:
    """The first run: names, how to say them, the country for the help line, a speaker and
    microphone test, the voice, the satellites (:data:`assistant.cli.firstrun.STEPS` and two
    more); writes the user's config file (``--config``'s when given; every other key kept)
    atomically, never the repository's documented defaults."""
    from ..formats import safeyaml
    from ..home import discovery
    from . import firstrun, setup_devices
    from .setup_satellites import satellites_step
    from .setup_voice import voice_step

    config_mod.adopt_repository_config(_notice)
    path = config_mod.writable_file(args.config)
    original = safeyaml.read_text(path) if path.is_file() else config_mod.USER_FILE_HEADER
    settings = config_mod.from_yaml(original, str(path))
    existing, _ = safeyaml.compose(original, str(path))
    existing = existing if isinstance(existing, dict) else {}
    browsing = None if args.skip_devices else discovery.Background(discovery.browse)  # while the questions are asked
    voice = _setup_voice(settings, args.speak)

    def tell(line: str) -> None:
        print(line, flush=True)
        if voice is not None:
            voice.speak(line)

    def check_voice(tts: Mapping[str, Any]) -> str:
        return _check_voice(tts, existing, path, voice)

    ports = firstrun.Ports(
        ask=_asker("setup"),
        tell=tell,
        speak=(lambda text: voice.speak(text) and None) if voice is not None else None,
        test_speaker=None if args.skip_devices else lambda: setup_devices.test_speaker(settings),
        test_mic=None if args.skip_devices else lambda: setup_devices.test_mic(settings),
    )
    steps = [
        *firstrun.STEPS,
        ("voice", voice_step(args.voice, check_voice)),
        ("satellites", satellites_step(browsing.result if browsing else None, discovery.resolve)),
    ]
    data = firstrun.run(existing, ports, steps)
    keys = tuple(dict.fromkeys(["partners", *firstrun.changed_keys(existing, data)]))
    text = config_mod.render_config(original, data, keys)
    config_mod.from_yaml(text, str(path))  # what is written must load
    config_mod.write_config(path, text)
    print(advice.text("setup_saved", path=path))
    _setup_voices(args, path, settings.partners if original else None)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import doctor

    settings = _settings(args)
    problems = 0
    for check in doctor.run_checks(settings):
        mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
        print(f"{mark} {check.name}: {check.detail}")
        if not check.ok:
            problems += 0 if check.warning else 1
            print(f"     fix: {check.fix}")
    print(f"{problems} problem(s) found." if problems else "Everything looks ready.")
    return EXIT_FAULT if problems else EXIT_OK


def cmd_understand(args: argparse.Namespace) -> int:
    """What the meaning layer reads in TEXT: the act, the content, each reader's score and which
    rule decided (for dialog authors and tests)."""
    from ..text.meaning import explain

    settings = config_mod.load(args.config)
    dset = app.dialogs(settings, reader_model=app.READER_MODEL)
    if dset.meaning is None:
        return _fail(f"{settings.dialogs}: no meaning/ tables to read with", EXIT_INVALID)
    ask = app.ask_at(dset, args.at, _parse_now(args.now) or datetime.now())
    meaning = explain.read(args.text, ask, dset.meaning)
    if args.json:
        print(json.dumps(explain.as_dict(meaning, ask)))
    else:
        print("\n".join(explain.lines(meaning, ask)))
    return EXIT_OK


HELPLINE_LABELS = {
    "helpline": "To talk to someone, any time",
    "abuse_line": "If you are not safe at home",
    "emergency": "In an emergency",
}


def cmd_helplines(args: argparse.Namespace) -> int:
    """Where help is, from config.yaml's ``safety:``, for one partner to read on their own
    (the domestic-abuse line is shown here and never read out)."""
    lines = _settings(args).helplines
    for key, label in HELPLINE_LABELS.items():
        if lines.get(key):
            print(f"{label}: {lines[key]}")
    if not any(lines.get(key) for key in HELPLINE_LABELS):
        print("No help lines are set yet. In an emergency, call your local emergency number.")
    print("How to set them, and lines by country: docs/SAFETY.md (safety: in config.yaml).")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    progress = (lambda m: print(f"bench: {m}", file=sys.stderr, flush=True)) if not args.json else None
    report = bench.run(args.config, quick=args.quick, progress=progress, voice_only=args.voice)
    if args.json:
        print(json.dumps(bench.headline(report)))
    else:
        print(bench.table(report))
    if args.save:
        Path(args.save).write_text(json.dumps({"headline": bench.headline(report), **bench.asdict(report)}, indent=1))
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def _add_speech_commands(sub: Any) -> None:
    """The commands that use audio devices, models or the journal beyond a chat."""
    p = sub.add_parser(
        "run",
        help='the home speaker: wait for "start check-in" on the microphone (or satellites), run the check-in by voice, wait again',
    )
    p.add_argument(
        "--log",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write every event (what was said, as text) to FILE, or without FILE to a new file in the private log folder (see docs/PROTOCOL.md)",
    )
    p.add_argument(
        "--satellite",
        action="append",
        metavar="tcp://IP:PORT",
        help="also listen and speak through this Wyoming satellite (repeatable; replaces config.yaml's satellites)",
    )
    p.add_argument("--max-sessions", type=int, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "listen",
        help="run a WAV recording through the same pipeline as the microphone (wake phrase, check-ins), on the audio clock",
    )
    p.add_argument("recording", help="WAV file (any rate, mono or stereo)")
    p.add_argument(
        "--log",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write every event (what was said, as text) to FILE, or without FILE to a new file in the private log folder (see docs/PROTOCOL.md)",
    )
    p.add_argument("--wake-only", action="store_true", help="only detect wake phrases (for false wakes per hour)")
    p.add_argument("--out", help="write the assistant's replies to this WAV file")
    p.add_argument("--now", help="fix the clock (ISO date-time)")
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("bench", help="measure turn latency, recogniser speed, idle CPU, memory and cold start")
    p.add_argument("--quick", action="store_true", help="a short run (under two minutes)")
    p.add_argument("--json", action="store_true", help="print the headline figures as one JSON object")
    p.add_argument("--save", help="also write every figure to this JSON file")
    p.add_argument(
        "--voice", action="store_true", help="only the Piper voice: first audio, real-time factor, peak memory"
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "devices",
        help="list the microphones and speakers (set audio.input_device / output_device to one by name or index), "
        "then the Wyoming satellites announced on the network (a few seconds)",
    )
    p.add_argument("--no-satellites", action="store_true", help="only the audio devices (no look on the network)")
    p.set_defaults(func=cmd_devices)

    _add_home_commands(sub)


def _add_home_commands(sub: Any) -> None:
    """Preparing, forgetting, setting up and checking the device, and the history."""
    p = sub.add_parser(
        "prepare", help="render every prompt known in advance into the prompt cache, so the coach answers at once"
    )
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser(
        "forget", help="erase all history, the voiceprints, the prompt cache and the default log folder (asks first)"
    )
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser(
        "setup",
        help="first run (again at any time): your names and how to say them, your country for the help line, a speaker and microphone test; writes your own config file",
    )
    p.add_argument("--speak", action="store_true", help="also say the questions, and your names back, on the speaker")
    p.add_argument(
        "--skip-devices",
        action="store_true",
        help="do not offer the speaker and microphone tests, nor look for satellites on the network",
    )
    p.add_argument(
        "--voice",
        metavar="espeak|piper|FILE.onnx",
        help="the voice: espeak (built in, the default) or piper (warmer; needs the [voice] extra: README, A warmer voice), or a Piper voice file",
    )
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser(
        "enrol", help="keep a partner's voiceprint from recordings (16 kHz mono WAV, 4 s of speech in all)"
    )
    p.add_argument("name", help="the partner's name, as in config.yaml")
    p.add_argument("files", nargs="+", metavar="FILE.wav", help="recordings of that partner alone")
    p.set_defaults(func=cmd_enrol)
    p = sub.add_parser(
        "doctor",
        help="check settings, microphone, speaker, models, voice, journal and disk, with a fix for each problem",
    )
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("helplines", help="show where help is (crisis, domestic abuse, emergency), never spoken aloud")
    p.set_defaults(func=cmd_helplines)

    p = sub.add_parser("history", help="list your past check-ins (never another couple's)")
    p.add_argument("--json", action="store_true", help="print the session records as a JSON list")
    p.add_argument("--partners", help="the couple, two names comma-separated (default: your configured names)")
    p.add_argument("--all", action="store_true", help="with --json: every stored record, of every couple (an export)")
    p.set_defaults(func=cmd_history)


def _add_chat(sub: Any) -> None:
    """``checkin chat``: a check-in in the terminal."""
    p = sub.add_parser(
        "chat",
        help="a check-in in the terminal, without a speaker: type each answer (an empty line is a silence; Ctrl-D or stop ends)",
    )
    p.add_argument("--jsonl", action="store_true", help="JSON-lines protocol on stdin/stdout for programs")
    p.add_argument("--now", help="fix the clock (ISO date-time) so date resolution is reproducible")
    p.add_argument("--partners", help="two names, comma-separated (overrides config.yaml)")
    p.add_argument("--start", help="dialog to run (default: check-in; or one exercise id)")
    p.add_argument("--speak", action="store_true", help="also speak the prompts aloud")
    p.add_argument(
        "--log",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write every event (what was said, as text) to FILE, or without FILE to a new file in the private log folder (see docs/PROTOCOL.md)",
    )
    p.add_argument("--no-audio", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_chat)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checkin",
        description="Check-in: an offline voice coach for couples.",
        epilog='First `checkin setup`, then `checkin run` and say "start check-in" (or `checkin chat` to try it '
        "by typing). `checkin COMMAND --help` says more. The couple's guide: docs/GUIDE.md.",
    )
    config_help = f"settings file (default: your own, {config_mod.user_file()}, else the defaults)"
    parser.add_argument("--config", help=config_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        kw.setdefault("description", (kw.get("help") or "")[:1].upper() + (kw.get("help") or "")[1:] + ".")
        return add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    _add_chat(sub)
    p = sub.add_parser(
        "simulate",
        help="run a scripted scenario (tests/scenarios/), print the session record and check its expectations",
    )
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument(
        "--log",
        nargs="?",
        const="",
        metavar="FILE",
        help="also write every event (what was said, as text) to FILE, or without FILE to a new file in the private log folder (see docs/PROTOCOL.md)",
    )
    p.add_argument("--journal", help="also save the record to this journal database")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser(
        "understand", help="show how an answer is read: the act, the content, each reader's score, the rule"
    )
    p.add_argument("text", help="the answer, as said")
    p.add_argument(
        "--at",
        metavar="NODE",
        help="where it is said: a kind of question (yes_no, choice, scale, feeling, activity, paraphrase, text, "
        "when, touch) or a dialog node as DIALOG:NODE (default: text)",
    )
    p.add_argument("--now", help="fix the clock (ISO date-time) for days and times")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_understand)

    p = sub.add_parser(
        "validate", help="check every dialog file after editing one: exit 0 valid, 2 invalid (one line per error)"
    )
    p.add_argument("dir", nargs="?", help="dialog directory (default: the configured one)")
    p.set_defaults(func=cmd_validate)

    _add_speech_commands(sub)
    return parser


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _quiet_stdout() -> None:
    """The reader of our output went away: send what is left to /dev/null, so neither this
    process nor the interpreter's last flush reports the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _did_you_mean(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """One line for a mistyped command or option, naming the closest ones; None if fine."""
    import difflib

    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    skip_next = False
    for arg in argv:  # the command: the first word that is not --config's value
        if skip_next:
            skip_next = False
            continue
        if arg == "--config":
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        if arg not in sub.choices:
            close = difflib.get_close_matches(arg, list(sub.choices), n=2, cutoff=0.5)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            return f"no command {arg!r}; {hint}(`{advice.command('--help')}` lists them)"
        options = [o for action in sub.choices[arg]._actions for o in action.option_strings if o.startswith("--")]
        for given in argv:
            name = given.split("=", 1)[0]
            if name.startswith("--") and name not in options and name != "--config":
                if any(o.startswith(name) for o in options):
                    continue  # an abbreviation argparse accepts
                close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
                hint = f"did you mean {' or '.join(close)}? " if close else ""
                return f"{arg}: no option {name}; {hint}(`{advice.command(arg + ' --help')}` lists them)"
        return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    typo = _did_you_mean(parser, given)
    if typo is not None:
        return _fail(typo, EXIT_INVALID)
    args = parser.parse_args(given)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return _fail("interrupted; what was said so far is saved", EXIT_INTERRUPTED)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except CheckinError as exc:
        lines = str(exc).splitlines()
        return _fail(lines[0] if lines else type(exc).__name__, exc.exit_code)
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
