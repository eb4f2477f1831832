r"""Pinsker's inequality, written upside down: a slip the verifier should catch.

Pinsker's inequality bounds total variation by KL:
:math:`\mathrm{TV}(p, q) \le \sqrt{\mathrm{KL}(p \,\|\, q) / 2}`, that is
:math:`\mathrm{KL} \ge 2\,\mathrm{TV}^2`. The notes below state the reverse,
:math:`\mathrm{KL}(p \,\|\, q) \le 2\,\mathrm{TV}(p, q)^2`, which is false: KL is unbounded
while TV is at most 1.
"""

from __future__ import annotations

import numpy as np

import divergences as dv
from divergences.lab.proof import Check, Proof, over_examples
from divergences.testing import pmf_pairs, tolerance

PROOF = Proof("Pinsker, upside down", claim="KL(p || q) <= 2 TV(p, q)^2 (false)")
F64 = tolerance("float64")


@PROOF.step("Pinsker: 2 TV(p, q)^2 <= KL(p || q)", method="hypothesis")
def _pinsker() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        kl = float(dv.kl(p, q))
        return Check.at_most(
            2 * float(dv.total_variation(p, q)) ** 2, kl, atol=F64["atol"] + F64["rtol"] * kl
        )

    return over_examples(pmf_pairs(), check)


@PROOF.step("the slip: KL(p || q) <= 2 TV(p, q)^2", method="hypothesis")
def _upside_down() -> Check:
    def check(pq: tuple[np.ndarray, np.ndarray]) -> Check:
        p, q = pq
        bound = 2 * float(dv.total_variation(p, q)) ** 2
        return Check.at_most(float(dv.kl(p, q)), bound, atol=F64["atol"] + F64["rtol"] * bound)

    # Without zero masses KL stays finite, so the failure says by how much the bound misses.
    return over_examples(pmf_pairs(zeros=False), check)
