r"""The VAE's regulariser: KL(N(mu, sigma^2) || N(0, 1)) = (mu^2 + sigma^2 - 1 - log sigma^2) / 2.

Claim (lectures; Kingma & Welling, 2014, appendix B): for the encoder's Gaussian and the
standard normal prior,

.. math:: \mathrm{KL}(N(\mu, \sigma^2) \,\|\, N(0, 1)) = \tfrac12\left(\mu^2 + \sigma^2 - 1 - \log\sigma^2\right),

and, in d dimensions with a diagonal covariance, the sum of d such terms. The general
multivariate form is checked too.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy import integrate, stats

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "The VAE's KL(N(mu, sigma^2) || N(0, 1)) in closed form",
    claim="KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1 - log s^2) / 2",
)
F64 = tolerance("float64")
QUAD = tolerance("quadrature")
GRID = tolerance("discretisation")

_MU = st.sampled_from([-2.0, -0.5, 0.0, 0.3, 1.0, 2.5])
_SIGMA = st.sampled_from([0.3, 0.5, 1.0, 1.7, 3.0])


@PROOF.step(
    "E_p[log p - log q] with E x = mu, E x^2 = mu^2 + s^2 gives (mu^2 + s^2 - 1 - log s^2) / 2",
    method="sympy",
)
def _symbolic() -> Check:
    x, mu = sp.symbols("x mu", real=True)
    s = sp.symbols("s", positive=True)
    log_p = -sp.log(s) - sp.log(2 * sp.pi) / 2 - (x - mu) ** 2 / (2 * s**2)
    log_q = -sp.log(2 * sp.pi) / 2 - x**2 / 2
    integrand = sp.expand(log_p - log_q)
    # The integrand is a quadratic in x: replace the moments of N(mu, s^2).
    poly = sp.Poly(integrand, x)
    moments = {0: 1, 1: mu, 2: mu**2 + s**2}
    expectation = sum(c * moments[k[0]] for k, c in zip(poly.monoms(), poly.coeffs(), strict=True))
    closed = (mu**2 + s**2 - 1 - sp.log(s**2)) / 2
    return symbolic_zero(sp.expand_log(expectation - closed, force=True))


@PROOF.step(
    "dv.kl_normal(mu, s) equals numerical integration of p log(p/q) (scipy quad)",
    method="reference",
)
def _quadrature() -> Check:
    def check(ex: tuple[float, float]) -> Check:
        mu, s = ex

        def integrand(x: float) -> float:
            lp = stats.norm.logpdf(x, mu, s)
            return math.exp(lp) * (lp - stats.norm.logpdf(x))

        val, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
        closed = 0.5 * (mu**2 + s**2 - 1 - math.log(s**2))
        return worst_of(
            [
                Check.equal(float(dv.kl_normal(mu, s)), val, **QUAD),
                Check.equal(float(dv.kl_normal(mu, s)), closed, **F64),
            ]
        )

    return over_examples(st.tuples(_MU, _SIGMA), check)


def _cell_masses(edges: np.ndarray, mu: float, s: float) -> np.ndarray:
    """The masses of N(mu, s^2) on the cells.

    Right of the mean they are differences of the survival function, so that tail cells do not round
    to 0 (which would make KL infinite).
    """
    left = np.diff(stats.norm.cdf(edges, mu, s))
    right = -np.diff(stats.norm.sf(edges, mu, s))
    return np.where(edges[1:] <= mu, left, right)


@PROOF.step(
    "dv.kl on the cell masses of a grid of step 1e-3 converges to it, from below "
    "(data processing: merging points into cells cannot increase KL)",
    method="numeric",
)
def _grid() -> Check:
    checks = []
    for mu, s in [(1.0, 0.5), (-0.5, 1.7), (2.0, 1.0)]:
        edges = np.concatenate([[-np.inf], np.arange(-14.0, 14.0, 1e-3), [np.inf]])
        p, q = _cell_masses(edges, mu, s), _cell_masses(edges, 0.0, 1.0)
        p, q = p / p.sum(), q / q.sum()  # masses of a partition: sums are 1 up to rounding
        grid_kl = float(dv.kl(p, q))
        closed = float(dv.kl_normal(mu, s))
        checks += [
            Check.equal(grid_kl, closed, **GRID),
            Check.at_most(grid_kl, closed, atol=F64["atol"]),
        ]
    return worst_of(checks)


@PROOF.step(
    "multivariate: dv.kl_mvn with diagonal covariances = sum of univariate terms; "
    "= the textbook formula with explicit inverses; invariant under x -> A x + b",
    method="numeric",
)
def _multivariate() -> Check:
    rng = np.random.default_rng(1)
    mu, s = np.array([0.5, -1.0, 2.0]), np.array([0.7, 1.3, 2.0])
    diag = float(dv.kl_mvn(mu, np.diag(s**2), np.zeros(3), np.eye(3)))
    by_terms = float(np.sum(dv.kl_normal(mu, s)))
    a = rng.normal(size=(3, 3))
    cp, cq = a @ a.T + np.eye(3), np.diag([1.0, 2.0, 0.5])
    mp, mq = rng.normal(size=3), rng.normal(size=3)
    iq = np.linalg.inv(cq)
    textbook = 0.5 * (
        np.trace(iq @ cp)
        + (mq - mp) @ iq @ (mq - mp)
        - 3
        + math.log(np.linalg.det(cq) / np.linalg.det(cp))
    )
    t = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    b = rng.normal(size=3)
    moved = float(dv.kl_mvn(t @ mp + b, t @ cp @ t.T, t @ mq + b, t @ cq @ t.T))
    general = float(dv.kl_mvn(mp, cp, mq, cq))
    return worst_of(
        [
            Check.equal(diag, by_terms, **F64),
            Check.equal(general, textbook, **tolerance("matrix_function")),
            Check.equal(moved, general, **tolerance("matrix_function")),
        ]
    )
