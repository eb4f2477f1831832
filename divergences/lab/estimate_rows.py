"""The rows of ``divergences estimate`` that read one library call several times.

Precision, recall, density and coverage are one search; the memorisation rows one search and
one test; the trained discriminator's bounds and its test one fit. Each is computed once, when
its first row runs (:func:`shared`), and each row reads its field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from divergences import estimate
from divergences.estimate import Estimate

__all__ = [
    "TESTS",
    "discriminator_rows",
    "fidelity_rows",
    "memorisation_rows",
    "part_of",
    "shared",
]

#: The names of the rows that are tests of ``P == Q`` (printed under the table).
TESTS = (
    "MMD permutation test of P == Q",
    "classifier test of P == Q",
    "memorisation test: Q's draws no nearer P's than held-out draws",
)


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


def memorisation_rows(
    x: np.ndarray, y: np.ndarray, held: np.ndarray | None, level: float, seed: int
) -> list[tuple[str, Callable[[], Any]]]:
    """Q's draws unauthentic near P's (the training draws) and near held-out ones, and the test."""
    both = shared(
        lambda: estimate.memorisation(
            training=x, generated=y, held_out=held, level=level, seed=seed
        )
    )
    return [
        ("unauthentic Q near training P", functools.partial(part_of, both, "training")),
        ("unauthentic Q near held-out P", functools.partial(part_of, both, "held_out")),
        (TESTS[2], functools.partial(part_of, both, "test")),
    ]


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
