r"""A W1 problem, validated once, and the registry of the solvers that can solve it.

:func:`make_problem` is where :func:`~divergences.w1_primal` and :func:`~divergences.w1_dual`
meet: it checks the measures, the metric and every option, chooses the solver, and refuses
up front (``MemoryError``) a size the solver cannot hold, for concrete and traced input alike.
The runner (:mod:`.runner`) takes the :class:`Problem` from there.

Adding a transport solver is one module in ``host/`` with its options record and a ``SOLVER``
following :class:`~divergences.wasserstein._src.host.protocol.TransportSolver`, and one entry in
:data:`SOLVERS`: it is then a method of both functions, certified and transformable like the
others. A solver that runs in XLA (``device/``, following
:class:`~divergences.wasserstein._src.device.DeviceSolver`) is one entry in
:data:`DEVICE_SOLVERS`. :func:`make_grid_problem` is the same for :func:`~divergences.w1_grid`'s
flow on the grid graph (:data:`GRID_SOLVERS`), which the runner runs like the others.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced
from divergences._src.options import integer_option
from divergences.wasserstein._src.device import DeviceSolver, sinkhorn
from divergences.wasserstein._src.discrete_measures import Measures, check_measures
from divergences.wasserstein._src.host import dense, grid_flow, kr_lp, line, native, sparse
from divergences.wasserstein._src.host.dense import DENSE_MAX_PAIRS, check_dense_size
from divergences.wasserstein._src.host.protocol import TransportSolver
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.metrics import check_metric, named_metric
from divergences.wasserstein.cost import Metric

__all__ = [
    "DEVICE_SOLVERS",
    "DUAL_METHODS",
    "DUAL_SOLVERS",
    "GRID_SOLVERS",
    "METHODS",
    "PRIMAL_METHODS",
    "SOLVERS",
    "SPARSE_MIN_PAIRS",
    "MethodEntry",
    "Problem",
    "check_keywords",
    "make_grid_problem",
    "make_problem",
]

#: The transport solvers by method name.
SOLVERS: dict[str, TransportSolver[Any]] = {
    dense.SOLVER.name: dense.SOLVER,
    sparse.SOLVER.name: sparse.SOLVER,
    line.SOLVER.name: line.SOLVER,
}
#: The solvers that run in XLA, by method name.
DEVICE_SOLVERS: dict[str, DeviceSolver] = {sinkhorn.SOLVER.name: sinkhorn.SOLVER}
#: ``w1_primal``'s methods: a solver's name, or ``"auto"``.
PRIMAL_METHODS = ("auto", *SOLVERS, *DEVICE_SOLVERS)
#: The methods of ``w1_dual`` only, by name: ``"lp"``, HiGHS's Kantorovich-Rubinstein LP.
DUAL_SOLVERS: dict[str, kr_lp.KRLinearProgram] = {kr_lp.SOLVER.name: kr_lp.SOLVER}
#: ``w1_dual``'s methods: a solver's name (the c-transform of its solve's column potential, one
#: name per solver in both functions), a dual solver's, or ``"auto"``.
DUAL_METHODS = (*PRIMAL_METHODS, *DUAL_SOLVERS)
#: The methods of ``w1_grid`` only, by name: ``"grid_flow"``, the flow on the grid graph.
GRID_SOLVERS: dict[str, grid_flow.GridFlow] = {grid_flow.SOLVER.name: grid_flow.SOLVER}


class MethodEntry(Protocol):
    """What the engine asks of every method's registry entry, whatever runs it."""

    #: The method's name.
    name: str

    def options(
        self, n: int, m: int, *, max_iter: int | None, rtol: float | None, max_rounds: int,
        threads: int | None,
    ) -> Any:  # fmt: skip
        """The method's own options record, filled from the call's validated keywords."""

    def check(self, n: int, m: int, options: Any) -> None:
        """Refuses, before any work, an option or a size it cannot take."""


#: Every method's entry by name: the transport solvers, the device solvers, the dual solvers.
METHODS: dict[str, MethodEntry] = {**SOLVERS, **DEVICE_SOLVERS, **DUAL_SOLVERS}

#: ``method="auto"`` takes the sparse solver (the line method for points on the line) for
#: Euclidean problems above this many pairs (2000 x 2000), where it is faster and far smaller than the dense one (benchmarks/history-to-2026-11-25.md);
#: below, the dense path, the better tested one.
SPARSE_MIN_PAIRS = 4_000_000


@dataclasses.dataclass(frozen=True)
class Problem:
    """A validated W1 problem, a pytree: its arrays are the leaves, the rest static under ``jit``.

    The measures (a pytree of their own: their arrays are leaves), the metric, the solver's name
    (a key of :data:`METHODS`) and its options record. The metric, the method and the options
    are hashable, declared static, so that a jitted function of a problem compiles once per
    shape, dtype and choice.
    """

    measures: Measures
    metric: Metric = dataclasses.field(metadata={"static": True})
    method: str = dataclasses.field(metadata={"static": True})
    options: Any = dataclasses.field(metadata={"static": True})

    @property
    def shape(self) -> tuple[int, int]:
        return self.measures.x.shape[0], self.measures.y.shape[0]


jax.tree_util.register_dataclass(Problem)


def _choose(method: Any, metric: Metric, n: int, m: int, d: int, *, dual: bool) -> str:
    """The solver's name for ``method`` on ``n x m`` points in ``d`` dimensions.

    ``"auto"`` takes an exact solver, by the problem alone: the same one on every backend (on a
    GPU or TPU a host solver runs under ``jit`` through the runner's callback, as on a CPU), so
    the default answer is the exact one wherever it runs. The device solver (``"sinkhorn"``,
    certified to ``rtol`` only) runs when it is asked for; a problem that no exact solver can
    hold is refused with a ``MemoryError`` that names it, not handed to it in silence.

    ValueError for an unknown or unfit choice.
    """
    methods = DUAL_METHODS if dual else PRIMAL_METHODS
    if not isinstance(method, str) or method not in methods:
        raise ValueError(
            f"method must be one of {', '.join(repr(t) for t in methods)}; got {method!r}"
        )
    if method == "auto":
        if metric != "euclidean" or n * m <= SPARSE_MIN_PAIRS:
            return dense.SOLVER.name
        if d == 1:
            return line.SOLVER.name
        if native.available() or n * m > DENSE_MAX_PAIRS:
            return sparse.SOLVER.name  # without the extension, its error says how to get it
        return dense.SOLVER.name
    if method in SOLVERS and SOLVERS[method].euclidean_only and metric != "euclidean":
        raise ValueError(f"method={method!r} needs metric='euclidean'; got metric={metric!r}")
    if method == line.SOLVER.name and d != 1:
        raise ValueError(f"method={method!r} needs points on the line (d = 1); got d = {d}")
    if method in DEVICE_SOLVERS and named_metric(metric) is None:
        raise ValueError(
            f"method={method!r} needs a named metric (a name or a spec such as "
            f"dv.Minkowski(p=3)), whose rounding it bounds; got metric={metric!r}"
        )
    return method


def check_keywords(max_iter: Any, rtol: Any, max_rounds: Any, threads: Any) -> dict[str, Any]:
    """The solver keywords of a call validated, or a ValueError naming the one that breaks its rule.

    The same rules for every method; a None stays None, for the chosen method's options record
    to fill with its default (:meth:`~.host.protocol.TransportSolver.options`).
    """
    cap = integer_option(max_iter, "max_iter", none=True)
    if rtol is not None:
        if isinstance(rtol, bool) or not isinstance(rtol, (int, float, np.floating, np.integer)):
            raise ValueError(f"rtol must be a number in [0, 1) or None; got {rtol!r}")
        if not (math.isfinite(float(rtol)) and 0 <= float(rtol) < 1):
            raise ValueError(f"rtol must be in [0, 1); got {rtol!r}")
        rtol = float(rtol)
    rounds = integer_option(max_rounds, "max_rounds")
    return {"max_iter": cap, "rtol": rtol, "max_rounds": rounds, "threads": check_threads(threads)}


def make_problem(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    *,
    metric: Metric,
    method: Any,
    max_iter: Any,
    rtol: Any,
    max_rounds: Any,
    threads: Any,
    dual: bool,
) -> Problem:
    """The problem of :func:`~divergences.w1_primal` or :func:`~divergences.w1_dual`, validated.

    Every rule checked, the solver chosen, the size accepted (``dual=False`` for the primal).

    Raises:
      ValueError: for invalid points, weights, metric, method or options (the message names
        the argument), eagerly; the value rules of the measures also under ``dv.checked``.
      MemoryError: for a size the chosen solver cannot hold, before anything is allocated.
    """
    check_metric(metric)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    name = _choose(method, metric, n, m, ms.x.shape[1], dual=dual)
    keywords = check_keywords(max_iter, rtol, max_rounds, threads)
    options = METHODS[name].options(n, m, **keywords)
    METHODS[name].check(n, m, options)
    if callable(metric):
        # A callable's costs are computed in JAX between all the points of the union.
        check_dense_size(n + m, n + m, method="a callable metric (its costs between all points)")
    return Problem(ms, metric, name, options)


def make_grid_problem(
    mu: Any,
    nu: Any,
    valid: Any,
    *,
    metric: str,
    method: str,
    max_iter: Any,
    rtol: Any,
    max_rounds: Any,
    threads: Any,
) -> Problem:
    """The problem of :func:`~divergences.w1_grid` by a method of :data:`GRID_SOLVERS`.

    ``mu`` and ``nu`` are the masses on one grid, validated (``valid`` the traced conjunction
    of their rules, or True), the metric and method checked by ``w1_grid``. The measures are
    the masses of every cell (flat, C order); their points are the cells, whose coordinates the
    grid's shape in the options gives: an array of no columns stands for them.

    Raises:
      ValueError: for an invalid keyword, naming it.
    """
    keywords = check_keywords(max_iter, rtol, max_rounds, threads)
    options = GRID_SOLVERS[method].options(mu.shape, **keywords)
    traced = is_traced((mu, nu))
    xp = jnp if traced else np
    a, b = xp.reshape(mu, -1), xp.reshape(nu, -1)
    cells = np.zeros((a.shape[0], 0), a.dtype)
    measures = Measures(cells, cells, a, b, traced, valid if traced else True)
    return Problem(measures, metric, method, options)
