r"""The certificate of a Sinkhorn state: a certified lower and upper bound on W1.

**The lower bound** is the dual value of a feasible pair: :math:`u` the c-transform of
:math:`g` (centred), :math:`u_i = \min_{j:\, b_j > 0} c^-_{ij} - g_j`, and :math:`v'` the
c-transform of :math:`u` back, :math:`v'_j = \min_{i:\, a_i > 0} c^-_{ij} - u_i` (two steps of
coordinate ascent on the dual, so that neither potential's slow directions cost the bound):
:math:`\sum_i a_i u_i + \sum_j b_j v'_j \le W_1`, whatever the floats :math:`u` are. The costs
:math:`c^-` are floats below the exact ones, :math:`\mathrm{fl}(\tilde c (1 - \rho - 2u)) -
2\tau`, so that the costs' error costs only :math:`\rho` of the costs used, not of the largest;
each computed :math:`\tilde v_j` is within :math:`u |\tilde v_j| + 2\lambda` (to first order)
of the exact minimum, the rounding of the minimising difference; and each sum is a
:func:`~..rounding.dot_lower`: a tree sum whose error is bounded by
:math:`\gamma_{\lceil \log_2 N \rceil}`.

**The upper bound** is the cost of a coupling: the Sinkhorn plan rounded onto the marginals
(Altschuler, Weed & Rigollet, *Near-linear time approximation algorithms for optimal transport
via Sinkhorn iteration*, NeurIPS 2017, Alg. 2). The computed plan :math:`\tilde P`, whatever its
rounding, has its rows in excess scaled down to :math:`a`, then its columns in excess to
:math:`b`, giving :math:`F`; then :math:`G = F + (a - r_F)(b - s_F)^\top / \|a - r_F\|_1`
carries the missing mass. For the floats :math:`\tilde G` actually computed, with exact
marginals :math:`r, s` (the tree sums, within :math:`\gamma_h`), every :math:`G \ge 0` bounds

.. math::
   W_1 \le (1 + \rho) \langle G, \tilde c \rangle + \tau \textstyle\sum G + C_{\max}
   \Big(\sum_i (a_i - r_i)_+ + \sum_j (s_j - b_j)_+ + |A - B|\Big):

scaling down the rows then the columns in excess leaves a deficit of at most the bracket, and
moving it costs at most :math:`C_{\max}` a unit. For :math:`\tilde G` the bracket is rounding
only; :math:`|A - B|` is the totals' difference, for weights whose sums differ by rounding (W1
is then that of ``b`` scaled to ``a``'s total, as on the host). Both bounds are rounded outward
at every step (:func:`~..rounding.up`, :func:`~..rounding.down`), then scaled back by :math:`2^k`
(exact), in the input's dtype.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from divergences._src.metrics import CostError
from divergences._src.scaling import tiny, unit_roundoff
from divergences.wasserstein._src.device.rounding import (
    ceil_float,
    depth,
    dot_lower,
    down,
    gamma,
    nonneg_sum_upper,
    tree_sum,
    up,
)
from divergences.wasserstein._src.device.sinkhorn.geometry import (
    Block,
    Geometry,
    Potentials,
    scan_blocks,
)

__all__ = [
    "PlanSums",
    "Rounded",
    "add_up",
    "certified_bounds",
    "plan_block",
    "plan_upper",
]


def add_up(*terms: Any) -> jax.Array:
    """The sum of the terms, each addition rounded up."""
    total = terms[0]
    for t in terms[1:]:
        total = up(total + t)
    return total


def _weight_gap(geo: Geometry) -> tuple[jax.Array, jax.Array]:
    r"""Upper bounds on the exact :math:`|A - B|` and :math:`A = \sum_i a_i`."""
    dt = geo.a.dtype
    n, nb, bs = geo.shape
    b = geo.b.reshape(-1)
    sa, sb = tree_sum(geo.a), tree_sum(b)
    a_up = nonneg_sum_upper(sa, depth(n), n, products=False)
    b_up = nonneg_sum_upper(sb, depth(nb * bs), nb * bs, products=False)
    err_a = up(a_up * ceil_float(gamma(depth(n), dt), dt))
    err_b = up(b_up * ceil_float(gamma(depth(nb * bs), dt), dt))
    slack = jnp.asarray(ceil_float(4 * (n + nb * bs) * tiny(dt), dt), dt)
    return add_up(up(jnp.abs(sa - sb)), err_a, err_b, slack), a_up


class PlanSums(NamedTuple):
    """What the bound of a plan needs: its tree sums, and the largest computed cost."""

    rows: jax.Array  # (n,) depth depth(bs) + depth(nb)
    cols: jax.Array  # (nb * bs,) depth depth(n)
    cost: jax.Array  # () sum of G * c~, depth depth(bs) + depth(n) + depth(nb)
    cmax: jax.Array  # ()


def plan_upper(geo: Geometry, err: CostError, tau: jax.Array, sums: PlanSums) -> jax.Array:
    r"""The certified upper bound of a computed plan :math:`G \ge 0` (module docstring)."""
    dt = sums.rows.dtype
    n, nb, bs = geo.shape
    pairs = n * nb * bs
    lam = tiny(dt)
    row_levels = depth(bs) + depth(nb)
    mass = nonneg_sum_upper(tree_sum(sums.rows), row_levels + depth(n), pairs, products=False)
    moved = nonneg_sum_upper(sums.cost, depth(bs) + depth(n) + depth(nb), pairs, products=True)
    c_bound = add_up(up(sums.cmax * (1 + err.rho)), tau)  # above every exact cost
    row_miss = jnp.maximum(up(geo.a - sums.rows), 0)
    col_miss = jnp.maximum(up(sums.cols - geo.b.reshape(-1)), 0)
    g_rows = ceil_float(gamma(row_levels, dt), dt)
    g_cols = ceil_float(gamma(depth(n), dt), dt)
    slack = jnp.asarray(ceil_float((4 * pairs + 4 * (n + nb * bs)) * lam, dt), dt)
    weight_gap, _ = _weight_gap(geo)
    miss = add_up(
        nonneg_sum_upper(tree_sum(row_miss), depth(n), n, products=False),
        nonneg_sum_upper(tree_sum(col_miss), depth(nb * bs), nb * bs, products=False),
        up(mass * (g_rows + g_cols)),
        slack,
        weight_gap,
    )
    cost = add_up(up(moved * (1 + err.rho)), up(tau * mass))
    return add_up(cost, up(c_bound * miss), jnp.asarray(ceil_float(16 * lam, dt), dt))


def _lower_costs(cost: jax.Array, err: CostError, tau: jax.Array) -> jax.Array:
    r"""Floats below the exact costs, whose c-transform is feasible for the exact costs.

    The floats are :math:`\mathrm{fl}(\tilde c\, k) - 2\tau` with :math:`k \le 1 - \rho - 2u`, at
    most :math:`(1 - \rho)\tilde c - \tau \le c` (or 0 where a result is flushed, and :math:`c \ge
    0`): a c-transform of them is feasible for the exact costs, and loses only :math:`\rho` of the
    costs it uses, not of the largest.
    """
    dt = cost.dtype
    k = -ceil_float(-(1 - Fraction(err.rho) - 2 * unit_roundoff(dt)), dt)
    return cost * k - 2 * tau


def _lower(geo: Geometry, u: jax.Array, v: jax.Array) -> jax.Array:
    r"""The certified lower bound of the dual pair ``u`` and its c-transform over the lowered costs.

    The bound is :math:`\sum_i a_i u_i + \sum_j b_j v'_j` (at least 0) of the floats ``u`` (any
    values) and the exact c-transform :math:`v'` of ``u`` over the lowered costs
    (:func:`_lower_costs`): a feasible pair, whatever ``u`` is.

    Each computed :math:`\tilde v_j = \min_i \mathrm{fl}(t_{ij})` of the differences
    :math:`t_{ij} = c^-_{ij} - u_i` is within :math:`u (|\tilde v_j| + \lambda) / (1 - u) +
    \lambda` above the exact minimum :math:`v'_j` (the rounding of the minimising difference,
    relative to the minimum itself); the sums are :func:`~..rounding.dot_lower` and a tree sum of
    :math:`b_j |\tilde v_j|`; :math:`|A - B| \max |v|` covers weights whose totals differ.
    """
    dt = u.dtype
    lam = tiny(dt)
    ud = unit_roundoff(dt)
    b = geo.b.reshape(-1)
    count = b.shape[0]
    live = b > 0
    v = jnp.where(live, v, 0)
    v_max = jnp.max(jnp.abs(v))
    weight_gap, _ = _weight_gap(geo)
    b_up = nonneg_sum_upper(tree_sum(b), depth(count), count, products=False)
    magnitude = nonneg_sum_upper(
        tree_sum(b * jnp.abs(v)), depth(count), count, products=True
    )  # >= sum_j b_j |v_j|
    rounding = add_up(
        up(magnitude * ceil_float(ud / (1 - ud), dt)),
        up(b_up * ceil_float(ud * lam / (1 - ud) + lam, dt)),
    )
    lower = down(dot_lower(geo.a, jnp.where(geo.a > 0, u, 0)) + dot_lower(b, v))
    lower = down(lower - rounding)
    lower = down(lower - up(weight_gap * v_max))
    lower = down(lower - ceil_float(16 * lam, dt))
    return jnp.maximum(lower, 0)  # W1 >= 0


class Rounded(NamedTuple):
    r"""The rounding of a plan onto the marginals (Alg. 2), as scalings of :math:`\tilde P`.

    :math:`G_{ij} = x_i \tilde P_{ij} y_j + w_i e_j`.
    """

    x: jax.Array  # (n,) row scaling
    y: jax.Array  # (nb * bs,) column scaling
    w: jax.Array  # (n,) the row deficits over their total
    e: jax.Array  # (nb * bs,) the column deficits


class _Check(NamedTuple):
    lower: jax.Array
    upper: jax.Array
    gap: jax.Array
    bias: jax.Array  # the plan's cost (mass restored) above the lower bound
    repair: jax.Array  # the cost of moving the missing mass
    u: jax.Array  # the c-transform
    v: jax.Array  # the (centred) column potential it is of
    rounded: Rounded


def plan_block(geo: Geometry, blk: Block, inv: jax.Array) -> jax.Array:
    r""":math:`\tilde P = a_i b_j \exp(-R_{ij} / \varepsilon)` of one block."""
    return jnp.exp((geo.loga[:, None] + blk.logb[None, :]) - blk.reduced * inv)


def certified_bounds(
    geo: Geometry,
    metric: str,
    err: CostError,
    tau: jax.Array,
    red: Any,
    pot: Potentials,
    eps: jax.Array,
) -> _Check:
    """The certified bounds of the state, with what the choice of epsilon needs.

    The rounded plan's bound is the upper, the c-transform's the lower. Three passes over the
    blocks: the plan's rows and the c-transform; the columns of the rows' rounding; the coupling's
    sums.
    """
    _, nb, bs = geo.shape
    inv = 1 / eps
    # The column potential, centred on its live columns: the dual value does not change (up to
    # |A - B|), and the c-transform's rounding, relative to its values, is least.
    g = pot.g()
    live = geo.b.reshape(-1) > 0
    top = jnp.max(jnp.where(live, g, -jnp.inf))
    g = g - (top + jnp.min(jnp.where(live, g, jnp.inf))) / 2

    def rows_pass(_: Any, blk: Block, gb: Any) -> Any:
        plan = plan_block(geo, blk, inv)
        differences = _lower_costs(blk.cost, err, tau) - gb[None, :]
        transform = jnp.min(jnp.where(blk.b[None, :] > 0, differences, jnp.inf), axis=1)
        return None, (tree_sum(plan, axis=1), transform)

    # The scalings x, y and the deficits need no rigour (whatever they are, the coupling's own
    # sums are bounded below): XLA's sums. The coupling's sums are trees.
    _, (row_parts, transforms) = scan_blocks(
        geo, metric, red, pot, rows_pass, None, g.reshape(nb, bs)
    )
    r = tree_sum(row_parts, axis=0)
    x = jnp.where(r > geo.a, geo.a / jnp.where(r > 0, r, 1), 1)
    u = jnp.min(transforms, axis=0)

    def cols_pass(_: Any, blk: Block) -> Any:
        scaled = x[:, None] * plan_block(geo, blk, inv)
        s = tree_sum(scaled, axis=0)
        y = jnp.where(s > blk.b, blk.b / jnp.where(s > 0, s, 1), 1)
        plan = scaled * y[None, :]
        # The c-transform of u back over the columns (rows of mass only): v >= g, the pair
        # (u, v) feasible, the lower bound no worse (a second step of coordinate ascent).
        differences = _lower_costs(blk.cost, err, tau) - u[:, None]
        v = jnp.min(jnp.where(geo.a[:, None] > 0, differences, jnp.inf), axis=0)
        return None, (tree_sum(plan, axis=1), tree_sum(plan, axis=0), y, v)

    _, (row_parts, col_sums, y, v) = scan_blocks(geo, metric, red, pot, cols_pass, None)
    v = v.reshape(-1)
    rows = tree_sum(row_parts, axis=0)
    e_rows = jnp.maximum(geo.a - rows, 0)
    e_cols = jnp.maximum(geo.b - col_sums, 0).reshape(-1)
    missing = tree_sum(e_rows)
    w = jnp.where(missing > 0, e_rows / jnp.where(missing > 0, missing, 1), 0)
    rounded = Rounded(x, y.reshape(-1), w, e_cols)
    sums, plan_cost = _coupling_sums(geo, metric, red, pot, eps, rounded)
    upper = plan_upper(geo, err, tau, sums)
    lower = _lower(geo, u, v)
    gap = jnp.where(upper > 0, up(up(upper - lower) / upper), 0)
    bias = plan_cost / jnp.maximum(1 - missing, 0.5) - lower
    return _Check(lower, upper, gap, bias, sums.cost - plan_cost, u, v, rounded)


def _coupling_sums(
    geo: Geometry, metric: str, red: Any, pot: Potentials, eps: jax.Array, rd: Rounded
) -> tuple[PlanSums, jax.Array]:
    """The tree sums of :math:`G` and the cost of its part :math:`F` (before the repair)."""
    _, nb, bs = geo.shape
    inv = 1 / eps

    def fn(_: Any, blk: Block, yb: Any, eb: Any) -> Any:
        plan = (rd.x[:, None] * plan_block(geo, blk, inv)) * yb[None, :]
        coupling = plan + rd.w[:, None] * eb[None, :]
        return None, (
            tree_sum(coupling, axis=1),
            tree_sum(coupling, axis=0),
            tree_sum(tree_sum(coupling * blk.cost, axis=1)),
            tree_sum(tree_sum(plan * blk.cost, axis=1)),
            jnp.max(blk.cost),
        )

    blocks = (rd.y.reshape(nb, bs), rd.e.reshape(nb, bs))
    _, (rows, cols, costs, plan_costs, cmaxes) = scan_blocks(
        geo, metric, red, pot, fn, None, *blocks
    )
    sums = PlanSums(tree_sum(rows, axis=0), cols.reshape(-1), tree_sum(costs), jnp.max(cmaxes))
    return sums, tree_sum(plan_costs)
