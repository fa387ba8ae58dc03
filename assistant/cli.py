"""The ``checkin`` command and its subcommands.  Parsing and exit codes only: the work is
done by the modules it calls.

Exit codes: 0 success; 1 a fault at run time (device, model, journal); 2 invalid input
(a dialog, config, scenario or protocol line); 130 interrupted (Ctrl-C / SIGTERM).
Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from . import app
from . import config as config_mod
from .dialogs import DialogError, validate_dir
from .journal import JournalError
from .session import ConsoleSink, ConsoleTurns, JsonlSink, JsonlTurns, ScriptedTurns, Session, TurnError

EXIT_OK, EXIT_FAULT, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_NO_MICROPHONE = 3
"""``checkin run`` found no microphone at start; the systemd unit does not restart on it."""


class UsageError(Exception):
    """A bad command-line value (one line)."""


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


def _clock(now: datetime | None) -> Callable[[], datetime]:
    return (lambda: now) if now is not None else datetime.now


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else config_mod.load(args.config).dialogs
    errors = validate_dir(directory)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return EXIT_INVALID
    dset = app.dialogs(config_mod.Settings(dialogs=directory))
    print(f"ok: {len(dset.dialogs)} dialogs, {len(dset.lexicons)} lexicons, {len(dset.decks)} decks in {directory}")
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    settings = config_mod.load(args.config)
    dset = app.dialogs(settings)
    engine = app.engine(dset)
    now = _parse_now(args.now)
    partners = _partners(args.partners, settings)
    start = args.start or settings.start
    if start not in dset.dialogs:
        raise UsageError(f"--start: no dialog named {start!r} (have: {', '.join(sorted(dset.dialogs))})")
    journal = app.journal(settings, dset)
    journal.close_stale()
    clock = _clock(now)
    voice = app.voice(settings) if args.speak else None
    if args.jsonl:
        turns = JsonlTurns(sys.stdin, audio=app.audio_turns(settings) if not args.no_audio else None)
        sinks = [JsonlSink(sys.stdout)]
    else:
        turns = ConsoleTurns()
        sinks = [ConsoleSink(sys.stdout)]
    if args.log:
        sinks.append(JsonlSink(open(args.log, "a", encoding="utf-8")))
    session = Session(engine, turns, sinks, journal=journal, voice=voice, clock=clock)
    session.run(partners, start, now=clock(), memory=journal.memory(clock()), styles=settings.styles)
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from . import scenario as scenario_mod

    settings = config_mod.load(args.config)
    dset = app.dialogs(settings)
    engine = app.engine(dset)
    scen = scenario_mod.load(args.scenario)
    start = scen.start or settings.start
    if start not in dset.dialogs:
        raise DialogError(scen.source, None, "start", f"no dialog named {start!r} (have: {', '.join(sorted(dset.dialogs))})")
    now = scen.now or datetime.now()
    has_audio = any("audio" in t for t in scen.turns)
    turns = ScriptedTurns(scen.turns, audio=app.audio_turns(settings) if has_audio else None, where=scen.source)
    says: list[str] = []
    sinks: list[Any] = [lambda e: says.append(e["text"]) if e["type"] == "say" else None]
    if args.log:
        sinks.append(JsonlSink(open(args.log, "w", encoding="utf-8")))
    journal = app.journal(settings, dset, Path(args.journal)) if args.journal else None
    session = Session(engine, turns, sinks, journal=journal, clock=_clock(now))
    record = session.run(scen.partners or settings.partners, start, now=now, memory=scen.memory, styles=scen.styles or settings.styles)
    print(json.dumps(record, indent=2, ensure_ascii=False))
    problems = scenario_mod.check(scen, record, says)
    for problem in problems:
        print(f"checkin: {scen.source}: {problem}", file=sys.stderr)
    return EXIT_FAULT if problems else EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    settings = config_mod.load(args.config)
    dset = app.dialogs(settings)
    journal = app.journal(settings, dset)
    records = journal.records()
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not records:
        print("No check-ins yet. Start one with: checkin chat")
        return EXIT_OK
    memory = journal.memory(datetime.now())
    weekly = [r for r in records if "weekly-check-in" in (r.get("done") or [])]
    print(
        f"{len(records)} check-in(s), {memory['sessions_this_month']} this month"
        + (f"; last weekly check-in {str(weekly[-1]['started_at'])[:10]}" if weekly else "; no weekly check-in yet")
    )
    engine = app.engine(dset)
    for rec in records:
        when = str(rec.get("started_at", ""))[:16].replace("T", " ")
        entries = [e for e in rec.get("exercises", []) if e.get("complete", True)]
        followups = [f"{e.get('activity')} happened: {e.get('happened')}" for e in entries if e.get("exercise") == "date-followup"]
        summary = engine.summarise([e for e in entries if e.get("exercise") != "date-followup"]) if entries else "no exercises"
        extra = f" ({'; '.join(followups)})" if followups else ""
        print(f"{when}  {rec.get('outcome', '?'):<11} {summary}{extra}")
    return EXIT_OK


def _voice_session_parts(settings: config_mod.Settings, speaker=None, log=None):
    """Engine, journal and a voice for speech commands."""
    dset = app.dialogs(settings)
    engine = app.engine(dset)
    journal = app.journal(settings, dset)
    journal.close_stale()
    voice = app.voice(settings, speaker=speaker)
    return dset, engine, journal, voice


def cmd_listen(args: argparse.Namespace) -> int:
    """A long recording through the same pipeline as the microphone, on the audio clock."""
    from .audio import NullSpeaker, WavSource, WavWriterSpeaker
    from .listener import AudioTurns
    from .runner import Runner

    settings = config_mod.load(args.config)
    source = WavSource(args.recording)
    sinks: list[Any] = [JsonlSink(open(args.log, "w", encoding="utf-8"))] if args.log else []
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
    dset, engine, journal, voice = _voice_session_parts(settings, speaker=speaker)
    cue = app.cues(settings, voice)
    runner = Runner(
        source.chunks(),
        wake,
        cue=cue,
        turns=lambda stream: AudioTurns(stream, recogniser, cue=cue),
        session=lambda turns: Session(engine, turns, sinks, journal=journal, voice=voice, clock=clock),
        run_session=lambda session: session.run(settings.partners, settings.start, now=clock(), memory=journal.memory(clock()), styles=settings.styles),
        sinks=sinks,
    )
    runner.run()
    print(json.dumps({"wakes": runner.wakes, "sessions": [r["outcome"] for r in runner.records], "seconds": round(source.seconds, 2)}))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The microphone, forever: wait for the wake phrase, run a check-in, wait again.
    SIGHUP reloads config and dialogs between sessions (a broken file keeps the old ones)."""
    import time

    from .audio import AudioError, MicSource, NoMicrophone, ReopeningSource, refresh_devices, wait_for_input
    from .listener import AudioTurns
    from .runner import Runner

    live = app.Reloadable(args.config)
    try:
        wait_for_input(live.settings.audio.input_device, live.settings.audio.device_wait_s, on_retry=refresh_devices)
    except NoMicrophone as exc:
        return _fail(f"{exc}: plug one in and run `checkin doctor`", EXIT_NO_MICROPHONE)
    signal.signal(signal.SIGHUP, lambda signum, frame: live.reload())
    settings = live.settings
    journal = app.journal(settings, live.dialogs)
    journal.close_stale()
    voice = app.voice(settings)
    recogniser = app.recogniser(settings)
    wake = app.wake(settings, recogniser)
    sinks: list[Any] = [ConsoleSink(sys.stdout)]
    if args.log:
        sinks.append(JsonlSink(open(args.log, "a", encoding="utf-8")))
    print(f"checkin: listening for {' / '.join(repr(p) for p in settings.wake.phrases)} (Ctrl-C to quit)", file=sys.stderr, flush=True)
    current: dict[str, MicSource] = {}

    def open_mic():
        current["mic"] = MicSource(live.settings.audio.input_device)
        return current["mic"].chunks()

    while True:
        source = ReopeningSource(open_mic, give_up_s=settings.audio.device_wait_s, on_retry=refresh_devices)
        runner = Runner(
            source.chunks(),
            wake,
            cue=app.cues(live.settings, voice),
            turns=lambda stream: AudioTurns(stream, recogniser, live=True, flush=lambda: current["mic"].flush(), cue=app.cues(live.settings, voice)),
            session=lambda turns: Session(live.engine, turns, sinks, journal=journal, voice=voice),
            run_session=lambda session: session.run(live.settings.partners, live.settings.start, memory=journal.memory(datetime.now()), styles=live.settings.styles),
            sinks=sinks,
        )
        try:
            runner.run()
        except AudioError as exc:
            print(f"checkin: {exc}; retrying in 2 s", file=sys.stderr, flush=True)
            time.sleep(2)
            continue
        return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    from .audio import list_devices

    devices = list_devices()
    if not devices:
        print("No audio devices found (is a USB microphone plugged in?)")
        return EXIT_FAULT
    print("\n".join(devices))
    return EXIT_OK


def cmd_prepare(args: argparse.Namespace) -> int:
    """Pre-render every static prompt so it starts at once."""
    settings = config_mod.load(args.config)
    dset = app.dialogs(settings)
    texts = app.static_prompts(dset, settings.partners)
    cache = app.synth(settings)
    rendered = cache.prepare(texts)
    print(f"ok: {len(texts)} prompts, {rendered} newly rendered, in {cache.dir}")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    settings = config_mod.load(args.config)
    dset = app.dialogs(settings)
    journal = app.journal(settings, dset)
    if not journal.path.exists():
        print("Nothing to forget: the journal is empty.")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("forget: add --yes to erase all history without asking")
        answer = input(f"Erase every check-in in {journal.path}? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept everything.")
            return EXIT_OK
    count = journal.forget()
    print(f"Erased {count} check-in(s). Nothing of them is left in {journal.path.name}.")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import doctor

    settings = config_mod.load(args.config)
    problems = 0
    for check in doctor.run_checks(settings):
        mark = "ok  " if check.ok else "FAIL"
        print(f"{mark} {check.name}: {check.detail}")
        if not check.ok:
            problems += 1
            print(f"     fix: {check.fix}")
    print(f"{problems} problem(s) found." if problems else "Everything looks ready.")
    return EXIT_FAULT if problems else EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    progress = (lambda m: print(f"bench: {m}", file=sys.stderr, flush=True)) if not args.json else None
    report = bench.run(args.config, quick=args.quick, progress=progress)
    if args.json:
        print(json.dumps(bench.headline(report)))
    else:
        print(bench.table(report))
    if args.save:
        Path(args.save).write_text(json.dumps({"headline": bench.headline(report), **bench.asdict(report)}, indent=1))
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="checkin", description="Check-in: an offline voice coach for couples.")
    parser.add_argument("--config", help="config file (default: ./config.yaml, else the project's)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help="config file (default: ./config.yaml, else the project's)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add = sub.add_parser

    def add_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        return add(name, parents=[common], **kw)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    p = sub.add_parser("chat", help="run a check-in in the terminal (type answers; empty line = silence)")
    p.add_argument("--jsonl", action="store_true", help="JSON-lines protocol on stdin/stdout for programs")
    p.add_argument("--now", help="fix the clock (ISO date-time) so date resolution is reproducible")
    p.add_argument("--partners", help="two names, comma-separated (overrides config.yaml)")
    p.add_argument("--start", help="dialog to run (default: check-in; or one exercise id)")
    p.add_argument("--speak", action="store_true", help="also speak the prompts aloud")
    p.add_argument("--log", help="append every event to this JSON-lines file")
    p.add_argument("--no-audio", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("simulate", help="run a scripted scenario and print the session record")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--log", help="write every event to this JSON-lines file")
    p.add_argument("--journal", help="also save the record to this journal database")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("validate", help="check every dialog file (exit 0 valid, 2 invalid)")
    p.add_argument("dir", nargs="?", help="dialog directory (default: the configured one)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("run", help="listen on the microphone for the wake phrase and run check-ins by voice")
    p.add_argument("--log", help="append every event to this JSON-lines file")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("listen", help="run a recording through the microphone pipeline (audio clock)")
    p.add_argument("recording", help="WAV file (any rate, mono or stereo)")
    p.add_argument("--log", help="write every event (wake, say, heard...) to this JSON-lines file")
    p.add_argument("--wake-only", action="store_true", help="only detect wake phrases (for false wakes per hour)")
    p.add_argument("--out", help="write the assistant's replies to this WAV file")
    p.add_argument("--now", help="fix the clock (ISO date-time)")
    p.set_defaults(func=cmd_listen)

    p = sub.add_parser("bench", help="measure turn latency, recogniser speed, idle CPU, memory and cold start")
    p.add_argument("--quick", action="store_true", help="a short run (under two minutes)")
    p.add_argument("--json", action="store_true", help="print the headline figures as one JSON object")
    p.add_argument("--save", help="also write every figure to this JSON file")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("devices", help="list audio devices")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("prepare", help="pre-render every static prompt into the cache")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("forget", help="erase all history (asks first)")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("doctor", help="check microphone, speaker, model, voice, journal and disk")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("history", help="list past check-ins")
    p.add_argument("--json", action="store_true", help="print the session records as a JSON list")
    p.set_defaults(func=cmd_history)
    return parser


def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INVALID
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return _fail("interrupted; what was said so far is saved", EXIT_INTERRUPTED)
    except (DialogError, UsageError, TurnError) as exc:
        return _fail(str(exc), EXIT_INVALID)
    except JournalError as exc:
        return _fail(f"journal: {exc}", EXIT_FAULT)
    except Exception as exc:  # the speech edge: a missing model, a vanished device, TTS
        name = type(exc).__name__
        if name in ("RecogniserError", "AudioError", "TTSError"):
            return _fail(str(exc).splitlines()[0] if str(exc) else name, EXIT_FAULT)
        raise
    except BrokenPipeError:
        return EXIT_FAULT
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
