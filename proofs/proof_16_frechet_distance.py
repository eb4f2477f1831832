r"""The Frechet distance between Gaussians is W2^2 between them.

Claim (lectures; Dowson & Landau, 1982; Heusel et al., 2017, the FID):

.. math:: W_2^2(N(m_1, C_1), N(m_2, C_2)) = \|m_1 - m_2\|^2
          + \operatorname{tr}\left(C_1 + C_2 - 2 (C_1^{1/2} C_2 C_1^{1/2})^{1/2}\right).

Checked against (i) the common implementation with ``scipy.linalg.sqrtm(C1 @ C2)``, (ii) the
definition on the line, :math:`W_2^2 = \int_0^1 (F_1^{-1}(u) - F_2^{-1}(u))^2\,du`, by
quadrature, and (iii) the cost of the optimal linear map
:math:`T(x) = m_2 + A(x - m_1)`, :math:`A = C_1^{-1/2}(C_1^{1/2} C_2 C_1^{1/2})^{1/2} C_1^{-1/2}`,
which pushes :math:`N(m_1, C_1)` onto :math:`N(m_2, C_2)` (Knott & Smith, 1984).

Note the FID is the *squared* distance :math:`W_2^2`, not :math:`W_2`.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from hypothesis import strategies as st
from scipy import integrate, stats

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "The Frechet distance (FID) is W2^2 between Gaussians",
    claim="W2^2(N(m1, C1), N(m2, C2)) = |m1 - m2|^2 + tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2)",
)
F64 = tolerance("float64")
MAT = tolerance("matrix_function")
QUAD = tolerance("quadrature")


@st.composite
def _gaussians(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    d = draw(st.sampled_from([2, 3]))
    ints = st.integers(-3, 3)

    def spd() -> np.ndarray:
        a = np.asarray(draw(st.lists(ints, min_size=d * d, max_size=d * d)), float).reshape(d, d)
        return a @ a.T / 4 + np.eye(d)

    m1 = np.asarray(draw(st.lists(ints, min_size=d, max_size=d)), float)
    m2 = np.asarray(draw(st.lists(ints, min_size=d, max_size=d)), float)
    return m1, spd(), m2, spd()


def _sqrt_spd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(w)) @ v.T


@PROOF.step(
    "dv.frechet_distance = |m1 - m2|^2 + tr(C1 + C2 - 2 sqrtm(C1 C2)) with scipy.linalg.sqrtm",
    method="reference",
)
def _vs_scipy() -> Check:
    def check(g: tuple[np.ndarray, ...]) -> Check:
        m1, c1, m2, c2 = g
        root = scipy.linalg.sqrtm(c1 @ c2)
        ref = float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * np.real(root)))
        return Check.equal(float(dv.frechet_distance(m1, c1, m2, c2)), ref, **MAT)

    return over_examples(_gaussians(), check)


@PROOF.step(
    "on the line it is (m1 - m2)^2 + (s1 - s2)^2 = int_0^1 (F1^-1(u) - F2^-1(u))^2 du (quadrature)",
    method="reference",
)
def _quantiles() -> Check:
    checks = []
    for m1, s1, m2, s2 in [(0.0, 1.0, 1.0, 2.0), (-1.5, 0.4, 0.5, 0.4), (2.0, 3.0, 2.0, 0.5)]:
        val, _ = integrate.quad(
            lambda u, m1=m1, s1=s1, m2=m2, s2=s2: (
                (stats.norm.ppf(u, m1, s1) - stats.norm.ppf(u, m2, s2)) ** 2
            ),
            0.0,
            1.0,
            epsabs=1e-13,
            epsrel=1e-12,
            limit=200,
        )
        fd = float(dv.frechet_distance([m1], [[s1**2]], [m2], [[s2**2]]))
        checks += [
            Check.equal(fd, val, **QUAD),
            Check.equal(fd, (m1 - m2) ** 2 + (s1 - s2) ** 2, **F64),
        ]
    return worst_of(checks)


@PROOF.step(
    "the linear map T = m2 + A (x - m1) pushes N(m1, C1) onto N(m2, C2) (A C1 A^T = C2) and costs "
    "E|x - T x|^2 = the Frechet distance",
    method="hypothesis",
)
def _optimal_map() -> Check:
    def check(g: tuple[np.ndarray, ...]) -> Check:
        m1, c1, m2, c2 = g
        r = _sqrt_spd(c1)
        ri = np.linalg.inv(r)
        a = ri @ _sqrt_spd(r @ c2 @ r) @ ri
        eye = np.eye(len(m1))
        cost = float(np.sum((m1 - m2) ** 2) + np.trace((eye - a) @ c1 @ (eye - a).T))
        return worst_of(
            [
                Check.equal(a @ c1 @ a.T, c2, **MAT),
                Check.equal(float(dv.frechet_distance(m1, c1, m2, c2)), cost, **MAT),
            ]
        )

    return over_examples(_gaussians(), check)


@PROOF.step("it is 0 iff the Gaussians are equal, and symmetric", method="hypothesis")
def _metric_facts() -> Check:
    def check(g: tuple[np.ndarray, ...]) -> Check:
        m1, c1, m2, c2 = g
        scale = 1.0 + float(np.trace(c1))
        return worst_of(
            [
                Check.equal(float(dv.frechet_distance(m1, c1, m1, c1)) / scale, 0.0, **MAT),
                Check.equal(
                    float(dv.frechet_distance(m1, c1, m2, c2)),
                    float(dv.frechet_distance(m2, c2, m1, c1)),
                    **MAT,
                ),
            ]
        )

    return over_examples(_gaussians(), check)


_ = math
