"""Fuzzing the sparse W1 solver against POT.

Sizes 1 to 600, dimensions 1 to 5, ties, duplicates, zero and tiny weights, float32, coordinates
scaled from 1e-12 to 1e12 and offset by 1e8. The reference is POT's network simplex on costs from
direct differences (``ot.dist``'s ``|x|^2 + |y|^2 - 2 x.y`` loses the digits of near points), scaled
to [0.5, 1) for its absolute tolerances. A fuzz test: a larger budget than the others, deselected by
``-m "not fuzz"``.
"""

from __future__ import annotations

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st

import divergences as dv
from divergences.testing import tolerance
from divergences.testing.profiles import at_most

pytestmark = [pytest.mark.native, pytest.mark.fuzz]


def _reference(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """POT on float64 costs from direct differences, solved at scale 1 and scaled back."""
    diff = x[:, None, :] - y[None, :, :]
    cost = np.sqrt(np.sum(diff * diff, axis=-1))
    top = float(cost.max(initial=0.0))
    e = int(np.frexp(top)[1]) if top > 0 else 0
    value = ot.emd2(a, b, np.ldexp(cost, -e), numItermax=10**8)
    return float(np.ldexp(value, e))


def _weights(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    if kind == "uniform":
        w = np.ones(n)
    elif kind == "dirichlet":
        w = rng.dirichlet(np.full(n, 0.3))
    elif kind == "tiny":  # some masses 1e-12 of the others
        w = rng.random(n) + 0.1
        w[rng.random(n) < 0.3] *= 1e-12
    else:  # zeros
        w = rng.random(n)
        w[rng.random(n) < 0.3] = 0.0
        if not w.any():
            w[0] = 1.0
    return w / w.sum()


def _points(rng: np.random.Generator, n: int, d: int, layout: str, base: np.ndarray):
    if layout == "gaussian":
        return rng.normal(size=(n, d))
    if layout == "ties":  # an integer grid: many equal distances
        return rng.integers(-3, 4, (n, d)).astype(float)
    return base[rng.integers(0, base.shape[0], n)]  # duplicates of a few sites


@at_most(30)
@given(
    n=st.integers(1, 600),
    m=st.integers(1, 600),
    d=st.integers(1, 5),
    layout=st.sampled_from(["gaussian", "ties", "duplicates"]),
    weights=st.sampled_from(["uniform", "dirichlet", "tiny", "zeros"]),
    exponent=st.floats(-12, 12),
    offset=st.sampled_from([0.0, 1e8]),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**32 - 1),
)
def test_sparse_agrees_with_pot(n, m, d, layout, weights, exponent, offset, dtype, seed):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(int(rng.integers(1, 6)), d))
    scale = 10.0**exponent
    x = (_points(rng, n, d, layout, base) * scale + offset).astype(dtype)
    y = (_points(rng, m, d, layout, base) * scale + offset + 0.5 * scale).astype(dtype)
    a, b = _weights(rng, n, weights).astype(dtype), _weights(rng, m, weights).astype(dtype)
    sol = dv.w1_primal(x, y, a, b, method="sparse", rtol=0.0)
    # The reference on the very floats given (float32 weights renormalised in float64, as the
    # solver matches b's total to a's).
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = _reference(x64, y64, a64 / a64.sum(), b64 / b64.sum())
    diameter = float(np.max(np.ptp(np.concatenate([x64, y64]), axis=0), initial=0.0))
    tol = tolerance("float32" if dtype == np.float32 else "lp")
    atol = tol["rtol"] * diameter + 1e-300
    assert abs(float(sol.value) - ref) <= tol["rtol"] * ref + atol
    assert float(sol.lower_bound) <= ref + atol and ref - atol <= float(sol.upper_bound)
    rows, cols, mass = (
        np.asarray(t, np.float64) for t in (sol.plan.rows, sol.plan.cols, sol.plan.mass)
    )
    assert np.all(mass >= 0) and len(mass) <= n + m - 1
    rows, cols = rows.astype(int), cols.astype(int)
    marginal = 1e-6 if dtype == np.float32 else 1e-9
    assert np.max(np.abs(np.bincount(rows, weights=mass, minlength=n) - a64)) <= marginal
    assert np.max(np.abs(np.bincount(cols, weights=mass, minlength=m) - b64)) <= marginal
