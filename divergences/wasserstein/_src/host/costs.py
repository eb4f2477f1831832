r"""Ground costs on the host: NumPy in, NumPy out, no JAX.

The W1 host solvers take float64 points scaled by a power of two into (-1, 1)
(:func:`~divergences._src.scaling.scale_exponent`): exact wherever no coordinate leaves
the normal range, so every coordinate scale is solved like scale 1 and no difference, square or
sum overflows. The costs here are the named metrics' formulas
(:mod:`divergences._src.metrics`); a callable metric is JAX code, which the runner
evaluates in JAX and hands over as a matrix.

Every computed cost :math:`\tilde c` is within the specs' cost-error model
(:func:`~divergences._src.metrics.cost_error`) of the exact cost of the same float64
points, :math:`|\tilde c - c| \le \rho\, \tilde c + \tau`, which is what the certificates
(:mod:`.certify`) widen their bounds by.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from divergences._src.metrics import HOST_OPS, MetricSpec, named_metric

__all__ = ["arc_costs", "host_costs"]

#: Entries of the host's cost matrices computed per block of rows from the formula (a metric
#: with no C loop in scipy): the differences of a block take at most this many floats.
_BLOCK_FLOATS = 1 << 22


def _spec(metric: Any) -> MetricSpec:
    """The spec of a named metric (its name or itself); a callable's costs come from JAX."""
    spec = named_metric(metric)
    if spec is None:
        raise TypeError(f"the host computes named metrics only; got {metric!r}")
    return spec


def _formula_blocks(x: np.ndarray, y: np.ndarray, spec: MetricSpec) -> np.ndarray:
    """The spec's formula between all pairs, a block of rows at a time."""
    n, m, d = x.shape[0], y.shape[0], x.shape[1]
    rows = max(1, _BLOCK_FLOATS // max(1, m * d))
    out = np.empty((n, m), np.float64)
    for start in range(0, n, rows):
        block = slice(start, start + rows)
        out[block] = spec.costs(x[block, None, :] - y[None, :, :], HOST_OPS)
    return out


def host_costs(x: np.ndarray, y: np.ndarray, metric: Any) -> np.ndarray:
    """The ``(n, m)`` cost matrix of float64 points for a named metric (a name or its spec).

    scipy's C loops (``cdist``) where the spec names one, its formula by blocks otherwise. The
    Euclidean cost is exact to rounding at every scale: differences on the line are taken as
    they are, and in higher dimension the few entries small enough for ``cdist``'s squares to
    have underflowed are recomputed scaled by their largest component (like ``hypot``).
    ``cdist`` may overflow where a squared difference exceeds 1.8e308: the W1 solvers pass
    points already scaled by :func:`~..metrics.scale_exponent`.
    """
    spec = _spec(metric)
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x64.shape[1] == 1 and spec.degree == 1:
        return np.abs(x64 - y64[:, 0][None, :])
    if spec.cdist is None:
        return _formula_blocks(x64, y64, spec)
    # Imported here: scipy.spatial takes longer to import than the rest of the package.
    from scipy.spatial.distance import cdist

    cost = cdist(x64, y64, metric=spec.cdist)
    # The least cost first: one pass, and the search for the small entries only where one is.
    if spec.squares_underflow is not None and np.min(cost, initial=np.inf) < spec.squares_underflow:
        rows, cols = np.nonzero(cost < spec.squares_underflow)
        cost[rows, cols] = spec.scaled_formula(x64[rows] - y64[cols], HOST_OPS)
    return cost


def arc_costs(x: np.ndarray, y: np.ndarray, rows: np.ndarray, cols: np.ndarray, metric: Any):
    """``c(x[rows[k]], y[cols[k]])`` for each arc ``k``: the costs a sparse plan uses."""
    spec = _spec(metric)
    diff = np.asarray(x, np.float64)[rows] - np.asarray(y, np.float64)[cols]
    cost = spec.costs(diff, HOST_OPS)
    if spec.squares_underflow is not None:
        small = cost < spec.squares_underflow
        if np.any(small):
            cost[small] = spec.scaled_formula(diff[small], HOST_OPS)
    return cost
