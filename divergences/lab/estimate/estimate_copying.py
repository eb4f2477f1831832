"""Whether a model's draws copy the reference's, in ``divergences estimate``'s rows and notes.

A model found copying, by the comparisons' kernel check (``Comparison.dependent``) or by its
memorisation test rejecting, breaks every row's assumption of independent draws, and a copy is
nearest the reference by construction: :func:`unclaimed_if_copied` gives up each such row's claim,
and :func:`copying_line` says so, once a model, before any comparison's verdict.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from divergences.estimate import Estimate
from divergences.lab.estimate.estimate_rows import memorisation_test_name, p_text

__all__ = ["Copying", "copying_line", "copying_of", "unclaimed_if_copied"]


class Copying(NamedTuple):
    """Whether one model's draws look like copies of the reference's, and what says so."""

    copies: bool
    evidence: str


def copying_of(
    done: list[Any],
    dependent: tuple[str, ...] | None,
    alpha: float,
    labels: tuple[str, ...] = ("A", "B"),
    reference: str = "R",
) -> dict[str, Copying]:
    """Each model's :class:`Copying`: by the comparisons' kernel check, and the memorisation test.

    ``dependent``: the candidates the comparisons found copying the reference's draws (their
    ``Comparison.dependent``; None where none ran). A model copies where they find it or its
    memorisation test (with held-out draws) rejects at ``alpha``. ``labels`` and ``reference``:
    the samples' names in the rows (``("Q",)`` and ``"P"`` with two files).
    """
    out = {}
    for label in labels:
        said: list[tuple[bool, str]] = []
        if dependent is not None:
            dep = label.lower() in dependent
            words = "look like copies of R's" if dep else "do not look like copies of R's"
            said.append((dep, f"the kernel check: {label}'s draws {words}"))
        name = memorisation_test_name(label, reference)
        test = next((x.result for x in done if x.name == name), None)
        if test is not None:
            rejects = test.p_value <= alpha
            sign = "<=" if rejects else ">"
            said.append((rejects, f"memorisation test {p_text(test.p_value)} {sign} {alpha:g}"))
        found = [w for hit, w in said if hit]
        out[label] = Copying(bool(found), "; ".join(found or [w for _, w in said]))
    return out


def copying_line(label: str, seen: Copying, what: str) -> str:
    """``copying: B yes (...)``: one line a model, before any comparison's p-values."""
    if not seen.copies:
        return f"copying: {label} no ({seen.evidence})"
    return (
        f"copying: {label} yes ({seen.evidence}): {what} claim nothing, since a copy is nearest "
        "the reference by construction"
    )


#: The range of each quantity a copying model's rows may give up their claim for.
_RANGES = {
    "FD": (0.0, math.inf), "KID": (0.0, math.inf), "MMD^2": (0.0, 2.0), "W1": (0.0, math.inf),
    "KL": (0.0, math.inf), "JS": (0.0, math.log(2.0)), "TV": (0.0, 1.0),
    "precision": (0.0, 1.0), "recall": (0.0, 1.0), "coverage": (0.0, 1.0),
    "density": (0.0, math.inf),
}  # fmt: skip


def unclaimed_if_copied(row: Any, seen: dict[str, Copying]) -> Any:
    """``row`` claiming nothing where it is built on a copying model's draws (``seen``'s).

    The copied share, made for such draws, and a quantity of one law (an entropy) keep their
    claims.
    """
    e = row.result
    if not isinstance(e, Estimate) or not e.claims_coverage or e.quantity == "copied share":
        return row
    built_on = [k for k, c in seen.items() if c.copies and _uses(row.name, k)]
    ends = (-math.inf, math.inf) if " - " in e.quantity else _RANGES.get(e.quantity)
    if not built_on or ends is None:
        return row
    who = " and ".join(built_on)
    why = f"{who}'s draws look like copies of the reference's ({seen[built_on[0]].evidence})"
    return row._replace(result=e.without_claim(why, *ends))


def _uses(name: str, label: str) -> bool:
    """Whether the row ``name`` is built on model ``label``'s draws (its own rows, differences)."""
    if label == "Q":  # two files: every row of both laws
        return True
    return " - " in name or f"{label}, R)" in name or f"generated {label})" in name
