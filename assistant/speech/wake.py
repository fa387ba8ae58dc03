"""The wake phrase ("start check-in"): a cheap, always-on detector.

While the device waits, :class:`WakeDetector` listens to every chunk of audio.  It
must cost almost nothing on silence and on the couple's dinner-table talk, and it must
not wake on that talk.  The wake phrase is a command said on its own, so:

1. **Gate.**  Every 30 ms frame goes through the energy gate of :mod:`assistant.speech.vad`
   (:class:`~assistant.speech.vad.EnergyVAD`, with a faster-adapting noise floor) *and*
   pocketsphinx's WebRTC voice-activity classifier (both in C or numpy, ~0.05 % of a
   core), and an :class:`~assistant.speech.vad.Endpointer` cuts the speech into segments.
   Only a segment of plausible length (``min_s``..``max_s`` of speech) with a pause
   before it (``min_pause_s``) and after it (``end_silence_s``) is a *candidate*.
   Silence and long stretches of continuous speech are never decoded.  Silero
   (:func:`~assistant.speech.vad.has_speech`) then looks at the candidate, from just before its
   speech, and stops at the first sign of a voice: clatter, music and a fan are
   rejected before the decode (about 0.13 s of a core each here), while speech costs
   a few of its 32 ms frames (Silero on every frame would cost more than the whole
   detector: about 4% of a core on talk).  ``vad="webrtc"``, or a Silero model that
   cannot be loaded (one warning line), skips this look.
2. **Decode the candidate** with a small pocketsphinx grammar: the wake phrase and its
   variants ("start check in", "start checkin", "start a check-in", an optional
   "okay"/"please"...).  The path must reach the end of a phrase (a partial path such
   as "start check" is rejected) and its words must cover most of the segment.
3. **Verify.**  A forced path always "matches", so it is accepted only if it is a good
   acoustic fit: (a) pocketsphinx's keyphrase spotter, run on the candidate alone,
   finds the phrase; or (b) the path is the bare phrase, its words score at least
   ``-2.5`` nats per frame (relative to the best senone of each frame) *and* the whole
   path is at most ``1.2`` nats per frame worse than the best free phone sequence for
   the same audio (a phone-loop likelihood ratio).  The optional words work as a cheap
   garbage model: on speech that is not the phrase the grammar reaches for them to
   absorb what the phrase does not fit, so a path that uses them needs (a).
   (Defaults at sensitivity 0.5, tuned on synthesised phrases and 3.5 h of real read
   speech, clean and in noise; see ``scripts/bench_wake.py``.)

The timestamp of a wake is the end of the phrase on the audio clock (the end of the
last voiced frame of the segment, or the end of the phrase's last word when that is
earlier).  A wake is reported when the trailing pause has been heard, about
``end_silence_s`` (0.35 s) after the phrase.

Counters (:attr:`WakeDetector.segments`, :attr:`WakeDetector.decodes`,
:attr:`WakeDetector.verifications`) say how much work was done; the scores of recent
candidates are kept in :attr:`WakeDetector.recent` for tuning and logs.

Usage::

    wake = WakeDetector()
    for chunk in mic.chunks():
        if wake.feed(chunk):
            break            # start the session
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from ..formats.errors import Fault
from ..formats.events import AudioChunk
from .asr import registry
from .asr.base import RecogniserError
from .vad import (
    Endpointer,
    EnergyVAD,
    MaxLength,
    SileroParams,
    SpeechAudio,
    SpeechEnded,
    TurnParams,
    VADError,
    VADParams,
    has_speech,
    load_silero,
    warn_once,
)

RATE = 16000
"""The only sample rate the detector accepts (pocketsphinx's acoustic model)."""

_FRAME_BYTES = 2 * 480
"""The gate's 30 ms frame (the WebRTC classifier takes 10, 20 or 30 ms)."""

FRAME_S = 0.01
"""pocketsphinx frame period."""

LN_PER_UNIT = math.log(1.0001)
"""pocketsphinx log scores are in units of log base 1.0001."""

PHONES = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()
"""The CMU phone set of the bundled English acoustic model."""

LEAD_WORDS = ("okay", "ok", "hey", "so", "please", "now")
"""Optional words before a wake phrase ("okay, start check-in")."""
TAIL_WORDS = ("please", "now")
"""Optional words after a wake phrase ("start check-in please")."""
ARTICLES = ("a", "the")
"""Optional word after the first word of a phrase ("start a check-in")."""

SILERO_LEAD_S = 0.1
"""Silero's look at a candidate starts this long before its speech (context for the network)."""

WAKE_VAD = VADParams(floor_creep_db_s=5.0, stationary_db=8.0)
"""The wake gate's energy VAD: its noise floor follows a step up in background noise
within a few seconds (clatter and a fan switched on must not hold the gate open)."""


class WakeError(Fault):
    """The wake detector could not be set up (no pocketsphinx, a word with no
    pronunciation...)."""


@dataclass(frozen=True)
class WakeScore:
    """How one candidate segment scored (all scores in nats per 10 ms frame)."""

    start: float
    """Speech start of the segment (audio clock)."""
    end: float
    """Speech end of the segment (audio clock)."""
    hypothesis: str = ""
    """The grammar path ("" when the search found none)."""
    complete: bool = False
    """The path reached the end of a wake phrase."""
    phrase: str = ""
    """Which of the detector's phrases the path said."""
    extra_words: bool = False
    """The path used optional words around the phrase ("okay", "a", "please"...)."""
    phrase_end: float | None = None
    """End of the phrase's last word (audio clock)."""
    word_score: float = -math.inf
    """Acoustic score per frame of the phrase's words."""
    coverage: float = 0.0
    """Frames of phrase words over frames of voiced speech in the segment."""
    keyword: bool | None = None
    """The keyphrase spotter found the phrase (None: not run)."""
    ratio: float | None = None
    """(Phrase path score - free phone path score) per frame (None: not run)."""
    accepted: bool = False


@dataclass(frozen=True)
class Thresholds:
    """Acceptance thresholds (scores in nats per frame)."""

    word_score: float
    """Least score of the phrase's words (a path that is the bare phrase)."""
    ratio: float
    """Least phone-loop ratio (a path that is the bare phrase)."""
    coverage: float
    """Least fraction of the voiced segment covered by the phrase's words."""
    kws: float
    """Keyphrase-spotter threshold (a probability)."""


def thresholds(sensitivity: float) -> Thresholds:
    """Decision thresholds for ``sensitivity`` in 0..1 (0.5 is the tuned default; higher
    wakes more readily, with more false wakes)."""
    s = min(1.0, max(0.0, float(sensitivity))) - 0.5
    return Thresholds(
        word_score=-2.5 - 1.0 * s,
        ratio=-1.2 - 1.0 * s,
        coverage=0.4 - 0.2 * s,
        kws=10.0 ** (-30 - 20 * s),
    )


# --------------------------------------------------------------------------- second stage


@dataclass(frozen=True)
class Proposal:
    """The first stage when a second stage confirms: any segment whose grammar path says a
    whole wake phrase, with its words this well scored and covering this much of the
    segment, is proposed (no keyphrase or phone-loop pass: Whisper checks instead).  Set on
    clips made with other seeds than the ones ``scripts/bench_wake.py`` measures (espeak 301,
    Piper 302): 47 of 48 proposed, about 100 candidates an hour on continuous real speech
    (each a ~50 ms Whisper check here); the single-stage thresholds found 21 of the 32
    espeak clips however sensitive."""

    word_score: float = -4.0
    coverage: float = 0.3

    def proposes(self, score: WakeScore) -> bool:
        return score.complete and score.coverage >= self.coverage and score.word_score >= self.word_score


PROPOSE = Proposal()


def phrase_confirm(
    phrases: Sequence[str], transcribe: Callable[[bytes], str], min_score: float = 72.0
) -> Callable[[bytes], bool]:
    """A second stage: ``transcribe`` (Whisper) the candidate and accept it when the words,
    spaces and hyphens aside, are one of ``phrases`` (fuzzy: "start checking", "start to
    check it" pass; "it's time to check it" does not).  ``min_score`` was set on wake clips
    made with other seeds than the ones ``scripts/bench_wake.py`` measures."""
    from rapidfuzz import fuzz

    squash = lambda text: re.sub(r"[^a-z]", "", text.lower())  # noqa: E731
    targets = [squash(p) for p in phrases]

    def confirm(pcm: bytes) -> bool:
        heard = squash(transcribe(pcm))
        return bool(heard) and any(
            fuzz.ratio(heard, t) >= min_score or (t in heard and len(heard) <= len(t) + 12) for t in targets
        )

    return confirm


def whisper_confirm(phrases: Sequence[str], whisper: Callable[[], Any]) -> Callable[[bytes], bool]:
    """The second stage the product uses: ``whisper()`` (loaded at the first candidate)
    decodes the candidate as a choice among the wake phrases (a short window, its
    hypotheses weighed against them), and :func:`phrase_confirm` judges the words."""
    from .asr import transcribe

    return phrase_confirm(phrases, lambda pcm: transcribe(whisper(), pcm, list(phrases)).text)


# --------------------------------------------------------------------------- phrases


@dataclass(frozen=True)
class Lexicon:
    """The words the wake grammar uses and how each is pronounced."""

    prons: dict[str, list[str]]
    variants: list[tuple[str, list[str]]]
    """(phrase, words) for every spoken form of each phrase with known words."""
    lead_words: tuple[str, ...]
    tail_words: tuple[str, ...]
    articles: tuple[str, ...]

    def jsgf(self) -> str:
        """The wake grammar: a phrase (with an optional article inside), optional lead and tail words."""
        alts = []
        for _, words in self.variants:
            first, rest = words[0], words[1:]
            article = f" [{' | '.join(self.articles)}]" if rest and self.articles else ""
            alts.append(f"{first}{article} {' '.join(rest)}".strip())
        rule = "(" + " | ".join(f"({a})" for a in sorted(set(alts))) + ")"
        if self.lead_words:
            rule = f"[{' | '.join(self.lead_words)}] {rule}"
        if self.tail_words:
            rule = f"{rule} [{' | '.join(self.tail_words)}]"
        return f"#JSGF V1.0;\ngrammar wake;\npublic <wake> = {rule};\n"

    def dictionary(self) -> str:
        """A pocketsphinx dictionary: the words, then one pseudo-word per phone."""
        lines = [
            f"{word}{'' if i == 0 else f'({i + 1})'} {pron}"
            for word in sorted(self.prons)
            for i, pron in enumerate(self.prons[word])
        ]
        lines += [f"ph_{phone.lower()} {phone}" for phone in PHONES]
        return "\n".join(lines) + "\n"


def _joined_parts(phrases: Sequence[str]) -> dict[str, list[str]]:
    """Hyphenated words of the phrases, joined, with their parts ("checkin": check, in)."""
    parts_of: dict[str, list[str]] = {}
    for phrase in phrases:
        for word in _normalise(phrase).split():
            parts = [p for p in word.split("-") if p]
            if len(parts) > 1:
                parts_of["".join(parts)] = parts
    return parts_of


def pronunciations(
    phrases: Sequence[str], lead: Sequence[str], tail: Sequence[str], articles: Sequence[str], cmudict: str
) -> Lexicon:
    """The wake phrases' spoken forms and pronunciations from ``cmudict`` (pure: reads the
    dictionary file only); a phrase none of whose forms can be pronounced is a WakeError."""
    variants = [(phrase, words) for phrase in phrases for words in phrase_variants(phrase)]
    parts_of = _joined_parts(phrases)
    wanted = {w for _, ws in variants for w in ws} | set(lead) | set(tail) | set(articles)
    wanted |= {p for parts in parts_of.values() for p in parts}
    prons = _load_cmudict(cmudict, wanted)
    for joined, parts in parts_of.items():
        if joined not in prons and all(p in prons for p in parts):
            prons[joined] = [" ".join(prons[p][0] for p in parts)]
    usable = [(phrase, words) for phrase, words in variants if all(w in prons for w in words)]
    for phrase in phrases:
        if not any(p == phrase for p, _ in usable):
            missing = sorted({w for p, ws in variants if p == phrase for w in ws if w not in prons})
            raise WakeError(f"wake phrase {phrase!r}: no pronunciation for {', '.join(missing)}")
    known = lambda words: tuple(w for w in words if w in prons)  # noqa: E731
    return Lexicon(prons, usable, known(lead), known(tail), known(articles))


def _normalise(phrase: str) -> str:
    text = phrase.lower().replace("’", "'")
    text = re.sub(r"[^a-z' -]+", " ", text)
    return " ".join(text.split())


def phrase_variants(phrase: str) -> list[list[str]]:
    """Word sequences for one phrase: hyphenated words both split and joined
    ("check-in" -> "check in", "checkin")."""
    words = _normalise(phrase).split()
    if not words:
        raise WakeError(f"empty wake phrase {phrase!r}")
    variants: list[list[str]] = [[]]
    for word in words:
        parts = [p for p in word.split("-") if p]
        options = [parts] if len(parts) == 1 else [parts, ["".join(parts)]]
        variants = [v + o for v in variants for o in options]
    return variants


def _load_cmudict(path: str, wanted: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            head, _, pron = line.partition(" ")
            base = head.split("(", 1)[0]
            if base in wanted and pron.strip():
                pron = pron.split("#", 1)[0].strip()
                found.setdefault(base, [])
                if pron not in found[base]:
                    found[base].append(pron)
    return found


# --------------------------------------------------------------------------- gate


class _Gate:
    """Energy gate AND WebRTC speech classifier, as a VAD for the :class:`Endpointer`."""

    frame_s = 0.03
    min_speech_s = 0.12
    sure = False

    def __init__(self, vad: EnergyVAD, webrtc) -> None:  # noqa: ANN001
        self.energy = vad
        self.webrtc = webrtc

    def is_voiced(self, frame: np.ndarray, in_speech: bool = False, frame_s: float = 0.03) -> bool:
        if not self.energy.is_voiced(frame, in_speech=in_speech, frame_s=frame_s):
            return False
        if self.webrtc is None or frame.size * 2 != self.webrtc.frame_bytes:
            return True
        return bool(self.webrtc.is_speech(frame.astype("<i2").tobytes()))


# --------------------------------------------------------------------------- detector


@dataclass
class _Candidate:
    pcm: list[bytes] = field(default_factory=list)
    t0: float | None = None


def wake_turn(end_silence_s: float, max_s: float) -> TurnParams:
    """How a wake candidate is cut from the stream: ended by ``end_silence_s``, at most ``max_s`` voiced."""
    return TurnParams(
        end_silence_s=end_silence_s,
        no_input_s=math.inf,
        max_s=max_s + 0.5,
        min_speech_s=0.12,
        onset_gap_s=0.3,
        pre_roll_s=0.4,
    )


def _wake_phrases(phrases: str | Sequence[str]) -> tuple[str, ...]:
    """One phrase or several, at least one."""
    found = (phrases,) if isinstance(phrases, str) else tuple(phrases)
    if not found:
        raise WakeError("no wake phrase")
    return found


def _voice_detector(vad: str) -> Any:
    """Silero for the first stage (None: not installed, said once), or None for ``webrtc``."""
    if vad == "silero":
        try:
            return load_silero()
        except VADError as exc:
            warn_once(f"{exc}; the wake phrase is found without it")
            return None
    if vad != "webrtc":
        raise WakeError(f"unknown wake voice detector {vad!r} (silero or webrtc)")
    return None


class WakeDetector:
    """Spot wake phrases in a stream of 16 kHz mono :class:`AudioChunk` (see the module doc).

    ``phrases``: the wake phrases ("start check-in"); every word must be in the
    pronouncing dictionary (hyphenated words may be split or joined), else
    :class:`WakeError`.  ``sensitivity``: 0..1, 0.5 by default; higher wakes more
    readily (see :func:`thresholds`).

    Tuning (keyword-only): ``min_s``/``max_s`` bound the voiced length of a candidate,
    ``min_pause_s`` is the pause needed before it and ``end_silence_s`` the pause that
    ends it (and delays the wake); ``verify=False`` accepts on the word score alone;
    ``lead_words``/``tail_words``/``articles`` are the optional words of the grammar;
    ``webrtc_mode`` (0-3, None to disable) is the WebRTC classifier's aggressiveness;
    ``vad``: ``"silero"`` (the default) has Silero look at each candidate before its
    decode, ``"webrtc"`` does not;
    ``decoder_options`` go to ``pocketsphinx.Decoder``; ``keep`` is the length of
    :attr:`recent`.  The counters are cumulative (:meth:`reset` keeps them).
    """

    def __init__(
        self,
        phrases: Sequence[str] = ("start check-in",),
        sensitivity: float = 0.5,
        *,
        min_s: float = 0.4,
        max_s: float = 2.5,
        min_pause_s: float = 0.1,
        end_silence_s: float = 0.35,
        verify: bool = True,
        lead_words: Sequence[str] = LEAD_WORDS,
        tail_words: Sequence[str] = TAIL_WORDS,
        articles: Sequence[str] = ARTICLES,
        webrtc_mode: int | None = 3,
        vad: str = "silero",
        decoder_options: dict | None = None,
        vad_params: VADParams | None = None,
        keep: int = 50,
        confirm: Callable[[bytes], bool] | None = None,
        propose: Proposal | None = None,
    ) -> None:
        self.phrases = _wake_phrases(phrases)
        self.sensitivity = sensitivity
        self.thresholds: Thresholds = thresholds(sensitivity)
        self.min_s, self.max_s, self.min_pause_s, self.end_silence_s = min_s, max_s, min_pause_s, end_silence_s
        self.verify = verify
        self.lead_words, self.tail_words, self.articles = tuple(lead_words), tuple(tail_words), tuple(articles)
        self.turn = wake_turn(end_silence_s, max_s)
        self.segments = 0
        """Speech segments the gate found."""
        self.decodes = 0
        """Candidate segments decoded with the wake grammar (the expensive part)."""
        self.decoded_seconds = 0.0
        """Audio decoded with the wake grammar (seconds, pre-roll and trailing pause included)."""
        self.verifications = 0
        """Candidates that went on to a verification pass (keyphrase or phone loop)."""
        self.wakes = 0
        """Wake phrases detected."""
        self.not_speech = 0
        """Candidates Silero heard no voice in (never decoded)."""
        self.silero_frames = 0
        """32 ms frames Silero looked at."""
        self.confirm = confirm
        """The second stage: does a candidate's audio say the phrase (Whisper)?"""
        self.propose = propose
        """With ``confirm``: the first stage's rule (None: the sensitivity's thresholds)."""
        self.candidates = 0
        """Candidates the first stage accepted (each costs one ``confirm``)."""
        self.recent: deque[WakeScore] = deque(maxlen=keep)
        """Scores of the most recent candidates."""
        self._vad_params = vad_params or WAKE_VAD
        self._webrtc_mode = webrtc_mode
        self._silero: Any = _voice_detector(vad)
        self._decoder_options = {"cmn": "batch", **(decoder_options or {})}
        self._setup_decoder()
        self.reset()

    # ------------------------------------------------------------------ setup

    def _setup_decoder(self) -> None:
        try:
            import pocketsphinx
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise WakeError(f"pocketsphinx is not installed: {exc}") from None
        self._ps = pocketsphinx
        model = pocketsphinx.get_model_path()
        lex = pronunciations(
            self.phrases,
            self.lead_words,
            self.tail_words,
            self.articles,
            os.path.join(model, "en-us", "cmudict-en-us.dict"),
        )
        self._variants = lex.variants
        self.lead_words, self.tail_words, self.articles = lex.lead_words, lex.tail_words, lex.articles
        self._phrase_words = {w for _, ws in lex.variants for w in ws}
        kws = "".join(
            f"{' '.join(next(ws for p, ws in lex.variants if p == phrase))} /{self.thresholds.kws:.0e}/\n"
            for phrase in self.phrases
        )
        searches = {"wake": ("jsgf", lex.jsgf()), "kws": ("kws", kws), "phones": ("allphone", "")}
        try:
            self._decoder = registry.decoder("pocketsphinx", lex.dictionary(), searches, **self._decoder_options)
        except RecogniserError as exc:
            raise WakeError(f"cannot load the wake recogniser: {exc}") from None
        self._logmath = self._decoder.get_logmath()

    # ------------------------------------------------------------------ streaming

    def reset(self) -> None:
        """Forget all audio (the noise floor too): call when the stream is interrupted."""
        self._vad = EnergyVAD(self._vad_params)
        webrtc = None
        if self._webrtc_mode is not None:
            try:
                webrtc = self._ps.Vad(self._webrtc_mode, RATE, 0.03)
            except Exception:  # noqa: BLE001 - the energy gate alone still works
                webrtc = None
        self._gate = _Gate(self._vad, webrtc)
        self._ep: Endpointer | None = None
        self._cand = _Candidate()
        self._last_end = -math.inf
        self._pending = bytearray()
        self._clock = 0.0

    def feed(self, chunk: AudioChunk) -> list[float]:
        """Consume one chunk (any length); return the audio-clock times at which a wake
        phrase ended."""
        if not chunk.pcm:
            return []
        if chunk.rate != RATE or chunk.channels != 1:
            raise ValueError(f"WakeDetector needs {RATE} Hz mono audio, not {chunk.rate} Hz x {chunk.channels}")
        pcm = chunk.pcm[: len(chunk.pcm) - len(chunk.pcm) % 2]
        self._clock = chunk.timestamp - len(self._pending) / 2 / RATE
        self._pending += pcm
        found: list[float] = []
        n = len(self._pending) - len(self._pending) % _FRAME_BYTES
        for offset in range(0, n, _FRAME_BYTES):
            frame = bytes(self._pending[offset : offset + _FRAME_BYTES])
            t = self._clock + offset / 2 / RATE
            found.extend(self._frame(AudioChunk(frame, RATE, 1, t)))
        del self._pending[:n]
        self._clock += n / 2 / RATE
        return found

    def _frame(self, frame: AudioChunk) -> list[float]:
        if self._ep is None:
            self._ep = Endpointer(self.turn, self._gate, start=frame.timestamp)
        ep = self._ep
        found: list[float] = []
        for ev in ep.feed(frame):
            if isinstance(ev, SpeechAudio):
                if self._cand.t0 is None:
                    self._cand.t0 = ev.chunk.timestamp
                self._cand.pcm.append(ev.chunk.pcm)
            elif isinstance(ev, SpeechEnded):
                self.segments += 1
                t = self._candidate(ep, ev)
                if t is not None:
                    found.append(t)
                self._last_end = ev.timestamp
            elif isinstance(ev, MaxLength):
                self.segments += 1
                self._last_end = ev.timestamp
        if ep.done:
            self._ep = None
            self._cand = _Candidate()
        return found

    def feed_all(self, chunks: Iterable[AudioChunk]) -> list[float]:
        """Feed every chunk; all the wake times."""
        return [t for chunk in chunks for t in self.feed(chunk)]

    def _candidate(self, ep: Endpointer, ev: SpeechEnded) -> float | None:
        start = ep.speech_start if ep.speech_start is not None else ev.timestamp - ev.seconds
        pause = start - self._last_end
        if not (self.min_s <= ev.seconds <= self.max_s) or pause < self.min_pause_s:
            return None
        pcm = b"".join(self._cand.pcm)
        t0 = self._cand.t0 if self._cand.t0 is not None else start
        if self._silero is not None:
            lead = max(0, int((start - SILERO_LEAD_S - t0) * RATE)) * 2
            speech, frames = has_speech(pcm[lead:], self._silero, SileroParams())
            self.silero_frames += frames
            if not speech:
                self.not_speech += 1
                return None
        score = self.score(pcm, t0, start, ev.timestamp)
        self.recent.append(score)
        if not score.accepted:
            return None
        self.candidates += 1
        if self.confirm is not None and not self.confirm(pcm):
            return None
        self.wakes += 1
        end = ev.timestamp
        if score.phrase_end is not None:
            end = min(end, score.phrase_end)
        return end

    # ------------------------------------------------------------------ scoring

    def _decode(self, search: str, pcm: bytes):  # noqa: ANN202
        d = self._decoder
        d.activate_search(search)
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        return d.hyp(), list(d.seg() or [])

    def _log(self, p: float) -> float:
        """A Segment probability back to nats (pocketsphinx hands them out exponentiated)."""
        if p <= 0.0:
            return -1e4
        return self._logmath.log(p) * LN_PER_UNIT

    def score(
        self, pcm: bytes, t0: float = 0.0, start: float | None = None, end: float | None = None, *, full: bool = False
    ) -> WakeScore:
        """Decode one candidate segment (16 kHz mono s16le starting at ``t0``; speech
        from ``start`` to ``end``) and decide.  ``full`` runs every verification
        pass whatever the earlier ones said (for tuning)."""
        th = self.thresholds
        start = t0 if start is None else start
        end = t0 + len(pcm) / 2 / RATE if end is None else end
        self.decodes += 1
        self.decoded_seconds += len(pcm) / 2 / RATE
        hyp, segs = self._decode("wake", pcm)
        text = hyp.hypstr if hyp is not None else ""
        words = [s for s in segs if s.word.split("(")[0] in self._phrase_words]
        if not words:
            return WakeScore(start=start, end=end, hypothesis=text)
        phrase, extra = self._match(text)
        complete = bool(phrase)
        frames = sum(s.end_frame - s.start_frame + 1 for s in words)
        word_score = sum(self._log(s.ascore) for s in words) / max(1, frames)
        coverage = frames * FRAME_S / max(1e-3, end - start)
        base = WakeScore(
            start=start,
            end=end,
            hypothesis=text,
            complete=complete,
            phrase=phrase,
            extra_words=extra,
            phrase_end=t0 + (words[-1].end_frame + 1) * FRAME_S,
            word_score=word_score,
            coverage=coverage,
        )
        if self.propose is not None:
            return replace(base, accepted=self.propose.proposes(base))
        if not complete or coverage < th.coverage:
            return base
        if not self.verify:
            return replace(base, accepted=not extra and word_score >= th.word_score)
        keyword: bool | None = None
        ratio: float | None = None
        self.verifications += 1
        if full or word_score >= th.word_score - 1.5:
            khyp, _ = self._decode("kws", pcm)
            keyword = khyp is not None and bool(khyp.hypstr.strip())
        if full or (not keyword and not extra and word_score >= th.word_score):
            ratio = self._phone_ratio(pcm, segs)
        accepted = bool(keyword) or (
            not extra and word_score >= th.word_score and ratio is not None and ratio >= th.ratio
        )
        return replace(base, keyword=keyword, ratio=ratio, accepted=accepted)

    def _match(self, text: str) -> tuple[str, bool]:
        """The phrase that a grammar path says ("" when the path is partial), and
        whether the path used optional words around it."""
        spoken = [w.split("(")[0] for w in text.split() if not w.startswith(("<", "[", "+"))]
        n = len(spoken)
        if spoken and spoken[0] in self.lead_words and spoken[0] not in self._phrase_words:
            spoken = spoken[1:]
        if spoken and spoken[-1] in self.tail_words and spoken[-1] not in self._phrase_words:
            spoken = spoken[:-1]
        if len(spoken) > 2 and spoken[1] in self.articles:
            spoken = spoken[:1] + spoken[2:]
        for phrase, words in self._variants:
            if spoken == words:
                return phrase, len(spoken) != n
        return "", False

    def _phone_ratio(self, pcm: bytes, wake_segs) -> float | None:  # noqa: ANN001
        """(wake path - free phone path) acoustic score per frame, both scored by the
        same grammar search so that the units agree: the free phone string comes from
        an all-phone decode, then is aligned as a grammar of phone words."""
        hyp, segs = self._decode("phones", pcm)
        phones = [s.word for s in segs if s.word in PHONES]
        if not phones:
            return None
        rule = " ".join(f"ph_{p.lower()}" for p in phones)
        self._decoder.add_jsgf_string("loop", f"#JSGF V1.0;\ngrammar loop;\npublic <loop> = {rule};\n")
        _, lsegs = self._decode("loop", pcm)
        n = max(1, self._decoder.n_frames())
        if not lsegs:
            return None
        wake = sum(self._log(s.ascore) for s in wake_segs)
        loop = sum(self._log(s.ascore) for s in lsegs)
        return (wake - loop) / n


__all__ = ["Thresholds", "WakeDetector", "WakeError", "WakeScore", "phrase_variants", "thresholds"]
