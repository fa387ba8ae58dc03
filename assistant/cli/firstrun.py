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
from typing import Any, Callable

from ..config import render_config, write_config
from ..formats import advice
from ..formats.errors import CheckinError, one_line

__all__ = ["Ports", "render_config", "run", "write_config"]

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
        ports.tell(advice.text("device_failed", what=what, reason=one_line(exc)))


def names_step(existing: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
    """The two names and how to say them."""
    people = [p if isinstance(p, dict) else {"name": p} for p in existing.get("partners") or []]
    partners: list[Any] = []
    for i, which in enumerate(("first", "second")):
        before = people[i] if i < len(people) else {}
        name = ask_name(ports, which, before.get("name"))
        entry = {k: v for k, v in before.items() if k not in ("name", "say")} if name == before.get("name") else {}
        say = ask_pronunciation(ports, name, before.get("say") if name == before.get("name") else None)
        partner = {"name": name, **({"say": say} if say else {}), **entry}
        partners.append(partner if len(partner) > 1 else name)
    return {"partners": partners}


def safety_step(existing: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
    """The country, its emergency number and a support line."""
    return {"safety": ask_safety(ports, existing.get("safety") or {})}


def devices_step(existing: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
    """The speaker and microphone tests (they change no setting)."""
    _device_test(ports, "speaker", "Test the speaker now?", ports.test_speaker)
    _device_test(ports, "microphone", "Test the microphone now (speak for three seconds)?", ports.test_mic)
    return {}


Step = Callable[[Mapping[str, Any], Ports], dict[str, Any]]
"""One part of setup: the config data so far and the ports in, the top-level keys it sets out."""

STEPS: list[tuple[str, Step]] = [("names", names_step), ("safety", safety_step), ("devices", devices_step)]
"""Setup's steps in order; a new one (a voice, satellites) is one function and one line here."""


def run(existing: Mapping[str, Any], ports: Ports, steps: list[tuple[str, Step]] | None = None) -> dict[str, Any]:
    """Ask everything; the config data with what each step set updated (each step sees
    the answers of the steps before it)."""
    ports.tell("Welcome to Check-in. A few questions, then you're ready; press Enter to keep what is in [brackets].")
    data = dict(existing)
    for _, step in STEPS if steps is None else steps:
        data.update(step(data, ports))
    return data


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """The top-level keys setup set (to write them, and nothing else)."""
    return tuple(k for k in after if k not in before or before[k] != after[k])
