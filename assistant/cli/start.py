"""The ``checkin`` program's entry point: the waiting line (:mod:`.waiting`) before any heavy
import, then the command line (:mod:`.main`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from . import waiting


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    waiting.announce_waiting(given)
    from .main import main as cli_main  # the command line (numpy, models) only after the first line is out

    return cli_main(given)


if __name__ == "__main__":
    sys.exit(main())
