r"""The kernel inception distance: the unbiased MMD^2 under the cubic polynomial kernel.

The kernel :math:`k(a, b) = (a \cdot b / d + 1)^3` is unbounded, so no bounded-differences
interval holds; the interval is the asymptotic normal one of :mod:`.normal_interval`, the sums the
same blocked pass as the Gaussian MMD's with the kernel a parameter. The kernel is evaluated in
units of :math:`\lambda^3`, :math:`\lambda = \max_a \lvert a\rvert^2 / d + 1 \ge \lvert a \cdot
b / d + 1\rvert`, so that every computed value lies in ``[-1, 1]`` whatever the features' scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.options import level_option
from divergences.estimate._src.kernel.draws import kernel_samples
from divergences.estimate._src.kernel.normal_interval import (
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
from divergences.estimate._src.result import Estimate
from divergences.estimate._src.samples import check_at_least, draws_where_they_live, relabellings

__all__ = ["kid", "kid_checked", "kid_of"]

#: The largest :math:`\lambda^3` taken: the statistic, at most 4 in units of it, stays finite.
_LARGEST_CUBE = float(np.finfo(np.float64).max) / 8.0


class CubicPool(NamedTuple):
    """The pooled samples for the cubic kernel's pass, in units of ``lambda``.

    Attributes:
      z: the pooled, scaled and padded samples (:func:`padded_pool`).
      block: the pass's block size.
      coeffs: ``(c_0, c_1)`` of ``t = c_0 z_i . z_j + c_1`` (``t`` in units of ``lambda``).
      cap: a bound on one computed kernel value's error whatever the draws.
      cube: ``lambda^3``, the unit of the sums.
    """

    z: jax.Array
    block: int
    coeffs: tuple[float, float]
    cap: float
    cube: float


def cubic_pool(samples: tuple[np.ndarray, ...], names: tuple[str, ...]) -> CubicPool:
    """The samples pooled for the cubic kernel, scaled so that every kernel value lies in [-1, 1].

    Raises:
      ValueError: naming the sample that holds the largest norm, where ``lambda^3`` overflows.
    """
    d = samples[0].shape[1]
    pooled = jax.dtypes.canonicalize_dtype(jnp.float64)  # float32 where x64 is off
    z, radius2, block, shift = padded_pool(samples, pooled, False)
    dtype = z.dtype  # float64 where the pass takes float64 products
    try:  # |a|^2 / d + 1 for the largest |a|: the bound on |a . b / d + 1|
        lam = math.ldexp(radius2 / d, 2 * shift) + 1.0
        cube = lam**3
    except OverflowError:
        cube = math.inf
    if not cube <= _LARGEST_CUBE:
        power = math.log10(radius2 / d) + 2 * shift * math.log10(2.0)
        norms = [
            float(np.max(np.sum(np.square(np.ldexp(np.asarray(s, np.float64), -shift)), axis=1)))
            for s in samples
        ]
        name = names[int(np.argmax(norms))]  # the sample holding the largest |a|
        raise ValueError(
            f"{name} must hold features whose cubic kernel (a . b / d + 1)^3 is finite in float64:"
            f" max |a|^2 / d must be at most about 1e102, got about 1e{power:.0f}"
        )
    c1 = math.ldexp(1.0 / (d * lam), 2 * shift)  # a . b / (d lambda) in the units of z
    unit = float(np.finfo(dtype).eps) / 2.0
    # |t| <= 1 in units of lambda; the dot product, the casts and the two scalings move it by
    # at most delta (an underflowing c1 by its subnormal spacing, times |z_i . z_j| <= width)
    width = z.shape[1]
    delta = 2.0 * gamma(width + 6, unit) + width * float(np.finfo(dtype).smallest_subnormal)
    e_k = 3.0 * (1.0 + delta) ** 2 * delta + gamma(2, unit) * (1.0 + delta) ** 3
    return CubicPool(z, block, (c1, 1.0 / lam), e_k, cube)


def _cubic_sums(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray) -> tuple[KernelSums, float]:
    """The cubic kernel's sums for each row of ``labels``, in units of ``lambda^3``; ``lambda^3``."""
    pool = cubic_pool((xs, ys), ("x", "y"))
    n, m = xs.shape[0], ys.shape[0]
    sums = kernel_sums(pool.z, n, m, labels, pool.coeffs, pool.block, "cubic", pool.cap)
    return sums, pool.cube


@runs_on_host
def kid(
    x: Any,
    y: Any,
    *,
    level: Any = 0.95,
    subsample: Any = None,
    seed: Any = 0,
    features: Callable[[Any], Any] | None = None,
    draws: Any = None,
) -> Estimate:
    r"""The kernel inception distance between the laws behind features ``x`` and ``y``.

    KID (Bińkowski et al. 2018) is the unbiased MMD^2_u (:func:`mmd_squared`'s formula) under
    the cubic polynomial kernel :math:`k(a, b) = (a \cdot b / d + 1)^3` on features the caller
    computes (an Inception network's 2048 pool features, say). The kernel is unbounded, so its
    interval is the asymptotic normal one of ``mmd_squared(..., interval="normal")``:
    :math:`z_{1-\alpha/2}\sqrt{\hat V}` with the plug-in first-order variance from the kernel
    matrix's row sums (Sutherland et al. 2017), taken on the square-root scale
    (``kernel_interval._raw_ends``) and widened by the rounding bound; its lower end is above 0
    only where the permutation test of the same pass (200 relabellings, seed 0) rejects
    ``P == Q`` at ``alpha / 2``. A statistic below 0 by its interval and below all but 1% of its
    relabellings says the draws look dependent (a noisy copy of the same points), and nothing
    is claimed. ``value`` is
    ``max(0, MMD^2_u)``. The sums run in XLA, block by block (the cost is that of ``X X^T``,
    ``Y Y^T`` and ``X Y^T``), in float64 where JAX's x64 is on, float32 otherwise; in float32
    the Gram products are float32 matmuls over 32 coordinates whose partials are added in
    float64, the kernel values and row sums float64, the block pairs' sums added in float64
    on the host and each value's rounding bounded from its own magnitudes, so the float32
    interval is close to float64's in d = 64 and 2048 (``benchmarks/estimates.md``).

    **Inputs.** ``x`` and ``y`` are each an array, an iterable of batches (or, with
    ``features``, of inputs), read once, or a :class:`~divergences.estimate.Reference` (its
    kept subsample). The statistic and its permutation test need the draws themselves, so an
    iterable's are kept (in their dtype); ``subsample=k`` keeps a seeded uniform subsample of at
    most ``k`` a side instead, memory :math:`O(k d)` whatever ``n``, said in ``method``
    (:func:`~divergences.estimate._src.kernel.draws.kernel_draws`).

    Args:
      x: features of P, shape ``(n, d)`` or ``(n,)``, ``n >= 2`` (``n < d`` is fine); or an
        iterable of such arrays; or a ``Reference``.
      y: features of Q, shape ``(m, d)`` or ``(m,)``, ``m >= 2``; the same rules.
      level: the interval's coverage, in ``(0, 1)``.
      subsample: the most draws kept a side (a seeded uniform subsample), ``>= 2``; ``None``:
        all.
      draws: ``subsample``'s former name, deprecated.
      seed: the seed of that subsample, an integer ``>= 0``.
      features: a map from a batch of inputs to its features, applied to each item of ``x``
        and ``y`` (iterables of inputs).

    Returns:
      An :class:`Estimate`, two-sided, ``"asymptotic"`` within ``ASYMPTOTIC_CLAIMS["kid"]``
      (measured on Gaussians in d = 64 and 2048); elsewhere ``"no-coverage-claim"``, the ends
      ``[0, inf]``, with a :class:`NoCoverageWarning`.

    Raises:
      ValueError: for draws the shared rules refuse, fewer than 2 in ``x`` or ``y``, features
        whose kernel overflows float64 (``|a|^2 / d`` above about 1e102), or a bad ``level``.

    References:
      Bińkowski, Sutherland, Arbel, Gretton, *Demystifying MMD GANs*, ICLR 2018.

    Example:
      >>> import numpy as np
      >>> from divergences.estimate import kid
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(size=(1000, 64)), rng.normal(size=(1000, 64)) + 0.125
      >>> est = kid(x, y)  # KID = 3/64 + 6/64^2 + 13/64^3 = 0.0484
      >>> est.lower_bound <= 0.0484 <= est.upper_bound, est.kind
      (True, 'asymptotic')
    """
    checked = level_option(level, note="the interval's coverage")
    (x, y), read = kernel_samples(
        ((x, "x"), (y, "y")), subsample=subsample, seed=seed, features=features, draws=draws
    )
    xs, ys = draws_where_they_live(((x, "x"), (y, "y")))
    why = "the unbiased statistic pairs distinct draws"
    check_at_least(xs.shape[0], 2, "x", why)
    check_at_least(ys.shape[0], 2, "y", why)
    return kid_of(xs, ys, checked, read)


def kid_of(
    xs: np.ndarray,
    ys: np.ndarray,
    level: float,
    read: str,
    *,
    stacklevel: int | None = 5,
) -> Estimate:
    """:func:`kid`'s estimate of draws already read and checked, at a checked ``level``.

    Args:
      xs: the draws of P, ``(n, d)``, ``n >= 2``.
      ys: the draws of Q, ``(m, d)``, ``m >= 2``.
      level: the interval's coverage, checked (:func:`level_option`).
      read: how the draws were read (a subsample, said in ``method``), or ``""``.
      stacklevel: the :class:`NoCoverageWarning`'s, counted from :func:`withheld` (5: the
        caller of the entry that calls this); None where the caller's own result warns.
    """
    estimate, dependent = kid_checked(xs, ys, level, read)
    d = xs.shape[1]
    return claimed(estimate, "kid", d, False, math.inf, dependent, stacklevel=stacklevel)


def kid_checked(xs: np.ndarray, ys: np.ndarray, level: float, read: str) -> tuple[Estimate, str]:
    """KID's estimate before its claim is read, and why the draws look dependent (or ``""``).

    The arguments are :func:`kid_of`'s; :func:`~divergences.estimate.kid_difference` reads the
    reason of each candidate against the reference (a candidate that copies the reference's
    draws is not compared).
    """
    alpha = 1.0 - level
    n, m, d = xs.shape[0], ys.shape[0], xs.shape[1]
    sums, cube = _cubic_sums(xs, ys, relabellings(n, m, PERMUTATIONS, SEED))
    ends = normal_interval(sums, n, m, alpha, cube, math.inf)
    method = (
        f"KID: unbiased MMD^2_u, cubic polynomial kernel (a . b / {d} + 1)^3 "
        f"(Binkowski et al. 2018), {NORMAL_METHOD}, {sums.dtype}"
    ) + (f"; {read}" if read else "")
    if sums.value < 0.0:  # KID >= 0: the value is cut there, and the estimate said
        method += f"; the estimate before its cut at 0: {sums.value * cube:.4g}"
    assumption = (
        "the features' laws have finite sixth moments; the feature map fixed before the draws"
    )
    estimate = Estimate(
        value=ends[0], lower_bound=ends[1], upper_bound=ends[2], level=float(level),
        kind="asymptotic", sides="two-sided", assumption=assumption, method=method, n=n, m=m,
        quantity="KID",
    )  # fmt: skip
    return estimate, looks_dependent(sums, n, m, alpha, cube)
