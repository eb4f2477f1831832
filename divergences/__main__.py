"""``python -m divergences``: the command line."""

import sys

from divergences.lab.cli import main

sys.exit(main())
