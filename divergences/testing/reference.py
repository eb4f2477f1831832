"""Independent references for Wasserstein-1 and for gradients.

For Wasserstein-1, a primal LP of our own solved by SciPy's HiGHS and POT's network simplex; for
gradients, central finite differences, directions that keep weights on the simplex, and
:func:`check_gradient`, which holds a JAX derivative against finite differences along a basis of
directions with :func:`jax.test_util.check_grads`.

They import POT and SciPy's LP solver at module import; they are for checking, not for computing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import numpy as np
import ot
import scipy.optimize
import scipy.sparse
from jax.test_util import check_grads
from scipy.spatial.distance import cdist

from divergences.testing.tolerances import tolerance


def highs_primal(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, metric: str = "euclidean"
) -> float:
    """W1 as the transport LP ``min <P, C>``, ``P 1 = a``, ``P^T 1 = b``, ``P >= 0`` (HiGHS)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    n, m = len(x), len(y)
    cost = cdist(x, y, metric=metric)
    # Variable P_ij at index i * m + j: row sums pick a block, column sums a stride.
    rows = scipy.sparse.kron(scipy.sparse.eye(n), np.ones((1, m)))
    cols = scipy.sparse.kron(np.ones((1, n)), scipy.sparse.eye(m))
    res = scipy.optimize.linprog(
        cost.ravel(),
        A_eq=scipy.sparse.vstack([rows, cols]).tocsr(),
        b_eq=np.concatenate([a, b]),
        bounds=(0, None),
        method="highs",
        # HiGHS's tightest tolerances, no presolve: its most exact setting (see "highs" in
        # divergences/testing/tolerances.py for what is left).
        options={
            "primal_feasibility_tolerance": 1e-10,
            "dual_feasibility_tolerance": 1e-10,
            "presolve": False,
        },
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the transport LP: {res.message}")
    return float(res.fun)


def pot_value(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, metric: str = "euclidean"
) -> float:
    """W1 by POT's network simplex on SciPy's cost matrix, in float64."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    y = np.asarray(y, np.float64).reshape(len(y), -1)
    # cdist, not ot.dist: the latter expands |x - y|^2 and is not exactly 0 at coincident points.
    return float(ot.emd2(a, b, cdist(x, y, metric=metric), numItermax=10**7))


def central_difference(
    fn: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Gradient of ``fn`` at ``x`` by central differences, entry by entry."""
    x = np.asarray(x, np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        grad[idx] = (fn(x + e) - fn(x - e)) / (2 * h)
    return grad


def simplex_directions(n: int) -> np.ndarray:
    """The ``n - 1`` directions ``e_i - e_0`` that keep weights on the simplex."""
    d = np.zeros((n - 1, n))
    d[:, 0] = -1.0
    d[np.arange(n - 1), np.arange(1, n)] = 1.0
    return d


def check_gradient(
    f: Callable[..., jax.Array],
    args: Sequence[np.ndarray],
    *,
    h: float = 1e-6,
    modes: Sequence[str] = ("rev",),
) -> None:
    """Asserts that JAX's derivative of a scalar ``f(*args)`` equals central finite differences.

    Each argument ``a`` (a 1-D array of weights or masses) is moved along a basis of its space:
    the directions of :func:`simplex_directions`, which keep the total, and the all-ones direction,
    which changes it. Along each direction ``v`` the function ``t -> f(..., a + t v, ...)`` is
    checked at ``t = 0`` by :func:`jax.test_util.check_grads` against
    ``(f(a + h v) - f(a - h v)) / (2 h)``, to the ``gradient`` tolerance: in reverse mode (the VJP,
    which :func:`jax.grad` uses) by default, also in forward mode (the JVP) with
    ``modes=("fwd", "rev")``, which compiles one more program.
    The basis covers the whole gradient, not only its part tangent to the simplex: a custom JVP
    off by a multiple of ``(1, ..., 1)`` fails. Off the simplex ``f`` is evaluated under ``jit``,
    where value checks are opt-in.

    Raises:
      AssertionError: naming the argument and the direction where the derivative differs.
    """
    arrays = [np.asarray(a, np.float64) for a in args]

    # One compiled function for every direction of every argument: the directions are data.
    @jax.jit
    def along(t: jax.Array, vs: list[jax.Array]) -> jax.Array:
        return f(*(a + t * v for a, v in zip(arrays, vs, strict=True)))

    for which, a in enumerate(arrays):
        for v in [*simplex_directions(a.size), np.ones(a.size)]:
            vs = [v if i == which else np.zeros_like(b) for i, b in enumerate(arrays)]
            try:
                check_grads(
                    lambda t, vs=vs: along(t, vs),
                    (np.float64(0.0),),
                    order=1,
                    modes=tuple(modes),
                    eps=h,
                    **tolerance("gradient"),
                )
            except AssertionError as exc:
                raise AssertionError(f"argument {which}, direction {v}: {exc}") from None
