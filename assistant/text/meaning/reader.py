"""The reader by meaning: sentence embeddings and a small trained classifier, beside the rules.

An answer is embedded as the mean of its tokens' static embeddings (WordLlama's
``l2_supercat_256``: 32,000 tokens x 256, float16, shipped inside the ``wordllama`` wheel and
read here with ``tokenizers`` and a read-only memory map, so neither wordllama's own loader,
which downloads its tokenizer at run time, nor pydantic is imported), then read by a softmax
classifier over the labels of the tuning corpus (tests/data/understanding_tuning.tsv), built
by ``scripts/train_reader.py`` into ``models/reader.npz``: weights, biases, labels and one
threshold per act.  Nothing is trained at run time.

How the reader's reading is combined with the rules' (:meth:`Reader.combine`; README, "The
meaning layer"), per act:
- distress: either raises it (rules, or the reader's danger probability >= its threshold);
  the rules' category wins, else the reader's (self -> suicide, violence, control -> abuse,
  others).  Checked first, at every kind of question.
- withdraw (touch): either raises it (the rules' keep-going must be the whole answer, and the
  reader must not hear a withdrawal in it).
- ask_coach, contempt, unsure (a hedge at a closed question), content_free (at an open
  question), affirm / deny (a yes or no the rules did not find at a yes/no question): the
  reader decides only where the rules found no act of their own (an ``answer``, ``unclear``,
  or at a closed question a bare ``affirm``), and only above its threshold; an act the rules
  found (a command, privacy, a decline, a question, ...) always stands.
- tone and grief: the rules' when they found one, else the reader's above its threshold.
``decided_by`` says which: ``rules``, ``reader`` (the reader changed the act), or ``both``
(the reader independently reads the act the rules found).  ``scores`` holds each reader's.

Pure once loaded: :func:`load` (the edge) reads the files; a missing or broken model is one
:class:`ReaderError` line, and the assembler falls back to the rules with a warning.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...formats import advice
from .model import ASK_COACH, CLOSED, CONTEMPT, CONTENT_FREE, DISTRESS, OPEN, UNCLEAR, WITHDRAW, Ask, Meaning

FORMAT = 1
"""models/reader.npz's format; a file of another format is refused."""
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"

DANGER_CATEGORY = {
    "danger_self": "suicide",
    "danger_partner_violence": "violence",
    "danger_threat_control": "abuse",
    "danger_others": "others",
}
TOPIC_OF = {f"question_{t}": t for t in ("recording", "privacy", "therapist", "sides", "purpose")}
TONE_OF = {"contempt": "contempt", "sarcasm": "sarcasm", "criticism": "criticism", "defensiveness": "defensive"}

_OPEN_TO_THE_READER = ("answer", UNCLEAR)
"""Acts of the rules that leave the reader free to decide (nothing of their own was found)."""

_TEXT = re.compile(r"[^a-z0-9' ]+")


class ReaderError(Exception):
    """The reader cannot be loaded (one line: the file and why)."""


def clean(text: str) -> str:
    """What the embedding reads: lower case, letters, digits and apostrophes."""
    return " ".join(_TEXT.sub(" ", text.lower().replace("\u2019", "'")).split())


class Embedder:
    """Mean-pooled static token embeddings, L2-normalised (what WordLlama's ``embed`` does)."""

    def __init__(self, tokenizer: Any, matrix: np.ndarray):
        self.tokenizer = tokenizer
        self.matrix = matrix
        self.dim = int(matrix.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self.tokenizer.encode(clean(text), add_special_tokens=False).ids
            if not ids:
                continue
            v = np.asarray(self.matrix[np.clip(ids, 0, self.matrix.shape[0] - 1)], dtype=np.float32).mean(axis=0)
            norm = float(np.linalg.norm(v))
            out[i] = v / norm if norm > 0 else v
        return out


def wordllama_files() -> tuple[Path, Path]:
    """The weights and tokenizer inside the installed ``wordllama`` package (found without
    importing it); :class:`ReaderError` when it is not installed."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ReaderError(f"the wordllama package is not installed: {advice.text('fix_wordllama')}")
    root = Path(next(iter(spec.submodule_search_locations)))
    weights, tokenizer = root / WEIGHTS, root / TOKENIZER
    for path in (weights, tokenizer):
        if not path.is_file():
            raise ReaderError(f"{path}: missing from the wordllama package")
    return weights, tokenizer


def _memmap_safetensors(path: Path, name: str = "embedding.weight") -> np.ndarray:
    """One float16 tensor of a safetensors file as a read-only memory map: only the rows an
    answer uses are ever read into memory (the format: 8-byte header length, JSON, data)."""
    try:
        with open(path, "rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(size))
        info = header[name]
        if info["dtype"] != "F16":
            raise ReaderError(f"{path}: {name} is {info['dtype']}, not F16")
        start, end = info["data_offsets"]
        shape = tuple(int(x) for x in info["shape"])
        if end - start != 2 * int(np.prod(shape)):
            raise ReaderError(f"{path}: {name} has the wrong size")
        return np.memmap(path, dtype=np.float16, mode="r", offset=8 + size + start, shape=shape)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"{path}: not a readable safetensors file ({exc})") from None


def load_embedder() -> Embedder:
    weights, tokenizer_file = wordllama_files()
    try:
        from tokenizers import Tokenizer  # the reader's own dependency, loaded with it
    except ImportError:
        raise ReaderError("the tokenizers package is not installed") from None
    try:
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
    except Exception as exc:  # tokenizers raises its own Exception type for a bad file
        raise ReaderError(f"{tokenizer_file}: not a tokenizer ({exc})") from None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return Embedder(tokenizer, _memmap_safetensors(weights))


@dataclass(frozen=True)
class Model:
    """The trained part: a softmax classifier over the embedding, and the thresholds."""

    labels: tuple[str, ...]
    weights: np.ndarray
    """(dim, labels)"""
    bias: np.ndarray
    thresholds: Mapping[str, float]

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        z = vectors @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))


THRESHOLDS = (
    "danger",
    "withdraw",
    "ask_coach",
    "contempt",
    "hedge",
    "content_free",
    "consent",
    "criticism",
    "defensive",
    "grief",
    "hopeless",
)


def load_model(path: str | Path) -> Model:
    """models/reader.npz: labels, weights, bias, thresholds, format; one line when it is not."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            fmt = int(data["format"])
            labels = tuple(str(x) for x in data["labels"])
            weights = np.asarray(data["weights"], dtype=np.float32)
            bias = np.asarray(data["bias"], dtype=np.float32)
            names = [str(x) for x in data["threshold_names"]]
            values = [float(x) for x in data["threshold_values"]]
    except FileNotFoundError:
        raise ReaderError(f"{path}: no such file (python scripts/train_reader.py builds it)") from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise ReaderError(f"{path}: not a reader model ({exc or type(exc).__name__})") from None
    if fmt != FORMAT:
        raise ReaderError(f"{path}: format {fmt}, this Check-in reads format {FORMAT}")
    if weights.ndim != 2 or weights.shape[1] != len(labels) or bias.shape != (len(labels),):
        raise ReaderError(f"{path}: weights, bias and labels do not match")
    thresholds = dict(zip(names, values))
    missing = [t for t in THRESHOLDS if t not in thresholds]
    if missing:
        raise ReaderError(f"{path}: no threshold for {missing[0]}")
    return Model(labels, weights, bias, thresholds)


class Reader:
    """The reader by meaning: :meth:`scores` of an answer, :meth:`combine` with the rules."""

    def __init__(self, embedder: Embedder, model: Model):
        if embedder.dim != model.weights.shape[0]:
            raise ReaderError(
                f"the model reads {model.weights.shape[0]} dimensions, the embeddings have {embedder.dim}"
            )
        self.embedder = embedder
        self.model = model
        self.t = model.thresholds

    def scores(self, text: str) -> dict[str, float]:
        """Each label's probability (they sum to 1)."""
        p = self.model.probabilities(self.embedder.embed([text]))[0]
        return {label: float(v) for label, v in zip(self.model.labels, p)}

    def combine(self, text: str, ask: Ask, rules: Meaning) -> Meaning:
        """The rules' reading and the reader's together, by the rule in the module's docstring."""
        p = self.scores(text)
        return combine(p, self.t, ask, rules)


def _sum(p: Mapping[str, float], labels: Sequence[str]) -> float:
    return sum(p.get(label, 0.0) for label in labels)


def _top(p: Mapping[str, float], labels: Sequence[str]) -> tuple[str, float]:
    best = max(labels, key=lambda x: p.get(x, 0.0))
    return best, p.get(best, 0.0)


def combine(p: Mapping[str, float], t: Mapping[str, float], ask: Ask, rules: Meaning) -> Meaning:
    """Pure: the reader's label probabilities ``p`` and thresholds ``t`` with the rules' reading."""
    danger = _sum(p, tuple(DANGER_CATEGORY))
    scores = {**rules.scores, **{f"reader:{k}": round(v, 4) for k, v in p.items()}, "reader:danger": round(danger, 4)}

    def out(meaning: Meaning, by: str) -> Meaning:
        return replace(meaning, scores=scores, decided_by=by)

    reader_danger = danger >= t["danger"]
    if rules.act == DISTRESS:
        return out(rules, "both" if reader_danger else "rules")
    if reader_danger:
        label, _ = _top(p, tuple(DANGER_CATEGORY))
        return out(Meaning(DISTRESS, safety=DANGER_CATEGORY[label]), "reader")

    if ask.kind == "touch":
        stop = _sum(p, ("touch_withdraw", "consent_no", "hedge"))
        go = _sum(p, ("touch_continue", "consent_yes"))
        reader_withdraw = stop / max(stop + go, 1e-9) >= t["withdraw"]
        if rules.act == WITHDRAW:
            return out(rules, "both" if reader_withdraw else "rules")
        if rules.act == "affirm" and reader_withdraw:
            return out(Meaning(WITHDRAW), "reader")
        return out(rules, "rules" if reader_withdraw else "both")

    annotated = _annotate(p, t, rules)
    free = rules.act in _OPEN_TO_THE_READER or (ask.kind in CLOSED and rules.act == "affirm")
    question, q = _top(p, tuple(TOPIC_OF))
    if rules.act == ASK_COACH:
        return out(annotated, "both" if q >= t["ask_coach"] and TOPIC_OF[question] == rules.topic else "rules")
    contempt = _sum(p, ("contempt", "sarcasm"))
    if rules.act == CONTEMPT:
        return out(annotated, "both" if contempt >= t["contempt"] else "rules")
    if free and q >= t["ask_coach"]:
        return out(replace(annotated, act=ASK_COACH, topic=TOPIC_OF[question], content=None), "reader")
    if free and contempt >= t["contempt"]:
        tone = "contempt" if p.get("contempt", 0.0) >= p.get("sarcasm", 0.0) else "sarcasm"
        return out(replace(annotated, act=CONTEMPT, tone=tone, content=None, issue=None), "reader")
    if ask.kind in CLOSED:
        hedge = p.get("hedge", 0.0)
        if rules.act == "unsure":
            return out(annotated, "both" if hedge >= t["hedge"] else "rules")
        if free and hedge >= t["hedge"]:
            return out(replace(annotated, act="unsure", content=None), "reader")
        if ask.kind == "yes_no" and rules.act == UNCLEAR:
            yes, no = p.get("consent_yes", 0.0), p.get("consent_no", 0.0)
            if max(yes, no) >= t["consent"]:
                return out(replace(annotated, act="affirm" if yes > no else "deny"), "reader")
        return out(annotated, "rules")
    if ask.kind in OPEN:
        said_nothing = _sum(p, ("content_free", "consent_yes", "consent_no"))
        if rules.act == CONTENT_FREE:
            return out(annotated, "both" if said_nothing >= t["content_free"] else "rules")
        if rules.act == "answer" and said_nothing >= t["content_free"]:
            return out(replace(annotated, act=CONTENT_FREE, content=None, family=None, when=None, issue=None), "reader")
    return out(annotated, "rules")


def _annotate(p: Mapping[str, float], t: Mapping[str, float], rules: Meaning) -> Meaning:
    """The rules' tone and grief, else the reader's above its thresholds."""
    tone, grief = rules.tone, rules.grief
    if tone is None:
        if p.get("criticism", 0.0) >= t["criticism"]:
            tone = "criticism"
        elif p.get("defensiveness", 0.0) >= t["defensive"]:
            tone = "defensive"
    if grief is None:
        if p.get("hopelessness", 0.0) >= t["hopeless"]:
            grief = "hopeless"
        elif p.get("grief", 0.0) >= t["grief"]:
            grief = "loss"
    return replace(rules, tone=tone, grief=grief)


def load(model_path: str | Path, embedder: Embedder | None = None) -> Reader:
    """The reader from models/reader.npz and the wordllama package (the edge: reads files)."""
    return Reader(embedder or load_embedder(), load_model(model_path))


__all__ = [
    "DANGER_CATEGORY",
    "FORMAT",
    "THRESHOLDS",
    "Embedder",
    "Model",
    "Reader",
    "ReaderError",
    "clean",
    "combine",
    "load",
    "load_embedder",
    "load_model",
]
