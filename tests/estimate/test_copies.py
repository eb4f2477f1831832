"""Whether a candidate copies the reference's draws (divergences.estimate._src.comparison.copies)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from divergences import estimate
from divergences.estimate import NoCoverageWarning
from divergences.estimate._src.comparison.copies import COPY_DRAWS, copied, copies_of


def _laws(seed: int, d: int) -> dict[str, np.ndarray]:
    """The reference, and candidates that copy it or not (300 draws each)."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((300, d))
    partial = rng.standard_normal((300, d))
    partial[:90] = r[rng.integers(0, 300, 90)] + 1e-3 * rng.standard_normal((90, d))
    modes = rng.standard_normal((3, d))
    return {
        "reference": r,
        "copier": r[rng.integers(0, 300, 300)] + 1e-3 * rng.standard_normal((300, d)),
        "30% copies": partial,
        "same law": rng.standard_normal((300, d)),
        "half as wide": 0.5 * rng.standard_normal((300, d)),
        "collapsed on 3 points": modes[rng.integers(0, 3, 300)] + 0.05 * rng.standard_normal((300, d)),
    }  # fmt: skip


@pytest.mark.parametrize("d", [4, 64])
def test_copies_are_seen_and_independent_draws_are_not(d: int) -> None:
    laws = _laws(3, d)
    r = laws.pop("reference")
    seen = {name: copies_of(r, z) for name, z in laws.items()}
    assert seen == {
        "copier": True, "30% copies": True, "same law": False, "half as wide": False,
        "collapsed on 3 points": False,
    }  # fmt: skip


def test_samples_read_once_are_not_checked_and_said_so() -> None:
    laws = _laws(4, 8)
    r, b = laws["reference"], laws["copier"]
    assert copied(r, {"a": laws["same law"], "b": b}) == (("b",), "")
    flagged, unchecked = copied(r, {"a": iter([laws["same law"]]), "b": b})
    assert flagged == ("b",) and unchecked.startswith("copies not checked for a: streamed")
    flagged, unchecked = copied(r, {"b": b}, features=lambda z: z)
    assert flagged == () and "features are mapped a batch at a time" in unchecked
    assert copied(r[:, 0], {"b": b[:, 0]})[0] == ("b",)  # draws on the line
    assert COPY_DRAWS >= 1000  # a subsample large enough to see a share of copies


@pytest.mark.slow  # FD's batches for three samples and the check twice: over the quick tier's 1 s
def test_a_copier_wins_no_fd_comparison() -> None:
    laws = _laws(5, 16)
    r, a, b = laws["reference"], laws["half as wide"], laws["copier"]
    with pytest.warns(NoCoverageWarning, match="B's draws look like copies"):
        out = estimate.frechet_difference(r, a, b)
    assert out.dependent == ("b",) and out.p_value is None
    assert (out.difference.lower_bound, out.difference.upper_bound) == (-math.inf, math.inf)
    assert out.b.kind == "no-coverage-claim"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoCoverageWarning)
        honest = estimate.frechet_difference(r, a, laws["same law"])
        streamed = estimate.frechet_difference(r, a, [b[:150], b[150:]])
    assert honest.dependent == ()
    assert streamed.dependent == () and "copies not checked for b" in streamed.difference.method
