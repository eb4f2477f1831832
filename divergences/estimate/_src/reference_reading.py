"""A reference set read once: FD's variance groups and the kernels' subsample, in one pass.

The constructor of :class:`~divergences.estimate.Reference`
(:mod:`~divergences.estimate._src.reference_set` holds the type, its file and its readers). It
stands above the families because it reads the draws by FD's own rule
(:func:`~divergences.estimate._src.frechet.groups.variance_groups`) and keeps the subsample the
kernel measures read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from divergences._src.options import integer_option, seed_option
from divergences.estimate._src.frechet.groups import variance_groups
from divergences.estimate._src.reading import Accumulator, pooled_batches
from divergences.estimate._src.reference_set import Reference
from divergences.estimate._src.samples import check_at_least

__all__ = ["reference"]


def reference(
    draws: Any,
    *,
    batches: int = 4,
    seed: int = 0,
    subsample: int | None = 10_000,
    features: Callable[[Any], Any] | None = None,
) -> Reference:
    r"""A reference sample's statistics, from its draws in one pass (module docstring).

    The batches are those :func:`~divergences.estimate.frechet` forms for ``x`` with this seed:
    ``frechet(reference(x, seed=s), y, seed=s)`` equals ``frechet(x, y, seed=s)`` up to
    rounding, but from d = 64, where the interval's delta method runs on 2000 of the
    reference's own kept draws rather than the sample's (its ends move by about the kept
    draws' sampling error). Memory :math:`O(B d^2 + k d)` whatever the number of
    draws.

    Args:
      draws: an array ``(n, d)``, an iterable of such arrays, or (with ``features``) an
        iterable of inputs.
      batches: FD's number of batches (the coverage table measured 4).
      seed: the seed of the batches and of the subsample, an integer ``>= 0``.
      subsample: the number ``k >= 0`` of draws kept for the kernel measures (all where fewer);
        ``None``: every draw, as the kernel measures' ``subsample=None``. From d = 64
        :func:`frechet` also runs its delta method on 2000 of them (a seeded choice; with fewer
        than 200 its ``method`` says why it did not).
      features: a map from a batch of inputs to its features.

    Returns:
      A :class:`Reference`.

    Raises:
      ValueError: as the draws' rules (dtype, shape, NaN or inf), naming ``draws``; for fewer
        than ``2 B`` draws (FD's batches of at least 2); for ``batches``, ``seed`` or
        ``subsample`` out of their ranges.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> ref = dv.estimate.reference(rng.standard_normal((4000, 16)), subsample=100)
      >>> ref.size, ref.subsample.shape
      (4000, (100, 16))
    """
    b = integer_option(batches, "batches", minimum=2, note="FD's disjoint batches")
    seed = seed_option(seed, note="it draws the batches and the subsample")
    k = (
        None
        if subsample is None
        else integer_option(subsample, "subsample", minimum=0, note="the draws kept for kernels")
    )
    # frechet's variance groups, kept where each holds 2 draws, else pooled into the b batches:
    # either way the reference's batch j is the sample's batch j as this version's frechet reads
    # it from draws (the same draws, the same seed), and its interval the one against the draws;
    # a file saved where an earlier version kept the batches only holds those, split otherwise
    acc = Accumulator(lambda d: variance_groups(d, b), seed, "draws", keep=k)
    acc.feed(draws, features)
    groups = acc.finished()
    check_at_least(groups.size, 2 * b, "draws", f"FD's {b} batches of at least 2 draws each")
    kept = len(groups.parts) > b and min(p.size for p in groups.parts) >= 2
    return Reference(groups if kept else pooled_batches(groups, b), seed, acc.kept(), b)
