"""The float-range strategies of the harness draw what they announce, valid for the package."""

from __future__ import annotations

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import find, given, settings

from divergences.testing.float_range import KINDS, w1_problems
from divergences.wasserstein._src.discrete_measures import check_measures


@settings(max_examples=min(60, settings().max_examples))
@given(problem=w1_problems())
def test_the_drawn_problems_are_valid_and_of_their_kind(problem):
    # Valid for the package as they are (no ValueError), and of the kind announced.
    check_measures(problem.x, problem.y, problem.a, problem.b)
    x = np.abs(np.concatenate([problem.x, problem.y]).astype(np.float64))
    finfo = jnp.finfo(problem.x.dtype)
    d = 1 if problem.x.ndim == 1 else problem.x.shape[1]
    assert np.all(np.isfinite(x)) and np.all(x <= float(finfo.max) / (4 * d))
    for w in (problem.a, problem.b):
        if w is not None:  # no subnormal mass: the package reads it as 0
            w = w.astype(np.float64)
            assert np.all((w == 0) | (w >= float(finfo.tiny)))
    if problem.kind == "subnormal":
        assert np.all(x < float(finfo.tiny))
    if problem.kind == "overflow":
        assert np.all((x == 0) | (x > float(finfo.max) / 100 / (4 * d)))
    if problem.kind == "low_precision":
        assert problem.x.dtype in (np.float16, ml_dtypes.bfloat16)
    else:
        assert problem.x.dtype in (np.float32, np.float64)


@pytest.mark.slow
def test_every_kind_is_drawn_with_its_hard_case():
    # A subnormal coordinate, 1e300 beside 1e-300 in one problem, a tiny mass on a far point.
    sub = find(w1_problems(kinds=("subnormal",), dtypes=("float64",)), lambda p: np.any(p.x != 0))
    assert np.any((sub.x != 0) & (np.abs(sub.x) < np.finfo(np.float64).tiny))
    mixed = find(
        w1_problems(kinds=("mixed",), dtypes=("float64",)),
        lambda p: np.max(np.abs(p.x)) > 1e200 and 0 < np.min(np.abs(p.x[p.x != 0])) < 1e-200,
    )
    assert mixed.kind == "mixed"
    far = find(w1_problems(kinds=("far_tiny",), dtypes=("float64",)), lambda p: True)
    assert np.max(np.abs(far.x)) >= 3e299 and np.min(far.a) <= 1e-297
    assert set(KINDS) >= {"duplicates", "overflow", "scale"}
