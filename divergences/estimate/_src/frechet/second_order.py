r"""FD's second-order variance from pairs of draws: the part the jackknife counts twice, removed.

**Why.** FD's estimate is, to second order, an average of first-order influence values plus a
degenerate U-statistic (a double sum over pairs of draws whose kernel has mean 0 in each
argument). Its variance is :math:`V_1 + V_2`: :math:`V_1 = O(1/n)` from the averages,
:math:`V_2 = O(d^2/n^2)` from the pairs. The delete-a-group jackknife estimates :math:`V_1`
without bias but counts each pair's term about twice (Efron & Stein, *The jackknife estimate of
variance*, Ann. Statist. 9, 1981), so where :math:`V_2` matters (large ``d``, or a small FD,
where :math:`V_1` is small) its interval is too wide. The remedy of the U-statistic literature
is to estimate the pairs' part itself and take out what the jackknife counts beyond it
(Hinkley, *Improving the jackknife with special reference to correlation estimation*,
Biometrika 65, 1978; for MMD, Sutherland & Deka, *Unbiased estimators for the variance of MMD
estimators*, arXiv:1906.02104, 2019).

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

**The estimate.** Every pair of draws gets a weight from the groups it falls in: in the full
estimate, and in each of the jackknife's estimates without one group. The pairs' terms are
uncorrelated (the kernel is degenerate), so the pairs' variance is
:math:`V_2 = \sum_{\text{pairs}} w^2\, \mathbb E k^2` and what the jackknife counts of them is
:math:`J_2 = \tfrac{G-1}{G} \sum_{\text{pairs}} \sum_g (w_{(g)} - \bar w)^2\, \mathbb E k^2`,
both exact sums over the :math:`G \times G` classes of group pairs (:func:`pair_weights`),
times the kernel's second moments, averaged over :data:`PAIRS` random pairs of a kept
subsample of :data:`KEPT_DRAWS` draws of each sample (relative error about
:math:`\sqrt{2/M}`, :math:`O(M d^2)` arithmetic). For the group sizes FD reads
(:data:`~divergences.estimate._src.frechet.groups.GROUPS` groups over 4 batches) :math:`J_2 \approx
2.1 V_2`. The variance is then :math:`\widehat{\mathrm{jack}} - J_2 + V_2`, and at least
:math:`V_2` (:math:`V_1 \ge 0`).

**Its degrees of freedom.** :math:`J_2` and :math:`V_2` come from thousands of pairs, so the
corrected variance :math:`\hat v = \widehat{\mathrm{jack}} - J_2 + V_2` carries the
jackknife's own noise, :math:`\operatorname{Var}\widehat{\mathrm{jack}} \approx
2\,\widehat{\mathrm{jack}}^2/(G-1)`, on a smaller mean. Satterthwaite's effective degrees of
freedom follow, :math:`\nu = (G - 1)\,(\hat v / \widehat{\mathrm{jack}})^2` (Satterthwaite,
*An approximate distribution of estimates of variance components*, Biometrics Bull. 2, 1946),
at least 2 (:func:`corrected`). Student's quantile over :math:`G - 1` in its place left the
upper end missing up to 8.5% of 200 repetitions.

**Where** (``benchmarks/bench_frechet_pairs.py``; ``estimate_coverage.md``, "FD's jackknife
less its double count of the pairs"). Under P = Q, where the pairs are all of the variance,
:math:`V_2` met it (1.04 in d = 8, 0.97 in d = 32 at n = 1000, 0.86 in d = 64, 0.73 in
d = 256, where the draws are whitened by their own covariance, which shrinks the pairs and so
widens the interval). ``frechet`` and ``frechet_difference`` correct their jackknives so in
:data:`~divergences.estimate._src.frechet.groups.PAIRS_FROM` <= d <= 256, where the
jackknife's double count made the interval 1.24 to 1.50 times the ideal width (1.09 to 1.28
corrected); below d = 64 the jackknife by size is within 1.23 of it already, and the
correction's upper end missed up to 6.3% of 1000 repetitions in d = 8 (ReLU features) and
4.0% of 600 in d = 48 (Gaussian, FD = 1).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.linalg import solve_triangular

from divergences.estimate._src.reading import Moments

__all__ = [
    "FEWEST_KEPT",
    "KEPT_DRAWS",
    "PAIRS",
    "Kernels",
    "Pairs",
    "Rotation",
    "corrected",
    "difference_second_order",
    "gaussian_second_moment",
    "kernel_parts",
    "kernel_values",
    "pair_weights",
    "quadratic_forms",
    "rotated_x",
    "rotated_y",
    "rotation",
    "second_order_of",
    "single_second_order",
]

#: The draws of each sample kept for the pairs: a seeded uniform subsample, read in the pass.
KEPT_DRAWS = 2000
#: The random pairs of each kind the kernel's second moments are averaged over.
PAIRS = 8192
#: The fewest kept draws of a sample the pairs' part is estimated from.
FEWEST_KEPT = 200
#: Below this ratio of its smallest to its largest eigenvalue, a covariance or ``L^T S_y L`` is
#: called singular: the rotation divides by them, and the expansion is not used there.
_SINGULAR = 1e-10


class Rotation(NamedTuple):
    """The pieces of the kernel: ``S_x = L L^T``, ``L^T S_y L = V diag(mu^2) V^T``, C, the means."""

    lower: np.ndarray
    basis: np.ndarray
    roots: np.ndarray
    divided: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray


def _covariance(s: Moments) -> np.ndarray:
    return s.full_scatter() / (s.size - 1)


def rotation(fx: Moments, fy: Moments) -> Rotation | None:
    """The kernel's pieces for the two samples' moments; None where a covariance is singular."""
    cov_x = _covariance(fx)
    try:
        lower = np.linalg.cholesky(cov_x)
    except np.linalg.LinAlgError:
        return None
    diagonal = np.diag(lower) ** 2
    if not np.all(np.isfinite(lower)) or diagonal.min() <= _SINGULAR * diagonal.max():
        return None
    middle = lower.T @ _covariance(fy) @ lower
    squares, basis = np.linalg.eigh(0.5 * (middle + middle.T))
    if not squares[0] > _SINGULAR * squares[-1]:
        return None
    roots = np.sqrt(squares)
    divided = np.outer(roots, roots) / (roots[:, None] + roots[None, :])
    return Rotation(lower, basis, roots, divided, fx.mean, fy.mean)


def rotated_x(rot: Rotation, rows: np.ndarray) -> np.ndarray:
    """``w = V^T L^-1 (x - mean)`` for each row."""
    return solve_triangular(rot.lower, (rows - rot.mean_x).T, lower=True).T @ rot.basis


def rotated_y(rot: Rotation, rows: np.ndarray) -> np.ndarray:
    """``z = diag(1/mu) V^T L^T (y - mean)`` for each row."""
    return ((rows - rot.mean_y) @ rot.lower @ rot.basis) / rot.roots


def kernel_parts(rot: Rotation, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\ell(p_i, q_i)` and :math:`\kappa(p_i, q_i)` for each row pair (module docstring)."""
    h = p * q
    c = rot.divided
    dc = np.diag(c)
    lin = h @ rot.roots
    quad = 0.5 * (np.sum((h @ c) * h, axis=1) - (p * p) @ dc - (q * q) @ dc + float(np.sum(dc)))
    return lin, quad


class Kernels(NamedTuple):
    """The kernel on random pairs: ``xx`` and ``yy`` (``l + kappa``), the cross pairs' parts."""

    xx: np.ndarray
    yy: np.ndarray
    cross_quad: np.ndarray
    cross_lin: np.ndarray


def _pairs(k1: int, k2: int, same: bool, seed: int, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """:data:`PAIRS` random index pairs (distinct where ``same``), a function of the seed only."""
    rng = np.random.default_rng((seed, kind, k1, k2))
    i = rng.integers(0, k1, PAIRS)
    j = rng.integers(0, k2 - 1 if same else k2, PAIRS)
    if same:
        j = j + (j >= i)  # uniform over the other draws
    return i, j


def kernel_values(rot: Rotation, x_rows: np.ndarray, y_rows: np.ndarray, seed: int) -> Kernels:
    """The kernel on :data:`PAIRS` random pairs of each kind, from the kept (scaled) rows.

    The pairs of the ``y`` sample depend on its rows and ``seed`` only, so that two candidates
    against one reference see the same reference pairs (:func:`frechet_difference`).
    """
    w, z = rotated_x(rot, x_rows), rotated_y(rot, y_rows)
    i, j = _pairs(w.shape[0], w.shape[0], True, seed, 0)
    xx = sum(kernel_parts(rot, w[i], w[j]))
    i, j = _pairs(z.shape[0], z.shape[0], True, seed, 1)
    yy = sum(kernel_parts(rot, z[i], z[j]))
    i, j = _pairs(w.shape[0], z.shape[0], False, seed, 2)
    lin, quad = kernel_parts(rot, w[i], z[j])
    return Kernels(np.asarray(xx), np.asarray(yy), quad, lin)


def gaussian_second_moment(rot: Rotation) -> float:
    r""":math:`\mathbb E(\ell + \kappa)(w, w')^2` for Gaussian draws: the kernel's closed form."""
    c = rot.divided
    return float(np.sum(rot.roots**2) + 0.5 * np.sum(c * c) + 0.5 * np.sum(np.diag(c) ** 2))


class Weights(NamedTuple):
    """Each kind of pair's weights, ``(states, G, G)``, and the pairs in each class of groups.

    State 0 is the full estimate, state ``1 + g`` the estimate without group ``g``; ``xx`` and
    ``yy`` weigh an unordered pair.
    """

    xx: np.ndarray
    yy: np.ndarray
    cross_quad: np.ndarray
    cross_lin: np.ndarray
    count_xx: np.ndarray
    count_yy: np.ndarray
    count_xy: np.ndarray


def _within_pair_counts(sizes: np.ndarray) -> np.ndarray:
    """Unordered pairs of draws between groups ``a <= b`` (within a group on the diagonal)."""
    counts = np.triu(np.outer(sizes, sizes))
    np.fill_diagonal(counts, sizes * (sizes - 1) / 2.0)
    return counts


def pair_weights(sizes_x: np.ndarray, sizes_y: np.ndarray, b: int) -> Weights:
    r"""The weight of a pair of draws in each group pair, in FD's estimate and in each left-out one.

    The estimate without group :math:`g` is :math:`(B\,T_{(g)} - \sum_j \omega_j T_{j(g)})/(B-1)`
    with :math:`\omega_j` the batches' shares of the draws left (``paired_parts``), plus the mean
    term and traces of the draws left; a pair inside a set of :math:`n_x` and :math:`n_y` draws
    carries :math:`1/n_x^2` (x pairs, ordered) or :math:`1/(n_x n_y)` (cross pairs) of its kernel.
    """
    sx, sy = np.asarray(sizes_x, float), np.asarray(sizes_y, float)
    g = sx.shape[0]
    states_x, states_y = np.tile(sx, (g + 1, 1)), np.tile(sy, (g + 1, 1))
    states_x[1:][np.eye(g, dtype=bool)] = 0.0
    states_y[1:][np.eye(g, dtype=bool)] = 0.0
    batch = np.arange(g) % b
    member = (batch[:, None] == np.arange(b)[None, :]).astype(float)
    nxj, nyj = states_x @ member, states_y @ member  # (states, b)
    nx, ny = nxj.sum(axis=1), nyj.sum(axis=1)
    a = b / (b - 1.0)
    share = 0.5 * (nxj / nx[:, None] + nyj / ny[:, None]) / (b - 1.0)
    same = (batch[:, None] == batch[None, :])[None]
    share_g, bx, by = share[:, batch], nxj[:, batch], nyj[:, batch]
    full_x, full_y, full_xy = nx[:, None, None], ny[:, None, None], (nx * ny)[:, None, None]
    wxx = 2.0 * (a / full_x**2 - (share_g / bx**2)[:, :, None] * same)
    wyy = 2.0 * (a / full_y**2 - (share_g / by**2)[:, :, None] * same)
    wq = -2.0 * (a / full_xy - (share_g / (bx * by))[:, :, None] * same)
    wl = np.broadcast_to(-2.0 / full_xy, wq.shape)
    alive_x, alive_y = states_x > 0, states_y > 0
    both_x = alive_x[:, :, None] & alive_x[:, None, :]
    both_y = alive_y[:, :, None] & alive_y[:, None, :]
    cross = alive_x[:, :, None] & alive_y[:, None, :]
    return Weights(
        np.where(both_x, wxx, 0.0),
        np.where(both_y, wyy, 0.0),
        np.where(cross, wq, 0.0),
        np.where(cross, wl, 0.0),
        _within_pair_counts(sx),
        _within_pair_counts(sy),
        np.outer(sx, sy),
    )


def quadratic_forms(weights: list[np.ndarray], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""The pairs' variance and the jackknife's count of it, as forms in the kernel's moments.

    For kernel parts with weights :math:`w_c`, :math:`F_{cc'} = \sum \text{count}\, w_c w_{c'}`
    in the full estimate and the jackknife's :math:`J_{cc'}`, summed over the group pairs:
    :math:`V_2 = \sum_{cc'} F_{cc'} \mathbb E k_c k_{c'}` and :math:`J_2` likewise.
    """
    stack = np.stack(weights)  # (parts, states, G, G)
    g = stack.shape[-1]
    full = stack[:, 0]
    left = stack[:, 1:]
    dev = left - left.mean(axis=1, keepdims=True)
    f = np.einsum("ab,cab,dab->cd", counts, full, full)
    j = (g - 1.0) / g * np.einsum("ab,csab,dsab->cd", counts, dev, dev)
    return f, j


def _moments(*values: np.ndarray) -> np.ndarray:
    stack = np.stack(values)
    return (stack @ stack.T) / stack.shape[1]


class Pairs(NamedTuple):
    """One FD's pair weights and its kernel on random pairs: what its pairs' part is read from."""

    weights: Weights
    kernels: Kernels


def _summed(
    kinds: list[tuple[list[np.ndarray], np.ndarray, tuple[np.ndarray, ...]]],
) -> tuple[float, float]:
    v2 = j2 = 0.0
    for parts, counts, values in kinds:
        f, j = quadratic_forms(parts, counts)
        m = _moments(*values)
        v2, j2 = v2 + float(np.sum(f * m)), j2 + float(np.sum(j * m))
    return v2, j2


def _own_kinds(
    p: Pairs, sign: float = 1.0
) -> list[tuple[list[np.ndarray], np.ndarray, tuple[np.ndarray, ...]]]:
    """The x pairs and the cross pairs of one FD (the y pairs apart: a shared reference's)."""
    w, k = p.weights, p.kernels
    return [
        ([sign * w.xx], w.count_xx, (k.xx,)),
        ([sign * w.cross_quad, sign * w.cross_lin], w.count_xy, (k.cross_quad, k.cross_lin)),
    ]


def single_second_order(p: Pairs) -> tuple[float, float]:
    """``(V_2, J_2)`` of one FD: the pairs' variance and what its jackknife counts of them."""
    w, k = p.weights, p.kernels
    return _summed([*_own_kinds(p), ([w.yy], w.count_yy, (k.yy,))])


def difference_second_order(pa: Pairs, pb: Pairs) -> tuple[float, float]:
    """``(V_2, J_2)`` of FD(A, R) - FD(B, R), R the ``y`` sample of both, its groups shared.

    A's pairs, B's pairs and the cross pairs of each are uncorrelated (the kernels are
    degenerate); a pair of the reference's draws carries A's kernel less B's, on the same
    random pairs (:func:`kernel_values`).
    """
    reference = (
        [pa.weights.yy, -pb.weights.yy],
        pa.weights.count_yy,
        (pa.kernels.yy, pb.kernels.yy),
    )
    return _summed([*_own_kinds(pa), *_own_kinds(pb, -1.0), reference])


def second_order_of(
    sizes: tuple[np.ndarray, np.ndarray],
    full_x: Moments,
    full_y: Moments,
    b: int,
    kept: tuple[np.ndarray, np.ndarray],
    seed: int,
) -> Pairs | str:
    """The pairs' weights and kernel from the groups' sizes and the kept draws, or why not.

    ``sizes``: each sample's variance groups' sizes; ``full_x``, ``full_y``: the whole samples'
    moments; ``b`` the batches (each the union of the groups ``j, j + b, ...``, weighted by its
    share of the draws); ``kept``: each sample's kept draws, scaled as the moments.
    """
    if min(k.shape[0] for k in kept) < FEWEST_KEPT:
        return f"fewer than {FEWEST_KEPT} draws kept to estimate its pairs' part"
    rot = rotation(full_x, full_y)
    if rot is None:
        return "a covariance is singular, where its pairs' part is not estimated"
    return Pairs(pair_weights(sizes[0], sizes[1], b), kernel_values(rot, kept[0], kept[1], seed))


#: The fewest degrees of freedom the corrected variance is given (:func:`corrected`).
_FEWEST_DOF = 2.0


def corrected(jack: float, dof: int, v2: float, j2: float) -> tuple[float, float]:
    r"""The standard error and its degrees of freedom with the pairs' double count taken out.

    ``jack``: the jackknife's standard error over ``dof + 1`` groups; ``v2``, ``j2``: the pairs'
    variance and what the jackknife counts of it. The variance is
    :math:`\max(\mathrm{jack}^2 - J_2 + V_2, V_2)` (:math:`V_1 \ge 0`), with Satterthwaite's
    :math:`\nu = \mathrm{dof}\,(\hat v/\mathrm{jack}^2)^2`, at least 2 and at most ``dof``
    (module docstring); where the jackknife is 0 (every group's estimate alike), ``dof``; where
    the pairs' moments are not finite, the jackknife's own error.
    """
    if not (math.isfinite(v2) and math.isfinite(j2)):  # no pairs' part to take out
        return jack, float(dof)
    se = math.sqrt(max(jack * jack - j2 + v2, v2, 0.0))
    if not (0.0 < jack < math.inf and se < math.inf):
        return se, float(dof)
    nu = dof * min(se / jack, 1.0) ** 4
    return se, float(min(max(nu, _FEWEST_DOF), dof))
