"""Understanding figures per label: a labelled set of utterances (``label<TAB>text``) read by the
meaning layer at the question each label belongs to, and counted against what the label means.

Used on the tuning corpus (tests/data/understanding_tuning.tsv, while tuning) and, once, on the
held-out set (tests/data/heldout/understanding_v1.tsv): for the held-out set only per-label
figures are printed, never a row (``scripts/bench_understanding.py``, ``checkin bench``).

What counts as read correctly, per label (the issue's targets in brackets):
- danger_self, danger_partner_violence, danger_threat_control, danger_others: ``distress``, at
  an open question (>= 97% each); everyday: anything but ``distress`` (false alarms <= 4%).
- touch_withdraw: ``withdraw`` (or ``distress``, which ends the touch too) during touch (>= 95%);
  touch_continue: ``affirm`` during touch.
- consent_yes: ``affirm``; consent_no: ``deny`` or ``decline``; hedge: ``unsure`` or
  ``dont_know`` (>= 95%), at a yes/no question.
- content_free: never kept as content at an open question (``is_content`` false; none kept);
  also counted: read as ``content_free`` exactly.
- question_TOPIC: ``ask_coach`` with that topic (on point >= 90%).
- contempt, sarcasm: ``contempt`` (contempt read >= 80%); criticism, defensiveness: the tone
  ``criticism``, ``defensive``; grief: ``grief`` set (loss or hopeless); hopelessness: ``grief``
  ``hopeless``, or ``distress`` (a pause is a safe reading of hopelessness; counted apart too).
- content: kept as content at an open question (the reader must not swallow real answers).
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..text.meaning import Ask, Meaning, interpret
from ..text.meaning.tables import Tables

DANGER = ("danger_self", "danger_partner_violence", "danger_threat_control", "danger_others")
TOPICS = {f"question_{t}": t for t in ("recording", "privacy", "therapist", "sides", "purpose")}
NOW = datetime(2026, 11, 25, 20, 0)

_Check = Callable[[Meaning], bool]

KIND: dict[str, str] = {
    **{label: "text" for label in DANGER},
    "everyday": "text",
    "touch_continue": "touch",
    "touch_withdraw": "touch",
    "consent_yes": "yes_no",
    "consent_no": "yes_no",
    "hedge": "yes_no",
    "content_free": "paraphrase",
    **{label: "text" for label in TOPICS},
    "contempt": "text",
    "sarcasm": "text",
    "criticism": "text",
    "defensiveness": "text",
    "grief": "text",
    "hopelessness": "text",
    "content": "text",
}
"""The question each label is read at."""


def _on_point(topic: str) -> _Check:
    return lambda m: m.act == "ask_coach" and m.topic == topic


CHECK: dict[str, _Check] = {
    **{label: (lambda m: m.act == "distress") for label in DANGER},
    "everyday": lambda m: m.act != "distress",
    "touch_continue": lambda m: m.act == "affirm",
    "touch_withdraw": lambda m: m.act in ("withdraw", "distress"),
    "consent_yes": lambda m: m.act == "affirm",
    "consent_no": lambda m: m.act in ("deny", "decline"),
    "hedge": lambda m: m.act in ("unsure", "dont_know"),
    "content_free": lambda m: not m.is_content,
    **{label: _on_point(topic) for label, topic in TOPICS.items()},
    "contempt": lambda m: m.act == "contempt",
    "sarcasm": lambda m: m.act == "contempt",
    "criticism": lambda m: m.tone == "criticism",
    "defensiveness": lambda m: m.tone == "defensive",
    "grief": lambda m: m.grief is not None,
    "hopelessness": lambda m: m.grief == "hopeless" or m.act == "distress",
    "content": lambda m: m.is_content,
}
"""What "read correctly" means for each label."""

TARGETS: dict[str, float] = {
    **{label: 0.97 for label in DANGER},
    "touch_withdraw": 0.95,
    "hedge": 0.95,
    **{label: 0.90 for label in TOPICS},
    "contempt": 0.80,
}
"""The issue's targets (everyday: false alarms <= 4%; content_free: none kept)."""


def read_tsv(path: str | Path) -> list[tuple[str, str]]:
    """``(label, text)`` rows of a ``label<TAB>text`` file; a ``label<TAB>text`` header, blank
    lines and ``#`` comments are skipped; columns after the second are ignored."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or (parts[0].strip().lower(), parts[1].strip().lower()) == ("label", "text"):
            continue
        rows.append((parts[0].strip(), parts[1].strip()))
    return rows


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass
class LabelFigures:
    label: str
    n: int = 0
    ok: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else 0.0


@dataclass
class Figures:
    labels: dict[str, LabelFigures]
    unknown_labels: int
    per_answer_ms: list[float]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, f in sorted(self.labels.items()):
            out[name] = {"n": f.n, "ok": f.ok, "rate": round(f.rate, 4), **f.extra}
            if name in TARGETS:
                out[name]["target"] = TARGETS[name]
        return {
            "labels": out,
            "unknown_labels": self.unknown_labels,
            "median_ms_per_answer": round(statistics.median(self.per_answer_ms), 3) if self.per_answer_ms else None,
        }


def evaluate(rows: Iterable[tuple[str, str]], tables: Tables, read: Callable[..., Meaning] = interpret) -> Figures:
    """Read every row at its label's question; count per label (no row is kept or shown)."""
    labels: dict[str, LabelFigures] = {}
    unknown = 0
    times: list[float] = []
    for label, text in rows:
        if label not in KIND:
            unknown += 1
            continue
        ask = Ask(KIND[label], now=NOW)
        start = time.perf_counter()
        meaning = read(text, ask, tables)
        times.append((time.perf_counter() - start) * 1000)
        fig = labels.setdefault(label, LabelFigures(label))
        fig.n += 1
        fig.ok += bool(CHECK[label](meaning))
        if label == "content_free" and meaning.act == "content_free":
            fig.extra["read_as_content_free"] = fig.extra.get("read_as_content_free", 0) + 1
        if label == "hopelessness" and meaning.act == "distress":
            fig.extra["paused_for_safety"] = fig.extra.get("paused_for_safety", 0) + 1
        if label in DANGER or label == "everyday":
            by = meaning.decided_by if meaning.act == "distress" else "none"
            key = f"distress_by_{by or 'rules'}"
            fig.extra[key] = fig.extra.get(key, 0) + 1
    return Figures(labels, unknown, times)


def table(figures: Figures) -> list[str]:
    """Per-label lines: label, n, read correctly, rate, target (never a row)."""
    out = [f"{'label':26} {'n':>5} {'ok':>5} {'rate':>7}  target"]
    for name, f in sorted(figures.labels.items()):
        target = TARGETS.get(name)
        if name == "everyday":
            note = f"false alarms {f.n - f.ok}/{f.n} = {(f.n - f.ok) / f.n:.1%} (target <= 4%)" if f.n else ""
        elif name == "content_free":
            note = f"kept as content {f.n - f.ok} (target: none)"
        else:
            note = f">= {target:.0%}" if target else ""
        extra = " ".join(f"{k}={v}" for k, v in sorted(f.extra.items()))
        out.append(f"{name:26} {f.n:5d} {f.ok:5d} {f.rate:7.1%}  {note}  {extra}".rstrip())
    if figures.unknown_labels:
        out.append(f"({figures.unknown_labels} rows with a label this bench does not know were skipped)")
    return out


def summary(figures: Figures) -> Mapping[str, Any]:
    """The headline: each danger recall, false alarms, withdrawal, hedges, content-free kept,
    questions on point (all topics together), contempt read."""
    f = figures.labels

    def rate(*names: str) -> float | None:
        n = sum(f[x].n for x in names if x in f)
        return round(sum(f[x].ok for x in names if x in f) / n, 4) if n else None

    everyday = f.get("everyday")
    return {
        **{f"recall_{x}": rate(x) for x in DANGER},
        "false_alarms_everyday": round(1 - everyday.rate, 4) if everyday and everyday.n else None,
        "withdrawal_during_touch": rate("touch_withdraw"),
        "hedges": rate("hedge"),
        "content_free_kept": (f["content_free"].n - f["content_free"].ok) if "content_free" in f else None,
        "questions_on_point": rate(*TOPICS),
        "contempt_read": rate("contempt"),
    }


def per_label_rows(rows: Sequence[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label, _ in rows:
        counts[label] = counts.get(label, 0) + 1
    return counts
