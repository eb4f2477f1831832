"""Certified proof steps: identities and inequalities decided on enclosures, never on floats."""

from __future__ import annotations

import math
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences.lab.proof import Proof, ball, certified_identity, certified_inequality
from divergences.lab.verify import run
from divergences.lab.verify.formatting import format_failures, format_table
from divergences.lab.verify.proof_files import load_proofs

flint = pytest.importorskip("flint")
ROOT = pathlib.Path(__file__).resolve().parents[2]


class _Enclosure:
    """Stands for a certified result of the library: only the two bounds are read."""

    def __init__(self, lower: float, upper: float) -> None:
        self.lower_bound, self.upper_bound = lower, upper


def test_an_identity_holds_when_the_enclosure_contains_0_and_is_narrow() -> None:
    c = certified_identity((-1e-14, 3e-14), width=1e-10)
    assert c.holds and c.error >= 4e-14 and c.tolerance == 1e-10
    assert certified_identity(0.0, width=1e-300).holds  # an exact zero
    assert certified_identity(_Enclosure(-1e-12, 1e-12), width=1e-10).holds


def test_a_wrong_identity_fails_the_step() -> None:
    # log 4 = 2 log 2 holds; log 4 = log 2 + 0.7 does not (log 2 = 0.6931...): the enclosure
    # of the difference excludes 0, however narrow it is.
    log2, log4 = ball(2).log(), ball(4).log()
    assert certified_identity(log4 - 2 * log2, width=1e-15).holds
    wrong = certified_identity(log4 - (log2 + ball(0.7)), width=1e-15)
    assert not wrong.holds and wrong.error == math.inf
    assert "excludes 0" in wrong.detail and "lhs - rhs <=" in wrong.detail
    assert "exceeds the tolerance" in wrong.explain()


def test_a_too_wide_enclosure_fails_even_if_it_contains_0() -> None:
    c = certified_identity((-1e-6, 1e-6), width=1e-10)
    assert not c.holds and c.error == pytest.approx(2e-6)
    assert not certified_identity(ball(flint.arb(0, 1)), width=1e-10).holds


@given(
    lo=st.floats(-1.0, 1.0, allow_subnormal=True),
    span=st.floats(0.0, 1.0, allow_subnormal=True),
    width=st.floats(1e-300, 1.0),
)
def test_identity_verdict_is_contains_0_and_width(lo: float, span: float, width: float) -> None:
    hi = lo + span
    c = certified_identity((lo, hi), width=width)
    if c.holds:  # sound: never passes an enclosure that excludes 0 or is too wide
        assert lo <= 0.0 <= hi and hi - lo <= width
    if lo <= 0.0 <= hi and hi - lo <= width / 2:  # and passes one clearly inside
        assert c.holds


def test_inequalities_hold_only_when_the_enclosure_lies_on_its_side() -> None:
    assert certified_inequality((0.1, 0.2), ">", 0.0).holds
    assert certified_inequality((0.0, 0.2), ">=", 0.0).holds
    assert not certified_inequality((0.0, 0.2), ">", 0.0).holds  # 0 not excluded: no strict
    assert not certified_inequality((-1e-300, 0.2), ">=", 0.0).holds
    assert certified_inequality((0.1, 0.2), "<", (0.25, 0.3)).holds
    assert not certified_inequality((0.1, 0.26), "<", (0.25, 0.3)).holds  # they overlap
    bad = certified_inequality((0.1, 0.26), "<=", (0.25, 0.3))
    assert bad.error == pytest.approx(-0.01) and "lhs in" in bad.compared


def test_infinite_enclosures_are_compared_exactly() -> None:
    inf = _Enclosure(math.inf, math.inf)
    assert certified_inequality(inf, ">=", math.inf).holds
    assert not certified_inequality(_Enclosure(1e300, math.inf), ">=", math.inf).holds
    assert certified_inequality((0.0, 1.0), "<", math.inf).holds
    assert not certified_identity(inf, width=1.0).holds
    with pytest.raises(ValueError, match="infinite"):
        ball(inf)


def test_a_ball_contains_the_enclosure_and_arb_bounds_round_outward() -> None:
    b = ball(_Enclosure(0.1, 0.3))
    assert b.contains(flint.arb(0.1)) and b.contains(flint.arb(0.3))
    third = flint.arb(1) / 3  # not a double: its bounds must round outward
    c = certified_identity(third - third, width=1e-10)
    assert c.holds
    lo_hi = certified_inequality(third, ">=", 1 / 3 - 1e-16)
    assert lo_hi.holds


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="width"):
        certified_identity((0.0, 0.0), width=0.0)
    with pytest.raises(ValueError, match="relation"):
        certified_inequality((0.0, 1.0), "=<", 0.0)
    with pytest.raises(ValueError, match="lower <= upper"):
        certified_identity((1.0, 0.0), width=1.0)
    with pytest.raises(ValueError, match="NaN"):
        certified_inequality((math.nan, 0.0), ">", 0.0)


def test_certified_steps_in_a_proof_show_in_the_table_and_the_failures() -> None:
    proof = Proof("certified demo")

    @proof.step("log 4 = 2 log 2", method="certified")
    def _good() -> object:
        return certified_identity(ball(4).log() - 2 * ball(2).log(), width=1e-12)

    @proof.step("log 4 = log 2 (a slip)", method="certified")
    def _slip() -> object:
        return certified_identity(ball(4).log() - ball(2).log(), width=1e-12)

    outcomes = run([proof], tour=False)
    assert [o.holds for o in outcomes] == [True, False]
    table = format_table(outcomes)
    assert "certified" in table and "FAIL" in table
    failures = format_failures(outcomes)
    assert "step 'slip'" in failures and "excludes 0" in failures


def test_a_slipped_gan_identity_fails_on_the_library_enclosures() -> None:
    from divergences import continuous as dvc

    p, q = dvc.Normal(0.0, 1.0), dvc.Normal(1.5, 1.0)
    d_star = dvc.LogisticDiscriminator(-1.5, 1.125)  # p / (p + q) between these two Gaussians
    v = ball(dvc.certified.gan_value(p, q, d_star))
    js = ball(dvc.certified.js_divergence(p, q))
    assert certified_identity(v - (2 * js - ball(4).log()), width=1e-10).holds
    # the notes' slip: JS without its factor 2
    slip = certified_identity(v - (js - ball(4).log()), width=1e-10)
    assert not slip.holds and slip.error == math.inf
    # an enclosure asked for at a coarse relative width is refused at a fine stated width
    coarse = dvc.certified.js_divergence(p, q, rtol=1e-3)
    if coarse.upper_bound - coarse.lower_bound > 1e-10:
        assert not certified_identity(ball(coarse) - js, width=1e-10).holds


def test_the_continuous_gan_proof_is_in_the_verify_table() -> None:
    # By path, as `divergences verify proofs/` loads it: the packaged name points at the
    # checkout the package was installed from, which need not be this one.
    proofs = load_proofs([ROOT / "proofs"], only=("continuous_gan",))
    assert len(proofs) == 1
    steps = list(proofs[0])
    assert len(steps) >= 10 and {s.method for s in steps} == {"certified"}
    assert any("log 2" in s.claim and "theta" in s.claim for s in steps)  # the parallel lines
