r"""Memorisation: generated draws closer to a training draw than the data's draws are to each other.

The authenticity rule of Alaa, van Breugel, Saveliev & van der Schaar (2022): with
reference draws :math:`s_1 \dots s_N`, :math:`r_i` the distance from :math:`s_i` to its nearest
*other* reference draw, and :math:`i^*(y)` the reference draw nearest to a point :math:`y`,

.. math:: U(y) = 1\big[\, \|y - s_{i^*(y)}\| \le r_{i^*(y)} \,\big]:

:math:`y` is *unauthentic*, nearer its nearest reference draw than any other reference draw
is. A copy of a reference draw, even with noise below the data's local spacing, always is; a
fresh draw of the data's law is too, with a probability that depends on the dimension and the
law (about 0.6 in the plane, 0.4 in d = 8, 0.2 in d = 64 for the benchmark's Gaussian
mixture), and so is a draw of a model narrower than the data (it falls inside the data's
shell, near every draw): Alaa et al.'s fraction alone does not tell copying from those.

**The calibration.** Here the reference is the training draws and held-out draws of the data
(never trained on) *pooled*, so that the radii do not depend on which draws were trained on.
For each generated draw the rule is read against the pool, and the draw counts for the
training draws where its nearest pooled draw is one of them:

.. math:: A_T = \#\{j : U(y_j) = 1,\ s_{i^*(y_j)} \in T\}, \qquad
          A_H = \#\{j : U(y_j) = 1,\ s_{i^*(y_j)} \in H\}.

The hypothesis is that the generator does not memorise: given the pool and the generated draws,
which pooled draws were the training ones is a uniformly random split (as where the generator
was trained on other draws of the data, however good or bad its law). Then every relabelling
of the pool is equally likely, and the permutation p-value
:math:`(1 + \#\{b : A_T^{(b)} \ge A_T\}) / (1 + B)` over ``B`` seeded random relabellings
rejects with probability at most its level for every sample size (Phipson & Smyth 2010). A
model narrower than the data is as near the held-out draws as the training ones and does not
read as copying; a generator that returns training draws with small noise a fraction
:math:`c` of the time adds about :math:`c\,m` to :math:`A_T` and nothing to :math:`A_H`, so
:math:`(A_T - \tfrac{|T|}{|H|} A_H) / m` estimates :math:`c`.

References:
  Alaa, van Breugel, Saveliev & van der Schaar, *How faithful is your synthetic data?
  Sample-level metrics for evaluating and auditing generative models*, ICML 2022 (the rule).
  Meehan, Chaudhuri & Dasgupta, *A non-parametric test to detect data-copying in generative
  models*, AISTATS 2020 (held-out draws as the reference of a copying test). Phipson & Smyth,
  *Permutation p-values should never be zero*, Stat. Appl. Genet. Mol. Biol. 9, 2010.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from divergences._src.errors import runs_on_host
from divergences._src.options import integer_option, level_option, seed_option
from divergences.estimate._src.neighbours.fidelity import clopper_pearson, proportion_estimate
from divergences.estimate._src.neighbours.search import (
    RADIUS_ROOM,
    Engine,
    kth_neighbour_distances,
    kth_neighbours,
    searched_where,
)
from divergences.estimate._src.result import Estimate, TwoSampleTest
from divergences.estimate._src.samples import draws_where_they_live, pooled, relabellings

__all__ = ["DEFAULT_PERMUTATIONS", "Memorisation", "memorisation"]

#: The random relabellings of the pool the test counts by default.
DEFAULT_PERMUTATIONS = 999

_ASSUMPTION = (
    "given the training and held-out draws (and a generator fixed after training), the "
    "generated draws i.i.d.; the interval is conditional on the pooled draws"
)


class Memorisation(NamedTuple):
    r"""The generated draws' unauthentic shares near training and near held-out draws, and the test.

    Attributes:
      training: the :class:`~divergences.estimate.Estimate` of the share of generated draws
        unauthentic (Alaa et al.'s rule, against the pooled training and held-out draws) whose
        nearest pooled draw is a training draw, :math:`A_T / m` (quantity
        ``"unauthentic near training"``; Clopper-Pearson, finite-sample).
      held_out: the same near a held-out draw, :math:`A_H / m`: what a generator that copies
        nothing scores near the training draws, times ``|H| / |T|``.
      copied: the :class:`~divergences.estimate.Estimate` of the share of generated draws that
        copy a training draw, the excess of :math:`A_T` over its baseline
        :math:`\tfrac{|T|}{|H|} A_H` (what a generator that copies nothing scores near the
        training draws): :math:`\max(0, (A_T - \tfrac{|T|}{|H|} A_H) / m)`, in ``[0, 1]``
        (quantity ``"copied share"``), with the finite-sample interval of :func:`_copied`.
      test: the permutation test of "the generator does not memorise" (a
        :class:`~divergences.estimate.TwoSampleTest`: statistic :math:`A_T`, its draws ``n`` the
        generated ones and ``m`` the pool's).
      copying: whether the test rejects at ``1 - level`` (``test.p_value <= 1 - level``).
    """

    training: Estimate
    held_out: Estimate
    copied: Estimate
    test: TwoSampleTest
    copying: bool


def _fraction(hits: int, m: int, level: float, who: str, pool: int) -> Estimate:
    method = (
        "share of generated draws unauthentic (Alaa et al. 2022's rule, against the training "
        f"and held-out draws pooled) whose nearest pooled draw is {who} draw"
    )
    return proportion_estimate(
        f"unauthentic near {who.split()[-1]}", hits, m, level, assumption=_ASSUMPTION,
        method=method, n=pool, m=m,
    )  # fmt: skip


def _copied(a_t: int, a_h: int, m: int, ratio: float, level: float, pool: int) -> Estimate:
    r"""The copied share :math:`\max(0, p_T - r\, p_H)`, ``r = |T| / |H|``, with its interval.

    :math:`p_T` and :math:`p_H` are the chances that a generated draw is unauthentic near a
    training draw and near a held-out one. Where the generator copies a share :math:`c` of its
    draws (each copy unauthentic near its training draw) and draws the rest from a law that
    does not depend on the split, :math:`p_T - r\,p_H = c` (module docstring). Each of
    :math:`p_T`, :math:`p_H` gets its Clopper-Pearson interval at ``1 - alpha / 2``, so that
    :math:`[\ell_T - r\,u_H,\ u_T - r\,\ell_H]` holds :math:`p_T - r\,p_H` with probability at
    least ``level`` (Bonferroni), for every ``m``; the ends are then cut to ``[0, 1]``, which
    keeps the coverage of :math:`\max(0, p_T - r\,p_H)`.
    """
    alpha = 1.0 - level
    low_t, high_t = clopper_pearson(a_t, m, alpha / 2.0)
    low_h, high_h = clopper_pearson(a_h, m, alpha / 2.0)
    value = min(max((a_t - ratio * a_h) / m, 0.0), 1.0)
    return Estimate(
        value=value,
        lower_bound=min(max(low_t - ratio * high_h, 0.0), value),
        upper_bound=max(min(high_t - ratio * low_h, 1.0), value),
        level=level,
        kind="finite-sample",
        sides="two-sided",
        assumption=_ASSUMPTION + "; each copy unauthentic near the training draw it copies",
        method=(
            f"(A_T - {ratio:.4g} A_H) / m, the generated draws unauthentic near a training draw "
            "in excess of the held-out baseline; Clopper-Pearson intervals of both shares at "
            "1 - alpha/2, combined (Bonferroni)"
        ),
        n=pool,
        m=m,
        quantity="copied share",
    )


@runs_on_host
def memorisation(
    *,
    training: Any,
    generated: Any,
    held_out: Any,
    level: Any = 0.95,
    permutations: Any = DEFAULT_PERMUTATIONS,
    seed: Any = 0,
    engine: Engine = "auto",
) -> Memorisation:
    r"""Whether a generator copies its training draws: Alaa et al.'s authenticity, calibrated.

    A generated draw :math:`y` is *unauthentic* where it lies nearer its nearest draw
    :math:`s_{i^*}` of the pooled training and held-out draws than :math:`s_{i^*}` lies to its
    nearest other pooled draw (Alaa et al. 2022, with the pool as the reference):

    .. math:: A_T = \#\{j : \|y_j - s_{i^*(y_j)}\| \le r_{i^*(y_j)},\ s_{i^*(y_j)} \in T\}

    and :math:`A_H` the same with :math:`s_{i^*} \in H`. The test rejects "the generator does
    not memorise" (which pooled draws were trained on is a random split, given the pool and the
    generated draws) where :math:`A_T` is large among ``permutations`` seeded relabellings of
    the pool: :math:`p = (1 + \#\{b : A_T^{(b)} \ge A_T\}) / (1 + B)`, whose false-alarm rate is
    at most ``1 - level`` for every sample size, whatever the generator's law (a model narrower
    or wider than the data included). ``benchmarks/memorisation.md`` measures it, and its power
    where 10% of 1000 generated draws are copies (module docstring).

    Args:
      training: the draws the generator was trained on, ``(n, d)``.
      generated: the generator's draws, ``(m, d)``.
      held_out: draws of the data's law the generator never saw, ``(l, d)``; ``n + l >= 2``.
      level: the intervals' coverage, and ``1 - level`` the test's level, in ``(0, 1)``.
      permutations: the number ``B >= 1`` of random relabellings of the pool.
      seed: the relabellings' seed, an integer ``>= 0``.
      engine: the searches' engine, ``"auto"`` (k-d trees up to d = 8, XLA above), ``"tree"``
        or ``"xla"``: the same numbers.

    Returns:
      A :class:`Memorisation`.

    Raises:
      ValueError: naming ``training``, ``generated`` or ``held_out`` for draws the shared rules
        refuse or of another dimension than ``training``'s; ``level``, ``permutations`` or
        ``seed`` outside their ranges.

    Example:
      >>> import numpy as np, divergences as dv
      >>> rng = np.random.default_rng(0)
      >>> training, held_out = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
      >>> fresh = rng.normal(size=(1000, 8))
      >>> copies = training[:100] + 1e-3 * rng.normal(size=(100, 8))  # 10% copied
      >>> m = dv.estimate.memorisation(
      ...     training=training, generated=np.concatenate([copies, fresh[100:]]),
      ...     held_out=held_out)
      >>> m.copying, m.test.p_value, round(m.copied.value, 1)
      (True, 0.001, 0.1)
      >>> m.copied.lower_bound > 0.0  # the copied share's interval leaves 0 out
      True
      >>> narrow = 0.8 * fresh  # a model narrower than the data, that copies nothing
      >>> dv.estimate.memorisation(training=training, generated=narrow, held_out=held_out).copying
      False
    """
    lev = level_option(level, note="the intervals' coverage; 1 - level is the test's level")
    count = integer_option(permutations, "permutations", note="random relabellings of the pool")
    start = seed_option(seed, note="the relabellings' seed")
    xs, ys, hs = draws_where_they_live(
        ((training, "training"), (generated, "generated"), (held_out, "held_out"))
    )
    n, m, h = xs.shape[0], ys.shape[0], hs.shape[0]
    pool = pooled(xs, hs)
    radii = kth_neighbour_distances(pool, 1, engine=engine)
    dist, nearest = kth_neighbours(pool, 1, ys, engine=engine)
    near = nearest[dist <= radii[nearest] * (1.0 + RADIUS_ROOM)]
    weights = np.bincount(near, minlength=n + h)  # unauthentic generated draws per pooled draw
    counts = weights[relabellings(n, h, count, start)].sum(axis=1)  # the observed split first
    a_t = int(counts[0])
    a_h = int(near.size) - a_t
    exceed = int(np.count_nonzero(counts[1:] >= a_t))
    test = TwoSampleTest(
        statistic=float(a_t),
        p_value=(1 + exceed) / (1 + count),
        test="permutation",
        parameters={"permutations": count, "seed": start},
        method=(
            "permutation test of the training/held-out split: the generated draws unauthentic "
            "(Alaa et al. 2022's rule, against the pool) whose nearest pooled draw is a "
            "training draw"
        )
        + searched_where((pool, ys), engine),
        n=m,
        m=n + h,
    )
    return Memorisation(
        training=_fraction(a_t, m, lev, "a training", n + h),
        held_out=_fraction(a_h, m, lev, "a held-out", n + h),
        copied=_copied(a_t, a_h, m, n / h, lev, n + h),
        test=test,
        copying=test.p_value <= 1.0 - lev,
    )
