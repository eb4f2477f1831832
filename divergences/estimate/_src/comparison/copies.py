r"""Whether a candidate's draws copy the reference's: a narrow kernel's statistic below its relabellings.

A comparison of two models against one reference assumes each model's draws independent of
the reference's. A model that returns the reference's draws (a generator that memorised its
training set, scored against it) breaks that, and it also wins: its draws are nearest the
reference by construction. :func:`copied` looks for it without held-out draws.

**The check.** On a seeded subsample of at most :data:`COPY_DRAWS` draws of each sample, the
unbiased :math:`\mathrm{MMD}^2_u` of the Gaussian kernel of width :math:`c\,s`, :math:`s` the
median heuristic's and :math:`c =` :data:`COPY_WIDTH`: narrow enough that two draws count only
where they nearly coincide. Copies put each of their pairs in the cross term, so the statistic
falls below 0; :func:`~.normal_interval.looks_dependent` then reads it, as KID's check does: the
statistic below 0 by its symmetric interval and below all but 1% of its 200 seeded
relabellings. Under independent draws of one law the relabellings are exchangeable with it,
so a candidate is flagged with probability at most 1%, at every sample size; a law apart from
the reference's moves the statistic up.

**Measured** (``benchmarks/estimates.md``, "The comparisons' copy check"): on Gaussians in
d = 4, 64 and 512 with 300 draws, independent draws of the same law, of a law half as wide, of
one collapsed on 3 points and of Student's t(3) were flagged in 0 of 1,200 runs; a candidate
whose draws are 30% copies (noise 1e-3), or all copies, in every run; 10% copies in every run
from d = 64, in 47 of 100 in d = 4. On the digits' pixels (1,258 training draws), a copier with
noise 0.01, and 54 copies among 539 held-out digits, were flagged in 3 of 3 runs, the held-out
digits and the digits of 3 classes in 0 of 3. The check costs 2.4 s a candidate at
5 x 10^4 x 2048 in float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from divergences.estimate._src.kernel.mmd import gaussian_sums, median_bandwidth
from divergences.estimate._src.kernel.normal_interval import looks_dependent
from divergences.estimate._src.kernel.sums import PERMUTATIONS, SEED
from divergences.estimate._src.reference_set import Reference
from divergences.estimate._src.samples import relabellings

__all__ = ["COPY_DRAWS", "COPY_WIDTH", "copied", "copied_reason", "kept_draws"]

#: The kernel's width as a share of the median heuristic's: only near-coincident draws count.
COPY_WIDTH = 0.1
#: The most draws of each sample the check reads (a seeded uniform subsample beyond).
COPY_DRAWS = 2000


def kept_draws(z: Any) -> Any:
    """The draws the check can read: an array as given, a Reference's kept subsample, or None.

    An iterable of batches is read once, by the estimator, and not kept: None.
    """
    if isinstance(z, Reference):
        sub = z.subsample
        return None if sub is None or np.shape(sub)[0] < 2 else sub
    if not (hasattr(z, "shape") and hasattr(z, "dtype")) or len(np.shape(z)) not in (1, 2):
        return None
    return z if len(np.shape(z)) == 2 else z[:, None]  # draws on the line


def _subsample(z: Any, rng: np.random.Generator) -> Any:
    if z.shape[0] <= COPY_DRAWS:
        return z
    return z[np.sort(rng.choice(z.shape[0], COPY_DRAWS, replace=False))]


def copies_of(reference: Any, candidate: Any) -> bool:
    """Whether ``candidate``'s draws look like copies of ``reference``'s (module docstring).

    Both are ``(n, d)`` arrays of at least 2 draws, on the host or a device.
    """
    rng = np.random.default_rng(SEED)
    rs, cs = _subsample(reference, rng), _subsample(candidate, rng)
    n, m = rs.shape[0], cs.shape[0]
    width = COPY_WIDTH * median_bandwidth(rs, cs)
    if not (width > 0.0 and math.isfinite(width)):
        return False
    sums = gaussian_sums(rs, cs, relabellings(n, m, PERMUTATIONS, SEED), width)
    # alpha = 0.02: looks_dependent's lower tail is then its own 1% (DEPENDENT_LEVEL)
    return bool(looks_dependent(sums, n, m, 0.02, 1.0))


def copied(
    reference: Any, candidates: dict[str, Any], features: Any = None
) -> tuple[tuple[str, ...], str]:
    """The candidates (by name) whose draws look like copies of ``reference``'s, and why not checked.

    Returns:
      ``(names, unchecked)``: the names of the candidates flagged, and ``""`` or the words
      saying which samples could not be read twice (streamed batches, or inputs mapped to
      features a batch at a time): those are not checked.
    """
    if features is not None:
        return (), "copies not checked: the features are mapped a batch at a time, not kept"
    ref = kept_draws(reference)
    flagged, unread = [], []
    for name, z in candidates.items():
        draws = kept_draws(z)
        if ref is None or draws is None:
            unread.append(name)
        elif copies_of(ref, draws):
            flagged.append(name)
    unchecked = ""
    if unread:
        unchecked = (
            f"copies not checked for {' and '.join(unread)}: streamed batches are read once "
            "(pass arrays, or a Reference that keeps a subsample)"
        )
    return tuple(flagged), unchecked


def copied_reason(dependent: tuple[str, ...]) -> str:
    """Why a comparison claims nothing where candidates ``dependent`` copy the reference's draws."""
    who = " and ".join(k.upper() for k in dependent)
    draws = "draws look" if len(dependent) == 1 else "draws each look"
    return (
        f"{who}'s {draws} like copies of the reference's (a narrow kernel's MMD^2 below 0 by its "
        "interval and below its relabellings, or KID's): a copy is nearest the reference by "
        "construction, so the comparison claims nothing for it"
    )
