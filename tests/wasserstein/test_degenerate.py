"""Degenerate data for the sparse solver solve to optimality, against POT.

Duplicated and massively tied supports (integer grids, repeated points, all points equal, collinear)
solve under method="auto", with the plan in the user's indexing.
"""

from __future__ import annotations

import numpy as np
import ot
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.testing import tolerance
from divergences.wasserstein._src.host.atoms import merge_duplicates, split_plan

LP = tolerance("lp")


def _pot(x, y, a, b):
    return float(ot.emd2(a, b, cdist(x, y), numItermax=10**8))


def _pot_on_atoms(x, y, a, b):
    """POT on the distinct points with their summed masses (the same problem, exactly)."""
    ux, ix = np.unique(x, axis=0, return_inverse=True)
    uy, iy = np.unique(y, axis=0, return_inverse=True)
    wa = np.bincount(ix.reshape(-1), weights=a)
    wb = np.bincount(iy.reshape(-1), weights=b)
    return _pot(ux, uy, wa, wb)


def _check(sol, x, y, a, b, ref):
    n, m = len(x), len(y)
    np.testing.assert_allclose(float(sol.value), ref, **LP)
    assert float(sol.lower_bound) <= ref * (1 + 1e-12) + 1e-15
    assert ref <= float(sol.upper_bound) * (1 + 1e-12) + 1e-15
    plan = sol.plan
    assert isinstance(plan, dv.SparsePlan)
    assert len(plan.mass) <= n + m - 1
    rows, cols, mass = (np.asarray(t) for t in (plan.rows, plan.cols, plan.mass))
    assert mass.min() >= 0
    np.testing.assert_allclose(np.bincount(rows, weights=mass, minlength=n), a, **LP)
    np.testing.assert_allclose(np.bincount(cols, weights=mass, minlength=m), b, **LP)
    cost = np.linalg.norm(x[rows] - y[cols], axis=1)
    np.testing.assert_allclose(float(mass @ cost), ref, **LP)


# In the slow tier: test_rounded_gaussians_twenty_thousand_points (an integer grid past the
# sparse threshold, under auto) and test_heavy_duplication_against_pot stay quick.
@pytest.mark.slow
@pytest.mark.native
def test_the_reported_integer_grid_under_auto():
    """2001 and 2002 points on a 3 x 3 grid: merged into 9 atoms a side, the solve is immediate.

    Past the sparse threshold, the problem was once refused after max_rounds.
    """
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (2001, 2)).astype(float)
    y = rng.integers(0, 3, (2002, 2)).astype(float)
    a, b = np.full(2001, 1 / 2001), np.full(2002, 1 / 2002)
    sol = dv.w1_primal(x, y)  # method="auto": sparse (2001 * 2002 > 4e6 pairs)
    _check(sol, x, y, a, b, _pot(x, y, a, b))
    dual = dv.w1_dual(x, y)
    np.testing.assert_allclose(float(dual.value), float(sol.value), **LP)


@pytest.mark.native
def test_rounded_gaussians_twenty_thousand_points():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(20_000, 2)) * 3)
    y = np.round(rng.normal(size=(20_000, 2)) * 3 + 0.5)
    a = b = np.full(20_000, 1 / 20_000)
    sol = dv.w1_primal(x, y)
    _check(sol, x, y, a, b, _pot_on_atoms(x, y, a, b))


@pytest.mark.native
@pytest.mark.parametrize("geometry", ["all equal", "collinear", "one point against many"])
def test_tied_supports(geometry):
    rng = np.random.default_rng(1)
    n, m = 301, 257
    if geometry == "all equal":
        x, y = np.full((n, 2), 3.0), np.full((m, 2), 3.0)
    elif geometry == "collinear":
        t = rng.integers(0, 50, n + m).astype(float)
        line = np.stack([t, 2 * t + 1], axis=1)
        x, y = line[:n], line[n:]
    else:
        x, y = np.zeros((1, 2)), rng.integers(0, 4, (m, 2)).astype(float)
        n = 1
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    sol = dv.w1_primal(x, y, a, b, method="sparse", rtol=0.0)
    _check(sol, x, y, a, b, _pot(x, y, a, b))


@pytest.mark.native
@given(
    n=st.integers(1, 90),
    m=st.integers(1, 90),
    d=st.integers(1, 3),
    sites=st.integers(1, 6),
    alpha=st.sampled_from([0.05, 1.0, 20.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_heavy_duplication_against_pot(n, m, d, sites, alpha, seed):
    """A few locations, many copies of each, n != m, Dirichlet weights, against POT.

    With alpha 0.05 most mass is on a few copies and many are almost empty; POT solves the points as
    given.
    """
    rng = np.random.default_rng(seed)
    base = rng.integers(-2, 3, (sites, d)).astype(float)
    x = base[rng.integers(0, sites, n)]
    y = base[rng.integers(0, sites, m)] + (rng.integers(0, 2) * 0.5)
    a, b = rng.dirichlet(np.full(n, alpha)), rng.dirichlet(np.full(m, alpha))
    sol = dv.w1_primal(x, y, a, b, method="sparse", rtol=0.0)
    _check(sol, x, y, a, b, _pot(x, y, a, b))


def _check_split(x, y, a, b):
    """Splits POT's optimal plan between the atoms and checks it on the copies.

    The plan of the atoms of ``(x, a)`` and ``(y, b)``, split, is a coupling of the copies, with the
    same cost, in at most K + (n - N) + (m - M) arcs.
    """
    n, m = len(a), len(b)
    ax, ay = merge_duplicates(x, a), merge_duplicates(y, b)
    np.testing.assert_array_equal(ax.points[ax.atom], x)
    np.testing.assert_allclose(ax.mass.sum(), 1.0, **LP)
    cost_atoms = cdist(ax.points, ay.points)
    plan = ot.emd(ax.mass, ay.mass, cost_atoms)
    rows, cols = np.nonzero(plan)
    i, j, w = split_plan(rows, cols, plan[rows, cols], ax, a, ay, b)
    assert len(w) <= len(rows) + (n - len(ax.mass)) + (m - len(ay.mass))
    assert np.all(w > 0)  # no empty arcs (they were made between a zero-mass atom's copies)
    np.testing.assert_allclose(np.bincount(i, weights=w, minlength=n), a, **LP)
    np.testing.assert_allclose(np.bincount(j, weights=w, minlength=m), b, **LP)
    cost = np.linalg.norm(x[i] - y[j], axis=1)
    np.testing.assert_allclose(w @ cost, np.sum(plan * cost_atoms), **LP)
    return ax, ay


def test_split_with_a_share_rounded_past_one():
    """Found by ``make stress``: a copy's cumulative share rounded above 1 (an IndexError).

    A copy's cumulative share of its atom's mass rounded to just above 1, which paired it with an
    item past the last. The split is pure NumPy, so this runs with or without the compiled solver.
    """
    n, m, sites, alpha = 71, 73, 2, 0.05
    rng = np.random.default_rng(0)
    base = rng.integers(-2, 3, (sites, 1)).astype(float)
    x = base[rng.integers(0, sites, n)]
    y = base[rng.integers(0, sites, m)] + (rng.integers(0, 2) * 0.5)
    a, b = rng.dirichlet(np.full(n, alpha)), rng.dirichlet(np.full(m, alpha))
    _check_split(x, y, a, b)


@pytest.mark.parametrize("where", ["last", "first"])
def test_split_with_an_atom_whose_copies_all_weigh_zero(where):
    """Found by ``make stress``: an atom of zero mass was cut as if it had mass.

    With Dirichlet weights underflowing to 0, an atom of zero mass, which no arc leaves, was paired
    with an arc of the next atom: an empty arc to a copy of another atom, or past the last one after
    the last atom (an IndexError). Its copies now get no arc, on either side of the plan.
    """
    x = np.array([[0.0], [0.0], [1.0], [1.0]])
    a = np.array([0.5, 0.5, 0.0, 0.0])
    if where == "first":
        x, a = x[::-1].copy(), a[::-1].copy()
    y = np.array([[0.0], [2.0], [2.0]])
    b = np.array([0.5, 0.25, 0.25])
    for args in ((x, y, a, b), (y, x, b, a)):
        _check_split(*args)


def test_merge_and_split_are_exact():
    """The split of an atoms' coupling is a coupling of the copies, with the same cost.

    It has at most K + (n - N) + (m - M) arcs.
    """
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, (40, 1)).astype(float)
    y = rng.integers(0, 4, (33, 1)).astype(float)
    a, b = rng.dirichlet(np.ones(40)), rng.dirichlet(np.ones(33))
    ax, ay = _check_split(x, y, a, b)
    assert len(ax.mass) <= 3 and len(ay.mass) <= 4
    # No duplicates: nothing is copied or changed.
    z = rng.random((5, 2))
    assert merge_duplicates(z, np.full(5, 0.2)).points is z
