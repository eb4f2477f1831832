"""The ``divergences`` command line (also ``python -m divergences``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _enable_x64() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)


def _cmd_tour(args: argparse.Namespace) -> int:
    from divergences.tour import format_tour, tour

    rows = tour()
    print("Divergences of the built-in examples (nats), float64:")
    print(format_tour(rows))
    worst = max(r.worst_error for r in rows)
    if worst > args.tolerance:
        print(f"FAILED: largest error {worst:.3e} exceeds {args.tolerance:.1e}")
        return 1
    print(f"all known values reproduced (largest error {worst:.1e})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="divergences",
        description="Divergences and distances between probability distributions: "
        "verify the derivations, draw the figures.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_tour = sub.add_parser("tour", help="print every divergence on the built-in examples")
    p_tour.add_argument("--tolerance", type=float, default=1e-12)
    p_tour.set_defaults(func=_cmd_tour)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _enable_x64()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
