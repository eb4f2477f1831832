"""``divergences train``: one run, or every game with ``--compare``, written to a folder."""

from __future__ import annotations

import argparse
import pathlib
import time
from typing import Any

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.data import DATASETS
from divergences.lab.training.games import GAMES

__all__ = ["add_arguments", "run_command"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``divergences train``."""
    p.add_argument(
        "--data", default="ring8", choices=sorted(DATASETS), help="the data set (default: ring8)"
    )
    p.add_argument(
        "--game", default="wgan-gp", choices=sorted(GAMES), help="the game (default: wgan-gp)"
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator steps (default: the game's, 12000; 30000 for r1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help=f"generator steps between readouts (default: {TrainingConfig.eval_every})",
    )
    p.add_argument(
        "--out", default="training", help="folder for the CSV, figures and GIF (default: training)"
    )
    p.add_argument(
        "--compare", action="store_true", help="run every game on --data and draw the comparison"
    )
    p.add_argument("--no-gif", action="store_true", help="skip the animation")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _config(args: argparse.Namespace, game: str) -> TrainingConfig:
    opts: dict[str, Any] = {"data": args.data, "game": game, "seed": args.seed}
    if args.steps is not None:
        opts["steps"] = args.steps
    if args.eval_every is not None:
        opts["eval_every"] = args.eval_every
    return TrainingConfig(**opts)


def _summary(name: str, run: Any) -> str:
    r = run.readouts
    modes = (
        "" if r.modes_covered[-1] != r.modes_covered[-1] else f", modes {int(r.modes_covered[-1])}"
    )
    return (
        f"{name:10s} step {int(r.step[-1])}: W1 {r.w1[-1]:.3f} "
        f"(floor {r.w1_floor[-1]:.3f} +- {r.w1_floor_sd[-1]:.3f}), "
        f"JS grid {r.js_grid[-1]:.3f}{modes}; training {run.train_seconds:.1f} s, "
        f"readouts {run.readout_seconds:.1f} s"
    )


def run_command(args: argparse.Namespace) -> int:
    """Runs ``divergences train`` with parsed arguments; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")
    from divergences.lab.training import figures
    from divergences.lab.training.trainer import compare, train, write_readouts_csv

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.compare:
        runs = compare(_config(args, "wgan-gp"), progress=not args.quiet)
        for name, run in runs.items():
            (out / name).mkdir(exist_ok=True)
            write_readouts_csv(run, out / name / "readouts.csv")
            print(_summary(name, run))
        figures.figure_comparison(runs).savefig(out / "comparison.png", dpi=110)
        print(
            f"wrote {out / 'comparison.png'} and {out}/<game>/readouts.csv "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        return 0
    run = train(_config(args, args.game), progress=not args.quiet)
    write_readouts_csv(run, out / "readouts.csv")
    figures.figure_readouts(run).savefig(out / "readouts.png", dpi=100)
    figures.figure_snapshots(run).savefig(out / "snapshots.png", dpi=100)
    written = ["readouts.csv", "readouts.png", "snapshots.png"]
    if not args.no_gif:
        figures.save_gif(run, out / "training.gif")
        written.append("training.gif")
    print(_summary(args.game, run))
    print(f"wrote {', '.join(str(out / w) for w in written)} in {time.perf_counter() - t0:.1f} s")
    return 0
