r"""A while loop whose predicate stays a scalar under ``vmap``.

``jax.vmap`` turns a :func:`jax.lax.while_loop` into one loop over the batch that runs while
any element is running, with a batched predicate; ``jax.experimental.checkify`` refuses such a
loop ("checkify-of-vmap-of-while"), so ``dv.checked(jax.vmap(f))`` would fail for every input
of a device solver. :func:`lockstep_while` writes that batched loop itself (a
:class:`jax.custom_batching.custom_vmap` rule): the same iterations, each element's state frozen
once its own predicate is false, the loop's predicate the scalar "any element running". The
rule calls :func:`lockstep_while` again, so a nested ``vmap`` gets the same loop one level up.

The loop has no derivative (``custom_vmap`` has no reverse mode): callers pass constants
(``stop_gradient``), as the device solvers do, their derivative being the envelope theorem's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["lockstep_while"]

State = TypeVar("State")


def lockstep_while(
    cond: Callable[[Any, State], jax.Array],
    body: Callable[[Any, State], State],
    consts: Any,
    init: State,
) -> State:
    """``lax.while_loop(lambda s: cond(consts, s), lambda s: body(consts, s), init)``.

    Args:
      cond: the predicate, a scalar boolean, of the constants and the state.
      body: one step, of the constants and the state; returns a state of ``init``'s structure.
      consts: a pytree of arrays the loop reads (explicit, not closed over, so that ``vmap``
        sees which are batched).
      init: the first state.

    Returns:
      The state where ``cond`` is first false; under ``vmap``, each element's own.
    """

    @jax.custom_batching.custom_vmap
    def loop(consts: Any, init: Any) -> Any:
        return lax.while_loop(lambda s: cond(consts, s), lambda s: body(consts, s), init)

    @loop.def_vmap
    def _batched(axis_size: int, in_batched: Any, consts: Any, init: Any) -> Any:
        consts_batched, init_batched = in_batched
        init = jax.tree_util.tree_map(
            lambda t, b: t if b else jnp.broadcast_to(t, (axis_size, *jnp.shape(t))),
            init,
            init_batched,
        )
        axes = (jax.tree_util.tree_map(lambda b: 0 if b else None, consts_batched), 0)
        each_cond = jax.vmap(cond, in_axes=axes)
        each_body = jax.vmap(body, in_axes=axes)

        def step(c: Any, s: Any) -> Any:
            running = each_cond(c, s)
            new = each_body(c, s)

            def keep(t_new: jax.Array, t_old: jax.Array) -> jax.Array:
                mask = running.reshape(running.shape + (1,) * (t_new.ndim - 1))
                return jnp.where(mask, t_new, t_old)

            return jax.tree_util.tree_map(keep, new, s)

        out = lockstep_while(lambda c, s: jnp.any(each_cond(c, s)), step, consts, init)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return loop(consts, init)
