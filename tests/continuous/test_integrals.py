"""The certified integrator's pieces: an integration that does not converge is an error, never NaN."""

from __future__ import annotations

import pytest

import divergences as dv
from divergences import continuous as dvc
from divergences.continuous._src import integrals
from divergences.continuous._src.ball import require_flint
from divergences.continuous._src.effort import Tolerance


@pytest.mark.slow  # the integrator spends its 10^6 evaluations first
def test_a_piece_that_does_not_converge_is_a_solver_error_not_nan():
    # An integrand with no finite bound anywhere stands for one that has none on Arb's complex
    # balls (a mixture's log density far from its components): the integrator gives up.
    flint = require_flint()

    def unbounded(x, lp, lq, analytic):
        return flint.acb("nan")

    p, q = dvc.Normal(0.0, 1.0), dvc.Normal(1.0, 1.0)
    with pytest.raises(dv.SolverError, match="did not converge on") as info:
        integrals.integral(p, q, unbounded, lambda t, left: flint.arb(0), Tolerance(1e-6))
    # The certified path's own status (before: HiGHS's NUMERICAL, borrowed from W1's statuses).
    assert info.value.status is dvc.certified.Stop.NOT_FINITE
    assert "divergences.continuous.fast" in str(info.value)
