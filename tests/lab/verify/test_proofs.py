"""Every step of every proof of the lectures, as shipped in the package, holds.

The proofs are loaded the way ``divergences verify`` loads them (from ``divergences.lab.proofs``),
so this runs what a user of the installed package runs; tests never import a proof directly.
"""

from __future__ import annotations

import pytest

from divergences.lab.proof import Step
from divergences.lab.verify.proof_files import load_proofs

pytestmark = pytest.mark.random

PROOFS = load_proofs()
STEPS = [step for proof in PROOFS for step in proof]


def test_the_lectures_are_all_there() -> None:
    assert len(PROOFS) >= 28
    assert len(STEPS) >= 136  # and the tour: 137 rows in the table of `divergences verify`
    titles = [p.title for p in PROOFS]
    assert len(set(titles)) == len(titles), "two proofs share a title"


# Every step of every lecture: `divergences verify` runs each one too, and CI runs it on the
# installed wheel (make wheel-check), warnings as errors as here; make test-slow leaves them out.
@pytest.mark.slow
@pytest.mark.proof
@pytest.mark.parametrize("step", STEPS, ids=[f"{s.proof[:40]}::{s.name}" for s in STEPS])
def test_step_holds(step: Step) -> None:
    step.assert_holds()
