"""Exact linear-programming solvers run on the host, and the status checks around them.

* :func:`solve_transport`: the Kantorovich primal LP over couplings, by POT's network simplex
  (``ot.emd``), with its LP dual variables.
* :func:`solve_kr_dual`: the Kantorovich-Rubinstein dual LP over potentials on the union of the
  supports, by scipy's HiGHS. Quadratically many constraints: for small problems and for
  checking strong duality against the primal, not for speed.

Both are NumPy in, NumPy out (float64) and raise :class:`SolverError` whenever the solver does
not report an optimal solution: a solver that stops short never returns a number. Called back
from a trace they cannot raise (JAX would turn the error into an opaque runtime error, and before
the input checks could speak): there :func:`transport_or_nan` and :func:`kr_dual_or_nan` return
NaN and a status code instead, which the traced code turns into a check.

Scale: both solvers compare with absolute tolerances (POT's network simplex takes a reduced cost
above ``-2.2e-15`` as optimal; HiGHS's feasibility tolerances are absolute too), so each solves
the problem with its costs divided by a power of two that brings the largest into [0.5, 1), and
multiplies the value and the potentials back. That is exact, so a problem scaled by ``2^k`` is
solved identically, and every scale gets the accuracy of scale 1: the optimality gap of the
network simplex is at most ~2.2e-15 times the largest cost (a reduced cost above ``-EPSILON`` on
each unit of moved mass), plus rounding.

Size: :func:`check_dense_size` refuses, before anything is allocated, problems whose dense
cost matrix and network-simplex graph would not fit in memory.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np

from divergences._validation import register_check_error

__all__ = [
    "DENSE_BYTES_PER_PAIR",
    "DENSE_MAX_PAIRS",
    "KR_LP_MAX_POINTS",
    "SKIPPED",
    "SOLVER_FAILED",
    "HostDual",
    "HostPrimal",
    "SolverError",
    "check_dense_size",
    "check_kr_lp_size",
    "default_max_iter",
    "kr_dual_failures",
    "kr_dual_or_nan",
    "solve_kr_dual",
    "solve_transport",
    "transport_failures",
    "transport_or_nan",
]

_HIGHS_TIGHT = {
    "primal_feasibility_tolerance": 1e-10,
    "dual_feasibility_tolerance": 1e-10,
    "presolve": False,
}

# POT's network simplex status codes (``log["result_code"]``), and scipy's linprog status 0.
_OPTIMAL = 1
_INFEASIBLE, _UNBOUNDED, _MAX_ITER_REACHED = 0, 2, 3
_LINPROG_OK = 0
#: Status returned by the callbacks when an input rule was broken and nothing was solved.
SKIPPED = -1

#: Bytes the dense network simplex holds per pair ``(x_i, y_j)``: the float64 cost matrix (8),
#: POT's full bipartite graph (costs, flows and states of its n m arcs, and the returned plan:
#: measured 33 bytes per pair at n = m = 2000 and 4000), and under ``jit`` the plan handed back
#: to JAX (8). Rounded up to 48.
DENSE_BYTES_PER_PAIR = 48

#: The largest ``n * m`` the dense method takes: 2^27 pairs (about 11,600 points a side), which
#: is 6 GiB at :data:`DENSE_BYTES_PER_PAIR`, what an ordinary 16 GiB machine can spare beside
#: the user's session; the network simplex needs minutes there already (6 s at 4000 a side,
#: growing like (n m)^1.2). Past ~24,000 points a side the process was killed on a 23 GiB
#: machine: refusing up front keeps the user's session.
DENSE_MAX_PAIRS = 2**27

#: The largest ``n + m`` of the Kantorovich-Rubinstein dual LP (``method="lp"``), which has
#: ``(n + m)^2`` constraints with two non-zeros each: 3000 points is 9e6 constraints, about 2 GiB
#: in HiGHS and far beyond the few hundred points the method is meant for.
KR_LP_MAX_POINTS = 3000


class SolverError(RuntimeError):
    """An exact LP solver did not reach an optimal solution (iteration cap, infeasibility)."""


#: Prefix of a traced check reporting a solver failure: ``dv.checked`` raises it as SolverError.
SOLVER_FAILED = register_check_error("SolverError", SolverError)


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def check_dense_size(n: int, m: int, *, method: str = "the dense network simplex") -> None:
    """Refuses, before allocating anything, a dense problem past :data:`DENSE_MAX_PAIRS`.

    Raises:
      MemoryError: saying the memory the problem needs and what to do instead.
    """
    if n * m > DENSE_MAX_PAIRS:
        raise MemoryError(
            f"W1 between {n} and {m} points by {method} needs the dense {n} x {m} cost matrix "
            f"and transport graph, about {_gib(DENSE_BYTES_PER_PAIR * n * m)} "
            f"({DENSE_BYTES_PER_PAIR} bytes per pair); it takes at most {DENSE_MAX_PAIRS} pairs "
            f"({_gib(DENSE_BYTES_PER_PAIR * DENSE_MAX_PAIRS)}). Use w1_1d for points on the "
            "line, w1_primal(..., method='sparse') for a Euclidean cost (it never forms the "
            "matrix), or subsample both measures"
        )


def check_kr_lp_size(n_all: int) -> None:
    """Refuses a Kantorovich-Rubinstein dual LP on more than :data:`KR_LP_MAX_POINTS` points."""
    if n_all > KR_LP_MAX_POINTS:
        raise MemoryError(
            f"the Kantorovich-Rubinstein dual LP (method='lp') on {n_all} points has "
            f"{n_all * (n_all - 1)} constraints, about {_gib(250.0 * n_all * n_all)} in HiGHS; "
            f"it takes at most {KR_LP_MAX_POINTS} points. Use method='primal' (one network "
            "simplex solve and its c-transform) instead"
        )


def _normaliser(cost: np.ndarray) -> int:
    """The exponent ``e`` with ``max cost * 2^-e`` in [0.5, 1); 0 for an all-zero matrix."""
    top = float(np.max(cost, initial=0.0))
    return int(np.frexp(top)[1]) if top > 0 else 0


def transport_failures(max_iter: int, n: int, m: int) -> dict[int, str]:
    """The message of each failing status of the network simplex (one text, eager and traced)."""
    where = f"(problem {n} x {m}, max_iter {max_iter})"
    return {
        _MAX_ITER_REACHED: "the network simplex stopped before optimality: it reached max_iter "
        f"pivots {where}; raise max_iter",
        _INFEASIBLE: "the network simplex stopped before optimality: the problem is infeasible "
        f"{where}; check that a and b have equal total mass",
        _UNBOUNDED: f"the network simplex stopped before optimality: the problem is unbounded "
        f"{where}; check that the costs are finite",
    }


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


def _transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> tuple:
    """POT's network simplex on the cost scaled into [0.5, 1); its status code alongside."""
    import ot  # imported here: POT takes half a second to import, paid only by an LP solve

    cost = np.asarray(cost, dtype=np.float64)
    e = _normaliser(cost)
    unit = np.ascontiguousarray(np.ldexp(cost, -e))
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    with warnings.catch_warnings():
        # POT warns (and returns a number) when it stops short; the status is checked by the
        # callers and turned into an error instead, so its warning is redundant here.
        warnings.simplefilter("ignore")
        plan, log = ot.emd(a, b, unit, numItermax=int(max_iter), log=True, check_marginals=False)
    sol = HostPrimal(
        plan,
        np.ldexp(np.asarray(log["u"]), e),
        np.ldexp(np.asarray(log["v"]), e),
        np.ldexp(np.asarray(log["cost"]), e),
    )
    return sol, int(log["result_code"])


def solve_transport(cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int) -> HostPrimal:
    """Optimal coupling and LP duals of ``min <P, C>`` s.t. ``P 1 = a, P^T 1 = b, P >= 0``.

    The duals ``(u, v)`` satisfy ``u_i + v_j <= C_ij`` with equality on the support of the
    plan, and ``a.u + b.v`` is the optimal value. POT normalises them so that ``a.u = b.v`` and
    gives points of zero weight feasible duals. Solved on ``C`` divided by a power of two (see
    the module docstring), so the result does not depend on the scale of ``C``.

    Raises:
      SolverError: if the network simplex does not report an optimal solution.
    """
    sol, code = _transport(cost, a, b, max_iter)
    if code != _OPTIMAL:
        message = transport_failures(max_iter, *np.shape(cost)).get(
            code, f"the network simplex stopped before optimality (result_code {code})"
        )
        raise SolverError(message)
    return sol


def transport_or_nan(
    cost: np.ndarray, a: np.ndarray, b: np.ndarray, max_iter: int, valid: Any
) -> tuple[HostPrimal, np.int32]:
    """:func:`solve_transport` for a callback: never raises, returns ``(solution, status)``.

    Input that broke a rule (``valid`` false) is not solved: NaN, status :data:`SKIPPED`. A
    solver that stops short gives NaN and POT's result code; an optimal solve, code 1.
    """
    n, m = np.shape(cost)
    if not bool(valid):
        return _nan_primal(n, m), np.int32(SKIPPED)
    sol, code = _transport(cost, a, b, max_iter)
    if code != _OPTIMAL:
        return _nan_primal(n, m), np.int32(code)
    return sol, np.int32(code)


def _nan_primal(n: int, m: int) -> HostPrimal:
    return HostPrimal(np.full((n, m), np.nan), np.full(n, np.nan), np.full(m, np.nan), np.nan)


def solve_kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> HostDual:
    r"""The Kantorovich-Rubinstein dual LP on the union :math:`z = (x_1..x_n, y_1..y_m)`.

    .. math:: \max_f \sum_i a_i f(x_i) - \sum_j b_j f(y_j)
       \quad\text{s.t.}\quad f_k - f_l \le c(z_k, z_l) \ \forall k \ne l, \quad f_0 = 0.

    The LP dual of this problem is a min-cost flow on the complete graph over the union with
    net supply ``a - b``; its optimal flow (HiGHS's constraint marginals) is returned too, as
    the envelope derivative of the value with respect to the costs.
    """
    sol, status = _kr_dual(cost_union, a, b)
    if status != _LINPROG_OK:
        raise SolverError(
            kr_dual_failures(cost_union.shape[0]).get(status, f"HiGHS failed (status {status})")
        )
    return sol


def kr_dual_failures(n_all: int) -> dict[int, str]:
    """The message of each failing linprog status (one text, eager and traced)."""
    what = f"HiGHS did not solve the Kantorovich-Rubinstein dual LP ({n_all} points)"
    return {
        1: f"{what}: iteration limit reached",
        2: f"{what}: the problem is infeasible; check that the costs are a metric",
        3: f"{what}: the problem is unbounded; check that a and b have equal total mass",
        4: f"{what}: numerical difficulties",
    }


def kr_dual_or_nan(
    cost_union: np.ndarray, a: np.ndarray, b: np.ndarray, valid: Any
) -> tuple[HostDual, np.int32]:
    """:func:`solve_kr_dual` for a callback: never raises, returns ``(solution, status)``;
    NaN and status :data:`SKIPPED` for input that broke a rule, NaN and linprog's status for a
    failed solve."""
    n_all = np.shape(cost_union)[0]
    nan = HostDual(np.full(n_all, np.nan), np.full((n_all, n_all), np.nan), np.nan)
    if not bool(valid):
        return nan, np.int32(SKIPPED)
    sol, status = _kr_dual(cost_union, a, b)
    return (sol, np.int32(status)) if status == _LINPROG_OK else (nan, np.int32(status))


def _kr_dual(cost_union: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[HostDual, int]:
    """HiGHS on the costs scaled into [0.5, 1) (its tolerances are absolute); value, potential
    and flow in the units of ``cost_union``; linprog's status alongside."""
    import scipy.optimize  # imported here, like POT above: only the LP option pays for it
    import scipy.sparse

    cost_union = np.asarray(cost_union, dtype=np.float64)
    e = _normaliser(cost_union)
    cost_union = np.ldexp(cost_union, -e)
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
    if res.status != _LINPROG_OK:
        return HostDual(None, None, None), int(res.status)
    flow = np.zeros((n_all, n_all))
    if n_con:
        flow[rows, cols] = -np.asarray(res.ineqlin.marginals)
    # The flow is d value / d cost: scale-free. Potential and value carry the cost's unit.
    return HostDual(np.ldexp(np.asarray(res.x), e), flow, np.ldexp(-res.fun, e)), _LINPROG_OK
