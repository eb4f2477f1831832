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


def _cmd_critics(args: argparse.Namespace) -> int:
    """Trains the critics on the parallel lines and writes the figure and a table of numbers."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    from divergences.critics import critic_sweep, plot_critic_sweep

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sweep = critic_sweep(full=args.full, key=args.seed, progress=not args.quiet)
    fig = plot_critic_sweep(sweep)
    fig.savefig(out / "critics_parallel_lines.png", dpi=130)
    labels = list(sweep.estimates)
    lines = ["theta,exact_js,exact_w1," + ",".join(labels)]
    for i, t in enumerate(sweep.thetas):
        row = [t, sweep.js[i], sweep.w1[i], *(sweep.estimates[k][i] for k in labels)]
        lines.append(",".join(f"{v:.6g}" for v in row))
    (out / "critics_parallel_lines.csv").write_text("\n".join(lines) + "\n")
    print(f"clipped critic: fitted K = {sweep.clip_scale:.4g} (estimate ~ K * W1)")
    for k in labels:
        exact = sweep.js if k.startswith("GAN") else sweep.w1
        err = float(abs(sweep.estimates[k] - exact).max())
        if k == "WGAN, clipping":
            err = float(abs(sweep.estimates[k] / sweep.clip_scale - exact).max())
            k += " / K"
        print(f"{k:26s} largest |estimate - exact| = {err:.3g}")
    print(f"wrote {out / 'critics_parallel_lines.png'} and {out / 'critics_parallel_lines.csv'}")
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
    p_critics = sub.add_parser(
        "critics", help="train GAN/WGAN critics on the parallel lines against the exact JS and W1"
    )
    p_critics.add_argument("--out", default="figures", help="directory for the figure and CSV")
    p_critics.add_argument("--full", action="store_true", help="the full-size experiment")
    p_critics.add_argument("--seed", type=int, default=0)
    p_critics.add_argument("--quiet", action="store_true", help="no progress bars")
    p_critics.set_defaults(func=_cmd_critics)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _enable_x64()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
