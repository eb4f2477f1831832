r"""The one way from traced JAX code to a host solver, and the one envelope gradient.

Every W1 solver that runs on the host (POT's network simplex, HiGHS, the sparse column
generation, the k-d tree behind ``kr_potential``) is called from ``jit``/``vmap``/``grad``
through :func:`host_solve`, and every optimal value gets its derivative from
:func:`envelope_value`. The protocol, written here once:

* the host function takes and returns NumPy arrays and knows nothing of JAX;
* it runs under ``jax.pure_callback`` on constant inputs (``stop_gradient``), once per batch
  element under ``vmap`` (``vmap_method="sequential"``);
* it never raises out of the callback (JAX would turn the exception into an opaque runtime
  error, and before the input checks could speak): input that broke a rule (``valid`` false)
  is not solved, and a solver that stops short (a :class:`SolverError`, with status
  ``NOT_BUILT`` for a sparse solver not built in this install; a ``MemoryError``; the compiled
  code's ``RuntimeError``) gives NaN results and its
  :class:`~divergences.wasserstein._results.Status`;
* each failing status becomes a ``checkify`` check whose message is the eager error's, so
  ``dv.checked(jax.jit(f))`` raises the same :class:`SolverError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from divergences._validation import register_check_error
from divergences.wasserstein._results import SolverError, Status

__all__ = ["SOLVER_FAILED", "envelope_value", "host_solve", "status_of"]

sg = jax.lax.stop_gradient

#: Prefix of a traced check reporting a solver failure: ``dv.checked`` raises it as SolverError.
SOLVER_FAILED = register_check_error("SolverError", SolverError)


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
    for code in Status:
        if code.ok or code == Status.SKIPPED:
            continue
        message = failures.get(code, f"{what} stopped short of the optimum ({code.name})")
        checkify.debug_check(status != code, SOLVER_FAILED + message)
    return jax.tree_util.tree_unflatten(tree, results)


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
    Kantorovich-Rubinstein LP, ``u = f(x)``, ``v = -f(y)`` and the plan is the optimal flow.

    Why added zero terms (``t - stop_gradient(t)``) rather than a ``custom_vjp``: they are
    exactly 0 in the forward pass, give the right derivative in forward *and* reverse mode
    (``jax.jacfwd``, ``jax.grad``, higher order: the plan is piecewise constant), and compose
    with ``vmap`` with no rule to write.

    References: Peyre & Cuturi, *Computational Optimal Transport*, 2019, Prop. 9.2.
    """
    return (
        value
        + (transport_cost - sg(transport_cost))
        + jnp.dot(u - jnp.mean(u), a - sg(a))
        + jnp.dot(v - jnp.mean(v), b - sg(b))
    )
