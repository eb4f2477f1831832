"""``divergences estimate x.npy y.npy``: every estimate of :mod:`divergences.estimate` for two files.

Each file holds the draws of one law, one draw a row (``.npy``, or ``.csv``: numbers separated
by commas, no header). The files are checked before any estimate runs, and an array that is
probably not what its writer meant is refused with a message naming the file and the rule: more
coordinates than draws (a transposed array; ``allow_wide`` passes it), NaN or inf entries, two
files of different dimensions. A 1-D array is read as ``n`` draws on the line, and the output
says so.

The estimates that apply to the pair are then run, each with its warnings recorded rather than
printed (a :class:`~divergences.estimate.NoCoverageWarning` is the row's ``coverage claimed:
no``): KL both ways, JS, W1 (by exact transport, on a seeded subsample of at most
``w1_draws`` draws of each file, whose own interval holds for the laws: a subsample of
independent draws is one), W1 from the DKW bands on the line, MMD² with McDiarmid's interval
and with the normal one, KID (on a seeded subsample of at most ``kid_draws`` draws of each
file: its three ``n x n x d`` products take a minute and more at 10^4 x 2048), the Fréchet
distance of the Gaussian fits (FD, FID's formula), the entropy of each law, and the MMD
permutation test of ``P == Q``. An estimator that refuses the draws (repeated points
for the nearest-neighbour ones, too few draws) gives a row saying why, not a failed command.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from divergences import estimate
from divergences.estimate import Estimate, TwoSampleTest

__all__ = ["Report", "Row", "estimate_files", "format_table", "load_draws", "to_json"]

#: The file types read, by suffix.
SUFFIXES = (".npy", ".csv")


class Row(NamedTuple):
    """One estimate of the report, or why it was not made.

    Attributes:
      name: what is estimated, in the two laws' names (``"KL(P || Q)"``).
      estimator: the entry of :mod:`divergences.estimate` and its options, as called.
      result: the :class:`~divergences.estimate.Estimate`, or ``None`` where it was refused.
      warnings: the warnings the call raised, in words.
      error: the estimator's refusal (a ``ValueError``'s message), or ``""``.
    """

    name: str
    estimator: str
    result: Estimate | None
    warnings: tuple[str, ...]
    error: str


class Report(NamedTuple):
    """What ``divergences estimate`` prints: the inputs, the estimates and the test.

    Attributes:
      inputs: for each file (x, then y): its path, shape as stored and how it was read.
      level: the intervals' coverage.
      seed: the seed of every random split, subsample and relabelling.
      rows: the estimates, in the order printed.
      test: the MMD permutation test of ``P == Q``, or ``None`` where it was refused.
      test_error: the test's refusal, or ``""``.
    """

    inputs: tuple[dict[str, Any], ...]
    level: float
    seed: int
    rows: tuple[Row, ...]
    test: TwoSampleTest | None
    test_error: str


def _read(path: Path) -> np.ndarray:
    """The array stored in ``path``, a ``.npy`` or ``.csv`` file (a CSV as a 2-D array)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"{path}: only .npy and .csv files (numbers separated by commas) are read, "
            f"got a {suffix or 'file without a suffix'}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot be read as an array of numbers: {exc}") from None


def load_draws(path: str | Path, *, allow_wide: bool = False) -> tuple[np.ndarray, str]:
    """The draws stored in ``path`` as a float64 ``(n, d)`` array, and how they were read.

    Raises:
      ValueError: naming the file, where its suffix is neither ``.npy`` nor ``.csv``, it cannot
        be read as numbers, it holds no draw, has more than two axes, holds NaN or inf, or has
        more coordinates than draws (unless ``allow_wide``).
      FileNotFoundError: where it does not exist.
    """
    path = Path(path)
    raw = _read(path)
    if raw.dtype == bool or np.iscomplexobj(raw) or not np.issubdtype(raw.dtype, np.number):
        raise ValueError(f"{path}: must hold real numbers (draws), got dtype {raw.dtype}")
    if raw.ndim not in (1, 2) or raw.size == 0:
        raise ValueError(
            f"{path}: must hold an array of shape (n, d) (one draw a row) or (n,) (draws on "
            f"the line), got shape {raw.shape}"
        )
    draws = raw.astype(np.float64).reshape(raw.shape[0], -1)
    bad = int(np.count_nonzero(~np.isfinite(draws).all(axis=1)))
    if bad:
        raise ValueError(
            f"{path}: draws must be finite: {bad} of its {draws.shape[0]} rows hold NaN or inf; "
            f"remove them (or impute them) first"
        )
    n, d = draws.shape
    if raw.ndim == 1:
        return draws, f"{n} draws on the line (a 1-D array: one number a draw)"
    if d > n and not allow_wide:
        raise ValueError(
            f"{path}: shape {raw.shape} has more coordinates ({d}) than draws ({n}), so it looks "
            f"transposed: the draws must be its rows; save its transpose, or pass --allow-wide "
            f"to read it as {n} draws in {d} dimensions"
        )
    return draws, f"{n} draws in {d} dimension{'s' if d > 1 else ''}"


def _call(name: str, what: str, fn: Callable[[], Estimate]) -> Row:
    """Runs one estimator, its warnings recorded rather than shown and its refusal kept."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except ValueError as exc:
            return Row(name, what, None, (), str(exc))
    said = tuple(dict.fromkeys(str(w.message) for w in caught))  # each message once, in order
    return Row(name, what, result, said, "")


def _subsample(a: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    return a if a.shape[0] <= count else a[np.sort(rng.choice(a.shape[0], count, replace=False))]


def _subsamples(
    what: str, x: np.ndarray, y: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, str]:
    """At most ``count`` draws of each sample, seeded, and the call ``what`` saying so if cut."""
    xs, ys = _subsample(x, count, rng), _subsample(y, count, rng)
    if xs.shape[0] < x.shape[0] or ys.shape[0] < y.shape[0]:
        what += f" on a seeded subsample of {xs.shape[0]} and {ys.shape[0]} draws"
    return xs, ys, what


def estimate_files(
    x_path: str | Path,
    y_path: str | Path,
    *,
    level: float = 0.95,
    seed: int = 0,
    w1_draws: int = 2000,
    kid_draws: int = 5000,
    permutations: int = 200,
    allow_wide: bool = False,
) -> Report:
    """Every estimate of :mod:`divergences.estimate` that applies to the draws in two files.

    Args:
      x_path: the draws of P (``.npy`` or ``.csv``, one draw a row).
      y_path: the draws of Q, of P's dimension.
      level: the intervals' coverage, in ``(0, 1)``.
      seed: the seed of the splits, the W1 subsample and the test's relabellings, ``>= 0``.
      w1_draws: the most draws of each file the exact W1 takes (a seeded subsample beyond it:
        exact transport between 10^4 draws takes minutes).
      kid_draws: the most draws of each file KID takes (a seeded subsample beyond it: its cost
        is that of ``X X^T``, ``Y Y^T`` and ``X Y^T``, a minute and more at 10^4 x 2048).
      permutations: the MMD test's random relabellings.
      allow_wide: read an array with more coordinates than draws as it is.

    Returns:
      A :class:`Report`.

    Raises:
      ValueError: for a file :func:`load_draws` refuses, or two files of different dimensions.
    """
    x, x_read = load_draws(x_path, allow_wide=allow_wide)
    y, y_read = load_draws(y_path, allow_wide=allow_wide)
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"{x_path} and {y_path} must hold draws of one dimension: {x_path} has "
            f"{x.shape[1]} coordinates a draw, {y_path} has {y.shape[1]}"
        )
    d = x.shape[1]
    rng = np.random.default_rng(seed)
    xw, yw, w1_what = _subsamples("w1(x, y)", x, y, w1_draws, rng)
    xk, yk, kid_what = _subsamples("kid(x, y)", x, y, kid_draws, rng)
    rows = [
        _call("KL(P || Q)", "kl(x, y)", lambda: estimate.kl(x, y, level=level, seed=seed)),
        _call("KL(Q || P)", "kl(y, x)", lambda: estimate.kl(y, x, level=level, seed=seed)),
        _call("JS(P, Q)", "js(x, y)", lambda: estimate.js(x, y, level=level, seed=seed)),
        _call("W1(P, Q)", w1_what, lambda: estimate.w1(xw, yw, level=level, seed=seed)),
    ]
    if d == 1:
        rows.append(
            _call("W1(P, Q), DKW", "w1_dkw(x, y)", lambda: estimate.w1_dkw(x, y, level=level))
        )
    rows += [
        _call("MMD^2(P, Q)", "mmd_squared(x, y)", lambda: estimate.mmd_squared(x, y, level=level)),
        _call(
            "MMD^2(P, Q), normal",
            'mmd_squared(x, y, interval="normal")',
            lambda: estimate.mmd_squared(x, y, level=level, interval="normal"),
        ),
        _call("KID(P, Q)", kid_what, lambda: estimate.kid(xk, yk, level=level)),
        _call("FD(P, Q)", "frechet(x, y)", lambda: estimate.frechet(x, y, level=level, seed=seed)),
        _call("H(P)", "entropy(x)", lambda: estimate.entropy(x, level=level, seed=seed)),
        _call("H(Q)", "entropy(y)", lambda: estimate.entropy(y, level=level, seed=seed)),
    ]
    test, test_error = None, ""
    try:
        test = estimate.mmd_test(x, y, permutations=permutations, seed=seed)
    except ValueError as exc:
        test_error = str(exc)
    inputs = tuple(
        {"path": str(p), "shape": list(a.shape), "read_as": how}
        for p, a, how in ((x_path, x, x_read), (y_path, y, y_read))
    )
    return Report(inputs, float(level), seed, tuple(rows), test, test_error)


def _number(v: float) -> str:
    return f"{v:.4g}"


def _interval(e: Estimate) -> str:
    if e.sides == "lower":
        return f">= {_number(e.lower_bound)}"
    if e.sides == "upper":
        return f"<= {_number(e.upper_bound)}"
    if e.sides == "none":
        return "none"
    return f"[{_number(e.lower_bound)}, {_number(e.upper_bound)}]"


def format_table(report: Report) -> str:
    """The report as text: the inputs, one line an estimate, the test, the estimators' refusals."""
    lines = [f"{'x' if i == 0 else 'y'}: {s['path']}, {s['read_as']}" for i, s in
             enumerate(report.inputs)]  # fmt: skip
    head = (
        "estimate", "value", f"interval ({report.level:.0%})", "kind", "coverage claimed",
        "assumption",
    )  # fmt: skip
    body = []
    for r in report.rows:
        e = r.result
        if e is None:
            continue
        claimed = "yes" if e.claims_coverage else "no"
        body.append((r.name, _number(e.value), _interval(e), e.kind, claimed, e.assumption))
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(5)]
    for row in (head, *body):
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
        if row is head:
            lines.append("  ".join("-" * w for w in [*widths, len(head[5])]))
    for r in report.rows:
        if r.result is not None and "subsample" in r.estimator:
            flag = r.estimator.split("(")[0]  # w1 or kid: its --w1-draws or --kid-draws
            lines.append(f"{r.name}: {r.estimator} (--{flag}-draws)")
    t = report.test
    if t is not None:
        lines.append(
            f"MMD permutation test of P == Q: p = {t.p_value:.4g} ({t.permutations} "
            f"relabellings; type-I error at most alpha for every n), statistic {t.statistic:.4g}"
        )
    refused = [(r.name, r.estimator, r.error) for r in report.rows if r.error]
    if report.test_error:
        refused.append(("MMD test", "mmd_test(x, y)", report.test_error))
    for name, what, why in refused:
        lines.append(f"not estimated: {name}, {what}: {why}")
    return "\n".join(lines)


def _finite_or_text(v: float) -> float | str:
    """A float for JSON: ``inf`` and ``-inf`` as the strings ``"inf"`` and ``"-inf"``."""
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def _row_json(r: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "estimator": r.estimator}
    if r.result is None:
        return {**out, "error": r.error}
    e = r.result
    out.update(
        {k: _finite_or_text(v) if isinstance(v, float) else v for k, v in e._asdict().items()}
    )
    out["claims_coverage"] = e.claims_coverage
    out["bound"] = None if e.bound is None else _finite_or_text(e.bound)
    out["warnings"] = list(r.warnings)
    return out


def to_json(report: Report) -> str:
    """The report as JSON (strict: an infinite end is the string ``"inf"``)."""
    t = report.test
    test: dict[str, Any] = {"name": "MMD permutation test of P == Q"}
    test.update(t._asdict() if t is not None else {"error": report.test_error})
    doc = {
        "x": report.inputs[0],
        "y": report.inputs[1],
        "level": report.level,
        "seed": report.seed,
        "estimates": [_row_json(r) for r in report.rows],
        "test": test,
    }
    return json.dumps(doc, indent=2, allow_nan=False)
