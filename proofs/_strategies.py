"""Hypothesis strategies for the proofs: pmfs with exact zeros, disjoint supports, tiny masses.

Sizes come from a small fixed set so that JAX compiles each kernel a few times, not once per
example. Masses are drawn as small integers (0 included) or a tiny positive number, then divided
by their sum, so zeros are exact and sums are 1 to rounding.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SIZES = (3, 6)

_WEIGHT = st.one_of(st.integers(0, 9).map(float), st.just(1e-9))


@st.composite
def pmfs(draw: st.DrawFn, n: int | None = None, *, positive: bool = False) -> np.ndarray:
    """A pmf of length ``n`` (drawn from SIZES when None), with exact zeros unless ``positive``."""
    n = draw(st.sampled_from(SIZES)) if n is None else n
    w = draw(st.lists(_WEIGHT, min_size=n, max_size=n))
    w = np.asarray(w, dtype=np.float64)
    if positive:
        w = w + 1.0
    if w.sum() == 0:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w / w.sum()


@st.composite
def pmf_pairs(draw: st.DrawFn, *, disjoint: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs on one space; ``disjoint=True`` forces disjoint supports, None lets it happen."""
    n = draw(st.sampled_from(SIZES))
    if disjoint is None:
        disjoint = draw(st.booleans()) and draw(st.booleans())
    if not disjoint:
        return draw(pmfs(n)), draw(pmfs(n))
    k = draw(st.integers(1, n - 1))
    perm = np.asarray(draw(st.permutations(range(n))))
    p = np.zeros(n)
    q = np.zeros(n)
    p[perm[:k]] = draw(pmfs(k))
    q[perm[k:]] = draw(pmfs(n - k))
    return p, q


@st.composite
def pmf_triples(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three pmfs on one space."""
    n = draw(st.sampled_from(SIZES))
    return draw(pmfs(n)), draw(pmfs(n)), draw(pmfs(n))


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
