"""FD's sufficient statistics: batches by position, one float64 pass, whole or streamed alike."""

from __future__ import annotations

import numpy as np
import pytest

from divergences.estimate._src.reading import (
    Accumulator,
    MomentsSum,
    Reservoir,
    accumulate,
    batch_labels,
    kept_rows,
    union_moments,
)


def test_each_block_of_b_draws_gives_each_batch_one():
    labels = batch_labels(0, 4000, 4, seed=7)
    blocks = labels.reshape(-1, 4)
    assert np.all(np.sort(blocks, axis=1) == np.arange(4))
    assert len({tuple(b) for b in blocks.tolist()}) == 4  # the rotation moves
    np.testing.assert_array_equal(batch_labels(1234, 100, 4, 7), labels[1234:1334])
    assert not np.array_equal(batch_labels(0, 4000, 4, seed=8), labels)


def test_the_moments_are_numpy_s_in_float64_from_float32_draws():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3001, 7)) * 1e3 + 5e3).astype(np.float32)
    m = accumulate(x, batches=4, seed=0, name="x")
    whole = union_moments(m.parts, 7)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(np.ldexp(whole.mean, m.shift), x64.mean(0), rtol=1e-13)
    cov = np.ldexp(whole.full_scatter(), 2 * m.shift) / 3000
    np.testing.assert_allclose(cov, np.cov(x64, rowvar=False), rtol=1e-11)
    assert sorted(p.size for p in m.parts) == [750, 750, 750, 751]


def test_a_stream_whose_scale_grows_keeps_the_same_statistics():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 3))
    x[300:] *= 1e200  # the largest coordinate arrives late: the kept sums are scaled down
    whole = accumulate(x, batches=2, seed=0, name="x")
    streamed = accumulate([x[:300], x[300:]], batches=2, seed=0, name="x")
    assert whole.shift == streamed.shift
    for a, b in zip(whole.parts, streamed.parts, strict=True):
        assert a.size == b.size
        np.testing.assert_allclose(a.full_scatter(), b.full_scatter(), rtol=1e-12)


@pytest.mark.parametrize(
    ("draws", "match"),
    [
        ([np.zeros((5, 3)), np.zeros((5, 4))], r"x's batches must be draws of one dimension"),
        ([np.zeros((5, 3)), np.full((2, 3), np.nan)], r"x must be finite: 2 of its 7 draws"),
        (iter([]), r"x must hold at least one draw"),
        ([np.zeros((0, 3)), np.zeros((0, 3))], r"x must hold at least one draw"),
        ([np.zeros((5, 3)), np.zeros((0, 4))], r"x's batches must be draws of one dimension"),
        ([np.zeros((5, 3)), np.zeros((0, 3), "U1")], r"x must hold real numbers"),
        (5, r"x must have shape \(n, d\)"),
        (object(), r"x must be an array of draws, an iterable of batches"),
    ],
)
def test_each_rule_of_a_stream_names_it(draws, match):
    with pytest.raises(ValueError, match=match):
        accumulate(draws, batches=2, seed=0, name="x")


def test_an_empty_batch_in_a_stream_is_skipped():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 3)).astype(np.float32)
    empty = x[:0]  # a filter that kept nothing, a last partial batch of none
    whole = accumulate([x[:20], x[20:]], batches=2, seed=0, name="x")
    streamed = accumulate([empty, x[:20], empty, x[20:], empty], batches=2, seed=0, name="x")
    assert whole.shift == streamed.shift
    for a, b in zip(whole.parts, streamed.parts, strict=True):
        assert a.size == b.size
        np.testing.assert_array_equal(a.full_scatter(), b.full_scatter())
    mapped = accumulate([x[:0] / 2, x[:20] / 2, x[20:] / 2], batches=2, seed=0, name="x",
                        features=lambda z: 2 * z)  # fmt: skip
    assert [p.size for p in mapped.parts] == [p.size for p in whole.parts]
    line = accumulate([x[:, 0], x[:0, 0]], batches=2, seed=0, name="x")  # (0,) on the line
    assert line.size == 50 and line.dimension == 1


def test_the_reservoir_keeps_the_same_draws_whole_in_pieces_or_gathered():
    """The subsample is a function of the positions and the seed: read whole, split, or by index."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1000, 3)).astype(np.float32)
    whole, pieces = Reservoir(50, seed=3), Reservoir(50, seed=3)
    whole.add(x, 0)
    start = 0
    for part in np.array_split(x, 9):
        pieces.add(part, start)
        start += part.shape[0]
    kept = whole.draws(3)
    assert kept.shape == (50, 3) and kept.dtype == np.float32
    assert np.array_equal(kept, pieces.draws(3))
    assert np.array_equal(kept, kept_rows(x, 50, seed=3))
    assert not np.array_equal(kept, kept_rows(x, 50, seed=4))  # another seed, other draws
    every = Reservoir(None, seed=0)
    every.add(x[:10], 0)
    every.add(x[10:], 10)
    assert np.array_equal(every.draws(3), x)


def test_the_accumulator_s_jobs_are_asked_for_apart():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((200, 4))
    only_draws = Accumulator(None, 0, "x", keep=20)
    only_draws.feed(x)
    assert only_draws.moments is None and only_draws.kept().shape == (20, 4)
    with pytest.raises(AssertionError, match="without batches"):
        only_draws.finished()
    both = Accumulator(4, 0, "x", keep=None)
    both.feed(iter(np.array_split(x, 3)))
    assert np.array_equal(both.kept(), x)
    assert both.finished().size == 200
    # the subsample's size as a function of the dimension, decided at the first rows
    by_dimension = Accumulator(4, 0, "x", keep=lambda d: 30 if d == 4 else 0)
    by_dimension.feed(iter(np.array_split(x, 3)))
    assert np.array_equal(by_dimension.kept(), kept_rows(x, 30, seed=0))
    none = Accumulator(4, 0, "x", keep=lambda d: 30 if d == 5 else 0)
    none.feed(x)
    assert none.reservoir is None and none.kept().shape == (0, 4)
    moments = MomentsSum(4, 0, None)
    moments.add(x, 0, float(np.max(np.abs(x))))
    summed = moments.result(4, 0)  # the draws times 2^-shift
    mean = np.ldexp(union_moments(summed.parts, 4).mean, summed.shift)
    assert mean == pytest.approx(x.mean(axis=0), rel=1e-12)
