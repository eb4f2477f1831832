r"""A W1 problem as every host solver sees it.

The engine (:mod:`divergences.wasserstein._src.problem`) validates the input once, then hands each
solve a :class:`HostProblem`: float64 points scaled by a power of two into (-1, 1) (exact,
:func:`~..metrics.scale_exponent`), the weights, and the metric, or for a callable metric the cost
matrix it computed in JAX. Its methods are the costs, c-transforms and cost bounds every solver
and certificate needs, for named and callable metrics alike. :func:`host_problem` builds it from
the validated input's arrays, the one construction of the eager call and of the callback.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from divergences._src.metrics import HOST_OPS, MetricSpec, cost_error, named_metric
from divergences._src.scaling import EPS, scale_exponent
from divergences.wasserstein._src.host.costs import arc_costs, host_costs
from divergences.wasserstein._src.host.nearest import weighted_nearest

__all__ = ["HostProblem", "host_problem"]


class HostProblem(NamedTuple):
    """Two discrete measures on the host, in the units a solver works in.

    ``x``, ``y`` are float64 points times :math:`2^{-e}`; ``b`` is scaled to ``a``'s total
    where the two differed by rounding (``weight_error`` says by how much in all). ``metric``
    is a named metric's spec, or None for a callable one, whose costs between all the points of the
    union ``(x, y)`` are ``union_cost``.
    """

    x: np.ndarray  # (n, d)
    y: np.ndarray  # (m, d)
    a: np.ndarray  # (n,)
    b: np.ndarray  # (m,)
    metric: MetricSpec | None
    union_cost: np.ndarray | None  # (n + m, n + m), for a callable metric only
    weight_error: float = 0.0
    # A bound on sum_i |a_i - a*_i|, where a stands for exact weights a* it does not hold
    # exactly (the uniform 1/n rounded to float64); 0 when a is as given.
    row_weight_error: float = 0.0
    # Whether a stands for the uniform measure 1/n (exactly a / sum(a), sum exact), and whether
    # b was scaled to a's total (then it is no longer an exact multiple of the weights given).
    uniform_rows: bool = False
    rescaled: bool = False

    @property
    def union(self) -> np.ndarray:
        """The points of ``x`` then ``y``."""
        return np.concatenate([self.x, self.y])

    @property
    def error(self) -> tuple[float, float]:
        """``(rho, tau)`` of the costs in float64 (:func:`~..metrics.cost_error`)."""
        err = cost_error(self.metric, self.x.shape[1])
        return err.rho, err.tau

    def pair_costs(self) -> np.ndarray:
        """The ``(n, m)`` costs :math:`c(x_i, y_j)`."""
        if self.metric is None:
            n = self.x.shape[0]
            return np.asarray(self.union_cost, np.float64)[:n, n:]
        return host_costs(self.x, self.y, self.metric)

    def union_costs(self) -> np.ndarray:
        """The ``(n + m, n + m)`` costs between all the points (the dual LP's)."""
        if self.metric is None:
            return np.asarray(self.union_cost, np.float64)
        z = self.union
        return host_costs(z, z, self.metric)

    def plan_costs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The costs :math:`c(x_{r_k}, y_{c_k})` of a plan's arcs."""
        if self.metric is None:
            n = self.x.shape[0]
            return np.asarray(self.union_cost, np.float64)[rows, n + cols]
        return arc_costs(self.x, self.y, rows, cols, self.metric)

    def c_transform(
        self, v: np.ndarray, *, union: bool = False, threads: int | None = None
    ) -> np.ndarray:
        r"""The c-transform :math:`\min_{j:\ b_j > 0} c(z, y_j) - v_j` of a column potential ``v``.

        At ``x`` (or at every point of the union): the potential :math:`f`, 1-Lipschitz for a
        metric cost. Where the host turns the ``v`` of a Kantorovich pair into a
        Kantorovich-Rubinstein potential (the signs: :mod:`~divergences.wasserstein._src.results`);
        for a named metric, the weighted nearest site with the weights :math:`-v_j`.
        """
        keep = self.b > 0
        if self.metric is None:
            n = self.x.shape[0]
            rows = slice(None) if union else slice(0, n)
            to_y = np.asarray(self.union_cost, np.float64)[rows, n:]
            return np.min(to_y[:, keep] - v[None, keep], axis=1)
        at = self.union if union else self.x
        return weighted_nearest(at, self.y[keep], -v[keep], metric=self.metric, threads=threads)[0]

    def row_transform(self, u: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        r"""The c-transform :math:`\min_{i:\ a_i > 0} c(x_i, y_j) - u_i` of a row potential at ``y``.

        With :meth:`c_transform`, the pair of c-transforms that makes any column potential a
        better one (:math:`v \le (v^c)^{\bar c}`, and the dual value does not decrease).
        """
        keep = self.a > 0
        if self.metric is None:
            n = self.x.shape[0]
            to_x = np.asarray(self.union_cost, np.float64)[:n, n:]
            return np.min(to_x[keep, :] - u[keep, None], axis=0)
        return weighted_nearest(
            self.y, self.x[keep], -u[keep], metric=self.metric, threads=threads
        )[0]

    def cost_bound(self) -> float:
        """An upper bound on every computed cost between two of the points."""
        if self.metric is None:
            return float(np.max(np.asarray(self.union_cost), initial=0.0))
        z = self.union
        span = np.max(z, axis=0) - np.min(z, axis=0)  # exact: coordinates in (-1, 1)
        bound = float(self.metric.span_bound(span, HOST_OPS))
        rho, tau = self.error
        return (bound + tau) * (1 + 2 * rho) * (1 + 1e-15)


def _uniform_weights(n: int) -> tuple[np.ndarray, float]:
    r"""``1/n`` in float64 ``n`` times, and :math:`\sum_i |1/n - \mathrm{fl}(1/n)|` rounded up."""
    w = 1.0 / n
    miss = n * abs(Fraction(w) - Fraction(1, n))
    return np.full(n, w), _ceil_float(miss)


def _ceil_float(t: Fraction) -> float:
    """The least float at least ``t``."""
    f = float(t)
    return f if Fraction(f) >= t else math.nextafter(f, math.inf)


def host_problem(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    union_cost: np.ndarray | None,
    metric: Any,  # a name, a spec or a callable
    uniform: tuple[bool, bool] = (False, False),
) -> tuple[HostProblem, int]:
    """The problem a host solver sees, and the exponent ``k`` its costs are scaled by.

    Float64 points times :math:`2^{-e}` (named metrics), ``b`` at ``a``'s total. Weights given
    as None (``uniform``) are the measure :math:`1/n` itself, not its rounding into the
    input's dtype: they are taken as 1/n in float64, and the miss (below :math:`2^{-53}` in all)
    goes into the certificate (``row_weight_error``, ``weight_error``).
    """
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    row_error = nominal_b_error = 0.0
    if uniform[0]:
        a64, row_error = _uniform_weights(a64.shape[0])
    if uniform[1]:
        b64, nominal_b_error = _uniform_weights(b64.shape[0])
    spec = named_metric(metric)
    k = 0
    if spec is not None:
        e = scale_exponent(x64, y64, degree=spec.degree)
        x64, y64, k = np.ldexp(x64, -e), np.ldexp(y64, -e), spec.degree * e
    # Totals accepted as equal by the input rules may differ by rounding (float32 input,
    # weights 1/n): b is taken at a's total, the exact weights it stands for are b * A / B.
    total_a, total_b = math.fsum(a64.tolist()), math.fsum(b64.tolist())
    weight_error = 0.0
    rescaled = bool(total_b > 0 and total_a != total_b)
    if rescaled:
        b64 = b64 * (total_a / total_b)
        weight_error = 4 * EPS * math.fsum(b64.tolist())
    if uniform[0] or uniform[1]:
        weight_error = _uniform_column_error(
            weight_error, row_error, nominal_b_error, total_a, total_b, uniform
        )
    cost = None if union_cost is None else np.asarray(union_cost, np.float64)
    problem = HostProblem(
        x64, y64, a64, b64, spec, cost, weight_error, row_error, uniform[0], rescaled
    )
    return problem, k


def _uniform_column_error(
    rescaled: float,
    row_error: float,
    nominal_b_error: float,
    total_a: float,
    total_b: float,
    uniform: tuple[bool, bool],
) -> float:
    r"""A bound on :math:`\|b' - b^*\|_1` when a weight vector stands for the uniform measure.

    :math:`b'` is ``b`` as the solver takes it (its float64 values, scaled by :math:`A / B`
    within ``rescaled``), :math:`b^*` the exact column weights: the nominal ones (1/m, or ``b``
    as given) at the exact total :math:`T^*` of the exact row weights (1, or the sum of ``a``
    as given). With :math:`r = A/B` and :math:`r^* = T^*/B^*`,
    :math:`\|b' - b^*\|_1 \le \text{rescaled} + r\, \|b - b_{nom}\|_1 + T^* |r/r^* - 1|`, and
    :math:`|r / r^* - 1| \le (\alpha + \beta)(1 + 2\beta)` from the relative misses
    :math:`\alpha` of :math:`A` and :math:`\beta` of :math:`B` (the sums correctly rounded,
    within :math:`2^{-53}` relative, plus the misses of the uniform weights).
    """
    u = EPS / 2
    a_miss = u * total_a + row_error if uniform[0] else u * total_a * (1 + 2 * u)
    exact_total = 1.0 if uniform[0] else total_a + a_miss
    b_miss = u * total_b + nominal_b_error
    alpha = a_miss / max(exact_total - a_miss, 0.5)
    beta = b_miss / total_b
    ratio = total_a / total_b
    bound = rescaled + ratio * nominal_b_error + exact_total * (alpha + beta) * (1 + 2 * beta)
    return bound * (1 + 1e-6)  # the few roundings of this bound itself, outward
