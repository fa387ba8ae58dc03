"""`python -m assistant.cli`: the checkin command."""

import sys

from .main import main

sys.exit(main())
