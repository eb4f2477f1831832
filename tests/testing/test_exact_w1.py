"""The exact W1 reference of the harness against closed forms, exactly.

Closed forms in rational arithmetic, none of them a transport solve: W1 on the line as the integral
of the CDFs' gap, a translated copy (W1 is the length of the shift), a Dirac against a measure
(the mean cost), a two-point swap. Then a reference library (POT) in float64, the symmetry of W1,
and :meth:`ExactW1.compare` around the value.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import ot
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from divergences.testing import tolerance
from divergences.testing.exact_w1 import ExactW1, exact_cost, exact_numbers, lipschitz_violation
from tests.helpers import quick_only

METRICS = ["euclidean", "cityblock", "chebyshev", "sqeuclidean"]

# Coordinates across float64's range: every binade, subnormals and exact zeros.
_coordinate = st.one_of(
    st.just(0.0),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e307, max_value=1e307),
    st.floats(-1.0, 1.0),
    st.sampled_from([5e-324, -5e-324, 2.2250738585072014e-308, 1e300, -1e-300]),
)
# Weights: dyadic (float64 numbers) with exact zeros and tiny masses.
_weight = st.one_of(st.just(0.0), st.floats(1e-300, 1.0), st.sampled_from([0.25, 0.5, 1.0]))


@st.composite
def _line(draw: st.DrawFn, n: int) -> tuple[list[float], list[float]]:
    points = draw(st.lists(_coordinate, min_size=n, max_size=n))
    weights = draw(st.lists(_weight, min_size=n, max_size=n))
    if not any(weights):
        weights[0] = 1.0
    return points, weights


def _cdf_w1(x: list[float], y: list[float], a: list[Fraction], b: list[Fraction]) -> Fraction:
    """``int |F_a - F_b|``, exactly: the sum over the pooled sorted points of gap times width."""
    pooled = sorted({Fraction(t) for t in (*x, *y)})
    total = Fraction(0)
    for left, right in itertools.pairwise(pooled):
        fa = sum((w for t, w in zip(x, a, strict=True) if Fraction(t) <= left), Fraction(0))
        fb = sum((w for t, w in zip(y, b, strict=True) if Fraction(t) <= left), Fraction(0))
        total += abs(fa - fb) * (right - left)
    return total


@given(st.integers(1, 7).flatmap(_line), st.integers(1, 7).flatmap(_line))
@example(([1e300, 1e-300], [1.0, 1.0]), ([1e300, 0.0], [1.0, 1.0]))  # 1e-300 apart, 1e300 away
@example(([5e-324, 0.0], [1.0, 0.0]), ([0.0], [1.0]))  # the smallest subnormal, a zero weight
def test_on_the_line_the_integral_of_the_cdf_gap(u, v):
    (x, a), (y, b) = u, v
    fa, fb = exact_numbers(a), exact_numbers(b)
    fb = [t * sum(fa) / sum(fb) for t in fb]  # b taken at a's total
    want = _cdf_w1(x, y, fa, fb)
    for metric in ("euclidean", "cityblock", "chebyshev"):  # the same cost on the line
        got = ExactW1(np.array(x), np.array(y), np.array(a), np.array(b), metric=metric)
        assert got.enclosure() == (want, want)


@given(
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(-40, 40),
    st.data(),
)
def test_a_translated_copy_is_as_far_as_the_shift(n, d, e, data):
    # Points on an integer grid times 2^e and shifts of the same kind: x + s is exact.
    grid = st.integers(-(2**20), 2**20)
    x = np.ldexp(np.array(data.draw(st.lists(grid, min_size=n * d, max_size=n * d)), float), e)
    s = np.ldexp(np.array(data.draw(st.lists(grid, min_size=d, max_size=d)), float), e)
    x = x.reshape(n, d)
    a = np.array(data.draw(st.lists(_weight, min_size=n, max_size=n)))
    if not a.any():
        a[0] = 1.0
    y = x + s
    assert np.all(y - s == x)  # the copy is exact
    shift = [Fraction(t) for t in s]
    squared = sum((t * t for t in shift), Fraction(0))
    total = sum(exact_numbers(a))
    euclidean = ExactW1(x, y, a, a)
    lower, upper = euclidean.enclosure()
    # lower <= total * sqrt(squared) <= upper, in rationals.
    assert lower**2 <= total**2 * squared <= upper**2
    assert upper - lower <= Fraction(1, 2**128) * upper
    assert (
        ExactW1(x, y, a, a, metric="cityblock").enclosure()
        == (total * sum(abs(t) for t in shift),) * 2
    )
    assert (
        ExactW1(x, y, a, a, metric="chebyshev").enclosure()
        == (total * max(abs(t) for t in shift),) * 2
    )


# cityblock and chebyshev in the slow tier: test_a_translated_copy_is_as_far_as_the_shift checks
# their costs exactly in the quick tier.
@pytest.mark.parametrize("metric", quick_only(METRICS, lambda m: m in ("euclidean", "sqeuclidean")))
@given(st.integers(1, 8).flatmap(lambda m: st.tuples(st.just(m), st.data())))
def test_a_dirac_against_a_measure_is_the_mean_cost(metric, drawn):
    m, data = drawn
    coords = st.lists(_coordinate, min_size=2, max_size=2)
    x = np.array([data.draw(coords)])
    y = np.array([data.draw(coords) for _ in range(m)])
    b = np.array(data.draw(st.lists(_weight, min_size=m, max_size=m)))
    if not b.any():
        b[-1] = 1.0
    fx, fb = exact_numbers(x), exact_numbers(b)
    fb = [t / sum(fb) for t in fb]  # taken at a's total, 1
    lows, highs = zip(*(exact_cost(fx, exact_numbers(q), metric) for q in y), strict=True)
    got = ExactW1(x, y, None, b, metric=metric).enclosure()
    assert got.lower_bound >= sum(w * c for w, c in zip(fb, lows, strict=True))
    assert got.upper_bound <= sum(w * c for w, c in zip(fb, highs, strict=True))


def test_two_points_swap_to_the_nearer_partner():
    # Each point goes to its nearer partner: W1 = (1 + sqrt 2) / 2, irrational.
    x, y = np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[9.0, 0.0], [1.0, 1.0]])
    w = ExactW1(x, y)
    lower, upper = w.enclosure()
    # lower <= (1 + sqrt 2) / 2 <= upper, in rationals: (2 t - 1)^2 against 2.
    assert 2 * lower - 1 > 0
    assert (2 * lower - 1) ** 2 <= 2 <= (2 * upper - 1) ** 2
    assert w.compare(0.5 * (1.0 + math.sqrt(2.0))) != 0  # irrational: never a float
    assert ExactW1(x, y, metric="cityblock").enclosure() == (Fraction(3, 2),) * 2


def test_uniform_weights_are_exactly_one_over_n():
    # float32(1/3) is not 1/3: the reference reads None as the exact uniform measure.
    x, y = np.array([0.0, 1.0, 2.0]), np.array([0.0])
    assert ExactW1(x, y).enclosure() == (Fraction(1),) * 2
    third = Fraction(float(np.float32(1 / 3)))
    got = ExactW1(x, y, np.full(3, 1 / 3, np.float32), None).enclosure()
    assert got == (3 * third,) * 2  # b = 1 taken at a's total 3 float32(1/3)


def test_small_dtypes_are_read_exactly():
    import ml_dtypes

    for dtype in (np.float16, ml_dtypes.bfloat16):
        x = np.array([[0.1, 3.0]], dtype)
        y = np.array([[0.0, 3.0]], dtype)
        assert ExactW1(x, y).enclosure() == (Fraction(float(x[0, 0])),) * 2


@pytest.mark.slow
@pytest.mark.parametrize("metric", METRICS)
@given(data=st.data())
def test_agrees_with_pot_and_is_symmetric(metric, data):
    n, m, d = (
        data.draw(st.integers(1, 12)),
        data.draw(st.integers(1, 12)),
        data.draw(st.integers(1, 3)),
    )
    floats = st.floats(-4.0, 4.0)
    x = np.array(data.draw(st.lists(floats, min_size=n * d, max_size=n * d))).reshape(n, d)
    y = np.array(data.draw(st.lists(floats, min_size=m * d, max_size=m * d))).reshape(m, d)
    a = np.array(data.draw(st.lists(_weight, min_size=n, max_size=n)))
    b = np.array(data.draw(st.lists(_weight, min_size=m, max_size=m)))
    a[0] += 1.0
    b[0] += 1.0
    a, b = a / a.sum(), b / b.sum()
    w = ExactW1(x, y, a, b, metric=metric)
    b_at_total = np.array([float(t) for t in w.b])  # within an ulp of b at a's total
    expected = ot.emd2(a, b_at_total, cdist(x, y, metric=metric), numItermax=10**7)
    np.testing.assert_allclose(float(w.value()), expected, **tolerance("lp"))
    if sum(exact_numbers(a)) == sum(exact_numbers(b)):  # the same problem transposed
        assert ExactW1(y, x, b, a, metric=metric).enclosure() == w.enclosure()


def test_compare_decides_around_the_value():
    w = ExactW1([[0.0, 0.0]], [[1.0, 1.0]])  # sqrt 2
    root = math.sqrt(2.0)
    assert w.compare(root) != 0
    below, above = (
        (root, math.nextafter(root, 3)) if w.compare(root) < 0 else (math.nextafter(root, 0), root)
    )
    assert (w.compare(below), w.compare(above)) == (-1, 1)
    assert w.compare(math.inf) == 1 and w.compare(-math.inf) == -1
    assert ExactW1([0.0], [2.0]).compare(2.0) == 0
    with pytest.raises(ValueError, match="NaN"):
        w.compare(math.nan)
    assert w.relative_error(root) <= 2**-52


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[0.0]], [[math.inf]]), "finite"),
        (([[0.0]], [[1.0]], [-1.0]), "weights"),
        (([[0.0]], [[1.0]], [0.0]), "weights"),
        (([[0.0, 1.0]], [[1.0]]), "dimension"),
    ],
)
def test_refuses_what_is_not_a_problem(args, match):
    with pytest.raises(ValueError, match=match):
        ExactW1(*args)


def test_the_cost_scale_bounds_w1_and_weighs_a_far_point_by_its_mass():
    # A far point of mass 1e-300 at 1e300 adds about 1 to S, not 1e300.
    x = np.array([[0.0, 0.0], [1e300, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    w = ExactW1(x, y, np.array([1.0 - 1e-300, 1e-300]), None)
    assert w.enclosure().upper_bound <= w.cost_scale() <= 3
    assert w.largest_cost() >= Fraction(10**299)


def test_the_violation_of_a_potential_is_enclosed_exactly():
    z = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 1.0]])
    assert lipschitz_violation(np.array([0.0, 5.0, 1.4]), z) == (0, 0)  # 1-Lipschitz: 0
    got = lipschitz_violation(np.array([0.0, 7.0, 1.4]), z)  # f_1 - f_0 - 5 = 2
    assert got == (Fraction(2), Fraction(2))
    lower, upper = lipschitz_violation(np.array([0.0, 0.0, 2.0]), z)  # 2 - sqrt 2, irrational
    assert lower < upper and (2 - lower) ** 2 >= 2 >= (2 - upper) ** 2
