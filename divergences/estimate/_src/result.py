"""The results of the estimates from samples: :class:`Estimate`, the records of them, the tests.

**Where coverage is claimed.** An :class:`Estimate` claims its ``level`` (``claims_coverage``)
only where its kind rests on a theorem under the caller's own assumption (``"finite-sample"``),
or where the coverage benchmarks (``benchmarks/estimate_coverage.md``) measured the asymptotic
interval holding at ``level - 0.05`` or better (``"asymptotic"``, within the ranges of
:data:`~divergences.estimate.ASYMPTOTIC_CLAIMS`, :mod:`.claims`). An assumption read off the
draws (the samples' range as the diameter, the median heuristic's kernel) gives
``"plug-in-assumption"``: the interval is computed as the finite-sample one, no coverage
claimed.
Outside the measured range an asymptotic estimator returns ``"no-coverage-claim"``: the point
estimate, the quantity's whole range as its ends, and a :class:`NoCoverageWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from divergences._src.interval import interval_contains

#: How an interval holds. ``"finite-sample"``: for every sample size, under an assumption the
#: caller states (a diameter given as a number, a kernel fixed before the draws);
#: ``"asymptotic"``: as the sample sizes grow (a central limit theorem), claimed where the
#: coverage table measured it; ``"plug-in-assumption"``: the finite-sample construction with its
#: assumption read off the draws, so no coverage is claimed; ``"no-coverage-claim"``: a point
#: estimate whose ends are the quantity's range.
IntervalKind = Literal["finite-sample", "asymptotic", "plug-in-assumption", "no-coverage-claim"]

#: Which ends carry the guarantee. ``"lower"``: a one-sided lower bound, its upper end the
#: quantity's own range (``log 2`` for JS, ``1`` for TV, ``inf`` for KL and W1), which holds
#: whatever the draws and says nothing of them; ``"upper"`` the reverse; ``"none"``: no end
#: (``kind == "no-coverage-claim"``).
Sides = Literal["two-sided", "lower", "upper", "none"]

INTERVAL_KINDS: tuple[str, ...] = (
    "finite-sample",
    "asymptotic",
    "plug-in-assumption",
    "no-coverage-claim",
)
#: The kinds whose interval claims ``level``.
CLAIMING_KINDS: tuple[str, ...] = ("finite-sample", "asymptotic")
SIDES: tuple[str, ...] = ("two-sided", "lower", "upper", "none")


class NoCoverageWarning(UserWarning):
    """An estimate returned without a coverage claim: outside the range its interval was measured."""


def withheld(
    estimate: Estimate,
    lower: float,
    upper: float,
    reason: str,
    *,
    instead: str = "",
    stacklevel: int = 3,
    warn: bool = True,
) -> Estimate:
    """``estimate`` claiming no coverage, for ``reason``: its ends the quantity's range.

    The one way an estimate gives up its claim. Returns the estimate with kind
    ``"no-coverage-claim"``, sides ``"none"``, the ends ``lower`` and ``upper``,
    ``"no coverage claimed: <reason>"`` added to its assumption and the interval it computed
    to its method (``"(not returned: [lo, hi])"``), and warns a :class:`NoCoverageWarning`
    saying the same, and what holds instead.

    Args:
      estimate: the estimate as computed, its interval the one not returned.
      lower: the quantity's lower range end.
      upper: the quantity's upper range end.
      reason: why, in words: ``Claim.refusal`` outside the measured range, or the rule that
        read the draws and refused the claim inside it.
      instead: what holds there, in words (another estimator), or ``""``.
      stacklevel: the warning's, counted from this function (3: its caller's caller), so that
        it points at the user's call.
      warn: False where the caller's own result warns for this one (``frechet_difference``'s
        two distances, whose difference says why).
    """
    said = f"no coverage claimed: {reason}"
    if warn:
        warnings.warn(
            f"{said}; the ends are the quantity's range{'; ' + instead if instead else ''}",
            NoCoverageWarning,
            stacklevel=stacklevel,
        )
    ends = f"{estimate.lower_bound:.4g}, {estimate.upper_bound:.4g}"
    return estimate._replace(
        kind="no-coverage-claim",
        sides="none",
        lower_bound=lower,
        upper_bound=upper,
        assumption=f"{estimate.assumption}; {said}",
        method=f"{estimate.method} (not returned: [{ends}])",
    )


def one_sided_p_values(
    value: float, allowance: float, spread: float, cdf: Callable[[float], float]
) -> tuple[float, float]:
    """The p-values of "A is no better than B" (``D >= 0``) and of "B is no better than A".

    ``D = Q(A, R) - Q(B, R)`` estimated by ``value`` with standard error ``spread`` and rounding
    allowance ``allowance``; ``cdf`` the statistic's approximate law. Each is taken at the
    statistic's most favourable rounding for its own hypothesis (``(value + allowance) /
    spread`` and ``(-value + allowance) / spread``), so the two sum to at least 1.
    """

    def p(v: float) -> float:
        if spread > 0.0:
            return float(cdf((v + allowance) / spread))
        return 1.0 if v + allowance >= 0.0 else 0.0

    return p(value), p(-value)


def claimed_p_value(estimate: Estimate, p: float) -> tuple[Estimate, float | None]:
    """A comparison's p-value where its interval claims coverage, else None: one rule for both.

    The p-value and the interval rest on one approximation, measured where the interval claims
    its level; where it claims nothing (``"no-coverage-claim"``), no number is reported that a
    reader would take for the answer: the p-value is None, and the one computed joins the
    interval :func:`withheld` kept in the estimate's ``method``: ``"(not returned: [-19.3,
    -2.14]; p = 0.00716)"``.

    Returns:
      ``(estimate, p)``: ``p`` clipped to ``[0, 1]`` where ``estimate.claims_coverage``, else
      the estimate with its method saying the p-value not returned, and None.
    """
    if estimate.claims_coverage:
        return estimate, min(max(p, 0.0), 1.0)
    method, note = estimate.method, f"p = {p:.3g}"
    if method.endswith("])"):  # withheld's note of the interval not returned
        return estimate._replace(method=f"{method[:-1]}; {note})"), None
    return estimate._replace(method=f"{method} (not returned: {note})"), None


def _number(v: float) -> str:
    return f"{v:.4g}"


class Estimate(NamedTuple):
    r"""An estimate of a quantity between the laws behind two samples, with its interval.

    Where ``claims_coverage``, with probability at least ``level`` over the draws (as ``kind``
    says: for every sample size, or as the sizes grow), the true quantity lies in
    ``[lower_bound, upper_bound]``; a one-sided result (``sides == "lower"``) claims only
    ``quantity >= lower_bound`` (``bound``), its ``upper_bound`` the quantity's range end
    (``log 2``, ``1`` or ``inf``: true whatever the draws, and never printed). Without a claim
    (``"plug-in-assumption"``, ``"no-coverage-claim"``) the ends are what the construction
    gives, or the quantity's range. ``lower_bound <= value <= upper_bound`` always, and both ends
    lie in the quantity's range (KL and W1 ``>= 0``, JS in ``[0, log 2]``, TV in ``[0, 1]``);
    ``str`` says what is claimed: ``JS >= 0.04419 at 95%, finite-sample``; ``contains(t)``
    whether ``t`` lies in ``[lower_bound, upper_bound]``.

    Attributes:
      value: the point estimate, in the quantity's range.
      lower_bound: the lower end of the interval.
      upper_bound: the upper end of the interval (the range's end where none is claimed).
      level: the interval's nominal coverage, in ``(0, 1)``.
      kind: ``"finite-sample"``, ``"asymptotic"``, ``"plug-in-assumption"`` or
        ``"no-coverage-claim"`` (:data:`IntervalKind`).
      sides: ``"two-sided"``, the one end that carries the guarantee (``"lower"``), or
        ``"none"``.
      assumption: what the guarantee rests on, in words (a support bound, a density, ...).
      method: the estimator and the interval's construction, in words.
      n: the number of draws of the first law (``x``).
      m: the number of draws of the second law (``y``; 0 for a one-sample estimate).
      quantity: the quantity's short name (``"JS"``, ``"KL"``, ``"W1"``, ...).
      plug_in: the plug-in value papers print where it differs from ``value`` (FD: the FID of
        pytorch-fid, biased high, comparable with a published FID at the same sample size), or
        None.
    """

    value: float
    lower_bound: float
    upper_bound: float
    level: float
    kind: IntervalKind
    sides: Sides
    assumption: str
    method: str
    n: int
    m: int
    quantity: str
    plug_in: float | None = None

    @property
    def claims_coverage(self) -> bool:
        """Whether the interval claims ``level`` (kind ``"finite-sample"`` or ``"asymptotic"``)."""
        return self.kind in CLAIMING_KINDS

    def contains(self, x: Any) -> Any:
        """Whether ``x`` lies in ``[lower_bound, upper_bound]`` (elementwise for an array).

        Whether the interval holds ``x``, whatever it claims: a one-sided result's unclaimed end
        is the quantity's range end, so that ``contains`` then tests the one claimed end.
        """
        return interval_contains(self.lower_bound, self.upper_bound, x)

    @property
    def bound(self) -> float | None:
        """The claimed end of a one-sided result (``lower_bound`` or ``upper_bound``), or None."""
        if self.sides == "lower":
            return self.lower_bound
        if self.sides == "upper":
            return self.upper_bound
        return None

    def without_claim(self, reason: str, lower: float, upper: float) -> Estimate:
        """This estimate claiming nothing, for ``reason``; its ends the quantity's range.

        For code that composes estimates and finds an assumption broken that the estimator could
        not see (a model whose draws copy the reference's, found by another test): the one rule
        of :func:`withheld` (kind ``"no-coverage-claim"``, the interval computed kept in
        ``method``, ``reason`` in ``assumption``), without a warning: the caller says why.

        Raises:
          ValueError: where ``[lower, upper]`` does not hold ``value`` (not the quantity's range).
        """
        if not lower <= self.value <= upper:
            raise ValueError(
                f"lower and upper must be the quantity's range, holding the value {self.value}: "
                f"got [{lower}, {upper}]"
            )
        return withheld(self, lower, upper, reason, warn=False)

    def __str__(self) -> str:
        q, at = self.quantity or "estimate", f"at {self.level:.0%}, {self.kind}"
        if self.sides == "none":
            return f"{q} = {_number(self.value)}, {self.kind}{self._plug_in_note()}"
        if self.sides == "lower":
            text = f"{q} >= {_number(self.lower_bound)} {at} (estimate {_number(self.value)})"
        elif self.sides == "upper":
            text = f"{q} <= {_number(self.upper_bound)} {at} (estimate {_number(self.value)})"
        else:
            ends = f"[{_number(self.lower_bound)}, {_number(self.upper_bound)}]"
            text = f"{q} = {_number(self.value)} in {ends} {at}"
        text = text if self.claims_coverage else f"{text}, coverage not claimed"
        return text + self._plug_in_note()

    def _plug_in_note(self) -> str:
        """``"; plug-in 55.17"`` where ``plug_in`` is set and prints differently from ``value``."""
        if self.plug_in is None or _number(self.plug_in) == _number(self.value):
            return ""
        return f"; plug-in {_number(self.plug_in)}"

    def __repr__(self) -> str:
        return f"Estimate({self}; n={self.n}, m={self.m})"


#: The tests of ``P == Q`` a :class:`TwoSampleTest` reports: ``"permutation"`` (random
#: relabellings of the pooled draws, :func:`~divergences.estimate.mmd_test`) and
#: ``"fisher-exact"`` (a classifier's held-out confusion table,
#: :func:`~divergences.estimate.discriminator_bounds`).
TestKind = Literal["permutation", "fisher-exact"]


def asymptotic_estimate(
    value: float,
    lower: float,
    upper: float,
    *,
    level: float,
    quantity: str,
    assumption: str,
    method: str,
    n: int,
    m: int,
    plug_in: float | None = None,
) -> Estimate:
    """A two-sided ``"asymptotic"`` :class:`Estimate`, its ends moved out to hold ``value``.

    The rounding of the ends and of the value is separate, so an end can fall a unit inside the
    value; ``lower_bound <= value <= upper_bound`` holds by the ends taken as ``min(lower,
    value)`` and ``max(upper, value)``. The claim is the caller's to withhold (:func:`withheld`).
    """
    return Estimate(
        value=value,
        lower_bound=min(lower, value),
        upper_bound=max(upper, value),
        level=float(level),
        kind="asymptotic",
        sides="two-sided",
        assumption=assumption,
        method=method,
        n=n,
        m=m,
        quantity=quantity,
        plug_in=plug_in,
    )


class TwoSampleTest(NamedTuple):
    r"""A test of the hypothesis ``P == Q`` from two samples.

    Attributes:
      statistic: the observed test statistic.
      p_value: the test's p-value, in ``(0, 1]``: the hypothesis is rejected at level ``alpha``
        where ``p_value <= alpha``, with type-I error at most ``alpha`` for every sample size.
      test: which test (:data:`TestKind`): ``"permutation"`` or ``"fisher-exact"``.
      parameters: the test's own parameters, by name: ``{"permutations": 200, "seed": 0}`` for
        the permutation test, ``{"model": "logistic"}`` for the classifier's.
      method: the statistic and its kernel or classifier, in words.
      n: the number of draws of the first law (``x``).
      m: the number of draws of the second law (``y``).
    """

    statistic: float
    p_value: float
    test: TestKind
    parameters: dict[str, Any]
    method: str
    n: int
    m: int


class Comparison(NamedTuple):
    r"""Two candidates compared against one reference: ``Q(A, R) - Q(B, R)``, and each term.

    The result of :func:`~divergences.estimate.frechet_difference` (``Q`` = FD) and of
    :func:`~divergences.estimate.kid_difference` (``Q`` = KID). Both terms share the reference's
    draws, so their errors are correlated and the difference has its own interval.

    Attributes:
      difference: the :class:`Estimate` of ``Q(A, R) - Q(B, R)`` (quantity ``"FD(A,R) -
        FD(B,R)"`` or ``"KID(A,R) - KID(B,R)"``): below 0 where A is nearer the reference; its
        value is not clipped.
      p_value: the one-sided p-value of the hypothesis "A is no better than B",
        ``Q(A, R) >= Q(B, R)``: reject it (A is nearer) where ``p_value <= alpha``; from the
        difference's own approximation; None where the difference claims no coverage
        (:func:`claimed_p_value`).
      a: the :class:`Estimate` of ``Q(A, R)``, as the one-pair entry gives it, on the same
        draws (FD: on the same batches).
      b: the :class:`Estimate` of ``Q(B, R)``, likewise.
      dependent: the candidates (``"a"``, ``"b"``) whose draws look dependent on the
        reference's, by the comparisons' copy check (a narrow Gaussian kernel's unbiased MMD^2
        below 0, as copies of the reference's draws give) or KID's own; the difference then
        claims nothing. ``()`` where none does, or where the draws were streamed and the check
        could not run (the difference's ``method`` says so).
      p_value_b: the one-sided p-value of the other side, "B is no better than A",
        ``Q(B, R) >= Q(A, R)``, by the same rule: where B looks the better model, the number
        that says how strongly; None where the difference claims no coverage.
    """

    difference: Estimate
    p_value: float | None
    a: Estimate
    b: Estimate
    dependent: tuple[str, ...] = ()
    p_value_b: float | None = None


def claimed_comparison(
    difference: Estimate,
    p_values: tuple[float, float],
    a: Estimate,
    b: Estimate,
    dependent: tuple[str, ...],
) -> Comparison:
    """The :class:`Comparison`, both p-values kept where the difference claims coverage.

    ``p_values``: "A is no better than B" and "B is no better than A"
    (:func:`one_sided_p_values`); both None where the difference claims nothing
    (:func:`claimed_p_value`, whose note joins the difference's ``method``).
    """
    difference, p = claimed_p_value(difference, p_values[0])
    other = None if p is None else min(max(p_values[1], 0.0), 1.0)
    return Comparison(difference, p, a, b, dependent, other)
