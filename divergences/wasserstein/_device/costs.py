r"""Ground costs computed in XLA, block by block, with a bound on their rounding.

The device solvers work on the points scaled by a power of two, :math:`x 2^{-e}` with every
coordinate in :math:`(-1, 1)` (``e`` from :func:`~divergences.wasserstein.cost.scale_exponent_traced`):
no difference, square or sum can overflow, and the costs of the input are those of the scaled
points times :math:`2^{k}`, :math:`k = \deg(c)\, e`, exactly. The costs are the plain formulas
(no hypot-style rescaling): what they lose to underflow is in the bound below.

The formulas are the metrics' specs (:mod:`divergences.wasserstein._metrics`), evaluated with
``jax.numpy`` and tree sums. Every computed cost :math:`\tilde c` of two scaled points
satisfies, in the dtype's standard model of :mod:`.certify` (unit roundoff :math:`u`, smallest
normal :math:`\lambda`),

.. math:: |\tilde c - c| \le \rho\, \tilde c + \tau, \quad
   \rho = N(d)\, 2u, \quad
   \tau = 4 (d + 1) \sqrt{\lambda} + 12 (d + 1)\, \lambda\, 2^{\max(0, -e)},

with :math:`c` the exact cost of the *unrounded* scaled points. :math:`\rho` covers the
formula: :math:`N(d)` is the spec's :meth:`~divergences.wasserstein._metrics.MetricSpec.steps`
(for ``d`` differences, squares or absolute values, a sum of ``d`` terms in any order and a
square root, :math:`d + 6`; the Minkowski cost's derivation is in its spec). The first term of
:math:`\tau` covers results flushed to zero inside the formula (a square below :math:`\lambda`
moves a distance by at most :math:`\sqrt{2 d \lambda}`), the second the scaling of a
coordinate that is, or becomes, subnormal: moved by at most :math:`\lambda 2^{-e}`, it moves a
cost by at most :math:`2 \sqrt d`, :math:`2 d`, 2, :math:`2 d^{1/p}` or :math:`12 d` times that.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax import lax

from divergences._src.numerics import safe_sqrt
from divergences.wasserstein._device.certify import ceil_float, tiny, tree_sum, unit_roundoff, up
from divergences.wasserstein._metrics import MetricSpec, Ops, named_metric

__all__ = ["CostError", "cost_error", "cost_tau", "pair_costs", "span_cost"]

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


class CostError(NamedTuple):
    """The constants of the cost bound, floats the dtype holds exactly (static)."""

    rho: float  # relative
    tau: float  # absolute, from the formula's underflow
    flush: float  # times lambda 2^max(0, -e): the scaling's underflow


def cost_error(metric: str | MetricSpec, d: int, dtype: Any) -> CostError:
    r"""``(rho, tau, flush)`` of the bound in the module's docstring, for dimension ``d``."""
    u = unit_roundoff(dtype)
    lam = tiny(dtype)
    root = Fraction(math.sqrt(float(lam))) * (1 + Fraction(1, 2**20))  # above sqrt(lambda)
    return CostError(
        rho=ceil_float(named_metric(metric).steps(d) * 2 * u, dtype),
        tau=ceil_float(4 * (d + 1) * root, dtype),
        flush=ceil_float(12 * (d + 1) * lam, dtype),
    )


def cost_tau(err: CostError, e: jax.Array, dtype: Any) -> jax.Array:
    r""":math:`\tau` for the scale exponent ``e`` (traced), rounded up."""
    lift = jnp.ldexp(jnp.asarray(err.flush, dtype), jnp.maximum(-e, 0).astype(jnp.int32))
    return up(jnp.asarray(err.tau, dtype) + lift)
