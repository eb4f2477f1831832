r"""Weighted nearest sites, exactly, by the compiled k-d tree (SciPy's where it is not built).

The query :math:`\min_j \|z - s_j\| + w_j` (and its ``k`` smallest terms) is the pricing of the
sparse solver and the c-transform of every potential on the host.

Reference: Villani, *Optimal Transport: Old and New*, 2009, ch. 5 (the c-transform).
"""

from __future__ import annotations

import numpy as np

from divergences.wasserstein._host import native
from divergences.wasserstein._host.threads import check_threads, resolve_threads

__all__ = ["weighted_k_nearest", "weighted_nearest_euclidean"]


def weighted_nearest_euclidean(
    sites: np.ndarray, weights: np.ndarray, z: np.ndarray, *, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\min_j \|z - s_j\| + w_j` at every row of ``z`` and its argmin ``j``, exactly.

    By the compiled k-d tree on ``threads`` threads (None: ``$DIVERGENCES_NUM_THREADS`` where
    it is set, else the CPUs this process may use), or where the extension is not built by
    SciPy's (same result up to ties of the argmin; on one thread unless ``threads`` is given).

    Raises:
      ValueError: for ``threads`` neither None nor a positive integer.
    """
    chosen = check_threads(threads)
    if not native.available():
        return native.weighted_nearest_scipy(sites, weights, z, workers=chosen or 1)
    sites = np.ascontiguousarray(sites, dtype=np.float64)
    z = np.ascontiguousarray(z, dtype=np.float64)
    res = native.load().c_transform(
        z, sites, np.ascontiguousarray(weights, np.float64), threads=resolve_threads(chosen)
    )
    return np.asarray(res["value"]), np.asarray(res["argmin"])


def weighted_k_nearest(
    sites: np.ndarray,
    weights: np.ndarray,
    z: np.ndarray,
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
