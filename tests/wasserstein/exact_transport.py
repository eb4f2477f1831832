"""An exact enclosure of W1 for small problems at any scale, sharing nothing with the package.

The points and weights are read as the exact rationals the floats stand for. Each Euclidean cost
is a ball of python-flint's ``arb`` at :data:`PRECISION` bits (the differences and squares of
float64 coordinates from 1e-308 to 1e308 are exact there; only the square root is rounded), and
the transportation LP is solved exactly, with ``fractions.Fraction``, on the balls' midpoints by
the transportation simplex (north-west corner start, MODI prices, Bland's rule). With every cost
within ``r`` of its midpoint and total mass 1, the exact W1 is within ``r`` of that LP's value.
The weights ``b`` are taken at ``a``'s total, as the package defines W1 for totals that differ
by rounding.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

import numpy as np
from flint import arb, ctx

#: Bits of the cost balls: 1e300 squared and 1e-300 squared are both exact in far fewer.
PRECISION = 6000


class ExactW1(NamedTuple):
    """Rationals with ``lower <= W1 <= upper`` (a width of about ``2^-PRECISION`` of the costs)."""

    lower: Fraction
    upper: Fraction

    def inside(self, lo: float, hi: float) -> bool:
        """Whether ``[lo, hi]`` (floats) holds the whole enclosure, hence W1."""
        return Fraction(float(lo)) <= self.lower and self.upper <= Fraction(float(hi))

    def within(self, value: float, rtol: float) -> bool:
        """Whether ``value`` is within ``rtol`` of W1, relative, for any W1 in the enclosure."""
        v = Fraction(float(value))
        r = Fraction(rtol)
        return abs(v - self.lower) <= r * self.lower and abs(v - self.upper) <= r * self.upper


def _fraction(ball: arb) -> Fraction:
    man, exp = ball.man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


def _cost_balls(x: np.ndarray, y: np.ndarray) -> tuple[list[list[Fraction]], Fraction]:
    """Midpoints of the Euclidean costs and the largest radius."""
    with ctx.workprec(PRECISION):
        xs = [[arb(float(t)) for t in p] for p in x]
        ys = [[arb(float(t)) for t in q] for q in y]
        mids, radius = [], Fraction(0)
        for p in xs:
            row = []
            for q in ys:
                ball = sum(((s - t) ** 2 for s, t in zip(p, q, strict=True)), arb(0)).sqrt()
                row.append(_fraction(ball.mid()))
                radius = max(radius, _fraction(ball.rad()))
            mids.append(row)
    return mids, radius


def transport_lp(cost: list[list[Fraction]], a: list[Fraction], b: list[Fraction]) -> Fraction:
    """The exact optimal value of ``min <P, C>`` over couplings of ``a`` and ``b`` (equal totals)."""
    n, m = len(a), len(b)
    assert sum(a) == sum(b)
    flow: dict[tuple[int, int], Fraction] = {}
    ra, rb, i, j = list(a), list(b), 0, 0
    while i < n and j < m:  # north-west corner: n + m - 1 basic cells, a spanning tree
        t = min(ra[i], rb[j])
        flow[i, j] = t
        ra[i] -= t
        rb[j] -= t
        if ra[i] == 0 and i < n - 1:
            i += 1
        elif j < m - 1:
            j += 1
        else:
            i += 1
    for _ in range(10_000):
        adjacent: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for r, c in flow:
            adjacent.setdefault(("r", r), []).append(("c", c))
            adjacent.setdefault(("c", c), []).append(("r", r))
        u: dict[int, Fraction] = {0: Fraction(0)}
        v: dict[int, Fraction] = {}
        stack = [("r", 0)]
        while stack:
            kind, k = stack.pop()
            for other in adjacent.get((kind, k), []):
                if kind == "r" and other[1] not in v:
                    v[other[1]] = cost[k][other[1]] - u[k]
                    stack.append(other)
                elif kind == "c" and other[1] not in u:
                    u[other[1]] = cost[other[1]][k] - v[k]
                    stack.append(other)
        entering = next(
            ((r, c) for r in range(n) for c in range(m) if cost[r][c] - u[r] - v[c] < 0), None
        )
        if entering is None:
            return sum((f * cost[r][c] for (r, c), f in flow.items()), Fraction(0))
        # The tree path from the entering row to its column: the cycle, signs -, +, -, ...
        start, goal = ("r", entering[0]), ("c", entering[1])
        parent = {start: start}
        queue = [start]
        while goal not in parent:
            node = queue.pop(0)
            for other in adjacent.get(node, []):
                if other not in parent:
                    parent[other] = node
                    queue.append(other)
        path, node = [], goal
        while node != start:
            prev = parent[node]
            path.append((prev[1], node[1]) if prev[0] == "r" else (node[1], prev[1]))
            node = prev
        path.reverse()
        minus = path[0::2]
        theta = min(flow[cell] for cell in minus)
        leaving = min(cell for cell in minus if flow[cell] == theta)
        for cell in minus:
            flow[cell] -= theta
        for cell in path[1::2]:
            flow[cell] += theta
        flow[entering] = theta
        del flow[leaving]
    raise AssertionError("the exact transportation simplex did not finish")


def exact_w1(x, y, a=None, b=None) -> ExactW1:
    """The enclosure of the Euclidean W1 of the measures as given (floats of any dtype)."""
    x, y = (np.asarray(t).reshape(len(t), -1) for t in (x, y))
    n, m = x.shape[0], y.shape[0]
    fa = [Fraction(1, n)] * n if a is None else [Fraction(float(t)) for t in np.asarray(a)]
    fb = [Fraction(1, m)] * m if b is None else [Fraction(float(t)) for t in np.asarray(b)]
    total_a, total_b = sum(fa), sum(fb)
    fb = [t * total_a / total_b for t in fb]
    mids, radius = _cost_balls(x, y)
    value = transport_lp(mids, fa, fb)
    return ExactW1(value - radius * total_a, value + radius * total_a)
