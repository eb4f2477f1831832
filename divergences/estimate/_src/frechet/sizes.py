r"""Samples of different sizes: the extrapolation's remainder, and the claim it withholds.

FD's cross term is extrapolated in :math:`1/n` from the whole samples and their ``B`` batches
(:mod:`.distance`), which cancels the plug-in's :math:`a/n + b/m` bias and leaves :math:`B`
times its second-order part. Where the covariances agree, that part is, to the order measured,
:math:`c\,(1/n - 1/m)^2`: it vanishes where the samples have one size, and grows like
:math:`d^3` where they do not. Measured on Gaussian laws (real draws in d = 64 and 128, exact
Wishart statistics in d = 256 to 2048), the estimate's mean error was close to

.. math:: -R, \qquad R = B \kappa\, d^2 \Big(\frac1n - \frac1m\Big)^2
   \frac{\operatorname{tr} S_x + \operatorname{tr} S_y}{2}, \quad \kappa = 0.045 \text{ to } 0.079:

0.31 of its spread below FD in d = 64 at n = 1000, m = 3000, and 1.37 in d = 128, where the
interval's upper end missed 32 of 300 repetitions; -2.1 against FD = 1 in d = 768 at
n = 5000, m = 25000, and -11.7 in d = 2048 at n = 10^4, m = 5 \cdot 10^4 (the sizes of
pytorch-fid's protocol), where every interval lay below 0 (``benchmarks/estimate_coverage.md``,
"FD from samples of different sizes"). FD claims its interval where :math:`R`, with
:math:`\kappa` = :data:`KAPPA`, is at most :data:`SHARE_OF_SPREAD` of the estimate's
standard error: one size passes, as did 5000 against 5100 draws in d = 768 and, on the
Gaussian cells at FD = 1 in d = 8 and 32, three times as many draws of one sample.
"""

from __future__ import annotations

import math

from divergences.estimate._src.reading import BatchMoments, union_moments

__all__ = ["KAPPA", "SHARE_OF_SPREAD", "remainder", "sizes_refusal"]

#: The largest remainder constant measured (module docstring).
KAPPA = 0.08
#: The largest share of the estimate's standard error the modelled remainder may reach where
#: FD claims its interval: the measured constant varied by a factor of 1.8 over the laws and
#: dimensions, and an error an eighth of the spread moves a 95% interval's ends by under 1%.
SHARE_OF_SPREAD = 0.125


def remainder(bx: BatchMoments, by: BatchMoments, b: int) -> float:
    """The modelled remainder :math:`R` of FD's extrapolation from ``b`` batches (module docstring)."""
    d = bx.dimension
    if bx.size == by.size:
        return 0.0
    trace = 0.5 * (union_moments(bx.parts, d).trace + union_moments(by.parts, d).trace)
    return b * KAPPA * d * d * (1.0 / bx.size - 1.0 / by.size) ** 2 * trace


def sizes_refusal(bx: BatchMoments, by: BatchMoments, b: int, spread: float) -> str:
    """Why FD claims nothing for samples of different sizes; ``""`` where they pass.

    ``spread``: the estimate's standard error, in the moments' scale.
    """
    r = remainder(bx, by, b)
    if not r > 0.0 or spread == math.inf:  # one size, or an interval that holds anything
        return ""
    share = r / spread if spread > 0.0 else math.inf  # a spread of 0 (or not a number) holds none
    if share <= SHARE_OF_SPREAD:
        return ""
    return (
        f"the samples' sizes differ ({bx.size} and {by.size} draws in d = {bx.dimension}), and "
        f"the bias correction's remainder there, about {share:.3g} of the estimate's "
        f"standard error, is over the {SHARE_OF_SPREAD:g} its interval holds to: draw as many "
        'of each, or subsample the larger sample (benchmarks/estimate_coverage.md, "FD from '
        'samples of different sizes")'
    )
