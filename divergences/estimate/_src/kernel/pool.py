r"""The kernel measures' draws, checked and pooled for their pass where they live.

**Where.** Samples that are all :class:`jax.Array`\ s on one and the same accelerator stay
there (:func:`~divergences.estimate._src.samples.draws_where_they_live` checks their rules
there), and the pool below is formed there by one XLA program, so that the draws never
cross to the host. The pass (:func:`~divergences.estimate._src.kernel.sums.blocked_pass`) runs
on the device that holds the pool and adds its row sums there; only the sums of each column,
the row sums (:math:`O(n + m)` numbers) and a few scalars come back. Anything else (NumPy
arrays, a CPU's arrays, a mix) is read on the host in float64, as
:func:`~divergences.estimate._src.samples.as_samples` reads it.

**The pool.** The samples are stacked, raised to float64 (exact), centred on the midrange
where the kernel is translation invariant (no overflow), divided by the power of two ``2^e``
that brings every coordinate into ``(-1, 1)`` (exact; no square overflows), cast to the pass's
dtype and padded with zero rows to the pass's blocks and zero coordinates to a multiple of 8 (of
the float32 products' length where their partials are added in float64), so that nearby shapes
share one compiled pass. The host and the device do the same IEEE operations on the same numbers,
so both pools hold the same values; only the largest squared norm is summed in another order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.scaling import scale_exponent
from divergences.estimate._src.kernel.sums import chunk_of, gram_products, layout, widened

__all__ = ["padded_pool"]


def padded_pool(
    samples: Sequence[Any], dtype: Any, centre: bool, bounded: bool = True
) -> tuple[jax.Array, float, int, int]:
    """The samples pooled, centred where ``centre``, divided by ``2^e`` and padded (module docstring).

    Returns the padded array in the pass's dtype (on the samples' device where
    :func:`kernel_arrays` left them there), the largest squared norm of a pooled point (divided
    by ``4^e``, before the cast), the pass's block size and ``e``. The pass's dtype is
    ``dtype``, or float64 where a float32 pass that bounds its rounding (``bounded``) takes
    float64 products (:func:`gram_products`): the pool is formed in float64 then, so that no
    cast to float32 rounds draws given in float64 before their float64 products.
    """
    count, width = sum(s.shape[0] for s in samples), samples[0].shape[1]
    block, rows = layout(count)
    # the float32 partials' length divides the width; a float64 pass's width is a multiple of 8,
    # so that draws of 1 to 8 coordinates share one compiled pass
    across = chunk_of(width) if widened(dtype) else 8
    shape = (rows, across * -(-width // across))
    if bounded and widened(dtype) and gram_products(dtype, shape[1]) == "float64":
        dtype = np.float64
    if all(isinstance(s, np.ndarray) for s in samples):
        z = np.concatenate(samples)
        if centre:
            z = z - (z.max(axis=0) / 2.0 + z.min(axis=0) / 2.0)
        shift = scale_exponent(z, clip=False)
        z = np.ldexp(z, -shift)
        padded = np.zeros(shape)
        padded[:count, :width] = z
        radius2 = float(np.max(np.sum(z * z, axis=1)))
        with jax.enable_x64(True):  # a float64 pool where x64 is off too
            return jnp.asarray(padded, dtype), radius2, block, shift
    with jax.enable_x64(True):
        out, top, exponent = _pooled(tuple(samples), centre, shape, np.dtype(dtype))
        return out, float(top), block, int(exponent)


@partial(jax.jit, static_argnames=("centre", "shape", "dtype"))
def _pooled(
    samples: tuple[jax.Array, ...], centre: bool, shape: tuple[int, int], dtype: Any
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """:func:`padded_pool`'s pool formed where the samples live (traced with x64 on)."""
    z = jnp.concatenate([s.astype(jnp.float64) for s in samples])
    if centre:
        z = z - (jnp.max(z, axis=0) / 2.0 + jnp.min(z, axis=0) / 2.0)
    shift = scale_exponent(z, xp=jnp, clip=False)
    z = jnp.ldexp(z, -shift)
    padded = jnp.zeros(shape, dtype).at[: z.shape[0], : z.shape[1]].set(z.astype(dtype))
    return padded, jnp.max(jnp.sum(z * z, axis=1)), shift
