r"""Two candidates against one reference: FD(A, R) - FD(B, R) on paired groups, with its interval.

Both FDs share the reference's draws, so their errors are correlated. The reference is read
into its groups (and batches) once, and group :math:`g` of each candidate meets the reference's
group :math:`g` (:func:`~divergences.estimate._src.frechet.distance.paired_parts`): the
reference's noise cancels in the difference. From d = 64 its delta method takes the reference's
values of A's FD less B's on each of the reference's kept draws; below, its jackknife leaves group
:math:`g` of all three samples out together. The estimator and its claim are those of
:mod:`~divergences.estimate._src.frechet.distance`, term by term.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.stats import t as student

from divergences._src.errors import runs_on_host
from divergences.estimate._src.comparison.copies import copied, copied_reason
from divergences.estimate._src.concentration import widen
from divergences.estimate._src.frechet.distance import (
    Parts,
    checked_options,
    estimate_from_moments,
    half_width,
    jackknife_error,
    paired_parts,
    read_samples,
    reduced_where,
    scaled_back,
    spread_of,
    spread_words,
)
from divergences.estimate._src.frechet.first_order import (
    FirstOrder,
    delta_words,
    difference_error,
)
from divergences.estimate._src.frechet.groups import frechet_difference_refusal, kept_draws
from divergences.estimate._src.frechet.sizes import sizes_refusal
from divergences.estimate._src.frechet.tails import tails_refusal
from divergences.estimate._src.reading import BatchMoments
from divergences.estimate._src.result import (
    Comparison,
    asymptotic_estimate,
    claimed_comparison,
    one_sided_p_values,
    withheld,
)

__all__ = ["FrechetComparison", "frechet_difference"]


def difference_spread(pa: Parts, pb: Parts, b: int) -> tuple[float, float]:
    """The standard error of FD(A, R) - FD(B, R) and its degrees of freedom, from paired parts.

    The delta method's where both parts ran it (:func:`~.first_order.difference_error`: A's
    values, B's and the reference's A's less B's on its kept draws); else the jackknife's over
    the paired groups (A's, B's and R's group ``g`` left out together); else the batches'.
    """
    if isinstance(pa.first_order, FirstOrder) and isinstance(pb.first_order, FirstOrder):
        return difference_error(pa.first_order, pb.first_order)
    if pa.left_out is not None and pb.left_out is not None:
        return jackknife_error(pa.left_out - pb.left_out), pa.left_out.shape[0] - 1.0
    return float(np.std(pa.per_batch - pb.per_batch, ddof=1)) / math.sqrt(b), b - 1.0


def difference_words(pa: Parts, pb: Parts, b: int, dof: float) -> str:
    """:func:`difference_spread`'s construction in words, with why not the delta method's."""
    if isinstance(pa.first_order, FirstOrder) and isinstance(pb.first_order, FirstOrder):
        return delta_words(pa.first_order, dof, score=False)
    source = next((p for p in (pa, pb) if isinstance(p.first_order, str)), pa)  # says why not
    if pa.left_out is None or pb.left_out is None:
        source = source._replace(left_out=None)
    return spread_words(source, b, dof)


def difference_interval(
    pa: Parts, pb: Parts, b: int, alpha: float
) -> tuple[float, float, float, float]:
    """FD(A, R) - FD(B, R) from two paired parts: the value, the half-width and both p-values.

    The standard error is :func:`difference_spread`'s; the p-values are the one-sided Student
    tests of ``D >= 0`` and of ``D <= 0``, each at the statistic's most favourable rounding
    (:func:`~divergences.estimate._src.result.one_sided_p_values`).
    """
    value = pa.value - pb.value
    spread, dof = difference_spread(pa, pb, b)
    slack = pa.slack + pb.slack
    half = widen(half_width(spread, dof, alpha) + slack)
    p_a, p_b = one_sided_p_values(value, slack, spread, lambda t: student.cdf(t, dof))
    return value, half, p_a, p_b


def sizes_refusals(
    candidates: tuple[tuple[BatchMoments, Parts, str], ...], br: BatchMoments, b: int, spread: float
) -> str:
    """Why the difference claims nothing for a candidate's size against the reference's, or ``""``.

    Each candidate's FD is held to its own standard error (as :func:`frechet`'s claim) and to
    the difference's, the smaller (:func:`~divergences.estimate._src.frechet.sizes.sizes_refusal`).
    """
    for m, parts, name in candidates:
        for se in (spread_of(parts, b)[0], spread):
            if why := sizes_refusal(m, br, b, se):
                return f"{name} against the reference: {why}"
    return ""


#: The former name of :class:`~divergences.estimate.Comparison`, kept for code that imports it.
FrechetComparison = Comparison


@runs_on_host
def frechet_difference(
    reference: Any,
    a: Any,
    b: Any,
    *,
    level: float = 0.95,
    batches: int = 4,
    seed: int = 0,
    features: Callable[[Any], Any] | None = None,
) -> Comparison:
    r"""Whether candidate ``a`` is nearer the reference than ``b``: FD(A, R) - FD(B, R), paired.

    Both FDs share the reference's draws, so their errors are correlated: two intervals side by
    side say little (they overlap where the difference is plain), and the difference of two
    independent intervals is too wide. Here the reference is cut into the ``B`` batches once and
    batch :math:`k` of ``a`` and of ``b`` meet the same batch :math:`R_k`:

    .. math:: \hat D = \widehat{\mathrm{FD}}(A, R) - \widehat{\mathrm{FD}}(B, R), \qquad
       D_k = \mathrm{FD}_k(A, R) - \mathrm{FD}_k(B, R),

    each FD bias-corrected as :func:`frechet`'s. From d = 64 (``B = 4``) the standard error is
    the delta method's on 2000 kept draws of each sample: A's first-order values, B's, and on
    each of the reference's kept draws A's value less B's, less the second-order part they
    carry, plus the difference's own pairs' variance (the reference's pairs carry A's kernel
    less B's; Satterthwaite's degrees of freedom:
    :mod:`~divergences.estimate._src.frechet.first_order`). In 8 <= d < 64 it is the
    delete-a-group jackknife's of :math:`\hat D` over 32 paired groups (group :math:`g` of the
    reference, of ``a`` and of ``b`` left out together; 31 degrees of freedom); elsewhere
    Student's over the ``B`` independent :math:`D_k` (:math:`B - 1` degrees of freedom); each is
    widened by both rounding allowances. The shared reference's noise cancels in each term.
    The p-value is that of the one-sided t test of :math:`D \ge 0` with the same degrees of
    freedom. Coverage is claimed where :func:`frechet`'s is for every pair and the coverage
    table measured the difference (``benchmarks/estimate_coverage.md``).

    Args:
      reference: draws of the reference law :math:`R`, as :func:`frechet`'s ``x`` (an array,
        an iterable of batches, or a :class:`~divergences.estimate.Reference` with batches).
      a: draws of candidate :math:`A`.
      b: draws of candidate :math:`B`.
      level: the interval's coverage, in ``(0, 1)``.
      batches: the number of batches (the coverage table measured 4).
      seed: the seed of the batches' assignment.
      features: a map from a batch of inputs to its features (iterables of inputs).

    Returns:
      A :class:`~divergences.estimate.Comparison`: ``a`` and ``b`` are
      ``frechet(a, reference)``'s and ``frechet(b, reference)``'s estimates on the same batches. Where :func:`frechet` claims nothing for ``a`` or ``b``
      against the reference (decided by the smallest of the three samples), where any of the
      three has heavy radial tails (:mod:`~divergences.estimate._src.frechet.tails`), where a
      candidate's size and the reference's differ so far that its FD's bias correction leaves
      a remainder over an eighth of that FD's standard error or of the difference's
      (:mod:`~divergences.estimate._src.frechet.sizes`), or outside
      ``ASYMPTOTIC_CLAIMS["frechet_difference"]`` (where the difference was measured), the difference
      claims nothing: ``"no-coverage-claim"``, the ends ``[-inf, inf]``, ``p_value``
      None, and one :class:`~divergences.estimate.NoCoverageWarning` for all three estimates.
      So too where a candidate's draws look like copies of the reference's
      (:mod:`~divergences.estimate._src.comparison.copies`: a narrow Gaussian kernel's statistic
      below its relabellings, on at most 2,000 draws of each): ``dependent`` names it, and its
      FD claims nothing either. Streamed batches and ``features`` are read once and not kept,
      so there the check does not run, and ``method`` says so.

    Raises:
      ValueError: as :func:`frechet`'s rules, naming ``reference``, ``a`` or ``b``; for any
        of the three without batches (a published mean and covariance).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> r, a, b = (rng.standard_normal((4000, 8)) + s for s in (0.0, 0.1, 0.3))
      >>> c = dv.estimate.frechet_difference(r, a, b)  # 8 (0.1^2 - 0.3^2) = -0.64
      >>> c.difference.upper_bound < 0.0 and c.p_value < 0.05
      True
    """
    alpha, seed, nb = checked_options(level, seed, batches)
    samples = [(reference, "reference", seed), (a, "a", seed + 1), (b, "b", seed + 2)]
    rr, ra, rb = read_samples(samples, nb, features, keep=kept_draws(nb))
    br, ba, bb = rr.moments, ra.moments, rb.moments
    for name, m in (("reference", br), ("a", ba), ("b", bb)):
        if m.published:
            raise ValueError(
                f"{name} must hold batches: a published mean and covariance (mu, sigma) has "
                f"none, and the difference's interval needs {name}'s batches"
            )
    shift = br.shift
    # the delta method, where kept: A's and B's reference pairs are the same (one seed)
    kept = [None if r.kept is None or rr.kept is None else (r.kept, rr.kept) for r in (ra, rb)]
    pa, pb = (paired_parts(m, br, nb, k, seed) for m, k in zip((ba, bb), kept, strict=True))
    qa, qb = pa, pb  # the difference's parts: both by one construction
    if isinstance(pa.first_order, FirstOrder) != isinstance(pb.first_order, FirstOrder):
        qa, qb = (  # one candidate without the delta method: both the jackknife's or the batches'
            paired_parts(m, br, nb, None, seed, p.by_size)
            if isinstance(p.first_order, FirstOrder)
            else p
            for m, p in ((ba, pa), (bb, pb))
        )
    # A's and B's estimates say why they claim nothing; the difference warns for them, once.
    est_a, est_b = (
        estimate_from_moments(
            m, br, level=level, alpha=alpha, b=nb, parts=p, warn=False, kept=k or ()
        )
        for m, p, k in ((ba, pa, (ra.kept, rr.kept)), (bb, pb, (rb.kept, rr.kept)))
    )
    value, half, p, p_b = difference_interval(qa, qb, nb, alpha)
    spread, dof = difference_spread(qa, qb, nb)
    v = scaled_back(value, shift, math.inf if value > 0 else -math.inf)
    lo = scaled_back(value - half, shift, -math.inf)
    hi = scaled_back(value + half, shift, math.inf)
    plug = scaled_back(pa.plug_in - pb.plug_in, shift, math.inf)
    assumption = (
        "independent draws of R, A and B with finite fourth moments; FD is that of the Gaussians "
        "with their means and covariances"
    )
    method = (
        f"FD(A, R) - FD(B, R), each bias-corrected as frechet's on paired batches; Student's t, "
        f"{difference_words(qa, qb, nb, dof)} (A's, B's and the reference's draws paired), "
        "widened by "
        "the rounding allowances; p-value: one-sided t test of FD(A,R) >= FD(B,R)"
        f"{reduced_where(br, ba, bb)}"
    )
    difference = asymptotic_estimate(
        v,
        lo,
        hi,
        level=level,
        quantity="FD(A,R) - FD(B,R)",
        assumption=assumption,
        method=method,
        n=ba.size,
        m=bb.size,
        plug_in=plug,
    )
    # a candidate that copies the reference's draws wins by construction: not compared
    dependent, unchecked = copied(reference, {"a": a, "b": b}, features)
    if unchecked:
        difference = difference._replace(method=f"{difference.method}; {unchecked}")
    # frechet's claim holds from the smallest size on, so the smallest of the three decides
    if dependent:
        why = copied_reason(dependent)
        difference = withheld(difference, -math.inf, math.inf, why, stacklevel=4)
        est_a, est_b = (
            e.without_claim(why, 0.0, math.inf) if k in dependent and e.claims_coverage else e
            for k, e in (("a", est_a), ("b", est_b))
        )
    elif why := (
        frechet_difference_refusal(br.dimension, min(ba.size, bb.size, br.size), nb)
        or tails_refusal(br, ba, bb, kept=(rr.kept, ra.kept, rb.kept))
        or sizes_refusals(((ba, pa, "a"), (bb, pb, "b")), br, nb, spread)
    ):
        difference = withheld(difference, -math.inf, math.inf, why, stacklevel=4)
    return claimed_comparison(difference, (p, p_b), est_a, est_b, dependent)
