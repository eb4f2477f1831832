"""``divergences sweep FAMILY``: the divergences and W1 along a family of measures, as CSV."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from divergences import families
from divergences.lab.cli_options import at_least
from divergences.lab.figures.continuous_curves import (
    CONTINUOUS_FAMILIES,
    CONTINUOUS_QUANTITIES,
    sweep_command,
)
from divergences.lab.figures.divergence_curves import QUANTITIES, sweep, write_csv

__all__ = ["register", "run"]

#: The families of divergences.families that ``divergences sweep`` takes; the continuous ones
#: (laws on the line, certified) are in divergences.lab.figures.continuous_curves.
_FAMILIES = {
    "parallel_lines": "parallel_lines",
    "parallel_lines_pixels": "parallel_lines_pixels",
    "parallel_lines_sampled": "parallel_lines_sampled",
    "gaussians": "shifted_gaussians",
    "uniforms": "shifted_uniforms",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "sweep",
        help="divergences and W1 along a family of measures, written as CSV",
        description="Evaluates the chosen quantities between P_0 and P_theta for NUM thetas "
        "from START to STOP, with the family's closed forms where it has them. The continuous_* "
        "families are laws on the line: each quantity by quadrature, with its error estimate, "
        "and certified (an enclosure in real arithmetic) at --certify of the thetas; the "
        "command fails if a value lies outside its enclosure widened by its error estimate.",
    )
    p.add_argument(
        "family",
        choices=sorted({*_FAMILIES, *CONTINUOUS_FAMILIES}),
        metavar="FAMILY",
        help="the family of measures P_theta: %(choices)s",
    )
    p.add_argument(
        "--start", type=float, default=-1.0, help="the first theta (default: %(default)s)"
    )
    p.add_argument("--stop", type=float, default=1.0, help="the last theta (default: %(default)s)")
    p.add_argument(
        "--num",
        type=at_least(1),
        default=41,
        help="how many thetas, evenly spaced, at least 1 (default: %(default)s)",
    )
    p.add_argument(
        "--quantities",
        nargs="+",
        default=["kl", "reverse_kl", "js", "tv", "w1"],
        choices=sorted({*QUANTITIES, *CONTINUOUS_QUANTITIES}),
        metavar="Q",
        help=f"among {', '.join(sorted(QUANTITIES))}; for the continuous_* families among "
        f"{', '.join(sorted(CONTINUOUS_QUANTITIES))} (default: kl reverse_kl js tv w1)",
    )
    p.add_argument(
        "--base", type=float, default=None, help="logarithm base of KL and JS (default: nats)"
    )
    p.add_argument("--gradients", action="store_true", help="also write d/dtheta of each quantity")
    p.add_argument(
        "--certify",
        type=at_least(0),
        default=11,
        help="continuous_* families: how many of the thetas to certify, at least 0 (default 11)",
    )
    p.add_argument("--csv", default="-", help="output file ('-', the default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Writes the quantities along the family as CSV (the continuous families: certified)."""
    if args.family in CONTINUOUS_FAMILIES:  # laws on the line: fast curve, certified points
        return sweep_command(args)
    family = getattr(families, _FAMILIES[args.family])()
    thetas = np.linspace(args.start, args.stop, args.num)
    result = sweep(
        family,
        thetas,
        quantities=args.quantities,
        base=args.base,
        gradients=args.gradients,
        progress=None,
    )
    if args.csv == "-":
        write_csv(result, sys.stdout)
    else:
        write_csv(result, args.csv)
        print(
            f"{thetas.size} thetas x {len(args.quantities)} quantities of {family.name!r} "
            f"written to {args.csv}"
        )
    return 0
