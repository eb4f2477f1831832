r"""The compiled extension ``_ot_native``, loaded lazily, and what replaces it when absent.

The extension is optional: an install without a C++17 compiler (or with
``DIVERGENCES_BUILD_NATIVE=0``) has everything but the sparse W1 solver. Its k-d tree is also
used for weighted nearest-neighbour queries (``kr_potential``, the Lipschitz check of
``w1_dual``); where it is absent, :func:`weighted_nearest_scipy` answers them exactly with
SciPy's k-d tree.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import numpy as np

from divergences.wasserstein._results import SolverError, Status

__all__ = ["NOT_BUILT_MESSAGE", "available", "load", "weighted_nearest_scipy"]

_MODULE = "divergences.wasserstein._ot_native"

#: What a user without the extension is told, eagerly and under ``dv.checked``.
NOT_BUILT_MESSAGE = (
    "the sparse W1 solver (method='sparse', and method='auto' past the dense method's memory "
    "limit) is not built in this install: its C++ extension divergences.wasserstein._ot_native "
    "is missing. Reinstall from the source with a C++17 compiler available and "
    "DIVERGENCES_BUILD_NATIVE unset (for example `pip install --force-reinstall --no-deps "
    "--no-binary divergences divergences`, or `pip install -e .` in a checkout), or use "
    "method='dense' for problems that fit in memory"
)


@functools.cache
def _import() -> Any:
    try:
        return importlib.import_module(_MODULE)
    except ImportError:
        return None


def available() -> bool:
    """True when the compiled extension can be imported."""
    return _import() is not None


def load() -> Any:
    """The compiled module.

    Raises:
      SolverError: with status ``NOT_BUILT`` and :data:`NOT_BUILT_MESSAGE` when it is absent.
    """
    module = _import()
    if module is None:
        raise SolverError(NOT_BUILT_MESSAGE, Status.NOT_BUILT)
    return module


def weighted_nearest_scipy(
    sites: np.ndarray, weights: np.ndarray, z: np.ndarray, *, workers: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    r"""The exact weighted nearest site :math:`\min_j \|z - s_j\| + w_j` by SciPy's k-d tree.

    The minimum at every row of ``z`` and its argmin, the tree's queries on ``workers``
    threads.

    Branch and bound on the additive weights: with :math:`w' = w - \min w \ge 0`, the ``k``
    nearest sites by distance give a candidate :math:`\min \|z - s_j\| + w'_j`; every site
    not among them is at least the ``k``-th distance away, so the candidate is exact once that
    distance reaches it. Queries not yet settled are asked again with ``2 k`` neighbours
    (at worst all sites).
    """
    from scipy.spatial import cKDTree

    sites = np.asarray(sites, np.float64)
    weights = np.asarray(weights, np.float64)
    z = np.asarray(z, np.float64)
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
