r"""The host call of the W1 runner: directly for concrete input, by callback under a trace.

Its protocol, written here once (:func:`on_host`):

* the host function takes and returns NumPy arrays and knows nothing of JAX;
* a failure is the host function's exception: a :class:`SolverError` with its :class:`Status`
  (its text the solver's, with the bounds reached where it has them), a
  ``MemoryError``, or the compiled code's ``RuntimeError``, made a :class:`SolverError` of status
  ``FAILED`` (:func:`host_error`). Eagerly it is raised at once;
* under a trace it runs in the C default floating-point environment
  (:mod:`divergences._src.float_environment`), not in XLA's flush-to-zero mode, so that subnormal
  inputs and results are those of an eager call, bit for bit; on constant inputs
  (``stop_gradient``), once per batch element under ``vmap`` (``vmap_method="sequential"``);
* under a trace it never raises out of the callback (JAX would turn the exception into an opaque
  runtime error, and before the input checks could speak): input that broke a rule (``valid``
  false) is not solved, and a failure gives NaN results, its status and its message as bytes.
  One ``checkify`` check (a :class:`~divergences._src.errors.CarriedRule`) makes of them the
  exception an eager call raises, of the same type, status and text, which
  ``dv.checked(jax.jit(f))`` raises (the ``.result`` of an eager
  :class:`~divergences.CertificateError` is the one thing a trace does not carry: there the
  error is its base, a :class:`SolverError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import (
    CarriedRule,
    SelectedRule,
    encode_text,
    fitted_text,
    is_traced,
    require,
)
from divergences._src.float_environment import with_ieee_arithmetic
from divergences.wasserstein._src.results import SolverError, Status

__all__ = ["MESSAGE_BYTES", "host_error", "on_host", "report_status", "status_of"]


#: The bytes a host failure's message may take under a trace (:func:`host_error`): every
#: message of the solvers is far shorter; a longer one is cut, eagerly too.
MESSAGE_BYTES = 2048


def status_of(error: BaseException) -> Status:
    """The :class:`Status` of a host function's failure."""
    if isinstance(error, SolverError):
        return Status(error.status)  # a W1 solver's: W1's statuses
    if isinstance(error, MemoryError):
        return Status.OUT_OF_MEMORY
    return Status.FAILED


def _error_of(message: str, status: Status) -> Exception:
    """The exception of a host failure with this message and status.

    A ``MemoryError`` for :attr:`Status.OUT_OF_MEMORY` (what the solver itself raised), else a
    :class:`SolverError` with the status.
    """
    if status == Status.OUT_OF_MEMORY:
        return MemoryError(message)
    return SolverError(message, status)


def host_error(error: RuntimeError | MemoryError) -> Exception:
    """The exception a host function's failure is raised as, eagerly and under ``dv.checked``.

    The exception a trace makes from the failure's status and text (:func:`_error_of`: a
    ``MemoryError`` for :attr:`Status.OUT_OF_MEMORY`, else a :class:`SolverError` with the
    status), or the host function's own where it is one of that type with that text (a
    :class:`CertificateError` keeps its ``.result``, which no trace can carry). So the compiled
    code's ``RuntimeError`` becomes a :class:`SolverError` of status ``FAILED`` with its text,
    and a message past :data:`MESSAGE_BYTES` is cut as a trace cuts it: both modes raise one
    type, status and text.
    """
    message = fitted_text(str(error), MESSAGE_BYTES)
    made = _error_of(message, status_of(error))  # what a trace makes of it
    return error if isinstance(error, type(made)) and message == str(error) else made


def _status_error(message: str, fields: dict[str, Any]) -> Exception:
    """The exception of a failed status check, from its message and its field ``status``."""
    return _error_of(message, Status(int(fields["status"])))


#: The one check of a host call under a trace: its message is the host failure's own.
_HOST_FAILURE = CarriedRule("text", error=_status_error)


def on_host(solve: Callable[..., Any], shapes: Any, *args: Any, valid: Any = True) -> Any:
    """``solve(*args)`` on the host: called directly for concrete input, by callback when traced.

    The one way a host function is run, for the host solvers (:func:`run`) and the query of
    :func:`~divergences.kr_potential` alike. Both modes compute the same bits and raise the
    same exception for the same failure (:func:`host_error`): eagerly at once, under a trace
    as one check that ``dv.checked`` raises, its message carried from the host as bytes.

    Args:
      solve: a host function of NumPy arrays returning a pytree of arrays (shaped like
        ``shapes`` under a trace); it may raise :class:`SolverError` (with its status),
        ``MemoryError`` or ``RuntimeError``.
      shapes: a pytree of ``jax.ShapeDtypeStruct``, the results under a trace (read only there).
      *args: the inputs, concrete or traced (then passed through ``stop_gradient``).
      valid: the traced conjunction of the input rules; where false, nothing is solved (the
        eager call's rules have raised already).

    Returns:
      The results as JAX arrays; under a trace NaN floats and zero indices where the solve
      stopped short or was skipped.

    Raises:
      SolverError: or the host function's ``MemoryError``, for concrete input; under a trace
        the same exception, raised by ``dv.checked``.
    """
    if not is_traced(args):
        try:
            out = solve(*(np.asarray(t) for t in args))
        except (RuntimeError, MemoryError) as err:  # SolverError, and the compiled code's
            error = host_error(err)
            if error is err:
                raise
            raise error from err
        # device_put, not jnp.asarray (which compiles a program per new shape); the arrays are
        # fresh from the host function, referenced nowhere else: JAX's buffers may alias them.
        return jax.device_put(out, may_alias=True)
    return _by_callback(solve, shapes, *args, valid=valid)


def _failed_like(shape: jax.ShapeDtypeStruct) -> np.ndarray:
    """NaN for a floating result, zero for an integer one (indices stay in range)."""
    if jnp.issubdtype(shape.dtype, jnp.inexact):
        return np.full(shape.shape, np.nan, shape.dtype)
    return np.zeros(shape.shape, shape.dtype)


def report_status(status: Any, failures: Mapping[Status, str], what: str, **values: Any) -> None:
    """Raises a device solver's :class:`Status` as the engine's error, eager and traced.

    For a status computed in a program, with the messages of the solver's registry entry (a
    host function's failure is its own exception: :func:`on_host`).

    Args:
      status: an int32 status, concrete (an eager solve) or traced (batched under ``vmap``).
      failures: the message of each status the solver may stop with; ``{field}`` placeholders
        (with a format spec, ``{gap:.3e}``) are filled from ``values``. Every other status
        short of an optimum gets a generic message naming it.
      what: the solver's name, for the generic messages.
      **values: the arrays the messages name.

    Raises:
      SolverError: with the status and its message, for a concrete status short of a certified
        optimum. For a traced one, one ``checkify`` check whose message is the failing status's
        (a :class:`~divergences._src.errors.SelectedRule`), raised as the same
        :class:`SolverError` by ``dv.checked``.
    """
    rule = SelectedRule(
        {
            code: failures.get(code, f"{what} stopped short of the optimum ({code.name})")
            for code in _FAILURES
        },
        "status",
        error=_status_error,
    )
    concrete = not is_traced(status) and not any(is_traced(v) for v in values.values())
    if concrete and Status(int(np.asarray(status))) in _NOT_FAILURES:
        return
    xp = np if concrete else jnp
    require(~xp.isin(status, xp.asarray(_FAILURE_CODES)), rule, status=status, **values)


#: The statuses that are no failure: a certified optimum, or input that broke a rule (whose
#: own check reports it).
_NOT_FAILURES = frozenset(code for code in Status if code.ok or code == Status.SKIPPED)
#: The failing statuses, each with its message in one check.
_FAILURES = tuple(code for code in Status if code not in _NOT_FAILURES)
_FAILURE_CODES = np.array([int(code) for code in _FAILURES], np.int32)


def _by_callback(solve: Callable[..., Any], shapes: Any, *args: Any, valid: Any) -> Any:
    """The traced path of :func:`on_host`: ``solve`` by ``jax.pure_callback``, NaN where it stops.

    A failure is caught on the host and returned as its status and its message's bytes; one
    check (:data:`_HOST_FAILURE`) turns them into :func:`host_error`'s exception.
    """
    leaves, tree = jax.tree_util.tree_flatten(shapes)
    no_message = np.zeros(MESSAGE_BYTES, np.uint8)

    @with_ieee_arithmetic  # XLA calls back in flush-to-zero mode: subnormals kept here
    def host(*host_args: Any) -> tuple[list[np.ndarray], Any, np.ndarray]:
        *inputs, ok = host_args
        if not bool(ok):
            return [_failed_like(s) for s in leaves], np.int32(Status.SKIPPED), no_message
        try:
            out = jax.tree_util.tree_leaves(solve(*(np.asarray(t) for t in inputs)))
        except (RuntimeError, MemoryError) as err:  # SolverError, and the compiled code's
            message = encode_text(str(host_error(err)), MESSAGE_BYTES)
            return [_failed_like(s) for s in leaves], np.int32(status_of(err)), message
        done = [np.asarray(t, s.dtype).reshape(s.shape) for t, s in zip(out, leaves, strict=True)]
        return done, np.int32(Status.OPTIMAL), no_message

    results, status, text = jax.pure_callback(
        host,
        (
            leaves,
            jax.ShapeDtypeStruct((), jnp.int32),
            jax.ShapeDtypeStruct((MESSAGE_BYTES,), jnp.uint8),
        ),
        *(jax.lax.stop_gradient(t) for t in args),
        jnp.asarray(valid),
        vmap_method="sequential",
    )
    require(~jnp.isin(status, _FAILURE_CODES), _HOST_FAILURE, status=status, text=text)
    return jax.tree_util.tree_unflatten(tree, results)
