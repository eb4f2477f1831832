r"""The draws read in one pass: each batch's size, mean and scatter in float64, and a kept subsample.

This is the ground floor two families share. FD (:mod:`~divergences.estimate._src.frechet`)
needs only its batches' moments; the kernel measures (:mod:`~divergences.estimate._src.kernel`)
need draws, a seeded uniform subsample kept in the same pass; a
:class:`~divergences.estimate.Reference` (:mod:`~divergences.estimate._src.reference_set`) keeps
both, from one read of a reference set. Each job is its own type: :class:`MomentsSum` (the
batches' moments, mergeable) and :class:`Reservoir` (the subsample); :class:`Accumulator` is
the pass that checks the draws and hands each chunk's finite rows to the jobs asked for.

FD's estimate reads a sample through ``B`` disjoint
batches: per batch :math:`b`, the size :math:`n_b`, the mean :math:`\bar z_b` and the scatter
:math:`\sum_{i \in b} (z_i - \bar z_b)(z_i - \bar z_b)^\top`. The whole sample's moments follow
exactly (Chan, Golub & LeVeque, 1979):

.. math:: M_{a \cup b} = M_a + M_b + \frac{n_a n_b}{n_a + n_b} \delta \delta^\top, \quad
   \delta = \bar z_b - \bar z_a .

**One pass, float64, no copy of an array of draws.** The draws are read in chunks of rows;
each chunk's largest and smallest coordinates are read (its scale, and whether all are finite),
then each batch's rows of it are gathered, centred on their own float64 mean while raised to
float64 (features are usually float32), and their scatter formed by one symmetric product; the
chunk's moments join the batch's by the update above, in place. A stream's batches are copied
into chunks of the same rows (:class:`Chunks`): a loader's small batches are read at the
array's rate, to the same bits. The memory is the ``B`` scatters, :math:`O(B d^2)`, and one
chunk, whatever ``n``; a batch of at most ``d`` draws keeps its centred rows instead (their
memory :math:`n_b d \le d^2`, and no ``d x d`` matrix where the draws are few).

**The batch of a draw** is a function of its position ``i`` in the sample and the seed only, so
that a sample read whole, as an iterable of batches of any sizes, or sharded over devices gets
the same batches: the draws are taken ``B`` at a time (block ``k = i // B``), and block ``k``'s
draws go to the batches ``(i + r_k) mod B``, ``r_k`` a hash of the seed and ``k``. Every batch
gets one draw of each whole block (sizes within one of each other), and the rotation mixes
a file's order (draws grouped by class) into every batch.

**Scale.** The statistics are kept for the draws times :math:`2^{-e}` (exact), ``e`` the
exponent of the largest coordinate seen, raised as larger ones come: no square overflows.

References:
  Chan, Golub & LeVeque, *Updating formulae and a pairwise algorithm for computing sample
  variances*, Stanford CS report STAN-CS-79-773, 1979.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from divergences.estimate._src.chunks import Chunks
from divergences.estimate._src.host_threads import blas_threads_for
from divergences.estimate._src.samples import as_samples

__all__ = [
    "Accumulator",
    "BatchMoments",
    "Moments",
    "MomentsSum",
    "Reservoir",
    "accumulate",
    "batch_labels",
    "batches_of",
    "exponent_of",
    "is_array",
    "kept_rows",
    "pooled_batches",
    "subsample_keys",
    "union_moments",
    "unions_without_each",
]

#: Rows of a chunk: 512 MiB of float64 (32768 draws at d = 2048). Each batch's rows of it are
#: raised to float64 (128 MiB at d = 2048: the chunk itself is never copied whole), and its
#: symmetric product then takes about 8192 rows at once, at the rate of one product over every
#: draw (2048 rows at once ran 1.3 times slower at d = 2048); the ``d x d`` update after it is a
#: small part.
CHUNK_BYTES = 1 << 29


class Moments(NamedTuple):
    r"""One batch's (or sample's) size, mean and centred moments, for the draws times ``2^-shift``.

    ``scatter`` is :math:`\sum (z_i - \bar z)(z_i - \bar z)^\top`; where ``scatter`` is None
    (at most ``d`` draws), ``centred`` holds the rows :math:`z_i - \bar z` themselves.
    """

    size: int
    mean: np.ndarray
    scatter: np.ndarray | None
    centred: np.ndarray | None

    @property
    def cov(self) -> np.ndarray | None:
        """The covariance (divisor ``size - 1``), or None where the rows stand for it."""
        return None if self.scatter is None else self.scatter / (self.size - 1)

    @property
    def trace(self) -> float:
        """The covariance's trace."""
        if self.scatter is not None:
            return float(np.trace(self.scatter)) / (self.size - 1)
        assert self.centred is not None
        return float(np.sum(np.square(self.centred))) / (self.size - 1)

    def full_cov(self) -> np.ndarray:
        """The covariance (divisor ``size - 1``) as a new array, from the rows where they stand for it."""
        return self.full_scatter() / (self.size - 1)

    def full_scatter(self) -> np.ndarray:
        """The scatter, formed from the rows where they stand for it."""
        if self.scatter is not None:
            return self.scatter
        assert self.centred is not None
        return self.centred.T @ self.centred

    def scaled(self, k: int) -> Moments:
        """The moments of the draws times ``2^k`` (exact but for underflow)."""
        if k == 0:
            return self
        return Moments(
            self.size,
            np.ldexp(self.mean, k),
            None if self.scatter is None else np.ldexp(self.scatter, 2 * k),
            None if self.centred is None else np.ldexp(self.centred, k),
        )


def merge(a: Moments | None, b: Moments, d: int, own: bool = False) -> Moments:
    """The moments of the union of two disjoint sets of draws (Chan et al.'s update).

    ``own``: ``a``'s scatter is the caller's own, and is updated in place. At d = 2048 a
    ``d x d`` array is 32 MiB, which the allocator maps afresh each time (its pages faulted
    in and zeroed): a temporary costs as much as the sum.
    """
    if a is None or a.size == 0:
        return b
    size = a.size + b.size
    delta = b.mean - a.mean
    mean = a.mean + delta * (b.size / size)
    if size <= d and a.centred is not None and b.centred is not None:
        rows = np.concatenate([a.centred + (a.mean - mean), b.centred + (b.mean - mean)])
        return Moments(size, mean, None, rows)
    if own and a.scatter is not None:
        scatter = a.scatter
        scatter += b.full_scatter()
    else:
        scatter = a.full_scatter() + b.full_scatter()
    _add_outer(scatter, delta, a.size * b.size / size)
    return Moments(size, mean, scatter, None)


def _add_outer(scatter: np.ndarray, delta: np.ndarray, weight: float) -> None:
    """``scatter += weight * outer(delta, delta)`` in place, a block of rows at a time.

    The same products as one outer product (so the sum stays exactly symmetric), with 8 MiB of
    temporaries in place of a ``d x d`` one (see :func:`merge`).
    """
    rows = max(1, (1 << 20) // max(delta.shape[0], 1))
    for lo in range(0, delta.shape[0], rows):
        block = np.outer(delta[lo : lo + rows], delta)
        block *= weight
        scatter[lo : lo + rows] += block


def union_moments(parts: Iterable[Moments], d: int) -> Moments:
    """The moments of the union of disjoint batches (the parts are left as they are)."""
    out: Moments | None = None
    owned = False  # whether out's scatter is this union's own (a part is returned as it is)
    for p in parts:
        merged = out is not None and out.size > 0
        out = merge(out, p, d, own=owned)
        owned = merged and out.scatter is not None
    assert out is not None
    return out


class BatchMoments(NamedTuple):
    """A sample's ``B`` batches' moments, for its draws times ``2^-shift``; ``bad`` non-finite draws."""

    parts: tuple[Moments, ...]
    shift: int
    dimension: int
    bad: int = 0
    #: A published mean and covariance (one part, no batches, ``size`` unknown: 0).
    published: bool = False
    #: The devices the draws were reduced on (:class:`jax.Device`; a mesh's, sorted by id);
    #: empty where the host read them.
    reduced_on: tuple[Any, ...] = ()

    @property
    def size(self) -> int:
        """The number of draws (0 for published statistics)."""
        return 0 if self.published else sum(p.size for p in self.parts)

    def scaled_to(self, shift: int) -> BatchMoments:
        """The same statistics for the draws times ``2^-shift`` (``shift >= self.shift``)."""
        k = self.shift - shift
        parts = tuple(p.scaled(k) for p in self.parts)
        return self._replace(parts=parts, shift=shift)


def _mix(v: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 (Steele, Lea & Flood, 2014): a seeded hash of a block."""
    v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return v ^ (v >> np.uint64(31))


def batch_labels(start: int, count: int, batches: int, seed: int) -> np.ndarray:
    """The batches of the draws at positions ``start .. start + count - 1`` (module docstring)."""
    i = np.arange(start, start + count, dtype=np.uint64)
    b = np.uint64(batches)
    with np.errstate(over="ignore"):
        key = _mix(np.array([seed % (1 << 64)], np.uint64))[0]
        rotation = _mix((i // b) ^ key) % b
    return ((i % b + rotation) % b).astype(np.intp)


def subsample_keys(start: int, count: int, seed: int) -> np.ndarray:
    """The hashes of positions ``start .. start + count - 1``: a kept subsample's ``k`` smallest."""
    i = np.arange(start, start + count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        salt = _mix(np.array([seed % (1 << 64)], np.uint64) ^ np.uint64(0x5EED))[0]
        return _mix(i * np.uint64(0xD1B54A32D192ED03) ^ salt)


def kept_rows(x: Any, keep: int, seed: int) -> np.ndarray:
    """The subsample an :class:`Accumulator` with ``keep`` keeps, from an indexable array.

    An array on a device is gathered there, and only the kept rows come back.
    """
    n = x.shape[0]
    keys = subsample_keys(0, n, seed)
    best = np.arange(n) if n <= keep else np.sort(np.argpartition(keys, keep - 1)[:keep])
    rows = np.asarray(x[best])
    return rows[:, None] if rows.ndim == 1 else rows


def exponent_of(a: np.ndarray) -> int:
    """``e`` with ``max |a|`` in ``[2^(e-1), 2^e)``; 0 where ``a`` is all 0 or empty."""
    return _exponent(_largest(a))


def _exponent(top: float) -> int:
    return math.frexp(top)[1] if top > 0.0 and math.isfinite(top) else 0


def _largest(a: np.ndarray) -> float:
    """``max |a|``, from one read for each extreme (no copy); NaN or inf where ``a`` holds one."""
    if a.size == 0:
        return 0.0
    return max(float(np.max(a)), -float(np.min(a)))  # a NaN propagates through both


def _chunk_moments(rows: np.ndarray, d: int, shift: int) -> Moments:
    """The moments of ``rows`` (a copy of the draws, taken by the caller) times ``2^-shift``.

    float64 rows are scaled before their squares (which could overflow); narrower ones are
    raised to float64 in the centring itself, one pass, and their moments scaled after: their
    squares cannot overflow float64, and a power of two scales them exactly.
    """
    wide = rows.dtype == np.float64
    if wide:
        np.ldexp(rows, -shift, out=rows)
    mean = rows.mean(axis=0, dtype=np.float64)
    z = np.subtract(rows, mean, out=rows if wide else None, dtype=np.float64)
    k = 0 if wide else shift
    if rows.shape[0] <= d:
        return Moments(rows.shape[0], mean, None, z).scaled(-k)
    with blas_threads_for(d):
        scatter = z.T @ z
    if k:
        np.ldexp(scatter, -2 * k, out=scatter)  # in place (see merge)
    return Moments(rows.shape[0], np.ldexp(mean, -k), scatter, None)


class Reservoir:
    """A seeded uniform subsample: the ``keep`` draws of smallest position hash, or every draw.

    The hash of a draw is a function of its position in the sample and the seed only
    (:func:`subsample_keys`), so a sample read whole, in batches of any sizes, or gathered from
    a device (:func:`kept_rows`) keeps the same draws, in their own dtype. ``keep=None`` keeps
    every draw.
    """

    def __init__(self, keep: int | None, seed: int) -> None:
        self.keep, self.seed = keep, seed
        self.chunks: list[np.ndarray] = []  # every draw, where keep is None
        self.sample: np.ndarray | None = None
        self.keys = np.zeros(0, np.uint64)

    def add(self, rows: np.ndarray, start: int) -> None:
        """Offers the draws at positions ``start, start + 1, ...``."""
        k = self.keep
        if k is None:
            self.chunks.append(np.array(rows, copy=True))  # a loader may reuse its buffer
            return
        keys = subsample_keys(start, rows.shape[0], self.seed)
        if keys.size > k:  # the chunk's own k smallest first: no copy of the whole chunk
            best = np.sort(np.argpartition(keys, k - 1)[:k])
            rows, keys = rows[best], keys[best]
        pool = (
            rows
            if self.sample is None
            else np.concatenate([self.sample, rows.astype(self.sample.dtype)])
        )
        keys = np.concatenate([self.keys, keys])
        if keys.size > k:
            best = np.sort(np.argpartition(keys, k - 1)[:k])
            pool, keys = pool[best], keys[best]
        self.sample, self.keys = np.array(pool, copy=True), keys

    def draws(self, dimension: int) -> np.ndarray:
        """The draws kept, ``(k, dimension)``, in their dtype."""
        if self.keep is None:
            return np.concatenate(self.chunks) if self.chunks else np.zeros((0, dimension))
        return np.zeros((0, dimension)) if self.sample is None else self.sample


class MomentsSum:
    """Each batch's size, mean and scatter, updated a chunk at a time (module docstring).

    ``batches``: a count, or the count as a function of the dimension, decided at the first
    rows. ``shift``: the exponent the draws are scaled by (``2^-shift``), or None to follow the
    largest coordinate read, rescaling the batches kept so far as larger ones come.
    """

    def __init__(self, batches: int | Callable[[int], int], seed: int, shift: int | None) -> None:
        self.count, self.seed = batches, seed
        self.batches = batches if isinstance(batches, int) else 0
        self.parts: list[Moments | None] = [None] * self.batches
        self.fixed = shift is not None
        self.shift = 0 if shift is None else shift
        self.seen = False  # whether a coordinate other than 0 was read

    def add(self, rows: np.ndarray, start: int, top: float) -> None:
        """Adds the finite draws at positions ``start, ...``, ``top`` their largest magnitude."""
        d = rows.shape[1]
        if not self.batches and not isinstance(self.count, int):
            self.batches = self.count(d)
            self.parts = [None] * self.batches
        if not self.fixed:
            e = _exponent(top)
            if not self.seen:  # the first chunk that is not all 0 sets the scale
                self.shift, self.seen = e, top > 0.0
            elif e > self.shift:
                self.parts = [None if p is None else p.scaled(self.shift - e) for p in self.parts]
                self.shift = e
        labels = batch_labels(start, rows.shape[0], self.batches, self.seed)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(self.batches + 1))
        for b in range(self.batches):
            take = order[bounds[b] : bounds[b + 1]]
            if take.size:
                chunk = _chunk_moments(rows[take], d, self.shift)
                self.parts[b] = merge(self.parts[b], chunk, d, own=True)  # each part is ours

    def result(self, dimension: int, bad: int) -> BatchMoments:
        """The batches' moments (a batch that got no draw: size 0)."""
        if not self.batches and not isinstance(self.count, int):
            self.batches = self.count(dimension)
            self.parts = [None] * self.batches
        empty = Moments(0, np.zeros(dimension), None, np.zeros((0, dimension)))
        parts = tuple(empty if p is None else p for p in self.parts)
        return BatchMoments(parts, self.shift, dimension, bad)


class Accumulator:
    """The one pass over a sample's draws, handing its finite rows to two jobs.

    The pass checks each array of draws (dtype, shape, one dimension), reads it in chunks of
    rows, counts the draws that are not finite and leaves them out. The jobs: the batches'
    moments (a :class:`MomentsSum`; ``batches=None``: none), and a seeded uniform subsample (a
    :class:`Reservoir`; ``keep=0``: none, ``None``: every draw, or the number as a function of
    the dimension, decided at the first rows).
    """

    def __init__(
        self,
        batches: int | Callable[[int], int] | None,
        seed: int,
        name: str,
        shift: int | None = None,
        keep: int | Callable[[int], int] | None = 0,
    ) -> None:
        self.name, self.seed, self.keep = name, seed, keep
        self.moments = None if batches is None else MomentsSum(batches, seed, shift)
        self.reservoir = None if keep == 0 or callable(keep) else Reservoir(keep, seed)
        self.position, self.bad, self.dimension = 0, 0, -1

    def feed(self, draws: Any, features: Callable[[Any], Any] | None = None) -> None:
        """Reads ``draws``: one array, an iterable of arrays, or inputs mapped by ``features``."""
        if features is None and is_array(draws):
            self.add(draws)
            return
        try:
            items = iter(draws)
        except TypeError:
            raise ValueError(
                f"{self.name} must be an array of draws, an iterable of batches of draws, or "
                f"(with features) an iterable of inputs; got {type(draws).__name__}"
            ) from None
        chunks = Chunks(self._read)
        for item in items:
            rows = self._checked(item if features is None else features(item), stream=True)
            if rows is not None:
                chunks.add(rows, self._step())
        chunks.flush()

    def add(self, chunk: Any, stream: bool = False) -> None:
        """Reads one array of draws; a stream's batch (``stream``) may be empty, and is skipped."""
        rows = self._checked(chunk, stream)
        if rows is not None:
            self._read(rows)

    def _step(self) -> int:
        """The rows of a chunk (:data:`CHUNK_BYTES` of float64)."""
        return max(16, CHUNK_BYTES // (8 * self.dimension))

    def _checked(self, chunk: Any, stream: bool) -> np.ndarray | None:
        """One array of draws as rows, its dtype and dimension checked; None: a stream's empty batch.

        A loader's last partial batch or a filter that kept nothing gives a batch of no draws:
        it adds nothing, once its dtype and dimension are those of the stream's draws. A stream
        of no draws at all is refused when its statistics are asked for.
        """
        rows = np.asarray(chunk)
        if rows.ndim == 1:
            rows = rows[:, None]
        empty = stream and rows.ndim == 2 and rows.shape[0] == 0
        if rows.ndim != 2 or (rows.shape[0] == 0 and not empty):
            as_samples(rows, self.name)  # its message: the shape, the dtype
        # the dtype's rule, without a float64 copy of the chunk (finiteness is counted below)
        as_samples(np.zeros((1, rows.shape[1]), rows.dtype), self.name)
        if self.dimension >= 0 and rows.shape[1] != self.dimension:
            raise ValueError(
                f"{self.name}'s batches must be draws of one dimension: {self.dimension} "
                f"coordinates a draw, then {rows.shape[1]}"
            )
        if empty:
            return None
        self._at_dimension(rows.shape[1])
        return rows

    def _read(self, rows: np.ndarray) -> None:
        """Hands the finite rows of ``rows`` to the jobs, a chunk at a time; counts the others."""
        step = self._step()
        for lo in range(0, rows.shape[0], step):
            part = np.asarray(rows[lo : lo + step])  # a memory-mapped file's rows read here
            top = _largest(part)  # NaN or inf where a coordinate is not finite
            if not math.isfinite(top):  # a chunk at a time: memory independent of n
                finite = np.isfinite(part).all(axis=1)
                self.bad += int(np.count_nonzero(~finite))
                part = part[finite]
                top = _largest(part)
            if part.shape[0]:
                if self.reservoir is not None:
                    self.reservoir.add(part, self.position)
                if self.moments is not None:
                    self.moments.add(part, self.position, top)
                self.position += part.shape[0]

    def _at_dimension(self, d: int) -> None:
        """The draws' dimension, set at the first rows: a subsample sized by it starts there."""
        if self.dimension < 0 and callable(self.keep) and (k := self.keep(d)):
            self.reservoir = Reservoir(k, self.seed)
        self.dimension = d

    def finished(self) -> BatchMoments:
        """The batches' moments; a ValueError where draws were not finite."""
        self._check_read()
        assert self.moments is not None, "read without batches"
        return self.moments.result(self.dimension, self.bad)

    def kept(self) -> np.ndarray:
        """The draws kept, ``(k, d)`` in their dtype; a ValueError where none or some not finite."""
        self._check_read()
        if self.reservoir is None:
            return np.zeros((0, self.dimension))
        return self.reservoir.draws(self.dimension)

    def _check_read(self) -> None:
        if self.dimension < 0:
            raise ValueError(f"{self.name} must hold at least one draw: its batches were empty")
        if self.bad:
            raise ValueError(
                f"{self.name} must be finite: {self.bad} of its {self.position + self.bad} draws "
                "hold NaN or inf"
            )


def accumulate(
    draws: Any,
    *,
    batches: int | Callable[[int], int],
    seed: int,
    name: str,
    shift: int | None = None,
    features: Callable[[Any], Any] | None = None,
) -> BatchMoments:
    """The ``batches`` batches' moments of a sample, in one pass over its draws.

    Args:
      draws: an array of shape ``(n, d)`` or ``(n,)`` (read in chunks of rows, never copied
        whole), or an iterable of such arrays (batches of any sizes, read once).
      batches: the number of batches, or a function of the draws' dimension giving it.
      seed: the seed of the batch assignment.
      name: the argument's name, for the messages.
      shift: the exponent to scale the draws by (``2^-shift``), or None to follow the largest
        coordinate read.
      features: a map applied to each item of the iterable ``draws`` (inputs to features).

    Raises:
      ValueError: naming ``name``, as :func:`~divergences.estimate._src.samples.as_samples`
        (the dtype, the shape, non-finite draws), or for batches of differing dimensions.
    """
    acc = Accumulator(batches, seed, name, shift)
    acc.feed(draws, features)
    return acc.finished()


def is_array(x: Any) -> bool:
    """Whether ``x`` is one array of draws (not an iterable of batches)."""
    if isinstance(x, list | tuple):
        return not (len(x) > 0 and all(getattr(item, "ndim", 0) >= 1 for item in x))
    return isinstance(x, np.ndarray | np.generic | int | float) or hasattr(x, "__array__")


def is_sharded(x: Any) -> bool:
    """Whether ``x`` is a :class:`jax.Array` laid over more than one device."""
    sharding = getattr(x, "sharding", None)
    return sharding is not None and len(getattr(sharding, "device_set", ())) > 1


def batches_of(parts: tuple[Moments, ...], b: int, d: int) -> tuple[Moments, ...]:
    """The ``b`` extrapolation batches as unions of the groups: batch ``j`` pools groups ``j mod b``."""
    if len(parts) == b:
        return parts
    return tuple(union_moments(parts[j::b], d) for j in range(b))


def pooled_batches(m: BatchMoments, b: int) -> BatchMoments:
    """A sample's groups pooled into the ``b`` extrapolation batches (exact merges)."""
    return m._replace(parts=batches_of(m.parts, b, m.dimension))


def unions_without_each(parts: tuple[Moments, ...], d: int) -> list[Moments]:
    """The pooled moments of all the groups but each one in turn (merges, exact)."""
    g = len(parts)
    before: list[Moments | None] = [None] * (g + 1)  # before[k]: groups 0 .. k-1
    for k in range(g):
        before[k + 1] = merge(before[k], parts[k], d)
    out, after = [], None  # after: groups k+1 .. g-1
    for k in range(g - 1, -1, -1):
        head = before[k]
        out.append(after if head is None else (head if after is None else merge(head, after, d)))
        after = merge(after, parts[k], d)
    return out[::-1]  # type: ignore[return-value]
