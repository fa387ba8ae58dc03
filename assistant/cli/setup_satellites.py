"""``checkin setup``'s satellites step: Wyoming satellites found by zeroconf, picked by name.

The browse runs while the other questions are asked (:class:`~assistant.home.discovery.Background`).
Satellites already in config.yaml whose host name is known are looked up again (an
address a router hands out can change); one that cannot be looked up is one line and kept
as it was.  When satellites are found the couple types the names to use (``all``,
``none``, or Enter to keep the current ones); their addresses, names and host names are
written to ``satellites``.  None found, and none configured: one line, nothing asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

from ..formats.errors import CheckinError, one_line
from ..home.discovery import DiscoveryError, Found
from ..home.satellites import SatelliteError, is_address, parse_address
from .firstrun import Ports

NONE_FOUND = "Satellites: no Wyoming satellites found on the network (fine with a microphone on this board)."
AFTER_CHANGE = "On a Pi, run sudo bash scripts/install.sh again so the service may reach exactly these satellites."


def _entries(values: Sequence[Any]) -> list[dict[str, str]]:
    return [dict(v) if isinstance(v, dict) else {"uri": str(v)} for v in values]


def _label(entry: Mapping[str, str]) -> str:
    return f"{entry['name']} ({entry['uri']})" if entry.get("name") else entry["uri"]


def _refresh(entry: dict[str, str], resolve: Callable[[str], str], ports: Ports) -> dict[str, str]:
    """The entry with its host name looked up again (a ``tcp://HOST:PORT`` is one too)."""
    try:
        address = parse_address(entry["uri"], names=True)
    except SatelliteError:
        return entry
    host = entry.get("host") or (None if is_address(address.host) else address.host)
    if not host:
        return entry
    try:
        ip = resolve(host)
    except CheckinError as exc:
        ports.tell(f"Satellites: {one_line(exc)}; {_label(entry)} kept as it was.")
        return entry
    uri = parse_address(f"tcp://{f'[{ip}]' if ':' in ip else ip}:{address.port}").uri
    if uri != entry["uri"]:
        ports.tell(f"Satellites: {host} is now at {uri}.")
    return {**entry, "uri": uri, "host": host}


def pick(answer: str, found: Sequence[Found]) -> list[Found] | str:
    """The satellites ``answer`` names (names separated by commas, ``all`` or ``none``), or
    what is wrong with it as one line."""
    text = answer.strip().casefold()
    if text == "all":
        return list(found)
    if text in ("none", "no"):
        return []
    chosen: list[Found] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = [
            f
            for f in found
            if part
            in (f.name.casefold(), f.announced_as.casefold(), f.host.casefold(), f.host.casefold().split(".")[0])
        ]
        if not match:
            return f"no satellite called {part!r} was found (found: {', '.join(f.name for f in found)})"
        chosen += [f for f in match if f not in chosen]
    return chosen


def satellites_step(
    browse: Callable[[], list[Found]] | None, resolve: Callable[[str], str]
) -> Callable[[Mapping[str, Any], Ports], dict[str, Any]]:
    """The step; ``browse`` None skips looking (``--skip-devices``)."""

    def step(data: Mapping[str, Any], ports: Ports) -> dict[str, Any]:
        before = _entries(data.get("satellites") or [])
        current = [_refresh(entry, resolve, ports) for entry in before]
        if browse is None:
            ports.tell("Satellites: not looked for (--skip-devices).")
            return {"satellites": current} if current != before else {}
        try:
            found = [f for f in browse() if f.offered]
        except DiscoveryError as exc:
            ports.tell(f"Satellites: {one_line(exc)}.")
            found = []
        if not found:
            if not current:
                ports.tell(NONE_FOUND)
                return {}
            ports.tell(f"Satellites: none found on the network now; keeping {', '.join(_label(e) for e in current)}.")
            return {"satellites": current} if current != before else {}
        ports.tell("Wyoming satellites found on the network:")
        in_use = {e["uri"] for e in current}
        for f in found:
            notes = [n for n in (f.detail, "in use" if f.uri in in_use else "") if n]
            ports.tell(
                f"  {f.name}  {f.uri}"
                + (f" ({f.host})" if f.host else "")
                + (f" - {'; '.join(notes)}" if notes else "")
            )
        keep = [f.name for f in found if f.uri in in_use]
        default = ", ".join(keep) if keep else "none"
        for _ in range(3):
            answer = ports.ask(f"Which should Check-in listen and speak through? Names, all or none [{default}]: ")
            chosen = pick(answer or default, found)
            if isinstance(chosen, str):
                ports.tell(f"Satellites: {chosen}.")
                continue
            break
        else:
            raise CheckinError("setup: no usable answer for the satellites")
        found_uris = {f.uri for f in found}
        others = [e for e in current if e["uri"] not in found_uris and not keep_found_by_host(e, found)]
        if others:
            ports.tell(f"Satellites: also kept, not found now: {', '.join(_label(e) for e in others)}.")
        after = others + [f.entry() for f in chosen]
        changed = after != before
        ports.tell(
            f"Satellites: {', '.join(_label(e) for e in after)}." + (f" {AFTER_CHANGE}" if changed else "")
            if after
            else "Satellites: none."
        )
        return {"satellites": after} if changed else {}

    return step


def keep_found_by_host(entry: Mapping[str, str], found: Sequence[Found]) -> bool:
    """A configured satellite that was found again (same host name at a new address)."""
    return bool(entry.get("host")) and any(f.host and f.host == entry.get("host") for f in found)


__all__ = ["NONE_FOUND", "pick", "satellites_step"]
