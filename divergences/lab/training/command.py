"""``divergences train``: one run, or every game with ``--compare``, written to a folder."""

from __future__ import annotations

import argparse
import pathlib
import time
from typing import Any

from divergences.lab.training import figures
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.data import DATASETS
from divergences.lab.training.games import GAMES
from divergences.lab.training.readouts_csv import write_readouts_csv
from divergences.lab.training.trainer import compare, train
from divergences.lab.training.verdict import FLOOR_SDS, verdict

__all__ = ["FRAME_EVERY", "add_arguments", "run_command"]

#: Generator steps between the animation's frames: four per readout at the default
#: ``eval_every`` (1000), so that the samples move smoothly without four times the exact readouts.
FRAME_EVERY = 250


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``divergences train``."""
    p.add_argument(
        "--data",
        default="ring8",
        choices=sorted(DATASETS),
        help="the data set (default: ring8). digits: scikit-learn's 8 x 8 digits, nsgan and "
        "6000 steps by default; its readouts add FD, KID, the Inception score, precision, "
        "recall and the memorisation test on 1000 generated digits a readout, with their "
        "intervals (readouts.png, digits.png), and its verdict reads FD, IS, recall and "
        "copying, not W1",
    )
    p.add_argument(
        "--game",
        default=None,
        choices=sorted(GAMES),
        help="the game (default: wgan-gp; nsgan on digits, the data set's own defaults)",
    )
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="generator steps (default: the game's, 12000; 30000 for r1; 10/3 times as many "
        "on grid25; 6000 on digits, the data set's own default)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of every random draw: initialisation, minibatches, readout samples (default: 0)",
    )
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
    p.add_argument(
        "--frame-every",
        type=int,
        default=FRAME_EVERY,
        help=f"generator steps between the animation's frames (default: {FRAME_EVERY}); a frame "
        "between readouts shows new samples, not a new exact W1",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--require-converged",
        action="store_true",
        help="exit with status 1 when a run's verdict is 'not converged' (with --compare: any "
        "game's); without it the status is 0 whatever the verdict",
    )


def _config(args: argparse.Namespace, game: str | None) -> TrainingConfig:
    """The run's configuration: the data set's defaults, then the options given."""
    opts: dict[str, Any] = {"seed": args.seed}
    if game is not None:
        opts["game"] = game
    if args.steps is not None:
        opts["steps"] = args.steps
    if args.eval_every is not None:
        opts["eval_every"] = args.eval_every
    return TrainingConfig.for_data(args.data, **opts)


def _train(config: TrainingConfig, args: argparse.Namespace) -> Any:
    """One run of ``divergences train``, with the animation's frames unless ``--no-gif``."""
    frame_every = None if args.no_gif else args.frame_every
    return train(config, progress=not args.quiet, frame_every=frame_every)


def _status(runs: list[Any], args: argparse.Namespace) -> int:
    """0, or 1 with ``--require-converged`` when a run did not converge."""
    if args.require_converged and not all(verdict(run).converged for run in runs):
        return 1
    return 0


def _summary(name: str, run: Any) -> str:
    """The run's two closing lines: its last readout, then its verdict.

    The readout gives the modes as "k of K" and W1 as a multiple of its noise floor with the
    floor's spread as the figures draw it, two standard deviations; the verdict is against the
    criterion of the training page, with what it advises when not converged.
    """
    r, c = run.readouts, run.config
    v = verdict(run)
    modes = "" if v.modes is None else f"modes {v.modes} of {v.modes_total}; "
    floor = float(r.w1_floor[-1])
    band = (
        ""
        if v.floor_spread != v.floor_spread  # one draw: no spread
        else f" (its band, +-{FLOOR_SDS:g} sd of {c.floor_draws} draws: "
        f"{1 - v.floor_spread:.2f}x to {1 + v.floor_spread:.2f}x)"
    )
    js = "" if r.js_grid[-1] != r.js_grid[-1] else f"; JS grid {r.js_grid[-1]:.3f} nats"
    fidelity = f"precision {r.precision[-1]:.2f}, recall {r.recall[-1]:.2f}; "
    line = (
        f"{name} on {c.dataset.name}, seed {c.seed}, step {v.step}: {modes}{fidelity}"
        f"W1 {r.w1[-1]:.3f} = {v.w1_ratio:.2f}x its noise floor {floor:.3f}{band}{js}; "
        f"training {run.train_seconds:.1f} s, readouts {run.readout_seconds:.1f} s"
    )
    return f"{line}\n  verdict: {v.text()}"


def run_command(args: argparse.Namespace) -> int:
    """Runs ``divergences train`` with parsed arguments; returns the exit status."""
    import matplotlib

    if args.frame_every < 1:
        raise ValueError(f"--frame-every must be a positive integer, got {args.frame_every}")
    matplotlib.use("Agg")

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
        return _status(list(runs.values()), args)
    config = _config(args, args.game)
    images = config.dataset.image_shape is not None
    if images:  # the animation draws points of the plane
        args.no_gif = True
    run = _train(config, args)
    write_readouts_csv(run, out / "readouts.csv")
    if images:
        figures.figure_image_readouts(run).savefig(out / "readouts.png", dpi=100)
        figures.figure_digits(run).savefig(out / "digits.png", dpi=100)
        written = ["readouts.csv", "readouts.png", "digits.png"]
    else:
        figures.figure_readouts(run).savefig(out / "readouts.png", dpi=100)
        figures.figure_snapshots(run).savefig(out / "snapshots.png", dpi=100)
        written = ["readouts.csv", "readouts.png", "snapshots.png"]
    if not args.no_gif:
        figures.save_gif(run, out / "training.gif")
        written.append("training.gif")
    print(_summary(run.config.game, run))
    print(f"wrote {', '.join(str(out / w) for w in written)} in {time.perf_counter() - t0:.1f} s")
    return _status([run], args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``divergences train``, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "train",
        help="train a GAN on 2-D data, with the exact W1 to the data at every readout, or on "
        "the 8 x 8 digits (--data digits) with FD, IS, recall and copying",
        description="Trains one game on one data set (the paper's optimiser and critic steps) "
        "and writes readouts.csv (exact W1 and its noise floor, JS and KL on a grid, the "
        "critic's estimate, mode coverage, losses), readouts.png, snapshots.png and "
        "training.gif to --out. On the digits (6000 steps of nsgan by default) the readouts "
        "add the image scores with their intervals, digits.png draws the generated digits, "
        "and the verdict reads FD, IS, recall and copying. With --compare: every game on "
        "--data, one readouts.csv each and comparison.png.",
    )
    add_arguments(p)
    p.set_defaults(func=run_command)
