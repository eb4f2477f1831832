r"""The certified path's promise: an enclosure as narrow as asked for, or :class:`PrecisionError`.

Every certified function computes its enclosure through :func:`refined`: a first attempt at the
working precision of ``rtol`` (:class:`~divergences.continuous._src.effort.Precision`), then,
while the enclosure is wider than asked for and the budget lasts, attempts with a tighter
internal tolerance, more bits and more integrand evaluations per piece. Two laws close together
need the bits: their log densities agree in their leading bits, and their difference, the only
part that counts, keeps only the bits that are left (a location 1e-12 apart costs about 40 bits
more than one 1 apart).

The rule an enclosure ``[lower, upper]`` must meet (stated once, here):

.. math:: \text{upper} - \text{lower} \le \max(\text{rtol} \cdot \max(|\text{lower}|,
   |\text{upper}|),\ \text{atol}),

a relative width of at most ``rtol`` (an enclosure that holds 0 meets it only where it is
``[0, 0]``) or an absolute width of at most ``atol`` (0 by default: the relative rule alone), so
that a value near 0 can be asked for to an absolute precision. An enclosure of one point
(an exact 0, an infinite value decided exactly) always meets it.

The budget is the host's processor time spent by this process (``time.process_time``: the
work done, which other processes on the machine do not eat into): past it no integrand is evaluated again (the integrator is
answered 0 and stops) and :class:`PrecisionError` is raised with the narrowest enclosure
reached. The count of integrand evaluations is the work counter it reports.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from divergences._src.options import number_option
from divergences._src.solver_error import SolverError
from divergences.continuous._src.effort import (
    BudgetSpent,
    Effort,
    Stop,
    Tolerance,
    Unconverged,
    effort,
)
from divergences.continuous._src.enclosure import Enclosure

__all__ = ["BUDGET", "PrecisionError", "check_atol", "check_budget", "meets", "refined"]

#: The default budget of a certified call, in seconds.
BUDGET = 5.0

#: Integrand evaluations Arb may spend on one piece in the first attempt (four times as many in
#: each next one, up to the integrals' own limit).
_FIRST_LIMIT = 20_000

#: Attempts at most: the budget ends most refinements long before.
_ATTEMPTS = 8


class PrecisionError(SolverError):
    """A certified enclosure that did not reach the width asked for within its budget.

    Its message names the quantity and the two laws, the enclosure reached and its width, the
    time and work spent, and what would reach the width asked for.

    Attributes:
      quantity: the certified function's name (``"total_variation"``).
      p: the first law.
      q: the second law.
      enclosure: the narrowest :class:`Enclosure` reached (true, but wider than asked for), or
        None where no attempt finished.
      rtol: the relative width asked for.
      atol: the absolute width asked for.
      budget: the budget, in seconds of processor time.
      seconds: the processor time spent.
      evaluations: the integrand's evaluations spent (the work counter).
      status: the cap that ended it, :attr:`Stop.BUDGET` or :attr:`Stop.ATTEMPTS`.
    """

    def __init__(
        self,
        message: str,
        *,
        quantity: str,
        p: Any,
        q: Any,
        enclosure: Enclosure | None,
        rtol: float,
        atol: float,
        budget: float,
        seconds: float,
        evaluations: int,
        status: Stop = Stop.BUDGET,
    ) -> None:
        super().__init__(message, status)
        self.quantity, self.p, self.q, self.enclosure = quantity, p, q, enclosure
        self.rtol, self.atol, self.budget = rtol, atol, budget
        self.seconds, self.evaluations = seconds, evaluations


def check_atol(atol: Any) -> float:
    """``atol`` as a float, or a ValueError naming it: a finite number >= 0."""
    return number_option(atol, "atol", inclusive=True)


def check_budget(budget: Any) -> float:
    """``budget`` (seconds) as a float, or a ValueError naming it: a finite number > 0."""
    return number_option(budget, "budget")


def width(e: Enclosure) -> float:
    """``upper_bound - lower_bound``; 0 for one point (an infinite value included)."""
    if e.lower_bound == e.upper_bound:
        return 0.0
    return e.upper_bound - e.lower_bound


def meets(e: Enclosure, rtol: float, atol: float) -> bool:
    """Whether ``e`` meets the rule of the module: relative width <= rtol or width <= atol.

    An infinite end meets it only where both ends are that infinity (a value decided infinite):
    ``[x, inf]`` with ``x`` finite is no precision at all, however ``inf <= rtol * inf`` reads.
    """
    if math.isinf(e.lower_bound) or math.isinf(e.upper_bound):
        return e.lower_bound == e.upper_bound
    size = max(abs(e.lower_bound), abs(e.upper_bound))
    return width(e) <= max(rtol * size, atol)


def refined(
    quantity: str,
    p: Any,
    q: Any,
    compute: Callable[[Tolerance], Enclosure],
    asked: Tolerance,
    budget: float,
    *,
    fast: Callable[[], Any] | None = None,
) -> Enclosure:
    """The enclosure ``compute(tol)`` refined until it meets ``asked``, or the error.

    Args:
      quantity: the name of the certified function, for the error.
      p: the first law, for the error.
      q: the second law, for the error.
      compute: ``tol -> Enclosure``, the quantity's enclosure integrated to the attempt's
        :class:`Tolerance` (``rtol`` and ``atol`` scaled alike, tighter each attempt) at the
        working precision of :class:`Precision` for ``tol.rtol`` (which adds the attempt's extra
        bits, from the :class:`Effort` current during the refinement: its work budget, never a
        tolerance).
      asked: the width asked for, ``rtol`` and ``atol`` as checked by the entry
        (:func:`~divergences._src.options.rtol_option`, :func:`check_atol`).
      budget: seconds of processor time (:func:`check_budget`); no integrand is evaluated past
        them.
      fast: ``() -> Quadrature``, the fast path's value and error estimate: its value replaces
        the midpoint where it lies inside the enclosure and its error estimate is below the
        enclosure's half-width (asked for only where the enclosure is wider than 1e-9 relative).

    Returns:
      An :class:`Enclosure` meeting the rule.

    Raises:
      PrecisionError: where the budget ended before an enclosure met the rule.
    """
    rtol, atol = asked
    start = time.process_time()
    work = Effort(start + budget)
    inner, best = rtol, None
    history: list[tuple[float, float]] = []  # (seconds at its end, width) of each finished attempt
    with effort(work):
        for attempt in range(_ATTEMPTS):
            work.eval_limit = min(10**6, _FIRST_LIMIT * 4**attempt)
            work.attempts = attempt + 1
            try:
                e = compute(Tolerance(inner, atol * inner / rtol))
            except BudgetSpent:
                break
            except Unconverged:
                shortfall = math.inf
            else:
                if meets(e, rtol, atol):
                    return _best_value(e, fast)
                if not work.check():
                    history.append((time.process_time() - start, width(e)))
                if best is None or width(e) < width(best):
                    best = e
                size = max(abs(e.lower_bound), abs(e.upper_bound))
                target = max(rtol * size, atol)
                finite = target > 0 and math.isfinite(target)
                shortfall = width(e) / target if finite else math.inf
            if work.check():
                break
            # A shortfall of a factor k is k's bits lost to cancellation (the laws close
            # together) or a tolerance a few times too loose (the pieces' and tails' shares):
            # both are paid for, the bits in full and the tolerance by a fixed factor.
            lost = 64 if shortfall > 2.0**64 else math.ceil(math.log2(max(shortfall, 1.0)))
            work.extra_bits += max(16, lost + 8)
            inner = max(inner / 16, 1e-250)
    seconds = time.process_time() - start
    raise PrecisionError(
        _message(quantity, p, q, best, rtol, atol, budget, seconds, work, history),
        quantity=quantity,
        p=p,
        q=q,
        enclosure=best,
        rtol=rtol,
        atol=atol,
        budget=budget,
        seconds=seconds,
        evaluations=work.evaluations,
        status=Stop.BUDGET if work.spent else Stop.ATTEMPTS,
    )


def _message(
    quantity: str,
    p: Any,
    q: Any,
    best: Enclosure | None,
    rtol: float,
    atol: float,
    budget: float,
    seconds: float,
    work: Effort,
    history: list[tuple[float, float]],
) -> str:
    """The error's text: what was reached, what ended the run, and advice the package accepts.

    Every setting it advises is one the checks accept and one that would hold: an ``rtol`` in
    (0, 1) that the enclosure reached meets (else none, and the ``atol`` that it meets), a
    budget sized from the convergence of the attempts seen, or none where the cap of attempts,
    not the budget, ended the run or the width stopped shrinking.
    """
    spent = (
        f"after {seconds:.3g} s of processor time, {work.evaluations} integrand evaluations and "
        f"{work.attempts} attempts (up to {work.extra_bits} bits past the tolerance's)"
    )
    head = f"certified {quantity}({p!r}, {q!r})"
    asked = f"rtol={rtol:g}" + (f" or atol={atol:g}" if atol > 0 else "")
    if best is None:
        looser = _rounded_up(math.sqrt(rtol))
        return (
            f"{head}: no enclosure was finished {spent}: the budget ({budget:g} s) ended the "
            f"first attempt; a budget above {_rounded_up(seconds):g} s (how far above, no "
            f"finished attempt shows) or a looser rtol (rtol={looser:g}, half the digits, asks "
            "for fewer bits) may let one finish"
        )
    w = width(best)
    if not math.isfinite(w):
        return (
            f"{head}: every enclosure reached was unbounded, the narrowest [{best.lower_bound!r}, "
            f"{best.upper_bound!r}], {spent} (budget={budget:g} s): the certified path cannot "
            "bound this pair (an end of a support where a density is not bounded, or tails it "
            "cannot compare); the fast path (divergences.continuous.fast) gives an estimate"
        )
    size = max(abs(best.lower_bound), abs(best.upper_bound))
    rel = w / size if size > 0 else math.inf
    holds = _holding_rtol(best, rel)
    loose = f"a looser rtol (rtol={holds:g})" if holds is not None else None
    tol = f"atol={_holding_atol(best, w):g}"
    advice = " or ".join(a for a in (loose, tol) if a)
    return (
        f"{head}: the narrowest enclosure reached, [{best.lower_bound!r}, "
        f"{best.upper_bound!r}], is {w:.3g} wide ({rel:.3g} relative), short of {asked}, "
        f"{spent}; {_what_ended(work, budget, seconds, history, max(rtol * size, atol))}; "
        f"{advice} holds this enclosure" + ("" if holds is not None else " (no rtol below 1 does)")
    )


def _what_ended(
    work: Effort, budget: float, seconds: float, history: list[tuple[float, float]], target: float
) -> str:
    """The cap that ended a refinement, and the budget that would reach ``target``, if any.

    From the attempts that finished: the factor by which the last one narrowed the width, and
    the factor by which it took longer, give the attempts and the time still needed (each next
    attempt takes that factor longer again, at least as long as the last).
    """
    if not work.spent:
        ended = (
            f"the cap of {_ATTEMPTS} attempts a refinement makes ended it, not the budget "
            f"({seconds:.2g} of {budget:g} s spent)"
        )
    else:
        ended = f"the budget ({budget:g} s) ended it"
    if len(history) < 2:
        if not work.spent:
            return ended
        since = seconds - (history[-1][0] if history else 0.0)
        return (
            f"{ended}; {len(history)} attempt finished and the next had run {since:.2g} s "
            f"without finishing: too few to size a budget, which must be above "
            f"{_rounded_up(seconds):g} s at the least"
        )
    (t0, w0), (t1, w1) = history[-2], history[-1]
    if not w1 < w0 / 1.5:
        return (
            f"{ended}; the width did not narrow over the last attempts ({w0:.3g}, then "
            f"{w1:.3g}): more time would not reach the width asked for"
        )
    shrink = w0 / w1
    needed = max(1, math.ceil(math.log(w1 / target) / math.log(shrink)))
    # The attempt the budget cut would run again with more time; none is left past the cap.
    if needed > _ATTEMPTS - work.attempts + (1 if work.spent else 0):
        return (
            f"{ended}; the width narrowed {shrink:.2g}-fold an attempt, so about {needed} more "
            f"attempts would reach it, past the cap of {_ATTEMPTS}: no budget would"
        )
    # Each attempt takes longer than the last by the factor seen, or by more where the attempt
    # the budget cut had already run longer than that.
    last = t1 - t0
    slower = max(last / max(t0 - (history[-3][0] if len(history) > 2 else 0.0), 1e-9), 1.0)
    if work.spent:
        slower = max(slower, (seconds - t1) / max(last, 1e-9))
    total = t1 + sum(last * slower**k for k in range(1, needed + 1))
    return (
        f"{ended}; the width narrowed {shrink:.2g}-fold an attempt and each took {slower:.2g} "
        f"times longer than the last, so about {needed} more attempts would reach it: a budget "
        f"of about {_rounded_up(max(total, seconds)):g} s"
    )


def _rounded_up(x: float) -> float:
    """``x`` rounded up to two significant digits (its printed ``:g`` form is never below it)."""
    if not (x > 0 and math.isfinite(x)):
        return x
    step = 10.0 ** (math.floor(math.log10(x)) - 1)
    v = float(f"{math.ceil(x / step) * step:.2g}")
    while v < x:
        v = float(f"{v + step:.2g}")
    return v


def _holding_rtol(e: Enclosure, rel: float) -> float | None:
    """The rtol, rounded up, that ``e`` meets, where it lies in (0, 1) as the checks ask; else None."""
    v = _rounded_up(rel)
    if not v < 1.0:
        return None
    while not meets(e, v, 0.0):
        v = _rounded_up(math.nextafter(v, math.inf))
    return v if v < 1.0 else None


def _holding_atol(e: Enclosure, w: float) -> float:
    """The atol, rounded up, that ``e`` meets."""
    v = _rounded_up(w)
    while not meets(e, 0.0, v):
        v = _rounded_up(math.nextafter(v, math.inf))
    return v


def _best_value(e: Enclosure, fast: Callable[[], Any] | None) -> Enclosure:
    """``e`` with the fast path's value where it is inside and its error below the half-width."""
    half = width(e) / 2
    if fast is None or not half > 1e-9 * max(abs(e.lower_bound), abs(e.upper_bound)):
        return e
    try:
        r = fast()
    except (NotImplementedError, ValueError, TypeError):  # a law the fast path does not take
        return e
    value, error = float(r.value), float(r.error)
    if e.lower_bound <= value <= e.upper_bound and error < half:
        return e._replace(value=value)
    return e
