"""Exact linear-programming solvers run on the host, and the status checks around them.

* :func:`solve_transport`: the Kantorovich primal LP over couplings, by POT's network simplex
  (``ot.emd``), with its LP dual variables.
* :func:`solve_kr_dual`: the Kantorovich-Rubinstein dual LP over potentials on the union of the
  supports, by scipy's HiGHS. Quadratically many constraints: for small problems and for
  checking strong duality against the primal, not for speed.

Both are NumPy in, NumPy out (float64) and raise :class:`SolverError` whenever the solver does
not report an optimal solution: a solver that stops short never returns a number.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "HostDual",
    "HostPrimal",
    "SolverError",
    "default_max_iter",
    "solve_kr_dual",
    "solve_transport",
]

_HIGHS_TIGHT = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
    "presolve": False,
}

# POT's network simplex status codes (``log["result_code"]``).
_OPTIMAL = 1


class SolverError(RuntimeError):
    """An exact LP solver did not reach an optimal solution (iteration cap, infeasibility)."""


#: A field of :class:`HostPrimal` / :class:`HostDual`: a NumPy array from the host solver, a
#: ``jax.ShapeDtypeStruct`` when the tuple describes a ``pure_callback``'s result, or a
#: ``jax.Array`` for that callback's output. (No generic NamedTuple before Python 3.11.)
HostField = Any


class HostPrimal(NamedTuple):
    plan: HostField  # (n, m)
    u: HostField  # (n,)
    v: HostField  # (m,)
    value: HostField  # ()


class HostDual(NamedTuple):
    f: HostField  # (n + m,)
    flow: HostField  # (n + m, n + m)
    value: HostField  # ()


def default_max_iter(n: int, m: int) -> int:
    """The pivot cap of the network simplex: generous, growing with the problem size.

    POT's default of 1e5 pivots is too few from a few thousand points on (at n = m = 10^4 it
    stops about 10% above the optimum). The cap only matters when it is hit, so it is set far
    above the pivot counts seen in practice.
    """
    return max(100_000, 50 * n * m)


def solve_transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> HostPrimal:
    """Optimal coupling and LP duals of ``min <P, C>`` s.t. ``P 1 = a, P^T 1 = b, P >= 0``.

    The duals ``(u, v)`` satisfy ``u_i + v_j <= C_ij`` with equality on the support of the
    plan, and ``a.u + b.v`` is the optimal value. POT normalises them so that ``a.u = b.v`` and
    gives points of zero weight feasible duals.
    """
    import ot  # imported here: POT takes half a second to import, paid only by an LP solve

    cost = np.ascontiguousarray(cost, dtype=np.float64)
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    with warnings.catch_warnings():
        # POT warns (and returns a number) when it stops short; the status is checked below
        # and turned into an error instead, so its warning is redundant here.
        warnings.simplefilter("ignore")
        plan, log = ot.emd(a, b, cost, numItermax=int(max_iter), log=True, check_marginals=False)
    code = int(log["result_code"])
    if code != _OPTIMAL:
        raise SolverError(
            f"the network simplex stopped before optimality: {log['warning']} "
            f"(result_code {code}, numItermax {max_iter}, problem {cost.shape[0]} x "
            f"{cost.shape[1]}); raise max_iter, or check that a and b have equal mass"
        )
    return HostPrimal(plan, np.asarray(log["u"]), np.asarray(log["v"]), np.asarray(log["cost"]))


def solve_kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> HostDual:
    r"""The Kantorovich-Rubinstein dual LP on the union :math:`z = (x_1..x_n, y_1..y_m)`.

    .. math:: \max_f \sum_i a_i f(x_i) - \sum_j b_j f(y_j)
       \quad\text{s.t.}\quad f_k - f_l \le c(z_k, z_l) \ \forall k \ne l, \quad f_0 = 0.

    The LP dual of this problem is a min-cost flow on the complete graph over the union with
    net supply ``a - b``; its optimal flow (HiGHS's constraint marginals) is returned too, as
    the envelope derivative of the value with respect to the costs.
    """
    import scipy.optimize  # imported here, like POT above: only the LP option pays for it
    import scipy.sparse

    cost_union = np.asarray(cost_union, dtype=np.float64)
    n_all = cost_union.shape[0]
    objective = -np.concatenate([a, -b]).astype(np.float64)  # linprog minimises
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
    if res.status != 0:
        raise SolverError(
            f"HiGHS did not solve the Kantorovich-Rubinstein dual LP: {res.message} "
            f"(status {res.status}, {n_all} points)"
        )
    flow = np.zeros((n_all, n_all))
    if n_con:
        flow[rows, cols] = -np.asarray(res.ineqlin.marginals)
    return HostDual(np.asarray(res.x), flow, np.asarray(-res.fun))
