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
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced
from divergences._src.metrics import check_metric, named_metric
from divergences.wasserstein._src.device import DeviceSolver, sinkhorn
from divergences.wasserstein._src.discrete_measures import Measures, check_measures
from divergences.wasserstein._src.host import dense, grid_flow, kr_lp, line, native, sparse
from divergences.wasserstein._src.host.dense import DENSE_MAX_PAIRS, check_dense_size
from divergences.wasserstein._src.host.protocol import TransportSolver
from divergences.wasserstein._src.pairwise import Metric

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
    "SolverOptions",
    "check_known",
    "check_method",
    "choose",
    "make_grid_problem",
    "make_problem",
    "method_options",
    "takes",
]

#: A method's options record, the one place its options live (``options=`` of the entry points).
SolverOptions = (
    dense.DenseOptions
    | sparse.SparseOptions
    | line.LineOptions
    | sinkhorn.SinkhornOptions
    | kr_lp.LPOptions
    | grid_flow.GridFlowOptions
)

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

    @property
    def Options(self) -> type:
        """Its options record's type (a NamedTuple, hashable: static under ``jit``)."""

    @property
    def keywords(self) -> tuple[str, ...]:
        """The options a call may set, by keyword or in the record: the record's fields."""

    def options(self, n: int, m: int, given: Any) -> Any:
        """``given`` (an :attr:`Options`) checked, the method's defaults where it holds None."""

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


def check_method(method: Any, *, dual: bool) -> None:
    """A ValueError for a ``method`` that is not one of the function's (``dual``: ``w1_dual``'s)."""
    methods = DUAL_METHODS if dual else PRIMAL_METHODS
    if not isinstance(method, str) or method not in methods:
        raise ValueError(
            f"method must be one of {', '.join(repr(t) for t in methods)}; got {method!r}"
        )


def choose(method: Any, metric: Metric, n: int, m: int, d: int, *, dual: bool) -> tuple[str, str]:
    """The solver's name for ``method`` on ``n x m`` points in ``d`` dimensions, and why.

    ``"auto"`` takes an exact solver, by the problem alone: the same one on every backend (on a
    GPU or TPU a host solver runs under ``jit`` through the runner's callback, as on a CPU), so
    the default answer is the exact one wherever it runs. The device solver (``"sinkhorn"``,
    certified to ``rtol`` only) runs when it is asked for; a problem that no exact solver can
    hold is refused with a ``MemoryError`` that names it, not handed to it in silence. The
    reason is auto's, in words, for the messages that name the method it chose ("" for a
    method named by the call).

    ValueError for an unknown method (:func:`check_method`) or an unfit choice.
    """
    check_method(method, dual=dual)
    if method == "auto":
        pairs = f"{n} x {m} points"
        if metric != "euclidean":
            cost = "a callable metric" if callable(metric) else f"metric={metric!r}"
            return dense.SOLVER.name, f"{cost} is not the Euclidean one"
        if n * m <= SPARSE_MIN_PAIRS:
            return dense.SOLVER.name, f"{pairs}, at most {SPARSE_MIN_PAIRS} pairs"
        if d == 1:
            return line.SOLVER.name, f"{pairs} on the line, past {SPARSE_MIN_PAIRS} pairs"
        if native.available() or n * m > DENSE_MAX_PAIRS:
            # without the extension, its error says how to get it
            return sparse.SOLVER.name, f"{pairs} in d = {d}, past {SPARSE_MIN_PAIRS} pairs"
        return dense.SOLVER.name, f"{pairs} in d = {d}, without the compiled extension"
    if method in SOLVERS and SOLVERS[method].euclidean_only and metric != "euclidean":
        raise ValueError(f"method={method!r} needs metric='euclidean'; got metric={metric!r}")
    if method == line.SOLVER.name and d != 1:
        raise ValueError(f"method={method!r} needs points on the line (d = 1); got d = {d}")
    if method in DEVICE_SOLVERS and named_metric(metric) is None:
        raise ValueError(
            f"method={method!r} needs a named metric (a name or a spec such as "
            f"dv.Minkowski(p=3)), whose rounding it bounds; got metric={metric!r}"
        )
    return method, ""


def _takers(keyword: str) -> list[str]:
    """The methods that take ``keyword``, for the messages that say where one belongs."""
    entries: dict[str, Any] = {**METHODS, **GRID_SOLVERS}
    return [t for t, e in entries.items() if keyword in e.keywords]


def method_options(entry: Any, options: Any, keywords: dict[str, Any], why: str = "") -> Any:
    """The options record of the method ``entry`` from a call, before its defaults and checks.

    ``options`` is the record the call passed (None for none), ``keywords`` the call's other
    keyword arguments; ``why`` is ``"auto"``'s reason where it chose the method. One rule for a
    keyword, whatever its value: one the method does not take is refused, ``None`` included;
    one it takes may be ``None``, which is the method's default (the record's field left None).
    The rule is static, on Python values, so it is the same eagerly and under ``jax.jit``.

    Raises:
      ValueError: for a keyword that is not one of the method's options, a record of another
        method's type, or both a record and keywords; naming the method (and why ``"auto"``
        chose it) and the options it takes.
    """
    name, kind = entry.name, entry.Options
    chosen = f"method='auto' chose {name!r} ({why}), which" if why else f"method={name!r}"
    takes = f"its options are {', '.join(entry.keywords)}"
    given = dict(keywords)
    if options is not None:
        if given:
            raise ValueError(
                f"pass the options either as options= or as keywords, not both; got "
                f"options={options!r} and {', '.join(sorted(given))}"
            )
        if type(options) is not kind:
            raise ValueError(
                f"options must be a {kind.__name__}: {chosen} takes that record ({takes}); "
                f"got {type(options).__name__}"
            )
        return options
    for key in given:
        if key not in entry.keywords:
            others = [repr(t) for t in _takers(key) if t != name]
            where = (
                f" ({key} is an option of method={others[0]})"
                if len(others) == 1
                else f" ({key} is an option of the methods {', '.join(others)})"
                if others
                else ""
            )
            raise ValueError(f"{chosen} does not take {key}; {takes}{where}")
    return kind(**given)


def check_known(keywords: dict[str, Any], function: str) -> None:
    """A ValueError for a keyword of ``function`` that is no method's option (a misspelling)."""
    entries: list[Any] = [*METHODS.values(), *GRID_SOLVERS.values()]
    known = sorted({k for e in entries for k in e.keywords})
    for key in keywords:
        if key not in known:
            raise ValueError(
                f"{function} got the keyword {key}, which is no method's option (they are "
                f"{', '.join(known)})"
            )


def takes(method: Any, keyword: str) -> bool:
    """Whether ``method`` takes ``keyword``: for ``"auto"``, every method it can choose."""
    if method == "auto":
        return all(keyword in e.keywords for e in (dense.SOLVER, sparse.SOLVER, line.SOLVER))
    entry = METHODS.get(method) if isinstance(method, str) else None
    return entry is not None and keyword in entry.keywords


def make_problem(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    *,
    metric: Metric,
    method: Any,
    options: Any,
    keywords: dict[str, Any],
    dual: bool,
) -> Problem:
    """The problem of :func:`~divergences.w1_primal` or :func:`~divergences.w1_dual`, validated.

    Every rule checked, the solver chosen, its options record made (:func:`method_options`:
    from ``options`` or from the call's other ``keywords``) and checked, the size accepted
    (``dual=False`` for the primal).

    Raises:
      ValueError: for invalid points, weights, metric, method or options (the message names
        the argument), eagerly; the value rules of the measures also under ``dv.checked``.
      MemoryError: for a size the chosen solver cannot hold, before anything is allocated.
    """
    check_metric(metric)
    ms = check_measures(x, y, a, b)
    n, m = ms.x.shape[0], ms.y.shape[0]
    name, why = choose(method, metric, n, m, ms.x.shape[1], dual=dual)
    entry = METHODS[name]
    record = entry.options(n, m, method_options(entry, options, keywords, why))
    entry.check(n, m, record)
    if callable(metric):
        # A callable's costs are computed in JAX between all the points of the union.
        check_dense_size(n + m, n + m, method="a callable metric (its costs between all points)")
    return Problem(ms, metric, name, record)


def make_grid_problem(
    mu: Any,
    nu: Any,
    valid: Any,
    *,
    metric: str,
    method: str,
    options: Any,
    keywords: dict[str, Any],
    why: str = "",
) -> Problem:
    """The problem of :func:`~divergences.w1_grid` by a method of :data:`GRID_SOLVERS`.

    ``mu`` and ``nu`` are the masses on one grid, validated (``valid`` the traced conjunction
    of their rules, or True), the metric and method checked by ``w1_grid`` (``why``: auto's
    reason, where it chose the method). The measures are the masses of every cell (flat, C
    order); their points are the cells, whose coordinates the grid's shape in the options
    gives: an array of no columns stands for them.

    Raises:
      ValueError: for an invalid option, or one the method does not take, naming it.
    """
    entry = GRID_SOLVERS[method]
    record = entry.options(mu.shape, method_options(entry, options, keywords, why))
    traced = is_traced((mu, nu))
    xp = jnp if traced else np
    a, b = xp.reshape(mu, -1), xp.reshape(nu, -1)
    cells = np.zeros((a.shape[0], 0), a.dtype)
    measures = Measures(cells, cells, a, b, traced, valid if traced else True)
    return Problem(measures, metric, method, record)
