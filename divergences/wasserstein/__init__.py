r"""Wasserstein-1 three ways that agree: the primal LP, the Kantorovich-Rubinstein dual, 1-D CDFs.

With the checks that show a plan is a coupling and a potential is 1-Lipschitz.

* :func:`w1_primal` and :func:`w1_dual` solve an exact LP on the host (POT's network simplex,
  or scipy's HiGHS for the dual LP); they work under ``jit``/``vmap``/``grad`` through a
  callback with envelope-theorem gradients.
* ``method="sinkhorn"``, when asked for, never leaves XLA: log-domain Sinkhorn with
  epsilon-scaling, certified in the compiled program to a relative gap ``rtol`` (default
  ``1e-3``), batched by ``vmap``, sharded like any JAX program. ``method="auto"`` takes an exact
  solver on every backend (on a GPU or TPU a host solver runs under ``jit`` by callback).
* :func:`w1_1d` is the jittable path for points on the line.
* ``w1_primal(..., method="sparse")`` (chosen by ``"auto"`` above 2000 x 2000 Euclidean
  pairs) solves large point clouds without the cost matrix: column generation with exact
  k-d-tree pricing, a C++ network simplex (``_ot_native``, an optional extension), certified
  lower and upper bounds; ``w1_dual`` routes the same way and takes its potential from that
  solve.
* Every method returns its plan as a :class:`SparsePlan` (a sparse matrix that knows its
  shape; ``.todense()``), a certified interval ``[lower_bound, upper_bound]`` that holds in
  real arithmetic, eagerly and under ``jit``/``vmap`` alike, and every stop short of a
  certified optimum is a :class:`SolverError` (NaN under ``jit``). Every result names the
  method that made it (``.method``, a :class:`MethodName`), eagerly and under ``jit``/``vmap``.
* :func:`w1_grid`: masses on one regular grid; :func:`w1_batch`, :func:`w1_pairwise`: many
  problems on any executor (local processes, a Dask cluster's).
* :func:`kr_potential` evaluates a ``w1_dual`` potential at any points (a k-d tree query).
* Each method's options are one record (:class:`SparseOptions`, ...), passed as ``options=``
  or as keywords; one the method does not take is a ValueError, ``None`` included.

Layout, one way through from problem to solution: ``primal``, ``dual``, ``one_d``, ``grid`` are
the JAX API; the private code is under ``_src``: ``_src.problem`` validates a problem once and
holds the registry of methods; ``_src.runner`` runs the one host function
(``_src.host.pipeline``: solve, certificate, scaling back) directly for concrete input and
through a callback under a transformation, or a device solver's one jitted program, and
attaches the envelope gradient; ``_src.device`` holds the solvers written in JAX, certified in
XLA (``sinkhorn``); ``_src.host`` the solvers that know nothing of JAX (``dense``: POT's network
simplex, ``sparse``: column generation around the compiled extension, ``kr_lp``: HiGHS,
``grid_flow``: the flow on a grid graph), behind one protocol (``_src.host.protocol``), each
with its own options record; ``_src.results`` the result types, the status enum and the errors.
The compiled extension ``_ot_native`` and its C++ sources ``_native/`` stay beside the public
modules.
"""

from divergences._src.metrics import Minkowski
from divergences.wasserstein._src.device.sinkhorn import SinkhornOptions
from divergences.wasserstein._src.host.dense import DenseOptions
from divergences.wasserstein._src.host.grid_flow import GridFlowOptions
from divergences.wasserstein._src.host.kr_lp import LPOptions
from divergences.wasserstein._src.host.line import LineOptions
from divergences.wasserstein._src.host.sparse import SparseOptions
from divergences.wasserstein._src.results import (
    CertificateError,
    MethodName,
    SolverError,
    SparsePlan,
    W1Dual,
    W1Primal,
)
from divergences.wasserstein.batch import BatchError, W1Batch, w1_batch, w1_pairwise
from divergences.wasserstein.checks import CouplingReport, check_coupling, lipschitz_violation
from divergences.wasserstein.cost import Metric, cost_matrix
from divergences.wasserstein.dual import kr_potential, w1_dual
from divergences.wasserstein.grid import W1Grid, w1_grid
from divergences.wasserstein.one_d import w1_1d
from divergences.wasserstein.primal import w1_primal

__all__ = [
    "BatchError",
    "CertificateError",
    "CouplingReport",
    "DenseOptions",
    "GridFlowOptions",
    "LPOptions",
    "LineOptions",
    "MethodName",
    "Metric",
    "Minkowski",
    "SinkhornOptions",
    "SolverError",
    "SparseOptions",
    "SparsePlan",
    "W1Batch",
    "W1Dual",
    "W1Grid",
    "W1Primal",
    "check_coupling",
    "cost_matrix",
    "kr_potential",
    "lipschitz_violation",
    "w1_1d",
    "w1_batch",
    "w1_dual",
    "w1_grid",
    "w1_pairwise",
    "w1_primal",
]
