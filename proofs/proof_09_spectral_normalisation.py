r"""Spectral normalisation and weight clipping bound a critic's Lipschitz constant.

Claim (lectures; Miyato et al., 2018): the Lipschitz constant of :math:`x \mapsto Wx` in the
euclidean norm is :math:`\sigma_{\max}(W)`, which power iteration estimates; :math:`W /
\sigma_{\max}(W)` is 1-Lipschitz, and a stack of such layers with 1-Lipschitz activations is
1-Lipschitz (Lipschitz constants multiply under composition).

Weight clipping (Arjovsky et al., 2017) to :math:`[-c, c]` bounds the constant too, by a
computable number: :math:`\sigma_{\max}(W) \le \|W\|_F \le c \sqrt{mn}` for an
:math:`m \times n` layer, tight for the constant matrix :math:`W = c\,\mathbf{1}`; a network's
constant is at most the product over layers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

from divergences.lab.proof import Check, Proof, over_examples, worst_of
from divergences.testing import tolerance

PROOF = Proof(
    "Spectral normalisation and weight clipping bound the Lipschitz constant",
    claim="sigma_max(W) by power iteration = SVD; W/sigma_max is 1-Lipschitz; so is a stack",
)
F64 = tolerance("float64")
ITER = tolerance("iterative")
SHAPES = ((3, 4), (5, 2))


def power_iteration(w: np.ndarray, *, max_iter: int = 100_000) -> float:
    """sigma_max(W) by power iteration on W^T W, until the estimate stops changing."""
    rng = np.random.default_rng(0)
    v: np.ndarray = np.asarray(rng.normal(size=w.shape[1]))
    v /= np.linalg.norm(v)
    sigma = 0.0
    for _ in range(max_iter):
        u = w @ v
        new = float(np.linalg.norm(u))
        if new == 0.0:
            return 0.0
        v = w.T @ (u / new)
        v /= np.linalg.norm(v)
        if abs(new - sigma) <= 1e-15 * new:
            return new
        sigma = new
    raise RuntimeError("power iteration did not converge")


@st.composite
def _matrices(draw: st.DrawFn) -> np.ndarray:
    m, n = draw(st.sampled_from(SHAPES))
    entries = draw(st.lists(st.integers(-4, 4), min_size=m * n, max_size=m * n))
    return np.asarray(entries, dtype=float).reshape(m, n) / 2


@st.composite
def _matrices_and_points(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w = draw(_matrices())
    pts = st.lists(st.floats(-3, 3), min_size=w.shape[1], max_size=w.shape[1])
    return w, np.asarray(draw(pts)), np.asarray(draw(pts))


@PROOF.step("sigma_max(W) from the SVD equals the power-iteration estimate", method="hypothesis")
def _power_iteration() -> Check:
    def check(w: np.ndarray) -> Check:
        return Check.equal(power_iteration(w), np.linalg.svd(w, compute_uv=False)[0], **ITER)

    return over_examples(_matrices(), check)


@PROOF.step(
    "W / sigma_max(W) has sigma_max 1 and ||W x - W y|| <= ||x - y||",
    method="hypothesis",
)
def _normalised_layer() -> Check:
    def check(ex: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Check:
        w, x, y = ex
        s = np.linalg.svd(w, compute_uv=False)[0]
        if s == 0:
            return Check(0.0, F64["atol"], detail="zero matrix")
        wn = w / s
        return worst_of(
            [
                Check.equal(np.linalg.svd(wn, compute_uv=False)[0], 1.0, **F64),
                Check.at_most(
                    np.linalg.norm(wn @ (x - y)), np.linalg.norm(x - y), atol=F64["atol"]
                ),
            ]
        )

    return over_examples(_matrices_and_points(), check)


def _network(weights: list[jax.Array], x: jax.Array) -> jax.Array:
    acts = (jnp.tanh, jax.nn.relu, jnp.sin)
    for k, w in enumerate(weights):
        x = w @ x
        if k < len(weights) - 1:
            x = acts[k % 3](x)
    return x


@st.composite
def _stacks(draw: st.DrawFn) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    dims = (4, 5, 3, 1)
    ws = []
    for i in range(3):
        e = draw(
            st.lists(
                st.integers(-4, 4), min_size=dims[i] * dims[i + 1], max_size=dims[i] * dims[i + 1]
            )
        )
        w = np.asarray(e, float).reshape(dims[i + 1], dims[i])
        if not w.any():
            w[0, 0] = 1.0
        ws.append(w)
    pts = st.lists(st.floats(-3, 3), min_size=4, max_size=4)
    return ws, np.asarray(draw(pts)), np.asarray(draw(pts))


@PROOF.step(
    "a stack of spectrally normalised layers with tanh, ReLU, sin between them is 1-Lipschitz: "
    "||J(x)||_2 <= 1 and |f(x) - f(y)| <= ||x - y||",
    method="hypothesis",
)
def _stack() -> Check:
    def check(ex: tuple[list[np.ndarray], np.ndarray, np.ndarray]) -> Check:
        ws, x, y = ex
        wn = [jnp.asarray(w / np.linalg.svd(w, compute_uv=False)[0]) for w in ws]
        jac = np.asarray(jax.jacfwd(lambda v: _network(wn, v))(jnp.asarray(x)))
        fx = np.asarray(_network(wn, jnp.asarray(x)))
        fy = np.asarray(_network(wn, jnp.asarray(y)))
        return worst_of(
            [
                Check.at_most(np.linalg.svd(jac, compute_uv=False)[0], 1.0, atol=F64["atol"]),
                Check.at_most(np.linalg.norm(fx - fy), np.linalg.norm(x - y), atol=F64["atol"]),
            ]
        )

    return over_examples(_stacks(), check)


@PROOF.step(
    "clipping to [-c, c]: sigma_max(W) <= ||W||_F <= c sqrt(m n), with equality for W = c 1",
    method="hypothesis",
)
def _clipping_bound() -> Check:
    def check(w: np.ndarray) -> Check:
        c = 0.01
        wc = np.clip(w, -c, c)
        m, n = w.shape
        s = np.linalg.svd(wc, compute_uv=False)[0]
        tight = np.linalg.svd(np.full((m, n), c), compute_uv=False)[0]
        return worst_of(
            [
                Check.at_most(s, np.linalg.norm(wc), atol=F64["atol"]),
                Check.at_most(np.linalg.norm(wc), c * np.sqrt(m * n), atol=F64["atol"]),
                Check.equal(tight, c * np.sqrt(m * n), **F64),
            ]
        )

    return over_examples(_matrices(), check)


@PROOF.step(
    "a clipped network (tanh, ReLU, sin) is L-Lipschitz with L = prod_l c sqrt(m_l n_l)",
    method="hypothesis",
)
def _clipped_network() -> Check:
    def check(ex: tuple[list[np.ndarray], np.ndarray, np.ndarray]) -> Check:
        ws, x, y = ex
        c = 0.5
        wc = [jnp.asarray(np.clip(w, -c, c)) for w in ws]
        bound = float(np.prod([c * np.sqrt(w.size) for w in ws]))
        fx = np.asarray(_network(wc, jnp.asarray(x)))
        fy = np.asarray(_network(wc, jnp.asarray(y)))
        jac = np.asarray(jax.jacfwd(lambda v: _network(wc, v))(jnp.asarray(x)))
        return worst_of(
            [
                Check.at_most(
                    np.linalg.norm(fx - fy), bound * np.linalg.norm(x - y), atol=F64["atol"]
                ),
                Check.at_most(np.linalg.svd(jac, compute_uv=False)[0], bound, atol=F64["atol"]),
            ]
        )

    return over_examples(_stacks(), check)
