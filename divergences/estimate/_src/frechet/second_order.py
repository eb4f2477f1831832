r"""FD's second-order variance from pairs of draws: the degenerate part of its expansion.

**Why.** FD's estimate is, to second order, an average of first-order influence values plus a
degenerate U-statistic (a double sum over pairs of draws whose kernel has mean 0 in each
argument). Its variance is :math:`V_1 + V_2`: :math:`V_1 = O(1/n)` from the averages,
:math:`V_2 = O(d^2/n^2)` from the pairs, which matters at large ``d`` or a small FD, where
:math:`V_1` is small. This module estimates :math:`V_2`, for the estimate and for its
plug-in; :mod:`.first_order` estimates :math:`V_1` from the influence values, which carry
twice the plug-in's :math:`V_2` (Hinkley, *Improving the jackknife with special reference to
correlation estimation*, Biometrika 65, 1978; for MMD, Sutherland & Deka, *Unbiased
estimators for the variance of MMD estimators*, arXiv:1906.02104, 2019).

**The kernel** (``../shared/FD_VARIANCE.md`` derives it from the envelope theorem on
:math:`G(A, B) = \operatorname{tr}(A^{1/2} B A^{1/2})^{1/2}`). With :math:`S_x = L L^\top`
(Cholesky), :math:`L^\top S_y L = V \operatorname{diag}(\mu^2) V^\top`, and the centred draws
rotated to identity covariance, :math:`w = V^\top L^{-1} (x - \bar x)` and
:math:`z = \operatorname{diag}(1/\mu) V^\top L^\top (y - \bar y)`, let
:math:`C_{kl} = \mu_k \mu_l / (\mu_k + \mu_l)` (the divided difference of the square root) and

.. math:: \ell(p, q) = \sum_k \mu_k p_k q_k, \qquad
   \kappa(p, q) = \tfrac12 \sum_{kl} C_{kl} (p_k p_l - \delta_{kl})(q_k q_l - \delta_{kl}).

The plug-in FD's degenerate part is then
:math:`\tfrac{1}{n^2}\sum_{i \ne j} (\ell + \kappa)(w_i, w_j) + \tfrac{1}{m^2}\sum_{i \ne j}
(\ell + \kappa)(z_i, z_j) - \tfrac{2}{nm} \sum_{i, j} (\ell + \kappa)(w_i, z_j)`; the cross
term's :math:`\ell` comes from the mean term, every other part from :math:`-2T`. The
bias-corrected estimate (:mod:`~divergences.estimate._src.frechet.distance`) extrapolates
:math:`T` over ``B`` batches, which leaves its pairs between batches only, weighted
:math:`B/(B-1)`, while the mean term keeps every pair. The tests check the kernel against
finite differences of FD and against its Gaussian closed form,
:math:`\mathbb E (\ell + \kappa)^2 = \sum \mu_k^2 + \tfrac12 \|C\|_F^2 + \tfrac12 \sum C_{kk}^2`.

**The estimate.** Every pair of draws gets a weight from the batches it falls in
(:func:`pair_weights`). The pairs' terms are uncorrelated (the kernel is degenerate), so the
pairs' variance is :math:`V_2 = \sum_{\text{pairs}} w^2\, \mathbb E k^2`, an exact sum over
the :math:`B \times B` classes of batch pairs times the kernel's second moments, averaged over
random pairs (:func:`pairs_in`: 8192 up to d = 256, then :math:`8192 (256/d)^2`, at least
1024) of the kept draws of each sample (relative error about :math:`\sqrt{2/M}`). Each pair's
:math:`\kappa` takes ``O(d q)`` arithmetic, :math:`C` being a sum of ``q`` (114 to 160)
exponentials' products (:func:`divided_factor`) in place of a ``d x d`` matrix: at d = 2048
the kernel on 2 x 2000 kept draws and 3 x 1024 pairs took 0.18 s in place of 0.65 s. Under
P = Q, where the pairs are all of the variance, :math:`V_2` met it (1.04 in d = 8, 0.97 in
d = 32 at n = 1000, 0.86 in d = 64, 0.73 in d = 256, where the draws are whitened by their own
covariance, which shrinks the pairs:
``estimate_coverage.md``, "FD's jackknife less its double count of the pairs").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import eigh, solve_triangular

from divergences.estimate._src.frechet.trace import cholesky_lower, congruence
from divergences.estimate._src.reading import Moments

__all__ = [
    "FEWEST_PAIRS",
    "PAIRS",
    "Kernels",
    "Pairs",
    "Rotation",
    "Weights",
    "difference_second_order",
    "divided_factor",
    "gaussian_second_moment",
    "kernel_parts",
    "kernel_values",
    "pair_weights",
    "pairs_in",
    "quadratic_form",
    "rotated_x",
    "rotated_y",
    "rotation",
    "single_second_order",
]

#: The random pairs of each kind the kernel's second moments are averaged over, up to d = 256.
PAIRS = 8192
#: The fewest random pairs of each kind, in any dimension (relative error about 4.4%).
FEWEST_PAIRS = 1024
#: Below this ratio of its smallest to its largest eigenvalue, a covariance or ``L^T S_y L`` is
#: called singular: the rotation divides by them, and the expansion is not used there.
_SINGULAR = 1e-10
#: :func:`divided_factor`'s step in ``log t`` and the share of ``1/s`` its cut tails may leave.
_STEP, _TAIL = 0.3, 1e-13


class Rotation(NamedTuple):
    """The kernel's pieces: ``S_x = L L^T``, ``L^T S_y L = V diag(mu^2) V^T``, ``C = F F^T``, means.

    ``squares``: the eigenvalues ``mu^2`` as computed, those of :math:`S_x S_y` (FD's cross term's).
    """

    lower: np.ndarray
    basis: np.ndarray
    roots: np.ndarray
    factor: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    squares: np.ndarray


def rotation(fx: Moments, fy: Moments) -> Rotation | None:
    """The kernel's pieces for the two samples' moments; None where a covariance is singular."""
    lower = cholesky_lower(fx.full_cov())  # a new array, overwritten
    if lower is None:
        return None
    diagonal = np.diag(lower) ** 2
    if diagonal.min() <= _SINGULAR * diagonal.max():
        return None
    middle = congruence(fy.full_cov(), lower)  # L^T S_y L in the lower triangle eigh reads
    try:
        squares, basis = eigh(middle, lower=True, driver="evd", overwrite_a=True)
    except (ValueError, np.linalg.LinAlgError):  # not finite, or no convergence
        return None
    if not squares[0] > _SINGULAR * squares[-1]:
        return None
    roots = np.sqrt(squares)
    return Rotation(lower, basis, roots, divided_factor(roots), fx.mean, fy.mean, squares)


def divided_factor(roots: np.ndarray) -> np.ndarray:
    r"""``F``, ``(d, q)``, with :math:`F F^\top = C`, :math:`C_{kl} = \mu_k\mu_l/(\mu_k+\mu_l)`.

    From :math:`1/s = \int_{\mathbb R} e^{x - s e^x}\,dx` by the trapezoid rule, step
    :data:`_STEP`, on the :math:`x` that leave tails below :data:`_TAIL` of :math:`1/s` for
    :math:`s = \mu_k + \mu_l` in :math:`[2\mu_{\min}, 2\mu_{\max}]`: column :math:`j` is
    :math:`\mu\,\sqrt{h e^{x_j}}\,e^{-e^{x_j}\mu}`, so :math:`F F^\top` is :math:`C` with
    each entry within :math:`10^{-12}` of its own size and positive semidefinite. The integrand
    is analytic in the strip :math:`|\operatorname{Im} x| < \pi/2`, so the rule's error falls
    like :math:`e^{-\pi^2/h}` (Trefethen & Weideman, *The exponentially convergent trapezoidal
    rule*, SIAM Review 56, 2014; Beylkin & Monzon, *Approximation by exponential sums
    revisited*, Appl. Comput. Harmon. Anal. 28, 2010). :math:`114 + 3.3\ln(\mu_{\max}/\mu_{\min})`
    columns in place of ``d``: a quadratic form in ``C`` costs ``O(d q)``, not ``O(d^2)``.
    """
    top = float(np.max(roots))
    r = roots / top  # C(mu) = top C(mu / top): the sum on (0, 1]
    lo = math.log(_TAIL) - math.log(2.0)
    hi = math.log(math.log(1.0 / _TAIL)) - math.log(2.0 * float(np.min(r))) + 0.5
    x = np.arange(lo, hi + _STEP, _STEP)
    columns = r[:, None] * np.exp(0.5 * (x + math.log(_STEP)) - r[:, None] * np.exp(x))
    return math.sqrt(top) * columns


def rotated_x(rot: Rotation, rows: np.ndarray) -> np.ndarray:
    """``w = V^T L^-1 (x - mean)`` for each row."""
    return solve_triangular(rot.lower, (rows - rot.mean_x).T, lower=True).T @ rot.basis


def rotated_y(rot: Rotation, rows: np.ndarray) -> np.ndarray:
    """``z = diag(1/mu) V^T L^T (y - mean)`` for each row."""
    return ((rows - rot.mean_y) @ rot.lower @ rot.basis) / rot.roots


def kernel_parts(rot: Rotation, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\ell(p_i, q_i)` and :math:`\kappa(p_i, q_i)` for each row pair (module docstring)."""
    h = p * q
    dc = 0.5 * rot.roots  # C's diagonal
    lin = h @ rot.roots
    hf = h @ rot.factor  # h^T C h = |h F|^2
    quad = 0.5 * (np.sum(hf * hf, axis=1) - (p * p) @ dc - (q * q) @ dc + float(np.sum(dc)))
    return lin, quad


class Kernels(NamedTuple):
    """The kernel on random pairs: ``xx`` and ``yy`` (``l + kappa``), the cross pairs' parts."""

    xx: np.ndarray
    yy: np.ndarray
    cross_quad: np.ndarray
    cross_lin: np.ndarray


def pairs_in(d: int) -> int:
    """The random pairs of each kind in ``d`` dimensions.

    :data:`PAIRS` up to d = 256, then fewer, as the square of ``d`` grows, at least
    :data:`FEWEST_PAIRS` (the rows the pairs gather, ``M x d`` of each kind, stay in memory).
    """
    return max(FEWEST_PAIRS, min(PAIRS, PAIRS * 256**2 // (d * d)))


def _pairs(
    k1: int, k2: int, same: bool, seed: int, kind: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random index pairs (distinct where ``same``), a function of the seed only."""
    rng = np.random.default_rng((seed, kind, k1, k2))
    i = rng.integers(0, k1, count)
    j = rng.integers(0, k2 - 1 if same else k2, count)
    if same:
        j = j + (j >= i)  # uniform over the other draws
    return i, j


def kernel_values(rot: Rotation, w: np.ndarray, z: np.ndarray, seed: int) -> Kernels:
    """The kernel on :func:`pairs_in` random pairs of each kind, from the rotated kept rows.

    ``w`` and ``z``: the rows rotated (:func:`rotated_x`, :func:`rotated_y`).

    The pairs of the ``y`` sample depend on its rows and ``seed`` only, so that two candidates
    against one reference see the same reference pairs (:func:`frechet_difference`).
    """
    count = pairs_in(w.shape[1])
    i, j = _pairs(w.shape[0], w.shape[0], True, seed, 0, count)
    xx = sum(kernel_parts(rot, w[i], w[j]))
    i, j = _pairs(z.shape[0], z.shape[0], True, seed, 1, count)
    yy = sum(kernel_parts(rot, z[i], z[j]))
    i, j = _pairs(w.shape[0], z.shape[0], False, seed, 2, count)
    lin, quad = kernel_parts(rot, w[i], z[j])
    return Kernels(np.asarray(xx), np.asarray(yy), quad, lin)


def gaussian_second_moment(rot: Rotation) -> float:
    r""":math:`\mathbb E(\ell + \kappa)(w, w')^2` for Gaussian draws: the kernel's closed form."""
    mu = rot.roots
    c = np.outer(mu, mu) / (mu[:, None] + mu[None, :])
    return float(np.sum(mu**2) + 0.5 * np.sum(c * c) + 0.5 * np.sum(np.diag(c) ** 2))


class Weights(NamedTuple):
    """Each kind of pair's weight in an estimate and the pairs of each class, ``(B, B)``.

    ``xx`` and ``yy`` weigh an unordered pair; the classes are the batches' pairs.
    """

    xx: np.ndarray
    yy: np.ndarray
    cross_quad: np.ndarray
    cross_lin: np.ndarray
    count_xx: np.ndarray
    count_yy: np.ndarray
    count_xy: np.ndarray


def _within_pair_counts(sizes: np.ndarray) -> np.ndarray:
    """Unordered pairs of draws between batches ``a <= b`` (within a batch on the diagonal)."""
    counts = np.triu(np.outer(sizes, sizes))
    np.fill_diagonal(counts, sizes * (sizes - 1) / 2.0)
    return counts


def pair_weights(sizes_x: np.ndarray, sizes_y: np.ndarray, plug_in: bool = False) -> Weights:
    r"""The weight of a pair of draws in each pair of batches, in FD's estimate or its plug-in.

    The estimate is :math:`(B\,T_n - \sum_j \omega_j T_j)/(B-1)` with :math:`\omega_j` the
    batches' shares of the draws (``distance._shares``), plus the mean term and the traces: a
    pair inside a set of :math:`n_x` and :math:`n_y` draws carries :math:`1/n_x^2` (x pairs,
    ordered) or :math:`1/(n_x n_y)` (cross pairs) of its kernel, so a pair within batch
    :math:`j` carries :math:`B/(B-1)` of the full sample's less :math:`\omega_j/(B-1)` of the
    batch's, one across batches the first alone. ``plug_in``: the plug-in FD's weights, every
    pair its full sample's.
    """
    sx, sy = np.asarray(sizes_x, float), np.asarray(sizes_y, float)
    b = sx.shape[0]
    nx, ny = sx.sum(), sy.sum()
    if plug_in:
        a, share = 1.0, np.zeros(b)
    else:
        a, share = b / (b - 1.0), 0.5 * (sx / nx + sy / ny) / (b - 1.0)
    same = np.eye(b)
    wxx = 2.0 * (a / nx**2 - (share / sx**2)[:, None] * same)
    wyy = 2.0 * (a / ny**2 - (share / sy**2)[:, None] * same)
    wq = -2.0 * (a / (nx * ny) - (share / (sx * sy))[:, None] * same)
    wl = np.full((b, b), -2.0 / (nx * ny))
    return Weights(
        wxx, wyy, wq, wl, _within_pair_counts(sx), _within_pair_counts(sy), np.outer(sx, sy)
    )


def quadratic_form(weights: list[np.ndarray], counts: np.ndarray) -> np.ndarray:
    r"""The pairs' variance as a form in the kernel's moments.

    For kernel parts with weights :math:`w_c`, :math:`F_{cc'} = \sum \text{count}\, w_c w_{c'}`
    summed over the batches' pairs: :math:`V_2 = \sum_{cc'} F_{cc'} \mathbb E k_c k_{c'}`.
    """
    stack = np.stack(weights)  # (parts, B, B)
    return np.einsum("ab,cab,dab->cd", counts, stack, stack)


def _moments(*values: np.ndarray) -> np.ndarray:
    stack = np.stack(values)
    return (stack @ stack.T) / stack.shape[1]


class Pairs(NamedTuple):
    """One FD's pairs' weights (the estimate's and its plug-in's) and its kernel on random pairs."""

    weights: Weights
    plug_in: Weights
    kernels: Kernels


_Kind = tuple[list[np.ndarray], np.ndarray, tuple[np.ndarray, ...]]


def _own_kinds(w: Weights, k: Kernels, sign: float = 1.0) -> list[_Kind]:
    """The x pairs and the cross pairs of one FD (the y pairs apart: a shared reference's)."""
    return [
        ([sign * w.xx], w.count_xx, (k.xx,)),
        ([sign * w.cross_quad, sign * w.cross_lin], w.count_xy, (k.cross_quad, k.cross_lin)),
    ]


def _summed(kinds: list[_Kind]) -> float:
    return sum(
        float(np.sum(quadratic_form(parts, counts) * _moments(*values)))
        for parts, counts, values in kinds
    )


def single_second_order(p: Pairs) -> tuple[float, float]:
    """``(V_2, V_2 of the plug-in)``: one FD's pairs' variance, and its plug-in's."""
    k = p.kernels
    return tuple(  # type: ignore[return-value]
        _summed([*_own_kinds(w, k), ([w.yy], w.count_yy, (k.yy,))]) for w in (p.weights, p.plug_in)
    )


def difference_second_order(pa: Pairs, pb: Pairs) -> tuple[float, float]:
    """``(V_2, V_2 of the plug-ins)`` of FD(A, R) - FD(B, R), R the ``y`` sample of both.

    A's pairs, B's pairs and the cross pairs of each are uncorrelated (the kernels are
    degenerate); a pair of the reference's draws carries A's kernel less B's, on the same
    random pairs (:func:`kernel_values`).
    """
    out = []
    for wa, wb in ((pa.weights, pb.weights), (pa.plug_in, pb.plug_in)):
        reference = ([wa.yy, -wb.yy], wa.count_yy, (pa.kernels.yy, pb.kernels.yy))
        out.append(
            _summed([*_own_kinds(wa, pa.kernels), *_own_kinds(wb, pb.kernels, -1.0), reference])
        )
    return out[0], out[1]
