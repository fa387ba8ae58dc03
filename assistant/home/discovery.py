"""Wyoming satellites found on the home network by zeroconf (``_wyoming._tcp.local.``).

Every ``wyoming-satellite`` announces itself by multicast DNS.  :func:`browse` listens for a
few seconds (the ``zeroconf`` package, pure Python), asks each service found to describe
itself (a ``describe`` does not take a satellite over) and returns them by name, so the
couple picks satellites by name in ``checkin setup``; ``checkin devices`` lists them.  Both
run as the user: the service (``checkin run`` under systemd) does no discovery and reaches
only the addresses written to config.yaml (``IPAddressDeny=any`` with a drop-in that
``scripts/install.sh`` writes for exactly those).

``CHECKIN_ZEROCONF_INTERFACES`` (comma-separated addresses, e.g. ``127.0.0.1``) limits the
interfaces browsed; the tests set it to loopback, so no test sends anything to the network.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..formats import advice
from ..formats.errors import Fault, one_line

SERVICE = "_wyoming._tcp.local."
BROWSE_S = 3.0
"""How long setup and devices listen for announcements."""
INTERFACES_ENV = "CHECKIN_ZEROCONF_INTERFACES"


class DiscoveryError(Fault):
    """Zeroconf could not browse here, or a host name could not be looked up (one line)."""


@dataclass(frozen=True)
class Found:
    """A Wyoming service that announced itself."""

    name: str
    """The name it announces (``kitchen`` of ``kitchen._wyoming._tcp.local.``), or, for a
    satellite that described itself, the satellite's own name."""
    host: str
    """Its host name (``kitchen-sat.local``), empty when it gave none."""
    address: str
    port: int
    kind: str = "satellite"
    """``satellite``, ``unknown`` (it did not describe itself) or what else it is (``asr``, ``tts``...)."""
    detail: str = ""
    """What describe said (an area, or why it did not answer)."""
    announced_as: str = ""
    """The name it announced (``kitchen`` of ``kitchen._wyoming._tcp.local.``)."""

    @property
    def uri(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"tcp://{host}:{self.port}"

    @property
    def offered(self) -> bool:
        """A satellite, or a service that did not say it is something else."""
        return self.kind in ("satellite", "unknown")

    def entry(self) -> dict[str, str]:
        """How config.yaml keeps it: ``{name, uri, host}``."""
        return {"name": self.name, "uri": self.uri, **({"host": self.host} if self.host else {})}


def interfaces_from_env() -> list[str] | None:
    value = os.environ.get(INTERFACES_ENV, "").strip()
    return [part.strip() for part in value.split(",") if part.strip()] or None


def _instance(name: str) -> str:
    """``kitchen`` of ``kitchen._wyoming._tcp.local.`` (zeroconf escapes nothing here)."""
    return name[: -len(SERVICE) - 1] if name.endswith("." + SERVICE) else name


def _best_address(addresses: Sequence[str]) -> str | None:
    """An IPv4 address first (satellites listen on 0.0.0.0), else an IPv6 one that is not link-local."""
    ips = []
    for text in addresses:
        try:
            ips.append(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            continue
    for ip in sorted(ips, key=lambda ip: (ip.version, ip.is_link_local)):
        if not (ip.version == 6 and ip.is_link_local):
            return str(ip)
    return None


def announced(seconds: float = BROWSE_S, interfaces: Sequence[str] | None = None) -> list[Found]:
    """Every ``_wyoming._tcp`` service announced within ``seconds`` (unsorted, not described)."""
    try:
        from zeroconf import IPVersion, ServiceBrowser, ServiceListener, Zeroconf
    except ImportError:
        raise DiscoveryError(f"zeroconf is not installed: {advice.text('fix_zeroconf')}") from None
    chosen = list(interfaces) if interfaces else interfaces_from_env()
    try:
        if chosen:
            v6 = any(":" in i for i in chosen)
            zc = Zeroconf(interfaces=chosen, ip_version=IPVersion.All if v6 else IPVersion.V4Only)
        else:
            zc = Zeroconf()
    except OSError as exc:
        raise DiscoveryError(f"cannot look for satellites on the network: {exc.strerror or one_line(exc)}") from None
    names: list[str] = []
    lock = threading.Lock()

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            with lock:
                if name not in names:
                    names.append(name)

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            self.add_service(zc, type_, name)

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

    found: list[Found] = []
    try:
        browser = ServiceBrowser(zc, SERVICE, Listener())
        deadline = time.monotonic() + seconds
        stop = threading.Event()
        stop.wait(max(0.0, deadline - time.monotonic()))  # a browse is bounded in time by its nature
        browser.cancel()
        with lock:
            seen = list(names)
        for name in seen:
            info = zc.get_service_info(SERVICE, name, timeout=1500)
            if info is None or not info.port:
                continue
            address = _best_address(info.parsed_scoped_addresses())
            if address is None:
                continue
            host = (info.server or "").rstrip(".")
            instance = _instance(name)
            found.append(Found(instance, host, address, int(info.port), kind="unknown", announced_as=instance))
    finally:
        zc.close()
    return found


def describe(service: Found, timeout: float = 2.0) -> Found:
    """``service`` with what it says of itself (a satellite's own name and area)."""
    import asyncio

    from .satellites import SatelliteError, ask_info

    async def ask() -> Found:
        info = await ask_info(service.address, service.port, timeout)
        if info.satellite is not None:
            sat = info.satellite
            return dataclasses.replace(
                service, name=sat.name or service.name, kind="satellite", detail=f"in {sat.area}" if sat.area else ""
            )
        kinds = [k for k in ("asr", "tts", "wake", "handle", "intent", "mic", "snd") if getattr(info, k, None)]
        return dataclasses.replace(service, kind="+".join(kinds) or "other")

    try:
        return asyncio.run(ask())
    except (asyncio.TimeoutError, OSError, SatelliteError, ValueError) as exc:
        why = "no answer" if isinstance(exc, asyncio.TimeoutError) else one_line(exc)
        return Found(
            service.name, service.host, service.address, service.port, "unknown", f"did not describe itself: {why}"
        )


def browse(
    seconds: float = BROWSE_S,
    interfaces: Sequence[str] | None = None,
    describe_one: Callable[[Found], Found] = describe,
) -> list[Found]:
    """The Wyoming services announced within ``seconds``, each described, sorted by name."""
    services = announced(seconds, interfaces)
    if not services:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(services))) as pool:
        described = list(pool.map(describe_one, services))
    return sorted(described, key=lambda f: (f.name.casefold(), f.uri))


class Background:
    """A browse started now, its result taken later (setup asks the names meanwhile)."""

    def __init__(self, run: Callable[[], list[Found]]) -> None:
        self._result: list[Found] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, args=(run,), name="checkin-browse", daemon=True)
        self._thread.start()

    def _work(self, run: Callable[[], list[Found]]) -> None:
        try:
            self._result = run()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> list[Found]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def resolve(host: str) -> str:
    """``host``'s address (IPv4 first), looked up now; :class:`DiscoveryError` when it has none."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else one_line(exc)
        raise DiscoveryError(f"cannot look up {host}: {why}") from None
    address = _best_address([str(info[4][0]) for info in infos])
    if address is None:
        raise DiscoveryError(f"cannot look up {host}: no usable address")
    return address


__all__ = ["BROWSE_S", "SERVICE", "Background", "DiscoveryError", "Found", "announced", "browse", "describe", "resolve"]
