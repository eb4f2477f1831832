"""``python -m divergences``: the command line."""

import sys

from divergences.cli import main

sys.exit(main())
