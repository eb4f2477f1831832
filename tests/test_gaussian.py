"""Closed forms between Gaussians against SciPy, quadrature and each other."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import divergences as dv
from divergences.testing import tolerance

MU = st.sampled_from([-1.5, 0.0, 0.4, 2.0])
SIGMA = st.sampled_from([0.25, 1.0, 2.5])


@pytest.mark.slow
@given(MU, SIGMA, MU, SIGMA)
def test_kl_normal_matches_quadrature(mp: float, sp: float, mq: float, sq: float) -> None:
    def integrand(x: float) -> float:
        lp = stats.norm.logpdf(x, mp, sp)
        return math.exp(lp) * (lp - stats.norm.logpdf(x, mq, sq))

    ref, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    np.testing.assert_allclose(float(dv.kl_normal(mp, sp, mq, sq)), ref, **tolerance("quadrature"))


def test_kl_normal_vae_form_and_broadcasting() -> None:
    mu = np.array([0.0, 1.0, -2.0])
    s = np.array([1.0, 0.5, 3.0])
    expected = 0.5 * (mu**2 + s**2 - 1 - np.log(s**2))
    np.testing.assert_allclose(dv.kl_normal(mu, s), expected, **tolerance("float64"))
    np.testing.assert_allclose(float(dv.kl_normal(0.3, 1.2, 0.3, 1.2)), 0.0, **tolerance("float64"))


@pytest.mark.slow
def test_kl_normal_jit_vmap_grad() -> None:
    mu = jnp.array([0.0, 1.0, -2.0])
    s = jnp.array([1.0, 0.5, 3.0])
    np.testing.assert_allclose(
        jax.jit(dv.kl_normal)(mu, s), dv.kl_normal(mu, s), **tolerance("float64")
    )
    np.testing.assert_allclose(
        jax.vmap(dv.kl_normal)(mu, s), dv.kl_normal(mu, s), **tolerance("float64")
    )
    # d/dmu = mu, d/dsigma = sigma - 1/sigma for the VAE form.
    g_mu, g_s = jax.grad(lambda m, v: dv.kl_normal(m, v), argnums=(0, 1))(1.0, 0.5)
    np.testing.assert_allclose([g_mu, g_s], [1.0, 0.5 - 2.0], **tolerance("float64"))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_kl_normal_rejects_bad_sigma(bad: float) -> None:
    with pytest.raises(ValueError, match=r"sigma_p must be (> 0|finite)"):
        dv.kl_normal(0.0, bad)


def _spd(seed: int, d: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


@pytest.mark.parametrize("seed", range(5))
def test_kl_mvn_matches_textbook_formula(seed: int) -> None:
    d = 3
    rng = np.random.default_rng(100 + seed)
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    cp, cq = _spd(seed, d), _spd(seed + 50, d)
    iq = np.linalg.inv(cq)
    ref = 0.5 * (
        np.trace(iq @ cp)
        + (mq - mp) @ iq @ (mq - mp)
        - d
        + np.log(np.linalg.det(cq) / np.linalg.det(cp))
    )
    np.testing.assert_allclose(
        float(dv.kl_mvn(mp, cp, mq, cq)), ref, **tolerance("matrix_function")
    )


def test_kl_mvn_reduces_to_univariate_and_batches() -> None:
    got = dv.kl_mvn(np.array([[1.0]]), np.array([[[0.25]]]), np.zeros((1, 1)), np.eye(1)[None])
    np.testing.assert_allclose(got, [float(dv.kl_normal(1.0, 0.5))], **tolerance("float64"))


def test_kl_mvn_rejects_bad_shapes_and_asymmetry() -> None:
    with pytest.raises(ValueError, match="shape"):
        dv.kl_mvn(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="symmetric"):
        dv.kl_mvn(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2), np.eye(2))


@pytest.mark.parametrize("seed", range(6))
def test_frechet_distance_matches_scipy_sqrtm(seed: int) -> None:
    d = 2 + seed % 3
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    c1, c2 = _spd(seed, d), _spd(seed + 7, d)
    ref = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * np.real(scipy.linalg.sqrtm(c1 @ c2)))
    np.testing.assert_allclose(
        float(dv.frechet_distance(m1, c1, m2, c2)), ref, **tolerance("matrix_function")
    )


def test_frechet_distance_one_d_and_singular() -> None:
    np.testing.assert_allclose(
        float(dv.frechet_distance([0.0], [[1.0]], [3.0], [[4.0]])),
        9.0 + 1.0,
        **tolerance("float64"),
    )
    # A point mass (zero covariance) against N(0, I): |m|^2 + tr(I).
    got = float(dv.frechet_distance(np.zeros(2), np.zeros((2, 2)), np.ones(2), np.eye(2)))
    np.testing.assert_allclose(got, 2.0 + 2.0, **tolerance("float64"))


def test_frechet_distance_rejects_indefinite_covariance() -> None:
    with pytest.raises(ValueError, match="positive semi-definite"):
        dv.frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


@pytest.mark.slow
def test_kl_mvn_and_frechet_distance_jit_and_vmap() -> None:
    rng = np.random.default_rng(7)
    means = rng.normal(size=(3, 2))
    covs = np.stack([_spd(k, 2) for k in range(3)])
    for fn in (dv.kl_mvn, dv.frechet_distance):
        plain = np.array([float(fn(means[k], covs[k], means[0], covs[0])) for k in range(3)])
        batched = jax.vmap(fn, in_axes=(0, 0, None, None))(means, covs, means[0], covs[0])
        np.testing.assert_allclose(batched, plain, **tolerance("matrix_function"))
        np.testing.assert_allclose(
            float(jax.jit(fn)(means[1], covs[1], means[0], covs[0])),
            plain[1],
            **tolerance("matrix_function"),
        )
        np.testing.assert_allclose(plain[0], 0.0, **tolerance("matrix_function"))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.nan, 1.0), "mu_p must be finite"),
        ((0.0, np.inf), "sigma_p must be finite"),
        ((0.0, 1.0, np.inf, 1.0), "mu_q must be finite"),
        ((0.0, 0.0), "sigma_p must be > 0"),
    ],
)
def test_kl_normal_rejects_non_finite_and_degenerate_parameters(args, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        dv.kl_normal(*args)


def test_kl_mvn_rejects_a_singular_covariance_frechet_accepts_it() -> None:
    singular = np.diag([1.0, 0.0])
    with pytest.raises(ValueError, match="cov_p must be positive definite"):
        dv.kl_mvn(np.zeros(2), singular, np.zeros(2), np.eye(2))
    # W2^2 between Gaussians is finite for a degenerate one: here |0|^2 + tr(C + I - 2 C^1/2) = 1.
    np.testing.assert_allclose(
        float(dv.frechet_distance(np.zeros(2), singular, np.zeros(2), np.eye(2))),
        1.0,
        **tolerance("matrix_function"),
    )
    with pytest.raises(ValueError, match="mean_p must be finite"):
        dv.frechet_distance(np.array([np.nan, 0.0]), np.eye(2), np.zeros(2), np.eye(2))


def _commuting_case(d: int, seed: int) -> tuple[np.ndarray, ...]:
    """float32 means and diagonal covariances whose traces cancel to 1e-5 of themselves."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, d).astype(np.float32)
    b = (a * (1.0 + rng.uniform(-1e-2, 1e-2, d))).astype(np.float32)
    m1 = rng.normal(size=d).astype(np.float32)
    m2 = (m1 + np.float32(1e-3) * rng.normal(size=d).astype(np.float32)).astype(np.float32)
    return m1, a, m2, b


def _commuting_fd_mpmath(m1, a, m2, b) -> float:
    """|m1 - m2|^2 + sum (sqrt a_i - sqrt b_i)^2 of the float32 values, at 40 digits."""
    import mpmath

    with mpmath.workdps(40):
        f = lambda v: mpmath.mpf(float(v))  # noqa: E731
        means = mpmath.fsum((f(u) - f(v)) ** 2 for u, v in zip(m1, m2, strict=True))
        roots = mpmath.fsum(
            (mpmath.sqrt(f(u)) - mpmath.sqrt(f(v))) ** 2 for u, v in zip(a, b, strict=True)
        )
        return float(means + roots)


# x64 off (its own programs) in the slow tier.
@pytest.mark.parametrize("x64", [pytest.param(False, marks=pytest.mark.slow), True])
def test_frechet_distance_keeps_relative_accuracy_on_float32_whatever_x64(x64: bool) -> None:
    # In float32 arithmetic the traces (about 1.3 d) cancel to 1e-5 of themselves: the float32
    # formula was off by percents (+15% on Inception statistics), and x64 on and off disagreed.
    m1, a, m2, b = _commuting_case(64, 0)
    want = _commuting_fd_mpmath(m1, a, m2, b)
    with jax.enable_x64(x64):
        got = dv.frechet_distance(m1, np.diag(a), m2, np.diag(b))
        jitted = jax.jit(dv.frechet_distance)(m1, np.diag(a), m2, np.diag(b))
    assert got.dtype == jnp.float32 and float(got) == float(jitted)
    np.testing.assert_allclose(float(got), want, **tolerance("ulp_float32"))


@pytest.mark.slow
def test_frechet_distance_float32_at_d_2048_against_mpmath_and_sqrtm() -> None:
    m1, a, m2, b = _commuting_case(2048, 1)
    want = _commuting_fd_mpmath(m1, a, m2, b)
    values = []
    for x64 in (False, True):
        with jax.enable_x64(x64):
            values.append(float(dv.frechet_distance(m1, np.diag(a), m2, np.diag(b))))
    assert values[0] == values[1]
    np.testing.assert_allclose(values[0], want, **tolerance("ulp_float32"))
    # A general pair: SciPy's sqrtm formula on the float32 statistics, in float64.
    rng = np.random.default_rng(2)
    d = 256
    f1, f2 = rng.normal(size=(2 * d, d)), rng.normal(size=(2 * d, d)) * rng.uniform(0.5, 1.5, d)
    c1 = (f1.T @ f1 / (2 * d)).astype(np.float32)
    c2 = (f2.T @ f2 / (2 * d)).astype(np.float32)
    mu1, mu2 = rng.normal(size=d).astype(np.float32), rng.normal(size=d).astype(np.float32)
    w1, w2, v1, v2 = (np.asarray(v, np.float64) for v in (c1, c2, mu1, mu2))
    ref = np.sum((v1 - v2) ** 2) + np.trace(w1 + w2 - 2 * np.real(scipy.linalg.sqrtm(w1 @ w2)))
    with jax.enable_x64(False):
        got = float(dv.frechet_distance(mu1, c1, mu2, c2))
    np.testing.assert_allclose(got, ref, **tolerance("ulp_float32"))


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_frechet_distance_float32_derivatives_are_the_formula_s() -> None:
    ones = np.eye(3, dtype=np.float32)
    grad = jax.grad(lambda m: dv.frechet_distance(m, ones, np.zeros(3, np.float32), ones))
    np.testing.assert_allclose(grad(np.ones(3, np.float32)), 2.0, **tolerance("float32"))
