"""``checkin bench``: figures, not adjectives.

Drives complete check-ins from synthesised answers through the real pipeline (VAD
endpointing, recogniser, engine, prompt render, output) on the audio clock, for the
optimised configuration and a naive one in the same run, and prints:

- turn latency from the last sample of speech to the first sample of the reply handed to
  the output, median and p95 by turn kind (choices answered inside and outside their
  grammar apart), broken down into endpoint wait, overrun (decoding begun in the trailing
  silence still running at the endpoint, were the audio live), final decode, engine step,
  prompt render (or cache hit) and output start;
- real speech (:mod:`assistant.cli.bench_speech`): word error rate clean and at 10 dB, the real
  commands through the choice path, noise alone;
- the real-time factor of each recogniser in each mode (grammar, free) with accuracy;
- CPU share of one core while waiting for the wake phrase, on silence and on speech;
- peak RSS and cold start (process start to listening) for each engine.

Naive = free decoding for every turn, no prompt cache, no voice-activity gate.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import app
from .. import config as config_mod
from ..formats.events import Heard, Listen, Silence
from ..home.session import Session
from ..speech.audio import NullSpeaker, chunks, read_wav
from ..speech.listener import TurnTiming, listen_once
from ..speech.vad import default_vad

RATE = 16000
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", Path(__file__).resolve().parents[3] / "shared" / "speech"))

# One check-in, answered by voice; every other session answers two choices in words outside
# their grammar ("pretty low tonight", "yes that sounds good"): the fast path answers what it
# hears complete ("pretty low" is a synonym of low; a pause before "tonight" ends the turn),
# and the rest reaches the text understanding as Whisper's words (turn kind
# "choice-fallback").
SESSION = (
    "low",
    "plan a date",
    "a picnic in the park",
    "saturday",
    "at noon",
    "yes",
)
SESSION_OUT_OF_GRAMMAR = ("pretty low tonight", *SESSION[1:5], "yes that sounds good")


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(RATE * seconds)


def spoken_end(pcm: bytes) -> float:
    """Where the words of a synthesised clip end: its last sample above 1% of its peak (s)."""
    x = np.abs(np.frombuffer(pcm, dtype=np.int16).astype(np.int32))
    if not x.size:
        return 0.0
    loud = np.nonzero(x > 0.01 * x.max())[0]
    return (int(loud[-1]) + 1) / RATE if loud.size else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# --------------------------------------------------------------------------- speech for the bench


class Voices:
    """The couple's answers: Piper's human-sounding voice when its wheels are installed
    (deterministic), else espeak-ng's US voice; cached per text."""

    def __init__(self):
        from ..speech.synthetic import espeak_pcm, piper_pcm, piper_problem

        self.cache: dict[str, bytes] = {}
        piper = piper_problem() is None
        self.name = "piper joe (en-US)" if piper else "espeak-ng en-us"
        self._render = piper_pcm if piper else (lambda text: espeak_pcm(text, "en-us", 150))

    def __call__(self, text: str) -> bytes:
        if text not in self.cache:
            self.cache[text] = self._render(text)
        return self.cache[text]


# --------------------------------------------------------------------------- one turn's figures


@dataclass
class Turn:
    kind: str
    endpoint_wait_ms: float = 0.0
    overrun_ms: float = 0.0
    """Decoding begun in the trailing silence still running at the endpoint (live audio)."""
    final_decode_ms: float = 0.0
    speaker_ms: float = 0.0
    """Who spoke: the attribution left after the endpoint (the last, partial window)."""
    speaker_total_ms: float = 0.0
    """All the turn's attribution work, most of it while the person spoke."""
    engine_ms: float = 0.0
    render_ms: float = 0.0
    output_ms: float = 0.0
    cache_hit: bool = False
    heard: str = ""

    @property
    def processing_ms(self) -> float:
        return (
            self.overrun_ms + self.final_decode_ms + self.speaker_ms + self.engine_ms + self.render_ms + self.output_ms
        )

    @property
    def latency_ms(self) -> float:
        return self.endpoint_wait_ms + self.processing_ms


class BenchTurns:
    """A turn source that answers each ``Listen`` with the next clip, through the real
    endpointer and recogniser, and notes where the time went."""

    def __init__(
        self,
        answers: Sequence[str],
        speak: Callable[[str], bytes],
        recogniser: Any,
        naive: bool,
        attribute: Callable[[], Any] | None = None,
    ):
        self.attribute = attribute
        self.answers = list(answers)
        self.speak = speak
        self.recogniser = recogniser
        self.naive = naive
        self.vad = default_vad()
        self.turns: list[Turn] = []
        self.pending: Turn | None = None

    def next_turn(self, listen: Listen, spoken_s: float):
        if not self.answers:
            return Silence(listen.no_input_s)
        text = self.answers.pop(0)
        clip = self.speak(text)
        pcm = silence(0.5) + clip + silence(max(listen.end_silence_s, 0.3) + 1.5)
        timing = TurnTiming()
        event = listen_once(
            chunks(pcm),
            listen,
            self.recogniser,
            self.vad,
            timing,
            gate=not self.naive,
            use_grammar=not self.naive,
            attribute=self.attribute,
        )
        kind: str = f"{listen.mode}-fallback" if timing.fallback else listen.mode  # Whisper's words outside the grammar
        turn = Turn(kind=kind, heard=event.text if isinstance(event, Heard) else "")
        if timing.speech_end is not None and timing.endpoint_at is not None:
            # From the end of the words (not the VAD's idea of it, which lags a little).
            turn.endpoint_wait_ms = (timing.endpoint_at - (0.5 + spoken_end(clip))) * 1000
        turn.final_decode_ms = timing.final_decode_s * 1000
        turn.overrun_ms = timing.overrun_s * 1000
        turn.speaker_ms = timing.speaker_final_s * 1000
        turn.speaker_total_ms = timing.speaker_s * 1000
        self.pending = turn
        return event


class TimedEngine:
    """The engine, with the time of each step noted on the pending turn."""

    def __init__(self, engine: Any, turns: BenchTurns):
        self.engine = engine
        self.turns = turns

    def __getattr__(self, name: str) -> Any:  # start, record, screen...: the engine's own
        return getattr(self.engine, name)

    def handle(self, state, event):
        t0 = time.perf_counter()
        result = self.engine.handle(state, event)
        if self.turns.pending is not None:
            self.turns.pending.engine_ms = (time.perf_counter() - t0) * 1000
        return result


class TimedVoice:
    """Renders each prompt (cache or not) and hands it to the output; the first prompt
    after an answer completes that turn's figures."""

    def __init__(self, synth: Any, turns: BenchTurns, speaker: Any | None = None):
        self.synth = synth
        self.turns = turns
        self.speaker = speaker or NullSpeaker()

    def speak(self, text: str, rate: float = 1.0) -> float:
        hits_before = getattr(self.synth, "hits", None)
        t0 = time.perf_counter()
        pcm = self.synth.render(text, rate_factor=rate)
        t1 = time.perf_counter()
        hz = int(getattr(self.synth, "sample_rate", RATE))
        self.speaker.play(pcm[: hz // 10 * 2], hz)  # the first 100 ms: the first sample is handed over here
        t2 = time.perf_counter()
        self.speaker.play(pcm[hz // 10 * 2 :], hz)
        turn = self.turns.pending
        if turn is not None:
            turn.render_ms = (t1 - t0) * 1000
            turn.output_ms = (t2 - t1) * 1000
            turn.cache_hit = hits_before is not None and self.synth.hits > hits_before
            self.turns.turns.append(turn)
            self.turns.pending = None
        return len(pcm) / (2 * hz)


def run_sessions(
    settings: config_mod.Settings,
    recogniser: Any,
    speak: Callable[[str], bytes],
    naive: bool,
    sessions: int,
    cache_dir: Path,
    attribute: Callable[[], Any] | None = None,
) -> list[Turn]:
    """Complete voice check-ins; returns every turn's figures (with who spoke each answer
    when ``attribute`` is given: both partners enrolled)."""
    from ..speech.tts import PromptCache

    dset = app.dialogs(settings)
    engine = app.engine(dset)
    raw = app.raw_synth(settings)
    synth: Any = raw
    if not naive:  # as in a session: only what prepare renders is cached
        synth = PromptCache(raw, cache_dir, static=())
        synth.prepare(app.static_prompts(dset, settings.partners))
    turns_all: list[Turn] = []
    for i in range(sessions):
        turns = BenchTurns(SESSION_OUT_OF_GRAMMAR if i % 2 else SESSION, speak, recogniser, naive, attribute)
        session = Session(TimedEngine(engine, turns), turns, voice=TimedVoice(synth, turns))  # type: ignore[arg-type]
        session.run(settings.partners, "check-in")
        turns_all += turns.turns
    return turns_all


ENROL_SENTENCES = (
    "We sit down together at the end of the day.",
    "I would like to hear how your week has really been.",
    "Thank you for listening to me when things are hard.",
)


def bench_voiceprints(speak: Callable[[str], bytes]) -> list[tuple[Any, float]]:
    """Two voiceprints: the bench's answering voice, and a second voice (espeak-ng, lower)."""
    from ..speech.speaker import voiceprint
    from ..speech.synthetic import espeak_pcm
    from .enrol import speech_of

    first = [speech_of(speak(t)) for t in ENROL_SENTENCES]
    second = [speech_of(espeak_pcm(t, "en-gb", 150, pitch=20)) for t in ENROL_SENTENCES]
    return [voiceprint(first), voiceprint(second)]


def bench_attribution(settings: config_mod.Settings, speak: Callable[[str], bytes]) -> Callable[[], Any]:
    from ..speech.speaker import Attributor, encoder

    (a, _), (b, _) = bench_voiceprints(speak)
    prints = dict(zip(settings.partners, (a, b)))
    model = encoder()
    return lambda: Attributor(prints, model)


def wake_turns(
    settings: config_mod.Settings, speak: Callable[[str], bytes], n: int, recogniser: Any = None
) -> list[Turn]:
    """Wake turns: from the end of "start check-in" to the greeting handed to the output."""
    from ..speech.tts import PromptCache
    from ..speech.vad import segments

    dset = app.dialogs(settings)
    engine = app.engine(dset)
    synth = PromptCache(app.raw_synth(settings), Path(tempfile.mkdtemp(prefix="checkin-bench-")), static=())
    synth.prepare(app.static_prompts(dset, settings.partners))
    out: list[Turn] = []
    for i in range(n):
        wake = app.wake(settings, recogniser)
        clip = speak(settings.wake.phrases[0])
        pcm = silence(1.0 + 0.1 * i) + clip + silence(2.0)
        spoken = segments(pcm)
        speech_end = spoken[-1][1] if spoken else 1.0 + len(clip) / (2 * RATE)
        for chunk in chunks(pcm):
            t0 = time.perf_counter()
            found = wake.feed(chunk)
            t1 = time.perf_counter()
            if found:
                decided = chunk.timestamp + chunk.seconds
                from datetime import datetime

                from ..engine import Context

                state, actions = engine.start(Context(settings.partners, datetime.now(), "bench"), "check-in")
                t2 = time.perf_counter()
                first = next(a for a in actions if hasattr(a, "text"))
                synth.render(first.text)
                t3 = time.perf_counter()
                out.append(
                    Turn(
                        "wake",
                        endpoint_wait_ms=(decided - speech_end) * 1000,
                        final_decode_ms=(t1 - t0) * 1000,
                        engine_ms=(t2 - t1) * 1000,
                        render_ms=(t3 - t2) * 1000,
                        cache_hit=True,
                    )
                )
                break
    return out


# --------------------------------------------------------------------------- recognisers


def command_clips(limit: int | None) -> list[tuple[str, bytes]]:
    manifest = SHARED_SPEECH / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:]]
    clips = [(r[4].strip(), SHARED_SPEECH / r[0]) for r in rows if r[0].startswith("commands/")]
    return [(label, read_wav(path)) for label, path in clips[:limit]]


def recogniser_figures(recogniser: Any, clips: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    from ..speech.asr import transcribe

    grammar = ["yes", "no", "stop", "go", "repeat", "skip", "help", "go back", "pause", "resume"]
    out: dict[str, Any] = {}
    for mode, g in (("grammar", grammar), ("free", None)):
        rtfs, correct = [], 0
        for label, pcm in clips:
            t0 = time.perf_counter()
            text = transcribe(recogniser, pcm, g).text
            rtfs.append((time.perf_counter() - t0) / (len(pcm) / (2 * RATE)))
            correct += label in text.split()
        out[mode] = {
            "rtf_median": round(statistics.median(rtfs), 4) if rtfs else None,
            "accuracy": round(correct / len(clips), 3) if clips else None,
            "clips": len(clips),
        }
    return out


def idle_cpu(settings: config_mod.Settings, pcm: bytes, recogniser: Any = None) -> tuple[float, int]:
    """Percent of one core used by the wake detector on ``pcm`` (CPU time / audio time, the
    second stage's Whisper threads included), and how many candidates it proposed."""
    wake = app.wake(settings, recogniser)
    t0 = time.process_time()
    for chunk in chunks(pcm):
        wake.feed(chunk)
    return 100.0 * (time.process_time() - t0) / (len(pcm) / (2 * RATE)), wake.candidates


def non_wake_speech(seconds: float, speak: Callable[[str], bytes]) -> bytes:
    """Real read speech from shared/speech/no-wake (or espeak sentences when absent)."""
    out = b""
    folder = SHARED_SPEECH / "no-wake"
    files = sorted(folder.glob("*.wav")) if folder.exists() else []
    for path in files:
        out += read_wav(path) + silence(0.3)
        if len(out) >= seconds * 2 * RATE:
            break
    sentences = [
        "We should call your mother this weekend.",
        "The pasta needs five more minutes.",
        "Did you see the game last night?",
    ]
    while len(out) < seconds * 2 * RATE:
        for s in sentences:
            out += speak(s) + silence(0.4)
    return out[: int(seconds * RATE) * 2]


# --------------------------------------------------------------------------- processes

ANSWERS = ["low", "plan a date", "dinner and a movie", "saturday at seven", "yes"]
"""A voice check-in whose every answer Piper's voice gets recognised (checked by the tests)."""


def vm_kb(pid: int, field: str = "VmHWM") -> int | None:
    """A /proc memory figure of a running process (VmHWM: its own peak RSS), in kB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


NOW = "2026-11-25T18:00:00"


def prompt_seconds(cfg: Path, workdir: Path | None = None) -> list[float]:
    """How long the coach speaks before each answer of :data:`ANSWERS`, from a typed run of
    the same check-in rendered with the same voice."""
    from datetime import datetime

    from ..home.session import ScriptedTurns

    settings = config_mod.load(cfg)
    dset = app.dialogs(settings)
    synth = app.synth(settings)
    out: list[float] = []
    pending = [0.0]

    def sink(event: Any) -> None:
        if event["type"] == "say":
            pending[0] += len(synth.render(event["text"], event.get("rate", 1.0))) / (2 * synth.sample_rate)
        elif event["type"] == "listen":
            out.append(pending[0])
            pending[0] = 0.0

    Session(app.engine(dset), ScriptedTurns([{"text": t} for t in ANSWERS]), [sink]).run(
        settings.partners, settings.start, now=datetime.fromisoformat(NOW)
    )
    return out


def one_session_recording(path: Path, cfg: Path, workdir: Path, speak: Callable[[str], bytes]) -> None:
    """A recording of one evening: the wake phrase, then each answer after the coach's prompts."""
    from ..speech.audio import write_wav

    pcm = silence(2.0) + speak("start check-in") + silence(0.8)
    for seconds, answer in zip(prompt_seconds(cfg, workdir), ANSWERS):
        pcm += silence(seconds + 1.0) + speak(answer) + silence(2.5)
    write_wav(path, pcm + silence(10.0))


def session_peak_rss(speak: Callable[[str], bytes], engine: str = "espeak") -> dict[str, Any]:
    """Peak RSS of a `checkin listen` process that wakes and runs a whole voice check-in
    (its prompts spoken by ``engine``: espeak or piper)."""
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-rss-"))
    cfg = workdir / "config.yaml"
    cfg.write_text(
        f"partners: [Maya, Sam]\ntts: {{engine: {engine}, cache_dir: {workdir / 'prompts'}}}\njournal: {{path: {workdir / 'j.sqlite3'}, keep: none}}\n"
    )
    wav = workdir / "evening.wav"
    one_session_recording(wav, cfg, workdir, speak)
    from ..store.voiceprints import path_for, put

    for name, (vec, seconds) in zip(("Maya", "Sam"), bench_voiceprints(speak)):
        put(path_for(workdir / "j.sqlite3"), name, vec, seconds)  # who spoke is attributed in this check-in too
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "listen", str(wav), "--config", str(cfg), "--now", NOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, vm_kb(proc.pid) or 0)
        time.sleep(0.05)
    out, err = proc.communicate()
    try:
        sessions = json.loads(out.strip().splitlines()[-1]).get("sessions")
    except (ValueError, IndexError):
        sessions = None
    return {"peak_rss_mb": round(peak / 1024, 1), "sessions": sessions}


class TimingSpeaker:
    """Plays nothing; notes when the first piece of a prompt was handed over."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.seconds = 0.0

    def play(self, pcm: bytes, rate: int) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        self.seconds += len(pcm) / (2 * rate)


def spread(items: Sequence[str], n: int) -> list[str]:
    """``n`` items spread evenly over ``items`` (all when fewer)."""
    if len(items) <= n:
        return list(items)
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)]


def piper_figures(settings: config_mod.Settings, quick: bool = False) -> dict[str, Any]:
    """The Piper voice: load time; for prompts not in the cache (as a read-back of the
    couple's words always is), the time from ``speak`` to the first audio handed to the
    speaker (streamed sentence by sentence) and to the whole prompt rendered (what playing
    only a finished render would wait); the real-time factor with one and with two ONNX
    threads."""
    from statistics import median

    from ..speech.piper_voice import PiperSynth, VoiceUnavailable
    from ..speech.tts import PromptCache
    from ..speech.voice import SpeakingVoice

    t0 = time.perf_counter()
    try:
        synth = PiperSynth(settings.voice.piper_voice, settings.voice.rate, settings.voice.volume, threads=1)
    except VoiceUnavailable as exc:
        return {"error": str(exc)}
    load_s = time.perf_counter() - t0  # with its warm-up render
    dset = app.dialogs(settings)
    prompts = spread(sorted(app.static_prompts(dset, ("Maya", "Sam")), key=len), 8 if quick else 30)
    first_ms, whole_ms, audio_s = [], [], 0.0
    cache_dir = Path(tempfile.mkdtemp(prefix="checkin-bench-piper-"))
    for text in prompts:
        speaker = TimingSpeaker()
        voice = SpeakingVoice(PromptCache(synth, cache_dir, static=()), speaker)  # static=(): nothing cached
        t0 = time.perf_counter()
        voice.speak(text)
        first_ms.append(((speaker.first or time.perf_counter()) - t0) * 1000)
        t0 = time.perf_counter()
        audio_s += len(synth.render(text)) / (2 * synth.sample_rate)
        whole_ms.append((time.perf_counter() - t0) * 1000)
    rtf = {1: sum(whole_ms) / 1000 / audio_s}
    if not quick:
        two = PiperSynth(settings.voice.piper_voice, settings.voice.rate, settings.voice.volume, threads=2)
        t0 = time.perf_counter()
        two_audio = sum(len(two.render(text)) for text in prompts) / (2 * two.sample_rate)
        rtf[2] = (time.perf_counter() - t0) / two_audio
    return {
        "voice": synth.voice,
        "sample_rate": synth.sample_rate,
        "load_s": round(load_s, 2),
        "prompts": len(prompts),
        "audio_s": round(audio_s, 1),
        "first_audio_ms": {
            "median": round(median(first_ms), 1),
            "p95": round(percentile(first_ms, 0.95), 1),
            "max": round(max(first_ms), 1),
        },
        "whole_render_ms": {
            "median": round(median(whole_ms), 1),
            "p95": round(percentile(whole_ms, 0.95), 1),
            "max": round(max(whole_ms), 1),
        },
        "rtf": {f"{n}_thread{'s' if n > 1 else ''}": round(v, 3) for n, v in rtf.items()},
    }


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from assistant import app, config
settings = config.load(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != '-' else None)
engine_name = sys.argv[2]
from dataclasses import replace
if engine_name != 'roles':
    settings = replace(settings, asr=replace(settings.asr, choices=engine_name, free=engine_name, fallback=None))
# what `checkin run` builds before it listens for the wake phrase (the recogniser loads lazily)
dset = app.dialogs(settings)
engine = app.engine(dset)
rec = app.recogniser(settings)
wake = app.wake(settings)
from assistant.formats.events import AudioChunk
wake.feed(AudioChunk(b'\x00\x00' * 480))
print('ready', flush=True)
rec = rec.check()
print(json.dumps({'recogniser_loaded_in_process_s': time.perf_counter() - t0}), flush=True)
# exercise memory: a decode in each mode
from assistant.speech.asr import transcribe
import math, struct
pcm = b''.join(struct.pack('<h', int(3000 * math.sin(i / 8))) for i in range(16000))
transcribe(rec, pcm, ['yes', 'no']); transcribe(rec, pcm, None)
# VmHWM is this process's own peak (ru_maxrss would keep the parent's across exec)
hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')]
peak = hwm[0] / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({'peak_rss_mb': peak}), flush=True)
"""


def cold_start(config_path: str | None, engine_name: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, config_path or "-", engine_name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    ready = time.perf_counter() - t0
    rest = proc.stdout.read()
    proc.wait()
    if first.strip() != "ready":
        return {"engine": engine_name, "error": (proc.stderr.read().strip().splitlines() or ["failed"])[-1]}
    figures: dict[str, Any] = {"engine": engine_name, "cold_start_s": round(ready, 3)}
    for line in rest.splitlines():
        figures.update(json.loads(line))
    return figures


def waiting_line_s(repeats: int = 3) -> dict[str, Any]:
    """``checkin run`` with no microphone: seconds from process start to its first line
    (the waiting line, said before any heavy import), median of ``repeats`` runs, through
    the same entry point as the installed ``checkin``."""
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-nomic-"))
    cfg = workdir / "config.yaml"
    cfg.write_text("audio: {input_device: no-such-microphone-for-the-bench, device_wait_s: 1}\n")
    times, line = [], ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli.start", "--config", str(cfg), "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        line = proc.stderr.readline().strip()
        times.append(time.perf_counter() - t0)
        proc.kill()
        proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)
    return {"no_microphone_line_s": round(statistics.median(times), 3), "line": line}


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    machine: str
    command: str
    voice: str = ""
    turns: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    recognisers: dict[str, Any] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)
    processes: list[dict[str, Any]] = field(default_factory=list)
    session: dict[str, Any] = field(default_factory=dict)
    speech: dict[str, Any] = field(default_factory=dict)
    first_line: dict[str, Any] = field(default_factory=dict)
    piper: dict[str, Any] = field(default_factory=dict)
    """The Piper voice's figures (:func:`piper_figures`) and a whole check-in's peak RSS with it."""
    vad: dict[str, Any] = field(default_factory=dict)


def summarise(turns: Sequence[Turn]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in sorted({t.kind for t in turns}):
        ts = [t for t in turns if t.kind == kind]
        row: dict[str, Any] = {"n": len(ts)}
        for name in (
            "latency_ms",
            "endpoint_wait_ms",
            "overrun_ms",
            "final_decode_ms",
            "speaker_ms",
            "speaker_total_ms",
            "engine_ms",
            "render_ms",
            "output_ms",
            "processing_ms",
        ):
            values = [getattr(t, name) for t in ts]
            row[name] = {"median": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1)}
        row["cache_hits"] = sum(t.cache_hit for t in ts)
        out[kind] = row
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    )


def run_piper(
    report: Report, settings: config_mod.Settings, speak: Any, quick: bool, say: Callable[[str], None]
) -> None:
    """The Piper section: skipped, with the reason, when piper-tts or its voice is missing."""
    say("the Piper voice: first audio, real-time factor")
    report.piper = piper_figures(settings, quick)
    if "error" not in report.piper:
        say("a whole voice check-in spoken by Piper in its own process (peak memory)")
        report.piper["session"] = session_peak_rss(speak, engine="piper")


def idle_figures(settings: Any, recogniser: Any, speak: Any, seconds: float) -> dict[str, float]:
    """Waiting for the wake phrase: a core's share on silence and on speech that never says it."""
    on_silence, _ = idle_cpu(settings, silence(seconds), recogniser)
    on_speech, candidates = idle_cpu(settings, non_wake_speech(seconds, speak), recogniser)
    return {
        "silence_s": seconds,
        "cpu_pct_silence": round(on_silence, 2),
        "speech_s": seconds,
        "cpu_pct_speech": round(on_speech, 2),
        "wake_candidates_per_hour": round(candidates * 3600 / seconds, 1),
    }


def run(
    config_path: str | None = None,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    voice_only: bool = False,
) -> Report:
    say = progress or (lambda message: None)
    settings = config_mod.load(config_path)
    command = "checkin bench" + (" --quick" if quick else "") + (" --voice" if voice_only else "")
    report = Report(machine=machine(), command=command)
    speak = Voices()
    report.voice = speak.name
    if voice_only:
        run_piper(report, settings, speak, quick, say)
        return report
    sessions = 2 if quick else 6
    cache = Path(tempfile.mkdtemp(prefix="checkin-bench-"))
    say("loading the recogniser")
    recogniser = app.recogniser(settings)
    say("voiceprints for both partners (who spoke is attributed in the optimised check-ins)")
    attribute = bench_attribution(settings, speak)
    say(f"{sessions} voice check-in(s), optimised")
    optimised = run_sessions(
        settings, recogniser, speak, naive=False, sessions=sessions, cache_dir=cache, attribute=attribute
    )
    say(f"{sessions} voice check-in(s), naive")
    naive = run_sessions(settings, recogniser, speak, naive=True, sessions=sessions, cache_dir=cache)
    say("wake turns")
    wakes = wake_turns(settings, speak, 3 if quick else 10, recogniser)
    report.turns = {
        "optimised": [asdict(t) | {"latency_ms": t.latency_ms} for t in optimised],
        "naive": [asdict(t) | {"latency_ms": t.latency_ms} for t in naive],
    }
    report.summary = {"optimised": summarise(optimised + wakes), "naive": summarise(naive)}
    say("recognisers")
    clips = command_clips(40 if quick else None)
    if not clips:
        clips = [(w, speak(w)) for w in ("yes", "no", "stop", "go")]
    report.recognisers[recogniser.choices] = recogniser_figures(recogniser.get(recogniser.choices), clips)
    say("real speech: word error rate, commands through the choice path, noise")
    from . import bench_speech

    report.speech = bench_speech.run(recogniser, SHARED_SPEECH, quick)
    say("voice activity: real speech opens a turn, noise does not")
    from . import bench_vad

    report.vad = bench_vad.run(SHARED_SPEECH, quick, app.dialogs(settings).common["defaults"]["timeouts"]["choice"])
    say("idle listening")
    report.idle = idle_figures(settings, recogniser, speak, 20.0 if quick else 120.0)
    say("cold start and memory")
    engines = ["roles", "pocketsphinx"] + (
        ["vosk"] if settings.asr.vosk_model and Path(settings.asr.vosk_model).is_dir() else []
    )
    report.processes = [cold_start(config_path, e) for e in engines]
    say("checkin run with no microphone: its first line")
    report.first_line = waiting_line_s()
    say("a whole voice check-in in its own process (peak memory)")
    report.session = session_peak_rss(speak)
    run_piper(report, settings, speak, quick, say)
    return report


def _opened(row: dict[str, Any] | None) -> str | None:
    """ "clean/quiet/noisy of n" turns opened."""
    if not row:
        return None
    return f"{row['clean']}/{row['quiet']}/{row.get('noise_10db', '-')} of {row['clips']}"


def headline(report: Report) -> dict[str, Any]:
    opt = report.summary.get("optimised", {}).get("choice", {})
    nav = report.summary.get("naive", {}).get("choice", {})
    ps = next((p for p in report.processes if p.get("engine") == "roles"), {})
    oog = report.summary.get("optimised", {}).get("choice-fallback", {})
    capture = report.summary.get("optimised", {}).get("capture", {})
    speech = report.speech or {}
    wer = speech.get("wer", {})
    cmds = speech.get("choices", {})
    opt_latency = opt.get("latency_ms", {}).get("median")
    naive_latency = nav.get("latency_ms", {}).get("median")
    return {
        "choice_turn_latency_ms_median": opt_latency,
        "choice_turn_latency_ms_p95": opt.get("latency_ms", {}).get("p95"),
        "processing_after_endpoint_ms_median": opt.get("processing_ms", {}).get("median"),
        "choice_fallback_latency_ms_median": oog.get("latency_ms", {}).get("median"),
        "free_processing_after_endpoint_ms_median": capture.get("processing_ms", {}).get("median"),
        "speaker_after_endpoint_ms_median": opt.get("speaker_ms", {}).get("median"),
        "speaker_after_endpoint_ms_p95": opt.get("speaker_ms", {}).get("p95"),
        "speaker_while_speaking_ms_median": opt.get("speaker_total_ms", {}).get("median"),
        "wer_clean": wer.get("wer_clean"),
        "wer_10db": wer.get("wer_10db"),
        "commands_correct": f"{cmds['correct']}/{cmds['commands']}" if cmds else None,
        "commands_tuning_half": cmds.get("tuning_half") if cmds else None,
        "commands_held_out_half": cmds.get("held_out_half") if cmds else None,
        "vad_commands_opened": _opened(report.vad.get("commands")),
        "vad_sentences_opened": _opened(report.vad.get("sentences")),
        "vad_noise_turns_opened": [report.vad[k]["turns_opened"] for k in ("noise", "noise_louder") if k in report.vad]
        or None,
        "idle_cpu_pct_silence": report.idle.get("cpu_pct_silence"),
        "idle_cpu_pct_speech": report.idle.get("cpu_pct_speech"),
        "peak_rss_mb": max(report.session.get("peak_rss_mb") or 0.0, round(ps.get("peak_rss_mb", 0.0), 1)) or None,
        "cold_start_s": ps.get("cold_start_s"),
        "no_microphone_line_s": report.first_line.get("no_microphone_line_s"),
        "naive_ratio": round(naive_latency / opt_latency, 2) if opt_latency and naive_latency else None,
        "piper_first_audio_ms_median": report.piper.get("first_audio_ms", {}).get("median"),
        "piper_first_audio_ms_max": report.piper.get("first_audio_ms", {}).get("max"),
        "piper_rtf": report.piper.get("rtf", {}).get("1_thread"),
        "piper_peak_rss_mb": report.piper.get("session", {}).get("peak_rss_mb"),
        "machine": report.machine,
    }


def piper_lines(piper: Mapping[str, Any]) -> list[str]:
    if not piper:
        return []
    if "error" in piper:
        return ["", f"Piper voice: not measured ({piper['error']})"]
    first, whole = piper["first_audio_ms"], piper["whole_render_ms"]
    rtf = ", ".join(f"{v} with {k.replace('_', ' ')}" for k, v in piper["rtf"].items())
    lines = [
        "",
        f"Piper voice ({piper['voice']}, {piper['sample_rate']} Hz; loads in {piper['load_s']:.1f} s), {piper['prompts']} prompts not in the cache ({piper['audio_s']} s of speech):",
        f"  first audio handed to the speaker (streamed by sentence): {first['median']:.0f} ms median, {first['p95']:.0f} ms p95, {first['max']:.0f} ms max",
        f"  the whole prompt rendered (without streaming):           {whole['median']:.0f} ms median, {whole['p95']:.0f} ms p95, {whole['max']:.0f} ms max",
        f"  real-time factor: {rtf}",
    ]
    session = piper.get("session")
    if session:
        lines.append(
            f"  a whole voice check-in spoken by Piper (checkin listen): peak RSS {session['peak_rss_mb']:.0f} MB (target <= 550), outcome {session['sessions']}"
        )
    return lines


def table(report: Report) -> str:
    lines = [f"Machine: {report.machine}", f"Command: {report.command}", f"Answers spoken by: {report.voice}", ""]
    if not report.summary:  # --voice: the voice's figures alone
        return "\n".join(lines + piper_lines(report.piper)[1:])
    lines.append("Turn latency, ms (median / p95): end of speech -> first reply sample handed to the output")
    lines.append(
        f"{'config':<10} {'kind':<10} {'n':>3} {'latency':>15} {'endpoint wait':>15} {'overrun':>11} {'final decode':>14} {'engine':>12} {'render':>13} {'output':>10} {'processing':>14} {'cache':>6}"
    )
    for config_name, kinds in report.summary.items():
        for kind, row in kinds.items():
            cell = lambda name, row=row: f"{row[name]['median']:.0f} / {row[name]['p95']:.0f}"  # noqa: E731
            lines.append(
                f"{config_name:<10} {kind:<10} {row['n']:>3} {cell('latency_ms'):>15} {cell('endpoint_wait_ms'):>15} {cell('overrun_ms'):>11} {cell('final_decode_ms'):>14} "
                f"{cell('engine_ms'):>12} {cell('render_ms'):>13} {cell('output_ms'):>10} {cell('processing_ms'):>14} {row['cache_hits']:>6}"
            )
    h = headline(report)
    lines.append(f"naive / optimised choice-turn latency: {h['naive_ratio']}x")
    lines.append(
        f"who spoke (both partners enrolled): {h['speaker_after_endpoint_ms_median']} ms median after the endpoint"
        f" (p95 {h['speaker_after_endpoint_ms_p95']}), {h['speaker_while_speaking_ms_median']} ms a turn in all"
    )
    lines.append("")
    lines.append("Recognisers (command clips): real-time factor (median) and accuracy")
    for name, modes in report.recognisers.items():
        for mode, fig in modes.items():
            lines.append(
                f"  {name:<13} {mode:<8} RTF {fig['rtf_median']}  accuracy {fig['accuracy']}  ({fig['clips']} clips)"
            )
    lines.append("")
    lines.append(
        f"Waiting for the wake phrase: {report.idle['cpu_pct_silence']}% of one core on silence, {report.idle['cpu_pct_speech']}% on speech that never says it "
        f"({report.idle['speech_s']:.0f} s each; {report.idle.get('wake_candidates_per_hour')} first-stage candidates per hour)"
    )
    for p in report.processes:
        if "error" in p:
            lines.append(f"  {p['engine']}: {p['error']}")
        else:
            lines.append(
                f"  {p['engine']:<13} cold start {p['cold_start_s']:.2f} s (process start to listening), peak RSS {p['peak_rss_mb']:.0f} MB at start"
            )
    if report.first_line:
        lines.append(
            f"  checkin run with no microphone: its waiting line {report.first_line['no_microphone_line_s']:.2f} s after the process started"
        )
    lines += _speech_lines(report.speech or {}) + _vad_lines(report.vad or {})
    if report.session:
        lines.append(
            f"  a whole voice check-in (checkin listen: wake, recogniser, TTS, journal): peak RSS {report.session['peak_rss_mb']:.0f} MB, outcome {report.session['sessions']}"
        )
    lines += piper_lines(report.piper)
    return "\n".join(lines)


def _speech_lines(speech: dict) -> list[str]:
    """The real-speech figures (WER, commands, noise), when the bench ran them."""
    lines: list[str] = []
    if speech:
        wer, cmds, noise = speech["wer"], speech["choices"], speech["noise"]
        lines.append("")
        lines.append(
            f"Real speech ({speech['free_recogniser']} for free answers): WER {wer['wer_clean']:.1%} clean, {wer['wer_10db']:.1%} at 10 dB SNR ({wer['sentences']} sentences, decode {wer['decode_s_median']} s median)"
        )
        lines.append(
            f"  commands through the choice path ({cmds['fast']} fast path, {cmds['fallback']} fallback): {cmds['correct']}/{cmds['commands']} correct"
            f" (speaker halves: tuning {cmds['tuning_half']}, held out {cmds['held_out_half']}), {cmds['fast_path']} answered with a phrase"
        )
        lines.append(
            f"  out-of-grammar sentences the fast path took for a command: {cmds['sentences_taken_as_commands']}/{cmds['sentences']}"
        )
        lines.append(f"  noise alone: {noise['with_words']} of {noise['windows']} 8-second windows gave words")
    return lines


def _vad_lines(vad: dict) -> list[str]:
    """The voice-activity figures, when the bench ran them."""
    lines: list[str] = []
    if vad:
        lines.append(
            f"Voice activity (Silero behind its energy gate, a choice turn; {vad.get('network_ms_per_frame')} ms of a core per 32 ms frame): turns opened, clean / at -30 dBFS peak / in noise at 10 dB SNR"
        )
        for kind in ("commands", "sentences"):
            if kind in vad:
                row = vad[kind]
                lines.append(
                    f"  {kind}: {row['clean']} / {row['quiet']} / {row.get('noise_10db', '-')} of {row['clips']}"
                )
        for kind, label in (("noise", "at its own level"), ("noise_louder", "10 dB louder")):
            if kind in vad:
                row = vad[kind]
                lines.append(
                    f"  recorded noise looped to {row['seconds']} s, {label}: {row['turns_opened']} turns opened; the network ran on {row['network_frames_pct']}% of frames ({row['cpu_pct']}% of a core)"
                )
    return lines
