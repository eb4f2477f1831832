r"""Wasserstein-1 three ways that agree: the primal LP, the Kantorovich-Rubinstein dual, the 1-D
CDF formula; with the checks that show a plan is a coupling and a potential is 1-Lipschitz.

* :func:`w1_primal` and :func:`w1_dual` solve an exact LP on the host (POT's network simplex,
  or scipy's HiGHS for the dual LP); they work under ``jit``/``vmap``/``grad`` through a
  callback with envelope-theorem gradients.
* :func:`w1_1d` is the jittable path for points on the line.
* ``w1_primal(..., method="sparse")`` (chosen by ``"auto"`` above 2000 x 2000 Euclidean
  pairs) solves large point clouds without the cost matrix: column generation with exact
  k-d-tree pricing, a C++ network simplex (``_ot_native``, an optional extension), certified
  lower and upper bounds; ``w1_dual`` routes the same way and takes its potential from that
  solve.
* Every method returns its plan as a :class:`SparsePlan` (arcs; ``.to_dense(n, m)``), and
  every stop short of a certified optimum is a :class:`SolverError` (NaN under ``jit``).

Layout: ``primal``, ``dual``, ``one_d`` are the JAX API; ``_bridge`` carries host solves into
traced code; ``_host`` holds the NumPy/POT/compiled solvers, which know nothing of JAX;
``_results`` the result types, the status enum and the errors.
* :func:`kr_potential` evaluates a ``w1_dual`` potential at any points (a k-d tree query).
"""

from divergences.wasserstein._results import (
    CertificateError,
    SolverError,
    SparsePlan,
    W1Dual,
    W1Primal,
)
from divergences.wasserstein.checks import CouplingReport, check_coupling, lipschitz_violation
from divergences.wasserstein.cost import Metric, cost_matrix
from divergences.wasserstein.dual import kr_potential, w1_dual
from divergences.wasserstein.one_d import w1_1d
from divergences.wasserstein.primal import w1_primal

__all__ = [
    "CertificateError",
    "CouplingReport",
    "Metric",
    "SolverError",
    "SparsePlan",
    "W1Dual",
    "W1Primal",
    "check_coupling",
    "cost_matrix",
    "kr_potential",
    "lipschitz_violation",
    "w1_1d",
    "w1_dual",
    "w1_primal",
]
