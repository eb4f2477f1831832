"""Hypothesis strategies for the proofs.

The pmfs come from :mod:`divergences.testing` (exact zeros, disjoint supports, tiny and
near-degenerate masses), on a small fixed set of sizes so that JAX compiles each kernel a few
times, not once per example. The measures with points for Wasserstein-1 are drawn here, with
masses the LP solvers resolve.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from divergences import testing

SIZES = (3, 6)


def pmfs(
    n: int | None = None, *, positive: bool = False, extreme: bool = False
) -> st.SearchStrategy[np.ndarray]:
    """A pmf of length ``n`` (drawn from SIZES when None), with exact zeros.

    ``extreme`` adds tiny masses (down to the smallest normal double) and near-degenerate pmfs
    (one mass within 1e-6 of 1 or closer); ``positive`` draws interior points of the simplex only.

    Extreme masses are off by default because most steps form intermediate quantities from the
    masses, such as the mixture (p + q) / 2, a product of marginals or 1 - D*: half of the
    smallest normal double is subnormal, which XLA on CPU flushes to zero, and
    1 - p / (p + tiny) rounds to 0. Those are limits of float64, not of the derivations; the steps
    about extreme masses ask for them explicitly.
    """
    off = not positive
    return testing.pmfs(
        SIZES if n is None else n, zeros=off, tiny=extreme and off, degenerate=extreme and off
    )


def pmf_pairs(
    *, disjoint: bool | None = None, extreme: bool = False
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray]]:
    """Two pmfs on one space, in any relation or with disjoint supports.

    Any relation (independent, identical, disjoint, shared zeros) by default, or disjoint supports
    only; ``extreme`` as in :func:`pmfs`.
    """
    relation = "any" if disjoint is None else "disjoint"
    return testing.pmf_pairs(SIZES, relation=relation, tiny=extreme, degenerate=extreme)


def pmf_triples(
    *, extreme: bool = False
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Three pmfs on one space, degenerate triangles included; ``extreme`` as in :func:`pmfs`."""
    return testing.pmf_triples(SIZES, tiny=extreme, degenerate=extreme)


@st.composite
def lp_pmfs(draw: st.DrawFn, n: int) -> np.ndarray:
    """A pmf from small integers, exact zeros included, without the tiny masses of :func:`pmfs`.

    The LP solvers behind Wasserstein-1 accept a solution whose constraints hold to their
    feasibility tolerance (HiGHS: 1e-7), so a mass of 1e-9 is below what they resolve.
    """
    w = np.asarray(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)), dtype=np.float64)
    if w.sum() == 0:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w / w.sum()


@st.composite
def point_measures(
    draw: st.DrawFn, *, dim: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two discrete measures ``(x, a, y, b)`` in ``R^dim`` with 4 and 3 atoms (zeros allowed).

    Coordinates are multiples of 1/2 plus a per-atom offset (multiples of 0.01), so the atoms of
    each measure are distinct while atoms of x and y may coincide (a zero cost).
    """
    coords = st.integers(-6, 6).map(lambda k: k / 2.0)
    x = np.asarray(draw(st.lists(coords, min_size=4 * dim, max_size=4 * dim))).reshape(4, dim)
    y = np.asarray(draw(st.lists(coords, min_size=3 * dim, max_size=3 * dim))).reshape(3, dim)
    x = x + np.array([0.0, 0.01, 0.02, 0.03])[:, None]
    y = y + np.array([0.0, 0.01, 0.02])[:, None]
    return x, draw(lp_pmfs(4)), y, draw(lp_pmfs(3))
