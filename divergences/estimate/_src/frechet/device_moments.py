r"""FD's batch moments of draws on a device, one or several, reduced where they live.

**One device.** A :class:`jax.Array` held by one accelerator (a GPU or TPU: the platforms of
:data:`~divergences.estimate._src.samples.DEVICE_PLATFORMS`) is reduced there by one XLA program: its rows gathered in the order of
their batches (:func:`~divergences.estimate._src.reading.batch_labels`, computed on the host from
the positions and the seed), then each batch's rows, raised to float64 and scaled by
:math:`2^{-e}`, give its mean and then its scatter about that mean (two passes: no square
cancels), one product each, so that the work is one :math:`X^\top X`. Only the :math:`O(B d^2)`
statistics leave the device. A CPU's arrays are read by the host's one pass
(:func:`~divergences.estimate._src.reading.accumulate`): there NumPy's products are as fast, and
the read copies nothing.

**Several devices.** A :class:`jax.Array` whose rows are split over the devices of a
:class:`jax.sharding.Mesh` (a :class:`~jax.sharding.NamedSharding` with
``PartitionSpec(rows, None)``) is reduced by :func:`jax.shard_map`: each device forms, for each
batch ``b``, the count, the sum and then the scatter about the batch's mean of its own rows of
``b``, in float64, and :func:`jax.lax.psum` adds them over the mesh (two reductions: the batch
means first, so that the scatters are centred on them and no square cancels).

Either way the batches are those of a whole-array read on the host, so the estimate equals the
host's up to rounding, and the result says where its moments were reduced
(:attr:`~divergences.estimate._src.reading.BatchMoments.reduced_on`).

**Many hosts.** Nothing here schedules work across machines: JAX's multi-host runtime does.
After :func:`jax.distributed.initialize` in every process, a global array made with
:func:`jax.make_array_from_process_local_data` over a mesh of all processes' devices is passed
as it is; the same ``shard_map`` and ``psum`` then run over every host's devices, and each
process receives the statistics.

**Precision.** The statistics are float64 on the devices, under a local
``jax.enable_x64(True)`` (the global setting is left as it is). A sharded array without
``jax_enable_x64`` on is brought to the host one shard at a time and reduced there in float64
(the same statistics; host memory one shard).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from divergences.estimate._src.reading import (
    Accumulator,
    BatchMoments,
    Moments,
    accumulate,
    batch_labels,
    is_sharded,
    kept_rows,
)
from divergences.estimate._src.samples import (
    as_samples,
    devices_of,
    on_accelerator,
    rows_not_finite_and_top,
)

__all__ = ["device_moments", "moments_and_draws", "sharded_moments"]


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
            "rows to jax.make_array_from_process_local_data over one mesh, split by rows "
            "(PartitionSpec(rows, None)), so that they are reduced where they live"
        )
    ordered = (np.asarray(pieces[k]) for k in sorted(pieces))
    return accumulate(ordered, batches=batches, seed=seed, name=name, shift=shift)


def moments_and_draws(
    draws: Any,
    *,
    batches: int | Callable[[int], int],
    seed: int,
    name: str,
    shift: int | None = None,
    features: Callable[[Any], Any] | None = None,
    keep: int | Callable[[int], int] = 0,
) -> tuple[BatchMoments, np.ndarray | None]:
    """The batches' moments of draws wherever they live, and a subsample of ``keep`` draws.

    :func:`sharded_moments` for an array laid over several devices, :func:`device_moments` for
    one held by an accelerator, else the host's one pass
    (:class:`~divergences.estimate._src.reading.Accumulator`; the arguments are ``accumulate``'s).
    The subsample is seeded and uniform (None for ``keep=0``; ``keep`` may be the number as a
    function of the dimension).
    The subsample is an :class:`~divergences.estimate._src.reading.Accumulator`'s, read in the
    same pass; from an array on a device, its rows are gathered there
    (:func:`~divergences.estimate._src.reading.kept_rows`).
    """
    if features is None and (is_sharded(draws) or on_accelerator(draws)):
        d = draws.shape[1] if draws.ndim == 2 else 1
        if not isinstance(batches, int):  # the count as a function of the dimension
            batches = batches(d)
        keep = keep(d) if callable(keep) else keep
        reduce = sharded_moments if is_sharded(draws) else device_moments
        moments = reduce(draws, batches=batches, seed=seed, name=name, shift=shift)
        return moments, kept_rows(draws, keep, seed) if keep else None
    acc = Accumulator(batches, seed, name, shift, keep=keep)
    acc.feed(draws, features)
    return acc.finished(), None if acc.reservoir is None else acc.kept()


def device_moments(
    x: jax.Array, *, batches: int, seed: int, name: str, shift: int | None
) -> BatchMoments:
    """The batch moments of draws held by one device, reduced there (module docstring)."""
    x = _two_dimensional(x, name)
    n = x.shape[0]
    with jax.enable_x64(True):
        shift = _checked_scale(x, name, shift)
        labels = batch_labels(0, n, batches, seed)
        order = np.argsort(labels, kind="stable")
        sizes = tuple(int(s) for s in np.bincount(labels, minlength=batches))
        means, seconds = _grouped(x, jnp.asarray(order), np.int32(shift), sizes)
        means, seconds = np.asarray(means), [np.asarray(s) for s in seconds]
    d = means.shape[1]
    # as the host's pass keeps them: a batch of at most d draws by its centred rows
    parts = tuple(
        Moments(s, means[b], None, seconds[b]) if s <= d else Moments(s, means[b], seconds[b], None)
        for b, s in enumerate(sizes)
    )
    return BatchMoments(parts, shift, d, reduced_on=devices_of(x))


def _batch_moments(
    sizes: Sequence[int], means: np.ndarray, scatters: np.ndarray, shift: int, x: jax.Array
) -> BatchMoments:
    """The batches' statistics as the host's pass keeps them (an empty batch: no draws)."""
    d = means.shape[1]
    parts = tuple(
        Moments(s, means[b], scatters[b], None)
        if s
        else Moments(0, np.zeros(d), None, np.zeros((0, d)))
        for b, s in enumerate(sizes)
    )
    return BatchMoments(parts, shift, d, reduced_on=devices_of(x))


def _two_dimensional(x: jax.Array, name: str) -> jax.Array:
    """``(n,)`` as ``(n, 1)``; the dtype and shape rules checked on one row (no copy to the host)."""
    x = x[:, None] if x.ndim == 1 else x
    as_samples(np.asarray(x[:1]), name)
    return x


def _checked_scale(x: jax.Array, name: str, shift: int | None) -> int:
    """``shift``, else the exponent of the largest ``|x|``; a ValueError for rows not finite."""
    bad, top = (float(v) for v in rows_not_finite_and_top(x))
    if bad:
        raise ValueError(
            f"{name} must be finite: {int(bad)} of its {x.shape[0]} draws hold NaN or inf"
        )
    if shift is not None:
        return shift
    return math.frexp(top)[1] if top > 0.0 else 0


@partial(jax.jit, static_argnames="sizes")
def _grouped(
    x: jax.Array, order: jax.Array, shift: jax.Array, sizes: tuple[int, ...]
) -> tuple[jax.Array, list[jax.Array]]:
    """Each batch's float64 mean of ``x * 2^-shift`` (rows gathered by batch), and its scatter.

    A batch of at most ``d`` draws gives its centred rows instead, as the host's pass keeps them.
    """
    rows = x[order]  # in the draws' own dtype: one copy of the sample, not a float64 one
    d = x.shape[1]
    means, seconds, start = [], [], 0
    for size in sizes:
        z = jnp.ldexp(rows[start : start + size].astype(jnp.float64), -shift)
        mean = jnp.mean(z, axis=0) if size else jnp.zeros(d, jnp.float64)
        c = z - mean
        means.append(mean)
        seconds.append(c if size <= d else jnp.matmul(c.T, c, precision=jax.lax.Precision.HIGHEST))
        start += size
    return jnp.stack(means), seconds


def sharded_moments(
    x: jax.Array, *, batches: int, seed: int, name: str, shift: int | None
) -> BatchMoments:
    """The batch moments of draws sharded over devices (module docstring)."""
    x = _two_dimensional(x, name)
    axes = _row_axes(x)
    if axes is None:
        return _on_host(x, batches, seed, name, shift)
    n, d = x.shape
    labels = batch_labels(0, n, batches, seed)
    if x.is_fully_addressable and np.bincount(labels, minlength=batches).min() <= d:
        # a batch of at most d draws is kept by its centred rows, which stay on the host here
        return _on_host(x, batches, seed, name, shift)
    sharding = x.sharding
    assert isinstance(sharding, NamedSharding)
    mesh = sharding.mesh
    with jax.enable_x64(True):
        shift = _checked_scale(x, name, shift)
        placed = jax.device_put(
            labels.astype(np.int32),
            NamedSharding(mesh, PartitionSpec(axes if len(axes) > 1 else axes[0])),
        )
        counts, means, scatters = _reduce(x, placed, mesh, axes, batches, shift)
        sizes = [int(c) for c in np.asarray(counts)]
        return _batch_moments(sizes, np.asarray(means), np.asarray(scatters), shift, x)


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
