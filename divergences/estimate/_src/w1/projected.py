r"""W1 in any dimension from below: project on directions chosen apart, bound on the line by DKW.

**The argument.** For a unit vector :math:`\theta`, :math:`x \mapsto \theta \cdot x` is
1-Lipschitz, so every coupling of :math:`P` and :math:`Q` maps to a coupling of the projected
laws :math:`\theta_\# P` and :math:`\theta_\# Q` at no greater cost:

.. math:: W_1(P, Q) \ge W_1(\theta_\# P, \theta_\# Q) = \int |F_\theta - G_\theta|\, dt,

the last on the line (Vallender, 1973), :math:`F_\theta`, :math:`G_\theta` the projected
distribution functions. The direction is chosen on one random half of each sample (the
difference of the two halves' means, and with ``"mean+covariance"`` the two eigenvectors of
the difference of their covariances with the largest and the smallest eigenvalue) and is then
fixed: the other halves are independent of it, and conditionally on the first halves they are
draws of :math:`P` and :math:`Q`. On them, for each of the :math:`k` directions, the
Dvoretzky-Kiefer-Wolfowitz inequality with Massart's constant (DKW 1956; Massart 1990),
:math:`P(\sup_t |F_{n,\theta}(t) - F_\theta(t)| > e) \le 2 e^{-2 n e^2}`, holds for every law
on the line (atoms included) and every :math:`n`; with each of the :math:`2k` bands at
:math:`\alpha / (2k)` (a union bound), all hold together with probability at least
:math:`1 - \alpha`, and on that event, pointwise,
:math:`|F_\theta - G_\theta| \ge |F_{n,\theta} - G_{m,\theta}| - e_n - e_m`, so

.. math:: W_1(P, Q) \ge \max_\theta \int \big(|F_{n,\theta} - G_{m,\theta}| - e_n - e_m\big)_+\, dt.

No assumption on the supports or the moments is used: where both empirical functions are 0 or
1 (outside the held-out draws' range) the integrand is 0, and the bound is a finite sum over the
merged sorted projections. Directions given by the caller (an array) are fixed before the
draws: nothing is split, every draw bounds.

**Rounding.** The computed projections differ from the exact ones by at most
:math:`\gamma_d \sum_i |\theta_i x_i|` each (Higham, 2002, Sec. 3.1); the bound's integrand
:math:`(|a| - c)_+` is 1-Lipschitz in :math:`a = F - G`, and :math:`\int |F_n - F_n'|` is the
W1 between the two empirical laws, at most the mean shift: the lower end is lowered by the mean
shifts of both samples, and divided by an upper bound of the computed direction's norm (a
direction of norm :math:`r` gives :math:`W_1(\theta_\# P, \theta_\# Q) \le r W_1(P, Q)`).

**The upper end** is not given: in high dimension the plug-in :math:`W_1(P_n, Q_m)` is biased
upwards by a term of order :math:`n^{-1/d}` (Dudley, 1969; Fournier & Guillin, 2015), which
falls too slowly in high dimension to be of use: +8.0
against :math:`W_1 = 1` in :math:`d = 64` at :math:`n = 1000` (``benchmarks/
estimate_coverage.md``). Without an assumption on the supports no finite upper end holds at
all (a mass too small to be drawn may lie arbitrarily far); with a diameter, the upper end of
:func:`~divergences.estimate.w1` lies above the plug-in, its bias included.

References:
  Dvoretzky, Kiefer & Wolfowitz, *Asymptotic minimax character of the sample distribution
  function and of the classical multinomial estimator*, Ann. Math. Statist. 27, 1956; Massart,
  *The tight constant in the Dvoretzky-Kiefer-Wolfowitz inequality*, Ann. Probab. 18, 1990;
  Vallender, *Calculation of the Wasserstein distance between probability distributions on the
  line*, Theory Probab. Appl. 18, 1973; Dudley, *The speed of mean Glivenko-Cantelli
  convergence*, Ann. Math. Statist. 40, 1969; Fournier & Guillin, *On the rate of convergence in
  Wasserstein distance of the empirical measure*, Probab. Theory Relat. Fields 162, 2015.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.options import level_option, seed_option
from divergences.estimate._src.concentration import dkw_term
from divergences.estimate._src.result import Estimate
from divergences.estimate._src.samples import check_at_least, sample_pair
from divergences.estimate._src.w1.dkw import cdf_ends

__all__ = ["w1_projected"]

#: float64's unit roundoff.
_U = 2.0**-53

#: The directions chosen from the draws, by name.
CHOSEN = ("mean", "mean+covariance")


def _unit(v: np.ndarray) -> np.ndarray:
    """``v / |v|``, or the first coordinate axis where ``v`` is 0 (any unit vector will do)."""
    norm = float(np.linalg.norm(v))
    if norm > 0.0 and math.isfinite(norm):
        return v / norm
    axis = np.zeros_like(v)
    axis[0] = 1.0
    return axis


def _chosen(xa: np.ndarray, ya: np.ndarray, how: str) -> np.ndarray:
    """The directions, rows of unit norm, chosen on the first halves ``xa``, ``ya``."""
    rows = [_unit(xa.mean(axis=0) - ya.mean(axis=0))]
    if how == "mean+covariance" and xa.shape[1] > 1:
        spread = np.cov(xa, rowvar=False) - np.cov(ya, rowvar=False)
        _, vectors = np.linalg.eigh(spread)  # eigenvalues ascending
        rows += [_unit(vectors[:, -1]), _unit(vectors[:, 0])]
    return np.stack(rows)


def _given(directions: Any, d: int) -> np.ndarray:
    """The caller's directions as rows of unit norm, or a ValueError naming ``directions``."""
    try:
        arr = np.asarray(directions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"directions must be 'mean', 'mean+covariance' or an array of shape (k, d), got "
            f"{directions!r}"
        ) from None
    arr = arr[None, :] if arr.ndim == 1 else arr
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] != d:
        raise ValueError(
            f"directions must have shape (k, d) with k >= 1 and d = {d} (the draws' dimension), "
            f"got shape {np.shape(directions)}"
        )
    norms = np.linalg.norm(arr, axis=1)
    if not (np.all(np.isfinite(arr)) and np.all(norms > 0.0) and np.all(np.isfinite(norms))):
        raise ValueError(
            "directions must be finite and nonzero rows (each is scaled to unit length)"
        )
    return arr / norms[:, None]


def _bound(xb: np.ndarray, yb: np.ndarray, theta: np.ndarray, alpha: float) -> tuple[float, float]:
    """The plug-in and the rounded-down lower end along ``theta``, its bands at ``alpha`` each."""
    d = theta.shape[0]
    px, py = np.sort(xb @ theta), np.sort(yb @ theta)
    en, em = dkw_term(px.shape[0], alpha), dkw_term(py.shape[0], alpha)
    plug, lower, _ = cdf_ends(px, py, None, en, em)
    # Each computed projection is within gamma_d sum |theta_i x_i| of the exact one; the means
    # of those shifts bound the W1 between the computed and the exact empirical laws.
    gamma = 2.0 * (d + 2) * _U
    shift = gamma * (
        float(np.mean(np.abs(xb) @ np.abs(theta))) + float(np.mean(np.abs(yb) @ np.abs(theta)))
    )
    norm = math.sqrt(math.fsum(float(t) * float(t) for t in theta)) * (1.0 + 8.0 * _U)
    lower = max(0.0, lower - shift * (1.0 + 8.0 * _U)) / norm
    return plug, max(0.0, math.nextafter(lower, 0.0))


@runs_on_host
def w1_projected(
    x: Any, y: Any, *, level: float = 0.95, directions: Any = "mean+covariance", seed: int = 0
) -> Estimate:
    r"""A lower bound on W1 in any dimension: held-out projections on the line, DKW's bands.

    .. math:: W_1(P, Q) \ge \max_{\theta} \int \big(|F_{n,\theta} - G_{m,\theta}|
       - e_n - e_m\big)_+\, dt, \qquad e_n = \sqrt{\log(4k/\alpha) / (2n)},

    with probability at least ``level``, for every :math:`P`, :math:`Q` and sample size, no
    assumption on their supports: each :math:`\theta` is a unit direction chosen on one random
    half of each sample, and :math:`F_{n,\theta}`, :math:`G_{m,\theta}` are the distribution
    functions of the other halves projected on it (:math:`x \mapsto \theta \cdot x` is
    1-Lipschitz, so :math:`W_1(P, Q) \ge W_1(\theta_\# P, \theta_\# Q)`; DKW with Massart's
    constant on each, a union bound over the :math:`k` directions). The lower end does not decay
    with the dimension: between :math:`N(0, I_{64})` and :math:`N(e_1, I_{64})` (:math:`W_1 =
    1`) at :math:`n = m = 5000` it is 0.64 to 0.69 over five seeds. No upper end is claimed:
    the plug-in's bias is of order :math:`n^{-1/d}`, which in high dimension falls too slowly
    to be of use (module docstring). The value is the plug-in
    :math:`\int |F_{n,\theta} - G_{m,\theta}|` along the direction of the largest lower end: an
    estimate of :math:`W_1(\theta_\# P, \theta_\# Q) \le W_1(P, Q)`, not of :math:`W_1` itself.

    Args:
      x: draws of :math:`P`, shape ``(n, d)`` or ``(n,)``; ``n >= 4`` where the directions are
        chosen from the draws, ``n >= 1`` for directions given.
      y: draws of :math:`Q`, shape ``(m, d)`` or ``(m,)``, the same rule.
      level: the coverage, in ``(0, 1)``.
      directions: ``"mean+covariance"`` (the difference of the half-samples' means and the two
        extreme eigenvectors of the difference of their covariances: three directions),
        ``"mean"`` (the first alone), or an array of shape ``(k, d)`` (or ``(d,)``) of nonzero
        directions fixed before the draws (scaled to unit length; nothing is split). On the
        line (``d = 1``) the one direction is the line itself and nothing is split.
      seed: the split's seed, an integer ``>= 0``.

    Returns:
      An :class:`Estimate` with ``kind="finite-sample"``, ``sides="lower"``, ``quantity="W1"``:
      ``bound`` is the lower end; ``upper_bound`` is ``inf``, W1's range, and claims nothing.

    Raises:
      ValueError: as the shared checks of the draws, ``level`` or ``seed``; for ``directions``
        that is neither name nor an array of shape ``(k, d)`` of finite nonzero rows; for fewer
        than 4 draws in ``x`` or ``y`` where the directions are chosen from them.

    References:
      Dvoretzky, Kiefer & Wolfowitz, 1956; Massart, 1990; Vallender, 1973 (module docstring).

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> x = rng.standard_normal((2000, 16))
      >>> y = rng.standard_normal((2000, 16)) + np.eye(16)[0]
      >>> est = dv.estimate.w1_projected(x, y)
      >>> 0.5 < est.bound <= 1.0, est.kind, est.sides
      (True, 'finite-sample', 'lower')
    """
    alpha = 1.0 - level_option(level, note="the interval's coverage")
    seed = seed_option(seed, note="it draws the split")
    xs, ys = sample_pair(x, y)
    d = xs.shape[1]
    if isinstance(directions, str):
        if directions not in CHOSEN:
            raise ValueError(
                f"directions must be 'mean', 'mean+covariance' or an array of shape (k, d), "
                f"got {directions!r}"
            )
    else:
        thetas = _given(directions, d)
    split = isinstance(directions, str) and d > 1
    if split:
        why = "the directions are chosen on one half, the bound taken on the other"
        check_at_least(xs.shape[0], 4, "x", why)
        check_at_least(ys.shape[0], 4, "y", why)
        rng = np.random.default_rng(seed)
        px, py = rng.permutation(xs.shape[0]), rng.permutation(ys.shape[0])
        hx, hy = xs.shape[0] // 2, ys.shape[0] // 2
        xa, xb = xs[px[:hx]], xs[px[hx:]]
        ya, yb = ys[py[:hy]], ys[py[hy:]]
        thetas = _chosen(xa, ya, directions)
    elif isinstance(directions, str):
        xb, yb, thetas = xs, ys, np.ones((1, 1))
    else:
        xb, yb = xs, ys
    k = thetas.shape[0]
    # 2k bands (one a sample and direction), each at alpha / (2k): all hold with 1 - alpha.
    results = [_bound(xb, yb, theta, alpha / (2.0 * k)) for theta in thetas]
    best = max(range(k), key=lambda i: results[i][1])
    plug, lower = results[best]
    how = (
        "the caller's directions, fixed before the draws"
        if not isinstance(directions, str)
        else "the line itself"
        if not split
        else f"{directions} directions chosen on a random half of each sample"
    )
    method = (
        f"W1 >= W1 of the projections on unit directions ({how}; {k} tried, the largest lower "
        f"end kept); lower end int (|F_n - G_m| - e_n - e_m)_+ dt on the "
        f"{'held-out halves' if split else 'draws'}, the DKW-Massart bands at alpha/(2k) each; "
        "value: the plug-in int |F_n - G_m| dt along the kept direction"
    )
    return Estimate(
        value=max(plug, lower), lower_bound=lower, upper_bound=math.inf, level=float(level),
        kind="finite-sample", sides="lower", assumption="none: independent draws of P and of Q",
        method=method, n=xs.shape[0], m=ys.shape[0], quantity="W1",
    )  # fmt: skip
