r"""The fast path's quadrature: Gauss-Kronrod 7-15 on a panel layout that follows two laws.

The 7-point Gauss / 15-point Kronrod pair (Kronrod 1965; QUADPACK's ``qk15``, Piessens et al.
1983) on a fixed panel layout: panel ends at every support end and at marks around each
component's centre at multiples of its scale (geometric towards the ends of a beta law, whose
density may be singular there, and far out for heavy tails). Beyond the outermost marks an
infinite tail is mapped to a finite one by :math:`x = b \pm s\,u/(1-u)`, cut into geometric
panels towards :math:`u = 1`. An integrand with a kink inside the hull (``|p - q|`` where the
densities cross, ``|F - G|``) also gets panel ends at the sign changes of a function given with
it, so that every panel holds a smooth piece: Gauss-Kronrod converges as fast as on a smooth
integrand there, where a kink inside a panel left an error of the order of the panel's width
squared. The value is the Kronrod sum; the error is
:math:`\sum_{\text{panels}} |K_{15} - G_7|` plus a bound on the rounding of the sum. The layout
has a fixed size for given law types, so ``jax.vmap`` and ``jax.grad`` go through it.
:mod:`divergences.continuous.fast` writes each quantity's integrand on top.

References:
  Kronrod, *Nodes and Weights of Quadrature Formulas*, Consultants Bureau 1965; Piessens,
  de Doncker-Kapenga, Uberhuber & Kahaner, *QUADPACK*, Springer 1983.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences.continuous._src.interface import Law, recheck
from divergences.continuous._src.mixture import Mixture

__all__ = ["Quadrature", "check_law", "finite_ends", "integrate", "with_infinite"]


# Gauss-Kronrod 7-15 (QUADPACK qk15): Kronrod nodes on [0, 1], Kronrod and Gauss weights.
_XK = np.array(
    [
        0.991455371120812639206854697526329,
        0.949107912342758524526189684047851,
        0.864864423359769072789712788640926,
        0.741531185599394439863864773280788,
        0.586087235467691130294144845693013,
        0.405845151377397166906606412076961,
        0.207784955007898467600689403773245,
        0.000000000000000000000000000000000,
    ]
)
_WK = np.array(
    [
        0.022935322010529224963732008058970,
        0.063092092629978553290700663189204,
        0.104790010322250183839876322541518,
        0.140653259715525918745189590510238,
        0.169004726639267902826583426598550,
        0.190350578064785409913256402421014,
        0.204432940075298892414161999234649,
        0.209482141084727828012999174891714,
    ]
)
_WG = np.array(
    [
        0.0,
        0.129484966168869693270611432679082,
        0.0,
        0.279705391489276667901467771423780,
        0.0,
        0.381830050505118944950369775488975,
        0.0,
        0.417959183673469387755102040816327,
    ]
)
# The 15 nodes on [-1, 1] and their weights, the Gauss weights 0 off the 7 Gauss nodes.
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_KW = np.concatenate([_WK[:-1], _WK[::-1]])
_GW = np.concatenate([_WG[:-1], _WG[::-1]])
_TAIL_PANELS = 40  # geometric panels of u in [0, 1) for a mapped infinite tail
_U_ENDS = np.concatenate([[0.0], 1 - 2.0 ** -np.arange(1, _TAIL_PANELS), [1.0]])
# A panel's ends and its 15 nodes, in order: the 16 gaps where a sign change is looked for.
_GAP_ENDS = np.concatenate([[-1.0], _NODES, [1.0]])
_SPLITS = 2  # sign changes a panel is split at (the first ones, left to right)


class Quadrature(NamedTuple):
    """A value by quadrature and an estimate of its error.

    Attributes:
      value: the quadrature's value (``inf`` where the quantity is infinite in real arithmetic).
      error: an estimate of ``|value - exact|``: the difference of the embedded Gauss and Kronrod
        rules summed over panels, plus the rounding of the sum (0 for an infinite value).
    """

    value: jax.Array
    error: jax.Array


def check_law(law: Any, name: str) -> None:
    if not isinstance(law, Law):
        raise ValueError(f"{name} must be a law of divergences.continuous, got {law!r}")
    for leaf in jax.tree_util.tree_leaves(law):
        if (
            leaf is not None
            and jnp.ndim(leaf) != 0
            and not (isinstance(law, Mixture) and jnp.ndim(leaf) == 1)
        ):
            raise ValueError(
                f"{name} must have scalar parameters (a mixture: 1-D weights); map over a batch "
                "of laws with jax.vmap"
            )
    recheck(law, name)


def finite_ends(law: Law) -> list[Any]:
    ends = []
    for _, c in law._components():
        lo, hi = c.support()
        ends += [jnp.asarray(lo, dtype=float), jnp.asarray(hi, dtype=float)]
    return ends


def _sign_changes(bp: jax.Array, kink: Callable[[jax.Array], jax.Array]) -> jax.Array:
    """Where ``kink`` changes sign inside the panels ``bp``: up to :data:`_SPLITS` a panel.

    ``kink`` is sampled at each panel's ends and 15 nodes; in a gap where its sign flips, the
    point is found by bisection to half the bits of the gap: a cut off the kink by ``d`` leaves
    an error of order ``d^2`` (the area of the kink's corner), below the rounding then. A slot
    without a sign change holds its panel's left end (a panel of width 0 once sorted in). No
    gradient flows through the points: the integral does not depend on where a panel is cut.
    A third sign change in one panel (of the 16 gaps) is left inside it, and its error shows
    in the estimate.
    """
    # One loop, one evaluation of ``kink`` in its body (the program compiles it once): its first
    # 17 rounds sample the panels' points left to right and bracket the first sign changes,
    # the next ones halve the brackets.
    bp = jax.lax.stop_gradient(bp)
    a, b = bp[:-1], bp[1:]
    t = 0.5 * (a + b)[:, None] + 0.5 * (b - a)[:, None] * _GAP_ENDS
    samples = t.shape[1]
    slots = jnp.arange(_SPLITS)

    def round_(i: jax.Array, state: tuple[jax.Array, ...]) -> tuple[jax.Array, ...]:
        lo, hi, side, prev, count = state
        sampling = i < samples
        here = jax.lax.dynamic_index_in_dim(t, jnp.minimum(i, samples - 1), 1, keepdims=False)
        before = jax.lax.dynamic_index_in_dim(t, jnp.maximum(i - 1, 0), 1, keepdims=False)
        x = jnp.where(sampling, here[:, None], 0.5 * (lo + hi))
        sign = jnp.sign(kink(x))
        # Sampling: a sign change between the last point and this one fills the next slot.
        now = sign[:, 0]
        change = prev * now < 0
        fill = sampling & change[:, None] & (slots == count[:, None])
        lo = jnp.where(fill, before[:, None], lo)
        hi = jnp.where(fill, here[:, None], hi)
        side = jnp.where(fill, prev[:, None], side)
        count = jnp.where(sampling, count + change, count)
        prev = jnp.where(sampling, now, prev)
        # Halving: the half whose left end keeps the bracket's left sign is dropped.
        same = ~sampling & (sign == side)
        cut = ~sampling & ~same
        return jnp.where(same, x, lo), jnp.where(cut, x, hi), side, prev, count

    start = jnp.broadcast_to(a[:, None], (a.shape[0], _SPLITS))
    state = (start, start, jnp.zeros_like(start), jnp.zeros_like(a), jnp.zeros(a.shape, int))
    rounds = samples + jnp.finfo(bp.dtype).nmant // 2 + 4
    lo, hi, _, _, count = jax.lax.fori_loop(0, rounds, round_, state)
    found = slots < jnp.minimum(count, _SPLITS)[:, None]
    return jax.lax.stop_gradient(jnp.where(found, 0.5 * (lo + hi), a[:, None]).ravel())


def _layout(
    p: Law, q: Law, kink: Callable[[jax.Array], jax.Array] | None = None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Nodes ``(panels, 15)``, Kronrod and Gauss weights (Jacobians included) of the layout.

    With ``kink``, the finite panels are also cut where ``kink`` changes sign.
    """
    lo = jnp.minimum(*(jnp.asarray(law.support()[0], dtype=float) for law in (p, q)))
    hi = jnp.maximum(*(jnp.asarray(law.support()[1], dtype=float) for law in (p, q)))
    marks = jnp.concatenate([p._breakpoints(), q._breakpoints()])
    centre = jnp.median(marks)
    ends = jnp.stack(
        [jnp.where(jnp.isfinite(e), e, centre) for e in finite_ends(p) + finite_ends(q)]
    )
    bp = jnp.sort(jnp.clip(jnp.concatenate([marks, ends]), lo, hi))
    if kink is not None:
        bp = jnp.sort(jnp.concatenate([bp, _sign_changes(bp, kink)]))
    a, b = bp[:-1], bp[1:]
    half = 0.5 * (b - a)
    mid = 0.5 * (a + b)
    nodes = mid[:, None] + half[:, None] * _NODES
    # A panel a few ulps wide has nodes that round onto its ends (where a beta density may be
    # infinite): it is dropped, with the mass it holds.
    eps = jnp.finfo(bp.dtype).eps
    kept = (half == 0) | (half > 8 * eps * jnp.maximum(jnp.abs(a), jnp.abs(b)))
    wk = jnp.where(kept[:, None], half[:, None] * _KW, 0.0)
    wg = jnp.where(kept[:, None], half[:, None] * _GW, 0.0)
    # Mapped tails, x = end -/+ s u / (1 - u): zero weight where that side of the hull is finite.
    s = jnp.maximum((bp[-1] - bp[0]) / 64, jnp.finfo(bp.dtype).tiny)
    u_a, u_b = _U_ENDS[:-1], _U_ENDS[1:]
    u = 0.5 * (u_a + u_b)[:, None] + 0.5 * (u_b - u_a)[:, None] * _NODES
    v = u / (1 - u)
    jac = s / (1 - u) ** 2 * (0.5 * (u_b - u_a))[:, None]
    tails_n, tails_k, tails_g = [], [], []
    for end, sign, open_side in (
        (bp[0], -1.0, ~jnp.isfinite(lo)),
        (bp[-1], 1.0, ~jnp.isfinite(hi)),
    ):
        tails_n.append(end + sign * s * v)
        tails_k.append(jnp.where(open_side, jac * _KW, 0.0))
        tails_g.append(jnp.where(open_side, jac * _GW, 0.0))
    nodes = jnp.concatenate([nodes, *tails_n])
    wk = jnp.concatenate([wk, *tails_k])
    wg = jnp.concatenate([wg, *tails_g])
    return nodes, wk, wg


def integrate(
    p: Law,
    q: Law,
    h: Callable[[jax.Array], jax.Array],
    kink: Callable[[jax.Array], jax.Array] | None = None,
) -> Quadrature:
    """Gauss-Kronrod over the layout of ``(p, q)`` of the pointwise integrand ``h(x)``.

    ``kink``: a function whose sign changes are kinks of ``h`` (``p - q`` for ``|p - q|``);
    the panels are cut there, so that each holds a smooth piece.
    """
    nodes, wk, wg = _layout(p, q, kink)
    vals = h(nodes)
    # A panel of zero width holds no mass, but its width's derivative is not 0 (panels open as
    # parameters move): keep finite values there, drop only an inf times a zero weight.
    vals = jnp.where((wk != 0) | jnp.isfinite(vals), vals, 0.0)
    k = jnp.sum(wk * vals, axis=1)
    g = jnp.sum(wg * vals, axis=1)
    value = jnp.sum(k)
    eps = jnp.finfo(value.dtype).eps
    # The integrands are formed from p, q and their logarithms, whose rounding does not cancel
    # where the terms do (KL at p = q): charge it on the terms' size, p (1 + |log p|) + q (...).
    at = jax.lax.stop_gradient(nodes)
    lp, lq = jax.lax.stop_gradient(p.log_prob(at)), jax.lax.stop_gradient(q.log_prob(at))
    size = jnp.exp(lp) * (1 + jnp.abs(lp)) + jnp.exp(lq) * (1 + jnp.abs(lq))
    size = jnp.where(jnp.isfinite(size), size, 0.0)
    magnitude = jnp.sum(jnp.abs(wk * vals)) + jnp.sum(jnp.abs(jax.lax.stop_gradient(wk)) * size)
    rounding = 50 * eps * magnitude + jnp.finfo(value.dtype).tiny
    error = jnp.sum(jnp.abs(k - g)) + rounding
    # An infinite sum (an integrand infinite on a set of positive length) has no error.
    return Quadrature(value, jnp.where(jnp.isfinite(value), error, 0.0))


def with_infinite(result: Quadrature, infinite: Any, sign: float = 1.0) -> Quadrature:
    inf = jnp.asarray(sign * jnp.inf, dtype=result.value.dtype)
    value = jnp.where(infinite, inf, result.value)
    error = jnp.where(infinite | ~jnp.isfinite(value), 0.0, result.error)
    return Quadrature(value, error)


def _log_densities(p: Law, q: Law) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    return lambda x: (p.log_prob(x), q.log_prob(x))


def _safe_exp(lp: jax.Array) -> jax.Array:
    return jnp.exp(lp)
