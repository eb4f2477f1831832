r"""The laws of the coverage family: their draws, optimal discriminators and truths.

Each draw takes a ``jax.random`` key and a size ``n`` and returns the samples, ``(x,)`` or
``(x, y)``; each truth is a closed form or a certified enclosure of
:mod:`divergences.continuous.certified`, computed on first use. The closed forms are derived in
:mod:`divergences.testing.coverage_cases`, which builds the cases from these pieces.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from scipy.special import betaln, digamma, expit

from divergences import continuous as dvc

__all__ = [
    "Draw",
    "cached",
    "constant",
    "cubes",
    "drawn",
    "gaussian_discriminator",
    "gaussian_fits",
    "gaussian_mmd_squared",
    "gaussian_mmd_squared_variance",
    "gaussians",
    "kid_of_gaussians",
    "line",
    "line_discriminator",
    "mean",
    "product",
    "scaled",
    "spread",
    "student_t_entropy",
    "times",
]

#: A pair of laws as a function of a key and a size: the draws ``(x,)`` or ``(x, y)``.
Draw = Callable[[jax.Array, int], tuple[np.ndarray, ...]]


def gaussian_mmd_squared(delta: float, d: int, bandwidth: float) -> float:
    """MMD^2 of N(0, I_d) and N(mu, I_d), ``|mu| = delta``, Gaussian kernel of ``bandwidth``."""
    s2 = bandwidth * bandwidth
    return -2.0 * (s2 / (s2 + 2.0)) ** (d / 2.0) * math.expm1(-(delta**2) / (2.0 * (s2 + 2.0)))


def gaussian_mmd_squared_variance(delta: float, d: int, bandwidth: float, n: int, m: int) -> float:
    r"""The first-order variance of MMD^2_u between N(0, I_d) and N(mu, I_d), ``|mu| = delta``.

    :math:`4\,\mathrm{Var} f(X)\,(1/n + 1/m)`, with :math:`f(x) = c\,(e^{-a|x|^2} -
    e^{-a|x - \mu|^2})`, :math:`a = 1/(2(s^2+1))`, :math:`c = (s^2/(s^2+1))^{d/2}` (``g(Y)``
    has the law of ``-f(X)`` reflected, the same variance), from the Gaussian integrals
    :math:`\mathbb E\,e^{-b|X - u|^2} = (1 + 2b)^{-d/2} e^{-b|u|^2/(1+2b)}` and
    :math:`e^{-a|x-u|^2 - a|x-v|^2} = e^{-2a|x - (u+v)/2|^2 - a|u-v|^2/2}`.
    """
    s2 = bandwidth * bandwidth
    a, c, r = 0.5 / (s2 + 1.0), (s2 / (s2 + 1.0)) ** (d / 2.0), delta * delta
    two, four = (1.0 + 2.0 * a) ** (-d / 2.0), (1.0 + 4.0 * a) ** (-d / 2.0)
    e1, e2 = two, two * math.exp(-a * r / (1.0 + 2.0 * a))
    e11, e22 = four, four * math.exp(-2.0 * a * r / (1.0 + 4.0 * a))
    e12 = four * math.exp(-0.5 * a * r / (1.0 + 4.0 * a) - 0.5 * a * r)
    variance = c * c * (e11 + e22 - 2.0 * e12 - (e1 - e2) ** 2)
    return 4.0 * variance * (1.0 / n + 1.0 / m)


def kid_of_gaussians(delta: float, scale: float, d: int) -> float:
    r"""KID (cubic kernel ``(a . b / d + 1)^3``) between N(0, I_d) and N(mu, scale^2 I_d).

    For independent :math:`a \sim N(m_p, \sigma_p^2 I)`, :math:`b \sim N(m_q, \sigma_q^2 I)`
    and :math:`c = m_p \cdot m_q`: :math:`\mathbb E\,a \cdot b = c`,
    :math:`\mathbb E(a \cdot b)^2 = d\sigma_p^2\sigma_q^2 + \sigma_p^2|m_q|^2 +
    \sigma_q^2|m_p|^2 + c^2` (the trace of the product of the second moments) and
    :math:`\mathbb E(a \cdot b)^3 = c^3 + 3c(\sigma_q^2|m_p|^2 + \sigma_p^2|m_q|^2) +
    3(d+2)\sigma_p^2\sigma_q^2 c` (the contraction of the third moments, Isserlis), and
    :math:`\mathbb E\,k = \mathbb E(a \cdot b)^3/d^3 + 3\mathbb E(a \cdot b)^2/d^2 +
    3c/d + 1`. Hence :math:`(\delta^6 + 6\delta^4 + 3(d+2)\delta^2)/d^3 + 3\delta^4/d^2 +
    3\delta^2/d` for a translate and :math:`3(s^2-1)^2/d` for a scale.
    """

    def mean_kernel(mp: float, vp: float, mq: float, vq: float) -> float:
        c = mp * mq  # the means lie on one line: their product and squared norms
        e2 = d * vp * vq + vp * mq * mq + vq * mp * mp + c * c
        e3 = c**3 + 3.0 * c * (vq * mp * mp + vp * mq * mq) + 3.0 * (d + 2) * vp * vq * c
        return e3 / d**3 + 3.0 * e2 / d**2 + 3.0 * c / d + 1.0

    v = scale * scale
    return (
        mean_kernel(0.0, 1.0, 0.0, 1.0)
        + mean_kernel(delta, v, delta, v)
        - 2.0 * mean_kernel(0.0, 1.0, delta, v)
    )


def constant(value: float) -> Callable[[], float]:
    """A truth known in closed form, as the family's truths are given: a function of nothing."""
    return lambda: value


def line(p: dvc.Law, q: dvc.Law | None) -> Draw:
    """Draws of the laws ``p`` and ``q`` on the line (of ``p`` alone where ``q`` is ``None``)."""

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(p.sample(kx, (n,)))
        return (x,) if q is None else (x, np.asarray(q.sample(ky, (n,))))

    return draw


def mean(d: int, delta: float) -> np.ndarray:
    """The vector of ``d`` equal coordinates and length ``delta``."""
    return np.full(d, delta / math.sqrt(d))


def gaussians(d: int, delta: float, one: bool = False) -> Draw:
    """``N(0, I_d)`` against ``N(mu, I_d)``, ``|mu| = delta`` (the first alone where ``one``)."""
    mu = mean(d, delta)

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(jax.random.normal(kx, (n, d)))
        return (x,) if one else (x, np.asarray(jax.random.normal(ky, (n, d))) + mu)

    return draw


def scaled(d: int, scale: float) -> Draw:
    """``N(0, I_d)`` against the law of ``(scale Z_1, Z_2, ..., Z_d)``: a covariance apart."""

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        y = np.array(jax.random.normal(ky, (n, d)))
        y[:, 0] *= scale
        return np.asarray(jax.random.normal(kx, (n, d))), y

    return draw


def cubes(d: int, shift: float) -> Draw:
    """The uniform law on ``[0, 1]^d`` against its translate by a vector of length ``shift``."""
    t = mean(d, shift)

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(jax.random.uniform(kx, (n, d)))
        return x, np.asarray(jax.random.uniform(ky, (n, d))) + t

    return draw


def line_discriminator(p: dvc.Law, q: dvc.Law) -> Callable[[Any], np.ndarray]:
    """The optimal discriminator ``p / (p + q)`` of two laws on the line."""
    return lambda z: expit(np.asarray(p.log_prob(z)) - np.asarray(q.log_prob(z)))


def gaussian_discriminator(d: int, delta: float) -> Callable[[Any], np.ndarray]:
    """The optimal discriminator of :func:`gaussians`' pair."""
    mu = mean(d, delta)
    return lambda z: expit(0.5 * delta * delta - np.asarray(z) @ mu)


def cached(quantity: str, p: dvc.Law, q: dvc.Law) -> Callable[[], Any]:
    """The certified enclosure of ``quantity`` between ``p`` and ``q``, computed on first use."""
    return functools.cache(lambda: getattr(dvc.certified, quantity)(p, q))


def product(*laws: dvc.Law) -> Callable[..., np.ndarray]:
    """Draws of the product of ``laws`` on the line: independent coordinates, ``(n, len(laws))``."""

    def sample(key: jax.Array, shape: tuple[int, ...]) -> np.ndarray:
        keys = jax.random.split(key, len(laws))
        return np.stack(
            [np.asarray(law.sample(k, shape)) for law, k in zip(laws, keys, strict=True)], -1
        )

    return sample


def drawn(p: Callable[..., Any], q: Callable[..., Any] | None) -> Draw:
    """Draws from two samplers ``(key, shape) -> array`` (of ``p`` alone where ``q`` is ``None``)."""

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        x = np.asarray(p(kx, (n,)))
        return (x,) if q is None else (x, np.asarray(q(ky, (n,))))

    return draw


def spread(d: int, delta: float, scale: float) -> Draw:
    """``N(0, I_d)`` against ``N(mu, scale^2 I_d)``, ``|mu| = delta``."""
    mu = mean(d, delta)

    def draw(key: jax.Array, n: int) -> tuple[np.ndarray, ...]:
        kx, ky = jax.random.split(key)
        y = scale * np.asarray(jax.random.normal(ky, (n, d))) + mu
        return np.asarray(jax.random.normal(kx, (n, d))), y

    return draw


def student_t_entropy(nu: float) -> float:
    r"""The entropy of Student's t with ``nu`` degrees of freedom, scale 1 (nats).

    :math:`\frac{\nu+1}{2}\left(\psi(\frac{\nu+1}{2}) - \psi(\frac\nu2)\right)
    + \log\left(\sqrt\nu\, B(\frac\nu2, \frac12)\right)`; ``nu = 1`` is Cauchy's, :math:`\log 4\pi`.
    """
    half = 0.5 * (nu + 1.0)
    return float(
        half * (digamma(half) - digamma(0.5 * nu)) + 0.5 * math.log(nu) + betaln(0.5 * nu, 0.5)
    )


def times(factor: float, truth: Callable[[], Any]) -> Callable[[], tuple[float, float]]:
    """``factor`` times a certified enclosure, as a pair: the KL of a product of like pairs."""

    def scaled() -> tuple[float, float]:
        t = truth()
        return factor * float(t.lower_bound), factor * float(t.upper_bound)

    return functools.cache(scaled)


def gaussian_fits(centre: np.ndarray, cov_diag: np.ndarray) -> Callable[[], Any]:
    """FD between N(0, I) and N(centre, diag(cov_diag)), by :func:`divergences.frechet_distance`.

    Both laws are products over the coordinates, and FD (W2 squared) of products is the sum of
    the coordinates': ``d`` Gaussians on the line in one batched call, no d x d square root.
    """

    def truth() -> float:
        from divergences import frechet_distance

        d = centre.shape[0]
        ones = np.ones((d, 1, 1))
        each = frechet_distance(np.zeros((d, 1)), ones, centre[:, None], cov_diag[:, None, None])
        return math.fsum(np.asarray(each, dtype=np.float64).tolist())

    return functools.cache(truth)
