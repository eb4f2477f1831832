"""The rows of ``divergences estimate``: what a row and the report hold, and the rows that share a call.

A :class:`Row` is one estimate or why it was not made, a :class:`Report` the command's whole
result; the runner (:mod:`~divergences.lab.estimate.estimate_command`) fills them and the printer
(:mod:`~divergences.lab.estimate.estimate_report`) reads them, each importing this module, not the other.

Precision, recall, density and coverage are one search; the memorisation rows one search and
one test; the trained discriminator's bounds and its test one fit. Each is computed once, when
its first row runs (:func:`shared`), and each row reads its field. And the draws each row
takes (:func:`planned_draws`): every draw of a file up to the row's cap, a seeded subsample
beyond it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from divergences import estimate
from divergences.estimate import Estimate

__all__ = [
    "FEATURE_UNITS",
    "FIDELITY_DRAWS",
    "TESTS",
    "Report",
    "Row",
    "capped",
    "copied_share_name",
    "discriminator_rows",
    "feature_units_note",
    "fidelity_rows",
    "memorisation_rows",
    "memorisation_test_name",
    "p_text",
    "part_of",
    "planned_draws",
    "shared",
    "subsample",
    "subsamples",
]


class Row(NamedTuple):
    """One estimate of the report, or why it was not made.

    Attributes:
      name: what is estimated, in the two laws' names (``"KL(P || Q)"``).
      estimator: the entry of :mod:`divergences.estimate` and its options, as called.
      result: the :class:`~divergences.estimate.Estimate`, or ``None`` where it was refused.
      warnings: the warnings the call raised, in words.
      error: the estimator's refusal (a ``ValueError``'s message), or ``""``.
      seconds: the call's wall time.
    """

    name: str
    estimator: str
    result: Any
    warnings: tuple[str, ...]
    error: str
    seconds: float


class Report(NamedTuple):
    """What ``divergences estimate`` prints: the inputs, the estimates and the tests.

    Attributes:
      inputs: for each file (x, then y): its path, shape as stored and how it was read.
      level: the intervals' coverage.
      seed: the seed of every random split, subsample and relabelling.
      rows: the estimates, in the order printed.
      tests: the tests of ``P == Q`` (the MMD permutation test, the classifier test), each a
        :class:`Row` whose result is a :class:`~divergences.estimate.TwoSampleTest`.
      skipped: the rows left out, each as (its names, its ``rows`` key, why).
      notes: what a row's estimator said beside its results (a held-out split too small).
    """

    inputs: tuple[dict[str, Any], ...]
    level: float
    seed: int
    rows: tuple[Row, ...]
    tests: tuple[Row, ...]
    skipped: tuple[tuple[str, str, str], ...]
    notes: tuple[str, ...] = ()


def shared(compute: Callable[[], Any]) -> Callable[[], Any]:
    """``compute``, called once for the several rows that read its result."""
    kept: list[Any] = []

    def once() -> Any:
        if not kept:
            kept.append(compute())
        return kept[0]

    return once


def fidelity_rows(
    x: np.ndarray,
    y: np.ndarray,
    level: float,
    names: tuple[str, ...] = ("precision", "recall", "density", "coverage"),
) -> list[tuple[str, Callable[[], Estimate]]]:
    """``names`` of the fidelity measures of ``y``'s draws (generated) against ``x``'s (real)."""
    both = shared(lambda: estimate.fidelity_diversity(real=x, generated=y, level=level))
    return [(n, functools.partial(part_of, both, n)) for n in names]


def part_of(whole: Callable[[], Any], name: str) -> Estimate:
    """The field ``name`` of ``whole()``'s result."""
    return getattr(whole(), name)


def memorisation_test_name(generated: str = "Q", training: str = "P") -> str:
    """The memorisation test's row name, for the model ``generated`` and its training draws."""
    return f"memorisation test: {generated}'s draws no nearer {training}'s than held-out draws"


def memorisation_rows(
    x: np.ndarray,
    y: np.ndarray,
    held: np.ndarray | None,
    level: float,
    seed: int,
    generated: str = "Q",
    training: str = "P",
    notes: list[str] | None = None,
) -> list[tuple[str, Callable[[], Any]]]:
    """The share of Q's draws that copy P's (the training draws), and the memorisation test.

    The copied share is the excess of Q's draws unauthentic near a training draw over what a
    generator that copies nothing scores there (the held-out baseline); the two raw shares go
    to ``notes``, each beside its baseline, where read alone they would look like copying.
    ``generated`` and ``training``: the samples' names in the rows (``"A"`` and ``"R"`` in a
    comparison).
    """

    def compute() -> Any:
        m = estimate.memorisation(training=x, generated=y, held_out=held, level=level, seed=seed)
        if notes is not None:
            ratio = x.shape[0] / held.shape[0]  # type: ignore[union-attr]
            notes.append(
                f"{generated}'s draws unauthentic (Alaa et al. 2022) near a training draw of "
                f"{training}: {m.training.value:.4g}, against the baseline {ratio:.4g} x "
                f"{m.held_out.value:.4g} = {ratio * m.held_out.value:.4g} (those near a held-out "
                f"draw, times training draws / held-out draws): what a generator that copies "
                f"nothing reads; the copied share is the excess"
            )
        return m

    both = shared(compute)
    return [
        (copied_share_name(generated, training), functools.partial(part_of, both, "copied")),
        (memorisation_test_name(generated, training), functools.partial(part_of, both, "test")),
    ]


def copied_share_name(generated: str = "Q", training: str = "P") -> str:
    """The copied share's row name: ``"share of Q copying P"``."""
    return f"share of {generated} copying {training}"


#: The names of the rows that are tests of ``P == Q`` (printed under the table).
TESTS = (
    "MMD permutation test of P == Q",
    "classifier test of P == Q",
    memorisation_test_name(),
)


def discriminator_rows(
    x: np.ndarray, y: np.ndarray, level: float, seed: int, model: str, notes: list[str]
) -> list[tuple[str, Callable[[], Any]]]:
    """The held-out JS, TV and KL lower bounds of a trained discriminator, and its test."""

    def fit() -> Any:
        b = estimate.discriminator_bounds(x, y, model=model, level=level, seed=seed)  # type: ignore[arg-type]
        if b.note:
            notes.append(f"trained discriminator ({b.model}): {b.note}")
        return b

    fitted = shared(fit)
    return [
        ("JS(P, Q), discriminator", lambda: fitted().js),
        ("TV(P, Q), discriminator", lambda: fitted().tv),
        ("KL(P || Q), discriminator", lambda: fitted().kl),
        (TESTS[1], lambda: fitted().test),
    ]


#: The most draws of each file the fidelity rows take by default: their k-NN passes cost
#: ``n^2 d`` (three Gram passes, 13 s at 10^4 x 2048 on the project's 2-core CPU idle; every
#: draw of 5 x 10^4 would take about 25 times that, benchmarks/estimates.md).
FIDELITY_DRAWS = 10_000
#: The most draws of each file the exact W1 takes by default (exact transport between 10^4
#: draws takes minutes).
W1_DRAWS = 2000
#: The most draws of each file the MMD rows and the test take by default (each relabelling
#: costs ``(n + m)^2 d``).
MMD_DRAWS = 5000
#: The MMD permutation test's relabellings by default.
TEST_PERMUTATIONS = 200
#: The trained discriminator's model by default.
DISCRIMINATOR_MODEL = "logistic"


def planned_draws(
    n: int,
    m: int,
    *,
    w1_draws: int | None = W1_DRAWS,
    kid_draws: int | None = None,
    mmd_draws: int | None = MMD_DRAWS,
    fidelity_draws: int | None = FIDELITY_DRAWS,
) -> dict[str, tuple[int, int]]:
    """The draws of each file each subsampled row takes, for files of ``n`` and ``m`` draws.

    A row takes every draw of a file up to its cap (``None``: no cap) and a seeded subsample of
    the cap's size beyond it. Keys: ``"w1"``, ``"kid"``, ``"mmd"`` (the MMD rows and the test)
    and ``"fidelity"``; FD, the W1 lower bound and the discriminator always take every draw.

    Example:
      >>> planned_draws(50_000, 50_000)["fidelity"], planned_draws(50_000, 50_000)["kid"]
      ((10000, 10000), (50000, 50000))
    """
    caps = {"w1": w1_draws, "kid": kid_draws, "mmd": mmd_draws, "fidelity": fidelity_draws}
    return {key: (capped(n, cap), capped(m, cap)) for key, cap in caps.items()}


def capped(size: int, cap: int | None) -> int:
    """``size`` held at ``cap`` (``None``: no cap)."""
    return size if cap is None else min(size, cap)


def subsample(a: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``a``, or a seeded subsample of ``count`` of its rows in their order where it has more."""
    if a.shape[0] <= count:
        return a
    return a[np.sort(rng.choice(a.shape[0], count, replace=False))]


def subsamples(
    what: str, x: np.ndarray, y: np.ndarray, counts: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, str]:
    """``counts`` draws of each sample (seeded where cut), and the call ``what`` saying so if cut."""
    xs, ys = subsample(x, counts[0], rng), subsample(y, counts[1], rng)
    if xs.shape[0] < x.shape[0] or ys.shape[0] < y.shape[0]:
        what += f" on a seeded subsample of {xs.shape[0]} and {ys.shape[0]} draws"
    return xs, ys, what


#: Said wherever FD or KID ran: their numbers are in the files' own feature units.
FEATURE_UNITS = (
    "FD and KID are in the units of the files' features: the same draws times c give FD times "
    "c^2, and KID another number (its cubic kernel (a.b/d + 1)^3 is not scale-free); "
    "`divergences train --data digits` reads them on its evaluator's features, so its readouts "
    "differ from these numbers on the digits' pixels"
)


def feature_units_note(done: Sequence[Row]) -> list[str]:
    """:data:`FEATURE_UNITS`, where an FD or KID row ran (``[]`` elsewhere)."""
    ran = any(r.result is not None and r.name.split("(")[0] in ("FD", "KID") for r in done)
    return [FEATURE_UNITS] if ran else []


def p_text(p: float) -> str:
    """A p-value in words: ``"p = 0.0123"``, or ``"p < 1e-300"`` below float64's normal range.

    A p-value that underflows (0, or a subnormal) is not 0: the tail probability is only below
    what float64 holds, so the bound is printed, never ``p = 0``.
    """
    return "p < 1e-300" if p < 1e-300 else f"p = {p:.4g}"
