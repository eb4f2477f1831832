r"""The one runner of the W1 solvers: eager, ``jit``, ``vmap`` and ``grad`` meet here.

A :class:`~.problem.Problem` for a host solver is solved by one host function
(:mod:`.host.pipeline`: the solve, the certificate, the scaling back, the cast), run by
:func:`~.host_call.on_host`: called directly for concrete input and through ``jax.pure_callback`` under a
transformation, so both return the same bits and raise the same error. Under a transformation
the runner then attaches the envelope theorem's derivative with terms that are exactly zero in
the forward pass (:mod:`.envelope`).

:func:`~divergences.kr_potential`'s values go through the same runner (:func:`potential_values`):
its host function (McShane's extension by weighted nearest sites) is run by :func:`~.host_call.on_host` the
same way, its derivative in the query points attached under a trace.

A device solver (:mod:`.device`, ``method="sinkhorn"``) is one jitted program for concrete and
traced input alike (a jitted function of the problem, a pytree: the same code, the same bits),
with the envelope derivative attached the same way; its status goes through
:func:`~.host_call.report_status`, with the messages of its registry entry's ``failures``.

Every result type goes through the same code: :func:`run` takes the problem and an
:class:`Output` (:data:`PRIMAL` for ``w1_primal``, :data:`DUAL` for ``w1_dual``, :data:`GRID`
for ``w1_grid``'s flow on the grid graph) that says what is particular to the type: the host
function and its fields, the result asked of a device solver, the carrier of the envelope
derivative in the points and its pair of duals, and how the result is assembled.

The host call's protocol (:func:`~.host_call.on_host`: the solve's exceptions, NumPy in and out,
IEEE arithmetic and no exception out of a callback) is :mod:`.host_call`'s.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import (
    is_traced,
)
from divergences.wasserstein._src.device import DeviceDual, DevicePrimal, DeviceResult
from divergences.wasserstein._src.discrete_measures import Measures, exact_astype
from divergences.wasserstein._src.envelope import (
    envelope_value,
    mcshane_value,
    plan_cost,
    point_derivative,
)
from divergences.wasserstein._src.host.grid_flow import (
    GridFlowArrays,
    GridFlowOptions,
    grid_flow_arrays,
    plan_capacity,
)
from divergences.wasserstein._src.host.host_problem import host_problem
from divergences.wasserstein._src.host.nearest import mcshane_extension
from divergences.wasserstein._src.host.pipeline import (
    DualArrays,
    PrimalArrays,
    dual_arrays,
    padded,
    primal_arrays,
)
from divergences.wasserstein._src.host.protocol import HostOptions
from divergences.wasserstein._src.host_call import on_host, report_status
from divergences.wasserstein._src.pairwise import Metric, cost_matrix_unchecked
from divergences.wasserstein._src.problem import DEVICE_SOLVERS, METHODS, Problem
from divergences.wasserstein._src.results import (
    MethodName,
    SparsePlan,
    Status,
    W1Dual,
    W1Primal,
    kantorovich_pair,
)

__all__ = [
    "DUAL",
    "GRID",
    "PRIMAL",
    "Output",
    "potential_values",
    "run",
]


# ---------------------------------------------------------------------------------------------
# The host side: one function for both modes
# ---------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnums=2)
def _union_cost(x: jax.Array, y: jax.Array, metric: Metric) -> jax.Array:
    """A callable metric's costs between all the points of the union, one program."""
    z = jnp.concatenate([x, y])
    return cost_matrix_unchecked(z, z, metric)


def _host(
    output: Output,
    metric: Metric,
    method: str,
    options: Any,
    dtype: Any,
    uniform: tuple[bool, bool],
    pad: int | None,
    *arrays: Any,
) -> Any:
    """The host function of ``output``'s result type: the one computation of both modes."""
    out = output.host(arrays, metric, method, options, dtype, uniform)
    return out if pad is None else padded(out, pad)


def _transport_host(
    finish: Callable[..., Any],
    arrays: tuple[Any, ...],
    metric: Metric,
    method: str,
    options: HostOptions,
    dtype: Any,
    uniform: tuple[bool, bool],
) -> Any:
    """A transport problem on the host: :func:`host_problem`, then ``finish`` with the solver."""
    x, y, a, b, *cost = arrays
    problem, k = host_problem(x, y, a, b, cost[0] if cost else None, metric, uniform)
    return finish(problem, METHODS[method], options, k, dtype)


def _grid_host(
    arrays: tuple[Any, ...],
    metric: str,
    method: str,
    options: GridFlowOptions,
    dtype: Any,
    uniform: tuple[bool, bool],
) -> GridFlowArrays:
    """The flow on the grid graph on the host, from the masses of every cell (``a``, ``b``)."""
    _, _, mu, nu = arrays
    return grid_flow_arrays(mu, nu, metric=metric, options=options, dtype=dtype)


def _failures(problem: Problem) -> tuple[Mapping[Status, str], str]:
    """The messages of the statuses the problem's device solver may stop with, and its label."""
    n, m = problem.shape
    entry = DEVICE_SOLVERS[problem.method]
    return entry.failures(n, m, problem.options), entry.label


# ---------------------------------------------------------------------------------------------
# The result types
# ---------------------------------------------------------------------------------------------


def _union_points(ms: Measures) -> Any:
    """The points of the union ``(x, y)``, where a dual's potential lives."""
    if isinstance(ms.x, np.ndarray):  # eager: no program compiled for a concatenation
        return jax.device_put(np.concatenate([ms.x, ms.y]))
    return jax.lax.stop_gradient(jnp.concatenate([ms.x, ms.y]))


def _primal_result(ms: Measures, out: Any, value: Any, method: str) -> W1Primal:
    plan = SparsePlan(out.rows, out.cols, out.mass, (ms.x.shape[0], ms.y.shape[0]))
    return W1Primal(value, plan, out.u, out.v, out.lower_bound, out.upper_bound, MethodName(method))


def _dual_result(ms: Measures, out: Any, value: Any, method: str) -> W1Dual:
    return W1Dual(value, out.f, _union_points(ms), out.lipschitz_violation, MethodName(method))


def _grid_result(ms: Measures, out: Any, value: Any, method: str) -> GridFlowArrays:
    # The method is w1_grid's to report, on its own result type.
    return out._replace(value=value)


def _primal_duals(out: Any, n: int) -> tuple[Any, Any]:
    return out.u, out.v


def _dual_duals(out: Any, n: int) -> tuple[Any, Any]:
    return kantorovich_pair(out.f[:n], out.f[n:])


def _grid_duals(out: Any, n: int) -> tuple[Any, Any]:
    return out.f, -out.f


def _primal_carrier(ms: Measures, metric: Metric, out: Any) -> Any:
    # The transport cost's carrier (_envelope.plan_cost) of arcs from x to y.
    return plan_cost(ms, metric, out.rows, ms.x.shape[0] + out.cols, out.mass)


def _dual_carrier(ms: Measures, metric: Metric, out: Any) -> Any:
    # Likewise, of arcs whose columns index the union of the points.
    return plan_cost(ms, metric, out.rows, out.cols, out.mass)


def _grid_carrier(ms: Measures, metric: Metric, out: Any) -> Any:
    # None: the cells are fixed points of the lattice; only the masses have a derivative.
    return jnp.zeros((), out.value.dtype)


def _pair_sizes(n: int, m: int) -> dict[str, tuple[int, ...]]:
    """The traced shapes of a transport result's fields: arcs padded to ``n + m``, potentials.

    A basic plan has at most ``n + m - 1`` arcs, a basic flow of the KR LP at most ``n + m``.
    """
    arcs = (n + m,)
    return {"rows": arcs, "cols": arcs, "mass": arcs, "u": (n,), "v": (m,), "f": (n + m,)}


def _grid_sizes(n: int, m: int) -> dict[str, tuple[int, ...]]:
    """The traced shapes of the grid flow's fields: its plan's arcs padded, ``f`` per cell."""
    arcs = plan_capacity(n)
    return {"rows": (arcs,), "cols": (arcs,), "mass": (arcs,), "f": (n,)}


@dataclasses.dataclass(frozen=True)
class Output:
    """What the runner needs of one result type, so that one code path serves them all.

    Hashable (static under ``jit``). The result is built by ``result(ms, out, value, method)``
    from the arrays ``out`` of the host function (a NamedTuple of type ``arrays``) or of the
    device solver (of type ``device``), ``value`` carrying the envelope derivative under a
    transformation, ``method`` the name of the problem's method, which the result carries.
    """

    #: The host function's result type.
    arrays: type[PrimalArrays] | type[DualArrays] | type[GridFlowArrays]
    #: ``sizes(n, m)``: the traced shapes of the host result's fields by name (scalars left
    #: out); the length of ``rows`` is the one its arcs are padded to.
    sizes: Callable[[int, int], dict[str, tuple[int, ...]]]
    #: ``host(arrays, metric, method, options, dtype, uniform)``: solves, certifies and scales
    #: back on the host, from the measures' arrays ``(x, y, a, b[, union costs])``.
    host: Callable[..., Any]
    #: The result type asked of a device solver (None: a host method only).
    device: type[DevicePrimal] | type[DeviceDual] | None
    #: ``carrier(ms, metric, out)``: the envelope derivative's carrier in the points.
    carrier: Callable[[Measures, Metric, Any], Any]
    #: ``duals(out, n)``: the pair ``(u, v)`` of the envelope derivative in the weights.
    duals: Callable[[Any, int], tuple[Any, Any]]
    #: ``result(ms, out, value, method)``: the result.
    result: Callable[[Measures, Any, Any, str], Any]


#: :func:`~divergences.w1_primal`'s result: the plan, the duals and the certified interval.
PRIMAL = Output(
    PrimalArrays, _pair_sizes, functools.partial(_transport_host, primal_arrays), DevicePrimal,
    _primal_carrier, _primal_duals, _primal_result,
)  # fmt: skip
#: :func:`~divergences.w1_dual`'s result: the potential on the union and its Lipschitz bound.
DUAL = Output(
    DualArrays, _pair_sizes, functools.partial(_transport_host, dual_arrays), DeviceDual,
    _dual_carrier, _dual_duals, _dual_result,
)  # fmt: skip
#: :func:`~divergences.w1_grid`'s flow on the grid graph (``method="grid_flow"``), in lattice
#: units: its :class:`GridFlowArrays` with the envelope derivative in the masses on ``value``.
GRID = Output(
    GridFlowArrays, _grid_sizes, _grid_host, None, _grid_carrier, _grid_duals, _grid_result
)


# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------


def _arrays(problem: Problem, output: Output) -> Any:
    """The host function's arrays for ``problem``, eager or through the callback (:func:`~.host_call.on_host`).

    Under a trace the arcs are padded to their length in ``output.sizes``. A callable metric's
    costs come from one JAX program in both cases.
    """
    ms = problem.measures
    n, m = problem.shape
    dtype = ms.a.dtype
    costs = [_union_cost(ms.x, ms.y, problem.metric)] if callable(problem.metric) else []
    sizes = output.sizes(n, m)
    pad = sizes["rows"][0] if ms.traced else None
    solve = functools.partial(
        _host, output, problem.metric, problem.method, problem.options, dtype, ms.uniform, pad
    )
    shapes = None
    if ms.traced:
        ints = ("rows", "cols")
        shapes = output.arrays(
            *(
                jax.ShapeDtypeStruct(sizes.get(t, ()), jnp.int32 if t in ints else dtype)
                for t in output.arrays._fields
            )
        )
    return on_host(solve, shapes, ms.x, ms.y, ms.a, ms.b, *costs, valid=ms.valid)


def run(problem: Problem, output: Output) -> Any:
    """The result ``output`` (:data:`PRIMAL` or :data:`DUAL`) of a validated problem.

    Eager or traced: a device solver is one program either way; a host solver's function is
    called directly for concrete input, through the callback under a trace (:func:`_traced`).
    """
    if problem.method in DEVICE_SOLVERS:
        sol, status, gap = _device(problem, output)
        report_status(status, *_failures(problem), gap=gap)
        return sol
    if not problem.measures.traced:
        out = _arrays(problem, output)
        return output.result(problem.measures, out, out.value, problem.method)
    return _traced(problem, output)


@functools.partial(jax.jit, static_argnums=1)
def _traced(problem: Problem, output: Output) -> Any:
    """The traced path of :func:`run` for a host solver, one program.

    The same host function through the callback, and the envelope derivative through the
    solve's arcs.
    """
    ms = problem.measures
    n = problem.shape[0]
    out = _arrays(problem, output)
    cost = output.carrier(ms, problem.metric, out)
    value = envelope_value(out.value, cost, ms.a, ms.b, *output.duals(out, n))
    return output.result(ms, out, value, problem.method)


# ---------------------------------------------------------------------------------------------
# The device solvers: one program, eager or traced
# ---------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnums=1)
def _device(problem: Problem, output: Output) -> tuple[Any, jax.Array, jax.Array]:
    """A device solver's result with the envelope derivative, its status and gap."""
    ms = problem.measures
    n = problem.shape[0]
    solver = DEVICE_SOLVERS[problem.method]
    # A device method's problem comes from make_problem, with PRIMAL or DUAL: never None.
    wanted = cast("type[DeviceResult]", output.device)
    out = solver.solve(wanted, ms.x, ms.y, ms.a, ms.b, ms.valid, problem.metric, problem.options)
    cost = point_derivative(ms, out.grad_x, out.grad_y)
    value = envelope_value(out.value, cost, ms.a, ms.b, *output.duals(out, n))
    return output.result(ms, out, value, problem.method), out.status, out.gap


# ---------------------------------------------------------------------------------------------
# A potential's values anywhere: McShane's extension (kr_potential)
# ---------------------------------------------------------------------------------------------


def potential_values(
    f: Any, points: Any, z: Any, metric: Metric, threads: int | None, valid: Any
) -> jax.Array:
    r""":math:`\min_k c(z, z_k) + f_k` at every row of ``z``: :func:`~divergences.kr_potential`.

    A named metric: one host function (:func:`.host.nearest.mcshane_extension`) run by
    :func:`~.host_call.on_host` as a solver's is, called directly for concrete input (its values only: no
    derivative is asked of an eager call), by callback under a trace with the derivative in
    ``z`` attached (:func:`~.envelope.mcshane_value`). A callable metric: one JAX program for
    both (a callback must not run JAX code). ``valid``: the traced conjunction of the rules on
    ``f`` and ``points`` (an eager call's have raised).
    """
    dtype = jnp.result_type(f, points, z)
    if not is_traced((f, points, z)) and not callable(metric):
        query = functools.partial(
            mcshane_extension, metric=metric, threads=threads, dtype=np.dtype(dtype)
        )
        return on_host(lambda *t: query(*t)[0], None, f, points, z)
    valid = valid & jnp.all(jnp.isfinite(z))  # a broken rule: NaN, and no query on the host
    return _potential_program(
        jax.lax.stop_gradient(exact_astype(f, dtype)),
        jax.lax.stop_gradient(exact_astype(points, dtype)),
        exact_astype(z, dtype),
        metric,
        threads,
        valid,
    )


@functools.partial(jax.jit, static_argnames=("metric", "threads"))
def _potential_program(
    f: jax.Array, points: jax.Array, z: jax.Array, metric: Metric, threads: int | None, valid: Any
) -> jax.Array:
    """The program of :func:`potential_values`: traced, or for a callable metric eager too."""
    if callable(metric):
        value = jnp.min(cost_matrix_unchecked(z, points, metric) + f[None, :], axis=1)
    else:
        query = functools.partial(mcshane_extension, metric=metric, threads=threads, dtype=z.dtype)
        shapes = (
            jax.ShapeDtypeStruct(z.shape[:1], z.dtype),
            jax.ShapeDtypeStruct(z.shape[:1], jnp.int32),
        )
        value, arg = on_host(query, shapes, f, points, z, valid=valid)
        value = mcshane_value(value, f, points, z, arg, metric)
    return jnp.where(jnp.asarray(valid), value, jnp.nan)
