"""The ``divergences`` command line (also ``python -m divergences``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import jax
import matplotlib
import numpy as np

import divergences
from divergences import families
from divergences.lab import figure_catalogue
from divergences.lab.cli_options import (
    at_least,
    draws_option,
    level_option,
    positive_option,
    tolerance_option,
)
from divergences.lab.continuous_curves import (
    CONTINUOUS_FAMILIES,
    CONTINUOUS_QUANTITIES,
    sweep_command,
)
from divergences.lab.critics import critic_sweep, plot_critic_sweep
from divergences.lab.divergence_curves import QUANTITIES, sweep, write_csv
from divergences.lab.estimate_command import FIDELITY_DRAWS, ROW_KEYS, estimate_files
from divergences.lab.estimate_compare import check_compare_options, compare_files
from divergences.lab.estimate_report import format_table, to_json
from divergences.lab.proof_files import ProofFileError
from divergences.lab.tour import format_tour, tour
from divergences.lab.training.command import add_arguments, run_command
from divergences.lab.verify import TOUR_TOLERANCE, verify

__all__ = ["main"]


def _enable_x64() -> None:
    jax.config.update("jax_enable_x64", True)


def _cmd_tour(args: argparse.Namespace) -> int:
    rows = tour()
    print("Divergences of the built-in examples (nats), float64:")
    print(format_tour(rows))
    worst = max(r.worst_error for r in rows)
    if worst > args.tolerance:
        print(f"FAILED: largest error {worst:.3e} exceeds {args.tolerance:.1e}")
        return 1
    print(f"all known values reproduced (largest error {worst:.1e})")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
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


def _cmd_plot(args: argparse.Namespace) -> int:
    matplotlib.use("Agg")
    for path in figure_catalogue.make_figures(args.out, [args.name]):
        print(path)
    if args.name in figure_catalogue.CAPTIONS:
        print(f"\n{figure_catalogue.CAPTIONS[args.name]}")
    return 0


#: The families of divergences.families that ``divergences sweep`` takes; the continuous ones
#: (laws on the line, certified) are in divergences.lab.continuous_curves.
_FAMILIES = {
    "parallel_lines": "parallel_lines",
    "parallel_lines_pixels": "parallel_lines_pixels",
    "parallel_lines_sampled": "parallel_lines_sampled",
    "gaussians": "shifted_gaussians",
    "uniforms": "shifted_uniforms",
}


def _cmd_sweep(args: argparse.Namespace) -> int:
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


def _cmd_critics(args: argparse.Namespace) -> int:
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


def _files(args: argparse.Namespace) -> list[str]:
    """The files in their roles: ``[P, Q]`` or ``[R, A, B]``, the reference first.

    ``--reference R`` names the reference in every mode (a ``.npz`` included): one model file
    then compares it with R (P = R, the real draws; Q = the model's), two compare the models.
    Without it, two files are P and Q and three R, A and B (the first declared the reference).
    """
    files = [*([args.reference] if args.reference else []), *args.files]
    if len(files) not in (2, 3):
        given = f"--reference and {len(args.files)}" if args.reference else f"{len(files)}"
        raise ValueError(
            f"estimate takes two files (P and Q), or a reference and one or two models "
            f"(--reference R A [B], or R A B); got {given} file(s)"
        )
    return files


#: The estimate command's options that choose rows or their draws (each unset unless given).
_ROW_OPTIONS = (
    "rows", "bandwidth", "w1_draws", "kid_draws", "mmd_draws", "fidelity_draws", "permutations",
    "model", "held_out",
)  # fmt: skip


def _cmd_estimate(args: argparse.Namespace) -> int:
    """Every estimate that applies to the draws in two files, as a table or as JSON.

    With a reference and two models (``--reference R A B``, or ``R A B``): each model's rows
    against R, then whether A's draws are nearer R's than B's (FD and KID, paired). An option
    that no row of the mode reads is refused, never ignored.
    """
    files = _files(args)
    given = {k: getattr(args, k) for k in _ROW_OPTIONS if hasattr(args, k)}
    common = {
        "level": args.level, "seed": args.seed, "allow_wide": args.allow_wide,
        "progress": not args.no_progress,
    }  # fmt: skip
    if len(files) == 3:
        check_compare_options(given)
        report = compare_files(files[0], files[1], files[2], **common, **given)
    else:
        report = estimate_files(files[0], files[1], **common, **given, options_given=tuple(given))
    print(to_json(report) if args.json else format_table(report))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    """Trains a GAN on 2-D data with the exact W1 beside it (``--compare``: every game)."""
    return run_command(args)


def build_parser() -> argparse.ArgumentParser:
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
    p_tour = sub.add_parser(
        "tour",
        help="print every divergence on the built-in examples",
        description="Computes KL both ways, JS (divergence and distance), total variation, "
        "Hellinger, chi-square and the GAN value at the optimal discriminator on the built-in "
        "examples in float64, prints them (nats) and compares each with its published or "
        "closed-form value; exits 1 if an error exceeds --tolerance.",
    )
    p_tour.add_argument(
        "--tolerance",
        type=tolerance_option,
        default=TOUR_TOLERANCE,
        metavar="TOL",
        help=f"the largest absolute error that passes, a number >= 0 (default: {TOUR_TOLERANCE:g})",
    )
    p_tour.set_defaults(func=_cmd_tour)

    p_verify = sub.add_parser(
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
    p_verify.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a proof file, or a folder of proof_*.py files (default: the lectures' proofs)",
    )
    p_verify.add_argument(
        "--out",
        default=None,
        help="folder for the figures (default: figures, for the lectures' proofs only)",
    )
    p_verify.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only the proof files whose name contains a NAME (each NAME must match one; "
        "default: all)",
    )
    p_verify.add_argument("--no-figures", action="store_true", help="skip the figures")
    p_verify.add_argument(
        "--no-tour", action="store_true", help="skip the tour of the built-in examples"
    )
    p_verify.add_argument(
        "--record",
        metavar="FILE",
        help="write each step's verdict, error and seconds to FILE (JSON), with a digest of "
        "the sources run",
    )
    p_verify.set_defaults(func=_cmd_verify)

    p_plot = sub.add_parser(
        "plot",
        help="draw one named figure (PNG and SVG)",
        description="Draws one figure. The papers' figures (wgan_figure2, wgan_gp_figure1_*) "
        "train the lab's critics first, a minute or more each on two cores, and print their "
        "caption: what to see.",
    )
    p_plot.add_argument(
        "name",
        choices=sorted({*figure_catalogue.FIGURES, *figure_catalogue.TRAINED_FIGURES}),
        metavar="NAME",
        help="the figure: %(choices)s",
    )
    p_plot.add_argument("--out", default="figures", help="folder for the files (default: figures)")
    p_plot.set_defaults(func=_cmd_plot)

    p_sweep = sub.add_parser(
        "sweep",
        help="divergences and W1 along a family of measures, written as CSV",
        description="Evaluates the chosen quantities between P_0 and P_theta for NUM thetas "
        "from START to STOP, with the family's closed forms where it has them. The continuous_* "
        "families are laws on the line: each quantity by quadrature, with its error estimate, "
        "and certified (an enclosure in real arithmetic) at --certify of the thetas; the "
        "command fails if a value lies outside its enclosure widened by its error estimate.",
    )
    p_sweep.add_argument(
        "family",
        choices=sorted({*_FAMILIES, *CONTINUOUS_FAMILIES}),
        metavar="FAMILY",
        help="the family of measures P_theta: %(choices)s",
    )
    p_sweep.add_argument(
        "--start", type=float, default=-1.0, help="the first theta (default: %(default)s)"
    )
    p_sweep.add_argument(
        "--stop", type=float, default=1.0, help="the last theta (default: %(default)s)"
    )
    p_sweep.add_argument(
        "--num",
        type=at_least(1),
        default=41,
        help="how many thetas, evenly spaced, at least 1 (default: %(default)s)",
    )
    p_sweep.add_argument(
        "--quantities",
        nargs="+",
        default=["kl", "reverse_kl", "js", "tv", "w1"],
        choices=sorted({*QUANTITIES, *CONTINUOUS_QUANTITIES}),
        metavar="Q",
        help=f"among {', '.join(sorted(QUANTITIES))}; for the continuous_* families among "
        f"{', '.join(sorted(CONTINUOUS_QUANTITIES))} (default: kl reverse_kl js tv w1)",
    )
    p_sweep.add_argument(
        "--base", type=float, default=None, help="logarithm base of KL and JS (default: nats)"
    )
    p_sweep.add_argument(
        "--gradients", action="store_true", help="also write d/dtheta of each quantity"
    )
    p_sweep.add_argument(
        "--certify",
        type=at_least(0),
        default=11,
        help="continuous_* families: how many of the thetas to certify, at least 0 (default 11)",
    )
    p_sweep.add_argument(
        "--csv", default="-", help="output file ('-', the default: standard output)"
    )
    p_sweep.set_defaults(func=_cmd_sweep)

    p_estimate = sub.add_parser(
        "estimate",
        help="every estimate between the laws behind two sample files, with its interval",
        description="Reads the draws of P from X and of Q from Y, one draw a row: .npy, or "
        ".csv (numbers separated by commas, no header; lines starting with # are skipped). A "
        "1-D array is read as draws on the line. Prints each estimate of divergences.estimate "
        "that can claim something in the draws' dimension, timed, with its interval or "
        "one-sided bound, its kind, whether it claims coverage and what it assumes: KL both "
        "ways, JS and each law's entropy (nearest neighbours, in d <= 2), W1 (exact transport "
        "in d <= 2, a finite-sample lower bound above; DKW's bands on the line), MMD^2 with "
        "McDiarmid's and with the normal interval (given --bandwidth), KID, and the Frechet distance of the "
        "Gaussian fits (FD: its bias-corrected value and interval, beside the plug-in FID "
        "papers print; KID and FD on every draw), precision, recall, density and coverage (X "
        "the real draws, Y the generated ones; on a seeded subsample of 10^4 draws a file "
        "beyond that, said in the notes: --fidelity-draws), in d >= 3 the held-out JS, TV and KL lower bounds of a trained "
        "discriminator, with --held-out the memorisation rows (X the training draws), then the MMD permutation test's and the classifier test's p-values. Rows that claim nothing "
        "print their value marked (no claim), with the reason below; rows left out are listed with the reason (--rows runs "
        "them). Progress goes to stderr. At 5 x 10^4 draws a file in 2048 dimensions the "
        "default rows took 4.7 minutes on two idle cores, 79% of it KID's n^2 d pass (row "
        "times in benchmarks/estimates.md). Exits 2, naming the file and the rule, for an empty "
        "file, an array with more columns than rows and fewer than 8 rows (it looks transposed: "
        "see --allow-wide; with 8 rows or more it is read, and said), NaN or inf entries, or "
        "two dimensions that differ. Integer features are converted to float64, and said. "
        "The reference is named by --reference R in every mode (or is the first of three "
        "files).",
    )
    p_estimate.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        help="X Y: the draws of P and of Q (.npy or .csv; X may be a reference's .npz); "
        "or R A B: a reference and two models, compared: each model's FD, KID, precision and "
        "recall against R, then FD(A, R) - FD(B, R) and KID(A, R) - KID(B, R) with their "
        "intervals and the p-values of 'A is no better than B'",
    )
    p_estimate.add_argument(
        "--reference",
        metavar="R",
        default=None,
        help="the reference's draws (.npy, .csv) or statistics (.npz, reference(...).save's or "
        "a published mu/sigma), named in every mode: --reference R A estimates model A "
        "against R (R as P, the real draws), --reference R A B compares A and B",
    )
    p_estimate.add_argument(
        "--level",
        type=level_option,
        default=0.95,
        help="the intervals' coverage, in (0, 1) (default: %(default)s)",
    )
    p_estimate.add_argument(
        "--seed",
        type=at_least(0),
        default=0,
        help="seed of the random splits, the subsamples and the test (default: %(default)s)",
    )
    p_estimate.add_argument(
        "--json",
        action="store_true",
        help='print JSON for scripts (an infinite end is the string "inf")',
    )
    p_estimate.add_argument(
        "--allow-wide",
        action="store_true",
        help="read an array with more columns than rows as it is even with fewer than 8 rows "
        "(default: refused as transposed)",
    )
    p_estimate.add_argument(
        "--rows",
        default=argparse.SUPPRESS,
        metavar="KEYS",
        help="the rows to run, comma-separated, or 'all': "
        + ", ".join(ROW_KEYS)
        + " (default: those that can claim something in the draws' dimension)",
    )
    p_estimate.add_argument(
        "--bandwidth",
        type=positive_option,
        default=argparse.SUPPRESS,
        metavar="S",
        help="the Gaussian kernel's width for the MMD rows and the test, fixed before the "
        "draws: MMD^2's interval is then finite-sample (default: the median heuristic, whose "
        "interval claims nothing)",
    )
    p_estimate.add_argument(
        "--w1-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="exact W1 on a seeded subsample of at most N draws of each file, or 'all' (exact "
        "transport between 10^4 draws takes minutes; default: 2000)",
    )
    p_estimate.add_argument(
        "--kid-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="KID on a seeded subsample of at most N draws of each file, in both modes "
        "(default: every draw)",
    )
    p_estimate.add_argument(
        "--mmd-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="the MMD rows and the test on a seeded subsample of at most N draws of each file, "
        "or 'all' (its relabellings cost (n + m)^2 d each; default: 5000)",
    )
    p_estimate.add_argument(
        "--fidelity-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="precision, recall, density and coverage on a seeded subsample of at most N draws "
        "of each file, or 'all' (their k-NN passes cost n^2 d: 13 s at 10^4 x 2048 on two idle "
        "cores, about 25 times that at 5 x 10^4; a subsample's values are those of samples of "
        f"N draws, said in the notes; in both modes; default: {FIDELITY_DRAWS})",
    )
    p_estimate.add_argument(
        "--held-out",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="draws of P that Q's generator never saw, X being its training draws: adds the "
        "memorisation rows (the share of Q's draws that copy X's, in excess of the held-out "
        "baseline, and the permutation test that Q copies), and a line 'copying: yes/no'; with "
        "R A B, each model's, R being their training draws. A model found copying claims "
        "nothing, nor does a comparison with it. Use a space not fit on X's draws (pixels, or "
        "a network not trained on them) (default: skipped)",
    )
    p_estimate.add_argument(
        "--model",
        choices=("logistic", "mlp", "auto"),
        default=argparse.SUPPRESS,
        help="the trained discriminator's model: a logistic regression, a one-layer MLP, or "
        "the better of the two on a validation part (default: logistic)",
    )
    p_estimate.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar on stderr",
    )
    p_estimate.add_argument(
        "--permutations",
        type=at_least(1),
        default=argparse.SUPPRESS,
        help="the MMD test's random relabellings, at least 1 (default: 200)",
    )
    p_estimate.set_defaults(func=_cmd_estimate)

    p_critics = sub.add_parser(
        "critics",
        help="train GAN/WGAN critics on the parallel lines against the exact JS and W1",
        description="Trains a GAN discriminator and WGAN critics (weight clipping, gradient "
        "penalty, spectral normalisation) on the WGAN paper's parallel lines for 21 offsets "
        "theta, and writes critics_parallel_lines.png and critics_parallel_lines.csv (each "
        "critic's estimate beside the exact JS and W1) to --out, printing each critic's largest "
        "error. A few minutes on two cores; --full, the full-size experiment, takes longer.",
    )
    p_critics.add_argument(
        "--out", default="figures", help="directory for the figure and CSV (default: figures)"
    )
    p_critics.add_argument(
        "--full",
        action="store_true",
        help="the full-size experiment: 4096 points, three hidden layers of 128, up to 10000 "
        "steps (default: 512 points, two layers of 32, up to 2000 steps)",
    )
    p_critics.add_argument(
        "--seed", type=int, default=0, help="seed of the data and the networks (default: 0)"
    )
    p_critics.add_argument("--quiet", action="store_true", help="no progress bars")
    p_critics.set_defaults(func=_cmd_critics)

    p_train = sub.add_parser(
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
    add_arguments(p_train)
    p_train.set_defaults(func=_cmd_train)
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
