"""The ``divergences`` command line (also ``python -m divergences``): its subcommands assembled.

Each subcommand owns its options and its run function (:mod:`divergences.lab.commands`).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Iterator, Sequence

import jax

import divergences
from divergences.lab.commands import SUBCOMMANDS

__all__ = ["build_parser", "main"]


def _enable_x64() -> None:
    jax.config.update("jax_enable_x64", True)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while a command runs, as it was after.

    What exists when the command starts (the package, JAX and their imports) is frozen, never
    scanned again, and the collector waits for 10,000 new objects in place of 700 (older
    generations: 20 collections in place of 10). JAX's tracing makes millions of short-lived
    objects: ``divergences verify`` took 73 to 74 s with the defaults and 68 s so
    (benchmarks/README.md, "The test session"). Garbage is still collected, only less often.
    """
    threshold = gc.get_threshold()
    freezes = gc.get_freeze_count() == 0  # a caller's frozen objects are its own: kept frozen
    if freezes:
        gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if freezes:
            gc.unfreeze()


def build_parser() -> argparse.ArgumentParser:
    """The ``divergences`` parser: the version, then each subcommand's own (``SUBCOMMANDS``)."""
    parser = argparse.ArgumentParser(
        prog="divergences",
        description="Divergences and distances between probability distributions: "
        "verify the derivations, draw the figures.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {divergences.__version__}",
        help="print the package's version and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for subcommand in SUBCOMMANDS:
        subcommand.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status (0 ok, 1 a failed check, 2 a usage error).

    A path that does not exist, a proof file that cannot be loaded or declares no proof, a bad
    option value or a package the command needs and cannot find is reported in one message on
    stderr (for a proof file: the file, the line and the error, and a hint where a name has
    moved), not as a traceback, with the status 2; a step that fails is the status 1.
    """
    args = build_parser().parse_args(argv)
    _enable_x64()
    try:
        with _fewer_collections():
            return int(args.func(args))
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in ("divergences", "proofs"):
            raise  # a module of the package itself: a bug to see in full, not an install step
        print(
            f"divergences {args.command}: needs the Python package {exc.name!r}, which is not "
            f"installed here: pip install {exc.name}",
            file=sys.stderr,
        )
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"divergences {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
