r"""The compiled extension ``_ot_native``, loaded lazily, and what replaces it when absent.

The extension is optional: an install without a C++17 compiler (or with
``DIVERGENCES_BUILD_NATIVE=0``) has everything but the sparse W1 solver. Its k-d tree is also
used for weighted nearest-neighbour queries (``kr_potential``, the Lipschitz check of
``w1_dual``); where it is absent, :func:`~.nearest.weighted_nearest` answers them exactly with
SciPy's k-d tree.

The sparse solver reaches the compiled ``solve`` through :func:`solve_graph` only, which speaks
the library's sign convention (:mod:`~divergences.wasserstein._src.results`): its start and its
answer are a Kantorovich-Rubinstein potential's values ``f_x``, ``f_y``, while the extension
takes its start as a Kantorovich pair ``(u0, v0)`` (and keeps its graph's duals as node
potentials :math:`\pi` with reduced costs :math:`c_{ij} + \pi_i - \pi_{n+j}`, turned into
``u = -pi[:n]``, ``v = pi[n:]`` in its own code). The weighted nearest-site queries
(``c_transform``, ``k_nearest``) add their weights, as :func:`~.nearest.weighted_nearest` does:
those are a potential's values at the sites, no conversion.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, NamedTuple

import numpy as np

from divergences.wasserstein._src.results import SolverError, Status, kantorovich_pair

__all__ = [
    "NOT_BUILT_MESSAGE",
    "GraphSolution",
    "available",
    "load",
    "solve_graph",
]

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


class GraphSolution(NamedTuple):
    """The compiled column generation's answer, in the numbering of its input."""

    rows: np.ndarray  # (k,) int32: the plan's arcs of positive mass
    cols: np.ndarray  # (k,) int32
    mass: np.ndarray  # (k,)
    f_x: np.ndarray  # (n,) the c-transform f(z) = min_j |z - y_j| - v_j of the graph's v, at x
    f_y: np.ndarray  # (m,) and at y
    upper: float  # the plan's cost when it is a coupling, else +inf
    lower: float  # sum_i a_i f(x_i) - sum_j b_j f(y_j)
    status: int
    rounds: int
    pivots: int
    arcs: int
    dual_max: float  # the largest |u_i|, |v_j| of the graph's own duals


def solve_graph(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    arc_rows: np.ndarray,
    arc_cols: np.ndarray,
    f0_x: np.ndarray,
    f0_y: np.ndarray,
    rtol: float,
    rc_tol: float,
    max_rounds: int,
    max_pivots: int,
    threads: int,
    assignment: bool,
    basis_rows: np.ndarray | None = None,
    basis_cols: np.ndarray | None = None,
    arcs_per_point: int = 1,
) -> GraphSolution:
    r"""The compiled column generation (``_ot_native.solve``) from the potential ``f0``.

    ``f0_x``, ``f0_y``: a guess of a Kantorovich-Rubinstein potential at the points (any finite
    values), handed to the extension as the pair :func:`~..results.kantorovich_pair` makes of
    them. Points, weights and arcs as the extension documents them (C-contiguous float64 and
    int32). ``basis_rows``, ``basis_cols``: a forest of arcs, the network simplex's first basis
    where its flows for ``(a, b)`` are positive (none, or empty: the monotone plan's).
    ``arcs_per_point``: the arcs of negative reduced cost each pricing round adds per point
    (its least ones; a speed setting).

    Raises:
      SolverError: with status ``NOT_BUILT`` where the extension is absent.
    """
    u0, v0 = kantorovich_pair(f0_x, f0_y)
    basis = {}
    if basis_rows is not None and basis_cols is not None and basis_rows.size:
        basis = {
            "basis_rows": np.ascontiguousarray(basis_rows, np.int32),
            "basis_cols": np.ascontiguousarray(basis_cols, np.int32),
        }
    res = load().solve(
        x, y, a, b,
        arc_rows=arc_rows, arc_cols=arc_cols,
        rtol=float(rtol), rc_tol=float(rc_tol), max_rounds=int(max_rounds),
        max_pivots=int(max_pivots), threads=int(threads), assignment=bool(assignment),
        arcs_per_point=int(arcs_per_point),
        u0=np.ascontiguousarray(u0, np.float64), v0=np.ascontiguousarray(v0, np.float64),
        **basis,
    )  # fmt: skip
    dual_max = max(float(np.max(np.abs(res["u"]))), float(np.max(np.abs(res["v"]))))
    return GraphSolution(
        np.asarray(res["rows"]), np.asarray(res["cols"]), np.asarray(res["mass"]),
        np.asarray(res["f_x"]), np.asarray(res["f_y"]),
        float(res["upper_bound"]), float(res["lower_bound"]), int(res["status"]),
        int(res["rounds"]), int(res["pivots"]), int(res["arcs"]), dual_max,
    )  # fmt: skip
