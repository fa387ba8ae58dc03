#!/usr/bin/env python3
"""Build the reader by meaning (models/reader.npz) from the tuning corpus, deterministically.

Every utterance of tests/data/understanding_tuning.tsv (``label<TAB>text``) is embedded
(assistant.text.meaning.reader: WordLlama's static embeddings, mean-pooled), and a softmax
classifier over its labels is fitted by full-batch gradient descent from zeros (L2, classes
weighted by their size; no randomness).  The per-act thresholds are chosen on out-of-fold
probabilities (5 folds by a hash of the text): for each act the lowest threshold whose false
readings on the other labels stay within the limit below.  The held-out set is never read.

Usage: python scripts/train_reader.py [--corpus FILE] [--out models/reader.npz] [--check]
       --check: build in memory and compare with --out (exit 1 when they differ).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cli.bench_understanding import read_tsv  # noqa: E402
from assistant.text.meaning.reader import DANGER_CATEGORY, FORMAT, THRESHOLDS, TOPIC_OF, load_embedder  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "understanding_tuning.tsv"
OUT = ROOT / "models" / "reader.npz"
FOLDS = 5
L2 = 1e-3
STEPS = 300
RATE = 0.5
MOMENTUM = 0.9
GRID = np.round(np.arange(0.05, 0.96, 0.01), 2)

DANGER = tuple(DANGER_CATEGORY)
QUESTIONS = tuple(TOPIC_OF)

# act -> (score of a row from its probabilities, labels the act is right for, labels it must
# not fire on, the most it may fire there)
Score = Callable[[dict[str, float]], float]


def _sum(*labels: str) -> Score:
    return lambda p: sum(p.get(x, 0.0) for x in labels)


def _touch(p: dict[str, float]) -> float:
    stop = sum(p.get(x, 0.0) for x in ("touch_withdraw", "consent_no", "hedge"))
    go = sum(p.get(x, 0.0) for x in ("touch_continue", "consent_yes"))
    return stop / max(stop + go, 1e-9)


NOT_DANGER = (
    "everyday",
    "content",
    "grief",
    "criticism",
    "defensiveness",
    "contempt",
    "sarcasm",
    "content_free",
    "consent_yes",
    "consent_no",
    "hedge",
    "touch_continue",
    *QUESTIONS,
)
PLAIN = ("content", "everyday", "grief", "hopelessness", "criticism", "defensiveness")
RULES: dict[str, tuple[Score, tuple[str, ...], tuple[str, ...], float]] = {
    "danger": (_sum(*DANGER), DANGER, NOT_DANGER, 0.015),
    "withdraw": (_touch, ("touch_withdraw",), ("touch_continue",), 0.10),
    "ask_coach": (lambda p: max(p.get(x, 0.0) for x in QUESTIONS), QUESTIONS, (*PLAIN, "content_free", "hedge"), 0.01),
    "contempt": (_sum("contempt", "sarcasm"), ("contempt", "sarcasm"), (*PLAIN, "content_free", "consent_yes"), 0.02),
    "hedge": (_sum("hedge"), ("hedge",), ("consent_yes", "consent_no", "content_free"), 0.03),
    "content_free": (_sum("content_free", "consent_yes", "consent_no"), ("content_free",), ("content",), 0.01),
    "consent": (
        lambda p: max(p.get("consent_yes", 0.0), p.get("consent_no", 0.0)),
        ("consent_yes", "consent_no"),
        ("hedge",),
        0.05,
    ),
    "criticism": (_sum("criticism"), ("criticism",), ("content", "everyday", "defensiveness", "grief"), 0.01),
    "defensive": (_sum("defensiveness"), ("defensiveness",), ("content", "everyday", "criticism", "grief"), 0.01),
    "grief": (_sum("grief"), ("grief",), ("content", "everyday", "hopelessness", "criticism"), 0.01),
    "hopeless": (_sum("hopelessness"), ("hopelessness",), ("content", "everyday", "grief", "criticism"), 0.01),
}
assert set(RULES) == set(THRESHOLDS)


def fold_of(text: str) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % FOLDS


def fit(x: np.ndarray, y: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression on standardised features by full-batch gradient descent with Nesterov
    momentum from zeros (deterministic); the standardisation is folded into the weights, so the
    model reads the plain embedding."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z_x = ((x - mean) / scale).astype(np.float64)
    n, d = z_x.shape
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    sample = (n / (classes * np.maximum(counts, 1)))[y]
    sample /= sample.sum()
    onehot = np.eye(classes)[y]
    w = np.zeros((d, classes))
    b = np.zeros(classes)
    vw = np.zeros_like(w)
    vb = np.zeros_like(b)
    for _ in range(STEPS):
        wl, bl = w + MOMENTUM * vw, b + MOMENTUM * vb
        z = z_x @ wl + bl
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        g = (e / e.sum(axis=1, keepdims=True) - onehot) * sample[:, None]
        vw = MOMENTUM * vw - RATE * (z_x.T @ g + L2 * wl)
        vb = MOMENTUM * vb - RATE * g.sum(axis=0)
        w += vw
        b += vb
    weights = w / scale[:, None]
    bias = b - (mean / scale) @ w
    return weights.astype(np.float32), bias.astype(np.float32)


def probabilities(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    z = x @ w + b
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def thresholds(rows: Sequence[tuple[str, str]], oof: np.ndarray, labels: Sequence[str]) -> dict[str, float]:
    """Per act, the lowest threshold whose firing on the labels it must not fire on stays
    within the limit (out-of-fold probabilities)."""
    probs = [dict(zip(labels, map(float, p))) for p in oof]
    out = {}
    for act, (score, _, avoid, limit) in RULES.items():
        values = np.array([score(p) for p in probs])
        against = np.array([label in avoid for label, _ in rows])
        chosen = float(GRID[-1])
        for t in GRID:
            if (values[against] >= t).mean() <= limit:
                chosen = float(t)
                break
        out[act] = chosen
    return out


def build(corpus: Path, progress: Callable[[str], None] = lambda m: None) -> dict[str, np.ndarray]:
    rows = read_tsv(corpus)
    labels = sorted({label for label, _ in rows})
    index = {label: i for i, label in enumerate(labels)}
    embedder = load_embedder()
    x = embedder.embed([text for _, text in rows])
    y = np.array([index[label] for label, _ in rows])
    folds = np.array([fold_of(text) for _, text in rows])
    oof = np.zeros((len(rows), len(labels)))
    for k in range(FOLDS):
        progress(f"fold {k + 1}/{FOLDS}")
        w, b = fit(x[folds != k], y[folds != k], len(labels))
        oof[folds == k] = probabilities(x[folds == k], w, b)
    chosen = thresholds(rows, oof, labels)
    progress("the whole corpus")
    w, b = fit(x, y, len(labels))
    return {
        "format": np.array(FORMAT),
        "labels": np.array(labels),
        "weights": w,
        "bias": b,
        "threshold_names": np.array(list(chosen)),
        "threshold_values": np.array([chosen[k] for k in chosen], dtype=np.float32),
        "corpus_sha256": np.array(hashlib.sha256(corpus.read_bytes()).hexdigest()),
        "oof_accuracy": np.array(float((oof.argmax(axis=1) == y).mean()), dtype=np.float32),
    }


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    """What differs between two builds (weights within float noise across CPUs)."""
    diffs = []
    for key in ("format", "labels", "threshold_names", "corpus_sha256"):
        if not np.array_equal(a[key], b[key]):
            diffs.append(key)
    for key, tol in (("weights", 1e-3), ("bias", 1e-3), ("threshold_values", 0.0101)):
        if a[key].shape != b[key].shape or not np.allclose(a[key], b[key], atol=tol, rtol=0):
            diffs.append(key)
    return diffs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--check", action="store_true", help="rebuild and compare with --out; write nothing")
    args = parser.parse_args(argv)
    built = build(Path(args.corpus), lambda m: print(f"train_reader: {m}", file=sys.stderr))
    if args.check:
        with np.load(args.out, allow_pickle=False) as data:
            kept = {k: data[k] for k in data.files}
        diffs = same(built, kept)
        print("same as " + args.out if not diffs else f"differs from {args.out}: {', '.join(diffs)}")
        return 1 if diffs else 0
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **built)
    names = [str(x) for x in built["threshold_names"]]
    values = [float(x) for x in built["threshold_values"]]
    print(f"wrote {args.out}: {len(built['labels'])} labels, out-of-fold accuracy {float(built['oof_accuracy']):.3f}")
    print("thresholds: " + ", ".join(f"{n} {v:.2f}" for n, v in zip(names, values)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
