r"""FD's batch moments of draws sharded over devices, reduced where they live.

A :class:`jax.Array` whose rows are split over the devices of a :class:`jax.sharding.Mesh`
(a :class:`~jax.sharding.NamedSharding` with ``PartitionSpec(rows, None)``) is reduced by
:func:`jax.shard_map`: each device forms, for each batch ``b``, the count, the sum and then the
scatter about the batch's mean of its own rows of ``b``, in float64, and :func:`jax.lax.psum`
adds them over the mesh (two reductions: the batch means first, so that the scatters are centred
on them and no square cancels). Only the :math:`O(B d^2)` statistics leave the devices. The
batches are those of a whole-array read (:func:`~divergences.estimate._src.reading.batch_labels`
of the rows' global positions), so the estimate equals one device's up to rounding.

**Many hosts.** Nothing here schedules work across machines: JAX's multi-host runtime does.
After :func:`jax.distributed.initialize` in every process, a global array made with
:func:`jax.make_array_from_process_local_data` over a mesh of all processes' devices is passed
as it is; the same ``shard_map`` and ``psum`` then run over every host's devices, and each
process receives the statistics.

**Precision.** The statistics are float64 on the devices, which needs ``jax_enable_x64``; the
library never turns it on. Without it the shards are brought to the host one at a time and
reduced there in float64 (the same statistics; host memory one shard).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from divergences.estimate._src.reading import (
    BatchMoments,
    Moments,
    accumulate,
    batch_labels,
    is_sharded,
)
from divergences.estimate._src.samples import as_samples

__all__ = ["moments_of", "sharded_moments"]


def _row_axes(x: jax.Array) -> tuple[str, ...] | None:
    """The mesh axes the rows are split over, or None where the layout is another."""
    sharding = x.sharding
    if not isinstance(sharding, NamedSharding) or x.ndim != 2:
        return None
    spec = tuple(sharding.spec) + (None,) * (2 - len(sharding.spec))
    if spec[1] is not None or spec[0] is None:
        return None
    return (spec[0],) if isinstance(spec[0], str) else tuple(spec[0])


def _on_host(x: jax.Array, batches: int, seed: int, name: str, shift: int | None) -> BatchMoments:
    """The shards brought to the host in row order, one at a time, and reduced there."""
    pieces: dict[int, Any] = {}
    for shard in x.addressable_shards:
        rows = shard.index[0] if shard.index else slice(None)
        start = rows.start or 0
        if start not in pieces:
            pieces[start] = shard.data
    if sum(p.shape[0] for p in pieces.values()) != x.shape[0]:
        raise ValueError(
            f"{name}'s shards on this process do not hold all its rows: give each process's "
            "rows to jax.make_array_from_process_local_data over one mesh, with "
            "jax_enable_x64 on, so that they are reduced where they live"
        )
    ordered = (np.asarray(pieces[k]) for k in sorted(pieces))
    return accumulate(ordered, batches=batches, seed=seed, name=name, shift=shift)


def moments_of(
    draws: Any,
    *,
    batches: int | Callable[[int], int],
    seed: int,
    name: str,
    shift: int | None = None,
    features: Callable[[Any], Any] | None = None,
) -> BatchMoments:
    """The batches' moments of draws wherever they live (the arguments of ``accumulate``).

    :func:`sharded_moments` for an array laid over several devices, else the one pass of
    :func:`~divergences.estimate._src.reading.accumulate`.
    """
    if features is None and is_sharded(draws):
        if not isinstance(batches, int):  # the count as a function of the dimension
            batches = batches(draws.shape[1] if draws.ndim == 2 else 1)
        return sharded_moments(draws, batches=batches, seed=seed, name=name, shift=shift)
    return accumulate(draws, batches=batches, seed=seed, name=name, shift=shift, features=features)


def sharded_moments(
    x: jax.Array, *, batches: int, seed: int, name: str, shift: int | None
) -> BatchMoments:
    """The batch moments of draws sharded over devices (module docstring)."""
    if x.ndim == 1:
        x = x[:, None]
    as_samples(np.asarray(x[:1]), name)  # the dtype and shape rules, on one row
    axes = _row_axes(x)
    if axes is None or jax.dtypes.canonicalize_dtype(np.float64) != np.float64:
        return _on_host(x, batches, seed, name, shift)
    n, d = x.shape
    bad = int(jnp.sum(~jnp.all(jnp.isfinite(x), axis=1)))
    if bad:
        raise ValueError(f"{name} must be finite: {bad} of its {n} draws hold NaN or inf")
    if shift is None:
        top = float(jnp.max(jnp.abs(x)))
        shift = math.frexp(top)[1] if top > 0.0 else 0
    sharding = x.sharding
    assert isinstance(sharding, NamedSharding)
    mesh = sharding.mesh
    labels = jax.device_put(
        batch_labels(0, n, batches, seed).astype(np.int32),
        NamedSharding(mesh, PartitionSpec(axes if len(axes) > 1 else axes[0])),
    )
    counts, means, scatters = _reduce(x, labels, mesh, axes, batches, shift)
    parts = tuple(
        Moments(int(c), np.asarray(mu), np.asarray(s), None)
        for c, mu, s in zip(np.asarray(counts), means, scatters, strict=True)
    )
    return BatchMoments(parts, shift, d)


def _reduce(
    x: jax.Array, labels: jax.Array, mesh: Any, axes: tuple[str, ...], batches: int, shift: int
) -> tuple[jax.Array, jax.Array, jax.Array]:
    rows = axes if len(axes) > 1 else axes[0]

    def local(z: jax.Array, lab: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        z = jnp.ldexp(z.astype(jnp.float64), -shift)
        counts, means, scatters = [], [], []
        for b in range(batches):
            w = (lab == b).astype(jnp.float64)
            count = jax.lax.psum(jnp.sum(w), axes)
            mean = jax.lax.psum(w @ z, axes) / count
            c = (z - mean) * w[:, None]
            scatter = jax.lax.psum(jnp.matmul(c.T, c, precision=jax.lax.Precision.HIGHEST), axes)
            counts.append(count)
            means.append(mean)
            scatters.append(scatter)
        return jnp.stack(counts), jnp.stack(means), jnp.stack(scatters)

    fn = jax.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(rows, None), PartitionSpec(rows)),
        out_specs=(PartitionSpec(), PartitionSpec(), PartitionSpec()),
    )
    return jax.jit(fn)(x, labels)
