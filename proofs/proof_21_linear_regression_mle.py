r"""Linear regression is maximum likelihood: least squares for w, the mean squared residual for sigma^2.

Claim (lectures): with :math:`y_i \sim N(w^\top x_i, \sigma^2)` independent, the negative
log-likelihood of N observations is

.. math:: -\log L(w, \sigma^2) = \frac N2 \log(2 \pi \sigma^2) + \frac{1}{2 \sigma^2} \sum_i (y_i - w^\top x_i)^2,

so for every :math:`\sigma^2` the MLE of w minimises the sum of squares (the normal equations
:math:`X^\top X \hat w = X^\top y`), and then :math:`\hat\sigma^2 = \frac1N \sum_i (y_i - \hat w^\top x_i)^2`.

Derivation: the w-dependence is the residual sum of squares over :math:`2 \sigma^2`, a convex
quadratic with :math:`\mathrm{RSS}(w) = \mathrm{RSS}(\hat w) + (w - \hat w)^\top X^\top X (w - \hat w)`
(the residual of :math:`\hat w` is orthogonal to the columns of X); in :math:`v = \sigma^2` the
profile :math:`\frac N2 \log v + \frac{R}{2v}` has its only stationary point at v = R / N, a minimum.

Condition: X of full column rank (else w is determined only up to the null space of X), and
R > 0 (else the likelihood is unbounded as sigma -> 0). The MLE of sigma^2 divides by N: it is
biased, the unbiased estimator divides by N - d; the two differ below.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy import stats

from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "Linear regression as maximum likelihood: least squares and the mean squared residual",
    claim="y ~ N(w^T x, s^2): argmax_w L = least squares; argmax_{s^2} L = RSS / N",
)
F64 = tolerance("float64")
MAT = tolerance("matrix_function")
N, D = 20, 3
GAP = 1e-3

_RNG = np.random.default_rng(7)
X = _RNG.normal(size=(N, D))
Y = X @ np.array([1.5, -2.0, 0.5]) + 0.3 * _RNG.normal(size=N)


def _nll(w: np.ndarray, var: float) -> float:
    """-log L with scipy's normal log-density (independent of the closed form)."""
    return -float(np.sum(stats.norm.logpdf(Y, X @ w, math.sqrt(var))))


def _mle() -> tuple[np.ndarray, float]:
    w, *_ = np.linalg.lstsq(X, Y, rcond=None)
    return w, float(np.mean((Y - X @ w) ** 2))


@PROOF.step(
    "-log prod N(y_i; w x_i, v) = N/2 log(2 pi v) + sum (y_i - w x_i)^2 / (2 v); d/dv = 0 at "
    "v = RSS / N, where the second derivative is N^3 / (2 RSS^2) > 0",
    method="sympy",
)
def _symbolic() -> Check:
    w, v, r, n = sp.symbols("w v R N", positive=True)
    ys = sp.symbols("y1:4", real=True)
    xs = sp.symbols("x1:4", real=True)
    nll = -sum(
        sp.log(sp.exp(-((yi - w * xi) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v))
        for yi, xi in zip(ys, xs, strict=True)
    )
    closed = sp.Rational(3, 2) * sp.log(2 * sp.pi * v) + sum(
        (yi - w * xi) ** 2 for yi, xi in zip(ys, xs, strict=True)
    ) / (2 * v)
    profile = n / 2 * sp.log(v) + r / (2 * v)
    stationary = sp.solve(sp.diff(profile, v), v)
    curvature = sp.diff(profile, v, 2).subs(v, r / n) - n**3 / (2 * r**2)
    ok = stationary == [r / n]
    return worst_of(
        [
            symbolic_zero(sp.expand_log(nll - closed, force=True)),
            symbolic_zero(curvature),
            Check(0.0 if ok else math.inf, 0.0, detail=f"stationary points {stationary}"),
        ]
    )


@PROOF.step(
    "the least-squares w (np.linalg.lstsq, by SVD) solves the normal equations X^T X w = X^T y "
    "(np.linalg.solve, by LU)",
    method="numeric",
)
def _normal_equations() -> Check:
    w, _ = _mle()
    return Check.equal(w, np.linalg.solve(X.T @ X, X.T @ Y), **MAT)


@PROOF.step(
    "-log L(w, v) - (-log L(w_hat, v)) = (w - w_hat)^T X^T X (w - w_hat) / (2 v) >= 0 for drawn "
    "w and v: the MLE of w is least squares whatever v is",
    method="hypothesis",
)
def _w_is_least_squares() -> Check:
    w_hat, _ = _mle()
    gram = X.T @ X

    def check(ex: tuple[list[float], float]) -> Check:
        step, var = np.asarray(ex[0]), ex[1]
        w = w_hat + step
        excess = _nll(w, var) - _nll(w_hat, var)
        quad = float(step @ gram @ step) / (2 * var)
        scale = abs(_nll(w_hat, var))  # the excess is a difference of numbers this large
        return worst_of(
            [
                Check.equal(excess, quad, rtol=F64["rtol"], atol=F64["rtol"] * scale),
                Check.at_most(0.0, excess, atol=F64["rtol"] * scale),
            ]
        )

    steps = st.lists(st.sampled_from([-1.0, -0.1, -1e-3, 0.0, 1e-3, 0.5]), min_size=D, max_size=D)
    return over_examples(st.tuples(steps, st.sampled_from([0.05, 0.09, 1.0, 4.0])), check)


@PROOF.step(
    "the MLE of sigma^2 is the mean squared residual: -log L(w_hat, v) is larger at v = "
    "v_hat (1 + e) than at v_hat for drawn e, and its v-derivative vanishes at v_hat",
    method="hypothesis",
)
def _variance() -> Check:
    w_hat, v_hat = _mle()
    rss = float(np.sum((Y - X @ w_hat) ** 2))  # summed here, averaged in _mle
    derivative = N / (2 * v_hat) - rss / (2 * v_hat**2)

    def check(e: float) -> Check:
        return Check.at_most(_nll(w_hat, v_hat), _nll(w_hat, v_hat * (1 + e)), atol=0.0)

    grid = over_examples(st.sampled_from([-0.5, -0.1, -1e-3, 1e-3, 0.2, 3.0]), check)
    return worst_of([grid, Check.equal(derivative, 0.0, rtol=0.0, atol=F64["rtol"] * N / v_hat)])


@PROOF.step(
    "note: the MLE RSS / N is not the unbiased RSS / (N - d); with N = 20, d = 3 they differ by "
    "the factor 17 / 20",
    method="numeric",
)
def _biased() -> Check:
    w_hat, v_hat = _mle()
    unbiased = float(np.sum((Y - X @ w_hat) ** 2)) / (N - D)
    return worst_of(
        [
            Check.equal(v_hat / unbiased, (N - D) / N, **F64),
            Check.differ(v_hat, unbiased, at_least=GAP * v_hat),
        ],
        detail=f"MLE {v_hat:.5f}, unbiased {unbiased:.5f}",
    )
