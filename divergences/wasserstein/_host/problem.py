r"""A W1 problem as every host solver sees it.

The engine (:mod:`divergences.wasserstein._problem`) validates the input once, then hands each
solve a :class:`HostProblem`: float64 points scaled by a power of two into (-1, 1) (exact,
:func:`~.costs.scale_exponent`), the weights, and the metric, or for a callable metric the cost
matrix it computed in JAX. Its methods are the costs, c-transforms and cost bounds every solver
and certificate needs, for named and callable metrics alike.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from divergences.wasserstein._host.costs import arc_costs, cost_matrix
from divergences.wasserstein._host.nearest import weighted_nearest
from divergences.wasserstein._metrics import HOST_OPS, MetricSpec, cost_error

__all__ = ["HostProblem"]


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

    @property
    def union(self) -> np.ndarray:
        """The points of ``x`` then ``y``."""
        return np.concatenate([self.x, self.y])

    @property
    def error(self) -> tuple[float, float]:
        """``(rho, tau)`` of the costs in float64 (:func:`~.._metrics.cost_error`)."""
        err = cost_error(self.metric, self.x.shape[1])
        return err.rho, err.tau

    def cost_matrix(self) -> np.ndarray:
        """The ``(n, m)`` costs :math:`c(x_i, y_j)`."""
        if self.metric is None:
            n = self.x.shape[0]
            return np.asarray(self.union_cost, np.float64)[:n, n:]
        return cost_matrix(self.x, self.y, self.metric)

    def union_costs(self) -> np.ndarray:
        """The ``(n + m, n + m)`` costs between all the points (the dual LP's)."""
        if self.metric is None:
            return np.asarray(self.union_cost, np.float64)
        z = self.union
        return cost_matrix(z, z, self.metric)

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
        Kantorovich-Rubinstein potential (the signs: :mod:`~divergences.wasserstein._results`);
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

    def cost_bound(self) -> float:
        """An upper bound on every computed cost between two of the points."""
        if self.metric is None:
            return float(np.max(np.asarray(self.union_cost), initial=0.0))
        z = self.union
        span = np.max(z, axis=0) - np.min(z, axis=0)  # exact: coordinates in (-1, 1)
        bound = float(self.metric.span_bound(span, HOST_OPS))
        rho, tau = self.error
        return (bound + tau) * (1 + 2 * rho) * (1 + 1e-15)
