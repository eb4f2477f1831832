"""The draws a kernel measure (KID, MMD^2) reads: an array, a stream of batches, or a reference.

The kernel measures' statistics are quadratic in the draws and their permutation tests relabel
the pooled draws, so they need the draws themselves, where FD needs only its batches' moments
(:mod:`~divergences.estimate._src.reference_set`): a :class:`~divergences.estimate.Reference` stands here for its
kept subsample.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from divergences._src.options import integer_option, seed_option
from divergences.estimate._src.reading import Accumulator, is_array
from divergences.estimate._src.reference_set import Reference

__all__ = ["kernel_draws", "kernel_samples"]


def kernel_draws(
    z: Any,
    name: str,
    *,
    subsample: Any = None,
    seed: int = 0,
    features: Callable[[Any], Any] | None = None,
) -> tuple[Any, str]:
    """The draws a kernel measure (KID, MMD^2) reads from ``z``, and how, in words.

    The kernel measures' statistics are quadratic in the draws and their permutation tests
    relabel the pooled draws, so they need the draws themselves: no fixed-size statistic stands
    for them. ``z`` is an array (taken as it is), an iterable of batches of draws or, with
    ``features``, of inputs (read in one pass, each batch copied in its own dtype: float32
    features take half of float64's memory), or a :class:`Reference` (its kept subsample).
    With ``subsample = k``, a seeded uniform subsample of at most ``k`` draws is kept instead, the
    reference's rule (the ``k`` smallest hashes of the positions, the same whole or in
    batches): memory :math:`O(k d)` whatever the number read. A subsample of independent draws
    is a sample of the same law, so the estimate and its interval hold for it, wider.

    Returns:
      ``(array, note)``: the draws, and ``""`` where every draw of ``z`` was kept, else the
      words a result's ``method`` adds (``"x: a seeded uniform subsample of 100 of 4000
      draws"``).

    Raises:
      ValueError: naming ``name`` as the draws' rules, for a reference holding no draws (a
        published mean and covariance), or a bad ``subsample`` or ``seed``.
    """
    k = None if subsample is None else integer_option(subsample, "subsample", minimum=2,
                                                      note="the draws kept a side")  # fmt: skip
    seed = seed_option(seed, note="it draws the subsample")
    if isinstance(z, Reference):
        if z.subsample.shape[0] == 0:
            raise ValueError(
                f"{name} is a Reference without draws (a published mean and covariance, or "
                "subsample=0): the kernel measures need draws; keep some with "
                "reference(..., subsample=k)"
            )
        total, source = z.size, z.subsample
        if k is None or k >= source.shape[0]:
            return (
                source,
                f"{name}: the reference's kept subsample of {source.shape[0]} of {total} draws",
            )
    elif features is None and is_array(z) and k is None:
        return z, ""
    else:
        total, source = -1, z
    acc = Accumulator(None, seed, name, keep=k)
    acc.feed(source, None if isinstance(z, Reference) else features)
    kept = acc.kept()
    read = acc.position if total < 0 else total
    if kept.shape[0] == read:
        return kept, ""
    return kept, f"{name}: a seeded uniform subsample of {kept.shape[0]} of {read} draws"


def kernel_samples(
    named: tuple[tuple[Any, str], ...],
    *,
    subsample: Any,
    seed: int,
    features: Callable[[Any], Any] | None,
    draws: Any = None,
    stacklevel: int = 3,
) -> tuple[list[Any], str]:
    """:func:`kernel_draws` of each ``(z, name)``; the draws and the notes, joined (``""``: none).

    ``draws`` is ``subsample``'s former name, taken with a ``DeprecationWarning`` (``stacklevel``
    its, 3: the entry's caller); both given is refused.
    """
    if draws is not None:
        if subsample is not None:
            raise ValueError(
                "subsample and draws name one knob (draws is its former name): give subsample only"
            )
        warnings.warn(
            "draws=k is now subsample=k (the number of draws kept a side)",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        subsample = draws
    read = [
        kernel_draws(z, name, subsample=subsample, seed=seed, features=features)
        for z, name in named
    ]
    notes = "; ".join(note for _, note in read if note)
    return [a for a, _ in read], notes
