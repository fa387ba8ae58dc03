"""Who is speaking: a speaker encoder in numpy and the attribution of an utterance to a partner.

The encoder is resemblyzer 0.1.4's (Apache-2.0; ``models/speaker-encoder.npz``, ported once by
``scripts/port_speaker_encoder.py``): 40 mel bands every 10 ms (25 ms windows, power, not
log), a 3-layer LSTM of 256 cells over 1.6 s windows (160 frames), a linear projection and a
ReLU, L2-normed: a 256-number embedding per window; an utterance's is the normed mean of its
windows' (windows every 0.77 s, as resemblyzer does).  No torch, no librosa, no webrtcvad.

:class:`Attributor` runs while the person speaks: audio is fed as it arrives, mel frames are
computed as soon as their samples are there, and each 1.6 s window is encoded the moment it is
complete, so at the endpoint only the last (partial) window is left.  :meth:`Attributor.result`
names the partner, or None when the margin is too small ("not sure" is an answer).

Volume: each window is brought up to -30 dBFS (never down), measured on its voiced frames,
as resemblyzer normalises an utterance; frames far below the loudest so far (pauses, the
tail of the turn) are left out, as resemblyzer trims long silences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

RATE = 16_000
N_FFT = 400
"""25 ms analysis window."""
HOP = 160
"""10 ms between mel frames."""
N_MELS = 40
WINDOW = 160
"""Mel frames in one encoder window (1.6 s)."""
STEP = 77
"""Mel frames between windows (resemblyzer's 1.3 windows a second)."""
MIN_COVERAGE = 0.75
"""A last window is kept when at least this much of it is real audio (else dropped, unless it is the only one)."""
TARGET_DBFS = -30.0
QUIET_DB = 40.0
"""Mel frames this far below the loudest frame so far are pauses, left out of the windows."""
FLOOR_MS = 10 ** (-70 / 10)
"""Frames quieter than -70 dBFS are silence whatever the loudest was."""

MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "speaker-encoder.npz"
"""In the checkout (``models/``), beside the other speech models."""
MODEL_NAME = "resemblyzer-0.1.4"


class SpeakerModelMissing(RuntimeError):
    """The encoder's weights are not where they should be (a broken checkout)."""


# --------------------------------------------------------------------------- mel frames


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel = np.where(log_part, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), hz)


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """The (40, 201) Slaney-normalised triangular filter bank, as librosa builds it."""
    fft_freqs = np.linspace(0, RATE / 2, 1 + N_FFT // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(RATE / 2)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    weights = np.zeros((N_MELS, fft_freqs.size))
    for i in range(N_MELS):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def _frames(padded: np.ndarray, first: int, count: int) -> np.ndarray:
    idx = (first + np.arange(count))[:, None] * HOP + np.arange(N_FFT)[None, :]
    return padded[idx]


def _frames_power(padded: np.ndarray, first: int, count: int) -> np.ndarray:
    """Mel power of ``count`` frames from frame ``first`` of a centre-padded signal."""
    return _mel_power(_frames(padded, first, count))


def _mel_power(frames: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(frames * _hann(), axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return power @ mel_filters().T


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power of float samples at 16 kHz, as ``librosa.feature.melspectrogram``
    computes it (centred frames, zero padding, periodic Hann window, power 2)."""
    samples = np.asarray(samples, dtype=np.float32)
    padded = np.pad(samples, N_FFT // 2)
    count = 1 + samples.size // HOP
    return _frames_power(padded, 0, count)


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True)
class Encoder:
    """The LSTM encoder's weights (see the module docstring)."""

    w_ih: tuple[np.ndarray, ...]
    w_hh: tuple[np.ndarray, ...]
    bias: tuple[np.ndarray, ...]
    w_out: np.ndarray
    b_out: np.ndarray

    @classmethod
    def load(cls, path: Path | None = None) -> Encoder:
        path = path or MODEL_PATH
        try:
            with np.load(path) as npz:
                arrays = {name: npz[name] for name in npz.files}
            # sigmoid(x) = (1 + tanh(x / 2)) / 2: the input, forget and output gates' rows are
            # halved once here so that one tanh serves all four gates at run time
            half = np.ones(1024, dtype=np.float32)
            half[:512] = half[768:] = 0.5
            return cls(
                w_ih=tuple(np.ascontiguousarray((arrays[f"w_ih{i}"] * half[:, None]).T) for i in range(3)),
                w_hh=tuple(np.ascontiguousarray((arrays[f"w_hh{i}"] * half[:, None]).T) for i in range(3)),
                bias=tuple(arrays[f"b{i}"] * half for i in range(3)),
                w_out=np.ascontiguousarray(arrays["w_out"].T),
                b_out=arrays["b_out"],
            )
        except (OSError, KeyError, ValueError) as exc:
            raise SpeakerModelMissing(f"the speaker encoder {path} is missing or unreadable ({exc})") from None

    def embed_windows(self, mels: np.ndarray) -> np.ndarray:
        """(batch, 160, 40) mel windows -> (batch, 256) L2-normed embeddings."""
        x = np.asarray(mels, dtype=np.float32)
        batch, steps, _ = x.shape
        h = np.zeros((batch, 256), dtype=np.float32)
        for layer in range(3):
            gates_in = x @ self.w_ih[layer] + self.bias[layer]
            w_hh = self.w_hh[layer]
            h = np.zeros((batch, 256), dtype=np.float32)
            c = np.zeros((batch, 256), dtype=np.float32)
            out = np.empty((batch, steps, 256), dtype=np.float32) if layer < 2 else None
            for t in range(steps):
                g = gates_in[:, t] + h @ w_hh
                # torch's gate order: input, forget, cell, output; sigmoid(x) = (1 + tanh(x/2)) / 2
                np.tanh(g, out=g)  # the sigmoid gates' weights were halved at load
                c = 0.5 * ((1 + g[:, 256:512]) * c + (1 + g[:, :256]) * g[:, 512:768])
                h = 0.5 * (1 + g[:, 768:]) * np.tanh(c)
                if out is not None:
                    out[:, t] = h
            if out is not None:
                x = out
        raw = np.maximum(h @ self.w_out + self.b_out, 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.maximum(norms, 1e-12)


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """The shared encoder (loaded once, about 6 MB)."""
    return Encoder.load()


def partial_windows(n_samples: int) -> list[int]:
    """Where resemblyzer's windows start (in mel frames) for an utterance of ``n_samples``."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    steps = max(1, n_frames - WINDOW + STEP + 1)
    starts = list(range(0, steps, STEP))
    coverage = (n_samples - starts[-1] * HOP) / (WINDOW * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def embed_utterance(samples: np.ndarray, model: Encoder | None = None) -> np.ndarray:
    """resemblyzer's ``VoiceEncoder.embed_utterance`` on float samples at 16 kHz (no volume
    normalisation, no trimming: the same input gives the same embedding)."""
    model = model or encoder()
    samples = np.asarray(samples, dtype=np.float32)
    starts = partial_windows(samples.size)
    end = (starts[-1] + WINDOW) * HOP
    if end >= samples.size:
        samples = np.pad(samples, (0, end - samples.size))
    mel = mel_spectrogram(samples)
    embeds = model.embed_windows(np.stack([mel[s : s + WINDOW] for s in starts]))
    mean = embeds.mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


# --------------------------------------------------------------------------- attribution


def _gain(mean_square: np.ndarray) -> float:
    """The power gain that brings a window's voiced frames to -30 dBFS RMS (never down)."""
    if mean_square.size == 0:
        return 1.0
    power = float(mean_square.mean())
    target = 10 ** (TARGET_DBFS / 10)
    return max(1.0, target / power) if power > 0 else 1.0


@dataclass(frozen=True)
class Decision:
    """Who spoke one utterance, and how sure."""

    speaker: str | None
    """A partner's name, or None ("not sure", or nobody enrolled)."""
    scores: Mapping[str, float] = field(default_factory=dict)
    """Cosine similarity of the utterance to each voiceprint."""
    voiced_s: float = 0.0
    """Seconds of voiced audio the decision rests on."""
    shares: Mapping[str, float] = field(default_factory=dict)
    """Seconds of voiced audio attributed to each partner (the windows' vote)."""
    windows: int = 0


@dataclass(frozen=True)
class Thresholds:
    """When an utterance is somebody's (cosine similarities of resemblyzer embeddings)."""

    margin: float = 0.06
    """Two enrolled: the best voiceprint must beat the other by this much."""
    floor: float = 0.62
    """...and be at least this similar."""
    single: float = 0.74
    """One enrolled: at least this similar to be that partner."""
    mixed_share: float = 0.7
    """Windows attributed to different partners: the one with this share of the voiced
    frames gets the utterance; below it the utterance is mixed (None)."""


def decide(
    embedding: np.ndarray, prints: Mapping[str, np.ndarray], thresholds: Thresholds | None = None
) -> tuple[str | None, dict[str, float]]:
    """The partner whose voiceprint ``embedding`` matches, or None, and the similarities."""
    t = thresholds or Thresholds()
    scores = {name: float(np.dot(embedding, vec)) for name, vec in prints.items()}
    if not scores:
        return None, scores
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, top = ranked[0]
    if len(ranked) == 1:
        return (best if top >= t.single else None), scores
    second = ranked[1][1]
    return (best if top >= t.floor and top - second >= t.margin else None), scores


class Attributor:
    """One utterance's attribution, computed as the audio arrives.

    ``feed`` int16 mono PCM at 16 kHz (everything the recogniser gets, pre-roll and trailing
    silence included: quiet frames are left out here); ``result`` at the endpoint."""

    def __init__(
        self,
        prints: Mapping[str, np.ndarray],
        model: Encoder | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.prints = dict(prints)
        self.model = model or encoder()
        self.thresholds = thresholds or Thresholds()
        self._samples = np.zeros(N_FFT // 2, dtype=np.float32)  # the centre padding
        self._next_frame = 0
        self._voiced: list[np.ndarray] = []
        self._voiced_ms: list[float] = []
        self._n_voiced = 0
        self._peak = 0.0
        self._next_window = 0
        self._prepared: tuple[int, list[tuple[np.ndarray, int]]] | None = None
        self._finished = False
        self._embeds: list[np.ndarray] = []
        self._weights: list[int] = []
        self.encode_s = 0.0

    def feed(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
        if samples.size == 0:
            return
        self._samples = np.concatenate([self._samples, samples])
        # frame k covers padded samples [k*HOP, k*HOP + N_FFT)
        available = (self._samples.size - N_FFT) // HOP + 1 - self._next_frame
        if available > 0:
            frames = _frames(self._samples, self._next_frame, available)
            self._add_frames(_mel_power(frames), np.mean(frames.astype(np.float64) ** 2, axis=1))
            self._next_frame += available
            drop = self._next_frame * HOP
            self._samples = self._samples[drop:]
            self._next_frame = 0
        self._encode_ready()

    def _add_frames(self, mel: np.ndarray, mean_square: np.ndarray) -> None:
        for row, p in zip(mel, mean_square):
            self._peak = max(self._peak, float(p))
            if p >= FLOOR_MS and p >= self._peak * 10 ** (-QUIET_DB / 10):
                self._voiced.append(row)
                self._voiced_ms.append(float(p))
                self._n_voiced += 1

    @property
    def voiced_s(self) -> float:
        return self._n_voiced * HOP / RATE

    def _encode_ready(self) -> None:
        starts: list[int] = []
        while self._next_window + WINDOW <= self._n_voiced:
            starts.append(self._next_window)
            self._next_window += STEP
        self._commit(self._encode(starts))

    def _final_starts(self) -> list[int]:
        """The last, partial window (or the only one of a short answer), when there is one."""
        if not self._n_voiced or self._finished:
            return []
        if not self._embeds and self._next_window == 0:
            return [0]  # the only window: padded with silence
        if self._n_voiced - self._next_window >= MIN_COVERAGE * WINDOW:
            return [self._next_window]
        return []

    def _encode(self, starts: list[int]) -> list[tuple[np.ndarray, int]]:
        if not starts:
            return []
        frames = np.stack(self._voiced) if self._voiced else np.zeros((0, N_MELS), np.float32)
        mean_square = np.asarray(self._voiced_ms)
        batch = np.zeros((len(starts), WINDOW, N_MELS), dtype=np.float32)
        weights = []
        for k, s in enumerate(starts):
            window = frames[s : s + WINDOW]
            n = window.shape[0]
            batch[k, :n] = window * _gain(mean_square[s : s + n])
            weights.append(min(STEP, n))
        return list(zip(self.model.embed_windows(batch), weights))

    def _commit(self, windows: list[tuple[np.ndarray, int]]) -> None:
        for emb, w in windows:
            self._embeds.append(emb)
            self._weights.append(w)

    def prepare(self) -> None:
        """Encode the last, partial window now (in the trailing silence, before the endpoint):
        :meth:`finish` keeps it unless voiced audio came since."""
        if self._prepared is None or self._prepared[0] != self._n_voiced:
            self._prepared = (self._n_voiced, self._encode(self._final_starts()))

    def finish(self) -> None:
        """Encode what is left (the last, partial window), once."""
        if self._finished:
            return
        if self._prepared is not None and self._prepared[0] == self._n_voiced:
            self._commit(self._prepared[1])
        else:
            self._commit(self._encode(self._final_starts()))
        self._finished = True

    def embedding(self) -> np.ndarray | None:
        """The utterance's embedding so far (normed mean of its windows), or None."""
        if not self._embeds:
            return None
        mean = np.mean(self._embeds, axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)

    def result(self) -> Decision:
        self.finish()
        return attribute(self._embeds, self._weights, self.prints, self.thresholds, self.voiced_s)

    @property
    def windows(self) -> tuple[list[np.ndarray], list[int]]:
        """The windows' embeddings and their weights (voiced frames each stands for)."""
        return list(self._embeds), list(self._weights)


def attribute(
    embeds: Sequence[np.ndarray],
    weights: Sequence[int],
    prints: Mapping[str, np.ndarray],
    thresholds: Thresholds | None = None,
    voiced_s: float = 0.0,
) -> Decision:
    """An utterance's speaker from its windows' embeddings: the voiceprint its mean embedding
    matches (:func:`decide`); when the windows themselves name different partners (two voices),
    the one with :attr:`Thresholds.mixed_share` of the voiced frames, else None (mixed)."""
    t = thresholds or Thresholds()
    if not embeds or not prints:
        return Decision(None, {}, voiced_s, {}, len(embeds))
    mean = np.mean(embeds, axis=0)
    emb = mean / max(float(np.linalg.norm(mean)), 1e-12)
    speaker, scores = decide(emb, prints, t)
    shares: dict[str, float] = {}
    if len(embeds) > 1:
        for vec, w in zip(embeds, weights):
            label, _ = decide(vec, prints, t)
            if label is not None:
                shares[label] = shares.get(label, 0.0) + w * HOP / RATE
    if len(shares) > 1:
        total = sum(weights) * HOP / RATE
        top, top_s = max(shares.items(), key=lambda kv: kv[1])
        speaker = top if top_s >= t.mixed_share * total else None
    return Decision(speaker, scores, voiced_s, shares, len(embeds))


def voiceprint(recordings: Sequence[np.ndarray], model: Encoder | None = None) -> tuple[np.ndarray, float]:
    """A partner's voiceprint from int16 recordings: the normed mean of every window's
    embedding (computed as at run time), and the seconds of voiced audio it rests on."""
    model = model or encoder()
    embeds: list[np.ndarray] = []
    voiced = 0.0
    for pcm in recordings:
        att = Attributor({}, model)
        att.feed(np.asarray(pcm, dtype="<i2").tobytes())
        att.finish()
        embeds.extend(att._embeds)
        voiced += att.voiced_s
    if not embeds:
        return np.zeros(256, dtype=np.float32), 0.0
    mean = np.mean(embeds, axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32), voiced


__all__ = [
    "MODEL_NAME",
    "Attributor",
    "Decision",
    "Encoder",
    "SpeakerModelMissing",
    "Thresholds",
    "attribute",
    "decide",
    "embed_utterance",
    "encoder",
    "mel_spectrogram",
    "voiceprint",
]
