r"""Heavy radial tails: the spread of a sample's variance groups' traces, and the claim it withholds.

FD's estimate removes its :math:`O(1/n)` bias by extrapolation, and its interval assumes what is
left is small against the estimate's spread. That fails where the draws' squared radius
:math:`|x - \mu|^2` varies far more than a Gaussian's: the covariances are then estimated from
fewer effective draws, and the :math:`O(1/n^2)` remainder grows. For an elliptical t(8) law
(one radius a draw) at n = 1000 the estimate sat 1.46 of its spread above FD in d = 64, where
the interval's lower end missed in 4.7% (equal weights) to 16.5% (by size) of 600 repetitions
against at most 1.5% for the Gaussian, t(8)-coordinate and ReLU-feature laws, and 6.6 spreads
above in d = 256, where all 300 intervals missed (``benchmarks/estimate_coverage.md``, "FD's
jackknife with the batches weighted by size").

**The measure.** With :math:`G` variance groups (:mod:`.groups`) of sizes :math:`n_g`, traces
:math:`t_g = \operatorname{tr} S_g` and pooled within-group covariance :math:`S` (:math:`N - G`
degrees of freedom),

.. math:: R = \frac{\sum_g (n_g - 1)(t_g - \bar t)^2 / (G - 1)}{2\, \widehat{\operatorname{tr}
   \Sigma^2}}, \qquad \widehat{\operatorname{tr}\Sigma^2} = \frac{\nu^2}{(\nu - 1)(\nu + 2)}
   \Big(\lVert S \rVert_F^2 - \frac{(\operatorname{tr} S)^2}{\nu}\Big),\ \nu = N - G,

:math:`\bar t` the size-weighted mean. For Gaussian draws :math:`(n_g - 1) S_g` is Wishart and
:math:`\operatorname{Var} t_g = 2 \operatorname{tr}\Sigma^2 / (n_g - 1)` exactly (Anderson,
*An Introduction to Multivariate Statistical Analysis*, 2003, sec. 7.3), and the denominator is
unbiased for it (Srivastava, *Some tests concerning the covariance matrix in high dimensional
data*, J. Japan Statist. Soc. 35, 2005), so :math:`R` is near 1 (its spread is that of
:math:`\chi^2_{G-1}/(G-1)`); in general :math:`R` estimates
:math:`\operatorname{Var}|x - \mu|^2 / (2 \operatorname{tr}\Sigma^2)`. Measured over 300
repetitions a law at n = 1000 (99% of draws below): Gaussian 1.8, t(8) coordinates 3.0 (over
4 in 4 of 1000 pairs of samples in d = 8), ReLU features 2.6 in d = 8 to 64; elliptical t(8)
3.2 (median) in d = 8, 8.3 in d = 32 and 14.7 in d = 64; the digits' evaluator features 0.5.
FD claims its interval where both samples' :math:`R` is at most :data:`RADIAL_SPREAD_AT_MOST`.
The groups' measure is taken where the jackknife's groups are read (:math:`8 \le d \le 256`);
where a sample has no groups (above d = 256, or beside a :class:`~divergences.estimate.Reference`
saved with its 4 batches only) it is read from the sample's kept draws (:mod:`.first_order`:
2000 from d = 64), :math:`R = \widehat{\operatorname{Var}}|x_i - \bar x|^2 / (2\,
\widehat{\operatorname{tr}\Sigma^2})` over them, the same quantity with far less noise: in
d = 64 and 256 at n = 1000 it read as the groups' did (Gaussian 0.95 to 1.03, t(8) coordinates
1.6 to 1.7, elliptical t(8) 13 to 67), and in d = 768 at n = 5000 Gaussian 0.94 to 1.00, t(8)
coordinates 1.7 to 1.8, ReLU features 1.3 to 1.4, elliptical t(20) 44 to 51 and t(8) 155 to 165
(4 samples each). Without groups and with fewer than 200 kept draws (below d = 64, or beside a
``Reference`` saved with a smaller subsample) none is measured: the claim stands unchecked there.
Two samples whose scales differ by a factor over
about :math:`10^{77}` share one power-of-two scaling, and the smaller's squares can underflow:
its measure then drifts, and from about :math:`10^{80}` it is not taken.
"""

from __future__ import annotations

import numpy as np

from divergences.estimate._src.reading import BatchMoments, union_moments

__all__ = ["RADIAL_SPREAD_AT_MOST", "radial_spread", "tails_refusal"]

#: The largest radial spread :math:`R` at which FD's interval claims coverage: above the laws
#: whose coverage held (99% of their draws at most 3.0) and below the elliptical t(8) laws
#: whose estimate's bias showed (medians 8.3 and more in d >= 32).
RADIAL_SPREAD_AT_MOST = 4.0
#: The fewest groups the measure is taken over (the variance groups, not the 4 batches).
_FEWEST_GROUPS = 8
#: The fewest kept draws the measure is taken over where a sample has no variance groups.
_FEWEST_KEPT = 200


def _square_trace(nu: float, cov: np.ndarray) -> float:
    r"""The unbiased :math:`\widehat{\operatorname{tr}\Sigma^2}` of a covariance on ``nu`` dof."""
    trace = float(np.trace(cov))
    return nu * nu / ((nu - 1.0) * (nu + 2.0)) * (float(np.sum(cov * cov)) - trace**2 / nu)


def radial_spread(sample: BatchMoments, kept: np.ndarray | None = None) -> float | None:
    """The sample's radial spread :math:`R` (module docstring), or None where it is not measured.

    From the variance groups where the sample has them; else from its kept draws (``kept``,
    scaled as the moments: the squared radii's variance over the kept draws, about the whole
    sample's mean). None: neither (the batches alone, or fewer than 200 kept draws), a group of
    fewer than 2 draws, or a covariance with no spread.
    """
    parts = sample.parts
    if len(parts) >= _FEWEST_GROUPS and min(p.size for p in parts) >= 2:
        sizes = np.array([p.size for p in parts], float)
        traces = np.array([p.trace for p in parts])
        nu = float(sizes.sum()) - len(parts)
        square = _square_trace(nu, np.asarray(sum(p.full_scatter() for p in parts)) / nu)
        mean = float(sizes @ traces) / float(sizes.sum())
        spread = float(np.sum((sizes - 1.0) * (traces - mean) ** 2)) / (len(parts) - 1)
    elif kept is not None and kept.shape[0] >= _FEWEST_KEPT and len(parts) >= 1:
        full = union_moments(parts, sample.dimension)
        square = _square_trace(full.size - 1.0, full.full_cov())
        radii = np.sum((kept - full.mean) ** 2, axis=1)
        spread = float(np.var(radii, ddof=1))
    else:
        return None
    if not square > 0.0:
        return None
    return spread / (2.0 * square)


def tails_refusal(*samples: BatchMoments, kept: tuple[np.ndarray | None, ...] = ()) -> str:
    """Why FD claims nothing for draws with heavy radial tails; ``""`` where every sample passes.

    ``kept``: each sample's kept draws where it has them (in the samples' order), measured
    where a sample has no variance groups.
    """
    for sample, rows in zip(samples, (*kept, *[None] * len(samples)), strict=False):
        spread = radial_spread(sample, rows)
        if spread is not None and spread > RADIAL_SPREAD_AT_MOST:
            source = "its variance groups' traces" if rows is None else "its groups or kept draws"
            return (
                f"a sample's squared radius |x - mean|^2 varies {spread:.3g} times as much as a "
                f"Gaussian's with its covariance ({source}), above the "
                f"{RADIAL_SPREAD_AT_MOST:g} FD's interval was measured to hold to: heavy radial "
                "tails bias the estimate (benchmarks/estimate_coverage.md, \"FD's jackknife with "
                'the batches weighted by size")'
            )
    return ""
