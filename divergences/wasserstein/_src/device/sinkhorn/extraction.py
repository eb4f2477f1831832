r"""The returned plan and duals, back in the input's units: the primal and dual results.

**The result**: ``value`` is the cost of the returned plan :math:`G` (a coupling up to
rounding), clipped into the interval; ``u`` and ``v`` are the pair of the lower bound (feasible
up to the rounding of ``v``, ``a @ u + b @ v`` the bound before its allowances); the plan is every one of the
:math:`n m` arcs of :math:`G` when the costs are a matrix, else the ``arcs_per_row`` largest
arcs of each row (the mass of the others left out: then not a coupling). The derivative is the
envelope theorem's through :math:`G` and :math:`(u, v)`:
:math:`\partial W / \partial x_i = \sum_j G_{ij} \nabla_x c(x_i, y_j)` (computed in the same
pass, by blocks, as the vector-Jacobian product of the costs), :math:`\partial W / \partial
a = u - \bar u`, :math:`\partial W / \partial b = v - \bar v`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.metrics import CostError, cost_error
from divergences._src.scaling import tiny, unit_roundoff
from divergences.wasserstein._src.device import DeviceDual, DevicePrimal, DeviceResult
from divergences.wasserstein._src.device.rounding import (
    ceil_float,
    tree_sum,
    up,
)
from divergences.wasserstein._src.device.scaled_costs import (
    cost_tau,
    device_costs,
    scaled_out,
)
from divergences.wasserstein._src.device.sinkhorn.bounds import (
    PlanSums,
    add_up,
    plan_block,
    plan_upper,
)
from divergences.wasserstein._src.device.sinkhorn.geometry import (
    Block,
    Geometry,
    block_size,
    blocked_geometry,
    scan_blocks,
)
from divergences.wasserstein._src.device.sinkhorn.iteration import (
    SinkhornState,
    sinkhorn_loop,
)
from divergences.wasserstein._src.device.sinkhorn.parameters import (
    CONFIG,
    SinkhornConfig,
    SinkhornOptions,
)
from divergences.wasserstein._src.pairwise import times_power_of_two
from divergences.wasserstein._src.results import Status

__all__ = [
    "Final",
    "final_coupling",
    "solve",
]


class Final(NamedTuple):
    value: jax.Array  # <G, c~>, scaled units
    upper: jax.Array  # the bound of G, scaled units
    rows: jax.Array  # plan arcs
    cols: jax.Array
    mass: jax.Array
    grad_x: jax.Array  # in the scaled units of the points and costs
    grad_y: jax.Array


def final_coupling(
    geo: Geometry,
    metric: str,
    st: SinkhornState,
    err: CostError,
    tau: jax.Array,
    config: SinkhornConfig,
) -> Final:
    r"""The coupling :math:`G` of the last check, by blocks.

    Its arcs, cost, certified bound and the envelope gradient's sums :math:`\sum_j G_{ij} \nabla_x
    c(x_i, y_j)` (and over :math:`i` for the :math:`y_j`).
    """
    n, nb, bs = geo.shape
    d = geo.xs.shape[1]
    dt = geo.xs.dtype
    inv = 1 / st.eps
    rd = st.rounded
    keep = min(config.arcs_per_row, nb * bs)
    xs = lax.stop_gradient(geo.xs)

    rows = jnp.arange(n, dtype=jnp.int32)

    def fn(carry: Any, blk: Block, yb: Any, eb: Any, j0: Any, mb: Any) -> Any:
        gx, top_mass, top_cols = carry
        plan = (rd.x[:, None] * plan_block(geo, blk, inv)) * yb[None, :]
        coupling = plan + rd.w[:, None] * eb[None, :]
        # Measures proved equal: the matching, of cost exactly 0.
        matching = jnp.where(rows[:, None] == mb[None, :], blk.b[None, :], 0)
        coupling = jnp.where(geo.equal, matching, coupling)
        _, pullback = jax.vjp(
            lambda p, q: device_costs(p, q, metric, safe=True), xs, lax.stop_gradient(blk.ys)
        )
        dx, dy = pullback(coupling)
        if not geo.dense:
            cand = jnp.concatenate([top_mass, coupling], axis=1)
            cols = jnp.broadcast_to(j0 + jnp.arange(bs, dtype=jnp.int32), (n, bs))
            top_mass, pos = lax.top_k(cand, keep)
            top_cols = jnp.take_along_axis(jnp.concatenate([top_cols, cols], axis=1), pos, 1)
        out = (
            tree_sum(coupling, axis=1),
            tree_sum(coupling, axis=0),
            tree_sum(tree_sum(coupling * blk.cost, axis=1)),
            jnp.max(blk.cost),
            dy,
            coupling if geo.dense else None,
        )
        return (gx + dx, top_mass, top_cols), out

    start = (
        jnp.zeros((n, d), dt),
        jnp.full((n, keep), -jnp.inf, dt),
        jnp.zeros((n, keep), jnp.int32),
    )
    blocks = (
        rd.y.reshape(nb, bs), rd.e.reshape(nb, bs), jnp.arange(nb, dtype=jnp.int32) * bs,
        geo.match,
    )  # fmt: skip
    (gx, top_mass, top_cols), (rows, cols, costs, cmaxes, gy, plan) = scan_blocks(
        geo, metric, st.reduced, st.pot, fn, start, *blocks
    )
    sums = PlanSums(tree_sum(rows, axis=0), cols.reshape(-1), tree_sum(costs), jnp.max(cmaxes))
    upper = plan_upper(geo, err, tau, sums)
    if geo.dense:
        mass = plan[0].reshape(-1)
        arc_rows = jnp.repeat(jnp.arange(n, dtype=jnp.int32), bs)
        arc_cols = jnp.tile(jnp.arange(bs, dtype=jnp.int32), n)
    else:
        mass = jnp.maximum(top_mass, 0).reshape(-1)
        arc_rows = jnp.repeat(jnp.arange(n, dtype=jnp.int32), keep)
        arc_cols = top_cols.reshape(-1)
    return Final(sums.cost, upper, arc_rows, arc_cols, mass, gx, gy.reshape(nb * bs, d))


def _status(valid: Any, st: SinkhornState) -> jax.Array:
    """The status of each problem of the batch.

    SKIPPED for input that broke a rule, FAILED for non-finite bounds, BOUNDS_CROSSED,
    WITHIN_TOLERANCE, or PIVOT_CAP (the iteration cap before rtol).
    """
    finite = jnp.isfinite(st.lower) & jnp.isfinite(st.upper)
    code = jnp.where(st.done, int(Status.WITHIN_TOLERANCE), int(Status.PIVOT_CAP))
    code = jnp.where(st.lower > st.upper, int(Status.BOUNDS_CROSSED), code)
    code = jnp.where(finite, code, int(Status.FAILED))
    return jnp.where(jnp.asarray(valid), code, int(Status.SKIPPED)).astype(jnp.int32)


def _nan_unless(ok: jax.Array, t: jax.Array) -> jax.Array:
    return jnp.where(ok, t, jnp.nan)


class _Solved(NamedTuple):
    geo: Geometry
    state: SinkhornState
    final: Final
    status: jax.Array
    ok: jax.Array
    err: CostError
    tau: jax.Array


def _run(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    valid: Any,
    metric: str,
    options: SinkhornOptions,
    config: Any,
) -> _Solved:
    """The solve on constant inputs, then the returned coupling's pass."""
    x, y, a, b = (lax.stop_gradient(t) for t in (x, y, a, b))
    geo = blocked_geometry(x, y, a, b, metric, config)
    dt = geo.xs.dtype
    st = sinkhorn_loop(geo, metric, valid, options.rtol, options.max_iter, config)
    err = cost_error(metric, geo.xs.shape[1], dt)
    tau = cost_tau(err, geo.e, dt)
    fin = final_coupling(geo, metric, st, err, tau, config)
    status = _status(valid, st)
    ok = status == int(Status.WITHIN_TOLERANCE)
    return _Solved(geo, st, fin, status, ok, err, tau)


def _primal_fields(
    run: _Solved, x: Any, y: Any, metric: str, config: SinkhornConfig
) -> dict[str, Any]:
    """The fields of :class:`~..DevicePrimal` that are the primal's own."""
    geo, st, fin, ok = run.geo, run.state, run.final, run.ok
    m = y.shape[0]
    # Clipped in scaled units (normal numbers), then each rounded monotonically: the value stays
    # in the interval also where the three are subnormal (XLA's comparisons may flush those).
    upper_scaled = jnp.minimum(st.upper, fin.upper)
    lower = scaled_out(st.lower, geo.k, "down")
    upper = scaled_out(upper_scaled, geo.k, "up")
    value = scaled_out(jnp.clip(fin.value, st.lower, upper_scaled), geo.k, "nearest")
    return {
        "value": _nan_unless(ok, value),
        "rows": fin.rows,
        "cols": jnp.minimum(fin.cols, m - 1),  # a padding column only where its mass is 0
        "mass": _nan_unless(ok, fin.mass),
        "u": _nan_unless(ok, times_power_of_two(st.u, geo.k)),
        "v": _nan_unless(ok, times_power_of_two(st.v[:m], geo.k)),
        "lower_bound": _nan_unless(ok, lower),
        "upper_bound": _nan_unless(ok, upper),
    }


def _lipschitz_violation_bound(
    union: jax.Array, f: jax.Array, metric: str, err: CostError, tau: jax.Array, block: int
) -> jax.Array:
    r"""An upper bound on the largest Lipschitz violation of ``f`` over all pairs of the union.

    In scaled units, a bound on the exact :math:`\max(0, \max_{kl} f_k - f_l - c(z_k, z_l))`: the
    computed maximum, by blocks of columns, widened by the costs' error and the two subtractions'
    rounding (:math:`u (4 \max|f| + \tilde C)` and :math:`2 \lambda`).
    """
    dt = f.dtype
    count = union.shape[0]
    bs = min(block, count)
    nb = -(-count // bs)
    pad = nb * bs - count
    cols = jnp.concatenate([union, jnp.broadcast_to(union[:1], (pad, union.shape[1]))])
    fc = jnp.concatenate([f, jnp.full((pad,), jnp.inf, dt)])

    def body(carry: Any, blk: Any) -> Any:
        zb, fb = blk
        cost = device_costs(union, zb, metric)
        worst = jnp.max((f[:, None] - fb[None, :]) - cost)
        top, cmax = carry
        return (jnp.maximum(top, worst), jnp.maximum(cmax, jnp.max(cost))), None

    start = (jnp.asarray(-jnp.inf, dt), jnp.zeros((), dt))
    (worst, cmax), _ = lax.scan(body, start, (cols.reshape(nb, bs, -1), fc.reshape(nb, bs)))
    f_max = jnp.max(jnp.abs(f))
    widen = add_up(
        up(cmax * err.rho),
        tau,
        up(up(up(4 * f_max) + cmax) * ceil_float(2 * unit_roundoff(dt), dt)),
        jnp.asarray(ceil_float(4 * tiny(dt), dt), dt),
    )
    return jnp.maximum(up(worst + widen), 0)


def _dual_fields(
    run: _Solved, x: Any, y: Any, metric: str, config: SinkhornConfig
) -> dict[str, Any]:
    r"""The fields of :class:`~..DeviceDual` that are the dual's own.

    The c-transform :math:`f(z) = \min_{j:\, b_j > 0} c(z, y_j) - g_j` of the solve's column
    potential on the union of the points, centred, its Kantorovich-Rubinstein value, and a certified
    bound on its Lipschitz violation (computed over all pairs of the union, by blocks).
    """
    geo, st, ok = run.geo, run.state, run.ok
    dt = geo.xs.dtype
    n, m = x.shape[0], y.shape[0]
    _, nb, bs = geo.shape
    union = jnp.concatenate([geo.xs, geo.ys.reshape(-1, geo.xs.shape[1])[:m]])
    g = st.v.reshape(nb, bs)

    def fn(top: Any, blk: Any) -> Any:
        ys, b, gb = blk
        cost = device_costs(union, ys, metric)
        t = jnp.min(jnp.where(b[None, :] > 0, cost - gb[None, :], jnp.inf), axis=1)
        return jnp.minimum(top, t), None

    f, _ = lax.scan(fn, jnp.full((n + m,), jnp.inf, dt), (geo.ys, geo.b, g))
    f = f - (jnp.max(f) + jnp.min(f)) / 2
    value = tree_sum(geo.a * f[:n]) - tree_sum(geo.b.reshape(-1)[:m] * f[n:])
    block = block_size(n + m, n + m, config)
    violation = _lipschitz_violation_bound(union, f, metric, run.err, run.tau, block)
    violation_out = up(scaled_out(violation, geo.k, "up") + ceil_float(3 * tiny(dt), dt))
    return {
        "value": _nan_unless(ok, scaled_out(value, geo.k, "nearest")),
        "f": _nan_unless(ok, scaled_out(f, geo.k, "nearest")),
        "lipschitz_violation": _nan_unless(ok, violation_out),
    }


#: The fields of each result type that are its own, by type.
_OWN_FIELDS = {DevicePrimal: _primal_fields, DeviceDual: _dual_fields}


def solve(
    output: type[DeviceResult],
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    valid: Any,
    metric: str,
    options: SinkhornOptions,
    config: SinkhornConfig = CONFIG,
) -> DeviceResult:
    """The result of type ``output`` of ``method="sinkhorn"``, in one program.

    :class:`~..DevicePrimal` for ``w1_primal``, :class:`~..DeviceDual` for
    ``w1_dual``; for validated input, traced or not (see the module's docstring). One solve and
    one returned coupling for both: they differ only in the fields they read from it.
    """
    run = _run(x, y, a, b, valid, metric, options, config)
    geo, st, fin = run.geo, run.state, run.final
    m = y.shape[0]
    grad_scale = geo.k - geo.e
    return output(
        **_OWN_FIELDS[output](run, x, y, metric, config),
        grad_x=_nan_unless(run.ok, times_power_of_two(fin.grad_x, grad_scale)),
        grad_y=_nan_unless(run.ok, times_power_of_two(fin.grad_y[:m], grad_scale)),
        status=run.status,
        gap=st.gap,
        iterations=st.it,
    )
