"""``divergences verify [PATH ...]``: every step of the proofs checked, the table printed, the figures written."""

from __future__ import annotations

import argparse
import sys

import matplotlib

from divergences.lab.verify import verify
from divergences.lab.verify.proof_files import ProofFileError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "verify",
        help="check every step of every derivation, print the table, write the figures",
        description="Runs each step of the proofs (symbolic, numeric and property checks in "
        "float64), prints a table (claim, method, largest error, tolerance, verdict) and exits 1 "
        "if any step fails, naming the step, by how much it missed and, for a property, the "
        "drawn input that broke it; exits 2 if a proof file cannot be loaded, naming the file, "
        "the line and the error. Without PATH: the proofs of the lectures shipped with the "
        "package, the tour of the built-in examples, and the figures written to --out "
        "(default: figures). With PATH: your own proof files, or folders of proof_*.py files.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a proof file, or a folder of proof_*.py files (default: the lectures' proofs)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="folder for the figures (default: figures, for the lectures' proofs only)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only the proof files whose name contains a NAME (each NAME must match one; "
        "default: all)",
    )
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--no-tour", action="store_true", help="skip the tour of the built-in examples")
    p.add_argument(
        "--record",
        metavar="FILE",
        help="write each step's verdict, error and seconds to FILE (JSON), with a digest of "
        "the sources run",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Runs the proofs; exits 1 where a step fails, 2 where a proof file cannot be loaded."""
    matplotlib.use("Agg")

    # The lectures' proofs come with the tour and the figures; a user's own proofs run alone,
    # with figures only when --out asks for them.
    own = bool(args.paths)
    out = args.out if args.out is not None else (None if own else "figures")
    try:
        report = verify(
            None if args.no_figures else out,
            paths=args.paths,
            only=args.only or (),
            tour=not (own or args.no_tour),
            record=args.record,
        )
    except ProofFileError as exc:  # the user's file, not the package: its line, not our traceback
        print(f"divergences verify: error in a proof file: {exc}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1
