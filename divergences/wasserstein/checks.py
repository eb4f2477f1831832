r"""Checks a user can run on a transport plan and a Kantorovich-Rubinstein potential.

Both return the numbers (how far from a coupling, how far from 1-Lipschitz), not a verdict
alone, are pure JAX, and work under ``jit`` and ``vmap``.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from divergences._src.array_types import ArrayLike
from divergences._src.errors import is_traced
from divergences._src.metrics import MetricSpec, check_metric, named_metric
from divergences._src.precision import as_float_array, sum_tolerance
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.device.scaled_costs import scaled_out, scaled_points
from divergences.wasserstein._src.discrete_measures import as_points, exact_astype
from divergences.wasserstein._src.pairwise import Metric, cost_matrix_unchecked
from divergences.wasserstein._src.results import SparsePlan

__all__ = ["CouplingReport", "check_coupling", "lipschitz_violation"]


class CouplingReport(NamedTuple):
    r"""How far a matrix is from being a coupling of ``(a, b)``.

    Attributes:
      row_error: :math:`\max_i |\sum_j P_{ij} - a_i|`.
      column_error: :math:`\max_j |\sum_i P_{ij} - b_j|`.
      negative_mass: :math:`\max(0, -\min_{ij} P_{ij})`, the most negative entry's size.
      ok: whether all three are at most ``atol``.
    """

    row_error: jax.Array
    column_error: jax.Array
    negative_mass: jax.Array
    ok: jax.Array


def check_coupling(
    plan: ArrayLike | SparsePlan, a: ArrayLike, b: ArrayLike, *, atol: float | None = None
) -> CouplingReport:
    r"""Measures whether ``plan`` is a coupling of ``a`` and ``b``.

    A coupling is :math:`P \ge 0` with :math:`P \mathbf{1} = a` and
    :math:`P^\top \mathbf{1} = b`. Nothing is raised: the report carries the three errors and a
    verdict at tolerance ``atol`` (default: the square root of the dtype's machine epsilon, the
    tolerance the package uses for sums of masses).

    Args:
      plan: the candidate, shape ``(n, m)``, or a :class:`~divergences.SparsePlan` (such as
        ``w1_primal(...).plan``) on ``len(a)`` and ``len(b)`` points.
      a: row marginal, shape ``(n,)``.
      b: column marginal, shape ``(m,)``.
      atol: tolerance of the verdict ``ok``.

    Returns:
      A :class:`CouplingReport` ``(row_error, column_error, negative_mass, ok)``.

    Raises:
      ValueError: if the shapes do not fit together.

    Example:
      >>> import divergences as dv
      >>> sol = dv.w1_primal([0.0, 1.0, 2.0], [0.5, 3.0], b=[0.25, 0.75])
      >>> report = dv.check_coupling(sol.plan, [1 / 3, 1 / 3, 1 / 3], [0.25, 0.75])
      >>> bool(report.ok), float(report.negative_mass)
      (True, 0.0)
      >>> bool(dv.check_coupling([[0.5, 0.0], [0.0, 0.5]], [0.5, 0.5], [1.0, 0.0]).ok)
      False
    """
    if isinstance(plan, SparsePlan):
        plan = plan.todense()
    p = as_float_array(plan, "plan")
    wa = as_float_array(a, "a")
    wb = as_float_array(b, "b")
    if p.ndim != 2 or wa.ndim != 1 or wb.ndim != 1 or p.shape != (wa.shape[0], wb.shape[0]):
        raise ValueError(
            f"plan must have shape (len(a), len(b)); got plan {p.shape}, a {wa.shape}, b {wb.shape}"
        )
    dtype = jnp.result_type(p, wa, wb)
    p, wa, wb = p.astype(dtype), wa.astype(dtype), wb.astype(dtype)
    tol = sum_tolerance(dtype) if atol is None else atol
    row = jnp.max(jnp.abs(jnp.sum(p, axis=1) - wa))
    col = jnp.max(jnp.abs(jnp.sum(p, axis=0) - wb))
    neg = jnp.maximum(-jnp.min(p), 0)
    ok = (row <= tol) & (col <= tol) & (neg <= tol)
    return CouplingReport(row, col, neg, ok)


def lipschitz_violation(
    f: ArrayLike, points: ArrayLike, *, metric: Metric = "euclidean"
) -> jax.Array:
    r"""The largest violation of :math:`f(z_k) - f(z_l) \le c(z_k, z_l)` over all pairs.

    .. math:: \max\Bigl(0,\ \max_{k, l}\ f(z_k) - f(z_l) - c(z_k, z_l)\Bigr)

    Zero exactly when ``f`` is 1-Lipschitz on ``points`` for the cost (for a symmetric cost the
    pairs ``(k, l)`` and ``(l, k)`` together give :math:`|f_k - f_l| \le c_{kl}`). A
    Kantorovich-Rubinstein potential from an exact solver should show a violation at rounding
    level only.

    A named metric's violation is computed at every scale: ``f`` and the points are scaled by
    powers of two, :math:`2^{-ke}` and :math:`2^{-e}` for a metric homogeneous of degree
    :math:`k` (the violation then scales by :math:`2^{-ke}`), so that the larger of
    :math:`|f|^{1/k}` and the coordinates is below 1 and a normal number, and the result is
    scaled back, rounded up where it falls below the normal range. Where the numbers are
    subnormal, which XLA's arithmetic on CPUs reads as 0, a violation is thus still seen, and
    one that underflows comes out as at least the smallest subnormal number, never 0; only a
    number below the normal range once scaled (smaller than the largest by a factor of about
    :math:`2^{-1022}` in float64) counts as 0.

    Args:
      f: values of the potential, shape ``(N,)``.
      points: the points they are taken at, shape ``(N, d)`` or ``(N,)``.
      metric: the cost, see :func:`divergences.cost_matrix`.

    Returns:
      The violation, a scalar >= 0.

    Example:
      >>> import divergences as dv
      >>> float(dv.lipschitz_violation([0.0, 1.0, 1.5], [0.0, 1.0, 2.0]))
      0.0
      >>> float(dv.lipschitz_violation([0.0, 3.0], [0.0, 1.0]))
      2.0
      >>> tiny = 5e-324  # the smallest subnormal float64, 2^-1074 (with x64 on)
      >>> float(dv.lipschitz_violation([0.0, 3 * tiny], [0.0, 2 * tiny]))
      5e-324
    """
    check_metric(metric)
    fv = as_float_array(f, "f")
    z = as_points(points, "points")
    if fv.ndim != 1 or fv.shape[0] != z.shape[0]:
        raise ValueError(
            f"f must have one value per point: f has shape {fv.shape}, points {z.shape}"
        )
    dtype = jnp.result_type(fv, z)
    if is_traced((fv, z)):  # XLA's cast would flush float32 subnormals: cast from the bits
        fv, z = exact_astype(fv, dtype), exact_astype(z, dtype)
    else:
        fv, z = fv.astype(dtype), z.astype(dtype)
    if callable(metric):
        return _largest_violation(fv, cost_matrix_unchecked(z, z, metric))
    return _scaled_violation(fv, z, metric)


@jax.jit
def _largest_violation(f: ArrayLike, cost: jax.Array) -> jax.Array:
    r""":math:`\max(0, \max_{k, l} f_k - f_l - c_{kl})` from the ``(N, N)`` cost matrix, jitted.

    One program rather than one per operation outside a caller's ``jit``.
    """
    fv = jnp.asarray(f)
    return jnp.maximum(jnp.max(fv[:, None] - fv[None, :] - cost), 0)


@functools.partial(jax.jit, static_argnames="metric")
def _scaled_violation(f: jax.Array, z: jax.Array, metric: str | MetricSpec) -> jax.Array:
    """:func:`lipschitz_violation` for a named metric, on scaled numbers, jitted.

    One program rather than one per operation outside a caller's ``jit``. Scaling by a power
    of two is exact in both directions except below the normal range, where
    :func:`scaled_points` reads a subnormal input from its bits and :func:`scaled_out` rounds a
    subnormal result up from its bits (XLA's arithmetic would flush either to 0).
    """
    degree = named_metric(metric).degree
    e_points = scale_exponent(z, degree=degree, xp=jnp)
    e_values = scale_exponent(f, xp=jnp)
    e = jnp.maximum(e_points, -((-e_values) // degree))  # the ceiling of e_values / degree
    zs = scaled_points(z, e)
    scaled = _largest_violation(scaled_points(f, degree * e), cost_matrix_unchecked(zs, zs, metric))
    return scaled_out(scaled, degree * e, "up")
