r"""The VAE's objective: log p(x) = ELBO(q) + KL(q(z | x) || p(z | x)), and the squared error.

Claim (lectures; Kingma & Welling, 2014): for every encoder :math:`q(z \mid x)`,

.. math:: \log p(x) = \underbrace{\mathbb{E}_{q} \log p(x \mid z) - \mathrm{KL}(q(z \mid x) \,\|\, p(z))}_{\mathrm{ELBO}(q)}
          + \mathrm{KL}(q(z \mid x) \,\|\, p(z \mid x)),

so the ELBO is a lower bound on the evidence, tight iff q is the posterior. With a Gaussian
decoder of fixed variance, :math:`p(x \mid z) = N(x; \bar x(z), \sigma^2 I_d)`,

.. math:: -\log p(x \mid z) = \frac{\|x - \bar x(z)\|_2^2}{2 \sigma^2} + \frac d2 \log(2 \pi \sigma^2).

Slip in the lecture notes: the reconstruction term written with the unsquared norm
:math:`\|x - \bar x\|_2`. That is not the log-likelihood of any fixed-variance Gaussian, and it
changes the optimum: a decoder output that must serve several inputs (one code, several x)
minimises the squared error at their mean and the unsquared one at their (geometric) median.
On the inputs {0, 0, 3}: 1 against 0.

Derivation: :math:`\log p(x) = \log p(x, z) - \log p(z \mid x)` for every z; average over
:math:`q(z \mid x)` and add and subtract :math:`\mathbb{E}_q \log q(z \mid x)`. Checked with
discrete latents (exact sums) and with the linear-Gaussian model, whose posterior is Gaussian.

Condition: p(x) > 0, and q absolutely continuous with respect to the posterior (else the ELBO is
-inf and the gap +inf); the drawn priors and decoders are positive.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy import special, stats

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

from ._strategies import pmfs

PROOF = Proof(
    "The ELBO: log p(x) = ELBO + KL(q || posterior); Gaussian decoders give the squared error",
    claim="log p(x) = E_q log p(x|z) - KL(q(z|x) || p(z)) + KL(q(z|x) || p(z|x)); -log p(x|z) = |x - xbar|^2 / 2s^2 + c",
)
F64 = tolerance("float64")
K = 4  # latent values
GAP = 1e-3


@st.composite
def _models(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(prior p(z), likelihood p(x | z) of the observed x for each z, an encoder q(z | x))."""
    prior = draw(pmfs(K, positive=True))
    lik = np.asarray(draw(st.lists(st.floats(1e-3, 1.0), min_size=K, max_size=K)))
    return prior, lik, draw(pmfs(K))


def _elbo(prior: np.ndarray, lik: np.ndarray, q: np.ndarray) -> float:
    """E_q log p(x|z) - KL(q || p(z)), with the package's KL."""
    return float(np.sum(special.xlogy(q, lik))) - float(dv.kl(q, prior))


@PROOF.step(
    "log p(x) = log p(x, z) - log p(z | x) for every z; averaged over q and with E_q log q added and "
    "subtracted: log p(x) = E_q log p(x|z) - KL(q || p(z)) + KL(q || p(z|x))",
    method="sympy",
)
def _symbolic() -> Check:
    # Two latent values: prior (w, 1 - w), likelihoods a, b, encoder (t, 1 - t).
    w, a, b, t = sp.symbols("w a b t", positive=True)
    prior, lik, q = [w, 1 - w], [a, b], [t, 1 - t]
    evidence = w * a + (1 - w) * b
    post = [prior[i] * lik[i] / evidence for i in range(2)]
    elbo = sum(q[i] * sp.log(lik[i]) - q[i] * sp.log(q[i] / prior[i]) for i in range(2))
    gap = sum(q[i] * sp.log(q[i] / post[i]) for i in range(2))
    return symbolic_zero(sp.expand_log(elbo + gap - sp.log(evidence), force=True))


@PROOF.step(
    "discrete latents: log p(x) = ELBO(q) + KL(q || p(z|x)) exactly, so ELBO <= log p(x), on drawn "
    "priors, decoders and encoders (zeros in q included)",
    method="hypothesis",
)
def _identity() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        prior, lik, q = ex
        evidence = float(np.sum(prior * lik))
        post = prior * lik / evidence
        post = post / post.sum()
        elbo = _elbo(prior, lik, q)
        gap = float(dv.kl(q, post))
        direct = float(np.sum(special.xlogy(q, prior * lik)) - np.sum(special.xlogy(q, q)))
        return worst_of(
            [
                Check.equal(elbo + gap, math.log(evidence), **F64),
                Check.equal(elbo, direct, **F64),
                Check.at_most(elbo, math.log(evidence), atol=F64["atol"]),
            ]
        )

    return over_examples(_models(), check)


@PROOF.step("tight iff q is the posterior: ELBO(p(z|x)) = log p(x)", method="hypothesis")
def _tight() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        prior, lik, _ = ex
        evidence = float(np.sum(prior * lik))
        post = prior * lik / evidence
        return Check.equal(_elbo(prior, lik, post / post.sum()), math.log(evidence), **F64)

    return over_examples(_models(), check)


def _gaussian_terms(x: float, s: float, m: float, t: float) -> tuple[float, float, float]:
    """(ELBO, gap, log p(x)) of the linear-Gaussian model, in closed form.

    The model is z ~ N(0, 1), x | z ~ N(z, s^2), the encoder N(m, t^2); the posterior is N(x / (1 +
    s^2), s^2 / (1 + s^2)).
    """
    recon = -0.5 * math.log(2 * math.pi * s * s) - ((x - m) ** 2 + t * t) / (2 * s * s)
    elbo = recon - float(dv.kl_normal(m, t))
    post_mu, post_sd = x / (1 + s * s), s / math.sqrt(1 + s * s)
    gap = float(dv.kl_normal(m, t, post_mu, post_sd))
    return elbo, gap, float(stats.norm.logpdf(x, 0.0, math.sqrt(1 + s * s)))


@PROOF.step(
    "Gaussian closed forms: z ~ N(0, 1), x|z ~ N(z, s^2), q = N(m, t^2): E_q log p(x|z) - "
    "dv.kl_normal(m, t) + dv.kl_normal(m, t, posterior) = log N(x; 0, 1 + s^2)",
    method="hypothesis",
)
def _gaussian() -> Check:
    def check(ex: tuple[float, float, float, float]) -> Check:
        x, s, m, t = ex
        elbo, gap, evidence = _gaussian_terms(x, s, m, t)
        return Check.equal(elbo + gap, evidence, **F64)

    vals = st.sampled_from([-2.0, -0.3, 0.0, 0.7, 1.5])
    scales = st.sampled_from([0.2, 0.5, 1.0, 2.0])
    return over_examples(st.tuples(vals, scales, vals, scales), check)


@PROOF.step(
    "-log N(x; xbar, s^2 I_d) = |x - xbar|^2 / (2 s^2) + (d/2) log(2 pi s^2): symbolic in d = 2 and "
    "against scipy.stats.norm.logpdf in d = 3",
    method="sympy",
)
def _squared_error() -> Check:
    x1, x2, m1, m2 = sp.symbols("x1 x2 m1 m2", real=True)
    s = sp.symbols("s", positive=True)

    def density(x: sp.Expr, m: sp.Expr) -> sp.Expr:
        return sp.exp(-((x - m) ** 2) / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)

    nll = -sp.log(density(x1, m1) * density(x2, m2))
    closed = ((x1 - m1) ** 2 + (x2 - m2) ** 2) / (2 * s**2) + sp.log(2 * sp.pi * s**2)
    symbolic = symbolic_zero(sp.expand_log(nll - closed, force=True))
    x, xbar, sig = np.array([0.3, -1.2, 2.0]), np.array([0.0, -1.0, 2.5]), 0.7
    scipy_nll = -float(np.sum(stats.norm.logpdf(x, xbar, sig)))
    closed_n = float(np.sum((x - xbar) ** 2)) / (2 * sig**2) + 1.5 * math.log(2 * math.pi * sig**2)
    return worst_of([symbolic, Check.equal(scipy_nll, closed_n, **F64)])


@PROOF.step(
    "slip: the unsquared norm |x - xbar| changes the optimum: one output xbar serving the inputs "
    "{0, 0, 3} minimises the squared error at the mean 1, the unsquared norm at the median 0",
    method="numeric",
)
def _slip_unsquared() -> Check:
    xs = [0, 0, 3]
    c = sp.symbols("c", real=True)
    squared = sp.solve(sp.diff(sum((x - c) ** 2 for x in xs), c), c)  # [1], the mean
    sq_best = float(squared[0]) if len(squared) == 1 else math.nan
    # The unsquared loss is convex and piecewise linear: scan it on a fine grid.
    grid = np.linspace(-1.0, 4.0, 501)
    unsq = np.abs(np.asarray(xs, dtype=float)[:, None] - grid).sum(0)
    unsq_best = float(grid[np.argmin(unsq)])
    at_mean = float(np.sum(np.abs(np.asarray(xs, dtype=float) - sq_best)))
    return worst_of(
        [
            Check.equal(sq_best, float(np.mean(xs)), **F64),
            Check.equal(unsq_best, float(np.median(xs)), **F64),
            Check.differ(sq_best, unsq_best, at_least=GAP),
        ],
        detail=f"squared error: xbar = {sq_best:.4f}; unsquared norm: xbar = {unsq_best:.4f} "
        f"(unsquared loss {float(unsq.min()):.1f} there, {at_mean:.1f} at the mean)",
    )
