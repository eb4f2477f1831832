"""FD's pairs' part: the kernel against FD's own derivatives, the weights against closed forms.

The kernel is checked against finite differences of FD's cross term (the von Mises expansion's
second-order terms), its second moment against the Gaussian closed form, the pair weights
against the variance of the pairs' sum in closed form, where draws are kept, and (slow) the
pairs' variance against the null's variance over repeated samples, where it is all of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import sqrtm

import divergences as dv
from divergences.estimate._src.frechet.distance import (
    jackknife_error,
    paired_parts,
    read_samples,
    spread_of,
    spread_words,
)
from divergences.estimate._src.frechet.first_order import KEPT_DRAWS, FirstOrder
from divergences.estimate._src.frechet.groups import (
    FIRST_ORDER_FROM,
    GROUPS_UP_TO,
    kept_draws,
    runs_first_order,
)
from divergences.estimate._src.frechet.second_order import (
    FEWEST_PAIRS,
    PAIRS,
    divided_factor,
    gaussian_second_moment,
    kernel_parts,
    kernel_values,
    pair_weights,
    pairs_in,
    quadratic_form,
    rotated_x,
    rotated_y,
    rotation,
    single_second_order,
)
from divergences.estimate._src.reading import Moments


def _moments(mean: np.ndarray, cov: np.ndarray) -> Moments:
    n = 10**6  # a law's moments, as a sample's of this size
    return Moments(n, mean, cov * (n - 1), None)


def _minus_two_t(cov_x: np.ndarray, cov_y: np.ndarray) -> float:
    root = np.real(sqrtm(cov_x))
    return -2.0 * float(np.trace(np.real(sqrtm(root @ cov_y @ root))))


def _towards(mean, cov, draws, steps):
    """The mean and covariance of the law moved by ``steps[i]`` towards a point mass at ``draws[i]``."""
    second = (1.0 - sum(steps)) * (cov + np.outer(mean, mean))
    m = mean + sum(e * (a - mean) for a, e in zip(draws, steps, strict=True))
    second = second + sum(e * np.outer(a, a) for a, e in zip(draws, steps, strict=True))
    return m, second - np.outer(m, m)


def _mixed(f, h=1e-4):
    return (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4.0 * h * h)


def test_the_kernel_is_fd_s_mixed_second_derivative():
    """``k = (1/2) d^2 FD`` on two x or two y draws, and the cross term's ``-2 k``."""
    rng = np.random.default_rng(1)
    d = 4
    ax, ay = rng.standard_normal((d, d)), rng.standard_normal((d, d))
    cx, cy = ax @ ax.T + np.eye(d), ay @ ay.T + 0.5 * np.eye(d)
    mx, my = rng.standard_normal(d), rng.standard_normal(d)
    rot = rotation(_moments(mx, cx), _moments(my, cy))
    assert rot is not None
    a, b = mx + rng.standard_normal(d), mx + rng.standard_normal(d)
    c, e = my + rng.standard_normal(d), my + rng.standard_normal(d)
    w = rotated_x(rot, np.stack([a, b]))
    z = rotated_y(rot, np.stack([c, e]))

    def on_x(s, t):  # FD's -2T: the mean term and traces have no x-x pairs' part
        return _minus_two_t(_towards(mx, cx, [a, b], [s, t])[1], cy)

    def on_y(s, t):
        return _minus_two_t(cx, _towards(my, cy, [c, e], [s, t])[1])

    def across(s, t):  # the mean term's part of a cross pair, then -2T's
        m1, c1 = _towards(mx, cx, [a], [s])
        m2, c2 = _towards(my, cy, [c], [t])
        return float(np.sum((m1 - m2) ** 2)) + _minus_two_t(c1, c2)

    lin, quad = kernel_parts(rot, w[:1], w[1:])
    assert lin[0] + quad[0] == pytest.approx(_mixed(on_x) / 2.0, rel=1e-5)
    lin, quad = kernel_parts(rot, z[:1], z[1:])
    assert lin[0] + quad[0] == pytest.approx(_mixed(on_y) / 2.0, rel=1e-5)
    lin, quad = kernel_parts(rot, w[:1], z[:1])
    assert -2.0 * (lin[0] + quad[0]) == pytest.approx(_mixed(across), rel=1e-5)


def test_the_kernel_s_second_moment_is_the_gaussian_closed_form():
    rng = np.random.default_rng(2)
    d = 6
    scale = np.linspace(0.5, 2.0, d)
    rot = rotation(_moments(np.zeros(d), np.eye(d)), _moments(np.zeros(d), np.diag(scale**2)))
    assert rot is not None
    x = rng.standard_normal((2000, d))
    y = rng.standard_normal((2000, d)) * scale
    k = kernel_values(rot, rotated_x(rot, x), rotated_y(rot, y), seed=0)
    closed = gaussian_second_moment(rot)
    assert float(np.mean(k.xx**2)) == pytest.approx(closed, rel=0.1)
    assert float(np.mean(k.yy**2)) == pytest.approx(closed, rel=0.1)
    assert float(np.mean((k.cross_lin + k.cross_quad) ** 2)) == pytest.approx(closed, rel=0.1)


def _divided(mu: np.ndarray) -> np.ndarray:
    return np.outer(mu, mu) / (mu[:, None] + mu[None, :])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    st.floats(0.0, 11.5),  # mu_max / mu_min up to e^11.5: the eigenvalues' ratio up to 1e-10
    st.integers(-300, 300),
)
def test_the_exponential_sum_factor_gives_each_entry_of_c_to_1e_12(at, spread, power):
    """``F F^T`` against ``C`` entry by entry, at spreads up to the rotation's and any scale."""
    mu = np.ldexp(np.exp(spread * np.array([0.0, 1.0, *at])), power)
    f = divided_factor(mu)
    exact = _divided(mu)
    assert np.all(f >= 0.0) and np.all(np.isfinite(f))
    assert np.max(np.abs(f @ f.T - exact) / exact) < 1e-12
    assert f.shape[1] <= 160  # columns: 114 at one scale, 3.3 more for each factor of e


def test_the_kernel_from_the_factor_is_the_kernel_from_c():
    rng = np.random.default_rng(5)
    d = 40
    cov_y = np.diag(np.exp(rng.uniform(-3.0, 3.0, d)))
    rot = rotation(_moments(np.zeros(d), np.eye(d)), _moments(np.zeros(d), cov_y))
    assert rot is not None
    p, q = rng.standard_normal((50, d)), rng.standard_normal((50, d))
    c = _divided(rot.roots)
    h = p * q
    exact = 0.5 * (
        np.sum((h @ c) * h, axis=1) - (p * p) @ np.diag(c) - (q * q) @ np.diag(c) + np.trace(c)
    )
    quad = kernel_parts(rot, p, q)[1]
    scale = 0.5 * np.sum((np.abs(h) @ c) * np.abs(h), axis=1)  # what the rounding is relative to
    assert np.max(np.abs(quad - exact) / scale) < 1e-12
    self_quad = kernel_parts(rot, p, p)[1]
    h = p * p
    exact = 0.5 * (np.sum((h @ c) * h, axis=1) - 2.0 * h @ np.diag(c) + np.trace(c))
    assert self_quad == pytest.approx(exact, rel=1e-10)


def test_the_pair_weights_give_the_pairs_variance_in_closed_form():
    """Equal batches: ``2c/n^2`` an x pair's second moment, ``4c/(nm)`` a cross pair's kappa^2.

    ``c = B/(B-1)`` for the bias-corrected estimate (the pairs across batches, weighted
    ``B/(B-1)``), 1 for the plug-in; the cross pairs' mean term keeps every pair.
    """
    b, n = 4, 4 * 250
    sizes = np.full(b, n // b)
    for plug_in, c in ((False, b / (b - 1)), (True, 1.0)):
        w = pair_weights(sizes, sizes, plug_in=plug_in)
        f = quadratic_form([w.xx], w.count_xx)
        within = 0.0 if not plug_in else 1.0 / n  # the plug-in's pairs: n (n - 1) / 2
        assert f[0, 0] * n**2 == pytest.approx(2.0 * c * (1.0 - within), rel=1e-12)
        f = quadratic_form([w.cross_quad, w.cross_lin], w.count_xy)
        assert f * n**2 == pytest.approx(np.array([[4.0 * c, 4.0], [4.0, 4.0]]), rel=1e-12)


def test_the_random_pairs_cost_at_most_what_d_256_s_do():
    assert pairs_in(8) == pairs_in(256) == PAIRS
    assert pairs_in(512) == PAIRS // 4
    assert pairs_in(2048) == FEWEST_PAIRS
    assert all(pairs_in(d) * d * d <= PAIRS * 256**2 for d in (257, 300, 512, 724))


def _parts(x, y, **options):
    rx, ry = read_samples([(x, "x", 0), (y, "y", 1)], 4, keep=KEPT_DRAWS)
    return paired_parts(rx.moments, ry.moments, 4, (rx.kept, ry.kept), 0, **options)


def test_a_singular_covariance_keeps_the_jackknife_and_says_why():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((1000, 9)), rng.standard_normal((1000, 9)) + 0.3
    assert isinstance(_parts(x, y, by_size=True).first_order, FirstOrder)
    assert _parts(x, y, by_size=True).left_out is None  # the delta method: no left-out refits
    x[:, 0] = 1.0  # no spread in one coordinate: no Cholesky factor
    parts = _parts(x, y, by_size=True)
    assert "a covariance is singular" in parts.first_order
    assert spread_of(parts, 4)[0] == jackknife_error(parts.left_out)
    assert "not the delta method's: a covariance is singular" in spread_words(parts, 4)
    # an extrapolation weighing the batches equally: its pairs are not modelled
    assert "weighted equally" in _parts(x, y, by_size=False).first_order


def test_below_first_order_from_frechet_keeps_no_draws_and_its_interval_is_the_jackknife_s():
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((1000, 9)), rng.standard_normal((1000, 9)) + 0.3
    read = read_samples([(x, "x", 0), (y, "y", 1)], 4, keep=kept_draws(4))
    assert all(r.kept is None for r in read)
    method = dv.estimate.frechet(x, y).method
    assert "delta method" not in method and "jackknife" in method


@pytest.mark.parametrize(
    ("d", "b", "kept"),
    [
        (FIRST_ORDER_FROM - 1, 4, 0),
        (FIRST_ORDER_FROM, 4, KEPT_DRAWS),
        (GROUPS_UP_TO, 4, KEPT_DRAWS),
        (GROUPS_UP_TO + 1, 4, KEPT_DRAWS),  # in place of the batches' 3 degrees of freedom
        (2048, 4, KEPT_DRAWS),
        (FIRST_ORDER_FROM, 5, 0),  # another number of batches claims nothing: the batches'
    ],
)
def test_draws_are_kept_where_the_delta_method_runs(d, b, kept):
    assert kept_draws(b)(d) == kept
    assert runs_first_order(d, b) is (kept > 0)


def test_a_reference_s_own_subsample_gives_the_delta_method():
    """In d = 64 a Reference's kept draws stand for the sample's; without them, the method says so."""
    rng = np.random.default_rng(9)
    d = FIRST_ORDER_FROM
    x, y = rng.standard_normal((3000, d)), rng.standard_normal((3000, d)) + 0.2
    kept = dv.estimate.reference(x, subsample=None)  # every draw: 2000 are chosen, by the seed
    est = dv.estimate.frechet(kept, y)
    assert "the delta method's on 2000" in est.method and est.claims_coverage
    assert est == dv.estimate.frechet(kept, y)
    assert est.value == pytest.approx(dv.estimate.frechet(x, y).value, rel=1e-12)
    bare = dv.estimate.frechet(dv.estimate.reference(x, subsample=0), y)
    assert "not the delta method's: fewer than 200 draws kept" in bare.method
    assert "jackknife" in bare.method
    assert bare.value == pytest.approx(est.value, rel=1e-12)
    assert bare.upper_bound - bare.lower_bound > 0.0


def test_the_kept_pairs_are_a_function_of_the_draws_and_seed():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((1200, 8)), rng.standard_normal((1200, 8)) + 0.2
    rx, ry = read_samples([(x, "x", 0), (y, "y", 1)], 4, keep=KEPT_DRAWS)
    streamed = read_samples([(iter(np.array_split(x, 7)), "x", 0), (y, "y", 1)], 4, keep=KEPT_DRAWS)
    assert np.array_equal(rx.kept, streamed[0].kept)
    assert rx.kept.shape == (1200, 8)  # fewer draws than kept: all of them
    one = paired_parts(rx.moments, ry.moments, 4, (rx.kept, ry.kept), 0, by_size=True)
    two = paired_parts(rx.moments, ry.moments, 4, (streamed[0].kept, ry.kept), 0, by_size=True)
    assert single_second_order(one.first_order.pairs) == single_second_order(two.first_order.pairs)


@pytest.mark.slow  # 150 samples of FD: about 6 s
def test_the_pairs_variance_is_the_null_s_variance():
    """Under P = Q the first-order part is 0: the pairs' variance is all of FD's (d = 16, n = 1000)."""
    rng = np.random.default_rng(5)
    d, n = 16, 1000
    values, v2s = [], []
    for rep in range(150):
        draws = [
            (rng.standard_normal((n, d)), "x", rep),
            (rng.standard_normal((n, d)), "y", rep + 1),
        ]
        rx, ry = read_samples(draws, 4, keep=KEPT_DRAWS)
        parts = paired_parts(rx.moments, ry.moments, 4, (rx.kept, ry.kept), rep, by_size=True)
        scale = 4.0**rx.moments.shift
        values.append(parts.value * scale)
        v2s.append(single_second_order(parts.first_order.pairs)[0] * scale * scale)
    ratio = float(np.mean(v2s)) / float(np.var(values, ddof=1))
    assert 0.8 < ratio < 1.25, ratio
    assert math.isfinite(ratio)
