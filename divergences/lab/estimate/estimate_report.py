"""What ``divergences estimate`` prints: a :class:`~divergences.lab.estimate.estimate_rows.Report` as text or JSON.

Where a row claims nothing the table prints its value as the API returns it, marked
``(no claim)`` and with the reason on a line below the table, never a bare number; a one-sided
bound prints the bound it claims. A p-value below float64's range prints as ``p < 1e-300``,
never ``p = 0``. The JSON keeps every field of every estimate, with an infinite end as the
string ``"inf"``.
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

from divergences.estimate import Estimate
from divergences.lab.estimate.estimate_rows import Report, Row, p_text

__all__ = ["WIDTH", "format_table", "to_json"]


#: The words an estimate's ``method`` gives its value before the cut at the quantity's least value.
_CUT = "the estimate before its cut at 0: "


def _number(v: float) -> str:
    return f"{v:.4g}"


def _interval(e: Estimate) -> str:
    if e.sides == "lower":
        return f">= {_number(e.lower_bound)}"
    if e.sides == "upper":
        return f"<= {_number(e.upper_bound)}"
    if e.sides == "none":
        return "none"
    return f"[{_number(e.lower_bound)}, {_number(e.upper_bound)}]"


def _cells(e: Estimate) -> tuple[str, str]:
    """The value and interval cells.

    A row of kind ``"no-coverage-claim"`` prints its value marked ``(no claim)`` and ``none``
    for its interval, as the API returns it; the reason is on its own line below the table. A
    one-sided bound prints the bound it claims, and its point in parentheses, as the estimate of
    a lower bound it is.
    """
    if e.kind == "no-coverage-claim":
        return f"{_number(e.value)} (no claim)", "none"
    if e.sides in ("lower", "upper"):
        return f"({_number(e.value)})", _interval(e)
    return _number(e.value), _interval(e)


def _reason(r: Row) -> str:
    """Why a row claims nothing: the reason its assumption carries, else its recorded warning.

    Rows that share one computation (the four fidelity measures) record its warnings once, on
    the first row, so a warning may be another row's: the estimate's own assumption, which
    carries its reason (:func:`~divergences.estimate.Estimate.without_claim`'s too), is read
    first.
    """
    said = (r.result.assumption, *r.warnings)  # the estimate's own reason first
    for w in said:
        if "no coverage claimed: " in w:
            return w.split("no coverage claimed: ", 1)[-1].split("; the ends are")[0]
    return r.result.assumption


#: The widest line the text report prints; longer notes wrap under their first line.
WIDTH = 120

#: What the table's marks mean, said once under it.
_MARKS = (
    "marks: 'v (no claim)' is the value as computed, no interval claimed (why: below); "
    "'(v)' beside '>= b' or '<= b' is the estimate of a one-sided bound b, which is what is "
    "claimed; [n] is the row's assumption, listed below"
)


def _base_assumption(e: Estimate) -> str:
    """The estimate's assumption without the reason it claims nothing (said once, apart)."""
    return e.assumption.split("; no coverage claimed: ")[0]


def _table(report: Report) -> list[str]:
    """The estimates' table, its marks, its assumptions once each, and why rows claim nothing.

    One line a row (the estimate, value, interval, kind, whether coverage is claimed, seconds,
    and the number of its assumption), within :data:`WIDTH` columns; then the marks, each
    assumption once, and each reason for claiming nothing once, with the rows it concerns.
    """
    head = (
        "estimate", "value", f"interval ({report.level:.0%})", "kind", "claimed", "seconds",
        "assumes",
    )  # fmt: skip
    body: list[tuple[str, ...]] = []
    assumptions: dict[str, int] = {}
    reasons: dict[str, list[str]] = {}
    for r in report.rows:
        e = r.result
        if e is None:
            continue
        claimed = "yes" if e.claims_coverage else "no"
        value, interval = _cells(e)
        number = assumptions.setdefault(_base_assumption(e), len(assumptions) + 1)
        body.append((r.name, value, interval, e.kind, claimed, f"{r.seconds:.1f}", f"[{number}]"))
        if e.kind == "no-coverage-claim":
            reasons.setdefault(_reason(r), []).append(r.name)
    widths = [max(len(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = []
    for row in (head, *body):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if row is head:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(_MARKS)
    lines += [f"[{n}] {text}" for text, n in assumptions.items()]
    lines += [f"{', '.join(names)}: no coverage claimed: {why}" for why, names in reasons.items()]
    return lines


def _notes(report: Report) -> list[str]:
    """The lines under the table: subsamples, the test, refusals and the rows left out."""
    lines, said = [], set()
    for r in report.rows:
        if r.result is not None and "subsample" in r.estimator and r.estimator not in said:
            said.add(r.estimator)  # the four fidelity rows share one call: said once
            flag = r.estimator.split("(")[0].split("_")[0]  # w1, kid, mmd, fidelity: --X-draws
            lines.append(f"{r.name}: {r.estimator} (--{flag}-draws)")
    for r in report.tests:
        t = r.result
        if t is None:
            continue
        if t.test == "permutation":
            how = (
                f"{t.parameters['permutations']} relabellings; type-I error at most alpha for "
                "every n"
            )
        else:
            how = "held-out accuracy, Fisher's exact p-value"
        lines.append(
            f"{r.name}: {p_text(t.p_value)} ({how}), statistic {t.statistic:.4g} "
            f"({r.seconds:.1f} s)"
        )
    for r in report.rows:
        plug_in = getattr(r.result, "plug_in", None)
        cut = [] if r.result is None else r.result.method.split(_CUT)
        if len(cut) > 1 and plug_in is None:  # FD's plug-in note says it
            lines.append(
                f"{r.name}: the value above is cut at 0, the quantity's least value, from the "
                f"unbiased estimate {cut[1].split(' ')[0]}"
            )
        if plug_in is not None and r.result.quantity != "FD":
            lines.append(f"{r.name}: the same with the plug-in FIDs papers print: {plug_in:.6g}")
        elif plug_in is not None:
            below = (
                f" (cut at 0, FD's least value, from {cut[1].split(' ')[0]})"
                if len(cut) > 1
                else ""
            )
            lines.append(
                f"{r.name}: the plug-in value papers print (FID: pytorch-fid's formula) is "
                f"{plug_in:.6g}; compare a published FID with it, at the same numbers of draws "
                f"(it is biased upward, by about d^2/(2n) for Gaussian features); the value "
                f"above{below} is bias-corrected, an estimate of the laws' FD"
            )
    lines += list(report.notes)
    refused = [(r.name, r.estimator, r.error) for r in (*report.rows, *report.tests) if r.error]
    lines += [f"not estimated: {name}, {what}: {why}" for name, what, why in refused]
    return lines + _skipped(report)


def _skipped(report: Report) -> list[str]:
    """The rows left out, each reason once with the rows it leaves out, and the keys that run them."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for names, key, why in report.skipped:
        grouped.setdefault(why, []).append((names, key))
    lines = []
    for why, rows in grouped.items():
        names, keys = "; ".join(n for n, _ in rows), ",".join(k for _, k in rows)
        runs = "runs it" if len(rows) == 1 else "runs them"
        lines.append(f"skipped: {names} (--rows {keys} {runs}): {why}")
    return lines


def format_table(report: Report) -> str:
    """The report as text: the inputs, one line an estimate, the test, the rows left out.

    Every line within :data:`WIDTH` columns: a longer one wraps, its next lines indented.
    """
    labels = ("x", "y") if len(report.inputs) == 2 else ("R", "A", "B")
    lines = [f"{label}: {s['path']}, {s['read_as']}" for label, s in
             zip(labels, report.inputs, strict=True)]  # fmt: skip
    wrapped = []
    for line in lines + _table(report) + _notes(report):
        wrapped += textwrap.wrap(line, WIDTH, subsequent_indent="    ", break_on_hyphens=False)
    return "\n".join(wrapped)


def _finite_or_text(v: float) -> float | str:
    """A float for JSON: ``inf`` and ``-inf`` as the strings ``"inf"`` and ``"-inf"``."""
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def _row_json(r: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"name": r.name, "estimator": r.estimator}
    if r.result is None:
        return {**out, "error": r.error, "seconds": r.seconds}
    e = r.result
    out.update(
        {k: _finite_or_text(v) if isinstance(v, float) else v for k, v in e._asdict().items()}
    )
    out["claims_coverage"] = e.claims_coverage
    out["bound"] = None if e.bound is None else _finite_or_text(e.bound)
    out["warnings"] = list(r.warnings)
    out["seconds"] = r.seconds
    return out


def to_json(report: Report) -> str:
    """The report as JSON (strict: an infinite end is the string ``"inf"``)."""
    tests = []
    for r in report.tests:
        test: dict[str, Any] = {"name": r.name, "estimator": r.estimator, "seconds": r.seconds}
        test.update(r.result._asdict() if r.result is not None else {"error": r.error})
        tests.append(test)
    labels = ("x", "y") if len(report.inputs) == 2 else ("reference", "a", "b")
    doc = {
        **dict(zip(labels, report.inputs, strict=True)),
        "level": report.level,
        "seed": report.seed,
        "estimates": [_row_json(r) for r in report.rows],
        "tests": tests,
        "notes": list(report.notes),
        "skipped": [{"names": n, "rows": k, "reason": why} for n, k, why in report.skipped],
    }
    return json.dumps(doc, indent=2, allow_nan=False)
