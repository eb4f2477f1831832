"""The JAX part of each W1 function is one compiled program.

Each W1 function's JAX part is ``jax.jit``-compiled (the runner's traced paths, ``w1_1d``'s
program) and so are the named costs: a call outside ``jax.jit`` (eagerly, under ``vmap``
or ``grad`` alone) builds a few programs at a new shape, not one per operation, and none at a shape
it has seen.
"""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

import divergences as dv
from tests.helpers import programs_built

# A fresh size for every call of _clouds: a shape no earlier test of the session has used.
_SIZES = itertools.count(23)


def _clouds() -> tuple[np.ndarray, np.ndarray]:
    n = next(_SIZES)
    rng = np.random.default_rng(n)
    return rng.normal(size=(n, 2)), rng.normal(size=(n + 1, 2))


def _batches() -> tuple[np.ndarray, np.ndarray]:
    x, y = _clouds()
    return np.stack([x, x + 1.0]), np.stack([y, -y])


def _lines() -> tuple[np.ndarray, np.ndarray]:
    x, y = _clouds()
    return x[:, 0], y[:, 0]


def _potential() -> tuple[dv.W1Dual, np.ndarray]:
    x, y = _clouds()
    return dv.w1_dual(x, y), x[:5] + 0.5


CALLS = {
    "cost_matrix": (lambda x, y: dv.cost_matrix(x, y), _clouds),
    "cost_matrix cityblock": (lambda x, y: dv.cost_matrix(x, y, metric="cityblock"), _clouds),
    "w1_1d": (dv.w1_1d, _lines),
    "grad w1_1d": (jax.grad(dv.w1_1d), _lines),
    "w1_primal": (lambda x, y: dv.w1_primal(x, y).value, _clouds),
    "vmap w1_primal": (jax.vmap(lambda x, y: dv.w1_primal(x, y).value), _batches),
    "grad w1_primal": (jax.grad(lambda x, y: dv.w1_primal(x, y).value), _clouds),
    "vmap w1_dual": (jax.vmap(lambda x, y: dv.w1_dual(x, y).value), _batches),
    "grad w1_dual": (jax.grad(lambda x, y: dv.w1_dual(x, y).value), _clouds),
    "grad kr_potential": (
        jax.grad(lambda d, z: dv.kr_potential(d, z).sum(), argnums=1),
        _potential,
    ),
    "lipschitz_violation": (lambda x, y: dv.lipschitz_violation(x[:, 0], y[:-1]), _clouds),
}
SPARSE_CALLS = {
    "vmap w1_primal sparse": (
        jax.vmap(lambda x, y: dv.w1_primal(x, y, method="sparse").value),
        _batches,
    ),
    "grad w1_dual sparse": (
        jax.grad(lambda x, y: dv.w1_dual(x, y, method="sparse").value),
        _clouds,
    ),
}


def test_the_count_sees_a_new_program():
    """The counter itself: a jitted function at a new shape is one program, then none."""
    fn = jax.jit(lambda t: t * 2.0 + 1.0)
    t = np.arange(next(_SIZES), dtype=float)
    assert programs_built(fn, t) == 1
    assert programs_built(fn, t) == 0


def _check(fn, make):
    args = make()
    # At a new shape: the function's program, its derivative's, and the value checks on traced
    # input, which run one operation at a time (shared by every function, so an earlier test may
    # have built them: at most ~30 in a fresh process). Before one program per function: 48 to 83 under vmap
    # or grad of w1_dual and w1_primal with those shared ones built already, and 1 to 4 again at
    # the same shape (the Euclidean cost's lax.cond branches, built afresh on every call).
    assert programs_built(fn, *args) <= 40
    assert programs_built(fn, *args) == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", CALLS)
def test_a_call_outside_jit_builds_few_programs_and_none_again(name):
    _check(*CALLS[name])


@pytest.mark.slow
@pytest.mark.native
@pytest.mark.parametrize("name", SPARSE_CALLS)
def test_a_sparse_call_outside_jit_builds_few_programs_and_none_again(name):
    _check(*SPARSE_CALLS[name])
