"""What the next check-in remembers of the earlier ones: computed, purely, from the journal's
records and what the dialogs declare under ``remember:``.

Every memory is a variable the dialogs can read (a mapping ``last_plan`` becomes
``last_plan_activity``, ``last_plan_when``...).  Always there:

- ``sessions_this_month``, ``sessions_total``: counts of check-ins that did an exercise
  (a stopped or empty session does not count);
- ``safe_space_due``, ``weekly_offer_due``: variety and restraint (:mod:`assistant.engine.variety`);
- ``last_quieter``: who spoke much less at the last check-in (invited first this time);
- for a remembered entry with a ``past`` date (a plan): ``<name>_key`` and ``<name>_recall_due``
  (recalled once, then on its day);
- ``recent_exercises``: exercises of the last three check-ins (a surprise prefers others);
- ``used_questions``: every deck question already asked (decks never repeat one);
- ``last_<exercise>``: the last complete entry of every exercise (``last_curious_about_hobby``).

Declared by a dialog (``remember:`` maps a name to one rule):

    remember:
      last_plan:                       # the newest entry matching `latest`, its `fields`
        latest: {confirmed: true}
        fields: [activity, date, time, when]
        past: date                     # adds last_plan_past: that day is before today
        until: {exercise: date-followup, same: activity, unless: {happened: not yet}}
      weekly:                          # how long since this dialog was last done
        every_days: 7                  # weekly_due, days_since_weekly
      opener:                          # one of these ids, not the one of the last night
        pick: [warm, welcome, hello]   # (records' lines.opener), least recently said first

Memory belongs to a couple: :func:`of_couple` keeps only the evenings of the same two
partners (in either order, whatever the case), so one couple's evenings are never recalled,
counted or varied against for another (the placeholder couple of a first try stays its own).

The journal stores records and returns them; nothing here reads a clock or a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import variety

if TYPE_CHECKING:
    from .model import DialogSet

RECENT_SESSIONS = 3

_scalar = {"type": ["string", "number", "boolean", "null"]}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "latest": {"type": "object", "additionalProperties": _scalar},
                    "fields": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "past": {"type": "string"},
                    "until": {
                        "type": "object",
                        "properties": {
                            "exercise": {"type": "string"},
                            "same": {"type": "string"},
                            "unless": {"type": "object", "additionalProperties": _scalar},
                        },
                        "required": ["exercise", "same"],
                        "additionalProperties": False,
                    },
                },
                "required": ["latest", "fields"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"every_days": {"type": "integer", "minimum": 1}},
                "required": ["every_days"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "pick": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "minItems": 1,
                        "uniqueItems": True,
                    }
                },
                "required": ["pick"],
                "additionalProperties": False,
            },
        ]
    },
}
"""The JSON Schema of a dialog's ``remember:``."""


def couple_key(partners: Sequence[str]) -> tuple[str, ...]:
    """Who a couple is: the two names, case and order aside."""
    return tuple(sorted(" ".join(str(name).split()).casefold() for name in partners))


def of_couple(records: Sequence[Mapping[str, Any]], partners: Sequence[str]) -> list[Mapping[str, Any]]:
    """The ``records`` of the couple ``partners`` (records carry their partners; one
    without them belongs to nobody's memory)."""
    key = couple_key(partners)
    return [r for r in records if isinstance(r.get("partners"), list) and couple_key(r["partners"]) == key]


def check(record: Mapping[str, Any] | None, remember: Mapping[str, Any]) -> list[tuple[list[Any], str]]:
    """Problems of one dialog's ``remember:`` (path below it, message): fields it does not record."""
    keys = set(record or {})
    problems: list[tuple[list[Any], str]] = []
    for name, rule in remember.items():
        for i, field in enumerate(rule.get("fields") or []):
            if field not in keys:
                problems.append(([name, "fields", i], f"'{field}' is not a field of this dialog's record"))
        if rule.get("past") and rule["past"] not in (rule.get("fields") or []):
            problems.append(([name, "past"], f"'{rule['past']}' is not one of the remembered fields"))
    return problems


def _key(exercise: str) -> str:
    return "last_" + exercise.replace("-", "_")


def _matches(entry: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    return all(entry.get(k) == v for k, v in values.items())


def variables(program: DialogSet) -> dict[str, bool]:
    """Every template variable memory may provide -> True (any of them may be missing)."""
    names = {
        "sessions_this_month",
        "sessions_total",
        "recent_exercises",
        "used_questions",
        "whys_said",
        "safe_space_due",
        "weekly_offer_due",
        "last_quieter",
        "resume_exercise",
        "resume_title",
    }
    for dialog in program.dialogs.values():
        if dialog.record:
            names |= {f"{_key(str(dialog.record['exercise']))}_{k}" for k in dialog.record}
        for name, rule in (dialog.spec.get("remember") or {}).items():
            if "every_days" in rule:
                names |= {f"days_since_{name}", f"{name}_due"}
            elif "pick" in rule:
                names.add(name)
            else:
                names |= {f"{name}_{f}" for f in rule["fields"]} | ({f"{name}_past"} if rule.get("past") else set())
                names |= {f"{name}_key", f"{name}_recall_due"} if rule.get("past") else set()
    return dict.fromkeys(names, True)


def _latest(
    name: str, rule: Mapping[str, Any], exercise: str, entries: Sequence[Mapping[str, Any]], now: datetime
) -> dict[str, Any] | None:
    until = rule.get("until")
    forgotten: set[Any] = set()
    if until:
        unless = until.get("unless")  # without one, any follow-up forgets it
        forgotten = {
            e.get(until["same"])
            for e in entries
            if e.get("exercise") == until["exercise"] and not (unless and _matches(e, unless))
        }
    for entry in reversed(entries):
        if entry.get("exercise") == exercise and _matches(entry, rule["latest"]):
            if until and entry.get(until["same"]) in forgotten:
                return None
            out = {f: entry.get(f) for f in rule["fields"]}
            if rule.get("past"):
                day = entry.get(rule["past"])
                out["past"] = bool(day) and str(day) < now.date().isoformat()
            return out
    return None


def _since(
    dialog_id: str, rule: Mapping[str, Any], records: Sequence[Mapping[str, Any]], now: datetime
) -> tuple[int | None, bool]:
    times = [r["started_at"] for r in records if dialog_id in (r.get("done") or [])]
    days = (now - datetime.fromisoformat(times[-1])).days if times else None
    return days, days is None or days >= int(rule["every_days"])


def compute(records: Sequence[Mapping[str, Any]], program: DialogSet, now: datetime) -> dict[str, Any]:
    """What the next session may recall, from the journal's ``records`` (oldest first)."""
    memory: dict[str, Any] = {}
    entries = [e for rec in records for e in rec.get("exercises", [])]
    for dialog in program.dialogs.values():
        exercise = str((dialog.record or {}).get("exercise", dialog.id))
        for name, rule in (dialog.spec.get("remember") or {}).items():
            if "every_days" in rule:
                memory[f"days_since_{name}"], memory[f"{name}_due"] = _since(dialog.id, rule, records, now)
            elif "pick" in rule:
                memory[name] = _pick(name, rule, records, now)
            else:
                found = _latest(name, rule, exercise, entries, now)
                if found is not None and rule.get("past"):  # a dated plan: recalled once, then on its day
                    found = {
                        **found,
                        "key": variety.plan_key(found),
                        "recall_due": variety.plan_recall_due(records, found, now.date()),
                    }
                if found is not None:
                    memory[name] = found
    for entry in entries:
        if entry.get("exercise") and entry.get("complete", True):
            memory[_key(str(entry["exercise"]))] = {k: v for k, v in entry.items() if not isinstance(v, (dict, list))}
    memory["used_questions"] = [e["question"] for e in entries if e.get("question")]
    memory["whys_said"] = sorted({str(w) for rec in records for w in (rec.get("whys") or []) if isinstance(w, str)})
    recent = [
        e.get("exercise") for rec in records[-RECENT_SESSIONS:] for e in rec.get("exercises", []) if e.get("exercise")
    ]
    memory["recent_exercises"] = sorted(set(recent))
    did_an_exercise = _counts(program)
    counted = [r for r in records if did_an_exercise(r)]
    month = now.strftime("%Y-%m")
    memory["sessions_this_month"] = sum(1 for r in counted if str(r.get("started_at", "")).startswith(month))
    memory["sessions_total"] = len(counted)
    quieter = _last_quieter(counted)
    if quieter:
        memory["last_quieter"] = quieter
    memory["safe_space_due"] = variety.safe_space_due(
        records, now.date(), did_an_exercise
    )  # one rule for "a night counts"
    memory["weekly_offer_due"] = variety.weekly_offer_due(records, now.date())
    resume = _resume(records, program, now)
    if resume:
        memory["resume"] = resume
    return memory


RESUME_HOURS = 6
"""A break taken when someone was flooded is picked up by a check-in within this many hours, the same day."""


def _resume(records: Sequence[Mapping[str, Any]], program: DialogSet, now: datetime) -> dict[str, Any] | None:
    """After a break (the last check-in ended with ``break``): the exercise to pick up tonight."""
    if not records:
        return None
    last = records[-1]
    taken = last.get("break")
    if not isinstance(taken, Mapping):
        return None
    try:
        started = datetime.fromisoformat(str(last.get("started_at")))
    except ValueError:
        return None
    exercise = str(taken.get("exercise") or "")
    if started.date() != now.date() or (now - started).total_seconds() > RESUME_HOURS * 3600:
        return None
    dialog = program.dialogs.get(exercise)
    if dialog is None or dialog.kind != "exercise":
        return {"exercise": "", "title": ""}
    return {"exercise": dialog.id, "title": dialog.title}


def _last_quieter(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Who spoke much less at the last check-in (invited first next time), if anyone."""
    from ..engine.render import balance

    if not records:
        return None
    speaking = records[-1].get("speaking_seconds")
    partners = records[-1].get("partners")
    if not isinstance(speaking, Mapping) or not isinstance(partners, list) or len(partners) != 2:
        return None
    try:
        lean = balance({str(k): float(v) for k, v in speaking.items()}, (str(partners[0]), str(partners[1])))
    except (TypeError, ValueError):
        return None
    return str(lean["quieter"]) if lean["lopsided"] else None


def _counts(program: DialogSet) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a check-in counts: it finished an exercise of the menu (the weekly one's are
    too).  One rule for the month's count, the total and variety's first nights."""
    exercises = program.exercises()
    menu = {d.id for d in exercises} | {str((d.record or {}).get("exercise", d.id)) for d in exercises}

    def did_an_exercise(record: Mapping[str, Any]) -> bool:
        done = record.get("done")
        entries = [e for e in record.get("exercises") or [] if isinstance(e, Mapping)]
        return bool(set(done if isinstance(done, list) else []) & menu) or any(
            e.get("exercise") in menu and e.get("complete", True) for e in entries
        )

    return did_an_exercise


def _pick(name: str, rule: Mapping[str, Any], records: Sequence[Mapping[str, Any]], now: datetime) -> str:
    """One of ``rule['pick']``, by :func:`assistant.engine.variety.pick_line` over the records' ``lines.<name>``."""
    return variety.pick_for(records, name, list(rule["pick"]), now.date())


__all__ = ["SCHEMA", "compute", "variables"]
