"""Spoken days and times to values: "next friday", "tomorrow", "seven thirty", "in the evening".

Number words go through text2num (``alpha2digit``) and day phrases through dateparser,
relative to a ``now`` passed in (never read from a clock here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .matching import normalise

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_PERIODS = {
    "morning": time(9, 0),
    "noon": time(12, 0),
    "lunch": time(12, 30),
    "lunchtime": time(12, 30),
    "afternoon": time(15, 0),
    "evening": time(19, 0),
    "night": time(20, 0),
    "tonight": time(19, 0),
    "midnight": time(0, 0),
}

_DAY_RE = re.compile(
    r"\b(?:(?:the )?day after tomorrow|today|tonight|tomorrow|"
    r"(?:(?:this|next|on|coming) )?(?:this )?(?:"
    + "|".join(_WEEKDAYS)
    + r")s?(?: (?:night|evening|morning|afternoon))?|"
    r"in (?:\d+|a) (?:days?|weeks?)|next week(?:end)?|this weekend|the weekend|"
    r"(?:(?:on )?(?:the )?\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:" + "|".join(_MONTHS) + r"))|"
    r"(?:(?:on )?(?:" + "|".join(_MONTHS) + r") (?:the )?\d{1,2}(?:st|nd|rd|th)?))\b"
)
_TIME_RE = re.compile(
    r"\b(?:at |around |about |by )?(?:"
    r"(?:half past|quarter past|quarter to) \d{1,2}|"
    r"\d{1,2}(?::| )\d{2}(?: ?(?:am|pm|a m|p m))?|"
    r"\d{1,2}(?: oclock)?(?: ?(?:am|pm|a m|p m))?(?= |$)|"
    r"noon|midday|midnight"
    r")(?: (?:in the )?(?:morning|afternoon|evening|at night|tonight))?\b"
)
_PERIOD_RE = re.compile(
    r"\b(?:(?:in the|this|tomorrow|at|for) (morning|afternoon|evening|night|lunchtime|lunch)|(tonight|lunchtime))\b"
)


def _digits(text: str) -> str:
    """Number words to digits ('seven thirty' -> '7 30', 'third' -> '3rd')."""
    from text_to_num import alpha2digit

    text = normalise(text)
    text = re.sub(r"\b(" + "|".join(_ORDINALS) + r")\b", lambda m: f"{_ORDINALS[m.group(1)]}th", text)
    text = re.sub(r"\bin (a|an) (day|week)s?\b", r"in 1 \2", text)
    text = re.sub(r"\bo ?clock\b", "oclock", text.replace("o'clock", "oclock"))
    converted = alpha2digit(text, "en", threshold=0)
    return re.sub(r"(\d)(st|nd|rd|th)\b", r"\1th", converted)


@dataclass(frozen=True)
class Found:
    """A date and/or time found in an utterance, and what is left of it."""

    date: date | None
    time: time | None
    rest: str


def parse_date(text: str, now: datetime) -> date | None:
    """The first day phrase in ``text`` resolved against ``now``, always today or later."""
    return extract(text, now).date


def parse_time(text: str) -> time | None:
    return extract(text, datetime(2000, 1, 1)).time


def _resolve_day(phrase: str, now: datetime) -> date | None:
    p = phrase.replace("on ", "").replace("coming ", "").strip()
    p = re.sub(r" (night|evening|morning|afternoon)$", "", p)
    p = re.sub(r"s$", "", p) if p.rstrip("s") in _WEEKDAYS else p
    today = now.date()
    if p in ("today", "tonight"):
        return today
    if "day after tomorrow" in p:
        return today + timedelta(days=2)
    if p == "this weekend" or p == "the weekend":
        return today + timedelta(days=(5 - today.weekday()) % 7)
    if p == "next weekend":
        return today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    if p == "next week":
        return today + timedelta(days=7 - today.weekday())
    import dateparser

    settings = {"RELATIVE_BASE": now, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
    found = dateparser.parse(p, languages=["en"], settings=settings)
    if found is None:
        return None
    day = found.date()
    if day < today:  # "the 3rd of march" said in november means next year
        try:
            day = day.replace(year=day.year + 1)
        except ValueError:
            return None
    return day


def _resolve_time(phrase: str, day_hint: str) -> time | None:
    p = phrase
    for lead in ("at ", "around ", "about ", "by "):
        if p.startswith(lead):
            p = p[len(lead) :]
    if p in ("noon", "midday"):
        return time(12, 0)
    if p == "midnight":
        return time(0, 0)
    minute = 0
    m = re.match(r"(half past|quarter past|quarter to) (\d{1,2})", p)
    if m:
        hour = int(m.group(2))
        if m.group(1) == "half past":
            minute = 30
        elif m.group(1) == "quarter past":
            minute = 15
        else:
            hour, minute = hour - 1, 45
    else:
        m = re.match(r"(\d{1,2})(?:(?::| )(\d{2}))?", p)
        if not m:
            return None
        hour = int(m.group(1))
        minute = int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    context = p + " " + day_hint
    morning = re.search(r"\b(am|a m|morning)\b", context)
    evening = re.search(r"\b(pm|p m|afternoon|evening|night|tonight)\b", context)
    if 1 <= hour <= 11 and (evening or not morning):
        # An unmarked hour from 1 to 11 is afternoon or evening: couples plan dates, not alarms.
        if evening or hour <= 11:
            hour += 12 if not morning else 0
    if hour == 12 and morning:
        hour = 0
    return time(hour % 24, minute)


def extract(text: str, now: datetime) -> Found:
    """Find a day and a time in ``text``; ``rest`` is the text without them."""
    t = _digits(text)
    day = None
    day_m = _DAY_RE.search(t)
    if day_m:
        day = _resolve_day(day_m.group(0), now)
        if day is not None:
            t = (t[: day_m.start()] + " " + t[day_m.end() :]).strip()
    hint = day_m.group(0) if day_m else ""
    at = None
    time_m = _TIME_RE.search(t)
    if time_m:
        at = _resolve_time(time_m.group(0), hint)
        if at is not None:
            t = (t[: time_m.start()] + " " + t[time_m.end() :]).strip()
    if at is None:
        period = _PERIOD_RE.search(t)
        if period:
            at = _PERIODS[period.group(1) or period.group(2)]
            t = (t[: period.start()] + " " + t[period.end() :]).strip()
        else:
            day_part = re.search(r"\b(morning|afternoon|evening|night|tonight)$", hint)  # "saturday night"
            at = _PERIODS[day_part.group(1)] if day_part else None
    if day is None and re.search(r"\btonight\b", normalise(text)):
        day = now.date()
    rest = re.sub(r"\s+", " ", re.sub(r"\b(on|at|for|this|next)\s*$", "", t)).strip()
    return Found(day, at, rest)


def spoken_date(day: date, now: datetime | None) -> str:
    """'tomorrow, Thursday November 26' / 'Saturday, November 28' (no 'tomorrow' without ``now``)."""
    label = f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}"
    if now is None:
        return label
    delta = (day - now.date()).days
    if delta == 0:
        return f"today, {label}"
    if delta == 1:
        return f"tomorrow, {label}"
    return label


def spoken_time(at: time | None) -> str:
    if at is None:
        return ""
    hour = at.hour % 12 or 12
    suffix = "in the morning" if at.hour < 12 else ("in the afternoon" if at.hour < 17 else "in the evening")
    if at.hour == 12 and at.minute == 0:
        return "noon"
    return f"{hour}:{at.minute:02d} {suffix}" if at.minute else f"{hour} {suffix}"


# --------------------------------------------------------------------------- grammars for recognisers

_HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def day_phrases() -> list[str]:
    """Spoken days a recogniser may be constrained to when a day is asked for."""
    out = [
        "today",
        "tonight",
        "tomorrow",
        "tomorrow night",
        "tomorrow evening",
        "the day after tomorrow",
        "this weekend",
        "next weekend",
        "next week",
    ]
    for day in _WEEKDAYS:
        out += [
            day,
            f"on {day}",
            f"this {day}",
            f"next {day}",
            f"{day} night",
            f"{day} evening",
            f"{day} morning",
            f"{day} afternoon",
        ]
    return out


def time_phrases() -> list[str]:
    """Spoken times of day for a recogniser grammar."""
    out = [
        "noon",
        "at noon",
        "midday",
        "midnight",
        "in the morning",
        "in the afternoon",
        "in the evening",
        "at night",
        "at lunchtime",
        "lunchtime",
    ]
    for h in _HOURS:
        for base in (
            h,
            f"{h} o'clock",
            f"{h} thirty",
            f"{h} fifteen",
            f"{h} forty five",
            f"half past {h}",
            f"quarter past {h}",
            f"quarter to {h}",
        ):
            out += [base, f"at {base}", f"{base} in the evening", f"{base} in the morning"]
        out += [f"{h} p m", f"{h} a m", f"{h} thirty p m"]
    return out


def day_time_phrases() -> list[str]:
    """Days, and days with a simple time ("saturday at seven thirty"), for a day question."""
    out = day_phrases()
    for day in ("today", "tonight", "tomorrow", *_WEEKDAYS):
        for h in _HOURS:
            out += [f"{day} at {h}", f"{day} at {h} thirty"]
    return out


# --------------------------------------------------------------------------- times that follow people

_MARKED_AM = re.compile(r"\b(?:am|a m|morning)\b")
_MARKED_PM = re.compile(r"\b(?:pm|p m|afternoon|evening|night|tonight)\b")
_DAYPART_AT_END = re.compile(r"\b(morning|afternoon|evening|night|tonight)$")
_DAYPART_RE = re.compile(
    r"\b(?:(?:in the|this|at|for) (morning|afternoon|evening|night|lunchtime)|(tonight|lunchtime))\b"
)


@dataclass(frozen=True)
class When:
    """A day and/or time read from an answer, without inventing what was not said."""

    day: date | None
    time: time | None
    daypart: str | None
    """morning, afternoon, evening, night, tonight or lunchtime, when said."""
    needs_hour: bool
    """A daypart was said without an hour ("Sunday morning"): ask the hour rather than invent one."""
    rest: str
    """The answer without the day and time ("brunch")."""


def _clock(phrase: str) -> tuple[int, int, str | None] | None:
    """'half past 7 in the evening' -> (7, 30, 'pm'); the hour as said (0-23), minutes, marker."""
    p = re.sub(r"^(?:at|around|about|by) ", "", phrase)
    if p in ("noon", "midday"):
        return 12, 0, "pm"
    if p == "midnight":
        return 0, 0, "am"
    marker = "am" if _MARKED_AM.search(p) else ("pm" if _MARKED_PM.search(p) else None)
    m = re.match(r"(half past|quarter past|quarter to) (\d{1,2})", p)
    if m:
        hour = int(m.group(2))
        minute = {"half past": 30, "quarter past": 15, "quarter to": 45}[m.group(1)]
        return (hour - 1 if m.group(1) == "quarter to" else hour), minute, marker
    m = re.match(r"(\d{1,2})(?:(?::| )(\d{2}))?", p)
    if not m or int(m.group(1)) > 23 or int(m.group(2) or 0) > 59:
        return None
    return int(m.group(1)), int(m.group(2) or 0), marker


def _in_window(hour: int, marker: str | None, window: tuple[int, int]) -> int:
    """The 24-hour reading of a spoken hour: as marked (am/pm), else the one inside ``window``."""
    if hour == 0 or hour > 12:
        return hour % 24
    if marker == "am":
        return hour % 12
    if marker == "pm":
        return hour % 12 + 12
    lo, hi = window
    candidates = (hour % 12, hour % 12 + 12)
    return min(candidates, key=lambda h: (0 if lo <= h <= hi else min(abs(h - lo), abs(h - hi)), -h))


def resolve_when(
    text: str,
    now: datetime | None,
    activity: str | None = None,
    *,
    dayparts: Mapping[str, tuple[int, int]],
    activities: Mapping[str, tuple[int, int]],
    default: tuple[int, int] = (12, 23),
) -> When:
    """A day and time read the way people mean them: "brunch at eleven" is 11:00 and "dinner
    at eight" 20:00 (an hour is placed in the daypart said, else in the activity's usual hours,
    given or named in ``text``, else in ``default``); "Sunday morning" is a day and a daypart
    with no hour (``needs_hour``).  ``now`` resolves days; without it days are left unresolved."""
    t = _digits(text)
    day, daypart = None, None
    day_m = _DAY_RE.search(t)
    if day_m:
        phrase = day_m.group(0)
        day = _resolve_day(phrase, now) if now is not None else None
        part = _DAYPART_AT_END.search(phrase)
        daypart = part.group(1) if part else ("tonight" if phrase == "tonight" else None)
        t = (t[: day_m.start()] + " " + t[day_m.end() :]).strip()
    clock = None
    time_m = _TIME_RE.search(t)
    if time_m:
        clock = _clock(time_m.group(0))
        if clock is not None:
            t = (t[: time_m.start()] + " " + t[time_m.end() :]).strip()
    part_m = _DAYPART_RE.search(t)
    if part_m:
        daypart = daypart or part_m.group(1) or part_m.group(2)
        t = (t[: part_m.start()] + " " + t[part_m.end() :]).strip()
    if daypart is None and clock is not None and clock[2] is None and time_m is not None:
        part = _DAYPART_AT_END.search(time_m.group(0))
        daypart = part.group(1) if part else None
    named = activity or next((w for w in normalise(text).split() if w in activities), None)
    window = dayparts.get(daypart or "") or (activities.get(named.lower()) if named else None) or default
    at = time(_in_window(clock[0], clock[2], window), clock[1]) if clock is not None else None
    rest = re.sub(r"\s+", " ", re.sub(r"\b(?:on|at|for|this|next|in the)\s*$", "", t)).strip()
    return When(day, at, daypart, at is None and daypart is not None, rest)
