r"""Executable proofs: a derivation as a list of checked steps.

A proof file (``proof_*.py``) declares its steps once, in a :class:`Proof`::

    PROOF = Proof("Maximum likelihood is minimising KL", claim="argmax ... = argmin ...")

    @PROOF.step("the MLE is n_c / N", method="sympy")
    def _mle() -> Check:
        ...
        return Check.equal(value, expected, **tolerance("float64"))

``divergences verify PATH`` (:func:`divergences.lab.verify.verify`) runs the steps and prints them
as a table; :meth:`Proof.pytest_test` turns the same steps into a parametrised pytest test. A step
returns a :class:`Check`: the largest error it measured and the tolerance it was held to, or, for
a claim that two quantities *differ* (the slips of the lecture notes), the smallest gap and the gap
it must exceed.

Helpers build checks from numbers (:meth:`Check.equal`, :meth:`Check.at_most`,
:meth:`Check.differ`), from a computer-algebra identity (:func:`symbolic_zero`), from a
Hypothesis property over drawn inputs (:func:`over_examples`, which reports the worst example)
and from enclosures that hold in real arithmetic (:func:`certified_identity`,
:func:`certified_inequality`, with :func:`ball` to do arithmetic on them).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "Check",
    "Outcome",
    "Proof",
    "Step",
    "StepFailed",
    "ball",
    "certified_identity",
    "certified_inequality",
    "format_example",
    "over_examples",
    "symbolic_zero",
    "worst_of",
]


class StepFailed(AssertionError):
    """A proof step whose check did not hold."""


class Check(NamedTuple):
    """What one step measured.

    Attributes:
      error: the largest error (``relation="<="``), or the smallest gap (``relation=">="``).
      tolerance: the bound ``error`` is held to.
      relation: ``"<="``: the step holds iff ``error <= tolerance`` (equalities, inequalities);
        ``">="``: it holds iff ``error >= tolerance`` (two quantities that must differ).
      detail: a short note for the table (the worst example, the value found).
      counterexample: for a property that failed, the drawn input that broke it, written out
        (arrays in full precision); empty otherwise.
      compared: the two values behind ``error``, written out in full precision (the entry
        closest to failing, with its index when the inputs are arrays), as :meth:`equal`,
        :meth:`at_most` and :meth:`differ` record them; empty for a check built by hand.
    """

    error: float
    tolerance: float
    relation: str = "<="
    detail: str = ""
    counterexample: str = ""
    compared: str = ""

    @property
    def holds(self) -> bool:
        """Whether the check passed (a NaN error never passes)."""
        if math.isnan(self.error):
            return False
        if self.relation == "<=":
            return self.error <= self.tolerance
        return self.error >= self.tolerance

    @property
    def margin(self) -> float:
        """How far inside its bound the check is, in units of the bound (< 0: it failed)."""
        if math.isnan(self.error):
            return -math.inf
        if self.relation == "<=":
            if self.tolerance == 0:
                return 1.0 if self.error == 0 else -math.inf
            return 1.0 - self.error / self.tolerance
        if self.tolerance == 0:
            return math.inf
        return self.error / self.tolerance - 1.0

    @classmethod
    def equal(
        cls, actual: Any, expected: Any, *, rtol: float, atol: float, detail: str = ""
    ) -> Check:
        """``actual == expected`` elementwise within ``atol + rtol * |expected|``.

        Infinite entries must match exactly (``inf == inf`` has error 0, ``inf`` against a finite
        number has error ``inf``). The reported error is the largest ``|actual - expected|`` in
        units of the allowed band, times the band of the worst entry: i.e. the absolute error of
        the entry that is closest to failing, with that entry's tolerance.
        """
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        a, e = np.broadcast_arrays(a, e)
        if a.size == 0:
            return cls(0.0, atol, "<=", detail)
        both_inf = np.isinf(a) & np.isinf(e) & (np.sign(a) == np.sign(e))
        with np.errstate(invalid="ignore"):
            err = np.where(both_inf, 0.0, np.abs(a - e))
        err = np.where(np.isnan(a) | np.isnan(e), np.nan, err)
        band = atol + rtol * np.where(np.isinf(e), 0.0, np.abs(e))
        if np.isnan(err).any():
            k = int(np.argmax(np.isnan(err)))
            compared = _compared(("actual", "expected"), a, e, k)
            return cls(math.nan, float(band.max()), "<=", detail or "NaN found", compared=compared)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(err == 0, 0.0, err / band)
        k = int(np.argmax(ratio))
        compared = _compared(("actual", "expected"), a, e, k)
        return cls(float(err.flat[k]), float(band.flat[k]), "<=", detail, compared=compared)

    @classmethod
    def at_most(cls, lhs: Any, rhs: Any, *, atol: float, detail: str = "") -> Check:
        """``lhs <= rhs`` elementwise up to ``atol``; the error is the largest excess ``lhs - rhs``."""
        lhs_a, rhs_a = np.broadcast_arrays(
            np.asarray(lhs, dtype=np.float64), np.asarray(rhs, dtype=np.float64)
        )
        with np.errstate(invalid="ignore"):
            excess = lhs_a - rhs_a
        excess = np.where((lhs_a == rhs_a), 0.0, excess)  # inf <= inf
        if excess.size == 0:
            return cls(0.0, atol, "<=", detail)
        nan = np.isnan(excess)
        k = int(np.argmax(nan)) if nan.any() else int(np.argmax(excess))
        compared = _compared(("left", "right"), lhs_a, rhs_a, k)
        if nan.any():
            return cls(math.nan, atol, "<=", detail or "NaN found", compared=compared)
        return cls(max(0.0, float(excess.flat[k])), atol, "<=", detail, compared=compared)

    @classmethod
    def differ(cls, a: Any, b: Any, *, at_least: float, detail: str = "") -> Check:
        """``|a - b| >= at_least`` for every entry: a value that must NOT equal another."""
        a_a, b_a = np.broadcast_arrays(
            np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        )
        with np.errstate(invalid="ignore"):
            gap = np.abs(a_a - b_a)
        gap = np.where(np.isinf(a_a) & np.isinf(b_a) & (a_a == b_a), 0.0, gap)
        if gap.size == 0:
            return cls(math.inf, at_least, ">=", detail)
        nan = np.isnan(gap)
        k = int(np.argmax(nan)) if nan.any() else int(np.argmin(gap))
        compared = _compared(("a", "b"), a_a, b_a, k)
        if nan.any():
            return cls(math.nan, at_least, ">=", detail or "NaN found", compared=compared)
        return cls(float(gap.flat[k]), at_least, ">=", detail, compared=compared)

    def explain(self) -> str:
        """Why the check failed (or holds), in one line: the error against its bound, the values.

        Example:
          >>> print(Check.equal(2.0, 2.5, rtol=0.0, atol=1e-12).explain())
          error 5.000e-01 exceeds the tolerance 1.0e-12: actual 2.0, expected 2.5
        """
        if math.isnan(self.error):
            head = f"error is NaN (the bound is {self.tolerance:.1e})"
        elif self.relation == "<=":
            verb = "is within" if self.holds else "exceeds"
            head = f"error {self.error:.3e} {verb} the tolerance {self.tolerance:.1e}"
        else:
            verb = "is at least" if self.holds else "is below"
            head = f"gap {self.error:.3e} {verb} the required {self.tolerance:.1e}"
        notes = "; ".join(part for part in (self.compared, self.detail) if part)
        return f"{head}: {notes}" if notes else head


def _compared(names: tuple[str, str], a: np.ndarray, b: np.ndarray, k: int) -> str:
    """``"actual 2.0, expected 2.5"``: entry ``k`` of two broadcast arrays, every digit kept."""
    index = ", ".join(str(int(i)) for i in np.unravel_index(k, a.shape))
    where = f"at [{index}]: " if a.ndim else ""
    return f"{where}{names[0]} {float(a.flat[k])!r}, {names[1]} {float(b.flat[k])!r}"


def worst_of(checks: list[Check] | tuple[Check, ...], *, detail: str | None = None) -> Check:
    """The check with the smallest margin: several sub-checks of one step reported as one."""
    if not checks:
        raise ValueError("checks must hold at least one Check")
    worst = min(checks, key=lambda c: c.margin)
    return worst if detail is None else worst._replace(detail=detail)


def symbolic_zero(expr: Any, *, detail: str = "") -> Check:
    """Checks with SymPy that ``expr`` simplifies to exactly 0 (error 0, tolerance 0).

    The error is 0 when ``sympy.simplify(expr) == 0`` and ``inf`` otherwise, so a symbolic step
    either holds exactly or fails; ``detail`` reports the residual when it fails.
    """
    import sympy

    residual = sympy.simplify(expr)
    if isinstance(residual, sympy.MatrixBase) and residual.is_zero_matrix:
        return Check(0.0, 0.0, "<=", detail or "simplifies to the zero matrix")
    if residual == 0:
        return Check(0.0, 0.0, "<=", detail or "simplifies to 0")
    return Check(math.inf, 0.0, "<=", f"residual {residual}")


def _flint() -> Any:
    try:
        import flint
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "certified proof steps need python-flint (ball arithmetic): pip install python-flint",
            name="flint",
        ) from exc
    return flint


def _interval(x: Any, what: str) -> tuple[float, float]:
    """``x`` as two floats ``(lower, upper)`` enclosing it, rounded outward.

    ``x`` is an enclosure of the library (any object with ``lower_bound`` and ``upper_bound``),
    a python-flint ``arb`` ball, a pair ``(lower, upper)`` or a number (an exact point).
    """
    if hasattr(x, "lower_bound") and hasattr(x, "upper_bound"):
        lo, hi = float(x.lower_bound), float(x.upper_bound)
    elif type(x).__module__.startswith("flint"):
        if not x.is_finite():
            return (-math.inf, math.inf)
        # arb's bounds are exact binary numbers: round each outward onto a double.
        lo_b, hi_b = x.lower(), x.upper()
        lo, hi = float(lo_b), float(hi_b)
        if type(x)(lo) > lo_b:
            lo = math.nextafter(lo, -math.inf)
        if type(x)(hi) < hi_b:
            hi = math.nextafter(hi, math.inf)
    elif isinstance(x, tuple | list) and len(x) == 2:
        lo, hi = float(x[0]), float(x[1])
    else:
        lo = hi = float(x)
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise ValueError(
            f"{what}: an enclosure needs lower <= upper, neither NaN; got [{lo}, {hi}]"
        )
    return lo, hi


def ball(x: Any) -> Any:
    r"""An enclosure as a python-flint ``arb`` ball, for arithmetic that stays rigorous.

    ``ball(e)`` contains the interval ``[e.lower_bound, e.upper_bound]`` of a certified result of
    the library (or a pair ``(lower, upper)``, a number, an ``arb``); sums, products, logarithms
    of balls contain the true results, so an identity's two sides can be combined into the
    enclosure of their difference and checked with :func:`certified_identity`:

    .. code-block:: python

        v = ball(certified.gan_value(p, q, "optimal"))
        js = ball(certified.js_divergence(p, q))
        certified_identity(v - (2 * js - ball(4).log()), width=1e-9)

    An infinite enclosure has no ball (arb would make it ``[+/- inf]``, which contains 0):
    compare it with :func:`certified_inequality` instead.

    Raises:
      ValueError: for an infinite or NaN bound.
      ModuleNotFoundError: when python-flint is not installed.
    """
    arb = _flint().arb
    if type(x).__module__.startswith("flint"):
        return x
    lo, hi = _interval(x, "ball")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(
            f"ball: the enclosure [{lo}, {hi}] is infinite; compare it with certified_inequality"
        )
    return arb(lo) if lo == hi else arb.union(arb(lo), arb(hi))


def _show_interval(lo: float, hi: float) -> str:
    return f"[{lo!r}, {hi!r}]"


def certified_identity(difference: Any, *, width: float, detail: str = "") -> Check:
    r"""An identity ``lhs = rhs`` checked on a rigorous enclosure of ``lhs - rhs``.

    The step holds iff the enclosure contains 0 **and** is at most ``width`` wide: the first says
    the identity is not refuted, the second that the computation was sharp enough for that to
    mean something (an enclosure ``[-1, 1]`` contains 0 and proves nothing). Where the enclosure
    excludes 0 the identity is false in real arithmetic, whatever the rounding: the error is then
    ``inf`` and the note says by how much the difference is certainly away from 0.

    Args:
      difference: an enclosure of ``lhs - rhs``: an ``arb`` ball (from :func:`ball` arithmetic),
        an enclosure of the library (``lower_bound``, ``upper_bound``), a pair ``(lower, upper)``.
      width: the widest enclosure accepted (the step's tolerance), > 0.
      detail: a note for the table.

    Returns:
      A :class:`Check` whose error is the enclosure's width (``inf`` when it excludes 0) and whose
      tolerance is ``width``.

    Example:
      >>> certified_identity((-1e-13, 2e-13), width=1e-10).holds
      True
      >>> print(certified_identity((1e-13, 2e-13), width=1e-10).explain())
      error inf exceeds the tolerance 1.0e-10: enclosure of lhs - rhs [1e-13, 2e-13]; excludes 0: lhs - rhs >= 1e-13
      >>> certified_identity((-1.0, 1.0), width=1e-10).holds
      False
    """
    if not (isinstance(width, int | float) and width > 0 and math.isfinite(width)):
        raise ValueError(f"width must be a finite number > 0, got {width!r}")
    lo, hi = _interval(difference, "difference")
    compared = f"enclosure of lhs - rhs {_show_interval(lo, hi)}"
    if lo <= 0.0 <= hi:
        spread = hi - lo
        if spread < math.inf:  # the width rounded up, so that a pass is never by rounding
            spread = math.nextafter(spread, math.inf) if spread > 0 else 0.0
        return Check(spread, float(width), "<=", detail, compared=compared)
    away = f"lhs - rhs >= {lo!r}" if lo > 0 else f"lhs - rhs <= {hi!r}"
    note = f"excludes 0: {away}"
    return Check(
        math.inf, float(width), "<=", f"{note}; {detail}" if detail else note, compared=compared
    )


_RELATIONS = ("<=", "<", ">=", ">")


def certified_inequality(lhs: Any, relation: str, rhs: Any = 0.0, *, detail: str = "") -> Check:
    r"""An inequality ``lhs <relation> rhs`` checked on rigorous enclosures of both sides.

    The step holds iff the enclosure of ``lhs`` lies entirely on its side of the enclosure of
    ``rhs``: for ``"<="``, the upper bound of ``lhs`` is at most the lower bound of ``rhs``; for
    ``"<"`` strictly below it (and likewise for ``">="``, ``">"``). Infinite bounds are compared
    as they are: ``KL >= inf`` holds for an enclosure ``[inf, inf]`` (KL decided infinite).

    Args:
      lhs: an enclosure (an ``arb`` ball, an enclosure of the library, a pair, a number).
      relation: one of ``"<="``, ``"<"``, ``">="``, ``">"``.
      rhs: the other side, the same kinds (default 0, an exact point).
      detail: a note for the table.

    Returns:
      A :class:`Check` of the gap between the sides (``relation=">="``): how far the enclosure of
      ``lhs`` lies on its side, held to be at least 0 (for ``"<="``, ``">="``) or at least the
      smallest positive double (for ``"<"``, ``">"``: the sides certainly differ). A negative
      gap is the overlap that stops the certificate.

    Example:
      >>> certified_inequality((0.25, 0.26), ">", 0.0).holds
      True
      >>> certified_inequality((-1e-20, 0.26), ">", 0.0).holds
      False
      >>> certified_inequality((0.69, 0.6931), "<=", (0.6931, 0.6932)).holds
      True
    """
    if relation not in _RELATIONS:
        raise ValueError(f"relation must be one of {_RELATIONS}, got {relation!r}")
    left, right = _interval(lhs, "lhs"), _interval(rhs, "rhs")
    if relation in ("<=", "<"):
        below, above = left[1], right[0]  # lhs's upper bound against rhs's lower bound
    else:
        below, above = right[1], left[0]
    if below == above:
        gap = 0.0
    elif below < above:
        gap = above - below  # two distinct doubles never subtract to 0: the sign is exact
        gap = math.inf if math.isinf(above) or math.isinf(below) else gap
    else:
        gap = -math.inf if math.isinf(above) or math.isinf(below) else above - below
    strict = relation in ("<", ">")
    need = math.ulp(0.0) if strict else 0.0
    compared = f"lhs in {_show_interval(*left)}, rhs in {_show_interval(*right)}"
    return Check(gap, need, ">=", detail, compared=compared)


def format_example(example: Any) -> str:
    """Writes a drawn input out as Python: arrays with every digit, tuples and fields by name.

    Example:
      >>> import numpy as np
      >>> print(format_example((np.array([0.5, 0.5]), np.array([1.0, 0.0]))))
      [0] = array([0.5, 0.5])
      [1] = array([1., 0.])
    """

    def one(x: Any) -> str:
        if isinstance(x, np.ndarray | np.generic) or type(x).__module__.startswith("jax"):
            a = np.asarray(x)
            body = np.array2string(a, separator=", ", floatmode="unique", threshold=10_000)
            return f"array({body}, dtype={a.dtype})" if a.dtype != np.float64 else f"array({body})"
        return repr(x)

    fields = getattr(example, "_fields", None)
    if fields is not None:
        return "\n".join(f"{name} = {one(v)}" for name, v in zip(fields, example, strict=True))
    if isinstance(example, tuple | list):
        return "\n".join(f"[{i}] = {one(v)}" for i, v in enumerate(example))
    if isinstance(example, dict):
        return "\n".join(f"{k} = {one(v)}" for k, v in example.items())
    return one(example)


def over_examples(strategy: Any, check: Callable[[Any], Check], *, detail: str = "") -> Check:
    """Runs ``check`` on every example Hypothesis draws from ``strategy``; returns the worst.

    Hypothesis runs with the settings in force (``divergences verify`` and the test suite load the
    harness' ``ci`` profile: 60 derandomised examples), always with no deadline: the first call of
    a jitted kernel compiles, which takes longer than any deadline. A failing example makes
    Hypothesis shrink it; the check returned is then the one of the smallest failing example
    found, with that example written out in ``counterexample``.
    """
    from hypothesis import given, settings

    seen: list[Check] = []
    failures: list[tuple[Check, Any]] = []

    @settings(deadline=None)
    @given(strategy)
    def _property(example: Any) -> None:
        c = check(example)
        seen.append(c)
        if not c.holds:
            failures.append((c, example))
            raise StepFailed(f"{c} on {example!r}")

    try:
        _property()
    except StepFailed:
        if not failures:
            return Check(math.nan, 0.0, detail="falsified, but the failing check was not kept")
        worst, example = failures[-1]  # Hypothesis replays the shrunk example last
        return worst._replace(
            detail=f"falsified after {len(seen)} examples", counterexample=format_example(example)
        )
    worst = worst_of(seen)
    note = f"{len(seen)} drawn examples"
    return worst._replace(detail=f"{detail}; {note}" if detail else note)


class Step(NamedTuple):
    """One checked step of a derivation.

    Attributes:
      claim: the statement, in words and formulas.
      method: how it is checked: ``"sympy"``, ``"numeric"`` (float64 with the package),
        ``"hypothesis"`` (a property over drawn distributions), ``"reference"`` (against SciPy,
        POT or an independent LP solve), ...
      run: computes the step's :class:`Check`.
      name: the function's name, used as the pytest id.
      proof: the title of the proof the step belongs to.
    """

    claim: str
    method: str
    run: Callable[[], Check]
    name: str
    proof: str

    def check(self) -> Check:
        """Runs the step and returns its check."""
        return self.run()

    def assert_holds(self) -> Check:
        """Runs the step; raises :class:`StepFailed` with the claim and the error if it fails."""
        c = self.run()
        if not c.holds:
            raise StepFailed(f"[{self.proof}] {self.claim} ({self.method}): {c.explain()}")
        return c


class Outcome(NamedTuple):
    """A step and what running it gave (``check`` is None when the step raised)."""

    step: Step
    check: Check | None
    seconds: float
    exception: str = ""

    @property
    def holds(self) -> bool:
        """True iff the step ran and its check held."""
        return self.check is not None and self.check.holds


class Proof:
    """A derivation: a title, the claim as the lectures state it, and its ordered steps."""

    def __init__(self, title: str, *, claim: str = "") -> None:
        self.title = title
        self.claim = claim
        self.steps: list[Step] = []

    def step(
        self, claim: str, *, method: str
    ) -> Callable[[Callable[[], Check]], Callable[[], Check]]:
        """Decorator: registers a function returning a :class:`Check` as the next step."""

        def register(fn: Callable[[], Check]) -> Callable[[], Check]:
            self.steps.append(Step(claim, method, fn, fn.__name__.lstrip("_"), self.title))
            return fn

        return register

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def run(self) -> list[Outcome]:
        """Runs every step, catching exceptions (they count as failures)."""
        outcomes = []
        for s in self.steps:
            t0 = time.perf_counter()
            try:
                c: Check | None = s.check()
                exc = ""
            except Exception as e:  # a step that raises is a failed step, reported as such
                c, exc = None, f"{type(e).__name__}: {e}"
            outcomes.append(Outcome(s, c, time.perf_counter() - t0, exc))
        return outcomes

    def pytest_test(self) -> Callable[[Step], None]:
        """A pytest test function parametrised over the steps (needs pytest)."""
        import pytest

        @pytest.mark.parametrize("step", self.steps, ids=[s.name for s in self.steps])
        def test_step(step: Step) -> None:
            step.assert_holds()

        return test_step
