r"""The ``"line"`` method: exact W1 between measures on the line, in :math:`O((n + m) \log(n + m))`.

On the real line the monotone coupling is optimal for the cost :math:`|x - y|` (it is for every
convex function of :math:`x - y`): sort both supports and fill the plan by the north-west corner
rule, the quantile coupling of Peyre & Cuturi, Remark 2.30. The Kantorovich-Rubinstein potential
that meets it is

.. math:: f(t) = \int_{t_0}^{t} \operatorname{sign}\big(G(s) - F(s)\big)\, ds,

:math:`F`, :math:`G` the distribution functions of the two measures: 1-Lipschitz, and
:math:`\int f\, d\mu - \int f\, d\nu = \int |F - G| = W_1` (Vallender, 1974). Both are computed
exactly, in integers: every float64 is an integer times a power of two, so the points, the
cumulative weights, the signs of :math:`G - F` and the potential's values are sums of integers,
and only the final conversion to float64 rounds (once per value). The pipeline's certificate
then encloses the plan's cost and the potential's dual value in real arithmetic, as for every
solver; memory and time are linear in ``n + m`` but for the sort.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from divergences._src.interval import Interval
from divergences._src.options import rtol_option
from divergences.wasserstein._src.host.dense import DENSE_RTOL, default_max_iter, refine_per_arc
from divergences.wasserstein._src.host.dyadic import as_integers, to_float
from divergences.wasserstein._src.host.host_problem import HostProblem
from divergences.wasserstein._src.host.protocol import Coupling
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.results import SolverError, Status, kantorovich_pair

__all__ = ["LINE_RTOL", "SOLVER", "LineOptions", "MonotoneCoupling"]

#: The certified relative gap of a call that leaves ``rtol`` None: the sparse solver's, whose
#: place ``method="auto"`` gives this one for large problems on the line.
LINE_RTOL = 1e-9
#: Up to this many pairs a certificate wider than ``rtol`` is narrowed on the whole cost matrix
#: (:func:`~.dense.refine_per_arc`); past it, a SolverError.
_REFINE_MAX_PAIRS = 2**22


class LineOptions(NamedTuple):
    """The options of ``method="line"``: ``dv.w1_primal(x, y, options=dv.LineOptions(...))``.

    The same fields are the call's keywords; None is the method's own. It has no iterations
    to cap (no ``max_iter``).
    """

    #: The certified relative gap it promises, in [0, 1) (None: :data:`LINE_RTOL`).
    rtol: float = LINE_RTOL
    #: The threads of the certificate's nearest-site queries (None: the default).
    threads: int | None = None


def _north_west(ca: list[int], cb: list[int]) -> tuple[list[int], list[int], list[int]]:
    """The monotone plan's arcs from the cumulative masses (integers), in sorted order.

    Arc ``(i, j)`` carries the overlap of ``(ca[i-1], ca[i]]`` and ``(cb[j-1], cb[j]]``; where
    the totals differ, the plan stops at the smaller one.
    """
    rows, cols, mass = [], [], []
    i = j = 0
    lo = 0
    while i < len(ca) and j < len(cb):
        hi = min(ca[i], cb[j])
        if hi > lo:
            rows.append(i)
            cols.append(j)
            mass.append(hi - lo)
            lo = hi
        if ca[i] == hi:
            i += 1
        if j < len(cb) and cb[j] == hi:
            j += 1
    return rows, cols, mass


def _potential(points: list[int], from_x: list[bool], masses: list[int]) -> list[int]:
    r"""Twice the centred potential :math:`f` at each pooled point, in the points' units.

    ``points`` sorted, ``from_x`` whether each is a point of the first measure, ``masses`` its
    weight (integers of one scale). :math:`f` moves by ``sign(G - F)`` times each gap, where
    :math:`F - G` is the running sum of the masses (first measure plus, second minus).
    """
    f = [0] * len(points)
    diff = 0  # F - G just right of the current point
    for k in range(1, len(points)):
        diff += masses[k - 1] if from_x[k - 1] else -masses[k - 1]
        step = points[k] - points[k - 1]
        f[k] = f[k - 1] - step if diff > 0 else f[k - 1] + step if diff < 0 else f[k - 1]
    shift = max(f) + min(f)
    return [2 * t - shift for t in f]


def monotone_coupling(problem: HostProblem) -> Coupling:
    """The optimal coupling on the line and its Kantorovich pair, exact but for one rounding each."""
    xs, ys = problem.x[:, 0], problem.y[:, 0]
    n = xs.shape[0]
    weights, we = as_integers(np.concatenate([problem.a, problem.b]))
    px, py = np.argsort(xs, kind="stable"), np.argsort(ys, kind="stable")
    ca = list(itertools.accumulate(weights[i] for i in px.tolist()))
    cb = list(itertools.accumulate(weights[n + j] for j in py.tolist()))
    rows, cols, mass = _north_west(ca, cb)
    pooled = np.concatenate([xs, ys])
    order = np.argsort(pooled, kind="stable").tolist()
    coords, pe = as_integers(pooled[order])
    f2 = _potential(coords, [t < n for t in order], [weights[t] for t in order])
    f = np.empty(pooled.shape[0], np.float64)
    f[order] = [to_float(t, pe - 1) for t in f2]
    u, v = kantorovich_pair(f[:n], f[n:])
    r = px[np.asarray(rows, np.int64)]
    c = py[np.asarray(cols, np.int64)]
    m = np.array([to_float(t, we) for t in mass], np.float64)
    value = math.fsum((m * np.abs(xs[r] - ys[c])).tolist())
    return Coupling(r, c, m, u, v, value)


class MonotoneCoupling:
    """The ``"line"`` method: the monotone coupling and the distribution functions' potential.

    For points in one dimension and the Euclidean cost; no pivots, no iterations.
    """

    name = "line"
    euclidean_only = True
    Options = LineOptions
    keywords = LineOptions._fields

    def options(self, n: int, m: int, given: LineOptions) -> LineOptions:
        """``given`` checked, ``rtol`` None made :data:`LINE_RTOL`."""
        return LineOptions(
            rtol_option(given.rtol, zero=True, default=LINE_RTOL), check_threads(given.threads)
        )

    def check(self, n: int, m: int, options: LineOptions) -> None:
        """Nothing to refuse: its memory is linear in ``n + m``."""

    def solve(self, problem: HostProblem, options: LineOptions) -> Coupling:
        return monotone_coupling(problem)

    def certified_rtol(self, options: LineOptions) -> float:
        """``rtol``, or for a smaller one the few ulps of the dense LP's certificate."""
        return max(options.rtol, DENSE_RTOL)

    def refine(
        self,
        problem: HostProblem,
        options: LineOptions,
        sol: Coupling,
        bounds: Interval,
        *,
        allowance: float = math.inf,
    ) -> tuple[Coupling, Interval]:
        """Bounds per arc on the cost matrix where it is small, else a SolverError (NUMERICAL).

        The coupling is exact and the potential rounded once per value, so a wider certificate
        means a W1 far below the points' spread (the potential's rounding is relative to it).
        """
        n, m = problem.x.shape[0], problem.y.shape[0]
        failure = (
            f"the line method's certificate is wider than rtol={options.rtol!r}: W1 is far "
            "below the points' spread, whose last bits the potential's values lose"
        )
        if n * m > _REFINE_MAX_PAIRS:
            raise SolverError(
                f"{failure}; W1 is in [{bounds.lower_bound!r}, {bounds.upper_bound!r}] in the problem's units "
                f"(scaled by a power of two); pass a larger rtol, or method='dense' on a "
                "subsample",
                Status.NUMERICAL,
            )
        return refine_per_arc(
            problem, default_max_iter(n, m), sol, bounds, rtol=self.certified_rtol(options),
            failure=failure,
        )  # fmt: skip


SOLVER = MonotoneCoupling()
