"""Certified means the width asked for, or PrecisionError: laws close together and far apart.

The truth is mpmath's, at 40 digits (25 far apart): closed forms where they exist (KL, Hellinger, chi-square,
the TV and W1 of a shift, W1 of two scales about one mean, and the TV of two scales from the
points where the densities cross), ``mpmath.quad`` otherwise (JS, W1 of laws far apart), the
integrands written again here. Every enclosure must hold the truth and meet
``upper - lower <= max(rtol * max(|lower|, |upper|), atol)``; the budget is checked on the work
counter the error reports, with a clock that ticks per reading.
"""

import functools
import itertools
import math
import re

import mpmath as mp
import numpy as np
import pytest

import divergences as dv
from divergences import continuous as dvc
from divergences._src.options import rtol_option
from divergences.continuous._src import effort, integrals, refine

C = dvc.certified
N = dvc.Normal
RTOL = 1e-12

#: (name, (loc_p, scale_p), (loc_q, scale_q)): a location or a scale 1e-6 or 1e-12 apart, and
#: two laws far apart.
PAIRS = [
    ("loc 1e-6", (0.0, 1.0), (1e-6, 1.0)),
    ("loc 1e-12", (0.0, 1.0), (1e-12, 1.0)),
    ("scale 1e-6", (0.0, 1.0), (0.0, 1.0 + 1e-6)),
    ("scale 1e-12", (0.0, 1.0), (0.0, 1.0 + 1e-12)),
    ("far", (0.0, 1.0), (1.5, 2.5)),
]


def _mp(law):
    return mp.mpf(law[0]), mp.mpf(law[1])


def _pdf(m, s):
    return lambda x: mp.npdf(x, m, s)


def _crossings(p, q):
    """The points where the two normal densities cross (the roots of a quadratic), in mpmath."""
    (m1, s1), (m2, s2) = p, q
    if s1 == s2:
        return [(m1 + m2) / 2]
    a = 1 / s1**2 - 1 / s2**2
    b = -2 * (m1 / s1**2 - m2 / s2**2)
    c = m1**2 / s1**2 - m2**2 / s2**2 - 2 * mp.log(s2 / s1)
    root = mp.sqrt(b * b - 4 * a * c)
    return sorted([(-b - root) / (2 * a), (-b + root) / (2 * a)])


def _quad(f, points):
    return mp.quad(f, [-mp.inf, *sorted(points), mp.inf])


@functools.cache
def truth(quantity, p, q):
    """The exact value in mpmath (a closed form or mpmath.quad).

    At 40 digits for laws close together (the quantities are differences of terms 1e12 times
    larger), 25 otherwise.
    """
    near = abs(p[0] - q[0]) < 1e-3 and abs(p[1] - q[1]) < 1e-3
    with mp.workdps(40 if near else 25):
        (m1, s1), (m2, s2) = _mp(p), _mp(q)
        f, g = _pdf(m1, s1), _pdf(m2, s2)
        marks = sorted({m1, m2, min(m1, m2) - 5, max(m1, m2) + 5})
        if quantity == "kl":
            return mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2
        if quantity == "reverse_kl":
            return truth("kl", q, p)
        if quantity == "hellinger":
            v = s1**2 + s2**2
            return mp.sqrt(1 - mp.sqrt(2 * s1 * s2 / v) * mp.exp(-((m1 - m2) ** 2) / (4 * v)))
        if quantity == "chi_square":
            v = 2 * s2**2 - s1**2
            return s2**2 / (s1 * mp.sqrt(v)) * mp.exp((m1 - m2) ** 2 / v) - 1
        if quantity == "js_divergence":

            def js(x):
                a, b = f(x), g(x)
                m = (a + b) / 2
                return (a * mp.log(a / m) + b * mp.log(b / m)) / 2

            return _quad(js, marks)
        if quantity == "gan_value":
            return 2 * truth("js_divergence", p, q) - mp.log(4)
        if quantity == "total_variation":
            if s1 == s2:  # 2 Phi(|mu_p - mu_q| / (2 sigma)) - 1
                return 2 * mp.ncdf(abs(m1 - m2) / (2 * s1)) - 1
            # p - q keeps one sign between its two zeros: TV = |D(x2) - D(x1)|, D = F_p - F_q.
            x1, x2 = _crossings((m1, s1), (m2, s2))
            d = [mp.ncdf(x, m1, s1) - mp.ncdf(x, m2, s2) for x in (x1, x2)]
            return abs(d[1] - d[0])
        if quantity == "w1":
            if s1 == s2:
                return abs(m1 - m2)
            if m1 == m2:  # |s_p - s_q| E|Z|
                return abs(s1 - s2) * mp.sqrt(2 / mp.pi)
            cut = (m1 * s2 - m2 * s1) / (s2 - s1)  # where the distribution functions cross
            return _quad(lambda x: abs(mp.ncdf(x, m1, s1) - mp.ncdf(x, m2, s2)), [*marks, cut])
    raise AssertionError(quantity)


CALLS = {
    "kl": C.kl,
    "js_divergence": C.js_divergence,
    "total_variation": C.total_variation,
    "hellinger": C.hellinger,
    "chi_square": C.chi_square,
    "reverse_kl": lambda p, q, **kw: C.f_divergence(p, q, dv.generators.REVERSE_KL, **kw),
    "gan_value": C.gan_value,
    "w1": C.w1,
}


def meets(e, rtol, atol=0.0):
    size = max(abs(e.lower_bound), abs(e.upper_bound))
    return e.upper_bound - e.lower_bound <= max(rtol * size, atol)


def check(e, exact, rtol=RTOL, atol=0.0):
    """The enclosure holds the truth and its value, and is as narrow as asked."""
    assert mp.mpf(e.lower_bound) <= exact <= mp.mpf(e.upper_bound), (e, exact)
    assert e.lower_bound <= e.value <= e.upper_bound, e
    assert meets(e, rtol, atol), e


def test_every_certified_entry_is_in_the_precision_matrix():
    functions = {
        n for n in C.__all__ if callable(getattr(C, n)) and not isinstance(getattr(C, n), type)
    }
    assert functions == {n for n in CALLS if n != "reverse_kl"} | {"f_divergence"}


# gan_value's near pairs in the slow tier: its enclosure is 2 JS - log 4, and [gan_value-far] with
# the js_divergence pairs (1e-12 apart among them) keep that path quick.
@pytest.mark.parametrize(
    ("quantity", "case", "p", "q"),
    [
        pytest.param(
            quantity,
            case,
            p,
            q,
            id=f"{quantity}-{case}",
            marks=pytest.mark.slow if quantity == "gan_value" and case != "far" else (),
        )
        for quantity in sorted(CALLS)
        for case, p, q in PAIRS
    ],
)
def test_near_and_far_normals_meet_rtol_against_mpmath(quantity, case, p, q):
    # Before: the TV of normals 1e-6 apart came back as [0, 1] after 15 s, KL and JS near-equal
    # with a relative width of 1e-7 and 1e-5, all without a word.
    e = CALLS[quantity](N(*p), N(*q), rtol=RTOL)
    check(e, truth(quantity, p, q))


@pytest.mark.parametrize(
    ("family", "tv"),
    [
        # TV of a shift d: 1 - e^(-d/2), tanh(d/4), atan(d/2) * 2/pi, for unit scales.
        (dvc.Laplace, lambda d: -mp.expm1(-d / 2)),
        (dvc.Logistic, lambda d: mp.tanh(d / 4)),
        (dvc.Cauchy, lambda d: 2 * mp.atan(d / 2) / mp.pi),
    ],
)
@pytest.mark.parametrize("d", [1e-6, 1e-12, 1.5])
def test_tv_of_a_symmetric_shift_meets_rtol(family, tv, d):
    with mp.workdps(60):
        check(C.total_variation(family(0.0, 1.0), family(d, 1.0)), tv(mp.mpf(d)))


def test_a_quantity_that_cannot_reach_rtol_raises_with_the_enclosure_reached():
    # W1 of two Laplace laws of scales 1e-6 apart: |F_p - F_q| is integrated, and its balls lose
    # the difference to the distribution functions' own widths; the true value is 1e-6 (scales
    # b and b': W1 = |b - b'| E|X| for X of scale 1).
    p, q = dvc.Laplace(0.0, 1.0), dvc.Laplace(0.0, 1.0 + 1e-6)
    with pytest.raises(C.PrecisionError) as caught:
        C.w1(p, q, budget=0.3)
    err = caught.value
    # The certified path's own status (before: W1's PIVOT_CAP, borrowed for a time budget).
    assert isinstance(err, dv.SolverError) and err.status is C.Stop.BUDGET
    assert (err.quantity, err.p, err.q, err.rtol, err.budget) == ("w1", p, q, RTOL, 0.3)
    assert err.enclosure is None or err.enclosure.contains(1.0 + 1e-6 - 1.0)
    assert err.evaluations > 0
    text = str(err)
    assert "w1(Laplace(loc=0.0, scale=1.0), Laplace(loc=0.0, scale=1.000001))" in text
    assert "the budget (0.3 s) ended" in text and "a budget above" in text and "rtol" in text
    if err.enclosure is not None:  # the atol the enclosure reached would meet is named
        assert refine.meets(err.enclosure, 0.0, _advised(text, "atol"))


def _advised(text, option):
    """The value of ``option`` that a PrecisionError's message advises."""
    return float(re.search(rf"\b{option}=([0-9.e+-]+)[) ]", text).group(1))


class _Spent:
    """The parts of a refinement's effort that the message reads."""

    def __init__(self, attempts, spent):
        self.attempts, self.spent, self.evaluations, self.extra_bits = attempts, spent, 1000, 48


def test_the_advice_is_accepted_and_holds():
    # Before: "a looser rtol (rtol=1 holds this enclosure)", where rtol must lie in (0, 1), and
    # "rtol=0.0021" for a relative width of 0.00213, which does not hold it.
    p, q = N(0.0, 1.0), N(1.0, 1.0)
    for lower, upper in ((0.0, 2.5623), (2.5e-19, 2.5053470739e-19), (1.0, 1.0 + 2.9e-12)):
        reached = C.Enclosure((lower + upper) / 2, lower, upper, "arb")
        text = refine._message("kl", p, q, reached, RTOL, 0.0, 5.0, 5.0, _Spent(3, True), [])
        assert refine.meets(reached, 0.0, _advised(text, "atol"))
        advice = text.rsplit("; ", 1)[1]
        if "no rtol below 1 does" in text:
            assert upper - lower > upper * 0.99 and "rtol=" not in advice
        else:
            rtol = _advised(advice, "rtol")
            assert rtol_option(rtol) == rtol and refine.meets(reached, rtol, 0.0)


@pytest.mark.slow  # 1.9 s from a cold compile cache: over the quick tier's 1 s
def test_the_cap_that_ended_a_run_is_named_and_a_budget_sized_from_the_convergence_seen():
    p, q = N(0.0, 1.0), N(1.0, 1.0)
    reached = C.Enclosure(1.0, 1.0 - 5e-6, 1.0 + 5e-6, "arb")

    def said(spent, history, attempts=3, seconds=1.0):
        work = _Spent(attempts, spent)
        return refine._message("kl", p, q, reached, RTOL, 0.0, 1.0, seconds, work, history)

    # The width shrank 100-fold an attempt (1e-3, then 1e-5), each attempt 4 times longer than
    # the last: 4 more attempts to 1e-12, 0.5 + 0.4 * (4 + 16 + 64 + 256) = 136.5 s.
    text = said(True, [(0.1, 1e-3), (0.5, 1e-5)])
    assert "the budget (1 s) ended it" in text and "a budget of about 140 s" in text
    # The same seen by a refinement that ran out of attempts: no budget would reach it.
    text = said(False, [(0.1, 1e-3), (0.5, 1e-5)], attempts=8, seconds=0.6)
    assert "the cap of 8 attempts a refinement makes ended it, not the budget" in text
    assert "no budget would" in text
    # A real run: Cauchy KL 1e-9 apart ends at its attempts' cap in about a second of a budget
    # of 60 (before: "a larger budget would reach it").
    with pytest.raises(C.PrecisionError) as caught:
        C.kl(dvc.Cauchy(0.0, 1.0), dvc.Cauchy(1e-9, 1.0), budget=60.0)
    text = str(caught.value)
    assert "the cap of 8 attempts a refinement makes ended it, not the budget" in text
    assert caught.value.status is C.Stop.ATTEMPTS
    assert refine.meets(caught.value.enclosure, _advised(text.rsplit("; ", 1)[1], "rtol"), 0.0)
    # A width that stopped shrinking: more time would not help.
    assert "more time would not reach" in said(True, [(0.1, 1e-5), (0.5, 1e-5)])


def test_a_budget_spent_before_the_first_piece_raises_with_no_work():
    with pytest.raises(C.PrecisionError, match=r"no enclosure was finished") as caught:
        C.js_divergence(dvc.Laplace(0.0, 1.0), N(1.0, 1.0), budget=1e-9)
    assert caught.value.evaluations == 0 and caught.value.enclosure is None


def test_the_budget_bounds_the_work(monkeypatch):
    # A clock that ticks 1 ms at each reading: the work done before the budget ends depends on
    # the readings, not on the machine. The deadline is read every 16 evaluations and before
    # each piece, so at most 16 evaluations more than the ticks allow.
    ticks = itertools.count()
    clock = lambda: next(ticks) * 1e-3  # noqa: E731
    monkeypatch.setattr(effort.time, "process_time", clock)
    budget = 0.05
    with pytest.raises(C.PrecisionError) as caught:
        C.w1(dvc.Laplace(0.0, 1.0), dvc.Laplace(0.0, 1.0 + 1e-6), budget=budget)
    assert 0 < caught.value.evaluations <= 16 * (budget / 1e-3 + 1)


@pytest.mark.slow  # 1.0 s from a cold compile cache: over the quick tier's 1 s
def test_atol_is_the_rule_near_zero():
    # JS of normals 1e-12 apart is 1.25e-25: an absolute width of 1e-20 is met at once where the
    # relative 1e-12 needs the extra bits; either way the truth is inside.
    p, q = (0.0, 1.0), (1e-12, 1.0)
    e = C.js_divergence(N(*p), N(*q), rtol=0.5, atol=1e-20)
    check(e, truth("js_divergence", p, q), rtol=0.5, atol=1e-20)
    assert not meets(e, 1e-30)  # the rule met is atol's, not a far tighter one


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_atol_alone_drives_an_enclosure_that_touches_zero(monkeypatch):
    # A mixture of two equal normals against that normal: KL is 0, but the integrals do not know
    # it, and an enclosure [0, x] meets no relative width, however loose. atol alone is met, and
    # it travels to the integrals as each attempt's tolerance, an argument.
    p, q = dvc.Mixture(np.array([0.5, 0.5]), (N(0.0, 1.0), N(0.0, 1.0))), N(0.0, 1.0)
    # Within its budget it raises, short of rtol or (on a slow or loaded machine, where 0.3 s of
    # processor time ends the first attempt) with no enclosure finished: never a number.
    with pytest.raises(C.PrecisionError, match=r"short of rtol=0\.5,|no enclosure was finished"):
        C.kl(p, q, rtol=0.5, budget=0.3)
    seen = []
    sum_pieces = integrals.sum_pieces

    def spied(*args, **kw):
        seen.append(args[4])
        return sum_pieces(*args, **kw)

    monkeypatch.setattr(integrals, "sum_pieces", spied)
    e = C.kl(p, q, rtol=0.5, atol=1e-12)
    assert e.lower_bound <= 0.0 <= e.upper_bound and e.upper_bound - e.lower_bound <= 1e-12
    assert seen[0] == effort.Tolerance(0.5, 1e-12)
    assert all(tol.atol / tol.rtol == 1e-12 / 0.5 for tol in seen)  # tightened alike


def test_equal_laws_are_zero_exactly():
    law = dvc.Laplace(0.5, 2.0)
    for quantity in ("kl", "js_divergence", "total_variation", "hellinger", "chi_square"):
        e = CALLS[quantity](law, law)
        assert (e.lower_bound, e.value, e.upper_bound) == (0.0, 0.0, 0.0), quantity


@pytest.mark.slow  # 1.3 s from a cold compile cache: over the quick tier's 1 s
def test_the_value_is_the_fast_paths_inside_a_wide_enclosure():
    p, q = N(0.0, 1.0), N(1.0, 2.0)
    e = C.total_variation(p, q, rtol=0.5)  # a closed form: narrow whatever rtol
    assert meets(e, 1e-14)
    wide = C.js_divergence(p, q, rtol=1e-3)
    fast = dvc.js_divergence(p, q)
    if (
        wide.contains(float(fast.value))
        and float(fast.error) < (wide.upper_bound - wide.lower_bound) / 2
    ):
        assert wide.value == float(fast.value)
    else:
        assert wide.value == pytest.approx((wide.lower_bound + wide.upper_bound) / 2)
    check(wide, truth("js_divergence", (0.0, 1.0), (1.0, 2.0)), rtol=1e-3)


def test_an_unbounded_enclosure_never_meets_the_precision():
    # [x, inf] is no precision at all (inf <= rtol * inf reads true); a value decided infinite is
    # one, both its ends inf.
    half_line = C.Enclosure(1.0, 0.5, math.inf, "test")
    assert not refine.meets(half_line, 1e-12, 0.0)
    assert not refine.meets(half_line, 1e-12, math.inf)
    assert refine.meets(C.Enclosure(math.inf, math.inf, math.inf, "infinite: tails"), 1e-12, 0.0)
    # (KL of Gamma(0.5, 1) and N(0, 1) reached only [x, inf] while the tails' density bound was
    # the law's global one, infinite for a shape below 1; its tail's own bound encloses it now.)
    with pytest.raises(C.PrecisionError, match=r"unbounded") as caught:
        refine.refined(
            "kl", N(0.0, 1.0), N(1.0, 1.0), lambda tol: half_line, effort.Tolerance(1e-12), 0.5
        )
    assert caught.value.enclosure == half_line
    e = C.kl(dvc.Gamma(0.5, 1.0), N(0.0, 1.0), budget=2.0)
    assert e.contains(1.2033286032906843944)  # mpmath at 30 digits
