r"""Ground costs computed in XLA, block by block, with a bound on their rounding.

The device solvers work on the points scaled by a power of two, :math:`x 2^{-e}` with every
coordinate in :math:`(-1, 1)` (``e`` from :func:`~divergences.wasserstein.cost.scale_exponent_traced`):
no difference, square or sum can overflow, and the costs of the input are those of the scaled
points times :math:`2^{k}`, :math:`k = \deg(c)\, e`, exactly. The costs are the plain formulas
(no hypot-style rescaling): what they lose to underflow is in the bound below.

The formulas are the metrics' specs (:mod:`divergences.wasserstein._metrics`), evaluated with
``jax.numpy`` and tree sums; what they may lose to rounding and underflow, in the dtype's
standard model of :mod:`.certify`, is the specs' cost-error model
(:func:`~divergences.wasserstein._metrics.cost_error`), whose :math:`\tau` grows with
:math:`2^{\max(0, -e)}` (:func:`cost_tau`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.numerics import safe_sqrt
from divergences.wasserstein._device.certify import tree_sum, up
from divergences.wasserstein._metrics import CostError, MetricSpec, Ops, named_metric

__all__ = ["cost_tau", "pair_costs", "span_cost"]

#: The device's operations: tree sums (a fixed order, alone and in a batch).
_DEVICE = Ops(jnp, tree_sum, jnp.abs, jnp.sqrt, lax.stop_gradient)
#: The same with the square root's subgradient 0 at 0, for the envelope gradient.
_DEVICE_SAFE = _DEVICE._replace(sqrt=safe_sqrt)


def pair_costs(
    p: jax.Array, q: jax.Array, metric: str | MetricSpec, *, safe: bool = False
) -> jax.Array:
    """The ``(n, b)`` costs between scaled points ``p`` ``(n, d)`` and ``q`` ``(b, d)``.

    ``safe=True`` takes the Euclidean norm's square root with the subgradient 0 at coincident
    points (for the envelope gradient); the values are the same bits either way. The sums over
    the coordinates are trees (:func:`~.certify.tree_sum`), in a fixed order alone and in a
    batch.
    """
    ops = _DEVICE_SAFE if safe else _DEVICE
    return named_metric(metric).costs(p[:, None, :] - q[None, :, :], ops)


def span_cost(span: jax.Array, metric: str | MetricSpec) -> jax.Array:
    """The cost of a box's side lengths ``span`` ``(d,)``: none between its points is larger."""
    return named_metric(metric).span_bound(span, _DEVICE)


def cost_tau(err: CostError, e: jax.Array, dtype: Any) -> jax.Array:
    r""":math:`\tau` for the scale exponent ``e`` (traced), rounded up."""
    lift = jnp.ldexp(jnp.asarray(err.flush, dtype), jnp.maximum(-e, 0).astype(jnp.int32))
    return up(jnp.asarray(err.tau, dtype) + lift)
