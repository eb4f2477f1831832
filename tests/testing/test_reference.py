"""The harness' gradient check: it passes a true derivative and catches wrong ones."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.testing.reference import check_gradient, simplex_directions
from tests.helpers import P_IN, Q_IN


@jax.custom_jvp
def _kl_off_by_ones(p, q):
    return dv.kl(p, q)


@_kl_off_by_ones.defjvp
def _kl_off_by_ones_jvp(primals, tangents):
    # The true JVP plus 0.1 * sum(dp): a gradient off by 0.1 * (1, ..., 1) in p, invisible along
    # every direction that keeps the total.
    (p, q), (dp, dq) = primals, tangents
    value, dvalue = jax.jvp(dv.kl, (p, q), (dp, dq))
    return value, dvalue + 0.1 * jnp.sum(dp)


@pytest.mark.slow
def test_a_true_gradient_passes_in_both_modes() -> None:
    check_gradient(dv.kl, (P_IN, Q_IN), modes=("fwd", "rev"))


@pytest.mark.slow
def test_a_gradient_off_by_a_multiple_of_ones_fails() -> None:
    for v in simplex_directions(P_IN.size):  # tangent to the simplex, the error does not show
        g = jax.grad(_kl_off_by_ones)(P_IN, Q_IN)
        np.testing.assert_allclose(g @ v, jax.grad(dv.kl)(P_IN, Q_IN) @ v, atol=1e-12)
    with pytest.raises(AssertionError, match="argument 0, direction"):
        check_gradient(_kl_off_by_ones, (P_IN, Q_IN))


def test_simplex_directions_keep_the_total_and_span_its_tangent_space() -> None:
    d = simplex_directions(5)
    np.testing.assert_array_equal(d.sum(axis=1), 0.0)
    assert np.linalg.matrix_rank(d) == 4
