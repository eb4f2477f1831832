"""``python -m divergences``: the command line (the lab's, through the launcher)."""

import sys

from divergences._launcher import main

sys.exit(main())
