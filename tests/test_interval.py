"""One vocabulary for an interval: ends named lower_bound and upper_bound, one contains test.

Every result with ends names them so, and its ``contains`` is the one closed, elementwise test,
eagerly and under ``jit`` and ``vmap``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.continuous.certified import Enclosure
from divergences.estimate import Estimate
from divergences.extending import Interval, interval_contains
from divergences.testing.exact_w1 import ExactW1


def test_the_ends_are_closed_and_nan_is_outside() -> None:
    w = Interval(1.0, 2.0)
    assert [w.contains(t) for t in (0.5, 1.0, 1.5, 2.0, 2.5, math.nan)] == [
        False, True, True, True, False, False,
    ]  # fmt: skip
    assert type(w.contains(1.5)) is bool
    # Exact ends: 1/3 is no float, and the float nearest it lies on one side.
    third = Interval(Fraction(1, 3), Fraction(1, 3))
    assert third.contains(Fraction(1, 3)) and not third.contains(1 / 3)


def test_elementwise_over_arrays_of_ends_and_of_points() -> None:
    lower, upper = np.array([0.0, 1.0, np.nan]), np.array([1.0, 3.0, 4.0])
    got = interval_contains(lower, upper, np.array([[0.5], [2.0]]))
    np.testing.assert_array_equal(got, [[True, False, False], [False, True, False]])


def test_every_result_with_ends_uses_the_names_and_the_test() -> None:
    est = Estimate(0.5, 0.25, 1.0, 0.95, "finite-sample", "two-sided", "", "", 10, 10, "W1")
    enc = Enclosure(0.5, 0.25, 1.0, "closed form")
    for r in (est, enc, Interval(0.25, 1.0)):
        assert (r.lower_bound, r.upper_bound) == (0.25, 1.0)
        assert r.contains(0.25) and r.contains(1.0) and not r.contains(1.5)
    exact = ExactW1([[0.0, 0.0]], [[3.0, 4.0]]).enclosure()
    assert exact.contains(5) and not exact.contains(5.000000000000001)


# In the slow tier: test_auto.py runs w1_primal's methods eagerly and under jit and vmap.
@pytest.mark.slow
def test_w1_primal_contains_its_value_eagerly_and_under_jit_and_vmap() -> None:
    x = jnp.array([[0.0], [1.0], [3.0]])
    y = jnp.array([[0.5], [2.0], [2.5]])
    sol = dv.w1_primal(x, y)
    assert bool(sol.contains(sol.value)) and not bool(sol.contains(sol.upper_bound * 2 + 1))

    def inside(shift):
        r = dv.w1_primal(x + shift, y)
        return r.contains(r.value), r.contains(r.upper_bound + 1.0)

    held, beyond = jax.jit(inside)(0.0)
    assert held.dtype == bool and bool(held) and not bool(beyond)
    held, beyond = jax.vmap(inside)(jnp.array([0.0, 1.0, -2.0]))
    assert held.shape == (3,) and bool(held.all()) and not bool(beyond.any())


@pytest.mark.parametrize("name", ["w1_grid", "w1_batch"])
def test_the_other_w1_results_contain_their_values(name: str) -> None:
    if name == "w1_grid":
        r = dv.w1_grid(np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5]))
    else:
        r = dv.w1_batch([(np.array([[0.0], [1.0]]), np.array([[2.0], [1.0]]))])
    assert np.all(r.contains(r.value)) and not np.any(r.contains(np.asarray(r.upper_bound) + 1))
