#!/usr/bin/env python3
"""The benchmark without the console command: python scripts/bench.py [--quick] [--json]."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.cli.main import main  # noqa: E402

sys.exit(main(["bench", *sys.argv[1:]]))
