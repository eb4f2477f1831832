r"""Certified W1 by log-domain Sinkhorn with epsilon-scaling, entirely in XLA.

``w1_primal(..., method="sinkhorn")`` and ``w1_dual(..., method="sinkhorn")``: no host
callback, so one program runs under ``jit``, ``vmap`` (a batch is solved in lockstep, not one
problem after another), ``grad`` and across devices, on a CPU, a GPU or a TPU. What it returns
is the engine's (:class:`~divergences.W1Primal`, :class:`~divergences.W1Dual`,
:class:`~divergences.SparsePlan`, :class:`~divergences.wasserstein._results.Status`): an
interval ``[lower_bound, upper_bound]`` that holds W1 in real arithmetic, whose relative gap is
at most ``rtol`` (default ``1e-3``), or a :class:`~divergences.SolverError`.

**The iteration** (Cuturi, *Sinkhorn distances*, NeurIPS 2013, in the log domain of Schmitzer,
*Stabilized sparse scaling algorithms for entropy regularized transport problems*, SIAM J. Sci.
Comput. 41, 2019; Peyre & Cuturi, *Computational Optimal Transport*, 2019, Sec. 4.4): on the
scaled points (:mod:`.costs`), with the reduced costs :math:`R_{ij} = c_{ij} - f_i - g_j` and
:math:`\mathrm{LSE}` the log-sum-exp,

.. math::
   f_i \leftarrow f_i - \varepsilon\, \mathrm{LSE}_j\big(\log b_j - R_{ij} / \varepsilon\big),
   \qquad
   g_j \leftarrow g_j - \varepsilon\, \mathrm{LSE}_i\big(\log a_i - R_{ij} / \varepsilon\big),

and the plan :math:`P_{ij} = a_i b_j \exp(-R_{ij} / \varepsilon)`: never an exponential of a
large number. Precision at small :math:`\varepsilon` is kept by never forming
:math:`f_i + g_j - c_{ij}` from numbers of the size of the costs, whose rounding (a unit
roundoff of the largest cost, divided by :math:`\varepsilon`) would otherwise set a floor on
the marginals' accuracy in float32: where the costs are a matrix, the potentials are absorbed
into it at every check (:math:`R` becomes the new matrix and the potentials restart at 0:
Schmitzer's absorption, Sec. 3.2); where they go by blocks, the potentials are kept as
unevaluated sums of two floats and :math:`R` is formed with an exact two-sum. Every
``check_every`` iterations the state is certified (below). :math:`\varepsilon` starts at the
largest cost and is halved, the potentials kept (warm start: Schmitzer's epsilon-scaling, Sec.
3.3), at each check where the stage has converged (the cost of repairing the plan's marginals
is at most :math:`\varepsilon`) and the plan's own suboptimality is above a tenth of the gap
sought; otherwise the iteration continues at that :math:`\varepsilon`. Each update is
over-relaxed (``overrelaxation``, halved towards plain Sinkhorn wherever it stops helping).
It stops once ``(upper - lower) / upper <= rtol``, certified, and only then, or at
``max_iter`` iterations: a :class:`~divergences.SolverError` with status ``PIVOT_CAP`` and the
gap reached (NaN results under ``jit``, and the same error from ``dv.checked``). W1 = 0, where no
interval has a relative gap below 1, is proved before the loop, from the bits of the input:
measures equal point for point (each point of positive mass matched to one point of the other
side with the same coordinates and the same mass) return ``[0, 0]`` and the matching as the plan.
Entropic smoothing resolves costs down to about ``eps_floor`` machine epsilons of the largest
cost: a W1 far below that (a far point of tiny mass, coordinates mixing 1e300 and 1e-300, nearly
equal measures) cannot be certified to ``rtol``, and ends in that error, never in a wide interval
reported as success.

**The scaling** by :math:`2^{-e}` is exact: the exponent and, where it is a scaling up, the
subnormal coordinates are read from their bits (XLA's arithmetic on CPUs and GPUs reads a
subnormal as 0), so points of any scale, subnormal float32 included, are solved like scale 1.

**The costs** are the matrix when ``n m`` is at most ``dense_pairs``; above, they are
recomputed for each block of columns in every pass (``lax.scan``; an online log-sum-exp over
the blocks for the row updates), so that memory is :math:`O((n + m) \times \text{block})`,
never :math:`n \times m`.

**The lower bound** is the dual value of a feasible pair: :math:`u` the c-transform of
:math:`g` (centred), :math:`u_i = \min_{j:\, b_j > 0} c^-_{ij} - g_j`, and :math:`v'` the
c-transform of :math:`u` back, :math:`v'_j = \min_{i:\, a_i > 0} c^-_{ij} - u_i` (two steps of
coordinate ascent on the dual, so that neither potential's slow directions cost the bound):
:math:`\sum_i a_i u_i + \sum_j b_j v'_j \le W_1`, whatever the floats :math:`u` are. The costs
:math:`c^-` are floats below the exact ones, :math:`\mathrm{fl}(\tilde c (1 - \rho - 2u)) -
2\tau`, so that the costs' error costs only :math:`\rho` of the costs used, not of the largest;
each computed :math:`\tilde v_j` is within :math:`u |\tilde v_j| + 2\lambda` (to first order)
of the exact minimum, the rounding of the minimising difference; and each sum is a
:func:`~.certify.dot_lower`: a tree sum whose error is bounded by
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
at every step (:func:`~.certify.up`, :func:`~.certify.down`), then scaled back by :math:`2^k`
(exact), in the input's dtype.

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

from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from divergences.wasserstein._device.certify import (
    ceil_float,
    depth,
    dot_lower,
    down,
    gamma,
    nonneg_sum_upper,
    tiny,
    tree_sum,
    unit_roundoff,
    up,
)
from divergences.wasserstein._device.costs import (
    cost_tau,
    magnitude_bits,
    pair_costs,
    scale_exponent_bits,
    scaled_points,
    span_cost,
)
from divergences.wasserstein._device.loops import lockstep_while
from divergences.wasserstein._metrics import CostError, cost_error, named_metric
from divergences.wasserstein._options import Options
from divergences.wasserstein._results import Status
from divergences.wasserstein.cost import times_power_of_two

__all__ = [
    "CONFIG",
    "SOLVER",
    "DeviceDual",
    "DevicePrimal",
    "SinkhornConfig",
    "SinkhornSolver",
    "SinkhornState",
    "solve_dual",
    "solve_primal",
]

sg = lax.stop_gradient


class SinkhornConfig(NamedTuple):
    """The fixed parameters of the device Sinkhorn solver.

    The options a call can set are ``rtol`` and ``max_iter``.
    """

    #: The certified relative gap ``(upper - lower) / upper`` a call stops at by default.
    rtol: float = 1e-3
    #: The cap on iterations (each an ``f`` and a ``g`` update) by default.
    max_iter: int = 20_000
    #: Iterations between two certificates (and two choices of epsilon).
    check_every: int = 10
    #: Epsilon is multiplied by this at a check where the stage has converged and the plan's
    #: suboptimality is above ``bias_fraction`` of the gap sought.
    decay: float = 0.5
    #: The least epsilon, in units of the dtype's machine epsilon times the largest cost.
    eps_floor: float = 64.0
    #: Each update moves the potential by this times the Sinkhorn step (1: plain Sinkhorn;
    #: over-relaxation, Thibault, Chizat, Dossal & Papadakis, *Overrelaxed Sinkhorn-Knopp
    #: algorithm for regularized optimal transport*, Algorithms 14, 2021), halved towards 1 at
    #: each check where the marginals' repair grew at the same epsilon.
    overrelaxation: float = 1.7
    #: Epsilon shrinks while the plan's suboptimality is above this fraction of ``rtol``.
    bias_fraction: float = 0.1
    #: A stage has converged once the marginals' repair costs at most this times epsilon.
    stage_tolerance: float = 1.0
    #: Above this many pairs ``n m``, the costs are recomputed by blocks of columns.
    dense_pairs: int = 2**22
    #: The least number of columns of a block (blocks hold ``n x block <= dense_pairs`` costs).
    min_block: int = 128
    #: Arcs kept per row in the plan of a problem whose costs go by blocks.
    arcs_per_row: int = 16


#: The configuration in use.
CONFIG = SinkhornConfig()


# ---------------------------------------------------------------------------------------------
# The problem on its scaled points, by blocks of columns
# ---------------------------------------------------------------------------------------------


class _Geometry(NamedTuple):
    """A problem on its scaled points, its columns in ``nb`` blocks of ``bs``.

    Zero-mass padding past ``m``; ``cost`` is the ``(1, n, m)`` matrix when it is kept
    (``nb == 1``).
    """

    xs: jax.Array  # (n, d)
    ys: jax.Array  # (nb, bs, d)
    a: jax.Array  # (n,)
    b: jax.Array  # (nb, bs)
    loga: jax.Array  # (n,)
    logb: jax.Array  # (nb, bs)
    cost: jax.Array | None  # (1, n, m) or None
    e: jax.Array  # the scale exponent of the points
    k: jax.Array  # the scale exponent of the costs, degree * e
    equal: jax.Array  # () bool: the measures are proved equal (W1 = 0, see _equal_measures)
    match: jax.Array  # (nb, bs) int32: the row matched to each column where ``equal``

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n, nb, bs)``."""
        return self.xs.shape[0], self.ys.shape[0], self.ys.shape[1]

    @property
    def dense(self) -> bool:
        return self.cost is not None


def _block_size(n: int, m: int, config: SinkhornConfig) -> int:
    """The number of columns of a block.

    All ``m`` columns in one block (the matrix kept) up to ``dense_pairs`` pairs; above, blocks of
    ``dense_pairs // n`` columns (at least ``min_block``).
    """
    if n * m <= config.dense_pairs:
        return m
    return max(1, min(m, max(config.min_block, config.dense_pairs // n)))


def _geometry(x: Any, y: Any, a: Any, b: Any, metric: str, config: SinkhornConfig) -> _Geometry:
    n, m = x.shape[0], y.shape[0]
    deg = named_metric(metric).degree
    e = scale_exponent_bits(x, y, degree=deg)
    xs, ys = scaled_points(x, e), scaled_points(y, e)
    bs = _block_size(n, m, config)
    nb = -(-m // bs)
    pad = nb * bs - m
    y0 = y
    if pad:
        ys = jnp.concatenate([ys, jnp.broadcast_to(ys[:1], (pad, ys.shape[1]))])
        y0 = jnp.concatenate([y, jnp.broadcast_to(y[:1], (pad, y.shape[1]))])
        b = jnp.concatenate([b, jnp.zeros((pad,), b.dtype)])
    cost = pair_costs(xs, ys, metric)[None] if nb == 1 else None
    equal, match = _equal_measures(x, y0.reshape(nb, bs, -1), a, b.reshape(nb, bs))
    return _Geometry(
        xs=xs,
        ys=ys.reshape(nb, bs, -1),
        a=a,
        b=b.reshape(nb, bs),
        loga=jnp.log(a),
        logb=jnp.log(b).reshape(nb, bs),
        cost=cost,
        e=e,
        k=deg * e,
        equal=equal,
        match=match,
    )


def _equal_measures(
    x: jax.Array, y: jax.Array, a: jax.Array, b: jax.Array
) -> tuple[jax.Array, jax.Array]:
    r"""Whether the measures are proved equal (then W1 = 0 exactly), and the matching that proves it.

    Read from the bits of the input as given (integers: no flushing, no rounding), by blocks of
    columns ``y`` ``(nb, bs, d)``, ``b`` ``(nb, bs)``. The proof: every row of positive mass has
    exactly one column at the same point (every coordinate equal), of the same mass, and every
    column of positive mass exactly one row at its point. Then :math:`G_{ij} = a_i` on those pairs
    is a coupling of cost exactly 0. Measures with a positive mass repeated at one point on a side
    are not proved equal here (the solve then goes on as for any other input).

    Returns ``(equal, match)``: ``match[j]`` the row at column ``j``'s point (-1 where none or several).
    """
    n = x.shape[0]
    bx, ba = magnitude_bits(x), magnitude_bits(a)
    # Signed bits, -0 read as +0: equal numbers exactly where the integers are equal.
    sx = jnp.where(bx == 0, 0, lax.bitcast_convert_type(x, bx.dtype))
    rows = jnp.arange(n, dtype=jnp.int32)

    def fn(carry: Any, blk: Any) -> Any:
        count, mass = carry
        yb, bb = blk
        by = magnitude_bits(yb)
        sy = jnp.where(by == 0, 0, lax.bitcast_convert_type(yb, by.dtype))
        same = jnp.all(sx[:, None, :] == sy[None, :, :], axis=-1)  # (n, bs)
        wb = magnitude_bits(bb)
        count = count + jnp.sum(same, axis=1, dtype=jnp.int32)
        mass = jnp.maximum(mass, jnp.max(jnp.where(same, wb[None, :], -1), axis=1))
        col_count = jnp.sum(same, axis=0, dtype=jnp.int32)
        col_mass = jnp.max(jnp.where(same, ba[:, None], -1), axis=0)
        col_ok = (wb == 0) | ((col_count == 1) & (col_mass == wb))
        col_row = jnp.where(col_count == 1, jnp.max(jnp.where(same, rows[:, None], -1), 0), -1)
        return (count, mass), (jnp.all(col_ok), col_row)

    start = (jnp.zeros((n,), jnp.int32), jnp.full((n,), -1, ba.dtype))
    (count, mass), (cols_ok, match) = lax.scan(fn, start, (y, b))
    rows_ok = (ba == 0) | ((count == 1) & (mass == ba))
    return jnp.all(rows_ok) & jnp.all(cols_ok), match.astype(jnp.int32)


class Potentials(NamedTuple):
    r"""The potentials as ``hi + lo``.

    By blocks: unevaluated sums of two floats (a double-float). With the matrix kept: ``lo`` is what
    has been absorbed into the reduced costs, ``hi`` what was added since.
    """

    f_hi: jax.Array  # (n,)
    f_lo: jax.Array  # (n,)
    g_hi: jax.Array  # (nb * bs,)
    g_lo: jax.Array  # (nb * bs,)

    def f(self) -> jax.Array:
        return self.f_hi + self.f_lo

    def g(self) -> jax.Array:
        return self.g_hi + self.g_lo


def _two_sum(s: jax.Array, t: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``s + t = hi + lo`` exactly (Knuth's two-sum, six operations, any order of sizes)."""
    hi = s + t
    back = hi - s
    return hi, (s - (hi - back)) + (t - back)


class _Block(NamedTuple):
    """One block of columns as a pass sees it."""

    cost: jax.Array  # (n, bs) the computed costs c~
    reduced: jax.Array  # (n, bs) R = c - f - g
    b: jax.Array  # (bs,)
    logb: jax.Array  # (bs,)
    ys: jax.Array  # (bs, d)


def _scan_blocks(
    geo: _Geometry,
    metric: str,
    reduced: jax.Array | None,
    pot: Potentials,
    fn: Any,
    carry: Any,
    *per_block: Any,
) -> Any:
    """``lax.scan`` of ``fn(carry, block, *per_block)`` over the column blocks.

    With the matrix kept, ``reduced`` is the absorbed matrix and :math:`R = (R_0 - f_{hi}) -
    g_{hi}`; by blocks, :math:`R = (c - s) - (e + f_{lo} + g_{lo})` with :math:`s + e = f_{hi} +
    g_{hi}` exactly (the subtraction ``c - s`` is exact where :math:`R` is small, by Sterbenz's
    lemma).
    """
    _, nb, bs = geo.shape

    def body(c: Any, xs: Any) -> Any:
        ys, b, logb, cost, red, gh, gl, *rest = xs
        costs = pair_costs(geo.xs, ys, metric) if cost is None else cost
        if red is not None:
            r = (red - pot.f_hi[:, None]) - gh[None, :]
        else:
            s, e = _two_sum(pot.f_hi[:, None], gh[None, :])
            r = (costs - s) - (e + (pot.f_lo[:, None] + gl[None, :]))
        return fn(c, _Block(costs, r, b, logb, ys), *rest)

    xs = (
        geo.ys, geo.b, geo.logb, geo.cost, reduced, pot.g_hi.reshape(nb, bs),
        pot.g_lo.reshape(nb, bs), *per_block,
    )  # fmt: skip
    if nb > 1:
        return lax.scan(body, carry, xs)
    # One block (the matrix kept): no loop, so that no block is sliced out of a carried array.
    carry, out = body(carry, jax.tree_util.tree_map(lambda t: t[0], xs))
    return carry, jax.tree_util.tree_map(lambda t: t[None], out)


def _add(hi: jax.Array, lo: jax.Array, step: jax.Array, dense: bool) -> tuple[Any, Any]:
    """A potential plus ``step``.

    A plain sum into ``hi`` with the matrix kept, else a double-float sum.
    """
    if dense:
        return hi + step, lo
    s, e = _two_sum(hi, step)
    return s, lo + e


def _f_step(geo: _Geometry, metric: str, red: Any, pot: Potentials, eps: Any) -> jax.Array:
    r"""The row update :math:`-\varepsilon \mathrm{LSE}_j(\log b_j - R_{ij}/\varepsilon)`.

    Online over the blocks (a running maximum and a rescaled running sum).
    """
    inv = 1 / eps

    def fn(carry: Any, blk: _Block) -> Any:
        top, total = carry
        z = blk.logb[None, :] - blk.reduced * inv
        new = jnp.maximum(top, jnp.max(z, axis=1))
        total = total * jnp.exp(top - new) + tree_sum(jnp.exp(z - new[:, None]), axis=1)
        return (new, total), None

    n = geo.xs.shape[0]
    dt = geo.xs.dtype
    start = (jnp.full((n,), -jnp.inf, dt), jnp.zeros((n,), dt))
    (top, total), _ = _scan_blocks(geo, metric, red, pot, fn, start)
    return -eps * (top + jnp.log(total))


def _g_step(geo: _Geometry, metric: str, red: Any, pot: Potentials, eps: Any) -> jax.Array:
    r"""The column update :math:`-\varepsilon \mathrm{LSE}_i(\log a_i - R_{ij}/\varepsilon)`.

    Block by block (each block holds whole columns).
    """
    inv = 1 / eps

    def fn(_: Any, blk: _Block) -> Any:
        z = geo.loga[:, None] - blk.reduced * inv
        top = jnp.max(z, axis=0)
        return None, -eps * (top + jnp.log(tree_sum(jnp.exp(z - top[None, :]), axis=0)))

    _, step = _scan_blocks(geo, metric, red, pot, fn, None)
    return step.reshape(-1)


def _iterate(
    geo: _Geometry, metric: str, red: Any, pot: Potentials, eps: Any, omega: Any
) -> Potentials:
    """One Sinkhorn iteration: the rows' update, then the columns'."""
    step = _f_step(geo, metric, red, pot, eps)
    f_hi, f_lo = _add(pot.f_hi, pot.f_lo, omega * step, geo.dense)
    pot = pot._replace(f_hi=f_hi, f_lo=f_lo)
    step = _g_step(geo, metric, red, pot, eps)
    g_hi, g_lo = _add(pot.g_hi, pot.g_lo, omega * step, geo.dense)
    return pot._replace(g_hi=g_hi, g_lo=g_lo)


def _absorb(geo: _Geometry, metric: str, red: Any, pot: Potentials) -> tuple[Any, Potentials]:
    """Absorbs the potentials into the reduced costs, where the matrix is kept.

    With the matrix kept: :math:`R` becomes the matrix, ``hi`` moves into ``lo``. By blocks: nothing
    to do.
    """
    if not geo.dense:
        return red, pot

    def fn(_: Any, blk: _Block) -> Any:
        return None, blk.reduced

    _, new = _scan_blocks(geo, metric, red, pot, fn, None)
    zero_f, zero_g = jnp.zeros_like(pot.f_hi), jnp.zeros_like(pot.g_hi)
    return new, Potentials(zero_f, pot.f_hi + pot.f_lo, zero_g, pot.g_hi + pot.g_lo)


# ---------------------------------------------------------------------------------------------
# The certificate
# ---------------------------------------------------------------------------------------------


def _add_up(*terms: Any) -> jax.Array:
    """The sum of the terms, each addition rounded up."""
    total = terms[0]
    for t in terms[1:]:
        total = up(total + t)
    return total


def _weight_gap(geo: _Geometry) -> tuple[jax.Array, jax.Array]:
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
    return _add_up(up(jnp.abs(sa - sb)), err_a, err_b, slack), a_up


class _PlanSums(NamedTuple):
    """What the bound of a plan needs: its tree sums, and the largest computed cost."""

    rows: jax.Array  # (n,) depth depth(bs) + depth(nb)
    cols: jax.Array  # (nb * bs,) depth depth(n)
    cost: jax.Array  # () sum of G * c~, depth depth(bs) + depth(n) + depth(nb)
    cmax: jax.Array  # ()


def _plan_upper(geo: _Geometry, err: CostError, tau: jax.Array, sums: _PlanSums) -> jax.Array:
    r"""The certified upper bound of a computed plan :math:`G \ge 0` (module docstring)."""
    dt = sums.rows.dtype
    n, nb, bs = geo.shape
    pairs = n * nb * bs
    lam = tiny(dt)
    row_levels = depth(bs) + depth(nb)
    mass = nonneg_sum_upper(tree_sum(sums.rows), row_levels + depth(n), pairs, products=False)
    moved = nonneg_sum_upper(sums.cost, depth(bs) + depth(n) + depth(nb), pairs, products=True)
    c_bound = _add_up(up(sums.cmax * (1 + err.rho)), tau)  # above every exact cost
    row_miss = jnp.maximum(up(geo.a - sums.rows), 0)
    col_miss = jnp.maximum(up(sums.cols - geo.b.reshape(-1)), 0)
    g_rows = ceil_float(gamma(row_levels, dt), dt)
    g_cols = ceil_float(gamma(depth(n), dt), dt)
    slack = jnp.asarray(ceil_float((4 * pairs + 4 * (n + nb * bs)) * lam, dt), dt)
    weight_gap, _ = _weight_gap(geo)
    miss = _add_up(
        nonneg_sum_upper(tree_sum(row_miss), depth(n), n, products=False),
        nonneg_sum_upper(tree_sum(col_miss), depth(nb * bs), nb * bs, products=False),
        up(mass * (g_rows + g_cols)),
        slack,
        weight_gap,
    )
    cost = _add_up(up(moved * (1 + err.rho)), up(tau * mass))
    return _add_up(cost, up(c_bound * miss), jnp.asarray(ceil_float(16 * lam, dt), dt))


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


def _lower(geo: _Geometry, u: jax.Array, v: jax.Array) -> jax.Array:
    r"""The certified lower bound of the dual pair ``u`` and its c-transform over the lowered costs.

    The bound is :math:`\sum_i a_i u_i + \sum_j b_j v'_j` (at least 0) of the floats ``u`` (any
    values) and the exact c-transform :math:`v'` of ``u`` over the lowered costs
    (:func:`_lower_costs`): a feasible pair, whatever ``u`` is.

    Each computed :math:`\tilde v_j = \min_i \mathrm{fl}(t_{ij})` of the differences
    :math:`t_{ij} = c^-_{ij} - u_i` is within :math:`u (|\tilde v_j| + \lambda) / (1 - u) +
    \lambda` above the exact minimum :math:`v'_j` (the rounding of the minimising difference,
    relative to the minimum itself); the sums are :func:`~.certify.dot_lower` and a tree sum of
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
    rounding = _add_up(
        up(magnitude * ceil_float(ud / (1 - ud), dt)),
        up(b_up * ceil_float(ud * lam / (1 - ud) + lam, dt)),
    )
    lower = down(dot_lower(geo.a, jnp.where(geo.a > 0, u, 0)) + dot_lower(b, v))
    lower = down(lower - rounding)
    lower = down(lower - up(weight_gap * v_max))
    lower = down(lower - ceil_float(16 * lam, dt))
    return jnp.maximum(lower, 0)  # W1 >= 0


class _Rounded(NamedTuple):
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
    rounded: _Rounded


def _plan_block(geo: _Geometry, blk: _Block, inv: jax.Array) -> jax.Array:
    r""":math:`\tilde P = a_i b_j \exp(-R_{ij} / \varepsilon)` of one block."""
    return jnp.exp((geo.loga[:, None] + blk.logb[None, :]) - blk.reduced * inv)


def _certify(
    geo: _Geometry,
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

    def rows_pass(_: Any, blk: _Block, gb: Any) -> Any:
        plan = _plan_block(geo, blk, inv)
        differences = _lower_costs(blk.cost, err, tau) - gb[None, :]
        transform = jnp.min(jnp.where(blk.b[None, :] > 0, differences, jnp.inf), axis=1)
        return None, (tree_sum(plan, axis=1), transform)

    # The scalings x, y and the deficits need no rigour (whatever they are, the coupling's own
    # sums are bounded below): XLA's sums. The coupling's sums are trees.
    _, (row_parts, transforms) = _scan_blocks(
        geo, metric, red, pot, rows_pass, None, g.reshape(nb, bs)
    )
    r = tree_sum(row_parts, axis=0)
    x = jnp.where(r > geo.a, geo.a / jnp.where(r > 0, r, 1), 1)
    u = jnp.min(transforms, axis=0)

    def cols_pass(_: Any, blk: _Block) -> Any:
        scaled = x[:, None] * _plan_block(geo, blk, inv)
        s = tree_sum(scaled, axis=0)
        y = jnp.where(s > blk.b, blk.b / jnp.where(s > 0, s, 1), 1)
        plan = scaled * y[None, :]
        # The c-transform of u back over the columns (rows of mass only): v >= g, the pair
        # (u, v) feasible, the lower bound no worse (a second step of coordinate ascent).
        differences = _lower_costs(blk.cost, err, tau) - u[:, None]
        v = jnp.min(jnp.where(geo.a[:, None] > 0, differences, jnp.inf), axis=0)
        return None, (tree_sum(plan, axis=1), tree_sum(plan, axis=0), y, v)

    _, (row_parts, col_sums, y, v) = _scan_blocks(geo, metric, red, pot, cols_pass, None)
    v = v.reshape(-1)
    rows = tree_sum(row_parts, axis=0)
    e_rows = jnp.maximum(geo.a - rows, 0)
    e_cols = jnp.maximum(geo.b - col_sums, 0).reshape(-1)
    missing = tree_sum(e_rows)
    w = jnp.where(missing > 0, e_rows / jnp.where(missing > 0, missing, 1), 0)
    rounded = _Rounded(x, y.reshape(-1), w, e_cols)
    sums, plan_cost = _coupling_sums(geo, metric, red, pot, eps, rounded)
    upper = _plan_upper(geo, err, tau, sums)
    lower = _lower(geo, u, v)
    gap = jnp.where(upper > 0, up(up(upper - lower) / upper), 0)
    bias = plan_cost / jnp.maximum(1 - missing, 0.5) - lower
    return _Check(lower, upper, gap, bias, sums.cost - plan_cost, u, v, rounded)


def _coupling_sums(
    geo: _Geometry, metric: str, red: Any, pot: Potentials, eps: jax.Array, rd: _Rounded
) -> tuple[_PlanSums, jax.Array]:
    """The tree sums of :math:`G` and the cost of its part :math:`F` (before the repair)."""
    _, nb, bs = geo.shape
    inv = 1 / eps

    def fn(_: Any, blk: _Block, yb: Any, eb: Any) -> Any:
        plan = (rd.x[:, None] * _plan_block(geo, blk, inv)) * yb[None, :]
        coupling = plan + rd.w[:, None] * eb[None, :]
        return None, (
            tree_sum(coupling, axis=1),
            tree_sum(coupling, axis=0),
            tree_sum(tree_sum(coupling * blk.cost, axis=1)),
            tree_sum(tree_sum(plan * blk.cost, axis=1)),
            jnp.max(blk.cost),
        )

    blocks = (rd.y.reshape(nb, bs), rd.e.reshape(nb, bs))
    _, (rows, cols, costs, plan_costs, cmaxes) = _scan_blocks(
        geo, metric, red, pot, fn, None, *blocks
    )
    sums = _PlanSums(tree_sum(rows, axis=0), cols.reshape(-1), tree_sum(costs), jnp.max(cmaxes))
    return sums, tree_sum(plan_costs)


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------


class SinkhornState(NamedTuple):
    """The state of the iteration, in the scaled units.

    O(n + m) but for ``reduced``, the ``(1, n, m)`` absorbed costs where the matrix is kept.
    """

    pot: Potentials
    reduced: Any  # (1, n, m) or None
    eps: jax.Array  # () the current epsilon
    it: jax.Array  # () int32, iterations done
    done: jax.Array  # () bool, certified to rtol
    lower: jax.Array  # () certified lower bound at the last check
    upper: jax.Array  # () certified upper bound at the last check
    gap: jax.Array  # () its relative gap, rounded up
    u: jax.Array  # (n,) the c-transform of v at the last check
    v: jax.Array  # (nb * bs,) the column potential it is of, centred
    rounded: _Rounded  # the rounding of the last check's plan
    omega: jax.Array  # () the over-relaxation in use
    repair: jax.Array  # () the marginals' repair at the last check


def _cost_bound(geo: _Geometry, metric: str) -> jax.Array:
    """The largest cost between the bounding box's corners: epsilon's start."""
    pts = jnp.concatenate([geo.xs, geo.ys.reshape(-1, geo.xs.shape[1])])
    top = span_cost(jnp.max(pts, axis=0) - jnp.min(pts, axis=0), metric)
    return jnp.where(top > 0, top, 1)


def _solve(
    geo: _Geometry, metric: str, valid: Any, rtol: float, max_iter: int, config: SinkhornConfig
) -> SinkhornState:
    """The Sinkhorn loop with its checks, to a certified gap of ``rtol`` or ``max_iter``."""
    dt = geo.xs.dtype
    n, nb, bs = geo.shape
    err = cost_error(metric, geo.xs.shape[1], dt)
    tau = cost_tau(err, geo.e, dt)
    every = min(config.check_every, max_iter)
    eps0 = _cost_bound(geo, metric)
    floor = eps0 * (config.eps_floor * float(jnp.finfo(dt).eps))
    inf = jnp.asarray(jnp.inf, dt)

    def chunk(consts: Any, st: SinkhornState) -> SinkhornState:
        geo, tau, floor, _ = consts
        inf = jnp.asarray(jnp.inf, dt)

        def step(_: Any, pot: Potentials) -> Potentials:
            return _iterate(geo, metric, st.reduced, pot, st.eps, st.omega)

        pot = lax.fori_loop(0, every, step, st.pot)
        check = _certify(geo, metric, err, tau, st.reduced, pot, st.eps)
        reduced, pot = _absorb(geo, metric, st.reduced, pot)
        # Certified to rtol, and only so: an interval [0, upper] proves nothing about a W1 far
        # below the largest cost (W1 = 0 is proved before the loop, _equal_measures).
        done = check.gap <= jnp.asarray(rtol, dt)
        # A smaller epsilon where the plan's own suboptimality is above a tenth of the gap
        # sought, once the stage has converged (Schmitzer's stage tolerance: the marginals'
        # repair below epsilon), so that the next stage starts from potentials close to its own.
        converged = check.repair <= config.stage_tolerance * st.eps
        shrink = (~done) & (check.bias > config.bias_fraction * rtol * check.upper) & converged
        eps = jnp.where(shrink, jnp.maximum(st.eps * config.decay, floor), st.eps)
        # Over-relaxation converges near the solution, not always far from it (Lehmann, von
        # Renesse, Sikorski & Wirth, 2022): a repair that grew at the same epsilon halves it
        # towards plain Sinkhorn, for good.
        worse = (check.repair > st.repair) & (eps == st.eps)
        omega = jnp.where(worse, 1 + (st.omega - 1) / 2, st.omega)
        return SinkhornState(
            pot, reduced, eps, st.it + every, done, check.lower, check.upper, check.gap,
            check.u, check.v, check.rounded, omega, jnp.where(eps == st.eps, check.repair, inf),
        )  # fmt: skip

    def running(consts: Any, st: SinkhornState) -> jax.Array:
        return consts[-1] & ~st.done & (st.it < max_iter)

    zn, zm = jnp.zeros((n,), dt), jnp.zeros((nb * bs,), dt)
    # Measures proved equal: W1 = 0 exactly, the interval [0, 0], no iteration (the matching is
    # the returned plan, u = v = 0 the dual pair).
    open_ = jnp.where(geo.equal, jnp.zeros((), dt), inf)
    start = SinkhornState(
        Potentials(zn, zn, zm, zm), geo.cost, eps0, jnp.int32(0), geo.equal,
        jnp.zeros((), dt), open_, open_, zn, zm, _Rounded(zn, zm, zn, zm),
        jnp.asarray(config.overrelaxation, dt), inf,
    )  # fmt: skip
    # The arrays the loop reads, explicit, and a scalar predicate under vmap: so that
    # dv.checked(vmap(...)) can check the program (see loops.lockstep_while).
    return lockstep_while(running, chunk, (geo, tau, floor, jnp.asarray(valid)), start)


# ---------------------------------------------------------------------------------------------
# The returned plan, its cost, its bound and its gradient
# ---------------------------------------------------------------------------------------------


class _Final(NamedTuple):
    value: jax.Array  # <G, c~>, scaled units
    upper: jax.Array  # the bound of G, scaled units
    rows: jax.Array  # plan arcs
    cols: jax.Array
    mass: jax.Array
    grad_x: jax.Array  # in the scaled units of the points and costs
    grad_y: jax.Array


def _final(
    geo: _Geometry,
    metric: str,
    st: SinkhornState,
    err: CostError,
    tau: jax.Array,
    config: SinkhornConfig,
) -> _Final:
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
    xs = sg(geo.xs)

    rows = jnp.arange(n, dtype=jnp.int32)

    def fn(carry: Any, blk: _Block, yb: Any, eb: Any, j0: Any, mb: Any) -> Any:
        gx, top_mass, top_cols = carry
        plan = (rd.x[:, None] * _plan_block(geo, blk, inv)) * yb[None, :]
        coupling = plan + rd.w[:, None] * eb[None, :]
        # Measures proved equal: the matching, of cost exactly 0.
        matching = jnp.where(rows[:, None] == mb[None, :], blk.b[None, :], 0)
        coupling = jnp.where(geo.equal, matching, coupling)
        _, pullback = jax.vjp(lambda p, q: pair_costs(p, q, metric, safe=True), xs, sg(blk.ys))
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
    (gx, top_mass, top_cols), (rows, cols, costs, cmaxes, gy, plan) = _scan_blocks(
        geo, metric, st.reduced, st.pot, fn, start, *blocks
    )
    sums = _PlanSums(tree_sum(rows, axis=0), cols.reshape(-1), tree_sum(costs), jnp.max(cmaxes))
    upper = _plan_upper(geo, err, tau, sums)
    if geo.dense:
        mass = plan[0].reshape(-1)
        arc_rows = jnp.repeat(jnp.arange(n, dtype=jnp.int32), bs)
        arc_cols = jnp.tile(jnp.arange(bs, dtype=jnp.int32), n)
    else:
        mass = jnp.maximum(top_mass, 0).reshape(-1)
        arc_rows = jnp.repeat(jnp.arange(n, dtype=jnp.int32), keep)
        arc_cols = top_cols.reshape(-1)
    return _Final(sums.cost, upper, arc_rows, arc_cols, mass, gx, gy.reshape(nb * bs, d))


# ---------------------------------------------------------------------------------------------
# Back to the input's units
# ---------------------------------------------------------------------------------------------


class DevicePrimal(NamedTuple):
    """A primal solve in the input's units and dtype (NaN where it stopped short)."""

    value: jax.Array
    rows: jax.Array
    cols: jax.Array
    mass: jax.Array
    u: jax.Array
    v: jax.Array
    lower_bound: jax.Array
    upper_bound: jax.Array
    grad_x: jax.Array  # sum_j G_ij grad_x c(x_i, y_j)
    grad_y: jax.Array  # sum_i G_ij grad_y c(x_i, y_j)
    status: jax.Array  # int32 Status
    gap: jax.Array  # the certified relative gap reached
    iterations: jax.Array


class DeviceDual(NamedTuple):
    """A dual solve in the input's units and dtype (NaN where it stopped short)."""

    value: jax.Array
    f: jax.Array  # (n + m,) on the union
    lipschitz_violation: jax.Array
    grad_x: jax.Array
    grad_y: jax.Array
    status: jax.Array
    gap: jax.Array
    iterations: jax.Array


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


def _scaled_out(t: jax.Array, k: jax.Array, rounding: str) -> jax.Array:
    r"""``t * 2^k`` rounded ``"down"``, ``"up"`` or to ``"nearest"``, subnormal results included.

    Exact where the result is a normal number (or inf past the range). Below the normal range
    XLA's arithmetic on CPUs and GPUs flushes a result to 0, so there the result is built from
    its bits: :math:`t\, 2^{k - s}` (:math:`2^s` the least subnormal, the factor taken in two
    normal halves) is below :math:`2^{\text{mant}}`, rounded to an integer as asked, and that
    integer is the subnormal's significand (the significand :math:`2^{\text{mant}}` is the least
    normal number). A bound of a subnormal W1 is then as close as the dtype allows, not the least
    normal number, which is a relative gap of about 1 there. A result built from its bits has
    no derivative (the envelope theorem's is the runner's).
    """
    dt = t.dtype
    fi = jnp.finfo(dt)
    int_dtype = jnp.int32 if jnp.dtype(dt).itemsize == 4 else jnp.int64
    least = int(fi.minexp) - int(fi.nmant)
    k = jnp.asarray(k, jnp.int32)
    normal = times_power_of_two(t, k)
    threshold = jnp.ldexp(jnp.ones((), dt), jnp.int32(fi.minexp) - k)
    below = lax.stop_gradient((jnp.abs(t) < threshold) & (t != 0))  # 0 and NaN: as they are
    half = (k - least) // 2
    shifted = lax.stop_gradient(
        times_power_of_two(times_power_of_two(jnp.where(below, t, 0), half), k - least - half)
    )
    whole = {"down": jnp.floor, "up": jnp.ceil, "nearest": jnp.round}[rounding](shifted)
    significand = jnp.abs(whole).astype(int_dtype)
    sign = jnp.where(whole < 0, jnp.asarray(jnp.iinfo(int_dtype).min, int_dtype), 0)
    from_bits = lax.bitcast_convert_type(significand | sign.astype(int_dtype), dt)
    out = jnp.where(below, lax.stop_gradient(from_bits), normal)
    if rounding == "down":  # past the largest float: the largest, below the number it bounds
        # (a select, not a minimum: XLA's arithmetic would flush a subnormal out to 0)
        out = jnp.where(out == jnp.inf, fi.max, out)
    return out


def _nan_unless(ok: jax.Array, t: jax.Array) -> jax.Array:
    return jnp.where(ok, t, jnp.nan)


class _Solved(NamedTuple):
    geo: _Geometry
    state: SinkhornState
    final: _Final
    status: jax.Array
    ok: jax.Array
    err: CostError
    tau: jax.Array


def _run(
    x: Any, y: Any, a: Any, b: Any, valid: Any, metric: str, options: Options, config: Any
) -> _Solved:
    """The solve on constant inputs, then the returned coupling's pass."""
    x, y, a, b = (sg(t) for t in (x, y, a, b))
    rtol = config.rtol if options.rtol is None else options.rtol
    cap = config.max_iter if options.max_iter is None else options.max_iter
    geo = _geometry(x, y, a, b, metric, config)
    dt = geo.xs.dtype
    st = _solve(geo, metric, valid, rtol, cap, config)
    err = cost_error(metric, geo.xs.shape[1], dt)
    tau = cost_tau(err, geo.e, dt)
    fin = _final(geo, metric, st, err, tau, config)
    status = _status(valid, st)
    ok = status == int(Status.WITHIN_TOLERANCE)
    return _Solved(geo, st, fin, status, ok, err, tau)


def solve_primal(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    valid: Any,
    metric: str,
    options: Options,
    config: SinkhornConfig = CONFIG,
) -> DevicePrimal:
    """The primal result of ``w1_primal(..., method="sinkhorn")``, in one program.

    For validated input, traced or not (see the module's docstring).
    """
    run = _run(x, y, a, b, valid, metric, options, config)
    geo, st, fin, ok = run.geo, run.state, run.final, run.ok
    m = y.shape[0]
    # Clipped in scaled units (normal numbers), then each rounded monotonically: the value stays
    # in the interval also where the three are subnormal (XLA's comparisons may flush those).
    upper_scaled = jnp.minimum(st.upper, fin.upper)
    lower = _scaled_out(st.lower, geo.k, "down")
    upper = _scaled_out(upper_scaled, geo.k, "up")
    value = _scaled_out(jnp.clip(fin.value, st.lower, upper_scaled), geo.k, "nearest")
    grad_scale = geo.k - geo.e
    return DevicePrimal(
        value=_nan_unless(ok, value),
        rows=fin.rows,
        cols=jnp.minimum(fin.cols, m - 1),  # a padding column only where its mass is 0
        mass=_nan_unless(ok, fin.mass),
        u=_nan_unless(ok, times_power_of_two(st.u, geo.k)),
        v=_nan_unless(ok, times_power_of_two(st.v[:m], geo.k)),
        lower_bound=_nan_unless(ok, lower),
        upper_bound=_nan_unless(ok, upper),
        grad_x=_nan_unless(ok, times_power_of_two(fin.grad_x, grad_scale)),
        grad_y=_nan_unless(ok, times_power_of_two(fin.grad_y[:m], grad_scale)),
        status=run.status,
        gap=st.gap,
        iterations=st.it,
    )


def _violation(
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
        cost = pair_costs(union, zb, metric)
        worst = jnp.max((f[:, None] - fb[None, :]) - cost)
        top, cmax = carry
        return (jnp.maximum(top, worst), jnp.maximum(cmax, jnp.max(cost))), None

    start = (jnp.asarray(-jnp.inf, dt), jnp.zeros((), dt))
    (worst, cmax), _ = lax.scan(body, start, (cols.reshape(nb, bs, -1), fc.reshape(nb, bs)))
    f_max = jnp.max(jnp.abs(f))
    widen = _add_up(
        up(cmax * err.rho),
        tau,
        up(up(up(4 * f_max) + cmax) * ceil_float(2 * unit_roundoff(dt), dt)),
        jnp.asarray(ceil_float(4 * tiny(dt), dt), dt),
    )
    return jnp.maximum(up(worst + widen), 0)


def solve_dual(
    x: Any,
    y: Any,
    a: Any,
    b: Any,
    valid: Any,
    metric: str,
    options: Options,
    config: SinkhornConfig = CONFIG,
) -> DeviceDual:
    r"""The dual result of ``w1_dual(..., method="sinkhorn")``.

    The c-transform :math:`f(z) = \min_{j:\, b_j > 0} c(z, y_j) - g_j` of the solve's column
    potential on the union of the points, centred, its Kantorovich-Rubinstein value, and a certified
    bound on its Lipschitz violation (computed over all pairs of the union, by blocks).
    """
    run = _run(x, y, a, b, valid, metric, options, config)
    geo, st, fin, ok = run.geo, run.state, run.final, run.ok
    dt = geo.xs.dtype
    n, m = x.shape[0], y.shape[0]
    _, nb, bs = geo.shape
    union = jnp.concatenate([geo.xs, geo.ys.reshape(-1, geo.xs.shape[1])[:m]])
    g = st.v.reshape(nb, bs)

    def fn(top: Any, blk: Any) -> Any:
        ys, b, gb = blk
        cost = pair_costs(union, ys, metric)
        t = jnp.min(jnp.where(b[None, :] > 0, cost - gb[None, :], jnp.inf), axis=1)
        return jnp.minimum(top, t), None

    f, _ = lax.scan(fn, jnp.full((n + m,), jnp.inf, dt), (geo.ys, geo.b, g))
    f = f - (jnp.max(f) + jnp.min(f)) / 2
    value = tree_sum(geo.a * f[:n]) - tree_sum(geo.b.reshape(-1)[:m] * f[n:])
    block = _block_size(n + m, n + m, config)
    violation = _violation(union, f, metric, run.err, run.tau, block)
    violation_out = up(_scaled_out(violation, geo.k, "up") + ceil_float(3 * tiny(dt), dt))
    grad_scale = geo.k - geo.e
    return DeviceDual(
        value=_nan_unless(ok, _scaled_out(value, geo.k, "nearest")),
        f=_nan_unless(ok, _scaled_out(f, geo.k, "nearest")),
        lipschitz_violation=_nan_unless(ok, violation_out),
        grad_x=_nan_unless(ok, times_power_of_two(fin.grad_x, grad_scale)),
        grad_y=_nan_unless(ok, times_power_of_two(fin.grad_y[:m], grad_scale)),
        status=run.status,
        gap=st.gap,
        iterations=st.it,
    )


# ---------------------------------------------------------------------------------------------
# The registry entry
# ---------------------------------------------------------------------------------------------


class SinkhornSolver:
    """The engine's entry for ``method="sinkhorn"``.

    What :mod:`~divergences.wasserstein._problem` checks and the runner calls (see the module's
    docstring).
    """

    name: str = "sinkhorn"
    #: The rtol a call with ``rtol=None`` gets.
    default_rtol: float = CONFIG.rtol

    def check(self, n: int, m: int, options: Options) -> None:
        """``rtol`` must be positive: the entropic plan is never exactly optimal."""
        if options.rtol is not None and not options.rtol > 0:
            raise ValueError(
                "rtol must be > 0 for method='sinkhorn' (a certified relative gap; the "
                f"entropic plan is never exactly optimal); got {options.rtol!r}"
            )

    def failures(self, n: int, m: int, options: Options) -> dict[Status, str]:
        """The message of each status it may stop with; ``{gap}`` is the gap reached."""
        rtol = CONFIG.rtol if options.rtol is None else options.rtol
        cap = CONFIG.max_iter if options.max_iter is None else options.max_iter
        return {
            Status.PIVOT_CAP: (
                f"the sinkhorn W1 solver stopped at its iteration cap max_iter={cap} (status "
                f"PIVOT_CAP) with the certified relative gap {{gap:.3e}} above rtol={rtol:g}; "
                "raise max_iter or rtol, use float64, or use method='dense' for an exact solve "
                "(a gap stuck near 1 is a W1 far below the largest cost, which entropic "
                "smoothing cannot resolve: a far point of tiny mass, or nearly equal measures)"
            ),
            Status.BOUNDS_CROSSED: (
                "the sinkhorn W1 solver's certified bounds crossed (status BOUNDS_CROSSED, "
                "relative gap {gap:.3e})"
            ),
            Status.FAILED: (
                "the sinkhorn W1 solver produced non-finite potentials or bounds (status "
                "FAILED, relative gap {gap:.3e})"
            ),
        }

    def primal(self, *args: Any, **kwargs: Any) -> DevicePrimal:
        """:func:`solve_primal`."""
        return solve_primal(*args, **kwargs)

    def dual(self, *args: Any, **kwargs: Any) -> DeviceDual:
        """:func:`solve_dual`."""
        return solve_dual(*args, **kwargs)


#: The solver's registry entry.
SOLVER = SinkhornSolver()
