"""The proof catalogue renders the ASCII formulas of the proofs' titles and steps as math."""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

from divergences.lab.proof_files import load_proofs

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "docs" / "_ext"))

from dvdocs import ascii_to_latex, claim_rst

CLAIMS = [text for proof in load_proofs() for text in (proof.title, *(s.claim for s in proof))]


@pytest.mark.parametrize(
    ("claim", "rst"),
    [
        ("KL(p || q) >= 0", r":math:`\mathrm{KL}(p \,\|\, q)` :math:`\ge 0`"),
        (
            "The optimal discriminator is D* = p / (p + q)",
            r"The optimal discriminator is :math:`D^*` :math:`= p / (p + q)`",
        ),
        (
            "d/dy [a log y + b log(1 - y)] = 0 exactly at y = a / (a + b)",
            r":math:`d/dy [a \log y + b \log(1 - y)]` :math:`= 0` exactly at :math:`y` "
            r":math:`= a / (a + b)`",
        ),
        (
            "W1 = |theta| from dv.w1_primal and POT's exact solver",
            r":math:`W_1` :math:`= |\theta |` from ``dv.w1_primal`` and POT's exact solver",
        ),
        (
            "slip 2: min_D max_G is -inf, not -log 4",
            r"slip :math:`2`: :math:`\min_D \max_G` is :math:`-\infty`, not :math:`-\log 4`",
        ),
        (
            "inf over couplings = sup over critics; D* in {0, m}",
            r":math:`\inf` over couplings :math:`= \sup` over critics; :math:`D^*` in "
            r":math:`\{0, m\}`",
        ),
    ],
)
def test_claims_are_words_and_formulas(claim: str, rst: str) -> None:
    assert claim_rst(claim) == rst


def test_latex_of_the_common_notations() -> None:
    assert (
        ascii_to_latex("sqrt(JS(p || q)) <= 1e-3") == r"\sqrt{\mathrm{JS}(p \,\|\, q)} \le 10^{-3}"
    )
    assert ascii_to_latex("KL(p_hat || q) != inf") == r"\mathrm{KL}(\hat{p} \,\|\, q) \ne \infty"
    assert ascii_to_latex("x ~ N(mu, sigma^2)") == r"x \sim N(\mu , \sigma ^2)"


@pytest.mark.parametrize("claim", CLAIMS)
def test_no_formula_of_a_proof_is_left_as_plain_text(claim: str) -> None:
    from docutils.core import publish_doctree

    rst = claim_rst(claim)
    text = re.sub(r":math:`[^`]*`|``[^`]*``", " ", rst)
    for ascii_ in ("||", "<=", ">=", "!=", "->", "_", "^", "*", "="):
        assert ascii_ not in text, (ascii_, text)
    for formula in re.findall(r":math:`([^`]*)`", rst):
        assert formula.count("{") - formula.count(r"\{") == formula.count("}") - formula.count(
            r"\}"
        ), formula
    doctree = publish_doctree(rst, settings_overrides={"report_level": 2, "halt_level": 5})
    problems = [node.astext() for node in doctree.findall() if node.tagname == "system_message"]
    assert problems == [], (rst, problems)
