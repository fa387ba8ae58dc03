"""The satellites' firewall drop-in for ``scripts/install.sh``: config.yaml's satellites (and
nothing else) are the addresses the service may reach."""

from __future__ import annotations

import sys

from .. import config
from ..home.satellites import SatelliteError, systemd_dropin


def main(argv: list[str] | None = None) -> int:
    """``python -m assistant.cli.firewall --systemd CONFIG``: print the drop-in (install.sh)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--systemd":
        print("usage: python -m assistant.cli.firewall --systemd CONFIG", file=sys.stderr)
        return 2
    try:
        settings = config.load(args[1])
        sys.stdout.write(systemd_dropin(settings.satellites))
    except (config.ConfigError, SatelliteError) as exc:
        print(f"checkin: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
