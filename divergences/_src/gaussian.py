r"""Closed forms between Gaussians: KL (univariate and multivariate) and the Frechet distance.

These are the formulas behind the VAE's regulariser and the FID score. Pure JAX, differentiable,
batched over leading axes where stated.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.array_types import ArrayLike
from divergences._src.domain import check_covariance, check_finite, check_positive
from divergences._src.precision import (
    FloatArray,
    as_float_array,
    half_precision,
    keeps_input_precision,
)

__all__ = ["frechet_distance", "kl_mvn", "kl_normal"]


@keeps_input_precision
def kl_normal(
    mu_p: ArrayLike, sigma_p: ArrayLike, mu_q: ArrayLike = 0.0, sigma_q: ArrayLike = 1.0
) -> jax.Array:
    r"""KL between univariate normals, :math:`\mathrm{KL}(N(\mu_p, \sigma_p^2) \,\|\, N(\mu_q, \sigma_q^2))`.

    .. math::
       \log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12

    With the defaults :math:`\mu_q = 0, \sigma_q = 1` it is the VAE regulariser
    :math:`\tfrac12(\mu^2 + \sigma^2 - 1 - \log \sigma^2)` (Kingma & Welling, 2014, appendix B).
    Arguments broadcast; standard deviations (not variances) are taken, and must be > 0.

    Args:
      mu_p: mean of the first normal.
      sigma_p: standard deviation of the first normal, > 0.
      mu_q: mean of the second normal.
      sigma_q: standard deviation of the second normal, > 0.

    Returns:
      The divergence in nats, in the broadcast shape of the arguments.

    References:
      Kingma & Welling, *Auto-Encoding Variational Bayes*, ICLR 2014, appendix B.

    Example:
      >>> import divergences as dv
      >>> round(float(dv.kl_normal(1.0, 1.0)), 6)  # (1 + 1 - 1 - 0) / 2
      0.5
    """
    mu_p, sigma_p = as_float_array(mu_p, "mu_p"), as_float_array(sigma_p, "sigma_p")
    mu_q, sigma_q = as_float_array(mu_q, "mu_q"), as_float_array(sigma_q, "sigma_q")
    check_finite(mu_p, "mu_p")
    check_finite(mu_q, "mu_q")
    check_positive(sigma_p, "sigma_p", "a standard deviation")
    check_positive(sigma_q, "sigma_q", "a standard deviation")
    try:
        np.broadcast_shapes(mu_p.shape, sigma_p.shape, mu_q.shape, sigma_q.shape)
    except ValueError:
        raise ValueError(
            f"mu_p {mu_p.shape}, sigma_p {sigma_p.shape}, mu_q {mu_q.shape} and sigma_q "
            f"{sigma_q.shape} must broadcast to one shape"
        ) from None
    return _kl_normal(mu_p, sigma_p, mu_q, sigma_q)


@jax.jit
def _kl_normal(mu_p: jax.Array, sigma_p: jax.Array, mu_q: jax.Array, sigma_q: jax.Array) -> Any:
    r = sigma_p / sigma_q
    return -jnp.log(r) + 0.5 * (r**2 + ((mu_p - mu_q) / sigma_q) ** 2) - 0.5


def _check_gaussians(
    mp: FloatArray,
    cp: FloatArray,
    mq: FloatArray,
    cq: FloatArray,
    *,
    positive_definite: bool,
    precisions: tuple[Any, Any] = (None, None),
) -> None:
    """Shapes (static) then values of two Gaussians' parameters, in the package's one policy."""
    for mean, cov, m_name, c_name in ((mp, cp, "mean_p", "cov_p"), (mq, cq, "mean_q", "cov_q")):
        if mean.ndim < 1 or cov.ndim < 2 or cov.shape[-2:] != (mean.shape[-1], mean.shape[-1]):
            raise ValueError(
                f"{c_name} must have shape (..., d, d) for {m_name} of shape (..., d); got "
                f"{m_name} {mean.shape} and {c_name} {cov.shape}"
            )
    if mp.shape[-1] != mq.shape[-1]:
        raise ValueError(
            f"mean_p and mean_q must have the same dimension d, got {mp.shape[-1]} and "
            f"{mq.shape[-1]}"
        )
    try:
        np.broadcast_shapes(mp.shape[:-1], cp.shape[:-2], mq.shape[:-1], cq.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the batch shapes of mean_p {mp.shape[:-1]}, cov_p {cp.shape[:-2]}, mean_q "
            f"{mq.shape[:-1]} and cov_q {cq.shape[:-2]} (the axes before d) do not broadcast"
        ) from None
    check_finite(mp, "mean_p")
    check_covariance(cp, "cov_p", positive_definite=positive_definite, precision=precisions[0])
    check_finite(mq, "mean_q")
    check_covariance(cq, "cov_q", positive_definite=positive_definite, precision=precisions[1])


@keeps_input_precision
def kl_mvn(mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike) -> jax.Array:
    r"""KL between multivariate normals :math:`\mathrm{KL}(N(m_p, C_p) \,\|\, N(m_q, C_q))`.

    .. math::
       \tfrac12\left[\operatorname{tr}(C_q^{-1} C_p) + (m_q - m_p)^\top C_q^{-1} (m_q - m_p)
       - d + \log\frac{\det C_q}{\det C_p}\right]

    Computed with Cholesky factors (no explicit inverse). Both covariances must be positive
    definite; leading axes broadcast.

    Args:
      mean_p: mean of the first normal, shape ``(..., d)``.
      cov_p: covariance of the first normal, ``(..., d, d)``.
      mean_q: mean of the second normal, ``(..., d)``.
      cov_q: covariance of the second normal, ``(..., d, d)``.

    Returns:
      The divergence in nats, shape ``(...)``.

    References:
      Duchi, *Derivations for Linear Algebra and Optimization*, 2007, sec. 9; Pardo,
      *Statistical Inference Based on Divergence Measures*, 2006, p. 45.

    Example:
      >>> import numpy as np, divergences as dv
      >>> round(float(dv.kl_mvn(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))), 6)  # |m|^2 / 2
      1.0
    """
    mp, cp = as_float_array(mean_p, "mean_p"), as_float_array(cov_p, "cov_p")
    mq, cq = as_float_array(mean_q, "mean_q"), as_float_array(cov_q, "cov_q")
    _check_gaussians(mp, cp, mq, cq, positive_definite=True)
    return _kl_mvn(mp, cp, mq, cq)


@jax.jit
def _kl_mvn(mp: jax.Array, cp: jax.Array, mq: jax.Array, cq: jax.Array) -> jax.Array:
    d = mp.shape[-1]
    lp = jnp.linalg.cholesky(cp)
    lq = jnp.linalg.cholesky(cq)
    # C_q^{-1} C_p = L_q^{-T} L_q^{-1} L_p L_p^T: tr = || L_q^{-1} L_p ||_F^2.
    a = jax.scipy.linalg.solve_triangular(lq, lp, lower=True)
    diff = jax.scipy.linalg.solve_triangular(lq, (mq - mp)[..., None], lower=True)[..., 0]
    logdet_q = 2 * jnp.sum(jnp.log(jnp.diagonal(lq, axis1=-2, axis2=-1)), axis=-1)
    logdet_p = 2 * jnp.sum(jnp.log(jnp.diagonal(lp, axis1=-2, axis2=-1)), axis=-1)
    return 0.5 * (
        jnp.sum(a**2, axis=(-2, -1)) + jnp.sum(diff**2, axis=-1) - d + logdet_q - logdet_p
    )


#: The matrix products in the inputs' own precision: a GPU's default for float32 (TF32) rounds the
#: factors to 10 bits, far from the relative accuracy the closed forms promise.
_FULL = jax.lax.Precision.HIGHEST


def _sqrtm_psd(c: jax.Array) -> jax.Array:
    """Symmetric square root of a positive semi-definite matrix (eigenvalues clipped at 0)."""
    w, v = jnp.linalg.eigh(c)
    scaled = v * jnp.sqrt(jnp.maximum(w, 0))[..., None, :]
    return jnp.matmul(scaled, jnp.swapaxes(v, -1, -2), precision=_FULL)


@keeps_input_precision
def frechet_distance(
    mean_p: ArrayLike, cov_p: ArrayLike, mean_q: ArrayLike, cov_q: ArrayLike
) -> jax.Array:
    r"""Frechet distance between Gaussians: the squared 2-Wasserstein distance :math:`W_2^2`.

    .. math::
       \|m_p - m_q\|^2 + \operatorname{tr}\!\left(C_p + C_q
       - 2\,(C_p^{1/2} C_q C_p^{1/2})^{1/2}\right)

    This is the quantity of the FID score (Heusel et al., 2017), which evaluates it on Inception
    features: given the sample means and covariances (divisor ``n - 1``) of two sets of
    features, it is the plug-in FID that pytorch-fid computes and papers print. Note the
    *squared* distance: FID is :math:`W_2^2`, not :math:`W_2`. The square roots are taken by
    symmetric eigendecomposition (either covariance may be singular; no complex residue as from
    ``sqrtm(C_p C_q)``), and a trace term that cancels to a negative residue is taken as 0.

    **float32 and lower.** The traces cancel: at d = 2048 two Inception covariances' traces
    are hundreds of times the FD, so float32 arithmetic (JAX's default) would be off by percents
    (+15% on a pair of feature sets). Inputs of 32 bits or fewer are therefore evaluated in
    float64 on the host (:func:`jax.pure_callback`, under ``jit`` and ``vmap`` too) and the
    result rounded once to the inputs' dtype, whatever ``jax_enable_x64`` says: the value is the
    float64 one, as :func:`divergences.estimate.frechet`'s ``plug_in`` on the same statistics.
    Derivatives (a custom JVP) are those of the formula in the inputs' dtype.

    Args:
      mean_p: mean of the first Gaussian, shape ``(..., d)``.
      cov_p: covariance of the first Gaussian, ``(..., d, d)``, positive semi-definite.
      mean_q: mean of the second Gaussian, ``(..., d)``.
      cov_q: covariance of the second Gaussian, ``(..., d, d)``.

    Returns:
      :math:`W_2^2 \ge 0`, shape ``(...)``.

    References:
      Dowson & Landau, *The Frechet distance between multivariate normal distributions*,
      J. Multivariate Anal. 12(3), 1982; Heusel et al., *GANs Trained by a Two Time-Scale Update
      Rule Converge to a Local Nash Equilibrium*, NeurIPS 2017, eq. (6).

    Example:
      >>> import numpy as np, divergences as dv
      >>> # 1-D: (m_p - m_q)^2 + (s_p - s_q)^2 = 1 + 1
      >>> round(float(dv.frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1))), 6)
      2.0
    """
    mp, cp = as_float_array(mean_p, "mean_p"), as_float_array(cov_p, "cov_p")
    mq, cq = as_float_array(mean_q, "mean_q"), as_float_array(cov_q, "cov_q")
    _check_gaussians(
        mp,
        cp,
        mq,
        cq,
        positive_definite=False,
        precisions=(half_precision(cov_p), half_precision(cov_q)),
    )
    if jnp.result_type(mp, cp, mq, cq) == jnp.float64:
        return _frechet_distance(mp, cp, mq, cq)
    return _frechet_distance_host(mp, cp, mq, cq)


def _frechet_numpy(mp: np.ndarray, cp: np.ndarray, mq: np.ndarray, cq: np.ndarray) -> Any:
    """The formula in float64 NumPy, batched over leading axes, as :func:`_frechet_distance`."""
    mp, cp, mq, cq = (np.asarray(a, np.float64) for a in (mp, cp, mq, cq))
    w, v = np.linalg.eigh(cp)
    sp = (v * np.sqrt(np.maximum(w, 0.0))[..., None, :]) @ np.swapaxes(v, -1, -2)
    middle = sp @ cq @ sp
    middle = 0.5 * (middle + np.swapaxes(middle, -1, -2))
    cross = np.sum(np.sqrt(np.maximum(np.linalg.eigvalsh(middle), 0.0)), axis=-1)
    bures = np.trace(cp, axis1=-2, axis2=-1) + np.trace(cq, axis1=-2, axis2=-1) - 2.0 * cross
    return np.sum((mp - mq) ** 2, axis=-1) + np.maximum(bures, 0.0)


@jax.custom_jvp
def _frechet_distance_host(mp: jax.Array, cp: jax.Array, mq: jax.Array, cq: jax.Array) -> Any:
    dtype = jnp.result_type(mp, cp, mq, cq)
    shape = np.broadcast_shapes(mp.shape[:-1], cp.shape[:-2], mq.shape[:-1], cq.shape[:-2])

    def host(*args: np.ndarray) -> np.ndarray:
        return np.asarray(_frechet_numpy(*args), dtype)

    out = jax.ShapeDtypeStruct(shape, dtype)
    return jax.pure_callback(host, out, mp, cp, mq, cq, vmap_method="broadcast_all")


@_frechet_distance_host.defjvp
def _frechet_distance_host_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Any:
    _, tangent = jax.jvp(_frechet_distance, primals, tangents)
    return _frechet_distance_host(*primals), tangent


@jax.jit
def _frechet_distance(mp: jax.Array, cp: jax.Array, mq: jax.Array, cq: jax.Array) -> jax.Array:
    sp = _sqrtm_psd(cp)
    middle = jnp.matmul(jnp.matmul(sp, cq, precision=_FULL), sp, precision=_FULL)
    middle = 0.5 * (middle + jnp.swapaxes(middle, -1, -2))
    cross = jnp.sum(jnp.sqrt(jnp.maximum(jnp.linalg.eigvalsh(middle), 0)), axis=-1)
    bures = jnp.trace(cp, axis1=-2, axis2=-1) + jnp.trace(cq, axis1=-2, axis2=-1) - 2 * cross
    # The Bures term is >= 0 (it is W2^2 between centred Gaussians); for nearly equal or
    # singular covariances the two traces and the eigenvalues cancel to a rounding residue of
    # either sign, of the order of eps times the traces: a negative residue is returned as 0.
    bures = jnp.where(bures < 0, 0.0, bures).astype(bures.dtype)
    return jnp.sum((mp - mq) ** 2, axis=-1) + bures
