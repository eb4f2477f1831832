"""Hypothesis strategies for discrete measures with points, for Wasserstein-1.

Small, with exact zeros, repeats and ties.

Sizes come from a fixed small set so that the jitted kernels compile a handful of times only.
Points are drawn from a coarse grid mixed with arbitrary floats, so repeated points, points
shared between the two measures and disjoint supports all occur; weights contain exact zeros.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from hypothesis import strategies as st

SIZES = (1, 3, 8)
DIMS = (1, 2)

_grid = st.sampled_from([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
_coordinate = st.one_of(_grid, st.floats(-4.0, 4.0, allow_nan=False, width=64))
_mass = st.one_of(st.just(0.0), st.sampled_from([0.5, 1.0, 2.0]), st.floats(1e-3, 10.0, width=64))


class Pair(NamedTuple):
    """Two discrete measures: points ``x`` with weights ``a``, points ``y`` with weights ``b``."""

    x: np.ndarray
    y: np.ndarray
    a: np.ndarray
    b: np.ndarray


@st.composite
def points(draw: st.DrawFn, n: int, d: int) -> np.ndarray:
    """``n`` points in ``R^d`` as an ``(n, d)`` float64 array."""
    flat = draw(st.lists(_coordinate, min_size=n * d, max_size=n * d))
    return np.asarray(flat, dtype=np.float64).reshape(n, d)


@st.composite
def weights(draw: st.DrawFn, n: int) -> np.ndarray:
    """A pmf on ``n`` points with exact zeros allowed (never all zero)."""
    w = np.asarray(draw(st.lists(_mass, min_size=n, max_size=n)), dtype=np.float64)
    if w.sum() == 0:
        w[draw(st.integers(0, n - 1))] = 1.0
    return w / w.sum()


@st.composite
def measure(draw: st.DrawFn, d: int, *, uniform: bool | None = None) -> tuple:
    """One measure ``(x, a)`` in ``R^d``: uniform weights, drawn ones, or either (``None``)."""
    n = draw(st.sampled_from(SIZES))
    x = draw(points(n, d))
    use_uniform = draw(st.booleans()) if uniform is None else uniform
    a = np.full(n, 1.0 / n) if use_uniform else draw(weights(n))
    return x, a


@st.composite
def measure_pairs(draw: st.DrawFn, *, dims: tuple[int, ...] = DIMS) -> Pair:
    """Two discrete measures in the same dimension: unequal sizes, zero weights, repeats.

    One draw in eight makes ``y`` share points with ``x`` (a copy with shuffled weights).
    """
    d = draw(st.sampled_from(dims))
    x, a = draw(measure(d))
    if draw(st.integers(0, 7)) == 0:
        y = x.copy()
        b = draw(weights(x.shape[0]))
    else:
        y, b = draw(measure(d))
    return Pair(x, y, a, b)


@st.composite
def measure_triples(draw: st.DrawFn, *, dims: tuple[int, ...] = DIMS) -> tuple:
    """Three discrete measures in the same dimension, as ``((x, a), (y, b), (z, c))``."""
    d = draw(st.sampled_from(dims))
    return tuple(draw(measure(d)) for _ in range(3))


#: Scales 2^k spanning 1e-150..1e150 (2^498 is 8.2e149).
power_of_two_exponents = st.integers(-498, 498)


def stays_normal(k: int, *clouds: np.ndarray) -> bool:
    """Whether the clouds scale exactly by ``2^k``.

    True when every nonzero coordinate of the clouds is a normal float before and after scaling by
    ``2^k``, the condition under which the scaled problem is the problem scaled.

    Otherwise ``ldexp`` rounds a coordinate that leaves the normal range (to a subnormal, to 0
    or to inf), and XLA's CPU code may take a subnormal input for 0 (on some instruction sets),
    which moves a value or a derivative by a rounding.
    """
    coords = np.abs(np.concatenate([np.ravel(c) for c in clouds]))
    with np.errstate(over="ignore", under="ignore"):  # leaving the range is the answer
        scaled = np.abs(np.ldexp(coords, k))
    smallest = np.minimum(coords, scaled)
    nonzero = coords != 0
    return bool(
        np.all(np.isfinite(scaled)) and not np.any(nonzero & (smallest < np.finfo(np.float64).tiny))
    )


#: Decimal scales 10^j, j in -150..150: not powers of two, so the scaled input is rounded.
decimal_scales = st.integers(-150, 150).map(lambda j: 10.0**j)
