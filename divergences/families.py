r"""Parameterised pairs of measures :math:`\theta \mapsto (P_0, P_\theta)`, for curves against theta.

A :class:`Family` maps a parameter ``theta`` to :class:`MeasurePair`: one list of points and two
weight vectors on it, ``p`` (the fixed distribution, the data :math:`P_0`) and ``q`` (the model
:math:`P_\theta`). That one form serves every quantity of the package:

* the divergences take the weights: ``dv.kl(m.p, m.q)`` is :math:`\mathrm{KL}(P_0 \,\|\, P_\theta)`;
* Wasserstein-1 takes points and weights: ``dv.w1_primal(m.points, m.points, m.p, m.q)``, or
  ``dv.w1_1d(m.points, m.points, m.p, m.q)`` on the line.

``family.measures`` is written in JAX with fixed shapes, so it runs under ``jit``, ``vmap`` over
many thetas, and ``grad`` with respect to theta. Points must be distinct where both weights are
positive (a repeated point would split one atom into two and make the divergences see disjoint
supports); every built-in family guarantees it.

The built-in families, after the example of Arjovsky, Chintala & Bottou (2017, Example 1):

====================================  =========================================================
:func:`parallel_lines`                :math:`P_0 = (0, Z)`, :math:`P_\theta = (\theta, Z)`,
                                      Z uniform on a grid of midpoints of [0, 1]
:func:`parallel_lines_pixels`         the same drawn on a pixel grid: theta is rounded to the
                                      nearest column
:func:`parallel_lines_sampled`        the same from independent samples of Z
:func:`shifted_gaussians`             N(0, s^2) against N(theta, s^2), cell masses on a grid
:func:`shifted_uniforms`              U[0, 1] against U[theta, theta + 1], cell masses on a grid
:func:`custom`                        your own ``theta -> MeasurePair``
====================================  =========================================================

Each carries ``exact``: the closed-form values of the *continuous* problem, against which the
discretised and sampled versions can be compared.

Reference:
  Arjovsky, Chintala & Bottou, *Wasserstein Generative Adversarial Networks*, ICML 2017,
  Example 1 and Figure 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.stats import norm

from divergences._src.array_types import ArrayLike

__all__ = [
    "Family",
    "MeasurePair",
    "custom",
    "parallel_lines",
    "parallel_lines_exact",
    "parallel_lines_pixels",
    "parallel_lines_sampled",
    "shifted_gaussians",
    "shifted_uniforms",
]

ExactFn = Callable[[np.ndarray], dict[str, np.ndarray]]


class MeasurePair(NamedTuple):
    r"""Two discrete measures on one list of points.

    Attributes:
      points: the atoms, shape ``(n,)`` on the line or ``(n, d)``.
      p: weights of the fixed measure :math:`P_0` (the data), shape ``(n,)``, summing to 1.
      q: weights of the moving measure :math:`P_\theta` (the model), shape ``(n,)``.
    """

    points: jax.Array
    p: jax.Array
    q: jax.Array


class Family(NamedTuple):
    """A parameterised pair of measures.

    Attributes:
      name: a short label (used in legends and file names).
      measures: ``theta -> MeasurePair``, traceable (``jit``, ``vmap``, ``grad`` in theta).
      exact: ``thetas -> {quantity: values}``, the closed forms of the continuous problem (in
        nats; keys among ``kl``, ``reverse_kl``, ``js``, ``tv``, ``w1``), or None.
      theta_range: the interval of thetas the discretisation covers, or None for all reals.
      description: one sentence for a caption.
    """

    name: str
    measures: Callable[[ArrayLike], MeasurePair]
    exact: ExactFn | None
    theta_range: tuple[float, float] | None
    description: str


def _midpoints(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / n


def parallel_lines_exact(thetas: ArrayLike) -> dict[str, np.ndarray]:
    r"""Closed forms for the parallel lines :math:`P_0 = (0, Z)`, :math:`P_\theta = (\theta, Z)`.

    For :math:`\theta \ne 0`: KL in either direction is :math:`+\infty`, JS = log 2, TV = 1,
    W1 = :math:`|\theta|`; at :math:`\theta = 0` all are 0 (Arjovsky et al., 2017, Example 1).
    Only W1 is continuous in theta.
    """
    t = np.asarray(thetas, dtype=np.float64)
    moved = t != 0
    return {
        "kl": np.where(moved, np.inf, 0.0),
        "reverse_kl": np.where(moved, np.inf, 0.0),
        "js": np.where(moved, math.log(2), 0.0),
        "tv": np.where(moved, 1.0, 0.0),
        "w1": np.abs(t),
    }


def parallel_lines(*, n_z: int = 16) -> Family:
    r"""The parallel lines with Z on the ``n_z`` midpoints of a grid of [0, 1]; theta exact.

    Points: ``(0, z_j)`` then ``(theta, z_j)``. At ``theta = 0`` the two columns coincide, so the
    model's mass is put on the first copy (the second copy keeps weight 0): the two measures are
    then equal, as they must be. Every quantity then equals the closed form for every theta.
    """
    z = jnp.asarray(_midpoints(n_z))
    w = jnp.full((n_z,), 1.0 / n_z)
    zeros = jnp.zeros((n_z,))

    @jax.jit  # one program per call outside jit, not an operation at a time
    def measures(theta: ArrayLike) -> MeasurePair:
        theta = jnp.asarray(theta, dtype=z.dtype)
        pts = jnp.concatenate(
            [jnp.stack([jnp.zeros_like(z), z], -1), jnp.stack([theta + 0 * z, z], -1)], 0
        )
        p = jnp.concatenate([w, zeros])
        same = theta == 0  # masses only: the select carries no log, and its gradient is 0
        q = jnp.where(same, p, jnp.concatenate([zeros, w]))
        return MeasurePair(pts, p, q)

    return Family(
        "parallel lines",
        measures,
        parallel_lines_exact,
        None,
        f"P0 = (0, Z), P_theta = (theta, Z), Z uniform on {n_z} grid points of [0, 1]",
    )


def parallel_lines_pixels(*, n_z: int = 16, x_step: float = 0.1, x_max: float = 1.0) -> Family:
    r"""The parallel lines drawn on pixels: theta is rounded to the nearest multiple of ``x_step``.

    The plane is the grid of columns ``k * x_step`` for ``|k * x_step| <= x_max`` times the
    ``n_z`` midpoints of [0, 1], as in an image. A shift :math:`|\theta| < x\_step / 2` does not
    move the model at all, so every quantity is 0 there, and W1 is a staircase with derivative 0
    almost everywhere: on pixels, no quantity gives the generator a gradient.
    """
    k_max = round(x_max / x_step)
    cols = np.arange(-k_max, k_max + 1) * x_step
    z = _midpoints(n_z)
    xx, zz = np.meshgrid(cols, z, indexing="ij")
    pts = jnp.asarray(np.stack([xx.ravel(), zz.ravel()], -1))
    col_of_point = jnp.asarray(np.repeat(np.arange(cols.size), n_z))
    w = 1.0 / n_z

    @jax.jit  # one program per call outside jit, not an operation at a time
    def measures(theta: ArrayLike) -> MeasurePair:
        theta = jnp.asarray(theta, dtype=pts.dtype)
        k = jnp.clip(jnp.round(theta / x_step), -k_max, k_max) + k_max
        p = jnp.where(col_of_point == k_max, w, 0.0)
        q = jnp.where(col_of_point == k, w, 0.0)
        return MeasurePair(pts, p, q)

    return Family(
        "parallel lines on pixels",
        measures,
        parallel_lines_exact,
        (-k_max * x_step, k_max * x_step),
        f"the parallel lines on a {cols.size} x {n_z} pixel grid, column step {x_step}",
    )


def parallel_lines_sampled(*, n: int = 32, seed: int = 0) -> Family:
    r"""The parallel lines from ``n`` independent samples of Z for each measure.

    Points: ``(0, z_i)`` then ``(theta, z'_j)`` with ``z, z'`` drawn once (``seed``). The two
    empirical measures never share an atom, even at ``theta = 0``: KL stays infinite, JS = log 2
    and TV = 1 there. Every coupling moves mass by at least ``|theta|``, so the sampled W1 is at
    least ``|theta|``: biased upward, and positive at ``theta = 0``.
    """
    rng = np.random.default_rng(seed)
    z0 = jnp.asarray(rng.uniform(size=n))
    z1 = jnp.asarray(rng.uniform(size=n))
    w = jnp.full((n,), 1.0 / n)
    zeros = jnp.zeros((n,))

    @jax.jit  # one program per call outside jit, not an operation at a time
    def measures(theta: ArrayLike) -> MeasurePair:
        theta = jnp.asarray(theta, dtype=z0.dtype)
        pts = jnp.concatenate(
            [jnp.stack([jnp.zeros_like(z0), z0], -1), jnp.stack([theta + 0 * z1, z1], -1)], 0
        )
        return MeasurePair(pts, jnp.concatenate([w, zeros]), jnp.concatenate([zeros, w]))

    return Family(
        "parallel lines, sampled",
        measures,
        parallel_lines_exact,
        None,
        f"the parallel lines from {n} independent samples of Z per measure (seed {seed})",
    )


def _cell_edges(grid: np.ndarray) -> np.ndarray:
    mids = 0.5 * (grid[1:] + grid[:-1])
    return np.concatenate([[-np.inf], mids, [np.inf]])


def _check_grid(grid: ArrayLike) -> np.ndarray:
    g = np.asarray(grid, dtype=np.float64)
    if g.ndim != 1 or g.size < 2 or not np.all(np.diff(g) > 0):
        raise ValueError("grid must be a 1-D increasing array of at least 2 points")
    return g


def shifted_gaussians(*, sigma: float = 1.0, grid: ArrayLike | None = None) -> Family:
    r"""N(0, sigma^2) against N(theta, sigma^2), as the masses of the cells of a 1-D grid.

    Each grid point carries the probability of its cell (the edges are the midpoints between
    grid points, the end cells reach to infinity), so both weight vectors sum to 1 exactly and
    are differentiable in theta. Closed forms: KL = theta^2 / (2 sigma^2) in both directions,
    TV = 2 Phi(|theta| / (2 sigma)) - 1, W1 = |theta|; JS has none.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    g = _check_grid(np.linspace(-8 * sigma, 8 * sigma, 321) if grid is None else grid)
    edges = jnp.asarray(_cell_edges(g))

    @jax.jit
    def cell_masses(shift: jax.Array) -> jax.Array:
        # Left of the mean, differences of the CDF; right of it, of the survival function: each
        # tail cell is then a difference of two small numbers, exact to a few ulps, instead of
        # two numbers near 1 that round to the same double (a zero mass, and an infinite KL).
        u = (edges - shift) / sigma
        left = jnp.diff(norm.cdf(u))
        right = -jnp.diff(norm.cdf(-u))
        return jnp.where(u[1:] <= 0, left, right)

    p = cell_masses(jnp.zeros(()))

    @jax.jit  # one program per call outside jit, not an operation at a time
    def measures(theta: ArrayLike) -> MeasurePair:
        theta = jnp.asarray(theta, dtype=edges.dtype)
        return MeasurePair(jnp.asarray(g), p, cell_masses(theta))

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        from scipy import stats

        t = np.asarray(thetas, dtype=np.float64)
        kl = t**2 / (2 * sigma**2)
        return {
            "kl": kl,
            "reverse_kl": kl,
            "tv": 2 * stats.norm.cdf(np.abs(t) / (2 * sigma)) - 1,
            "w1": np.abs(t),
        }

    return Family(
        "shifted Gaussians",
        measures,
        exact,
        (float(g[0]), float(g[-1])),
        f"N(0, {sigma:g}^2) against N(theta, {sigma:g}^2) on a {g.size}-point grid",
    )


def shifted_uniforms(*, grid: ArrayLike | None = None) -> Family:
    r"""U[0, 1] against U[theta, theta + 1], as cell masses on a 1-D grid.

    Closed forms: for :math:`0 < |\theta|`, KL is infinite in both directions (each measure has
    mass where the other has none); JS = :math:`\min(|\theta|, 1) \log 2`,
    TV = :math:`\min(|\theta|, 1)` and W1 = :math:`|\theta|`. Only W1 keeps growing once the
    supports are disjoint.
    """
    g = _check_grid(np.linspace(-3.0, 4.0, 351) if grid is None else grid)
    edges = jnp.asarray(_cell_edges(g))

    def cdf(x: jax.Array, lo: jax.Array) -> jax.Array:
        return jnp.clip(x - lo, 0.0, 1.0)

    p = jnp.diff(cdf(edges, jnp.zeros(())))

    @jax.jit  # one program per call outside jit, not an operation at a time
    def measures(theta: ArrayLike) -> MeasurePair:
        theta = jnp.asarray(theta, dtype=edges.dtype)
        return MeasurePair(jnp.asarray(g), p, jnp.diff(cdf(edges, theta)))

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        t = np.abs(np.asarray(thetas, dtype=np.float64))
        overlap_lost = np.minimum(t, 1.0)
        kl = np.where(t > 0, np.inf, 0.0)
        return {
            "kl": kl,
            "reverse_kl": kl,
            "js": overlap_lost * math.log(2),
            "tv": overlap_lost,
            "w1": t,
        }

    return Family(
        "shifted uniforms",
        measures,
        exact,
        (float(g[0]), float(g[-1] - 1.0)),
        f"U[0, 1] against U[theta, theta + 1] on a {g.size}-point grid",
    )


def custom(
    name: str,
    measures: Callable[[ArrayLike], MeasurePair],
    *,
    exact: ExactFn | None = None,
    theta_range: tuple[float, float] | None = None,
    description: str = "",
) -> Family:
    """A family from your own ``theta -> MeasurePair`` (write it in JAX to get vmap and gradients).

    Example:
      >>> import jax.numpy as jnp, divergences as dv
      >>> def coins(theta):
      ...     pts = jnp.array([0.0, 1.0])
      ...     return dv.MeasurePair(pts, jnp.array([0.5, 0.5]), jnp.stack([1 - theta, theta]))
      >>> fam = dv.families.custom("coins", coins)
      >>> round(float(dv.total_variation(*fam.measures(0.8)[1:])), 6)
      0.3
    """
    return Family(name, measures, exact, theta_range, description or name)
