"""FD's sufficient statistics: batches by position, one float64 pass, whole or streamed alike."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from divergences.estimate._src import reading
from divergences.estimate._src.reading import (
    Accumulator,
    Moments,
    MomentsSum,
    Reservoir,
    accumulate,
    batch_labels,
    kept_rows,
    merge,
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
    np.testing.assert_array_equal(whole.scatter, whole.scatter.T)  # the merges' update is symmetric


@pytest.mark.parametrize("d", [1, 3, 40])
def test_a_merge_is_chan_s_update_exactly_symmetric(d):
    rng = np.random.default_rng(d)
    a, b = rng.standard_normal((60, d)) * 3.0 + 7.0, rng.standard_normal((90, d)) - 2.0
    merged = merge(_moments(a, d), _moments(b, d), d)
    both = np.concatenate([a, b])
    assert merged.size == 150
    np.testing.assert_allclose(merged.mean, both.mean(0), rtol=1e-13)
    centred = both - both.mean(0)
    np.testing.assert_allclose(merged.scatter, centred.T @ centred, rtol=1e-12, atol=1e-10)
    np.testing.assert_array_equal(merged.scatter, merged.scatter.T)


def _moments(rows: np.ndarray, d: int) -> Moments:
    centred = rows - rows.mean(0)
    return Moments(rows.shape[0], rows.mean(0), centred.T @ centred, None)


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


def test_a_stream_is_read_in_the_array_s_own_chunks(monkeypatch):
    # A loader's small batches were each read as a chunk: at d = 2048 a stream of 4096-draw
    # batches took 1.3 times as long as the array. Gathered, the two give the same bits.
    monkeypatch.setattr(reading, "CHUNK_BYTES", 8 * 5 * 64)  # 64 draws a chunk in d = 5
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((1000, 5)) * 2.0 + 1.0).astype(np.float32)
    cuts = np.cumsum([0, 1, 63, 64, 200, 7, 0, 130, 5, 300])
    batches = [x[a:b] for a, b in itertools.pairwise(cuts)] + [x[cuts[-1] :]]
    whole = accumulate(x, batches=4, seed=2, name="x")
    streamed = accumulate(iter(batches), batches=4, seed=2, name="x")
    for a, b in zip(whole.parts, streamed.parts, strict=True):
        assert a.size == b.size
        np.testing.assert_array_equal(a.mean, b.mean)
        np.testing.assert_array_equal(a.scatter, b.scatter)


def test_a_union_leaves_its_parts_as_they_were():
    rng = np.random.default_rng(5)
    parts = accumulate(rng.standard_normal((160, 3)), batches=4, seed=0, name="x").parts
    before = [p.scatter.copy() for p in parts]
    whole = union_moments(parts, 3)
    for p, b in zip(parts, before, strict=True):
        np.testing.assert_array_equal(p.scatter, b)
    assert whole.size == 160 and not any(whole.scatter is p.scatter for p in parts)


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
