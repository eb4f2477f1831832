r"""The kernel maximum mean discrepancy from samples: its unbiased estimate, intervals and test.

The Gaussian kernel :math:`k(a, b) = \exp(-\lVert a - b\rVert^2 / (2 s^2))` takes values in
``(0, 1]``. The kernel sums, one pass over the blocks of the pooled sample's kernel matrix for
the statistic, its variance and every relabelling, are :mod:`.sums`'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.spatial.distance import pdist

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option, number_option, seed_option
from divergences._src.scaling import scale_exponent
from divergences.estimate._src.concentration import bounded_differences_term
from divergences.estimate._src.kernel.draws import kernel_samples
from divergences.estimate._src.kernel.normal_interval import (
    DEPENDENT,
    NORMAL_METHOD,
    claimed,
    looks_dependent,
    normal_interval,
)
from divergences.estimate._src.kernel.pool import padded_pool
from divergences.estimate._src.kernel.sums import (
    PERMUTATIONS,
    SEED,
    KernelSums,
    gamma,
    kernel_sums,
)
from divergences.estimate._src.result import Estimate, IntervalKind, TwoSampleTest, withheld
from divergences.estimate._src.samples import (
    check_at_least,
    draws_where_they_live,
    pooled,
    relabellings,
)

__all__ = ["gaussian_sums", "median_bandwidth", "mmd_squared", "mmd_test"]

#: The most points of the pooled sample the median heuristic reads (a seeded subsample).
MEDIAN_POINTS = 2000
_MEDIAN_SEED = 0
_FLOAT64_MAX = float(np.finfo(np.float64).max)


def median_bandwidth(xs: Any, ys: Any) -> float:
    r"""The median heuristic: the median distance between two points of the pooled sample.

    Where the pool holds more than :data:`MEDIAN_POINTS` points, it is first put in an order that
    depends on the points' values only (:func:`_canonical_order`) and that many are taken with a
    fixed seed, so the bandwidth is a function of the pooled sample as a multiset: relabelling
    its points (a permutation of the test) leaves it unchanged. Pairs of equal points are left out where they make the median 0;
    where every point is the same, every bandwidth gives MMD 0, and 1 is returned. Draws held
    by a device send the host their first coordinates and the points taken, no more.
    """
    z = _median_points(xs, ys)
    shift = scale_exponent(z, clip=False)
    dist = pdist(np.ldexp(z, -shift))  # by a power of two: no distance overflows
    median = float(np.median(dist))
    if median == 0.0:
        positive = dist[dist > 0.0]
        if not positive.size:
            return 1.0
        median = float(np.median(positive))
    try:
        return min(math.ldexp(median, shift), _FLOAT64_MAX)
    except OverflowError:
        return _FLOAT64_MAX


def _median_points(xs: Any, ys: Any) -> np.ndarray:
    """The pooled points the median heuristic reads, float64 on the host (its docstring)."""
    count = xs.shape[0] + ys.shape[0]
    if count <= MEDIAN_POINTS or isinstance(xs, np.ndarray):
        z = np.concatenate([np.asarray(xs, np.float64), np.asarray(ys, np.float64)])
        return z if count <= MEDIAN_POINTS else z[_taken(z)]
    z = pooled(xs, ys)
    first = np.asarray(z[:, 0], np.float64)
    order = np.argsort(first, kind="stable")
    tied = np.flatnonzero(np.diff(first[order]) == 0.0)
    if tied.size:  # the rows sharing a first coordinate: only they come back, ordered whole
        runs = np.split(tied, np.flatnonzero(np.diff(tied) > 1) + 1)
        spans = [np.arange(run[0], run[-1] + 2) for run in runs]  # equal first coordinates
        rows = np.asarray(z[jnp.asarray(order[np.concatenate(spans)])], np.float64)
        parts = np.split(rows, np.cumsum([len(v) for v in spans])[:-1])
        for span, part in zip(spans, parts, strict=True):
            order[span] = order[span][np.lexsort(part.T[::-1])]
    return np.asarray(z[jnp.asarray(order[np.sort(_picks(count))])], np.float64)


def _picks(count: int) -> np.ndarray:
    """The positions, in the canonical order, of the :data:`MEDIAN_POINTS` points taken."""
    return np.random.default_rng(_MEDIAN_SEED).choice(count, MEDIAN_POINTS, False)


def _taken(z: np.ndarray) -> np.ndarray:
    """The rows of ``z`` the median heuristic takes."""
    return _canonical_order(z)[np.sort(_picks(z.shape[0]))]


def _canonical_order(z: np.ndarray) -> np.ndarray:
    """An order of the rows that depends on their values only (equal rows in either order).

    By the first coordinate, or lexicographically where two rows share it.
    """
    order = np.argsort(z[:, 0], kind="stable")
    if np.any(np.diff(z[order, 0]) == 0.0):
        order = np.lexsort(z.T[::-1])
    return order


def _bandwidth_of(bandwidth: Any) -> float | None:
    """The bandwidth given, checked before any draw is read; None for the median heuristic's."""
    if bandwidth is None:
        return None
    return number_option(bandwidth, "bandwidth", note="the Gaussian kernel's width s")


def _kernel_error(dim: int, scale: float, radius2: float, dtype: Any) -> float:
    r"""A bound on the rounding error of one computed Gaussian kernel value (each in ``(0, 1]``).

    With ``u`` the unit roundoff of the computing dtype and :math:`\gamma_k = ku/(1 - ku)`:
    centring and casting move each point by at most :math:`2uR` (``R`` the largest norm), hence
    a squared distance by at most :math:`(16u + 16u^2) R^2`; the Gram form
    :math:`|a|^2 + |b|^2 - 2a\cdot b` adds :math:`4\gamma_{d+2} R^2 (1 + 2u)^2`; the kernel is
    1-Lipschitz in :math:`\mathrm{scale}\cdot r^2` and its argument and ``exp`` add at most
    :math:`16u`.
    """
    unit = float(np.finfo(dtype).eps) / 2.0
    spread = scale * radius2 if radius2 > 0.0 else 0.0  # all points equal: every r^2 is 0
    return spread * (17.0 * unit + 5.0 * gamma(dim + 2, unit)) + 16.0 * unit


def gaussian_sums(xs: Any, ys: Any, labels: np.ndarray, s: float, rows: bool = True) -> KernelSums:
    """The kernel sums of the Gaussian kernel of width ``s``, for each row of ``labels``."""
    n, m = xs.shape[0], ys.shape[0]
    pooled = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 where x64 is off
    z, radius2, block, shift = padded_pool((xs, ys), pooled, centre=True, bounded=rows)
    dtype = z.dtype  # float64 where the pass takes float64 products
    try:  # s in the units of z / 2^e
        width = math.ldexp(s, -shift)
    except OverflowError:  # beyond float64: the scale is 0 and the kernel 1 to the last bit
        width = math.inf
    # 1 / (2 s^2); inf where it overflows or s / 2^e underflows (exp(-inf r^2) = 0 for r > 0)
    scale = 0.5 / width / width if width > 0.0 else math.inf
    # The largest finite scale stands for a larger one: 0 * scale stays 0 on equal points.
    finite = min(scale, float(np.finfo(dtype).max))
    error = _kernel_error(xs.shape[1], scale, radius2, dtype)
    return kernel_sums(z, n, m, labels, (finite, 0.0), block, "gaussian", error, rows)


def _prepare(
    x: Any,
    y: Any,
    bandwidth: Any,
    subsample: Any,
    seed: Any,
    features: Callable[[Any], Any] | None,
    draws: Any,
) -> tuple[np.ndarray, np.ndarray, float, str]:
    """Both samples as read (:func:`kernel_samples`), checked; the bandwidth; how they were read."""
    given = _bandwidth_of(bandwidth)
    (x, y), read = kernel_samples(
        ((x, "x"), (y, "y")), subsample=subsample, seed=seed, features=features, draws=draws,
        stacklevel=4,
    )  # fmt: skip
    xs, ys = draws_where_they_live(((x, "x"), (y, "y")))
    why = "the unbiased statistic pairs distinct draws"
    check_at_least(xs.shape[0], 2, "x", why)
    check_at_least(ys.shape[0], 2, "y", why)
    s = median_bandwidth(xs, ys) if given is None else given
    return xs, ys, s, (f"; {read}" if read else "")


#: The intervals of :func:`mmd_squared`, its default first.
INTERVALS = ("mcdiarmid", "normal")
_FIXED_KERNEL = "the kernel fixed independently of the draws"
_MEDIAN_KERNEL = (
    "the kernel fixed independently of the draws, read here off them (the median heuristic): "
    "no coverage claimed; give the bandwidth for a finite-sample interval"
)


@runs_on_host
def mmd_squared(
    x: Any,
    y: Any,
    *,
    bandwidth: Any = None,
    level: Any = 0.95,
    interval: str = "mcdiarmid",
    subsample: Any = None,
    seed: Any = 0,
    features: Callable[[Any], Any] | None = None,
    draws: Any = None,
) -> Estimate:
    r"""The squared MMD between the laws behind ``x`` and ``y``, with an interval.

    The unbiased estimate (Gretton et al. 2012, eq. 3) under the Gaussian kernel
    :math:`k(a, b) = \exp(-\lVert a - b\rVert^2 / (2 s^2))`, which lies in ``(0, 1]``:

    .. math::
       \mathrm{MMD}^2_u = \frac{\sum_{i \ne j} k(x_i, x_j)}{n(n-1)}
       + \frac{\sum_{i \ne j} k(y_i, y_j)}{m(m-1)} - \frac{2}{nm} \sum_{i, j} k(x_i, y_j).

    ``interval="mcdiarmid"``: moving one ``x_i`` moves it by at most ``4/n`` (``y_j``: ``4/m``),
    so McDiarmid's inequality gives :math:`\pm 4 \sqrt{(1/n + 1/m) \log(2/\alpha) / 2}`
    (Gretton et al.'s Theorem 10 for ``n = m``): finite-sample, blind to the variance.
    ``"normal"``: :math:`\pm z_{1-\alpha/2}\sqrt{\hat V}` on the square-root scale
    (``kernel_interval._raw_ends``: each end within 3.5% of its 2.5% where the symmetric interval's
    upper end missed 6.8%), :math:`\hat V` the plug-in
    first-order variance :math:`4\widehat{\mathrm{Var}} f/n + 4\widehat{\mathrm{Var}} g/m` from
    the kernel matrix's row sums (Sutherland et al. 2017, Sec. 3; Liu et al. 2020, eq. 5),
    asymptotic (the statistic is normal in the limit where ``P != Q``), 11 times narrower at
    5000 draws in the plane. Chosen over an empirical-Bernstein bound for U-statistics, whose
    ``n/2`` independent terms carry the kernel's variance, not the statistic's first-order
    one, and need a bounded kernel (KID's is not). Its lower end is above 0
    only where the permutation test (``mmd_test``'s 200 relabellings, seed 0, one pass with
    the rest) rejects at ``alpha / 2``: under ``P == Q``, where the statistic is degenerate,
    it leaves out 0 with probability at most ``alpha / 2``. Both intervals are widened by the
    rounding error and cut to ``[0, 2]``; ``value`` is ``max(0, MMD^2_u)``. The sums run in
    XLA, block by block, in float64 where JAX's x64 is on, float32 otherwise.

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``, ``n >= 2``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``, ``m >= 2``.
      bandwidth: the kernel's ``s > 0``; ``None``: the median heuristic, the median distance
        between two points of the pooled sample (of at most 2000 of them, seeded).
      level: the interval's coverage, in ``(0, 1)``.
      interval: ``"mcdiarmid"`` (the default) or ``"normal"``.
      subsample: the most draws kept a side, ``>= 2`` (a seeded uniform subsample, said in
        ``method``); ``None``: all. ``x`` and ``y`` may be iterables of batches (of inputs,
        with ``features``) or a ``Reference``, read once
        (:func:`~divergences.estimate._src.kernel.draws.kernel_draws`).
      seed: the seed of that subsample, an integer ``>= 0``.
      draws: ``subsample``'s former name, deprecated.
      features: a map from a batch of inputs to its features, applied to each item.

    Returns:
      An :class:`Estimate`, two-sided: ``"finite-sample"`` (McDiarmid) or ``"asymptotic"``
      (normal, within ``ASYMPTOTIC_CLAIMS``; else ``"no-coverage-claim"``, the ends ``[0, 2]``)
      for a ``bandwidth`` given; ``"plug-in-assumption"`` for the median heuristic.

    Raises:
      ValueError: for draws the shared rules refuse, fewer than 2 draws in ``x`` or ``y``, a
        ``bandwidth`` not ``> 0``, a ``level`` outside ``(0, 1)`` or another ``interval``.

    References:
      Gretton et al., *A kernel two-sample test*, JMLR 13, 2012. Sutherland et al., *Generative
      models and model criticism via optimized MMD*, ICLR 2017. Liu et al., *Learning deep
      kernels for non-parametric two-sample tests*, ICML 2020.

    Example:
      >>> import math
      >>> import numpy as np
      >>> from divergences.estimate import mmd_squared
      >>> from divergences.estimate._src.kernel.mmd import INTERVALS
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(400, 2)), rng.normal(1.0, size=(400, 2))
      >>> exact = 2 / 3 * (1 - math.exp(-1 / 3))  # N(0, I) and N((1, 1), I), s = 1
      >>> wide, narrow = (mmd_squared(x, y, bandwidth=1.0, interval=i) for i in INTERVALS)
      >>> wide.lower_bound <= narrow.lower_bound <= exact <= narrow.upper_bound <= wide.upper_bound
      True
    """
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    xs, ys, s, read = _prepare(x, y, bandwidth, subsample, seed, features, draws)
    n, m = xs.shape[0], ys.shape[0]
    assumption = _MEDIAN_KERNEL if bandwidth is None else _FIXED_KERNEL
    kernel = f"unbiased MMD^2_u (Gretton et al. 2012), Gaussian kernel of bandwidth {s:.6g}{read}"
    if interval == "normal":
        sums = gaussian_sums(xs, ys, relabellings(n, m, PERMUTATIONS, SEED), s)
        ends = normal_interval(sums, n, m, alpha, 1.0, 2.0)
        method = f"{kernel}, {NORMAL_METHOD}, {sums.dtype}"
        estimate = Estimate(
            value=ends[0], lower_bound=ends[1], upper_bound=ends[2], level=float(level),
            kind="asymptotic", sides="two-sided", assumption=assumption, method=method, n=n, m=m,
            quantity="MMD^2",
        )  # fmt: skip
        dependent = looks_dependent(sums, n, m, alpha, 1.0)
        return claimed(estimate, "mmd_squared", xs.shape[1], bandwidth is None, 2.0, dependent)
    sums = gaussian_sums(xs, ys, np.arange(n)[None, :], s)
    stat, dtype = sums.value, sums.dtype
    half = bounded_differences_term([(4.0 / n, n), (4.0 / m, m)], alpha / 2.0) + sums.error
    value = min(max(stat, 0.0), 2.0)
    lower = min(max(stat - half, 0.0), value)
    upper = max(min(stat + half, 2.0), value)
    method = f"{kernel}, McDiarmid interval (bounded differences 4/n, 4/m), {dtype}"
    kind: IntervalKind = "plug-in-assumption" if bandwidth is None else "finite-sample"
    estimate = Estimate(
        value=value, lower_bound=lower, upper_bound=upper, level=float(level), kind=kind,
        sides="two-sided", assumption=assumption, method=method, n=n, m=m, quantity="MMD^2",
    )  # fmt: skip
    # under independent draws, stat + half < MMD^2 (>= 0) with probability at most alpha / 2
    if stat + half >= 0.0:
        return estimate
    return withheld(estimate, 0.0, 2.0, DEPENDENT.format(stat=stat, how=""))


@runs_on_host
def mmd_test(
    x: Any,
    y: Any,
    *,
    bandwidth: Any = None,
    permutations: Any = 200,
    seed: Any = 0,
    subsample: Any = None,
    features: Callable[[Any], Any] | None = None,
    draws: Any = None,
) -> TwoSampleTest:
    r"""The permutation test of ``P == Q`` with the unbiased MMD^2 statistic.

    The statistic :math:`T = \mathrm{MMD}^2_u` (as :func:`mmd_squared`) is computed for the
    observed labels and for ``B = permutations`` seeded random relabellings of the pooled
    sample, and

    .. math::
       p = \frac{1 + \#\{b : T_b \ge T\}}{1 + B},

    whose type-I error is at most ``alpha`` for every ``n`` and ``m`` (Phipson & Smyth 2010):
    under ``P == Q`` the pooled draws are exchangeable. The median heuristic's bandwidth is a
    function of the pooled sample as a multiset, the same for every relabelling, which keeps
    the test exact. All ``B + 1`` statistics come from one pass over the kernel matrix: each
    block is built once and multiplied by the ``B + 1`` label vectors (a matmul), in float64
    where JAX's x64 is on. In float32 (x64 off) a relabelling whose statistic lies within
    rounding of ``T`` (about 1e-6 at ``n = m = 1000``) can be counted on the wrong side.

    Args:
      x: draws of P, shape ``(n, d)`` or ``(n,)``, ``n >= 2``.
      y: draws of Q, shape ``(m, d)`` or ``(m,)``, ``m >= 2``.
      bandwidth: the kernel's ``s > 0``; ``None``: the median heuristic.
      permutations: the number ``B >= 1`` of random relabellings.
      seed: the seed of the relabellings (and of the subsample), an integer ``>= 0``.
      subsample: as :func:`mmd_squared`'s (the test is exact on any subsample).
      draws: ``subsample``'s former name, deprecated.
      features: as :func:`mmd_squared`'s.

    Returns:
      A :class:`TwoSampleTest`: the observed MMD^2_u (it can be negative) and ``p`` in ``(0, 1]``.

    Raises:
      ValueError: as :func:`mmd_squared`, or ``permutations`` or ``seed`` not such an integer.

    References:
      Gretton et al., *A kernel two-sample test*, JMLR 13, 2012. Phipson & Smyth, *Permutation
      p-values should never be zero*, Stat. Appl. Genet. Mol. Biol. 9, 2010.

    Example:
      >>> import numpy as np
      >>> from divergences.estimate import mmd_test
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(200, 3)), rng.normal(0.5, size=(200, 3))
      >>> mmd_test(x, y, permutations=99).p_value  # no relabelling reaches T: 1 / 100
      0.01
    """
    count = integer_option(permutations, "permutations", note="random relabellings")
    start = seed_option(seed, note="the relabellings' seed")
    xs, ys, s, read = _prepare(x, y, bandwidth, subsample, seed, features, draws)
    n, m = xs.shape[0], ys.shape[0]
    sums = gaussian_sums(xs, ys, relabellings(n, m, count, start), s, rows=False)
    stats, dtype = sums.stats, sums.dtype
    exceed = int(np.count_nonzero(stats[1:] >= stats[0]))
    method = (
        f"permutation test, unbiased MMD^2_u (Gretton et al. 2012), Gaussian kernel of "
        f"bandwidth {s:.6g}, {dtype}{read}"
    )
    return TwoSampleTest(
        statistic=float(stats[0]),
        p_value=(1 + exceed) / (1 + count),
        test="permutation",
        parameters={"permutations": count, "seed": start, "bandwidth": s},
        method=method,
        n=n,
        m=m,
    )
