"""The ``divergences`` command: runs the lab's command line, or says in one line what to install.

The library (``import divergences``) needs jax, numpy, scipy and POT only; the command belongs
to the lab, whose packages come with the extra ``divergences[lab]``. Without them it prints one
line naming the missing packages and the install command, and exits with status 2.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["LAB_PACKAGES", "main", "missing_lab_packages"]

#: The lab's own dependencies (the extra ``lab``, which includes ``testing``): import names.
LAB_PACKAGES = ("matplotlib", "sympy", "equinox", "optax", "tqdm", "hypothesis")

#: The command to get them, from a package index or from a checkout of the source.
INSTALL_HINT = "pip install 'divergences[lab]' (from a checkout: pip install '.[lab]')"


def missing_lab_packages() -> list[str]:
    """The lab's packages that cannot be imported here."""
    return [name for name in LAB_PACKAGES if importlib.util.find_spec(name) is None]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the lab's command line, or says what to install when its packages are missing.

    Calls :func:`divergences.lab.cli.main`; without the lab's packages, returns 2 with a one-line
    message on stderr (``--version`` alone still prints the version).
    """
    missing = missing_lab_packages()
    if missing and list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        from divergences import __version__  # the version needs no lab package

        print(f"divergences {__version__}")
        return 0
    if missing:
        print(
            f"divergences: the command needs the lab's packages ({', '.join(missing)} not "
            f"installed); install them with: {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 2
    # Here, after the check: the lab imports the optional packages above at its top.
    from divergences.lab.cli import main as lab_main

    return lab_main(argv)
