"""Small helpers shared by the test modules: fixed cases and a finite-difference check."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from divergences.testing import tolerance

#: A fixed batch of pairs of length 4 that covers the hard cases row by row: interior, shared
#: zeros, p zero where q is positive, disjoint supports, identical, a point mass.
P_BATCH = np.array(
    [
        [0.1, 0.2, 0.3, 0.4],
        [0.5, 0.5, 0.0, 0.0],
        [0.0, 0.25, 0.25, 0.5],
        [0.5, 0.5, 0.0, 0.0],
        [0.2, 0.3, 0.0, 0.5],
        [1.0, 0.0, 0.0, 0.0],
    ]
)
Q_BATCH = np.array(
    [
        [0.25, 0.25, 0.25, 0.25],
        [0.3, 0.7, 0.0, 0.0],
        [0.1, 0.2, 0.3, 0.4],
        [0.0, 0.0, 0.4, 0.6],
        [0.2, 0.3, 0.0, 0.5],
        [0.7, 0.1, 0.1, 0.1],
    ]
)

#: Pairs where every divergence of the package is finite, with zero mass present: p has a zero
#: where q is positive, and both share a zero.
P_ZERO = np.array([0.5, 0.3, 0.0, 0.2, 0.0])
Q_ZERO = np.array([0.25, 0.25, 0.3, 0.2, 0.0])

#: An interior pair (all masses well inside (0, 1)), for finite differences.
P_IN = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
Q_IN = np.array([0.35, 0.15, 0.2, 0.2, 0.1])


def zero_sum_directions(n: int) -> np.ndarray:
    """The directions ``e_i - e_j`` (i < j): they span the tangent space of the simplex."""
    rows = []
    for i in range(n):
        for j in range(i + 1, n):
            v = np.zeros(n)
            v[i], v[j] = 1.0, -1.0
            rows.append(v)
    return np.array(rows)


def check_gradient_by_finite_differences(
    f: Callable[[jax.Array, jax.Array], jax.Array], p: np.ndarray, q: np.ndarray, h: float = 1e-6
) -> None:
    """Asserts ``grad f . v`` equals the central difference along every direction ``v``.

    The zero-sum directions keep the masses summing to one: the derivative the user sees on the
    simplex. The all-ones direction leaves it (harmless under ``jit``, where value checks are
    opt-in) and completes the basis, so the whole gradient is checked, not only its part
    tangent to the simplex: a custom JVP off by a multiple of (1, ..., 1) fails here.
    """
    fj = jax.jit(f)
    gp, gq = jax.jit(jax.grad(f, argnums=(0, 1)))(jnp.asarray(p), jnp.asarray(q))
    dirs = [*zero_sum_directions(p.size), np.ones(p.size)]
    for v in dirs:
        for which, g in ((0, gp), (1, gq)):
            args_plus = [p, q]
            args_minus = [p, q]
            args_plus[which] = args_plus[which] + h * v
            args_minus[which] = args_minus[which] - h * v
            fd = (float(fj(*args_plus)) - float(fj(*args_minus))) / (2 * h)
            np.testing.assert_allclose(float(g @ v), fd, **tolerance("gradient"))


def assert_leq(a: float, b: float, kind: str = "float64") -> None:
    """Asserts ``a <= b`` up to the tolerance of ``kind`` (an inequality in floating point)."""
    tol = tolerance(kind)
    assert a <= b or a <= b + tol["atol"] + tol["rtol"] * abs(b), f"{a!r} > {b!r}"
