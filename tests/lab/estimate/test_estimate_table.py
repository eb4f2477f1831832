"""The command's row table: where each row runs, what reads it (divergences.lab.estimate)."""

from __future__ import annotations

import pathlib

import pytest

from divergences import estimate
from divergences.lab.estimate import estimate_table as T

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "evaluate.md"


def _default(d: int, given: frozenset[str] = frozenset(), n: int = 10_000) -> list[str]:
    return [s.key for s in T.ROWS if not T.left_out(s, d, n, given)]


def test_the_rows_by_default_follow_the_claims_and_the_dimension() -> None:
    assert _default(1) == ["kl", "js", "w1", "w1-dkw", "kid", "fd", "fidelity", "entropy", "test"]
    assert _default(1, n=100) == ["w1", "w1-dkw", "kid", "fd", "fidelity", "test"]  # n < 250
    assert _default(2) == ["kl", "js", "w1", "kid", "fd", "fidelity", "entropy", "test"]
    w1 = T.claimed_dimension("w1")
    assert w1 == max(r.dimension or 0 for r in estimate.ASYMPTOTIC_CLAIMS["w1"].ranges)
    both = ["w1", "w1-projected", "kid", "fd", "fidelity", "discriminator", "test"]
    assert _default(w1) == both  # W1 reads its own claim: the exact interval holds here
    assert _default(w1 + 1) == both[1:]
    given = frozenset({"bandwidth", "held_out"})
    assert _default(2048, given) == [
        "w1-projected",
        "mmd",
        "kid",
        "fd",
        "fidelity",
        "memorisation",
        "discriminator",
        "test",
    ]  # fmt: skip: MMD^2's normal interval is measured to hold in d <= 64


def test_a_reason_is_given_for_each_row_left_out() -> None:
    spec = {s.key: s for s in T.ROWS}
    kl = spec["kl"]
    assert T.left_out(kl, 16, 2000, ()) == estimate.ASYMPTOTIC_CLAIMS["kl"].refusal(16, 2000)
    assert "d <= 2 from n = 250" in T.left_out(kl, 16, 2000, ())
    assert "--bandwidth S" in T.left_out(spec["mmd"], 8, 2000, ())
    assert "--held-out FILE" in T.left_out(spec["memorisation"], 8, 2000, ())
    dkw = "W1 from DKW's bands is for draws on the line"
    assert T.left_out(spec["w1-dkw"], 2, 2000, ()) == dkw
    assert not T.left_out(spec["mmd"], 8, 2000, {"bandwidth"})
    # where a row cannot run at all, --rows all leaves it out and naming it is refused
    assert T.cannot_run(spec["w1-dkw"], 2, ()) == dkw + ", here d = 2"
    assert T.cannot_run(spec["memorisation"], 8, ()) and not T.cannot_run(spec["kl"], 16, ())


def test_each_option_is_read_by_the_rows_that_name_it() -> None:
    assert T.OPTION_ROWS == {
        "w1_draws": ("w1",),
        "bandwidth": ("mmd", "mmd-normal", "test"),
        "mmd_draws": ("mmd", "mmd-normal", "test"),
        "kid_draws": ("kid",),
        "fidelity_draws": ("fidelity",),
        "held_out": ("memorisation",),
        "model": ("discriminator",),
        "permutations": ("test",),
    }
    assert T.ROW_KEYS == tuple(s.key for s in T.ROWS) and len(set(T.ROW_KEYS)) == len(T.ROWS)


@pytest.mark.parametrize("text", [T.rows_help(), T.rows_markdown()])
def test_the_help_and_the_docs_name_every_row_with_where_it_runs(text: str) -> None:
    for spec in T.ROWS:
        assert spec.key in text
    assert "d <= 64 from n = 2 (w1's claim)" in text and "given --held-out" in text


def test_the_docs_print_the_table_as_the_command_holds_it() -> None:
    page = DOCS.read_text()
    start = page.index("<!-- rows:")
    start = page.index("\n", start) + 1
    end = page.index("<!-- end of the rows -->")
    assert page[start:end].strip() == T.rows_markdown()
