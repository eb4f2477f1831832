r"""AdaIN gives the target's channel statistics; per channel it is the W2-optimal Gaussian map.

Claim (lectures; Huang & Belongie, 2017): adaptive instance normalisation of content features x
by style features y,

.. math:: \mathrm{AdaIN}(x, y) = \sigma(y)\, \frac{x - \mu(x)}{\sigma(x)} + \mu(y),

with mean and standard deviation taken per channel over the spatial positions, gives each channel
exactly the target's mean and standard deviation. Per channel it is the affine map
:math:`T(t) = \mu_y + \frac{\sigma_y}{\sigma_x}(t - \mu_x)`, increasing, which pushes
:math:`N(\mu_x, \sigma_x^2)` onto :math:`N(\mu_y, \sigma_y^2)`; on the line the increasing map
:math:`F_y^{-1} \circ F_x` is the optimal transport map for every convex cost, so its cost

.. math:: \mathbb{E}\,(T(X) - X)^2 = (\mu_x - \mu_y)^2 + (\sigma_x - \sigma_y)^2

is :math:`W_2^2`, the Frechet distance of the two Gaussians; over the channels it is the Frechet
distance of the diagonal Gaussians (``dv.frechet_distance``).

Conditions: :math:`\sigma(x) > 0` in every channel (a constant channel has no AdaIN). AdaIN matches
per-channel statistics only: the channels keep the content's correlations, so for a style with
correlated channels the output's covariance is not the style's, and AdaIN is the W2-optimal map
between the *diagonal* Gaussians, not between the full ones.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy import special

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, symbolic_zero, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "AdaIN: the target's channel statistics, and the W2-optimal map between 1-D Gaussians",
    claim="AdaIN(x, y) has mean mu(y), std sigma(y) per channel; cost (mu_x - mu_y)^2 + (s_x - s_y)^2 = W2^2",
)
F64 = tolerance("float64")
MAT = tolerance("matrix_function")
CHANNELS, POSITIONS = 3, 16
GAP = 1e-3


def adain(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AdaIN on (channels, positions) arrays, with population standard deviations."""
    mx, sx = x.mean(1, keepdims=True), x.std(1, keepdims=True)
    my, sy = y.mean(1, keepdims=True), y.std(1, keepdims=True)
    return sy * (x - mx) / sx + my


@st.composite
def _features(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Content and style features: per channel a drawn scale and shift of a drawn pattern."""
    pattern = st.lists(st.integers(-4, 4), min_size=POSITIONS, max_size=POSITIONS).filter(
        lambda v: len(set(v)) > 1
    )
    scale = st.sampled_from([1e-3, 0.5, 1.0, 7.0])
    shift = st.sampled_from([-20.0, 0.0, 0.25, 3.0])

    def one() -> np.ndarray:
        rows = [
            draw(scale) * np.asarray(draw(pattern), float) + draw(shift) for _ in range(CHANNELS)
        ]
        return np.stack(rows)

    return one(), one()


@PROOF.step(
    "AdaIN(x, y) has, per channel, mean mu(y) and standard deviation sigma(y), on drawn features",
    method="hypothesis",
)
def _statistics() -> Check:
    def check(xy: tuple[np.ndarray, np.ndarray]) -> Check:
        x, y = xy
        out = adain(x, y)
        # Means are sums of terms as large as the largest |output|: rounding is relative to that.
        scale = np.abs(out).max(1)
        return worst_of(
            [
                Check.equal(out.mean(1), y.mean(1), rtol=F64["rtol"], atol=F64["rtol"] * scale),
                Check.equal(out.std(1), y.std(1), **F64),
            ]
        )

    return over_examples(_features(), check)


@PROOF.step(
    "T(t) = mu_y + (s_y / s_x)(t - mu_x) is increasing, pushes N(mu_x, s_x^2) onto N(mu_y, s_y^2) "
    "(mean and variance of an affine map) and equals the quantile map F_y^-1(F_x(t))",
    method="sympy",
)
def _pushforward() -> Check:
    t, mx, my = sp.symbols("t mu_x mu_y", real=True)
    sx, sy = sp.symbols("s_x s_y", positive=True)
    z = sp.symbols("z", real=True)  # X = mu_x + s_x Z, Z ~ N(0, 1): E Z = 0, E Z^2 = 1
    tmap = my + sy / sx * (t - mx)
    image = sp.expand(tmap.subs(t, mx + sx * z))
    mean = sp.Poly(image, z).coeff_monomial(1)
    var = sp.Poly(sp.expand((image - mean) ** 2), z).coeff_monomial(z**2)
    # F_x(t) = Phi((t - mu_x) / s_x) and F_y^-1(u) = mu_y + s_y Phi^-1(u): Phi^-1(Phi(w)) = w.
    w = sp.symbols("w", real=True)
    quantile = (my + sy * w).subs(w, (t - mx) / sx)
    return worst_of(
        [
            symbolic_zero(mean - my),
            symbolic_zero(var - sy**2),
            symbolic_zero(quantile - tmap),
            Check(
                0.0 if (sp.diff(tmap, t) - sy / sx) == 0 and (sy / sx).is_positive else math.inf,
                0.0,
            ),
        ]
    )


@PROOF.step(
    "the quantile map in float64 with scipy's ndtr and ndtri equals T on |t - mu_x| <= 2 s_x",
    method="reference",
)
def _quantile_numeric() -> Check:
    mx, sx, my, sy = 1.0, 0.5, -2.0, 3.0
    t = mx + sx * np.linspace(-2.0, 2.0, 41)
    quantile = my + sy * special.ndtri(special.ndtr((t - mx) / sx))
    return Check.equal(quantile, my + sy / sx * (t - mx), **F64)


@PROOF.step(
    "E (T(X) - X)^2 = (mu_x - mu_y)^2 + (s_x - s_y)^2 (symbolic), = dv.frechet_distance of the 1-D "
    "Gaussians, and summed over channels = dv.frechet_distance of the diagonal Gaussians",
    method="hypothesis",
)
def _cost_is_frechet() -> Check:
    mx, my, z = sp.symbols("mu_x mu_y z", real=True)
    sx, sy = sp.symbols("s_x s_y", positive=True)
    gap = sp.expand((my + sy * z - (mx + sx * z)) ** 2)
    cost = sp.Poly(gap, z).coeff_monomial(1) + sp.Poly(gap, z).coeff_monomial(z**2)
    symbolic = symbolic_zero(cost - ((mx - my) ** 2 + (sx - sy) ** 2))

    def check(ex: tuple[list[float], list[float], list[float], list[float]]) -> Check:
        m1, s1, m2, s2 = (np.asarray(v) for v in ex)
        closed = (m1 - m2) ** 2 + (s1 - s2) ** 2
        diag = float(dv.frechet_distance(m1, np.diag(s1**2), m2, np.diag(s2**2)))
        return Check.equal(diag, float(closed.sum()), **MAT)

    means = st.lists(st.sampled_from([-3.0, 0.0, 0.5, 2.0]), min_size=CHANNELS, max_size=CHANNELS)
    stds = st.lists(st.sampled_from([0.2, 1.0, 1.5, 4.0]), min_size=CHANNELS, max_size=CHANNELS)
    # One channel differing at a time (the others identical, contributing 0): the 1-D distance.
    one_d = []
    for a, c, b, d in [(1.0, 0.5, -2.0, 3.0), (-0.5, 2.0, 4.0, 0.1)]:
        m1, s1, m2, s2 = np.array([a, 0.0, 0.0]), np.array([c, 1.0, 1.0]), np.zeros(3), np.ones(3)
        m2[0], s2[0] = b, d
        fd = float(dv.frechet_distance(m1, np.diag(s1**2), m2, np.diag(s2**2)))
        one_d.append(Check.equal(fd, (a - b) ** 2 + (c - d) ** 2, **MAT))
    drawn = over_examples(st.tuples(means, stds, means, stds), check)
    return worst_of([symbolic, *one_d, drawn], detail=drawn.detail)


@PROOF.step(
    "the increasing coupling is optimal on the line: for samples t_i, dv.w1_1d(t, T(t)) = mean "
    "|T(t_i) - t_i| (the coupling t_i -> T(t_i) attains W1); the decreasing map costs "
    "(mu_x - mu_y)^2 + (s_x + s_y)^2, more",
    method="numeric",
)
def _optimal() -> Check:
    rng = np.random.default_rng(3)
    mx, sx, my, sy = 0.5, 1.0, -1.0, 2.0
    t = mx + sx * rng.normal(size=200)
    up = my + sy / sx * (t - mx)
    down = my - sy / sx * (t - mx)
    w1 = float(dv.w1_1d(t, up))
    increasing = (mx - my) ** 2 + (sx - sy) ** 2
    decreasing = (mx - my) ** 2 + (sx + sy) ** 2
    return worst_of(
        [
            Check.equal(w1, float(np.mean(np.abs(up - t))), **F64),
            Check.at_most(w1, float(np.mean(np.abs(down - t))), atol=F64["atol"]),
            Check.differ(increasing, decreasing, at_least=GAP),
        ],
        detail=f"W2^2: increasing map {increasing:.2f}, decreasing map {decreasing:.2f}",
    )


@PROOF.step(
    "condition: AdaIN keeps the content's channel correlations: for a style with correlated "
    "channels the output's covariance differs from the style's (diagonals agree)",
    method="numeric",
)
def _correlations_kept() -> Check:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 400))  # nearly uncorrelated content
    z = rng.normal(size=400)
    y = np.stack([z, 0.9 * z + 0.1 * rng.normal(size=400)])  # strongly correlated style
    out = adain(x, y)
    c_out, c_y = np.cov(out, bias=True), np.cov(y, bias=True)
    return worst_of(
        [
            Check.equal(np.diag(c_out), np.diag(c_y), rtol=F64["rtol"] * 400, atol=F64["atol"]),
            Check.differ(c_out[0, 1], c_y[0, 1], at_least=0.5),
        ],
        detail=f"covariance of the two channels: output {c_out[0, 1]:.3f}, style {c_y[0, 1]:.3f}",
    )
