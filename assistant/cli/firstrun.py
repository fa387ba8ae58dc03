"""``checkin setup``: the first run without editing YAML.

Asks the partners' names and how to say them (spoken back when there is a speaker, with a
respelling if it sounded wrong), the country for the help line, and tests the speaker and
microphone (each skippable; a failure is one line and setup goes on).  The answers go into
``config.yaml`` by :func:`write_config`, which keeps every other key (and, for a block-style
file, every comment) and replaces the file atomically.  Run it again to change anything:
each question offers the current value.

The questions take their I/O as ports (:class:`Ports`), so a test drives them with stdin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from ..formats import safeyaml
from ..formats.errors import CheckinError, one_line
from ..store.files import write_atomically

EMERGENCY = {
    **dict.fromkeys(["US", "CA", "MX"], "911"),
    **dict.fromkeys(["GB"], "999"),
    **dict.fromkeys(["AU"], "000"),
    **dict.fromkeys(["NZ"], "111"),
    **dict.fromkeys(["JP", "KR"], "119"),
    **dict.fromkeys(
        [
            "AT",
            "BE",
            "BG",
            "CH",
            "CY",
            "CZ",
            "DE",
            "DK",
            "EE",
            "ES",
            "FI",
            "FR",
            "GR",
            "HR",
            "HU",
            "IE",
            "IN",
            "IT",
            "LT",
            "LU",
            "LV",
            "MT",
            "NL",
            "NO",
            "PL",
            "PT",
            "RO",
            "SE",
            "SI",
            "SK",
        ],
        "112",
    ),
}
"""Well-known emergency numbers, offered as the default (the couple can change it)."""


@dataclass
class Ports:
    ask: Callable[[str], str]
    """Show a question, return the typed answer (``EOFError`` at the end of input)."""
    tell: Callable[[str], None]
    """Show (and, with a voice, say) a line."""
    speak: Callable[[str], None] | None = None
    """Say a text aloud; None without a speaker."""
    test_speaker: Callable[[], str] | None = None
    """Play a test sentence; a one-line description, or a CheckinError."""
    test_mic: Callable[[], str] | None = None
    """Record a few seconds; a one-line description of the level heard, or a CheckinError."""


_YES = ("y", "yes", "yeah", "yep", "right", "ok", "sure")
_NO = ("n", "no", "nope")


def _yes(answer: str, default: bool = True) -> bool:
    answer = answer.strip().lower()
    return default if not answer else answer in _YES


def _ask(ports: Ports, question: str, current: str | None = None) -> str:
    answer = ports.ask(f"{question}{f' [{current}]' if current else ''}: ").strip()
    return answer or (current or "")


def ask_name(ports: Ports, which: str, current: str | None) -> str:
    for _ in range(3):
        name = " ".join(_ask(ports, f"The {which} partner's name", current).split())
        if name and len(name) <= 40 and "," not in name:
            return name
        ports.tell("A first name is enough (up to 40 letters, no commas).")
    raise CheckinError(f"setup: no usable name for the {which} partner")


def ask_pronunciation(ports: Ports, name: str, current: str | None) -> str | None:
    """How to say ``name``: None when it is said as written, else a respelling."""
    spoken = current or name
    if ports.speak is None:
        answer = _ask(
            ports, f"How is {name} said? Type a respelling (like Shivawn for Siobhan), or Enter for as written", current
        )
        return None if not answer or answer == name else answer
    for _ in range(4):
        ports.speak(spoken)
        answer = ports.ask(f"Did {name} sound right? [Y/n, or type it as it sounds]: ").strip()
        if not answer or answer.lower() in _YES:
            return None if spoken == name else spoken
        if answer.lower() in _NO:
            answer = ports.ask(f"Type {name} as it sounds (like Shivawn for Siobhan): ").strip()
        if answer:
            spoken = answer
    return None if spoken == name else spoken


def find_country(text: str) -> tuple[str, str] | None:
    """(alpha-2 code, name) for a country name or code, via pycountry; None if unknown."""
    import pycountry

    text = text.strip()
    if not text:
        return None
    aliases = {"UK": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB", "USA": "US", "AMERICA": "US"}
    text = aliases.get(text.upper(), text)
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        try:
            country = pycountry.countries.search_fuzzy(text)[0]
        except LookupError:
            return None
    return country.alpha_2, getattr(country, "common_name", None) or country.name


def ask_safety(ports: Ports, current: Mapping[str, Any]) -> dict[str, Any]:
    safety: dict[str, Any] = {k: v for k, v in current.items() if k in ("country", "emergency", "helpline")}
    for _ in range(3):
        found = find_country(_ask(ports, "Your country, for the help line", current.get("country")))
        if found:
            code, name = found
            ports.tell(f"{name} ({code}).")
            if code != current.get("country"):
                safety.pop("emergency", None)
                safety.pop("helpline", None)
            safety["country"] = code
            break
        ports.tell("I don't know that country: try its English name or its two-letter code, like DE or Germany.")
    emergency = _ask(
        ports, "The emergency number there", safety.get("emergency") or EMERGENCY.get(safety.get("country", ""))
    )
    safety["emergency"] = emergency or None
    helpline = _ask(ports, "A support line to mention when things feel heavy (optional)", safety.get("helpline"))
    safety["helpline"] = helpline or None
    return safety


def _device_test(ports: Ports, what: str, question: str, test: Callable[[], str] | None) -> None:
    if test is None:
        ports.tell(f"{what}: skipped (no {what} to test here).")
        return
    if not _yes(ports.ask(f"{question} [Y/n]: ")):
        ports.tell(f"{what}: skipped.")
        return
    try:
        ports.tell(f"{what}: {test()}")
    except CheckinError as exc:
        ports.tell(f"{what}: {one_line(exc)} (setup goes on; `checkin doctor` says how to fix it)")


def run(existing: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
    """Ask everything; the config data with ``partners`` and ``safety`` updated."""
    ports.tell("Welcome to Check-in. A few questions, then you're ready; press Enter to keep what is in [brackets].")
    people = [p if isinstance(p, dict) else {"name": p} for p in existing.get("partners") or []]
    partners: list[Any] = []
    for i, which in enumerate(("first", "second")):
        before = people[i] if i < len(people) else {}
        name = ask_name(ports, which, before.get("name"))
        entry = {k: v for k, v in before.items() if k not in ("name", "say")} if name == before.get("name") else {}
        say = ask_pronunciation(ports, name, before.get("say") if name == before.get("name") else None)
        partner = {"name": name, **({"say": say} if say else {}), **entry}
        partners.append(partner if len(partner) > 1 else name)
    safety = ask_safety(ports, existing.get("safety") or {})
    _device_test(ports, "speaker", "Test the speaker now?", ports.test_speaker)
    _device_test(ports, "microphone", "Test the microphone now (speak for three seconds)?", ports.test_mic)
    return {**existing, "partners": partners, "safety": safety}


# --------------------------------------------------------------------------- writing


def _top_level_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Line spans of each top-level key of a block-style mapping (comments between keys stay out)."""
    starts = [
        (i, line.split(":", 1)[0])
        for i, line in enumerate(lines)
        if line[:1] not in ("", " ", "\t", "#", "-", "\n") and ":" in line
    ]
    spans: dict[str, tuple[int, int]] = {}
    for n, (i, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        while end > i + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        spans[key.strip()] = (i, end)
    return spans


def render_config(original: str, data: Mapping[str, Any], keys: tuple[str, ...] = ("partners", "safety")) -> str:
    """``original`` with ``keys`` set from ``data``: in place for a block-style file (other
    lines and comments untouched), else the whole file dumped."""
    lines = original.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans = _top_level_spans(lines)
    for key in sorted(keys, key=lambda k: -spans.get(k, (len(lines), 0))[0]):
        fragment = yaml.safe_dump(
            {key: data[key]}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        start, end = spans.get(key, (len(lines), len(lines)))
        lines[start:end] = [fragment]
    text = "".join(lines)
    try:
        parsed, _ = safeyaml.compose(text, "config.yaml")
    except safeyaml.YamlError:
        parsed = None
    if parsed != dict(data):
        text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return text


def write_config(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a temporary file in the same folder, fsync, rename),
    keeping its mode."""
    path = path.resolve()
    write_atomically(path, text.encode("utf-8"), path.stat().st_mode & 0o777 if path.exists() else 0o644)
