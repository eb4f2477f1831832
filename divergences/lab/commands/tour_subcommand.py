"""``divergences tour``: every divergence on the built-in examples, against the known values."""

from __future__ import annotations

import argparse

from divergences.lab.cli_options import tolerance_option
from divergences.lab.verify import TOUR_TOLERANCE
from divergences.lab.verify.tour import format_tour, tour

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "tour",
        help="print every divergence on the built-in examples",
        description="Computes KL both ways, JS (divergence and distance), total variation, "
        "Hellinger, chi-square and the GAN value at the optimal discriminator on the built-in "
        "examples in float64, prints them (nats) and compares each with its published or "
        "closed-form value; exits 1 if an error exceeds --tolerance.",
    )
    p.add_argument(
        "--tolerance",
        type=tolerance_option,
        default=TOUR_TOLERANCE,
        metavar="TOL",
        help=f"the largest absolute error that passes, a number >= 0 (default: {TOUR_TOLERANCE:g})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Prints the tour; exits 1 where an error exceeds ``--tolerance``."""
    rows = tour()
    print("Divergences of the built-in examples (nats), float64:")
    print(format_tour(rows))
    worst = max(r.worst_error for r in rows)
    if worst > args.tolerance:
        print(f"FAILED: largest error {worst:.3e} exceeds {args.tolerance:.1e}")
        return 1
    print(f"all known values reproduced (largest error {worst:.1e})")
    return 0
