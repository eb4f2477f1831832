"""``divergences critics``: GAN and WGAN critics trained on the parallel lines, against the exact JS and W1."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

from divergences.lab.critics import critic_sweep, plot_critic_sweep

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "critics",
        help="train GAN/WGAN critics on the parallel lines against the exact JS and W1",
        description="Trains a GAN discriminator and WGAN critics (weight clipping, gradient "
        "penalty, spectral normalisation) on the WGAN paper's parallel lines for 21 offsets "
        "theta, and writes critics_parallel_lines.png and critics_parallel_lines.csv (each "
        "critic's estimate beside the exact JS and W1) to --out, printing each critic's largest "
        "error. A few minutes on two cores; --full, the full-size experiment, takes longer.",
    )
    p.add_argument(
        "--out", default="figures", help="directory for the figure and CSV (default: figures)"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the full-size experiment: 4096 points, three hidden layers of 128, up to 10000 "
        "steps (default: 512 points, two layers of 32, up to 2000 steps)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the data and the networks (default: 0)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Trains the critics on the parallel lines and writes the figure and a table of numbers."""
    matplotlib.use("Agg")

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
