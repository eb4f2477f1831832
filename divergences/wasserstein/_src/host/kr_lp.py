"""The Kantorovich-Rubinstein dual LP on the host, by scipy's HiGHS. NumPy in, NumPy out, no JAX.

The ``"lp"`` method of :func:`~divergences.w1_dual`: an LP over the potential's values on the
union of the supports, independent of the transport solvers, to check strong duality with a
second solver. Quadratically many constraints: for a few hundred points.

HiGHS's feasibility tolerances are absolute, so the LP is solved on the costs divided by a power
of two that brings the largest into [0.5, 1), and the value and potential are multiplied back
(exact).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from divergences.wasserstein._src.host.dense import normaliser
from divergences.wasserstein._src.host.memory import format_bytes
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.results import SolverError, Status

__all__ = [
    "KR_LP_BYTES_PER_PAIR",
    "KR_LP_MAX_POINTS",
    "SOLVER",
    "KRDual",
    "KRLinearProgram",
    "LPOptions",
    "check_kr_lp_size",
    "kr_dual_failures",
    "solve_kr_dual",
]

_HIGHS_TIGHT = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
    "presolve": False,
}

# scipy's linprog statuses as the one Status of every solver.
_LINPROG_STATUS = {
    0: Status.OPTIMAL,
    1: Status.PIVOT_CAP,
    2: Status.INFEASIBLE,
    3: Status.UNBOUNDED,
    4: Status.NUMERICAL,
}

#: Bytes HiGHS is taken to need per ordered pair of points of the union (each pair is one
#: constraint with two non-zeros): the size stated when :func:`check_kr_lp_size` refuses.
KR_LP_BYTES_PER_PAIR = 250

#: The largest ``n + m`` of the Kantorovich-Rubinstein dual LP (``method="lp"``), which has
#: ``(n + m)^2`` constraints: 3000 points is 9e6 of them, about 2 GiB at
#: :data:`KR_LP_BYTES_PER_PAIR`, and far beyond the few hundred points the method is meant for.
KR_LP_MAX_POINTS = 3000


class KRDual(NamedTuple):
    """HiGHS's solution of the Kantorovich-Rubinstein dual LP.

    The potential on the union, its value, and the optimal flow as arcs ``(rows, cols, mass)``
    between points of the union (the LP's constraint marginals).
    """

    f: np.ndarray  # (N,)
    value: float
    rows: np.ndarray  # (k,)
    cols: np.ndarray  # (k,)
    mass: np.ndarray  # (k,)


def check_kr_lp_size(n_all: int) -> None:
    """Refuses a Kantorovich-Rubinstein dual LP on more than :data:`KR_LP_MAX_POINTS` points."""
    if n_all > KR_LP_MAX_POINTS:
        size = format_bytes(KR_LP_BYTES_PER_PAIR * n_all * n_all)
        raise MemoryError(
            f"the Kantorovich-Rubinstein dual LP (method='lp') on {n_all} points has "
            f"{n_all * (n_all - 1)} constraints, about {size} in HiGHS; "
            f"it takes at most {KR_LP_MAX_POINTS} points. Use method='dense' (one network "
            "simplex solve and its c-transform) instead"
        )


def solve_kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> KRDual:
    r"""The Kantorovich-Rubinstein dual LP on the union :math:`z = (x_1..x_n, y_1..y_m)`.

    .. math:: \max_f \sum_i a_i f(x_i) - \sum_j b_j f(y_j)
       \quad\text{s.t.}\quad f_k - f_l \le c(z_k, z_l) \ \forall k \ne l, \quad f_0 = 0.

    The LP dual of this problem is a min-cost flow on the complete graph over the union with
    net supply ``a - b``; its optimal flow (HiGHS's constraint marginals, as arcs) is returned
    too, as the envelope derivative of the value with respect to the costs.

    Raises:
      SolverError: if HiGHS does not report an optimal solution; ``.status`` says why.
    """
    sol, status = _kr_dual(cost_union, a, b)
    if sol is None or status != Status.OPTIMAL:
        raise SolverError(kr_dual_failures(cost_union.shape[0])[status], status)
    return sol


def kr_dual_failures(n_all: int) -> dict[Status, str]:
    """The message of every status the KR LP may fail with: one table, eager and traced.

    Each of linprog's failing statuses (:data:`_LINPROG_STATUS`) and ``FAILED``, which stands
    for any other; the runner carries the text out of a trace as it is (``on_host``).
    """
    what = f"HiGHS did not solve the Kantorovich-Rubinstein dual LP ({n_all} points)"
    return {
        Status.PIVOT_CAP: f"{what}: iteration limit reached",
        Status.INFEASIBLE: f"{what}: the problem is infeasible; check that the costs are a metric",
        Status.UNBOUNDED: f"{what}: the problem is unbounded; check that a and b have equal "
        "total mass",
        Status.NUMERICAL: f"{what}: numerical difficulties",
        Status.FAILED: f"{what}: scipy's linprog returned a status it does not document; "
        "method='dense' solves the same problem by the network simplex",
    }


class LPOptions(NamedTuple):
    """The options of ``w1_dual(method="lp")``: ``options=dv.LPOptions(...)`` or the keyword.

    HiGHS solves the LP to its own tolerances, uncapped: no ``max_iter``, no ``rtol``.
    """

    #: The compiled code's threads for the potential's Lipschitz check (None: the default).
    threads: int | None = None


class KRLinearProgram:
    """The registry entry of ``w1_dual(method="lp")``: HiGHS on the Kantorovich-Rubinstein LP.

    A dual method only (its potential is the LP's own, not a c-transform of a coupling): what
    :mod:`~divergences.wasserstein._src.problem` checks, as for a transport solver
    (:class:`~.protocol.TransportSolver`); the solve is :func:`solve_kr_dual`, whose
    :class:`SolverError` the runner raises eagerly and under ``dv.checked`` alike.
    """

    name = "lp"
    Options = LPOptions
    keywords = LPOptions._fields

    def options(self, n: int, m: int, given: LPOptions) -> LPOptions:
        """``given`` checked: ``threads`` alone."""
        return LPOptions(check_threads(given.threads))

    def check(self, n: int, m: int, options: LPOptions) -> None:
        """Refuses more than :data:`KR_LP_MAX_POINTS` points (``MemoryError``)."""
        check_kr_lp_size(n + m)


#: The registry entry of the KR LP.
SOLVER = KRLinearProgram()


def _kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[KRDual | None, Status]:
    """Solves the Kantorovich-Rubinstein dual LP by HiGHS, with linprog's status.

    HiGHS sees the costs scaled into [0.5, 1) (its tolerances are absolute); the value, the
    potential and the flow come back in the units of ``cost_union``.
    """
    import scipy.optimize  # imported here: only the LP method pays for it
    import scipy.sparse

    cost_union = np.asarray(cost_union, dtype=np.float64)
    e = normaliser(cost_union)
    cost_union = np.ldexp(cost_union, -e)
    n_all = cost_union.shape[0]
    objective = np.concatenate([-a, b]).astype(np.float64)  # linprog minimises -(a.f_x - b.f_y)
    rows, cols = np.nonzero(~np.eye(n_all, dtype=bool))
    n_con = rows.shape[0]
    con = np.arange(n_con)
    a_ub = scipy.sparse.csr_array(
        (
            np.concatenate([np.ones(n_con), -np.ones(n_con)]),
            (np.concatenate([con, con]), np.concatenate([rows, cols])),
        ),
        shape=(n_con, n_all),
    )
    bounds = [(0.0, 0.0)] + [(None, None)] * (n_all - 1)
    res = scipy.optimize.linprog(
        objective,
        A_ub=a_ub if n_con else None,
        b_ub=cost_union[rows, cols] if n_con else None,
        bounds=bounds,
        method="highs",
        # HiGHS's default feasibility tolerances (1e-7) let constraints between points a few
        # 1e-10 apart be broken by as much; the tightest it accepts keeps them at rounding.
        # Presolve off: on near-ties its reductions cost another ~1e-11 (the LP is small).
        options=_HIGHS_TIGHT,
    )
    status = _LINPROG_STATUS.get(int(res.status), Status.FAILED)
    if status != Status.OPTIMAL:
        return None, status
    flow = -np.asarray(res.ineqlin.marginals) if n_con else np.zeros(0)
    used = flow != 0
    # The flow is d value / d cost: scale-free. Potential and value carry the cost's unit.
    return KRDual(
        np.ldexp(np.asarray(res.x), e),
        float(np.ldexp(-res.fun, e)),
        rows[used].astype(np.int32),
        cols[used].astype(np.int32),
        flow[used],
    ), Status.OPTIMAL
