"""A stream's batches gathered into whole chunks: every row once, in order, copied."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from divergences.estimate._src.chunks import Chunks


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 50), max_size=10),
    wide=st.lists(st.booleans(), max_size=10),
    step=st.integers(1, 20),
)
def test_chunks_hand_on_every_row_once_in_order_in_whole_chunks(sizes, wide, step):
    rng = np.random.default_rng(len(sizes))
    items = [
        rng.standard_normal((k, 3)).astype(np.float64 if w else np.float32)
        for k, w in zip(sizes, wide + [False] * len(sizes), strict=False)
    ]
    loader = np.zeros((50, 3), np.float32)  # a loader that reuses its buffer
    got: list[np.ndarray] = []
    chunks = Chunks(lambda rows: got.append(rows.astype(np.float64)))
    for item in items:
        if item.dtype == np.float32:
            loader[: item.shape[0]] = item
            chunks.add(loader[: item.shape[0]], step)
            loader[:] = np.nan  # overwritten before the next batch
        else:
            chunks.add(item, step)
    chunks.flush()
    want = np.concatenate([np.zeros((0, 3)), *(i.astype(np.float64) for i in items)])
    np.testing.assert_array_equal(np.concatenate([np.zeros((0, 3)), *got]), want)
    kinds = [i.dtype for i in items if i.shape[0]]
    if len(set(kinds)) <= 1:  # one dtype: whole chunks but the last
        assert all(g.shape[0] % step == 0 for g in got[:-1])
        assert all(g.shape[0] > 0 for g in got)
