r"""Weighted nearest sites on the host, and the Lipschitz check built on them; NumPy only.

One operation underlies the c-transforms, McShane's extension and the Lipschitz check: the
weighted nearest site

.. math:: g(z) = \min_l\ c(z, s_l) + w_l,

answered exactly for the Euclidean cost by the compiled k-d tree with branch and bound on the
additive weights (the sparse solver's pricing oracle, :math:`O((N + q) \log N)`; SciPy's k-d tree
where the extension is not built), and for the other costs by the cost matrix a block of rows at a
time (:math:`O(qN)` time, :math:`O(\text{rows} \cdot N)` memory). With sites :math:`y_j` and
weights :math:`-v_j` it is the c-transform of a column potential; with the samples and a
potential's values, McShane's extension and the Lipschitz check. Every function here takes the
queries first, then the sites and their weights, as the compiled ``c_transform`` does.

Reference: Villani, *Optimal Transport: Old and New*, 2009, ch. 5 (the c-transform).
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np

from divergences._src.metrics import Euclidean, MetricSpec, named_metric
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.host import native
from divergences.wasserstein._src.host.costs import host_costs
from divergences.wasserstein._src.host.dyadic import as_integers
from divergences.wasserstein._src.host.threads import check_threads, resolve_threads

__all__ = ["lipschitz_violation", "mcshane_extension", "weighted_k_nearest", "weighted_nearest"]

#: Fewer queries than this run on one thread unless ``threads`` says otherwise: starting
#: threads costs more than the queries.
_PARALLEL_QUERIES = 4096


def weighted_nearest(
    z: np.ndarray,
    sites: np.ndarray,
    weights: np.ndarray,
    *,
    metric: Any = "euclidean",
    threads: int | None = None,
    rows: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\min_l c(z, s_l) + w_l` at every row of ``z``, and its argmin ``l``, exactly.

    For the Euclidean cost by the compiled k-d tree on ``threads`` threads (None: one thread for
    fewer than 4096 queries, else ``$DIVERGENCES_NUM_THREADS`` where it is set, else the CPUs
    this process may use), or where the extension is not built by SciPy's (the same minimum; the
    argmin up to ties). For another named metric by blocks of ``rows`` rows of the cost matrix.

    Raises:
      ValueError: for ``threads`` neither None nor a positive integer.
    """
    z = np.ascontiguousarray(z, np.float64)
    sites = np.ascontiguousarray(sites, np.float64)
    weights = np.ascontiguousarray(weights, np.float64)
    if named_metric(metric) != Euclidean():
        value = np.empty(z.shape[0], np.float64)
        arg = np.empty(z.shape[0], np.int32)
        for start in range(0, z.shape[0], rows):
            block = slice(start, start + rows)
            shifted = host_costs(z[block], sites, metric) + weights[None, :]
            arg[block] = np.argmin(shifted, axis=1)
            value[block] = np.take_along_axis(shifted, arg[block, None].astype(np.intp), 1)[:, 0]
        return value, arg
    chosen = check_threads(threads)
    if chosen is None and z.shape[0] < _PARALLEL_QUERIES:
        chosen = 1
    if z.shape[1] == 1:
        return _line_weighted_nearest(z[:, 0], sites[:, 0], weights)
    if not native.available():
        return _scipy_weighted_nearest(z, sites, weights, workers=chosen or 1)
    res = native.load().c_transform(z, sites, weights, threads=resolve_threads(chosen))
    return np.asarray(res["value"]), np.asarray(res["argmin"])


def weighted_k_nearest(
    z: np.ndarray,
    sites: np.ndarray,
    weights: np.ndarray,
    k: int,
    *,
    threads: int | None = None,
) -> np.ndarray:
    r"""The ``k`` sites of least :math:`\|p - s_j\| + w_j` for every row ``p`` of ``z`` (native)."""
    k = min(k, sites.shape[0])
    res = native.load().k_nearest(
        np.ascontiguousarray(z, np.float64),
        np.ascontiguousarray(sites, np.float64),
        np.ascontiguousarray(weights, np.float64),
        k,
        threads=resolve_threads(threads),
    )
    return np.asarray(res["index"]).reshape(z.shape[0], k)


def mcshane_extension(
    f: np.ndarray,
    points: np.ndarray,
    z: np.ndarray,
    *,
    metric: str | MetricSpec,
    threads: int | None,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    r"""McShane's extension :math:`\min_k c(z, z_k) + f_k` at every row of ``z``, and its argmin.

    The host function of :func:`~divergences.kr_potential` (a named metric), which the runner
    calls directly for concrete input and by callback under a trace, so both give the same
    bits: float64 points scaled by a power of two (exact), the weighted nearest site, the value
    scaled back and rounded into ``dtype`` (subnormals included); the argmin as int32.
    """
    sites = np.asarray(points, np.float64)
    query = np.asarray(z, np.float64)
    degree = named_metric(metric).degree
    e = scale_exponent(sites, query, degree=degree)
    scaled_f = np.ldexp(np.asarray(f, np.float64), -degree * e)
    scaled_sites, scaled_z = np.ldexp(sites, -e), np.ldexp(query, -e)
    values, arg = weighted_nearest(scaled_z, scaled_sites, scaled_f, metric=metric, threads=threads)
    with np.errstate(over="ignore"):
        out = np.ldexp(np.asarray(values, np.float64), degree * e).astype(dtype, copy=False)
    return out, np.asarray(arg, np.int32)


def lipschitz_violation(
    f: np.ndarray, points: np.ndarray, metric: Any, *, threads: int | None = None, rows: int = 512
) -> float:
    r"""The largest :math:`f_k - f_l - c(z_k, z_l)` over all pairs, as computed (not widened).

    The pairs include :math:`k = l`, where a named metric's cost is 0, so the result is at least
    0. For the Euclidean cost by one weighted nearest-site query per point,
    :math:`\max_k f_k - \min_l [c(z_k, z_l) + f_l]` (:math:`O(N \log N)`); for the other costs,
    which are symmetric, by blocks of ``rows`` rows, each compared with the points from its own
    first row on only, with :math:`|f_k - f_l|`: half the cost matrix.
    """
    if named_metric(metric) == Euclidean():
        lowest, _ = weighted_nearest(points, points, f, metric=metric, threads=threads)
        return float(np.max(f - lowest))
    worst = -np.inf
    for start in range(0, f.shape[0], rows):
        block = slice(start, start + rows)
        cost = host_costs(points[block], points[start:], metric)
        gap = np.abs(f[block, None] - f[None, start:])
        worst = max(worst, float(np.max(gap - cost)))
    return worst


def _scipy_weighted_nearest(
    z: np.ndarray, sites: np.ndarray, weights: np.ndarray, *, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    r"""The exact weighted nearest site :math:`\min_j \|z - s_j\| + w_j` by SciPy's k-d tree.

    The minimum at every row of ``z`` and its argmin, the tree's queries on ``workers``
    threads: what replaces the compiled ``c_transform`` where the extension is not built.

    Branch and bound on the additive weights: with :math:`w' = w - \min w \ge 0`, the ``k``
    nearest sites by distance give a candidate :math:`\min \|z - s_j\| + w'_j`; every site
    not among them is at least the ``k``-th distance away, so the candidate is exact once that
    distance reaches it. Queries not yet settled are asked again with ``2 k`` neighbours
    (at worst all sites).
    """
    # Imported here: scipy.spatial takes longer to import than the rest of the package.
    from scipy.spatial import cKDTree

    q, total = z.shape[0], sites.shape[0]
    base = float(np.min(weights))
    shifted = weights - base
    tree = cKDTree(sites)
    best = np.full(q, np.inf)
    arg = np.zeros(q, np.int32)
    todo = np.arange(q)
    k = min(8, total)
    while todo.size:
        dist, idx = tree.query(z[todo], k=k, workers=workers)
        dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
        score = dist + shifted[idx]
        pick = np.argmin(score, axis=1)
        rows = np.arange(todo.size)
        best[todo] = score[rows, pick]
        arg[todo] = idx[rows, pick]
        if k == total:
            break
        # Settled where no farther site can do better: its distance alone is >= the k-th.
        todo = todo[dist[:, -1] < best[todo]]
        k = min(2 * k, total)
    return best + base, arg


def _line_weighted_nearest(
    z: np.ndarray, sites: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r"""The weighted nearest site on the line, exactly: :math:`O((q + N) \log N)` for any weights.

    On the line :math:`|z - s_j| + w_j` is :math:`z + (w_j - s_j)` for the sites left of
    :math:`z` and :math:`-z + (w_j + s_j)` for those right of it, so the least is a running
    minimum over the sorted sites on each side. Every number is an integer of one scale
    (:mod:`.dyadic`), so the argmin is the exact one, where a k-d tree's bound stalls (a
    potential of slope one ties every site along a run). The value is then computed as a cost
    plus a weight, as the other routes compute it.
    """
    q = z.shape[0]
    order = np.argsort(sites, kind="stable")
    ints, _ = as_integers(np.concatenate([sites[order], weights[order], z]))
    s, w, at = ints[: len(order)], ints[len(order) : 2 * len(order)], ints[2 * len(order) :]

    def running_min(scores: list[int]) -> list[int]:
        """Positions of the running minimum of ``scores``, left to right (the first at ties)."""
        best, out = 0, []
        for j, t in enumerate(scores):
            if t < scores[best]:
                best = j
            out.append(best)
        return out

    left = running_min([wj - sj for sj, wj in zip(s, w, strict=True)])
    right = running_min([wj + sj for sj, wj in zip(s[::-1], w[::-1], strict=True)])[::-1]
    right = [len(s) - 1 - j for j in right]
    arg = np.empty(q, np.int64)
    for i, zi in enumerate(at):
        k = bisect.bisect_right(s, zi)  # sites s[:k] at or left of z
        if k == 0:
            arg[i] = right[0]
        elif k == len(s):
            arg[i] = left[-1]
        else:
            jl, jr = left[k - 1], right[k]
            arg[i] = jl if zi + (w[jl] - s[jl]) <= (w[jr] + s[jr]) - zi else jr
    chosen = order[arg]
    value = np.abs(z - sites[chosen]) + weights[chosen]
    return value, chosen.astype(np.int32)
