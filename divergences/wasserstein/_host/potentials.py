r"""Potentials on the host: c-transforms, McShane's extension and the Lipschitz check, in NumPy.

One operation underlies all three, the weighted nearest site

.. math:: g(z) = \min_l\ c(z, s_l) + w_l,

answered exactly for the Euclidean cost by a k-d tree with branch and bound on the additive
weights (the sparse solver's pricing oracle, :math:`O((N + q) \log N)`), and for the other
costs by the cost matrix a block of rows at a time (:math:`O(qN)` time,
:math:`O(\text{rows} \cdot N)` memory). With sites :math:`y_j` and weights :math:`-v_j` it is
the c-transform of a column potential; with the samples and a potential's values, McShane's
extension and the Lipschitz check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from divergences.wasserstein._host.costs import pairwise_costs
from divergences.wasserstein._host.nearest import weighted_nearest_euclidean
from divergences.wasserstein._metrics import Euclidean, named_metric

__all__ = ["lipschitz_violation_blocks", "potential_violation", "weighted_nearest"]

#: Fewer queries than this run on one thread unless ``threads`` says otherwise.
_PARALLEL_QUERIES = 4096


def weighted_nearest(
    sites: np.ndarray,
    weights: np.ndarray,
    z: np.ndarray,
    metric: Any,
    *,
    argmin: bool = False,
    threads: int | None = None,
    rows: int = 512,
) -> np.ndarray:
    r"""The weighted nearest site :math:`\min_l c(z, s_l) + w_l` at each row of ``z``.

    Or (``argmin=True``) the minimising ``l``; exact (the k-d tree) for the Euclidean cost, by
    blocks of rows otherwise.
    """
    sites = np.ascontiguousarray(sites, np.float64)
    weights = np.ascontiguousarray(weights, np.float64)
    z = np.ascontiguousarray(z, np.float64)
    if named_metric(metric) == Euclidean():
        if threads is None and z.shape[0] < _PARALLEL_QUERIES:
            threads = 1  # starting threads costs more than the queries
        value, arg = weighted_nearest_euclidean(sites, weights, z, threads=threads)
        return arg if argmin else value
    out = np.empty(z.shape[0], np.int32 if argmin else np.float64)
    for start in range(0, z.shape[0], rows):
        block = slice(start, start + rows)
        shifted = pairwise_costs(z[block], sites, metric) + weights[None, :]
        out[block] = np.argmin(shifted, axis=1) if argmin else np.min(shifted, axis=1)
    return out


def lipschitz_violation_blocks(
    f: np.ndarray, points: np.ndarray, metric: Any, *, rows: int = 512
) -> float:
    r"""The largest Lipschitz violation :math:`\max_{kl} f_k - f_l - c(z_k, z_l)` of ``f``.

    It may be negative (0 on the diagonal for a named metric); the costs are computed a block
    of rows at a time. The named metrics are symmetric, so each block is compared with the
    points from its own first row on only, with :math:`|f_k - f_l|`: half the work.
    """
    worst = -np.inf
    for start in range(0, f.shape[0], rows):
        block = slice(start, start + rows)
        cost = pairwise_costs(points[block], points[start:], metric)
        gap = np.abs(f[block, None] - f[None, start:])
        worst = max(worst, float(np.max(gap - cost)))
    return worst


def potential_violation(
    f: np.ndarray, points: np.ndarray, metric: Any, *, threads: int | None = None
) -> float:
    r""":math:`\max_{kl} f_k - f_l - c(z_k, z_l)` over all pairs, as computed (not widened).

    For the Euclidean cost by one weighted nearest-neighbour query per point,
    :math:`\max_k f_k - \min_l [c(z_k, z_l) + f_l]` (:math:`O(N \log N)`); other costs by
    blocks of rows.
    """
    if named_metric(metric) != Euclidean():
        return lipschitz_violation_blocks(f, points, metric)
    lowest = weighted_nearest(points, f, points, metric, threads=threads)
    return float(np.max(f - lowest))
