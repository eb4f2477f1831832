r"""Wasserstein-1 as the Kantorovich-Rubinstein dual: a sup over 1-Lipschitz potentials."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from divergences._typing import ArrayLike
from divergences.wasserstein._lp import (
    SOLVER_FAILED,
    HostDual,
    check_dense_size,
    check_kr_lp_size,
    kr_dual_failures,
    kr_dual_or_nan,
    solve_kr_dual,
    solve_transport,
)
from divergences.wasserstein._measures import Measures, check_measures, check_metric
from divergences.wasserstein.checks import lipschitz_violation_host, lipschitz_violation_of
from divergences.wasserstein.cost import (
    Metric,
    homogeneity,
    pairwise_cost,
    pairwise_cost_host,
    scale_exponent,
    scale_traced,
    times_power_of_two,
)
from divergences.wasserstein.primal import check_max_iter, envelope_value, transport_callback

__all__ = ["W1Dual", "w1_dual"]

METHODS = ("primal", "lp")
sg = jax.lax.stop_gradient


class W1Dual(NamedTuple):
    r"""A Kantorovich-Rubinstein potential and the value it attains.

    Attributes:
      value: :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)`, equal to :math:`W_1` (strong
        duality), a scalar. Differentiable (envelope theorem), like
        :attr:`W1Primal.value <divergences.W1Primal.value>`.
      f: the potential on the union of the supports, shape ``(n + m,)``, **in the order
        x's points then y's points**: ``f[:n]`` is :math:`f(x_i)`, ``f[n:]`` is
        :math:`f(y_j)`. Defined up to an additive constant, chosen so that
        :math:`\max f = -\min f` (the smallest :math:`|f|`, at most half the diameter of the
        points: representable whenever the distances are). Carries no gradient.
      points: that union, ``concatenate([x, y])``, shape ``(n + m, d)``.
      lipschitz_violation: :math:`\max(0, \max_{kl} f_k - f_l - c(z_k, z_l))` over the union,
        the distance from 1-Lipschitz. A few ulps of the largest cost for the c-transform
        (``method="primal"``); for ``method="lp"``, the rounding of HiGHS's pivots, which can
        reach ~1e-12 relative where points lie 1e-12 apart. No gradient.
    """

    value: jax.Array
    f: jax.Array
    points: jax.Array
    lipschitz_violation: jax.Array


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(
            f"method must be one of {', '.join(repr(m) for m in METHODS)}; got {method!r}"
        )


def w1_dual(
    x: ArrayLike,
    y: ArrayLike,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    *,
    metric: Metric = "euclidean",
    method: str = "primal",
    max_iter: int | None = None,
) -> W1Dual:
    r"""A W1 critic by an LP on the host (not jit-compiled; works under jit by callback): see w1_1d.

    The LP is solved on the host, outside XLA; under ``jax.jit`` it runs through
    ``jax.pure_callback``. The jittable, pure-JAX path is :func:`divergences.w1_1d`, for
    points on the line.

    The Kantorovich-Rubinstein duality, the form of :math:`W_1` behind the WGAN critic:

    .. math::
       W_1(\mu, \nu) = \sup_{\mathrm{Lip}(f) \le 1}\
       \sum_i a_i f(x_i) - \sum_j b_j f(y_j),

    with the supremum attained. The potential is returned on the union of the supports
    ``z = (x_1, ..., x_n, y_1, ..., y_m)`` (x's points first), where it is 1-Lipschitz.

    Methods:

    * ``"primal"`` (default): one primal solve by the network simplex (as
      :func:`divergences.w1_primal`), then the c-transform of its column dual ``v``,
      :math:`f(z) = \min_j\, [c(z, y_j) - v_j]`. For a metric cost each
      :math:`z \mapsto c(z, y_j) - v_j` is 1-Lipschitz, so their minimum is; and
      :math:`f(x_i) \ge u_i`, :math:`f(y_j) \le -v_j` make it attain the primal value. Costs
      one primal solve plus :math:`(n + m)^2` cost evaluations for the Lipschitz check, done
      by blocks of rows (no :math:`(n + m)^2` matrix is kept).
    * ``"lp"``: the independent KR dual LP, variables :math:`f` on the union, constraints
      :math:`f_k - f_l \le c(z_k, z_l)` for all pairs, :math:`f(z_1) = 0`, solved by scipy's
      HiGHS. Quadratically many constraints: for small problems (a few hundred points at
      most), to check strong duality with a second, separate solver.

    Both need a *metric* cost for the equality with :math:`W_1` (not ``"sqeuclidean"``).
    Both solve the problem scaled by powers of two (exactly, see :func:`divergences.w1_primal`),
    so every coordinate scale gets the accuracy of scale 1: the c-transform that of the network
    simplex, ``"lp"`` HiGHS's feasibility tolerance, 1e-10 times the largest cost.
    Gradients of ``value`` are the envelope derivatives documented in
    :func:`divergences.w1_primal` (for ``"lp"``, from HiGHS's optimal flow and the potential).

    Args:
      x: support of :math:`\mu`, shape ``(n, d)``, or ``(n,)`` for points on the line.
      y: support of :math:`\nu`, shape ``(m, d)`` or ``(m,)``.
      a: weights of ``x``, >= 0, summing to 1; ``None`` for uniform.
      b: weights of ``y``; ``None`` for uniform.
      metric: the ground cost, see :func:`divergences.cost_matrix`.
      method: ``"primal"`` or ``"lp"``, see above.
      max_iter: pivot cap of the network simplex (``method="primal"``); ``None`` for a cap
        that grows with ``n * m``.

    Returns:
      A :class:`W1Dual` ``(value, f, points, lipschitz_violation)``.

    Raises:
      ValueError: for invalid points, weights, metric or method; the same, with the same
        message, under ``dv.checked(jax.jit(...))`` (under a plain ``jit``, input that breaks
        a value rule gives NaN and is not solved).
      SolverError: if the LP solver does not report an optimal solution. Inside ``jax.jit``
        a callback cannot raise it: the results are NaN, and ``dv.checked(jax.jit(...))``
        raises the SolverError with the eager message.
      MemoryError: before anything is allocated, for ``n * m`` above ``DENSE_MAX_PAIRS``
        (``method="primal"``) or ``n + m`` above ``KR_LP_MAX_POINTS`` (``method="lp"``).

    References:
      Kantorovich & Rubinstein, *On a space of completely additive functions*, Vestnik
      Leningrad Univ. 13, 1958; Villani, *Optimal Transport: Old and New*, 2009, Remark 6.5;
      Peyre & Cuturi, *Computational Optimal Transport*, 2019, Sec. 6.1 (c-transforms);
      Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, Theorem 3.

    Example:
      >>> import divergences as dv
      >>> x, y = [0.0, 1.0], [3.0, 4.0]
      >>> dual = dv.w1_dual(x, y)
      >>> round(float(dual.value), 12), round(float(dv.w1_dual(x, y, method="lp").value), 9)
      (3.0, 3.0)
      >>> [round(float(t), 12) for t in dual.f - dual.f[0]]  # f(z) = -z up to a constant
      [0.0, -1.0, -3.0, -4.0]
      >>> float(dual.lipschitz_violation)
      0.0
    """
    check_metric(metric)
    _check_method(method)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    cap = check_max_iter(max_iter, n, m)
    if method == "primal":
        check_dense_size(n, m)
    else:
        check_kr_lp_size(n + m)
    dtype = ms.x.dtype
    if not ms.traced:
        points = np.concatenate([ms.x, ms.y])
        wa, wb = ms.a.astype(np.float64, copy=False), ms.b.astype(np.float64, copy=False)
        # Solved on the points scaled by 2^-e into (-1, 1): no cost overflows or underflows,
        # and the solvers' absolute tolerances act at the scale of the problem. The potential,
        # value and violation carry the cost's unit, 2^k, and are scaled back exactly.
        degree = homogeneity(metric)
        e = 0 if degree is None else scale_exponent(ms.x, ms.y, degree=degree)
        k = 0 if degree is None else degree * e
        scaled = np.ldexp(points.astype(np.float64), -e)
        if method == "primal":
            cost = pairwise_cost_host(scaled[:n], scaled[n:], metric)
            sol = solve_transport(cost, wa, wb, cap)
            f = c_transform_host(scaled, scaled[n:], sol.v, metric)
            value = wa @ f[:n] - wb @ f[n:]
        else:
            kr = solve_kr_dual(pairwise_cost_host(scaled, scaled, metric), wa, wb)
            f, value = kr.f, kr.value
        violation = lipschitz_violation_host(f, scaled, metric)
        f = f - (np.max(f) + np.min(f)) / 2  # centred: |f| <= diameter / 2, the least it can be
        # Inf only where the number itself exceeds the largest float (the documented result).
        with np.errstate(over="ignore"):
            host = (np.ldexp(value, k), np.ldexp(f, k), points, np.ldexp(violation, k))
        # Fresh arrays from the solver, referenced nowhere else: the JAX buffers may alias them.
        return W1Dual(
            *jax.device_put(
                tuple(np.asarray(t).astype(dtype, copy=False) for t in host), may_alias=True
            )
        )
    return _dual_traced(ms, method, metric, cap)


def _dual_traced(ms: Measures, method: str, metric: Metric, cap: int) -> W1Dual:
    """The traced path of :func:`w1_dual` (jit, vmap, grad): host solvers via callbacks, on
    the points scaled by a power of two (see :func:`divergences.w1_primal`), scaled back."""
    n = ms.x.shape[0]
    dtype = ms.x.dtype
    xs, ys, k = scale_traced(ms.x, ms.y, metric)
    points = jnp.concatenate([xs, ys])
    wa, wb = ms.a, ms.b
    if method == "primal":
        to_y = pairwise_cost(points, ys, metric)  # (n + m, m); its first n rows are C
        cost = to_y[:n]
        sol = transport_callback(cost, wa, wb, cap, ms.valid)
        f = sg(jnp.min(to_y - sol.v[None, :], axis=1))
        kr_value = jnp.dot(wa, f[:n]) - jnp.dot(wb, f[n:])
        # The KR objective in the forward pass, the primal's envelope derivative backwards:
        # envelope_value(0, ...) is exactly 0 but carries that derivative.
        value = sg(kr_value) + envelope_value(
            jnp.zeros((), dtype), cost, wa, wb, sol.plan, sol.u, sol.v
        )
    else:
        cost = pairwise_cost(points, points, metric)
        kr = _kr_dual_callback(cost, wa, wb, ms.valid)
        f = kr.f
        fx, fy = f[:n], f[n:]
        flow_cost = jnp.sum(kr.flow * cost)
        # Envelope theorem for the KR LP: d value / d cost = optimal flow, d / d a = f(x),
        # d / d b = -f(y) (centred: tangent to the simplex).
        value = (
            kr.value
            + (flow_cost - sg(flow_cost))
            + jnp.dot(fx - jnp.mean(fx), wa - sg(wa))
            - jnp.dot(fy - jnp.mean(fy), wb - sg(wb))
        )
    # A max over all pairs of an elementwise expression: XLA fuses it, no N x N buffer.
    violation = sg(lipschitz_violation_of(f, pairwise_cost(sg(points), sg(points), metric)))
    f = f - (jnp.max(f) + jnp.min(f)) / 2  # centred, as in the eager path
    back = [times_power_of_two(t, k) for t in (value, f, violation)]
    return W1Dual(back[0], back[1], sg(jnp.concatenate([ms.x, ms.y])), back[2])


def c_transform_host(
    points: np.ndarray, y: np.ndarray, v: np.ndarray, metric: Metric, *, rows: int = 512
) -> np.ndarray:
    r""":math:`f(z) = \min_j c(z, y_j) - v_j` at each point, a block of rows at a time."""
    out = np.empty(points.shape[0])
    for start in range(0, points.shape[0], rows):
        block = slice(start, start + rows)
        out[block] = np.min(pairwise_cost_host(points[block], y, metric) - v[None, :], axis=1)
    return out


def _kr_dual_callback(cost: jax.Array, a: jax.Array, b: jax.Array, valid: Any) -> HostDual:
    n_all = cost.shape[0]
    dtype = cost.dtype
    shapes = (
        HostDual(
            f=jax.ShapeDtypeStruct((n_all,), dtype),
            flow=jax.ShapeDtypeStruct((n_all, n_all), dtype),
            value=jax.ShapeDtypeStruct((), dtype),
        ),
        jax.ShapeDtypeStruct((), jnp.int32),
    )

    def host(c: np.ndarray, wa: np.ndarray, wb: np.ndarray, ok: np.ndarray) -> tuple:
        sol, status = kr_dual_or_nan(c, np.asarray(wa, np.float64), np.asarray(wb, np.float64), ok)
        return HostDual(*(np.asarray(t, dtype=dtype) for t in sol)), status

    sol, status = jax.pure_callback(
        host, shapes, sg(cost), sg(a), sg(b), jnp.asarray(valid), vmap_method="sequential"
    )
    for code, message in kr_dual_failures(n_all).items():
        checkify.debug_check(status != code, SOLVER_FAILED + message)
    return sol
