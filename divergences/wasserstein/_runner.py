r"""The one runner of the W1 solvers: eager, ``jit``, ``vmap`` and ``grad`` meet here.

A :class:`~._problem.Problem` for a host solver is solved by one host function
(:mod:`._host.pipeline`: the solve, the certificate, the scaling back, the cast), called
directly for concrete input and through ``jax.pure_callback`` under a transformation, so both
return the same bits. Under a transformation the runner then attaches the envelope theorem's
derivative with terms that are exactly zero in the forward pass (:func:`envelope_value`).

A device solver (:mod:`._device`, ``method="sinkhorn"``) is one jitted program for concrete and
traced input alike (:func:`~._measures.one_program`: the same code, the same bits), with the
envelope derivative attached the same way; its status goes through :func:`report_status`, as
the callback's does.

The callback protocol, written here once (:func:`host_solve`):

* the host function takes and returns NumPy arrays and knows nothing of JAX;
* it runs in the C default floating-point environment (:mod:`divergences._src.float_environment`),
  not in XLA's flush-to-zero mode, so that subnormal inputs and results are those of an eager
  call, bit for bit;
* it runs on constant inputs (``stop_gradient``), once per batch element under ``vmap``
  (``vmap_method="sequential"``);
* it never raises out of the callback (JAX would turn the exception into an opaque runtime
  error, and before the input checks could speak): input that broke a rule (``valid`` false)
  is not solved, and a solver that stops short (a :class:`SolverError`, with status
  ``NOT_BUILT`` for a sparse solver not built in this install; a ``MemoryError``; the compiled
  code's ``RuntimeError``) gives NaN results and its :class:`Status`;
* each failing status becomes a ``checkify`` check whose message is the eager error's, so
  ``dv.checked(jax.jit(f))`` raises the same :class:`SolverError` (:func:`report_status`, the
  one place a status becomes an error, for host and device solvers alike).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced, require
from divergences._src.float_environment import with_ieee_arithmetic
from divergences.wasserstein._host.pipeline import (
    DualArrays,
    PrimalArrays,
    dual_arrays,
    primal_arrays,
)
from divergences.wasserstein._host.problem import HostProblem
from divergences.wasserstein._host.protocol import Options
from divergences.wasserstein._measures import Measures, one_program, value_with_derivative
from divergences.wasserstein._metrics import EPS, named_metric, scale_exponent
from divergences.wasserstein._problem import DEVICE_SOLVERS, KR_LP, SOLVERS, Problem
from divergences.wasserstein._results import (
    SolverError,
    SparsePlan,
    Status,
    W1Dual,
    W1Primal,
    kantorovich_pair,
)
from divergences.wasserstein.cost import (
    Metric,
    pairwise_cost,
    scale_exponent_traced,
    times_power_of_two,
)

__all__ = [
    "envelope_value",
    "host_solve",
    "report_status",
    "run_dual",
    "run_primal",
    "status_of",
]

sg = jax.lax.stop_gradient


# ---------------------------------------------------------------------------------------------
# The callback
# ---------------------------------------------------------------------------------------------


def status_of(error: BaseException) -> Status:
    """The :class:`Status` a host failure is reported under inside a callback."""
    if isinstance(error, SolverError):
        return error.status
    if isinstance(error, MemoryError):
        return Status.OUT_OF_MEMORY
    return Status.FAILED


def _failed_like(shape: jax.ShapeDtypeStruct) -> np.ndarray:
    """NaN for a floating result, zero for an integer one (indices stay in range)."""
    if jnp.issubdtype(shape.dtype, jnp.inexact):
        return np.full(shape.shape, np.nan, shape.dtype)
    return np.zeros(shape.shape, shape.dtype)


def report_status(status: Any, failures: Mapping[Status, str], what: str, **values: Any) -> None:
    """Raises a solver's :class:`Status` as the engine's error, eager and traced.

    The one implementation for host and device solvers.

    Args:
      status: an int32 status, concrete (an eager solve) or traced (batched under ``vmap``).
      failures: the message of each status the solver may stop with; ``{field}`` placeholders
        (with a format spec, ``{gap:.3e}``) are filled from ``values``. Every other status
        short of an optimum gets a generic message naming it.
      what: the solver's name, for the generic messages.
      **values: the arrays the messages name.

    Raises:
      SolverError: with the status and its message, for a concrete status short of a certified
        optimum. For a traced one, each failing status is a ``checkify`` check with the same
        message, raised as the same :class:`SolverError` by ``dv.checked``.
    """

    def message(code: Status) -> str:
        return failures.get(code, f"{what} stopped short of the optimum ({code.name})")

    concrete = not is_traced(status) and not any(is_traced(v) for v in values.values())
    if concrete and Status(int(np.asarray(status))) in _NOT_FAILURES:
        return
    for code in Status:
        if code not in _NOT_FAILURES:
            require(status != code, message(code), error=_solver_error, status=status, **values)


#: The statuses that are no failure: a certified optimum, or input that broke a rule (whose
#: own check reports it).
_NOT_FAILURES = frozenset(code for code in Status if code.ok or code == Status.SKIPPED)


def _solver_error(message: str, fields: dict[str, Any]) -> SolverError:
    """The :class:`SolverError` of a failed status check, with its status."""
    return SolverError(message, Status(int(fields["status"])))


def host_solve(
    solve: Callable[..., Any],
    shapes: Any,
    *args: Any,
    valid: Any = True,
    failures: Mapping[Status, str],
    what: str = "the W1 solver",
) -> Any:
    """``solve(*args)`` run on the host from traced code; NaN where it stops short.

    Args:
      solve: a host function of NumPy arrays returning a pytree of arrays shaped like
        ``shapes``; it may raise :class:`SolverError` (with its status), ``MemoryError`` or
        ``RuntimeError``.
      shapes: a pytree of ``jax.ShapeDtypeStruct``, the results.
      *args: the inputs (JAX arrays); passed through ``stop_gradient``.
      valid: the traced conjunction of the input rules; where false, nothing is solved.
      failures: the message of each status the solver may stop with, the same as its eager
        error's. Every other status short of an optimum gets a generic message naming it.
      what: the solver's name, for the generic messages.

    Returns:
      The results (NaN floats and zero indices where the solve stopped short or was skipped).
      Each failing status is a ``checkify`` check raised as :class:`SolverError` by
      ``dv.checked``.
    """
    leaves, tree = jax.tree_util.tree_flatten(shapes)

    @with_ieee_arithmetic  # XLA calls back in flush-to-zero mode: subnormals kept here
    def host(*host_args: Any) -> tuple[list[np.ndarray], Any]:
        *inputs, ok = host_args
        if not bool(ok):
            return [_failed_like(s) for s in leaves], np.int32(Status.SKIPPED)
        try:
            out = jax.tree_util.tree_leaves(solve(*(np.asarray(t) for t in inputs)))
        except (RuntimeError, MemoryError) as err:  # SolverError, and the compiled code's
            return [_failed_like(s) for s in leaves], np.int32(status_of(err))
        done = [np.asarray(t, s.dtype).reshape(s.shape) for t, s in zip(out, leaves, strict=True)]
        return done, np.int32(Status.OPTIMAL)

    results, status = jax.pure_callback(
        host,
        (leaves, jax.ShapeDtypeStruct((), jnp.int32)),
        *(sg(t) for t in args),
        jnp.asarray(valid),
        vmap_method="sequential",
    )
    report_status(status, failures, what)
    return jax.tree_util.tree_unflatten(tree, results)


# ---------------------------------------------------------------------------------------------
# The envelope derivative
# ---------------------------------------------------------------------------------------------


def envelope_value(
    value: jax.Array,
    transport_cost: jax.Array,
    a: jax.Array,
    b: jax.Array,
    u: jax.Array,
    v: jax.Array,
) -> jax.Array:
    r"""``value`` in the forward pass, with the envelope theorem's derivative attached.

    The optimal value :math:`W(C, a, b) = \min_P \langle P, C \rangle` has, where the optimal
    plan and duals are unique, :math:`\partial W / \partial C = P`,
    :math:`\partial W / \partial a = u` and :math:`\partial W / \partial b = v` (elsewhere these
    are sub/supergradients). ``transport_cost`` is :math:`\langle P, C \rangle` computed in JAX
    from the (constant) optimal plan or flow and the differentiable costs: it carries the
    derivative on to the points, :math:`\partial W / \partial x_i = \sum_j P_{ij} \nabla_x
    c(x_i, y_j)`. The weights live on the simplex, so only the centred duals
    :math:`u - \bar u` and :math:`v - \bar v` (the components tangent to it) are used. For the
    Kantorovich-Rubinstein potential ``f`` of a dual, ``(u, v)`` is its
    :func:`~._results.kantorovich_pair` and the plan the solve's (for the LP, its optimal flow).

    The forward value is ``value``'s bits (:func:`value_with_derivative`): a subnormal W1 stays
    subnormal under ``jit``, and a W1 past the largest float stays inf, as eagerly. Potentials
    that overflowed to inf are left out of the derivative.

    References: Peyre & Cuturi, *Computational Optimal Transport*, 2019, Prop. 9.2.
    """

    def tangent(t: jax.Array) -> jax.Array:
        # The mean of the terms scaled down by 2^h >= their count (exact where no term is tiny),
        # so that their sum cannot overflow; a centred term past the largest float is left out
        # like an infinite potential.
        t = jnp.where(jnp.isfinite(t), t, 0)
        h = max(int(t.size) - 1, 0).bit_length()
        centred = t - jnp.ldexp(jnp.mean(jnp.ldexp(t, -h)), h)
        return sg(jnp.where(jnp.isfinite(centred), centred, 0))

    carrier = transport_cost + jnp.dot(tangent(u), a) + jnp.dot(tangent(v), b)
    return value_with_derivative(value, carrier)


def _arc_cost(s: jax.Array, t: jax.Array, metric: Metric) -> jax.Array:
    """``c(s_k, t_k)`` for each row ``k``, differentiable, in JAX."""
    if callable(metric):
        return jax.vmap(metric)(s, t)
    return jax.vmap(lambda p, q: pairwise_cost(p[None], q[None], metric)[0, 0])(s, t)


def _plan_cost(ms: Measures, metric: Metric, rows: jax.Array, cols: jax.Array, mass: jax.Array):
    r"""A carrier of the transport cost's derivative in the points (its tangent only is used).

    The derivative of :math:`\sum_k \text{mass}_k\, c(z_{r_k}, z_{c_k})` over the union
    :math:`z = (x, y)`. For a named metric it is written as the linear form
    :math:`\sum_k \text{mass}_k (g_k \cdot z_{r_k} + h_k \cdot z_{c_k})` with the cost's
    gradients :math:`(g_k, h_k)` held constant, taken at the points scaled by a power of two
    :math:`2^{-e}` (exact): for a cost of degree :math:`p` the gradient at the points is
    :math:`2^{(p - 1) e}` times the one at the scaled points, so neither the cost nor an
    intermediate factor (a cotangent times :math:`2^e`, which overflows float32 near 1e38) is
    ever formed. Its forward value is not W1 and is never used (:func:`value_with_derivative`).
    """
    z = jnp.concatenate([ms.x, ms.y])
    spec = named_metric(metric)
    if spec is None:
        return jnp.sum(mass * _arc_cost(z[rows], z[cols], metric))
    e = scale_exponent_traced(ms.x, ms.y, degree=spec.degree)
    zs = sg(times_power_of_two(z, -e))

    def cost(p: jax.Array, q: jax.Array) -> jax.Array:
        return pairwise_cost(p[None], q[None], metric)[0, 0]

    g, h = jax.vmap(jax.grad(cost, argnums=(0, 1)))(zs[rows], zs[cols])
    if spec.degree != 1:
        k = (spec.degree - 1) * e
        g, h = times_power_of_two(g, k), times_power_of_two(h, k)
    w = sg(mass)[:, None]
    return jnp.sum(w * sg(g) * z[rows]) + jnp.sum(w * sg(h) * z[cols])


# ---------------------------------------------------------------------------------------------
# The host side: one function for both modes
# ---------------------------------------------------------------------------------------------


def _uniform_weights(n: int) -> tuple[np.ndarray, float]:
    r"""``1/n`` in float64 ``n`` times, and :math:`\sum_i |1/n - \mathrm{fl}(1/n)|` rounded up."""
    w = 1.0 / n
    miss = n * abs(Fraction(w) - Fraction(1, n))
    return np.full(n, w), _ceil_float(miss)


def _ceil_float(t: Fraction) -> float:
    """The least float at least ``t``."""
    f = float(t)
    return f if Fraction(f) >= t else math.nextafter(f, math.inf)


def _host_problem(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    union_cost: np.ndarray | None,
    metric: Metric,
    uniform: tuple[bool, bool] = (False, False),
) -> tuple[HostProblem, int]:
    """The problem a host solver sees, and the exponent ``k`` its costs are scaled by.

    Float64 points times :math:`2^{-e}` (named metrics), ``b`` at ``a``'s total. Weights given
    as None (``uniform``) are the measure :math:`1/n` itself, not its rounding into the
    input's dtype: they are taken as 1/n in float64, and the miss (below :math:`2^{-53}` in all)
    goes into the certificate (``row_weight_error``, ``weight_error``).
    """
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    row_error = nominal_b_error = 0.0
    if uniform[0]:
        a64, row_error = _uniform_weights(a64.shape[0])
    if uniform[1]:
        b64, nominal_b_error = _uniform_weights(b64.shape[0])
    spec = named_metric(metric)
    k = 0
    if spec is not None:
        e = scale_exponent(x64, y64, degree=spec.degree)
        x64, y64, k = np.ldexp(x64, -e), np.ldexp(y64, -e), spec.degree * e
    # Totals accepted as equal by the input rules may differ by rounding (float32 input,
    # weights 1/n): b is taken at a's total, the exact weights it stands for are b * A / B.
    total_a, total_b = math.fsum(a64.tolist()), math.fsum(b64.tolist())
    weight_error = 0.0
    if total_b > 0 and total_a != total_b:
        b64 = b64 * (total_a / total_b)
        weight_error = 4 * EPS * math.fsum(b64.tolist())
    if uniform[0] or uniform[1]:
        weight_error = _uniform_column_error(
            weight_error, row_error, nominal_b_error, total_a, total_b, uniform
        )
    cost = None if union_cost is None else np.asarray(union_cost, np.float64)
    return HostProblem(x64, y64, a64, b64, spec, cost, weight_error, row_error), k


def _uniform_column_error(
    rescaled: float,
    row_error: float,
    nominal_b_error: float,
    total_a: float,
    total_b: float,
    uniform: tuple[bool, bool],
) -> float:
    r"""A bound on :math:`\|b' - b^*\|_1` when a weight vector stands for the uniform measure.

    :math:`b'` is ``b`` as the solver takes it (its float64 values, scaled by :math:`A / B`
    within ``rescaled``), :math:`b^*` the exact column weights: the nominal ones (1/m, or ``b``
    as given) at the exact total :math:`T^*` of the exact row weights (1, or the sum of ``a``
    as given). With :math:`r = A/B` and :math:`r^* = T^*/B^*`,
    :math:`\|b' - b^*\|_1 \le \text{rescaled} + r\, \|b - b_{nom}\|_1 + T^* |r/r^* - 1|`, and
    :math:`|r / r^* - 1| \le (\alpha + \beta)(1 + 2\beta)` from the relative misses
    :math:`\alpha` of :math:`A` and :math:`\beta` of :math:`B` (the sums correctly rounded,
    within :math:`2^{-53}` relative, plus the misses of the uniform weights).
    """
    u = EPS / 2
    a_miss = u * total_a + row_error if uniform[0] else u * total_a * (1 + 2 * u)
    exact_total = 1.0 if uniform[0] else total_a + a_miss
    b_miss = u * total_b + nominal_b_error
    alpha = a_miss / max(exact_total - a_miss, 0.5)
    beta = b_miss / total_b
    ratio = total_a / total_b
    bound = rescaled + ratio * nominal_b_error + exact_total * (alpha + beta) * (1 + 2 * beta)
    return bound * (1 + 1e-6)  # the few roundings of this bound itself, outward


@functools.partial(jax.jit, static_argnums=2)
def _union_cost(x: jax.Array, y: jax.Array, metric: Metric) -> jax.Array:
    """A callable metric's costs between all the points of the union, one program."""
    z = jnp.concatenate([x, y])
    return pairwise_cost(z, z, metric)


def _primal_host(
    metric: Metric,
    method: str,
    options: Options,
    dtype: Any,
    uniform: tuple[bool, bool],
    pad: int | None,
    *arrays: Any,
) -> PrimalArrays:
    x, y, a, b, *cost = arrays
    problem, k = _host_problem(x, y, a, b, cost[0] if cost else None, metric, uniform)
    out = primal_arrays(problem, SOLVERS[method], options, k, dtype)
    return out if pad is None else _padded(out, pad)


def _dual_host(
    metric: Metric,
    method: str,
    options: Options,
    dtype: Any,
    uniform: tuple[bool, bool],
    pad: int | None,
    *arrays: Any,
) -> DualArrays:
    x, y, a, b, *cost = arrays
    problem, k = _host_problem(x, y, a, b, cost[0] if cost else None, metric, uniform)
    solver = None if method == KR_LP else SOLVERS[method]
    out = dual_arrays(problem, solver, options, k, dtype)
    return out if pad is None else _padded(out, pad)


def _padded(out: Any, arcs: int) -> Any:
    """The arcs padded with zero-mass arcs to the static length ``arcs`` a trace needs.

    A basic plan has at most ``n + m - 1`` arcs, a basic flow of the KR LP at most ``n + m``.
    """
    used = out.rows.shape[0]
    if used > arcs:
        raise SolverError(
            f"the host solver returned {used} arcs, more than a basic solution's {arcs}; "
            "use the eager call for this problem",
            Status.FAILED,
        )

    def pad(t: np.ndarray) -> np.ndarray:
        return np.concatenate([t, np.zeros(arcs - used, t.dtype)])

    return out._replace(rows=pad(out.rows), cols=pad(out.cols), mass=pad(out.mass))


def _failures(problem: Problem) -> tuple[Mapping[Status, str], str]:
    n, m = problem.shape
    if problem.method in DEVICE_SOLVERS:
        device = DEVICE_SOLVERS[problem.method]
        return device.failures(n, m, problem.options), f"the {device.name} W1 solver"
    if problem.method == KR_LP:
        from divergences.wasserstein._host.kr_lp import kr_dual_failures

        return kr_dual_failures(n + m), "HiGHS"
    solver = SOLVERS[problem.method]
    return solver.failures(n, m, problem.options), f"the {solver.name} W1 solver"


# ---------------------------------------------------------------------------------------------
# The runners
# ---------------------------------------------------------------------------------------------


def _field_shape(name: str, n: int, m: int, dtype: Any) -> jax.ShapeDtypeStruct:
    """The traced shape of a field of :class:`PrimalArrays` or :class:`DualArrays`.

    The arcs padded to ``n + m``, the potentials on ``x``, ``y`` or their union, scalars otherwise.
    """
    shape = {
        "rows": (n + m,),
        "cols": (n + m,),
        "mass": (n + m,),
        "u": (n,),
        "v": (m,),
        "f": (n + m,),
    }.get(name, ())
    return jax.ShapeDtypeStruct(shape, jnp.int32 if name in ("rows", "cols") else dtype)


def _arrays(problem: Problem, host: Callable[..., Any], fields: Any) -> Any:
    """The host function's arrays for ``problem``, eager or through the callback.

    Called directly for concrete input, through the callback under a trace (the arcs padded to
    ``n + m``). A callable metric's costs come from one JAX program in both cases.
    """
    ms = problem.measures
    n, m = problem.shape
    dtype = ms.x.dtype
    costs = [_union_cost(ms.x, ms.y, problem.metric)] if callable(problem.metric) else []
    static = (problem.metric, problem.method, problem.options, dtype, ms.uniform)
    if not ms.traced:
        out = host(*static, None, ms.x, ms.y, ms.a, ms.b, *(np.asarray(c) for c in costs))
        # device_put, not jnp.asarray (which compiles a program per new shape); the arrays are
        # fresh from the host function, referenced nowhere else: JAX's buffers may alias them.
        return jax.device_put(out, may_alias=True)
    failures, what = _failures(problem)
    shapes = fields(*(_field_shape(name, n, m, dtype) for name in fields._fields))
    return host_solve(
        functools.partial(host, *static, n + m), shapes, ms.x, ms.y, ms.a, ms.b, *costs,
        valid=ms.valid, failures=failures, what=what,
    )  # fmt: skip


def run_primal(problem: Problem) -> W1Primal:
    """:func:`~divergences.w1_primal` of a validated problem, eager or traced."""
    ms = problem.measures
    if problem.method in DEVICE_SOLVERS:
        sol, status, gap = _primal_device(ms, problem.metric, problem.method, problem.options)
        report_status(status, *_failures(problem), gap=gap)
        return sol
    if not ms.traced:
        out = _arrays(problem, _primal_host, PrimalArrays)
        plan = SparsePlan(out.rows, out.cols, out.mass, problem.shape)
        return W1Primal(out.value, plan, out.u, out.v, out.lower_bound, out.upper_bound)
    return _primal_traced(ms, problem.metric, problem.method, problem.options)


@one_program
def _primal_traced(ms: Measures, metric: Metric, method: str, options: Options) -> W1Primal:
    """The traced path of :func:`run_primal`.

    The same host function through the callback, and the envelope derivative through the plan's
    arcs.
    """
    problem = Problem(ms, metric, method, options)
    n, m = problem.shape
    out: PrimalArrays = _arrays(problem, _primal_host, PrimalArrays)
    cost = _plan_cost(ms, metric, out.rows, n + out.cols, out.mass)
    value = envelope_value(out.value, cost, ms.a, ms.b, out.u, out.v)
    plan = SparsePlan(out.rows, out.cols, out.mass, (n, m))
    return W1Primal(value, plan, out.u, out.v, out.lower_bound, out.upper_bound)


def run_dual(problem: Problem) -> W1Dual:
    """:func:`~divergences.w1_dual` of a validated problem, eager or traced."""
    ms = problem.measures
    if problem.method in DEVICE_SOLVERS:
        sol, status, gap = _dual_device(ms, problem.metric, problem.method, problem.options)
        report_status(status, *_failures(problem), gap=gap)
        return sol
    if not ms.traced:
        out = _arrays(problem, _dual_host, DualArrays)
        points = jax.device_put(np.concatenate([ms.x, ms.y]))
        return W1Dual(out.value, out.f, points, out.lipschitz_violation)
    return _dual_traced(ms, problem.metric, problem.method, problem.options)


@one_program
def _dual_traced(ms: Measures, metric: Metric, method: str, options: Options) -> W1Dual:
    """The traced path of :func:`run_dual`.

    The same host function through the callback; the Kantorovich-Rubinstein value forward, the
    envelope derivative through the solve's arcs.
    """
    problem = Problem(ms, metric, method, options)
    n = problem.shape[0]
    out: DualArrays = _arrays(problem, _dual_host, DualArrays)
    cost = _plan_cost(ms, metric, out.rows, out.cols, out.mass)
    value = envelope_value(out.value, cost, ms.a, ms.b, *kantorovich_pair(out.f[:n], out.f[n:]))
    points = sg(jnp.concatenate([ms.x, ms.y]))
    return W1Dual(value, out.f, points, out.lipschitz_violation)


# ---------------------------------------------------------------------------------------------
# The device solvers: one program, eager or traced
# ---------------------------------------------------------------------------------------------


def _point_derivative(ms: Measures, grad_x: jax.Array, grad_y: jax.Array) -> jax.Array:
    r"""A term that is exactly 0 forward and carries the envelope theorem's derivative in the points.

    The derivative is :math:`\sum_i g^x_i \cdot dx_i + \sum_j g^y_j \cdot dy_j`, with the sums
    :math:`g` (of :math:`G_{ij} \nabla c`) held constant. It is taken on the points scaled by a
    power of two (exact), so that no product overflows; :func:`envelope_value` takes it as its
    transport cost.
    """
    e = scale_exponent_traced(ms.x, ms.y)
    xs, ys = times_power_of_two(ms.x, -e), times_power_of_two(ms.y, -e)
    t = jnp.vdot(xs, sg(grad_x)) + jnp.vdot(ys, sg(grad_y))
    return times_power_of_two(t - sg(t), e)


@one_program
def _primal_device(
    ms: Measures, metric: Metric, method: str, options: Options
) -> tuple[W1Primal, jax.Array, jax.Array]:
    """A device solver's primal result with the envelope derivative, its status and gap."""
    n, m = ms.x.shape[0], ms.y.shape[0]
    out = DEVICE_SOLVERS[method].primal(ms.x, ms.y, ms.a, ms.b, ms.valid, metric, options)
    cost = _point_derivative(ms, out.grad_x, out.grad_y)
    value = envelope_value(out.value, cost, ms.a, ms.b, out.u, out.v)
    plan = SparsePlan(out.rows, out.cols, out.mass, (n, m))
    sol = W1Primal(value, plan, out.u, out.v, out.lower_bound, out.upper_bound)
    return sol, out.status, out.gap


@one_program
def _dual_device(
    ms: Measures, metric: Metric, method: str, options: Options
) -> tuple[W1Dual, jax.Array, jax.Array]:
    """A device solver's dual result with the envelope derivative, its status and gap."""
    n = ms.x.shape[0]
    out = DEVICE_SOLVERS[method].dual(ms.x, ms.y, ms.a, ms.b, ms.valid, metric, options)
    cost = _point_derivative(ms, out.grad_x, out.grad_y)
    value = envelope_value(out.value, cost, ms.a, ms.b, *kantorovich_pair(out.f[:n], out.f[n:]))
    points = sg(jnp.concatenate([ms.x, ms.y]))
    return W1Dual(value, out.f, points, out.lipschitz_violation), out.status, out.gap
