r"""The Sinkhorn iteration and its loop, certified at every check.

**The iteration** (Cuturi, *Sinkhorn distances*, NeurIPS 2013, in the log domain of Schmitzer,
*Stabilized sparse scaling algorithms for entropy regularized transport problems*, SIAM J. Sci.
Comput. 41, 2019; Peyre & Cuturi, *Computational Optimal Transport*, 2019, Sec. 4.4): on the
scaled points (:mod:`..scaled_costs`), with the reduced costs :math:`R_{ij} = c_{ij} - f_i - g_j` and
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
measures equal point for point (the points of positive mass with their masses the same multiset
on both sides, repeated points matched copy by copy) return ``[0, 0]`` and the matching as the
plan.
Entropic smoothing resolves costs down to about ``eps_floor`` machine epsilons of the largest
cost: a W1 far below that (a far point of tiny mass, coordinates mixing 1e300 and 1e-300, nearly
equal measures) cannot be certified to ``rtol``, and ends in that error, never in a wide interval
reported as success.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.metrics import cost_error
from divergences.wasserstein._src.device.loops import lockstep_while
from divergences.wasserstein._src.device.rounding import (
    tree_sum,
)
from divergences.wasserstein._src.device.scaled_costs import (
    cost_tau,
    span_cost,
)
from divergences.wasserstein._src.device.sinkhorn.bounds import (
    Rounded,
    certified_bounds,
)
from divergences.wasserstein._src.device.sinkhorn.geometry import (
    Block,
    Geometry,
    Potentials,
    scan_blocks,
    two_sum,
)
from divergences.wasserstein._src.device.sinkhorn.parameters import SinkhornConfig

__all__ = [
    "SinkhornState",
    "absorb",
    "f_step",
    "g_step",
    "iterate",
    "sinkhorn_loop",
]


def _add(hi: jax.Array, lo: jax.Array, step: jax.Array, dense: bool) -> tuple[Any, Any]:
    """A potential plus ``step``.

    A plain sum into ``hi`` with the matrix kept, else a double-float sum.
    """
    if dense:
        return hi + step, lo
    s, e = two_sum(hi, step)
    return s, lo + e


def f_step(geo: Geometry, metric: str, red: Any, pot: Potentials, eps: Any) -> jax.Array:
    r"""The row update :math:`-\varepsilon \mathrm{LSE}_j(\log b_j - R_{ij}/\varepsilon)`.

    Online over the blocks (a running maximum and a rescaled running sum).
    """
    inv = 1 / eps

    def fn(carry: Any, blk: Block) -> Any:
        top, total = carry
        z = blk.logb[None, :] - blk.reduced * inv
        new = jnp.maximum(top, jnp.max(z, axis=1))
        total = total * jnp.exp(top - new) + tree_sum(jnp.exp(z - new[:, None]), axis=1)
        return (new, total), None

    n = geo.xs.shape[0]
    dt = geo.xs.dtype
    start = (jnp.full((n,), -jnp.inf, dt), jnp.zeros((n,), dt))
    (top, total), _ = scan_blocks(geo, metric, red, pot, fn, start)
    return -eps * (top + jnp.log(total))


def g_step(geo: Geometry, metric: str, red: Any, pot: Potentials, eps: Any) -> jax.Array:
    r"""The column update :math:`-\varepsilon \mathrm{LSE}_i(\log a_i - R_{ij}/\varepsilon)`.

    Block by block (each block holds whole columns).
    """
    inv = 1 / eps

    def fn(_: Any, blk: Block) -> Any:
        z = geo.loga[:, None] - blk.reduced * inv
        top = jnp.max(z, axis=0)
        return None, -eps * (top + jnp.log(tree_sum(jnp.exp(z - top[None, :]), axis=0)))

    _, step = scan_blocks(geo, metric, red, pot, fn, None)
    return step.reshape(-1)


def iterate(
    geo: Geometry, metric: str, red: Any, pot: Potentials, eps: Any, omega: Any
) -> Potentials:
    """One Sinkhorn iteration: the rows' update, then the columns'."""
    step = f_step(geo, metric, red, pot, eps)
    f_hi, f_lo = _add(pot.f_hi, pot.f_lo, omega * step, geo.dense)
    pot = pot._replace(f_hi=f_hi, f_lo=f_lo)
    step = g_step(geo, metric, red, pot, eps)
    g_hi, g_lo = _add(pot.g_hi, pot.g_lo, omega * step, geo.dense)
    return pot._replace(g_hi=g_hi, g_lo=g_lo)


def absorb(geo: Geometry, metric: str, red: Any, pot: Potentials) -> tuple[Any, Potentials]:
    """Absorbs the potentials into the reduced costs, where the matrix is kept.

    With the matrix kept: :math:`R` becomes the matrix, ``hi`` moves into ``lo``. By blocks: nothing
    to do.
    """
    if not geo.dense:
        return red, pot

    def fn(_: Any, blk: Block) -> Any:
        return None, blk.reduced

    _, new = scan_blocks(geo, metric, red, pot, fn, None)
    zero_f, zero_g = jnp.zeros_like(pot.f_hi), jnp.zeros_like(pot.g_hi)
    return new, Potentials(zero_f, pot.f_hi + pot.f_lo, zero_g, pot.g_hi + pot.g_lo)


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
    rounded: Rounded  # the rounding of the last check's plan
    omega: jax.Array  # () the over-relaxation in use
    repair: jax.Array  # () the marginals' repair at the last check


def _cost_bound(geo: Geometry, metric: str) -> jax.Array:
    """The largest cost between the bounding box's corners: epsilon's start."""
    pts = jnp.concatenate([geo.xs, geo.ys.reshape(-1, geo.xs.shape[1])])
    top = span_cost(jnp.max(pts, axis=0) - jnp.min(pts, axis=0), metric)
    return jnp.where(top > 0, top, 1)


def sinkhorn_loop(
    geo: Geometry, metric: str, valid: Any, rtol: float, max_iter: int, config: SinkhornConfig
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
            return iterate(geo, metric, st.reduced, pot, st.eps, st.omega)

        pot = lax.fori_loop(0, every, step, st.pot)
        check = certified_bounds(geo, metric, err, tau, st.reduced, pot, st.eps)
        reduced, pot = absorb(geo, metric, st.reduced, pot)
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
        jnp.zeros((), dt), open_, open_, zn, zm, Rounded(zn, zm, zn, zm),
        jnp.asarray(config.overrelaxation, dt), inf,
    )  # fmt: skip
    # The arrays the loop reads, explicit, and a scalar predicate under vmap: so that
    # dv.checked(vmap(...)) can check the program (see loops.lockstep_while).
    return lockstep_while(running, chunk, (geo, tau, floor, jnp.asarray(valid)), start)
