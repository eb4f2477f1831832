"""The outcomes of proof steps as text: the table of a run and a paragraph per failed step."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from divergences.lab.proof import Outcome

__all__ = ["format_failures", "format_table"]


def _fmt(x: float) -> str:
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.2e}"


def format_table(outcomes: Sequence[Outcome], *, width: int = 118) -> str:
    """The outcomes as a fixed-width table grouped by proof.

    Columns: step number, claim (wrapped), method (``hyp. xN``, ``ref. xN``: checked on N
    examples drawn by Hypothesis), largest error (or, for a claim that two values differ, the smallest
    gap, marked ``gap``), tolerance, verdict.
    """
    claim_w = width - 4 - 12 - 10 - 10 - 6 - 5
    head = (
        f"{'#':>3} {'claim':<{claim_w}} {'method':<11} {'error':>9} {'tolerance':>9} {'verdict':>7}"
    )
    lines = [head, "=" * len(head)]
    current = None
    number = 0
    for o in outcomes:
        if o.step.proof != current:
            current = o.step.proof
            if number:
                lines.append("")
            lines.append(f"  {current}")
            lines.append("  " + "-" * min(len(current), len(head) - 2))
        number += 1
        wrapped = textwrap.wrap(o.step.claim, claim_w) or [""]
        method = o.step.method
        if o.check is not None and o.check.detail.endswith("drawn examples"):
            short = {"hypothesis": "hyp.", "reference": "ref.", "numeric": "num."}
            method = f"{short.get(method, method[:4])} x{o.check.detail.split()[-3]}"
        if o.check is None:
            err, tol, verdict = "raised", "", "FAIL"
        else:
            c = o.check
            err = _fmt(c.error) if c.relation == "<=" else f"gap {_fmt(c.error)}"
            tol = _fmt(c.tolerance) if c.relation == "<=" else f">={_fmt(c.tolerance)}"
            verdict = "ok" if c.holds else "FAIL"
        lines.append(
            f"{number:>3} {wrapped[0]:<{claim_w}} {method:<11} {err:>12} {tol:>11} {verdict:>7}"
        )
        lines.extend(f"{'':>3} {w}" for w in wrapped[1:])
    return "\n".join(lines)


def format_failures(outcomes: Sequence[Outcome]) -> str:
    """One paragraph per failed step: which, and by how much."""
    out = []
    for o in outcomes:
        if o.holds:
            continue
        where = f"[{o.step.proof}] step '{o.step.name}': {o.step.claim}"
        if o.check is None:
            out.append(f"FAILED {where}\n    raised {o.exception}")
        else:
            c = o.check
            out.append(f"FAILED {where}\n    {c.explain()}")
            if c.counterexample:
                shown = textwrap.indent(c.counterexample, "        ")
                out.append(f"    counterexample (the drawn input that breaks it):\n{shown}")
    return "\n".join(out)
