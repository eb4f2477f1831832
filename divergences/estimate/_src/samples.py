"""The rules of the estimates' draws: one message per rule, naming the argument.

The estimates run on the host (NumPy, SciPy, the package's exact solvers) with XLA kernels
inside, so every rule is checked eagerly, before any work, and raises a ``ValueError``. Their
options (``level``, ``seed``, ``k``, a bandwidth or a diameter) follow the package's option
rules (:mod:`divergences._src.options`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import NEEDS_VALUES

__all__ = [
    "DEVICE_PLATFORMS",
    "as_samples",
    "check_at_least",
    "devices_of",
    "draws_where_they_live",
    "on_accelerator",
    "pooled",
    "relabellings",
    "rows_not_finite_and_top",
    "sample_pair",
    "where_words",
]

#: The platforms whose single-device arrays the estimates reduce where they live (FD's moments,
#: the kernel measures' sums); a CPU's arrays are read by the host, where NumPy is as fast.
DEVICE_PLATFORMS = frozenset({"cuda", "gpu", "rocm", "tpu"})


def as_samples(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array of shape ``(n, d)``: ``(n,)`` is read as ``n`` points of the line.

    Raises:
      ValueError: naming ``name``, where ``x`` is not real, has another number of axes than one
        or two, holds no point or no coordinate, or holds ``NaN`` or ``inf`` (the count given).
    """
    try:
        arr = np.asarray(x)
    except NEEDS_VALUES:
        raise  # traced draws (jit, vmap, grad): JAX's own error says the values are needed
    except Exception as err:  # a ragged list, an object that is no array
        raise ValueError(
            f"{name} must be an array of draws of shape (n, d) or (n,): {err}"
        ) from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or jnp.issubdtype(arr.dtype, jnp.floating)  # bfloat16 and the other ml_dtypes floats
    ):
        raise ValueError(f"{name} must hold real numbers (draws), got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, d) (n draws in d dimensions) or (n,) on the line, "
            f"got shape {np.shape(x)}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one draw of at least one coordinate, got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
    if bad:
        raise ValueError(
            f"{name} must be finite: {bad} of its {arr.shape[0]} draws hold NaN or inf"
        )
    return arr


def sample_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as ``(n, d)`` and ``(m, d)`` float64 arrays of one dimension ``d``.

    Raises:
      ValueError: as :func:`as_samples`, or where ``x`` and ``y`` differ in dimension.
    """
    xs, ys = as_samples(x, "x"), as_samples(y, "y")
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"x and y must be draws in one dimension: x has {xs.shape[1]} coordinates a draw, "
            f"y has {ys.shape[1]}"
        )
    return xs, ys


def check_at_least(count: int, minimum: int, name: str, why: str) -> None:
    """Raises a ValueError naming ``name`` where it holds fewer than ``minimum`` draws."""
    if count < minimum:
        raise ValueError(f"{name} must hold at least {minimum} draws ({why}), got {count}")


def relabellings(n: int, m: int, count: int, seed: int) -> np.ndarray:
    """The observed labels, then ``count`` seeded random ones: rows of ``n`` pooled positions."""
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(np.arange(n + m), (count, 1)), axis=1)[:, :n]
    return np.concatenate([np.arange(n)[None, :], shuffled])


def on_accelerator(x: Any) -> bool:
    """Whether ``x`` is a :class:`jax.Array` with draws, on one device of :data:`DEVICE_PLATFORMS`."""
    if not isinstance(x, jax.Array) or isinstance(x, jax.core.Tracer):
        return False  # a traced array's values are not there: the host's read says so
    if x.ndim not in (1, 2) or x.shape[0] == 0 or len(x.devices()) != 1:
        return False
    return next(iter(x.devices())).platform in DEVICE_PLATFORMS


def devices_of(x: jax.Array) -> tuple[jax.Device, ...]:
    """The devices holding ``x``, by id."""
    return tuple(sorted(x.devices(), key=lambda dev: dev.id))


def where_words(devices: tuple[jax.Device, ...]) -> str:
    """``"cuda:0"``, or ``"8 cpu devices"`` for a mesh's."""
    kind = devices[0].platform
    return f"{len(devices)} {kind} devices" if len(devices) > 1 else f"{kind}:{devices[0].id}"


@jax.jit
def rows_not_finite_and_top(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The number of rows of ``x`` holding NaN or inf, and its largest finite ``|x|`` (float64).

    Read where ``x`` lives: the rules of draws held by a device, checked without a copy.
    """
    finite = jnp.isfinite(x)
    top = jnp.max(jnp.where(finite, jnp.abs(x), 0).astype(jnp.float64))
    return jnp.sum(~jnp.all(finite, axis=1)), top


def draws_where_they_live(named: Sequence[tuple[Any, str]]) -> list[Any]:
    r"""Each ``(z, name)``'s draws as ``(n, d)``, of one ``d``, checked by name, where they live.

    The samples' own :class:`jax.Array`\ s, two-dimensional, where every one is held by the
    same accelerator (:func:`on_accelerator`): their rules checked there, one row's dtype and
    shape on the host and the count of rows holding NaN or inf by one reduction, so that the
    draws never cross to the host. Else float64 NumPy arrays, read on the host
    (:func:`as_samples`).

    Raises:
      ValueError: naming the sample, as :func:`as_samples`
        (the dtype, the shape, draws holding NaN or inf), or where two differ in dimension.
    """
    arrays = [z for z, _ in named]
    where = {devices_of(z) for z in arrays if on_accelerator(z)}
    device = len(where) == 1 and all(on_accelerator(z) for z in arrays)
    read = [(_on_device if device else as_samples)(z, name) for z, name in named]
    (first, d0), *rest = ((name, a.shape[1]) for a, (_, name) in zip(read, named, strict=True))
    for name, d in rest:
        if d != d0:
            raise ValueError(
                f"{first} and {name} must be draws in one dimension: {first} has {d0} "
                f"coordinates a draw, {name} has {d}"
            )
    return read


def _on_device(x: jax.Array, name: str) -> jax.Array:
    """``x`` as ``(n, d)`` where it lives, its rules checked without bringing it to the host."""
    x = x[:, None] if x.ndim == 1 else x
    if x.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one draw of at least one coordinate, got shape {x.shape}"
        )
    as_samples(np.zeros((1, x.shape[1]), x.dtype), name)  # the dtype's rule, on no draw of x
    with jax.enable_x64(True):
        bad = int(rows_not_finite_and_top(x)[0])
    if bad:
        raise ValueError(f"{name} must be finite: {bad} of its {x.shape[0]} draws hold NaN or inf")
    return x


def pooled(*draws: Any) -> Any:
    """The samples stacked, where they live: float64 on the host; on a device in their dtype.

    On a device the samples keep their one floating dtype (no float64 copy); samples of other
    or several dtypes (integers, a mix) are raised to float64 first, so that no value is
    rounded where the host's float64 would hold it.
    """
    if not isinstance(draws[0], jax.Array):
        return np.concatenate(draws)
    kinds = {d.dtype for d in draws}
    if len(kinds) == 1 and kinds <= {jnp.dtype(jnp.float32), jnp.dtype(jnp.float64)}:
        return jnp.concatenate(draws)
    with jax.enable_x64(True):
        return jnp.concatenate([d.astype(jnp.float64) for d in draws])
