r"""The derivatives a solved value carries: the envelope theorem's, attached in JAX.

A value computed on the host (or by a device solver whose iterations are not differentiated) is
returned with its own bits and a derivative taken from the optimum alone: for W1, the envelope
theorem's (:func:`envelope_value`, with the transport cost's carrier :func:`plan_cost` for a
host solve's arcs and :func:`point_derivative` for a device solver's sums); for McShane's
extension :math:`\min_k c(z, z_k) + f_k`, the derivative in ``z`` at the minimising site
(:func:`mcshane_value`, Danskin's theorem). Each is a term whose forward value is never used
(:func:`~.measures.value_with_derivative`), so the forward value is the host's, bit for bit.
The runner (:mod:`.runner`) attaches them under a trace; an eager call needs none.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from divergences._src.metrics import named_metric
from divergences._src.scaling import scale_exponent
from divergences.wasserstein._src.discrete_measures import Measures, value_with_derivative
from divergences.wasserstein._src.pairwise import Metric, cost_matrix_unchecked, times_power_of_two

__all__ = ["arc_cost", "envelope_value", "mcshane_value", "plan_cost", "point_derivative"]


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
    :func:`~.results.kantorovich_pair` and the plan the solve's (for the LP, its optimal flow).

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
        return jax.lax.stop_gradient(jnp.where(jnp.isfinite(centred), centred, 0))

    carrier = transport_cost + jnp.dot(tangent(u), a) + jnp.dot(tangent(v), b)
    return value_with_derivative(value, carrier)


def arc_cost(s: jax.Array, t: jax.Array, metric: Metric) -> jax.Array:
    """``c(s_k, t_k)`` for each row ``k``, differentiable, in JAX."""
    if callable(metric):
        return jax.vmap(metric)(s, t)
    return jax.vmap(lambda p, q: cost_matrix_unchecked(p[None], q[None], metric)[0, 0])(s, t)


def plan_cost(
    ms: Measures, metric: Metric, rows: jax.Array, cols: jax.Array, mass: jax.Array
) -> jax.Array:
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
        return jnp.sum(mass * arc_cost(z[rows], z[cols], metric))
    e = scale_exponent(ms.x, ms.y, degree=spec.degree, xp=jnp)
    zs = jax.lax.stop_gradient(times_power_of_two(z, -e))

    def cost(p: jax.Array, q: jax.Array) -> jax.Array:
        return cost_matrix_unchecked(p[None], q[None], metric)[0, 0]

    g, h = jax.vmap(jax.grad(cost, argnums=(0, 1)))(zs[rows], zs[cols])
    if spec.degree != 1:
        k = (spec.degree - 1) * e
        g, h = times_power_of_two(g, k), times_power_of_two(h, k)
    w = jax.lax.stop_gradient(mass)[:, None]
    return jnp.sum(w * jax.lax.stop_gradient(g) * z[rows]) + jnp.sum(
        w * jax.lax.stop_gradient(h) * z[cols]
    )


def point_derivative(ms: Measures, grad_x: jax.Array, grad_y: jax.Array) -> jax.Array:
    r"""A term that is exactly 0 forward and carries the envelope theorem's derivative in the points.

    The derivative is :math:`\sum_i g^x_i \cdot dx_i + \sum_j g^y_j \cdot dy_j`, with the sums
    :math:`g` (of :math:`G_{ij} \nabla c`) held constant. It is taken on the points scaled by a
    power of two (exact), so that no product overflows; :func:`envelope_value` takes it as its
    transport cost.
    """
    e = scale_exponent(ms.x, ms.y, xp=jnp)
    xs, ys = times_power_of_two(ms.x, -e), times_power_of_two(ms.y, -e)
    t = jnp.vdot(xs, jax.lax.stop_gradient(grad_x)) + jnp.vdot(ys, jax.lax.stop_gradient(grad_y))
    return times_power_of_two(t - jax.lax.stop_gradient(t), e)


def mcshane_value(
    value: jax.Array, f: jax.Array, points: jax.Array, z: jax.Array, arg: jax.Array, metric: Metric
) -> jax.Array:
    r"""McShane's extension ``value`` (the host's bits) with its derivative in ``z``.

    Where the minimising site :math:`k^* = \text{arg}` of :math:`\min_k c(z, z_k) + f_k` is
    unique, the derivative is that of :math:`c(z, z_{k^*}) + f_{k^*}` (elsewhere a
    subgradient). ``f`` and ``points`` are held constant: the potential carries no derivative.
    """
    return value_with_derivative(value, arc_cost(z, points[arg], metric) + f[arg])
