r"""The named metrics: one frozen spec each, for the public cost, the host and the device.

A spec holds everything the package knows about one named ground cost :math:`c(x, y)`:

* its **formula** on the differences :math:`x - y` (last axis), written once against an array
  namespace (:class:`Ops`): NumPy on the host (:mod:`.host.costs`), ``jax.numpy`` in the
  differentiable public cost (:mod:`..cost`) and in the device solvers
  (:mod:`.device.scaled_costs`, whose sums are fixed trees);
* its **degree** :math:`k` of homogeneity, :math:`c(s x, s y) = s^k c(x, y)` for :math:`s > 0`:
  every named cost is translation invariant and homogeneous, so a W1 problem is solved on the
  points scaled by a power of two into (-1, 1) (:func:`scale_exponent`, the one for the host
  and XLA alike; exact) and the value scaled back by :math:`2^{k e}`, exactly;
* its **span bound**: every named cost is a norm of the difference (or a norm's square),
  non-decreasing in each :math:`|x_l - y_l|`, so no cost between points of a box exceeds the
  formula at the box's side lengths;
* its **rounding constant**: every cost :math:`\tilde c` computed by the formula from two
  scaled points is within :math:`|\tilde c - c| \le \rho\, \tilde c + \tau` of the exact cost
  :math:`c` of the same points, with :math:`\rho = N(d)\, \epsilon` (:meth:`MetricSpec.steps`,
  :math:`\epsilon = 2u` the dtype's machine epsilon). :math:`\tau` covers underflow and is
  common to every metric (the host's and the device's, each in its module). The certificates
  widen their bounds by these (:mod:`.host.certify`, :mod:`.device.sinkhorn`).

Adding a metric is one spec here (a subclass with its formula and :math:`N(d)`, its instance in
:data:`NAMED` if it takes no parameter), and its tests. A callable metric (JAX code) has no spec:
its costs are what it computes.

This module imports NumPy only: the host solvers use it without JAX. It is on the ground floor
(``divergences._src``), beside the float scaling (:mod:`divergences._src.scaling`), so that the
sample estimates resolve a metric by the same spec as the W1 solvers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, NamedTuple, overload

import numpy as np

from divergences._src.scaling import ceil_float, tiny, unit_roundoff

__all__ = [
    "HOST_OPS",
    "NAMED",
    "Chebyshev",
    "Cityblock",
    "CostError",
    "Euclidean",
    "MetricSpec",
    "Minkowski",
    "Ops",
    "SqEuclidean",
    "check_metric",
    "cost_error",
    "named_metric",
]


class Ops(NamedTuple):
    """The operations a formula is written with: an array namespace and four of its functions.

    ``sum`` and ``abs`` along the last axis and elementwise; ``sqrt`` elementwise; ``stop``
    holds a factor constant for differentiation (the identity on the host).
    """

    xp: Any  # numpy or jax.numpy: max, where, power
    sum: Callable[..., Any]  # sum(t, axis=-1)
    abs: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    stop: Callable[[Any], Any]


#: The host's operations: NumPy, in float64.
HOST_OPS = Ops(np, np.sum, np.abs, np.sqrt, lambda t: t)


@dataclass(frozen=True)
class MetricSpec:
    """A named ground cost: its formula, degree, span bound and rounding (module docstring).

    Frozen and hashable: a spec is a static argument of the compiled programs, and two specs
    with the same parameters are equal (the same program).
    """

    #: The metric's name in messages and in :data:`NAMED`.
    name: ClassVar[str]
    #: The degree of homogeneity, :math:`c(s x, s y) = s^k c(x, y)`.
    degree: ClassVar[int] = 1
    #: ``scipy.spatial.distance.cdist``'s name for this cost (its C loops build the host's
    #: matrices), or None: the host evaluates :meth:`formula` a block of rows at a time.
    cdist: ClassVar[str | None] = None
    #: Computed costs below this may have lost digits to squares below the normal range: the
    #: host recomputes them with :meth:`scaled_formula` (None: the formula cannot underflow so).
    squares_underflow: ClassVar[float | None] = None

    def formula(self, diff: Any, ops: Ops) -> Any:
        """The costs of the differences ``diff`` (the last axis holds the coordinates)."""
        raise NotImplementedError

    def scaled_formula(self, diff: Any, ops: Ops) -> Any:
        """The formula with no square below the normal range (by default, :meth:`formula`)."""
        return self.formula(diff, ops)

    def costs(self, diff: Any, ops: Ops) -> Any:
        """:meth:`formula`, with :math:`|x - y|` taken as it is on the line for a norm.

        On the line every norm is :math:`|x - y|`: exact, where a square may underflow.
        """
        if diff.shape[-1] == 1 and self.degree == 1:
            return ops.abs(diff[..., 0])
        return self.formula(diff, ops)

    def span_bound(self, span: Any, ops: Ops) -> Any:
        """The cost of a box's side lengths ``span`` (``(d,)``): none between its points is larger.

        A computed bound, within this spec's rounding of the exact one.
        """
        return self.costs(span, ops)

    def steps(self, d: int) -> int:
        r""":math:`N(d)`: the computed costs of points of dimension ``d`` are within :math:`N \epsilon`.

        Relative to the computed cost, for differences, squares or absolute values, a sum of
        ``d`` terms in any order and a square root: at most :math:`(d + 3) u` relative to the
        exact cost (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, Sec. 3.1
        and 4.2), so :math:`\gamma_{d + 3} / (1 - \gamma_{d + 3}) \le 2 (d + 3) u` relative
        to the computed one; :math:`N = d + 6` (with :math:`\epsilon = 2u`) leaves room for a
        square root within one ulp rather than half.
        """
        return d + 6


@dataclass(frozen=True)
class Euclidean(MetricSpec):
    r""":math:`\|x - y\|_2`."""

    name: ClassVar[str] = "euclidean"
    cdist: ClassVar[str | None] = "euclidean"
    # A sum of squares underflows once a difference is below ~1e-154 (2^-511 squared is 2^-1022).
    squares_underflow: ClassVar[float | None] = 2.0**-480

    def formula(self, diff: Any, ops: Ops) -> Any:
        return ops.sqrt(ops.sum(diff * diff, axis=-1))

    def scaled_formula(self, diff: Any, ops: Ops) -> Any:
        """Hypot-style: each difference scaled by its largest component first."""
        return _scaled_norm(diff, ops, 2.0)


@dataclass(frozen=True)
class SqEuclidean(MetricSpec):
    r""":math:`\|x - y\|_2^2`: **not a metric** (the cost of :math:`W_2^2`)."""

    name: ClassVar[str] = "sqeuclidean"
    degree: ClassVar[int] = 2
    cdist: ClassVar[str | None] = "sqeuclidean"

    def formula(self, diff: Any, ops: Ops) -> Any:
        return ops.sum(diff * diff, axis=-1)


@dataclass(frozen=True)
class Cityblock(MetricSpec):
    r""":math:`\|x - y\|_1`."""

    name: ClassVar[str] = "cityblock"
    cdist: ClassVar[str | None] = "cityblock"

    def formula(self, diff: Any, ops: Ops) -> Any:
        return ops.sum(ops.abs(diff), axis=-1)


@dataclass(frozen=True)
class Chebyshev(MetricSpec):
    r""":math:`\|x - y\|_\infty`."""

    name: ClassVar[str] = "chebyshev"
    cdist: ClassVar[str | None] = "chebyshev"

    def formula(self, diff: Any, ops: Ops) -> Any:
        return ops.xp.max(ops.abs(diff), axis=-1)


def _scaled_norm(diff: Any, ops: Ops, p: float) -> Any:
    r""":math:`\|\delta\|_p = m\, (\sum_l (|\delta_l| / m)^p)^{1/p}`, :math:`m = \max_l |\delta_l|`.

    Every ratio is at most 1 and the largest is 1 exactly, so the sum lies in :math:`[1, d]`:
    nothing overflows for any ``p``, and a ratio whose power underflows loses at most the
    smallest normal number of a sum at least 1. ``m`` is held constant for differentiation: the
    expression equals the norm for every :math:`m > 0`, so its derivative in ``m`` is 0, and the
    derivative in :math:`\delta` is the norm's, :math:`(|\delta_l| / \|\delta\|_p)^{p - 1}
    \operatorname{sign} \delta_l`. At :math:`\delta = 0` the value is 0 and the derivative the
    subgradient 0 (the sum is replaced by 1 on both branches' inputs: the double ``where``).
    """
    xp = ops.xp
    a = ops.abs(diff)
    m = ops.stop(xp.max(a, axis=-1))
    some = m > 0
    scale = xp.where(some, m, 1)[..., None]
    total = ops.sum(xp.power(a / scale, p), axis=-1)
    total = xp.where(some, total, 1)
    return m * xp.power(total, 1 / p)


@dataclass(frozen=True, init=False)  # its own __init__: p keyword-only, validated
class Minkowski(MetricSpec):
    r""":math:`\|x - y\|_p = (\sum_l |x_l - y_l|^p)^{1/p}`, for a finite ``p >= 1``.

    A metric for every :math:`p \ge 1` (Minkowski's inequality); ``p=1`` is ``"cityblock"``,
    ``p=2`` ``"euclidean"`` (with a slower formula), and the limit :math:`p \to \infty`
    ``"chebyshev"``. Pass it as ``metric=dv.Minkowski(p=3)``.

    The formula is the scaled one, :math:`m (\sum_l r_l^p)^{1/p}` with
    :math:`r_l = |\delta_l| / m` and :math:`m = \max_l |\delta_l|`, so that no power overflows
    or loses the cost to underflow, whatever ``p``.

    Its computed costs are within the certificates' rounding allowance :meth:`steps` (derived
    there), with one assumption on the library's ``pow``.

    Raises:
      ValueError: naming ``p``, for a ``p`` that is not a finite number at least 1.

    References:
      Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, Sec. 3.1-3.4 and 4.2.
    """

    name: ClassVar[str] = "minkowski"
    #: ``pow``'s allowance in units of :math:`u` (see :meth:`steps`).
    POW_UNITS: ClassVar[int] = 8

    p: float

    def __init__(self, *, p: Any) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise ValueError(f"p must be a finite number >= 1 (the Minkowski exponent); got {p!r}")
        if not (math.isfinite(float(p)) and float(p) >= 1):
            raise ValueError(
                f"p must be a finite number >= 1 (the Minkowski exponent; use "
                f"metric='chebyshev' for p = inf); got p={p!r}"
            )
        object.__setattr__(self, "p", float(p))

    def formula(self, diff: Any, ops: Ops) -> Any:
        return _scaled_norm(diff, ops, self.p)

    def steps(self, d: int) -> int:
        r""":math:`N(d)`: the computed costs are within :math:`N \epsilon` of the exact ones.

        With every operation within the standard model
        (:math:`\mathrm{fl}(a \circ b) = (a \circ b)(1 + \delta)`, :math:`|\delta| \le u`, the
        underflow terms going to the common :math:`\tau`), and the one assumption that the
        library's ``pow`` is within :math:`\kappa u` *absolutely* of :math:`r^p` for
        :math:`r \in [0, 1]` and relatively of :math:`S^{1/p}` for :math:`S \in [1, 2d]`, with
        :math:`\kappa = 8` (4 ulps: glibc's ``pow`` is within 1 ulp, CUDA's 2; an ``exp(p log r)``
        implementation with ``log`` and ``exp`` within 2 ulps errs by at most
        :math:`r^p\, p |\log r|\, 2u + 2u \le (2/e + 2) u` absolutely, as
        :math:`\max_r r^p p |\log r| = 1/e`):

        1. each difference rounds once, and the norm is monotone and homogeneous in the
           :math:`|\delta_l|`: a factor :math:`1 + \theta`, :math:`|\theta| \le u`; ``m`` and the
           absolute values are exact;
        2. each ratio :math:`r_l` rounds once: another factor within :math:`u` (the largest is 1,
           exactly);
        3. each power is within :math:`\kappa u` of :math:`r_l^p` (so is a small integer power
           :math:`p \le \kappa + 1` that a compiler expands into :math:`p - 1` products, as XLA
           does for 2 and 3: :math:`\gamma_{p - 1} r_l^p`), and the exact sum
           :math:`S = \sum_l r_l^p \ge 1` (the largest term is :math:`1^p = 1` exactly): a
           relative error of at most :math:`d \kappa u` on :math:`S`;
        4. the sum of :math:`d` non-negative terms, in any order: :math:`\gamma_{d - 1}`, that is
           :math:`d - 1` factors;
        5. the root: a relative error :math:`\theta` of :math:`S` becomes at most :math:`|\theta|`
           in :math:`S^{1/p}` for :math:`p \ge 1` (:math:`(1 + \theta)^{1/p}` lies between 1 and
           :math:`1 + \theta`), ``pow`` adds :math:`\kappa u`, and the exponent :math:`1/p`, itself
           rounded to :math:`(1 + \eta)/p`, multiplies :math:`S^{1/p}` by
           :math:`S^{\eta / p} \le (2d)^{u} \le 1 + \lceil \log_2 2d \rceil u`;
        6. the product :math:`m\, S^{1/p}` rounds once.

        In all, at most :math:`n = d(\kappa + 1) + \kappa + \lceil \log_2 2d \rceil + 2` factors
        :math:`(1 + \delta)`, :math:`|\delta| \le u`: :math:`|\tilde c - c| \le \gamma_n c`, so
        :math:`|\tilde c - c| \le \gamma_n / (1 - \gamma_n)\, \tilde c \le 2 n u\, \tilde c`
        (:math:`n u \le 1/4`): :math:`N = n + 1`, with :math:`\epsilon = 2u`, one step to spare.
        The absolute terms (a flushed difference moves the cost by at most
        :math:`d^{1/p} \lambda \le d \lambda`, a flushed ratio or power moves a sum at least 1 by
        at most :math:`\lambda`) lie inside the common :math:`\tau`, whose
        :math:`\sqrt{\lambda}`-sized term is there for the Euclidean squares. A coordinate moved by
        :math:`\eta` moves the cost by at most :math:`2 d^{1/p} \eta \le 2 d \eta`, within the
        Euclidean allowance for the scaling's underflow.
        """
        k = self.POW_UNITS
        return d * (k + 1) + k + math.ceil(math.log2(2 * d)) + 3


#: The metrics taken by name (``metric="euclidean"``); a parametrised one is passed as its spec.
NAMED: dict[str, MetricSpec] = {
    spec.name: spec for spec in (Euclidean(), SqEuclidean(), Cityblock(), Chebyshev())
}
#: The specs that need a parameter, by name: the error message points to them.
_PARAMETRISED: dict[str, str] = {"minkowski": "Minkowski(p=...)"}


def check_metric(metric: Any) -> None:
    """Raises a ValueError unless ``metric`` is a name of :data:`NAMED`, a spec or a callable."""
    if callable(metric) or isinstance(metric, MetricSpec):
        return
    if isinstance(metric, str) and metric in _PARAMETRISED:
        raise ValueError(
            f"metric={metric!r} needs its parameter: pass metric=dv.{_PARAMETRISED[metric]}"
        )
    if not isinstance(metric, str) or metric not in NAMED:
        raise ValueError(
            f"metric must be one of {', '.join(repr(m) for m in NAMED)}, a spec such as "
            f"dv.Minkowski(p=3), or a callable c(x_i, y_j); got {metric!r}"
        )


@overload
def named_metric(metric: str | MetricSpec) -> MetricSpec: ...
@overload
def named_metric(metric: Any) -> MetricSpec | None: ...
def named_metric(metric: Any) -> MetricSpec | None:
    """The spec of a validated metric: None for a callable one (it has no spec)."""
    if isinstance(metric, MetricSpec):
        return metric
    if isinstance(metric, str):
        return NAMED[metric]
    return None


class CostError(NamedTuple):
    r"""The constants of :math:`|\tilde c - c| \le \rho\, \tilde c + \tau`, floats of the dtype.

    For the points scaled by :math:`2^{-e}`, :math:`\tau` is ``tau`` plus
    :math:`\text{flush} \cdot \lambda\, 2^{\max(0, -e)}`.
    """

    rho: float  # relative: N(d) epsilon, the formula's rounding
    tau: float  # absolute, from the formula's underflow
    flush: float  # times lambda 2^max(0, -e): the scaling's underflow where subnormals flush


def cost_error(metric: Any, d: int, dtype: Any = np.float64) -> CostError:
    r"""The cost-error model of a spec's formula in ``dtype``, for points of dimension ``d``.

    Every cost :math:`\tilde c` the formula computes from two points scaled by :math:`2^{-e}`
    into (-1, 1) is within :math:`|\tilde c - c| \le \rho\, \tilde c + \tau` of the exact
    cost :math:`c` of the unrounded scaled points, in the standard model with underflow
    (unit roundoff :math:`u`, smallest normal :math:`\lambda`; results and inputs below
    :math:`\lambda` may be flushed to 0, as XLA does, or rounded, as IEEE arithmetic does):

    .. math:: \rho = N(d)\, 2u, \quad
       \tau = 4 (d + 1) \sqrt{\lambda} + 12 (d + 1)\, \lambda\, 2^{\max(0, -e)}.

    :math:`N(d)` is the spec's :meth:`MetricSpec.steps`. The first term of :math:`\tau` covers
    results flushed to zero inside the formula (a square below :math:`\lambda` moves a
    distance by at most :math:`\sqrt{2 d \lambda}`; a Minkowski cost, scaled by its largest
    difference, moves by at most :math:`d \lambda`), the second the scaling of a coordinate
    that is, or becomes, subnormal and is flushed: moved by at most :math:`\lambda 2^{-e}`, it
    moves a cost by at most :math:`2 \sqrt d`, :math:`2 d`, 2, :math:`2 d^{1/p}` or
    :math:`12 d` times that. The host scales with exact ``ldexp`` (a subnormal result rounds, by
    at most :math:`\lambda u`) and needs the second term only for that, well inside the first.
    ``metric`` is a name or a spec; a callable metric (or None, standing for one) is certified
    for the matrix it computes: all zero.
    """
    spec = None if metric is None else named_metric(metric)
    if spec is None:
        return CostError(0.0, 0.0, 0.0)
    u = unit_roundoff(dtype)
    lam = tiny(dtype)
    root = Fraction(math.sqrt(float(lam))) * (1 + Fraction(1, 2**20))  # above sqrt(lambda)
    return CostError(
        rho=ceil_float(spec.steps(d) * 2 * u, dtype),
        tau=ceil_float(4 * (d + 1) * root, dtype),
        flush=ceil_float(12 * (d + 1) * lam, dtype),
    )
