"""``divergences estimate X Y`` (or ``R A B``): every estimate between the laws behind sample files."""

from __future__ import annotations

import argparse

from divergences.lab.cli_options import at_least, draws_option, level_option, positive_option
from divergences.lab.estimate.estimate_command import ROW_KEYS, estimate_files
from divergences.lab.estimate.estimate_compare import check_compare_options, compare_files
from divergences.lab.estimate.estimate_report import format_table, to_json
from divergences.lab.estimate.estimate_rows import (
    DISCRIMINATOR_MODEL,
    FIDELITY_DRAWS,
    MMD_DRAWS,
    TEST_PERMUTATIONS,
    W1_DRAWS,
)
from divergences.lab.estimate.estimate_table import OPTION_ROWS, rows_help

__all__ = ["register", "run"]


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
_ROW_OPTIONS = ("rows", *OPTION_ROWS)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the subcommand, its options and its run function to the command's subparsers."""
    p = sub.add_parser(
        "estimate",
        help="every estimate between the laws behind two sample files, with its interval",
        description="Reads the draws of P from X and of Q from Y, one draw a row: .npy, or "
        ".csv (numbers separated by commas, no header; lines starting with # are skipped). A "
        "1-D array is read as draws on the line. Prints each estimate of divergences.estimate "
        "that runs by default (below), timed, with its interval or "
        "one-sided bound, its kind, whether it claims coverage and what it assumes. The rows, "
        "each with where it runs by default: " + rows_help() + ". Rows that claim nothing "
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
    p.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        help="X Y: the draws of P and of Q (.npy or .csv; X may be a reference's .npz); "
        "or R A B: a reference and two models, compared: each model's FD, KID, precision and "
        "recall against R, then FD(A, R) - FD(B, R) and KID(A, R) - KID(B, R) with their "
        "intervals and the p-values of 'A is no better than B'",
    )
    p.add_argument(
        "--reference",
        metavar="R",
        default=None,
        help="the reference's draws (.npy, .csv) or statistics (.npz, reference(...).save's or "
        "a published mu/sigma), named in every mode: --reference R A estimates model A "
        "against R (R as P, the real draws), --reference R A B compares A and B",
    )
    p.add_argument(
        "--level",
        type=level_option,
        default=0.95,
        help="the intervals' coverage, in (0, 1) (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=at_least(0),
        default=0,
        help="seed of the random splits, the subsamples and the test (default: %(default)s)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print JSON for scripts (an infinite end is the string "inf")',
    )
    p.add_argument(
        "--allow-wide",
        action="store_true",
        help="read an array with more columns than rows as it is even with fewer than 8 rows "
        "(default: refused as transposed)",
    )
    p.add_argument(
        "--rows",
        default=argparse.SUPPRESS,
        metavar="KEYS",
        help="the rows to run, comma-separated, or 'all': "
        + ", ".join(ROW_KEYS)
        + " (default: each where it runs by default, as listed above; 'all': every row that "
        "can run here)",
    )
    p.add_argument(
        "--bandwidth",
        type=positive_option,
        default=argparse.SUPPRESS,
        metavar="S",
        help="the Gaussian kernel's width for the MMD rows and the test, fixed before the "
        "draws: MMD^2's interval is then finite-sample (default: the median heuristic, whose "
        "interval claims nothing)",
    )
    p.add_argument(
        "--w1-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="exact W1 on a seeded subsample of at most N draws of each file, or 'all' (exact "
        f"transport between 10^4 draws takes minutes; default: {W1_DRAWS})",
    )
    p.add_argument(
        "--kid-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="KID on a seeded subsample of at most N draws of each file, in both modes "
        "(default: every draw)",
    )
    p.add_argument(
        "--mmd-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="the MMD rows and the test on a seeded subsample of at most N draws of each file, "
        f"or 'all' (its relabellings cost (n + m)^2 d each; default: {MMD_DRAWS})",
    )
    p.add_argument(
        "--fidelity-draws",
        type=draws_option,
        default=argparse.SUPPRESS,
        metavar="N",
        help="precision, recall, density and coverage on a seeded subsample of at most N draws "
        "of each file, or 'all' (their k-NN passes cost n^2 d: 13 s at 10^4 x 2048 on two idle "
        "cores, about 25 times that at 5 x 10^4; a subsample's values are those of samples of "
        f"N draws, said in the notes; in both modes; default: {FIDELITY_DRAWS})",
    )
    p.add_argument(
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
    p.add_argument(
        "--model",
        choices=("logistic", "mlp", "auto"),
        default=argparse.SUPPRESS,
        help="the trained discriminator's model: a logistic regression, a one-layer MLP, or "
        "the better of the two on a validation part (default: " + DISCRIMINATOR_MODEL + ")",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar on stderr",
    )
    p.add_argument(
        "--permutations",
        type=at_least(1),
        default=argparse.SUPPRESS,
        help=f"the MMD test's random relabellings, at least 1 (default: {TEST_PERMUTATIONS})",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
