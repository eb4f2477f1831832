"""The k-th nearest point's search for draws held by a device (estimate/_src/neighbours/device_search.py).

The device path is taken for an accelerator's arrays; here the CPU is named an accelerator
(``cpu_as_accelerator``), so that the same programs run. The host's engine reads the same draws
as float64 NumPy arrays: both must find the same points at the same distances, to rounding.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.estimate._src.neighbours import device_search as DS
from divergences.estimate._src.neighbours import search as S

pytestmark = pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")


def _draws(seed: int, n: int, d: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) + shift).astype(np.float32)


def _lattice() -> np.ndarray:
    """The 6 x 6 x 6 integer lattice: the 8th nearest point of most ties with those left out."""
    return np.stack(np.meshgrid(*[np.arange(6.0)] * 3), -1).reshape(-1, 3)


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
@pytest.mark.parametrize("others", [False, True])
def test_a_device_s_search_finds_the_host_s_points(others: bool) -> None:
    x, y = _draws(0, 700, 16), _draws(1, 500, 16, 0.3)
    q = y if others else None
    want = S.kth_neighbours(x.astype(np.float64), 3, None if q is None else q.astype(np.float64))
    got = S.kth_neighbours(jnp.asarray(x), 3, None if q is None else jnp.asarray(q))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-14, atol=0.0)
    assert np.array_equal(got[1], want[1])


@pytest.mark.slow  # 5.0 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_rows_whose_choice_is_not_certified_are_searched_again_exactly() -> None:
    g = _lattice()
    _, _, redone = DS.kth_neighbours_on_device(jnp.asarray(g), 8, None, 12, 64)
    assert redone > 0  # ties at the 8th distance (sqrt 2) with points left out
    q = g[:50] + 0.5
    for queries in (None, q):
        want = S.kth_neighbours(g, 8, queries, engine="xla")
        on = None if queries is None else jnp.asarray(queries)
        got = S.kth_neighbours(jnp.asarray(g), 8, on, engine="xla")  # the device's own search
        np.testing.assert_array_equal(got[0], want[0])  # the lattice's distances are exact


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_draws_far_from_1_are_scaled_where_they_live() -> None:
    z = _draws(2, 300, 12).astype(np.float64) * 1e200
    want = S.kth_neighbour_distances(z, 2)
    with jax.enable_x64(True):
        got = S.kth_neighbour_distances(jnp.asarray(z), 2)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0.0)
    assert math.isfinite(got.max())


@pytest.mark.slow  # each estimate's searches compiled twice over: 4 to 10 s
@pytest.mark.usefixtures("cpu_as_accelerator")
@pytest.mark.parametrize("d", [2, 16])
def test_the_k_nn_estimates_of_a_device_s_draws_are_the_host_s(d: int) -> None:
    # d = 2: the k-d tree (the host's); d = 16: the XLA engine on the device
    x, y = _draws(3, 600, d), _draws(4, 700, d, 0.3)
    X, Y = jnp.asarray(x), jnp.asarray(y)
    pairs = [
        (dv.estimate.kl(x, y), dv.estimate.kl(X, Y)),
        (dv.estimate.js(x, y), dv.estimate.js(X, Y)),
        (dv.estimate.entropy(x), dv.estimate.entropy(X)),
    ]
    for want, got in pairs:
        said = "; searched on cpu:0" if d > S.TREE_MAX_DIMENSION else ""
        assert got.method.replace(said, "") == want.method and said in got.method
        assert got.kind == want.kind
        for a, b in zip(got[:3], want[:3], strict=True):
            assert a == pytest.approx(b, rel=1e-12, abs=0.0), want.quantity


@pytest.mark.usefixtures("cpu_as_accelerator")
def test_a_device_s_bad_draws_are_refused_by_name() -> None:
    x = _draws(5, 40, 3)
    bad = x.copy()
    bad[4, 2] = np.inf
    with pytest.raises(ValueError, match="y must be finite: 1 of its 40 draws"):
        dv.estimate.kl(jnp.asarray(x), jnp.asarray(bad))
    with pytest.raises(ValueError, match="x and y must be draws in one dimension"):
        dv.estimate.js(jnp.asarray(x), jnp.asarray(x[:, :2]))


def test_a_cpu_s_arrays_take_the_host_s_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(S, "kth_neighbours_on_device", lambda *a: calls.append(a))
    x = _draws(6, 200, 12)
    want = S.kth_neighbour_distances(x.astype(np.float64), 3)
    np.testing.assert_array_equal(S.kth_neighbour_distances(jnp.asarray(x), 3), want)
    assert not calls


def _counts_equal(got, want) -> None:
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.slow  # 2.7 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_a_device_s_ball_counts_are_the_host_s() -> None:
    # high dimension: many pairs within float32's bound of a radius (decided in float64)
    x, y = _draws(7, 400, 256), _draws(8, 300, 256) * np.float32(1.05)
    xs, ys = x.astype(np.float64), y.astype(np.float64)
    r, s = S.kth_neighbour_distances(xs, 5), S.kth_neighbour_distances(ys, 5)
    want = S.ball_counts(xs, r, ys, s, engine="xla")
    assert np.count_nonzero(want.y_in_ball) > 0 and np.count_nonzero(want.in_x_balls) > 0
    _counts_equal(S.ball_counts(jnp.asarray(x), r, jnp.asarray(y), s, engine="xla"), want)


@pytest.mark.slow  # 2.9 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_a_device_s_ties_and_crowded_rows_are_decided_as_the_host_decides(monkeypatch) -> None:
    # the lattice against itself shifted by nothing: every radius has ties on its sphere; with
    # 4 undecided pairs kept a row, the crowded rows are tested again by float64 products
    monkeypatch.setattr(DS, "UNDECIDED_KEPT", 4)
    monkeypatch.setattr(S, "UNDECIDED_KEPT", 4)
    DS.ball_blocks.clear_cache()  # the count is read when the program is traced
    crowded = []
    real = DS._rows_by_products
    monkeypatch.setattr(DS, "_rows_by_products", lambda *a: crowded.append(1) or real(*a))
    g = _lattice()
    h = g[::2] + 0.0
    r, s = S.kth_neighbour_distances(g, 6), S.kth_neighbour_distances(h, 3)
    want = S.ball_counts(g, r, h, s, engine="xla")
    got = S.ball_counts(jnp.asarray(g), r, jnp.asarray(h), s, engine="xla")
    _counts_equal(got, want)
    tree = S.ball_counts(g, r, h, s, engine="tree")  # and the k-d tree's exact counts
    _counts_equal(got, tree)
    assert crowded  # the rows with more undecided pairs than kept were tested again
    DS.ball_blocks.clear_cache()


def _fidelity_both(x: np.ndarray, y: np.ndarray) -> tuple:
    """The four measures of the draws held by the device, and of the host's read of them."""
    got = dv.estimate.fidelity_diversity(real=jnp.asarray(x), generated=jnp.asarray(y))
    return got, dv.estimate.fidelity_diversity(real=x, generated=y)


@pytest.mark.slow  # the four measures' searches compiled twice over
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_precision_recall_density_coverage_of_a_device_s_draws_are_the_host_s() -> None:
    got, want = _fidelity_both(_draws(9, 500, 32), _draws(10, 400, 32, 0.2))
    for a, b in zip(got, want, strict=True):
        assert a[:3] == b[:3] and a.method == b.method + "; searched on cpu:0"


@pytest.mark.slow  # 2.9 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_memorisation_of_a_device_s_draws_is_the_host_s() -> None:
    t, h = _draws(11, 300, 16), _draws(12, 200, 16)
    g = np.concatenate([t[:40] + np.float32(1e-3), _draws(13, 160, 16)])  # 40 near-copies
    want = dv.estimate.memorisation(training=t, generated=g, held_out=h, permutations=50)
    got = dv.estimate.memorisation(
        training=jnp.asarray(t), generated=jnp.asarray(g), held_out=jnp.asarray(h), permutations=50
    )
    assert got.training[:3] == want.training[:3] and got.test.p_value == want.test.p_value
    assert got.test.method == want.test.method + "; searched on cpu:0" and got.copying


@pytest.mark.slow  # 4.8 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_fewer_real_draws_than_undecided_pairs_kept_a_row() -> None:
    # d > 8 takes XLA's ball counts, which keep up to 64 undecided pairs a row: 40 real draws
    got, want = _fidelity_both(_draws(14, 40, 12), _draws(15, 50, 12, 0.1))
    for a, b in zip(got, want, strict=True):
        assert a[:3] == b[:3]


@pytest.mark.slow  # 1.1 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_integer_draws_on_a_device_are_read_as_the_host_reads_them() -> None:
    rng = np.random.default_rng(16)
    x = rng.integers(-(2**40), 2**40, size=(300, 12))  # beyond float32's integers
    y = x[:200] + rng.integers(1, 9, size=(200, 12))
    with jax.enable_x64(True):
        got = S.kth_neighbour_distances(jnp.asarray(x), 3, jnp.asarray(y))
    want = S.kth_neighbour_distances(x.astype(np.float64), 3, y.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0.0)
