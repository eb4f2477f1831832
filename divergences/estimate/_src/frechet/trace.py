r"""FD's cross term :math:`\operatorname{tr}((S_x^{1/2} S_y S_x^{1/2})^{1/2})`, with its rounding allowance.

The sum of the square roots of the eigenvalues of :math:`S_x S_y`, which are those of the
symmetric :math:`L_x^\top S_y L_x` for Cholesky's :math:`S_x = L_x L_x^\top` (formed by
LAPACK's ``dsygst``, then one ``eigvalsh``: no general ``sqrtm``, no complex arithmetic); where
a sample has at most ``d`` draws its centred rows stand for the factor, and where Cholesky stops
(a singular covariance) the eigendecomposition's :math:`V \Lambda_+^{1/2}` does, through the
smaller Gram matrix of :math:`F_x^\top F_y`. A computed eigenvalue :math:`\mu_i` is within
:math:`\tau = 4 r \epsilon \mu_{\max}` of the exact one (Weyl), those below 0 are clipped to
0, and :math:`|\sqrt{\mu} - \sqrt{\mu'}| \le \min(\sqrt\tau, \tau/\sqrt{\mu})` bounds what
the clip and the rounding leave: FD's interval is widened by it. The rounding of the
factorizations and products themselves is not in the allowance (backward stable, and tested
against extended precision).

**On a device.** Where the draws were reduced on a GPU or TPU, :func:`cross_terms` forms the
pairs' matrices there too, in one program over all of them: Cholesky's factor, the two products
:math:`L_x^\top S_y L_x` and the symmetric eigenvalues (the backward-stable counterparts of the
host's LAPACK calls), in float64; only the eigenvalues come back, and the allowance above is
taken from them. A pair whose Cholesky factor is not finite, or whose rows stand for its
covariance, is left to the host's :func:`cross_term`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.linalg import lapack

from divergences.estimate._src.reading import Moments

__all__ = ["cholesky_lower", "congruence", "cross_term", "cross_terms", "roots_and_allowance"]

_EPS = 2.0**-52


def cholesky_lower(a: np.ndarray) -> np.ndarray | None:
    """Cholesky's lower factor of the symmetric ``a``, in ``a``'s memory; None where it stops.

    LAPACK's ``dpotrf`` on the transpose, which is Fortran-ordered where ``a`` is C-ordered: no
    copy in or out (``numpy.linalg.cholesky`` makes both, 0.11 s in place of 0.03 s at d = 2048).
    ``a``'s lower triangle is read and ``a`` overwritten; the factor's upper triangle is zero. A
    matrix that is not positive definite or not finite has none.
    """
    upper, info = lapack.dpotrf(a.T, lower=0, clean=1, overwrite_a=1)
    lower = upper.T
    return lower if info == 0 and np.all(np.isfinite(lower)) else None


def congruence(a: np.ndarray, lower: np.ndarray) -> np.ndarray:
    r""":math:`L^\top A L` in its lower triangle, ``a`` overwritten: LAPACK's ``dsygst``.

    On the transposes, as :func:`cholesky_lower` (no copy of either matrix), with half the
    arithmetic of two triangular products; ``a``'s lower triangle is read.
    """
    m, info = lapack.dsygst(a.T, lower.T, itype=2, lower=0, overwrite_a=1)
    assert info == 0, info  # an argument LAPACK calls illegal: none here
    return m.T


def _factor(s: Moments) -> tuple[np.ndarray, bool]:
    """``F`` with ``F F^T = S`` and whether it is lower triangular (Cholesky's).

    The scaled centred rows where they stand for the covariance, Cholesky's factor, or
    ``V Lambda_+^(1/2)`` where Cholesky stops (a singular covariance).
    """
    cov = s.cov
    if cov is None:
        assert s.centred is not None
        return s.centred.T / math.sqrt(s.size - 1), False
    lower = cholesky_lower(cov)
    if lower is not None:
        return lower, True
    w, v = np.linalg.eigh(s.full_cov())  # cov was overwritten
    keep = w > 4.0 * w.shape[0] * _EPS * max(float(w[-1]), 0.0)
    return v[:, keep] * np.sqrt(w[keep]), False


def _middle(sx: Moments, sy: Moments) -> np.ndarray:
    r"""A symmetric matrix, in its lower triangle, whose eigenvalues are those of :math:`S_x S_y`.

    :math:`F_x^\top S_y F_x` (and zeros) for ``F_x`` Cholesky's, formed by LAPACK's ``dsygst``
    with half the arithmetic of two triangular products (its lower triangle only: the one
    ``eigvalsh`` reads), or the smaller Gram matrix of :math:`F_x^\top F_y`.
    """
    fx, triangular = _factor(sx)
    cov_y = sy.cov  # a new array, which congruence overwrites
    if triangular and cov_y is not None:
        return congruence(cov_y, fx)
    w = fx.T @ _factor(sy)[0]
    m = w.T @ w if w.shape[1] <= w.shape[0] else w @ w.T
    return 0.5 * (m + m.T)


def cross_term(sx: Moments, sy: Moments) -> tuple[float, float]:
    r""":math:`\operatorname{tr}((S_x^{1/2} S_y S_x^{1/2})^{1/2})` and its rounding allowance."""
    m = _middle(sx, sy)
    if m.size == 0:
        return 0.0, 0.0
    return roots_and_allowance(np.linalg.eigvalsh(m))


def roots_and_allowance(mu: np.ndarray) -> tuple[float, float]:
    """The sum of the clipped eigenvalues' square roots, and its rounding allowance."""
    top = max(float(np.max(mu)), 0.0)
    tau = 4.0 * mu.shape[0] * _EPS * top
    root = np.sqrt(np.clip(mu, 0.0, None))
    with np.errstate(divide="ignore"):
        each = np.where(root > 0.0, tau / np.where(root > 0.0, root, 1.0), math.inf)
    allowance = float(np.sum(np.minimum(math.sqrt(tau), each)))
    return float(np.sum(root)), allowance


def cross_terms(
    pairs: Sequence[tuple[Moments, Moments]], devices: tuple[Any, ...] = ()
) -> list[tuple[float, float]]:
    """:func:`cross_term` of each pair: on ``devices[0]`` where given (module docstring)."""
    done: dict[int, tuple[float, float]] = {}
    # whether each holds a scatter (``cov`` would form a d x d array to say so)
    formed = [
        i for i, (x, y) in enumerate(pairs) if x.scatter is not None and y.scatter is not None
    ]
    if devices and formed:
        covs = [np.stack([pairs[i][k].full_cov() for i in formed]) for k in (0, 1)]
        with jax.enable_x64(True):
            on = [jax.device_put(c, devices[0]) for c in covs]
            finite, spectra = (np.asarray(a) for a in _device_spectra(*on))
        for i, ok, mu in zip(formed, finite, spectra, strict=True):
            if ok:
                done[i] = roots_and_allowance(mu)
    return [done[i] if i in done else cross_term(*pair) for i, pair in enumerate(pairs)]


@jax.jit
def _device_spectra(cx: jax.Array, cy: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Whether each ``cx`` has a finite Cholesky factor ``L``; the eigenvalues of ``L^T cy L``."""
    lower = jnp.linalg.cholesky(cx)
    finite = jnp.all(jnp.isfinite(lower), axis=(-2, -1))
    full = jax.lax.Precision.HIGHEST
    m = jnp.matmul(
        jnp.matmul(jnp.swapaxes(lower, -1, -2), cy, precision=full), lower, precision=full
    )
    m = jnp.where(finite[:, None, None], 0.5 * (m + jnp.swapaxes(m, -1, -2)), 0.0)
    return finite, jnp.linalg.eigvalsh(m)
