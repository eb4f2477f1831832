"""The strategies of ``divergences.testing`` produce what their docstrings claim."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import find, given
from hypothesis import strategies as st

import divergences as dv
from divergences._src.domain import check_pmf
from divergences._src.precision import sum_tolerance
from divergences.testing import critic_values
from divergences.testing import strategies as dvt
from tests.helpers import quick_only

DTYPES = [np.float64, np.float32]


def assert_valid_pmf(p: np.ndarray, dtype: type) -> None:
    assert p.dtype == np.dtype(dtype)
    assert np.isfinite(p).all()
    assert (p >= 0).all()
    assert (p > 0).any()
    assert abs(p.sum(dtype=np.float64) - 1) <= sum_tolerance(dtype)
    # No subnormal masses: XLA on CPU would flush them to zero.
    positive = p[p > 0]
    assert (positive >= np.finfo(dtype).tiny).all()
    check_pmf(p, "p")  # the package accepts it as it is


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_pmfs_are_valid(dtype: type, data: st.DataObject) -> None:
    p = data.draw(dvt.pmfs(dtype=dtype))
    assert p.ndim == 1 and 1 <= p.size <= 8
    assert_valid_pmf(p, dtype)


@given(dvt.pmfs(5), dvt.pmfs([2, 7]))
def test_pmfs_lengths(p: np.ndarray, p27: np.ndarray) -> None:
    assert p.shape == (5,)
    assert p27.size in (2, 7)


@given(dvt.pmfs(4, zeros=False, tiny=False, degenerate=False))
def test_interior_pmfs(p: np.ndarray) -> None:
    assert (p >= 1e-3 / 4).all()


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
def test_pmfs_reach_the_hard_cases(dtype: type) -> None:
    tiny = np.finfo(dtype).tiny
    # Each case exists among the drawn examples: exact zeros, the dtype's tiny, near-degenerate.
    with_zero = find(dvt.pmfs(4, dtype=dtype), lambda p: (p == 0).any())
    assert (with_zero == 0).any()
    with_tiny = find(dvt.pmfs(4, dtype=dtype), lambda p: (p == tiny).any())
    assert_valid_pmf(with_tiny, dtype)
    near_one = find(dvt.pmfs(4, dtype=dtype), lambda p: 0 < 1 - p.max() < 1e-5)
    assert_valid_pmf(near_one, dtype)


def test_zeros_off_means_no_zeros() -> None:
    @given(dvt.pmfs(6, zeros=False), dvt.pmf_pairs([1, 4], zeros=False))
    def check(p: np.ndarray, pq: tuple[np.ndarray, np.ndarray]) -> None:
        assert (p > 0).all()
        assert (pq[0] > 0).all() and (pq[1] > 0).all()

    check()


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        find(dvt.pmfs(3, dtype=np.int32), lambda _: True)
    with pytest.raises(ValueError, match="relation must be one of"):
        find(dvt.pmf_pairs(3, relation="close"), lambda _: True)
    with pytest.raises(ValueError, match="at least 2"):
        find(dvt.pmf_pairs(1, relation="disjoint"), lambda _: True)


@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_pairs_any_are_valid_pairs(dtype: type, data: st.DataObject) -> None:
    p, q = data.draw(dvt.pmf_pairs(dtype=dtype))
    assert p.shape == q.shape
    assert_valid_pmf(p, dtype)
    assert_valid_pmf(q, dtype)


@given(dvt.pmf_pairs(relation="disjoint"))
def test_disjoint_pairs_are_disjoint(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert p.size >= 2
    assert not ((p > 0) & (q > 0)).any()
    assert_valid_pmf(p, np.float64)
    assert_valid_pmf(q, np.float64)


@given(dvt.pmf_pairs([2, 5], relation="shared_zeros"))
def test_shared_zero_pairs(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    both_zero = (p == 0) & (q == 0)
    assert both_zero.any()
    assert ((p > 0) == (q > 0)).all()  # the same support


@given(dvt.pmf_pairs(3, relation="identical"))
def test_identical_pairs(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    np.testing.assert_array_equal(p, q)
    assert p is not q


@pytest.mark.slow
def test_pairs_any_reach_every_relation() -> None:
    strategy = dvt.pmf_pairs(4)
    disjoint = find(strategy, lambda pq: not ((pq[0] > 0) & (pq[1] > 0)).any())
    assert not ((disjoint[0] > 0) & (disjoint[1] > 0)).any()
    find(strategy, lambda pq: bool(((pq[0] == 0) & (pq[1] == 0)).any()))
    find(strategy, lambda pq: bool(np.array_equal(pq[0], pq[1])))
    find(strategy, lambda pq: not np.array_equal(pq[0], pq[1]) and (pq[0] > 0).all())


@given(dvt.pmf_triples([2, 3]))
def test_triples(pqr: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    p, q, r = pqr
    assert p.shape == q.shape == r.shape
    for x in pqr:
        assert_valid_pmf(x, np.float64)


@pytest.mark.slow
def test_triples_include_degenerate_triangles() -> None:
    find(dvt.pmf_triples(3), lambda t: bool(np.array_equal(t[0], t[2])))


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
@given(dvt.pmf_batches(3, batch=[1, 4]), dvt.pmf_batches(dtype=np.float32))
def test_batches(ps: np.ndarray, ps32: np.ndarray) -> None:
    assert ps.shape[0] in (1, 4) and ps.shape[1] == 3
    assert ps32.ndim == 2 and 1 <= ps32.shape[0] <= 4
    for row in ps:
        assert_valid_pmf(row, np.float64)
    for row in ps32:
        assert_valid_pmf(row, np.float32)


@given(dvt.pmf_pair_batches(4, batch=3, relation="disjoint"))
def test_pair_batches(pq: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pq
    assert p.shape == q.shape == (3, 4)
    assert not ((p > 0) & (q > 0)).any()


@given(critic_values.discriminators(5), critic_values.discriminators(3, endpoints=False))
def test_discriminators(d: np.ndarray, inner: np.ndarray) -> None:
    assert d.shape == (5,) and ((d >= 0) & (d <= 1)).all()
    assert ((inner > 0) & (inner < 1)).all()


def test_discriminators_reach_endpoints() -> None:
    find(critic_values.discriminators(3), lambda d: bool((d == 0).any() and (d == 1).any()))


# Quick: a domain of each kind (the whole line, an open end, a closed end, closed both ends); the
# generators whose domains are of the same kinds in the slow tier.
@pytest.mark.parametrize(
    "name",
    quick_only(
        dv.generators.GENERATORS,
        lambda n: n in ("KL", "reverse KL", "Neyman chi^2", "total variation"),
    ),
)
def test_critics_lie_in_the_conjugate_domain(name: str) -> None:
    g = dv.generators.GENERATORS[name]
    lo, hi = g.conjugate_domain
    closed_lo, closed_hi = g.closed_ends

    @given(critic_values.critics(g, 4))
    def check(t: np.ndarray) -> None:
        assert t.shape == (4,)
        assert (((t > lo) | (closed_lo & (t == lo))) & ((t < hi) | (closed_hi & (t == hi)))).all()
        assert np.isfinite(np.asarray(g.conjugate(jnp.asarray(t)))).all()

    check()


def test_sizes() -> None:
    assert find(dvt.sizes(), lambda n: n == 8) == 8
    assert find(dvt.sizes(min_n=2), lambda n: True) == 2
    with pytest.raises(ValueError, match="at least 1"):
        dvt.sizes(0)


def test_tiny_values_are_normal_numbers() -> None:
    for dtype in DTYPES:
        info = np.finfo(dtype)
        for v in dvt._tiny_values(np.dtype(dtype)):
            assert info.tiny <= np.asarray(v, dtype=dtype) < 1e-10
            assert math.isfinite(v)


def test_stays_normal_refuses_a_scale_that_takes_a_coordinate_out_of_the_normal_range():
    from divergences.testing.measures import stays_normal

    x = np.array([[0.0, 2.4141466e-230], [-2.0, 1.0]])  # the case make stress found
    assert stays_normal(0, x)
    assert not stays_normal(-313, x)  # 2.4e-230 * 2^-313 is subnormal
    assert stays_normal(-313, x[1:])
    assert not stays_normal(1030, x[1:])  # 2 * 2^1030 overflows to inf
    assert not stays_normal(0, np.array([5e-324]))  # a subnormal coordinate already
