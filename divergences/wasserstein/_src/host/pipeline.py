r"""From a host problem to a finished W1 result, the same for every solver and every mode.

The engine's runner calls :func:`primal_arrays` or :func:`dual_arrays` directly for concrete
input and through ``jax.pure_callback`` under a transformation: the solve, the certificate
(:mod:`.certify`), the scaling back by :math:`2^k`, the outward rounding into the result's
dtype and the potential of the dual are computed here once, in NumPy, so that eager, ``jit``
and ``vmap`` calls return the same bits.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences._src.scaling import EPS
from divergences.wasserstein._src.host.certify import (
    PlanBounds,
    dot_enclosure,
    down,
    outward,
    plan_certificate,
    up,
)
from divergences.wasserstein._src.host.host_problem import HostProblem
from divergences.wasserstein._src.host.kr_lp import KRLinearProgram, solve_kr_dual
from divergences.wasserstein._src.host.nearest import lipschitz_violation
from divergences.wasserstein._src.host.protocol import HostOptions, TransportSolver
from divergences.wasserstein._src.results import CertificateError, SolverError, Status

__all__ = ["DualArrays", "PrimalArrays", "dual_arrays", "padded", "primal_arrays"]


class PrimalArrays(NamedTuple):
    """A primal result on the host, scaled back, in the result's dtype (indices int32).

    The fields are NumPy arrays from the host, or the ``ShapeDtypeStruct`` and JAX arrays the
    runner puts in their place under a trace.
    """

    value: Any
    rows: Any
    cols: Any
    mass: Any
    u: Any
    v: Any
    lower_bound: Any
    upper_bound: Any


class DualArrays(NamedTuple):
    """A dual result on the host, scaled back, in the result's dtype.

    The arcs (indices into the union of the points) carry the envelope derivative with respect
    to the costs.
    """

    value: Any
    f: Any
    lipschitz_violation: Any
    rows: Any
    cols: Any
    mass: Any


def _scaled(t: Any, k: int, dtype: np.dtype) -> np.ndarray:
    """``t * 2^k`` in ``dtype``: exact in float64, then rounded to nearest.

    Inf past the range, the documented result where the number itself exceeds it.
    """
    with np.errstate(over="ignore"):
        return np.asarray(np.ldexp(np.asarray(t, np.float64), k)).astype(dtype)


def _certified(
    problem: HostProblem, rows: Any, cols: Any, mass: Any, v: Any, threads: int | None
) -> PlanBounds:
    """The certified bounds of a plan and a column potential (:func:`~.certify.plan_certificate`)."""
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    v = np.asarray(v, np.float64)
    cert = plan_certificate(
        a=problem.a,
        b=problem.b,
        rows=rows,
        cols=cols,
        mass=np.asarray(mass, np.float64),
        plan_costs=problem.plan_costs(rows, cols),
        v=v,
        transform=problem.c_transform(v, threads=threads),
        cost_max=problem.cost_bound(),
        error=problem.error,
        d=problem.x.shape[1],
        weight_error=problem.weight_error + problem.row_weight_error,
    )
    if problem.row_weight_error == 0:
        return cert
    # Row weights a that miss the exact a* (uniform 1/n): the dual value moves by at most
    # ||a - a*||_1 max |u'|, and |u'_i| = |min_j c_ij - v_j| <= C_max + max |v| (the plan's side
    # is covered by the weight error added to its marginals' miss above).
    rho, tau = problem.error
    c_max = up(up(problem.cost_bound() * up(1 + rho)) + tau)
    u_bound = up(up(c_max + float(np.max(np.abs(v), initial=0.0))) * up(1 + 4 * EPS))
    shift = up(up(problem.row_weight_error * u_bound) * up(1 + 4 * EPS))
    bounds = cert.bounds
    return PlanBounds(
        Interval(down(bounds.lower_bound - shift), bounds.upper_bound), up(cert.allowance + shift)
    )


def _in_units(
    err: CertificateError, problem: HostProblem, k: int, threads: int | None
) -> CertificateError:
    """A solver's CertificateError with its solution scaled back and its bounds certified.

    The solution reached is scaled back by :math:`2^k` and its bounds certified as a finished
    solve's are (the plan's marginals repaired in the upper bound, which is inf only for
    negative or non-finite masses), the message saying so.
    """
    res = err.result
    rows, cols, mass = res.plan
    bounds = _certified(problem, rows, cols, mass, res.v, threads).bounds
    lo, hi = (float(t) for t in outward(bounds, k, np.float64))
    res = res._replace(
        value=math.ldexp(res.value, k) if math.isfinite(res.value) else res.value,
        u=np.ldexp(res.u, k),
        v=np.ldexp(res.v, k),
        lower_bound=lo,
        upper_bound=hi,
    )
    gap = (hi - lo) / max(abs(float(res.value)), 1e-300)
    return CertificateError(
        f"{err.reason}. It stopped after {res.rounds} rounds and {res.pivots} pivots with the "
        f"bounds [{lo:.17g}, {hi:.17g}], relative gap {gap:.3e}; the solution reached is the "
        ".result of the eager call's CertificateError",
        res,
        Status(err.status),
        reason=err.reason,
    )


def _transport(
    problem: HostProblem, solver: TransportSolver[Any], options: HostOptions, k: int
) -> tuple[Any, Any]:
    """The solver's coupling and its certified bounds, in the problem's units.

    A solver's CertificateError is raised again in the units of the input (costs times
    :math:`2^k`).
    """
    try:
        sol = solver.solve(problem, options)
    except CertificateError as err:
        raise _in_units(err, problem, k, options.threads) from None
    cert = _certified(problem, sol.rows, sol.cols, sol.mass, sol.v, options.threads)
    if cert.bounds.upper_bound == math.inf:
        raise SolverError(
            f"the {solver.name} solver returned a plan with negative or non-finite masses",
            Status.NOT_A_COUPLING,
        )
    # Every solver promises a relative width (the dense LP a few ulps, the sparse one its
    # rtol): where the bounds are wider, first the better column potential of the two
    # c-transforms (cheap: two nearest-site queries), then the solver's own refinement (the
    # bounds per arc and a second solve: a far point of tiny mass), which raises a SolverError
    # where it cannot close them.
    rtol = solver.certified_rtol(options)
    if not _within(cert.bounds, rtol):
        cert = _polished(problem, sol, cert, options.threads)
    if not _within(cert.bounds, rtol):
        return solver.refine(problem, options, sol, cert.bounds, allowance=cert.allowance)
    return sol, cert.bounds


def _within(bounds: Interval, rtol: float) -> bool:
    """Whether ``bounds`` are within ``rtol`` relative."""
    return bounds.upper_bound - bounds.lower_bound <= rtol * max(
        abs(bounds.lower_bound), abs(bounds.upper_bound)
    )


def _polished(problem: HostProblem, sol: Any, cert: PlanBounds, threads: int | None) -> PlanBounds:
    r"""The bounds with the column potential :math:`(v^c)^{\bar c}`, intersected with ``cert``.

    A solver's potentials are sums along the paths of its basis and carry their rounding; the
    c-transform at ``x`` then back at ``y`` gives a column potential at least as large
    (:math:`v_j \le \min_i c_{ij} - v^c_i`), whose dual value is not lower, and often higher
    by most of that rounding. Any potential gives certified bounds, so both hold W1.
    """
    v = np.asarray(sol.v, np.float64)
    u = problem.c_transform(v, threads=threads)
    better = problem.row_transform(u, threads=threads)
    if not np.all(np.isfinite(better)):
        return cert
    other = _certified(problem, sol.rows, sol.cols, sol.mass, better, threads)
    bounds = Interval(
        max(cert.bounds.lower_bound, other.bounds.lower_bound),
        min(cert.bounds.upper_bound, other.bounds.upper_bound),
    )
    return PlanBounds(bounds, max(cert.allowance, other.allowance))


def primal_arrays(
    problem: HostProblem, solver: TransportSolver[Any], options: HostOptions, k: int, dtype: Any
) -> PrimalArrays:
    """Solves, certifies and scales back a primal problem (costs in units of :math:`2^k`)."""
    dt = np.dtype(dtype)
    sol, bounds = _transport(problem, solver, options, k)
    lo, hi = outward(bounds, k, dt)
    if not float(lo) <= float(hi):
        raise SolverError(
            f"the {solver.name} solver's certified bounds cross: [{lo}, {hi}]",
            Status.BOUNDS_CROSSED,
        )
    value = np.clip(_scaled(sol.value, k, dt), lo, hi)
    return PrimalArrays(
        value=np.asarray(value, dt),
        rows=np.asarray(sol.rows, np.int32),
        cols=np.asarray(sol.cols, np.int32),
        mass=np.asarray(sol.mass, np.float64).astype(dt),
        u=_scaled(sol.u, k, dt),
        v=_scaled(sol.v, k, dt),
        lower_bound=np.asarray(lo, dt),
        upper_bound=np.asarray(hi, dt),
    )


def _lipschitz_violation_bound(f: np.ndarray, problem: HostProblem, threads: int | None) -> float:
    r"""An upper bound on the exact Lipschitz violation of ``f`` at the union of the points.

    The violation is :math:`\max(0, \max_{kl} f_k - f_l - c(z_k, z_l))`, ``f`` holding exact
    float64 values; it is bounded by the violation as computed, widened by the rounding of the
    costs and of the subtraction (as in :func:`~.certify.plan_bounds`).
    """
    if not np.all(np.isfinite(f)):
        return math.inf
    if problem.metric is None:
        cost = np.asarray(problem.union_cost, np.float64)
        raw = float(np.max(f[:, None] - f[None, :] - cost))
    else:
        raw = lipschitz_violation(f, problem.union, problem.metric, threads=threads)
    rho, tau = problem.error
    c_max = problem.cost_bound()
    f_max = float(np.max(np.abs(f), initial=0.0))
    d = problem.x.shape[1]
    widening = up(up(up(rho * c_max) + tau) + up((d + 8) * EPS * up(c_max + 2 * f_max)))
    return max(0.0, up(raw + widening))


def dual_arrays(
    problem: HostProblem,
    solver: TransportSolver[Any] | KRLinearProgram,
    options: HostOptions,
    k: int,
    dtype: Any,
) -> DualArrays:
    """Solves a dual problem and scales it back.

    The potential is the c-transform of a transport solver's column potential on the union
    (``solver``), or the KR LP's potential (``solver`` the :class:`KRLinearProgram`, HiGHS).
    """
    dt = np.dtype(dtype)
    n = problem.x.shape[0]
    bounds = None
    if isinstance(solver, KRLinearProgram):
        kr = solve_kr_dual(problem.union_costs(), problem.a, problem.b)
        f, rows, cols, mass = kr.f, kr.rows, kr.cols, kr.mass
    else:
        sol, bounds = _transport(problem, solver, options, k)
        f = problem.c_transform(np.asarray(sol.v, np.float64), union=True, threads=options.threads)
        rows, cols, mass = sol.rows, n + np.asarray(sol.cols), sol.mass
    # The value of the potential as computed, before it is centred: centring shifts every
    # value by half the largest cost, and where W1 is far below it (a far point of tiny mass)
    # the near points' values, and with them the value, would be lost to that shift's last bits.
    value = _kr_value(problem, f)
    if bounds is not None:  # within the solve's certified bounds, which W1 is in
        value = min(max(value, bounds.lower_bound), bounds.upper_bound)
    f = f - (np.max(f) + np.min(f)) / 2  # centred: |f| <= diameter / 2, the least it can be
    f_out = _scaled(f, k, dt)
    # The violation of f as returned: its values back in the problem's units, exactly.
    f_back = np.ldexp(f_out.astype(np.float64), -k)
    violation = _lipschitz_violation_bound(f_back, problem, options.threads)
    return DualArrays(
        value=_scaled(value, k, dt),
        f=f_out,
        lipschitz_violation=np.asarray(outward_up(violation, k, dt), dt),
        rows=np.asarray(rows, np.int32),
        cols=np.asarray(cols, np.int32),
        mass=np.asarray(mass, np.float64).astype(dt),
    )


def _kr_value(problem: HostProblem, f: np.ndarray) -> float:
    r"""The KR objective :math:`\sum_i a_i f(x_i) - \sum_j b_j f(y_j)` of ``f`` on the union.

    Each product split exactly into two floats (:func:`~.certify.dot_enclosure`) and all of
    them summed correctly rounded: only the rounding of the result is left.
    """
    n = problem.x.shape[0]
    if not np.all(np.isfinite(f)):
        return math.fsum((problem.a * f[:n]).tolist()) - math.fsum((problem.b * f[n:]).tolist())
    weights = np.concatenate([problem.a, -problem.b])
    enclosure = dot_enclosure(weights, f)
    return enclosure.lower_bound / 2 + enclosure.upper_bound / 2


def outward_up(t: float, k: int, dt: np.dtype) -> np.generic:
    """``t * 2^k`` rounded up into ``dt``."""
    return outward(Interval(t, t), k, dt)[1]


def padded(out: Any, arcs: int) -> Any:
    """A host result's arcs padded with zero-mass arcs to the static length ``arcs`` a trace needs.

    ``out`` is any result with ``rows``, ``cols`` and ``mass``: a basic plan has at most
    ``n + m - 1`` arcs, a basic flow of the KR LP at most ``n + m``, the grid flow's plan at
    most three per cell.
    """
    used = out.rows.shape[0]
    if used > arcs:
        raise SolverError(
            f"the host solver returned {used} arcs, more than the {arcs} a traced call holds; "
            "use the eager call for this problem",
            Status.FAILED,
        )

    def pad(t: np.ndarray) -> np.ndarray:
        return np.concatenate([t, np.zeros(arcs - used, t.dtype)])

    return out._replace(rows=pad(out.rows), cols=pad(out.cols), mass=pad(out.mass))
