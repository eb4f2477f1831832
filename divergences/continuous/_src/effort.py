"""The certified integrals' tolerance, their working precision and a refinement's effort.

:class:`Tolerance` is the width one attempt aims at, handed by the refinement to the quantity's
enclosure and down to the integrals as an argument; :class:`Precision` sets Arb's working
precision for it; :class:`Effort`, made current by :func:`effort`, carries a refinement's work
budget (its deadline, its count of integrand evaluations, its extra bits and its evaluation limit
per piece), read by the integrals (:func:`~divergences.continuous._src.integrals.sum_pieces`).
No tolerance rides in the context: what an attempt aims at is its argument, what it may spend is
its effort.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import math
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from divergences.continuous._src.ball import load_flint

__all__ = [
    "EFFORT",
    "EVAL_LIMIT",
    "Bits",
    "BudgetSpent",
    "Effort",
    "Precision",
    "Stop",
    "Tolerance",
    "Unconverged",
    "effort",
]


class Stop(enum.IntEnum):
    """Why a certified computation stopped short: the ``status`` of its :class:`SolverError`.

    The certified path's own statuses (W1's are its ``Status``): a refinement's
    :class:`~divergences.continuous.certified.PrecisionError` ended by its budget or by its cap
    of attempts, or an integral that is not finite within the integrals' own limit of
    evaluations.
    """

    #: The budget of processor time ended the refinement.
    BUDGET = 1
    #: The refinement made every attempt it makes before the budget ended.
    ATTEMPTS = 2
    #: An integral was not finite within the integrals' own limit of evaluations.
    NOT_FINITE = 3


class Tolerance(NamedTuple):
    """The width one attempt of a certified integral aims at: relative, or absolute where larger.

    Attributes:
      rtol: the relative tolerance of the sum (each piece is integrated to a fraction of it).
      atol: the absolute tolerance of the sum, shared among the pieces; 0 for none.
    """

    rtol: float
    atol: float = 0.0


class Bits:
    """Working precision of ``bits`` inside, restored on exit."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self) -> None:
        ctx = load_flint().ctx
        self.saved = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc: Any) -> None:
        load_flint().ctx.prec = self.saved


class Precision(Bits):
    """Working precision for a tolerance (24 bits past it, 64 at least), restored on exit.

    Plus the extra bits of the refinement under way (:class:`Effort`), where there is one.
    """

    def __init__(self, rtol: float) -> None:
        work = EFFORT.get()
        extra = 0 if work is None else work.extra_bits
        super().__init__(max(64, int(-math.log2(rtol)) + 24) + extra)


class Effort:
    """The work budget of one certified refinement: its deadline, counter and extra precision.

    What the refinement may spend, not what it aims at: the width asked for is the
    :class:`Tolerance` each attempt is handed as an argument.

    Set for the duration of a refinement with :func:`effort`; every integrand that
    :func:`~divergences.continuous._src.integrals.sum_pieces` hands to Arb goes through
    :meth:`counted`, which counts its evaluations and, once the deadline has passed, answers 0,
    on which Arb's integrator is done at once (an exception raised inside its callback cannot be
    relied on to cross the C code).

    Attributes:
      deadline: the ``time.process_time()`` past which no more work is started.
      evaluations: the integrand's evaluations so far, over every attempt (the work counter).
      extra_bits: bits of working precision added to :class:`Precision`'s for this attempt.
      eval_limit: the evaluations Arb may spend on one piece in this attempt.
      spent: whether the deadline has been met.
      attempts: the attempts begun.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.evaluations = 0
        self.extra_bits = 0
        self.attempts = 0
        self.eval_limit = EVAL_LIMIT
        self.spent = False

    def check(self) -> bool:
        """Whether the deadline has passed (and from then on, always)."""
        if not self.spent and time.process_time() > self.deadline:
            self.spent = True
        return self.spent

    def counted(self, f: Callable[[Any, bool], Any]) -> Callable[[Any, bool], Any]:
        """``f``, counted, and 0 once the deadline has passed (looked at every 16 calls).

        Arb's integrator meets its tolerance at once on an integrand that is 0 and returns; the
        caller, seeing :attr:`spent`, discards that result.
        """
        zero = load_flint().acb(0)

        def g(x: Any, an: bool) -> Any:
            if self.spent:
                return zero
            self.evaluations += 1
            if self.evaluations % 16 == 0 and self.check():
                return zero
            return f(x, an)

        return g


class BudgetSpent(Exception):
    """Raised inside a refinement whose deadline has passed (caught by the refinement)."""


class Unconverged(Exception):
    """Raised where a piece's integral is not finite within a refinement's evaluation limit."""


#: The evaluations Arb may spend on one piece where no refinement sets fewer.
EVAL_LIMIT = 10**6


EFFORT: contextvars.ContextVar[Effort | None] = contextvars.ContextVar("EFFORT", default=None)


@contextlib.contextmanager
def effort(work: Effort) -> Iterator[Effort]:
    """Makes ``work`` the :class:`Effort` of the certified integrals inside, restored on exit."""
    token = EFFORT.set(work)
    try:
        yield work
    finally:
        EFFORT.reset(token)
