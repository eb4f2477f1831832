r"""Divergences between continuous laws along theta: the fast curve, checked against certified bands.

A :class:`ContinuousFamily` maps ``theta`` to two laws of :mod:`divergences.continuous`,
:math:`(P_0, P_\theta)`. :func:`continuous_sweep` draws each quantity's fast curve (quadrature
in JAX, ``vmap`` over all thetas at once, with its error estimate) and, at some of the thetas,
computes the certified enclosure (ball arithmetic, on the host) and checks the fast value
against it: a fast value outside ``[lower_bound - error, upper_bound + error]`` raises
:class:`CurveOutsideEnclosure`, naming the quantity, theta and both results.

.. code-block:: python

    fam = gaussians_apart()
    s = continuous_sweep(fam, np.linspace(-4, 4, 161), quantities=("kl", "js", "tv"), certify=17)
    s.values["js"], s.errors["js"]            # the fast curve and its error estimate
    s.lower_bound["js"], s.upper_bound["js"]  # the certified band at s.thetas[s.certified]

The built-in families, continuous counterparts of :mod:`divergences.families`:

================================  ==============================================================
:func:`gaussians_apart`           N(0, 1) against N(theta, 1) (``shifted_gaussians`` on a grid)
:func:`mixture_component_moving`  (N(-2, 1) + N(2, 1)) / 2 against (N(-2, 1) + N(theta, 1)) / 2
:func:`gaussian_widening`         N(0, 1) against N(0, theta^2), theta > 0
:func:`uniforms_apart`            U(0, 1) against U(theta, theta + 1) (``shifted_uniforms``):
                                  disjoint for :math:`|\theta| \ge 1`, where JS stays log 2
================================  ==============================================================
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import divergences as dv
from divergences.extending import ArrayLike, integer_option

__all__ = [
    "CONTINUOUS_FAMILIES",
    "CONTINUOUS_QUANTITIES",
    "ContinuousFamily",
    "ContinuousSweep",
    "CurveOutsideEnclosure",
    "continuous_sweep",
    "gaussian_widening",
    "gaussians_apart",
    "mixture_component_moving",
    "sweep_command",
    "uniforms_apart",
    "write_continuous_csv",
]

LawPair = tuple[Any, Any]


class ContinuousFamily(NamedTuple):
    r"""A parameterised pair of continuous laws :math:`\theta \mapsto (P_0, P_\theta)`.

    Attributes:
      name: a short name, for titles and messages.
      laws: theta -> ``(P_0, P_theta)``, two laws of :mod:`divergences.continuous`; written in
        JAX, so that it runs under ``vmap`` over thetas and ``grad`` in theta.
      exact: thetas -> closed forms of the quantities the family has them for, or None.
      theta_range: the thetas allowed (inclusive), or None for all.
      description: one line saying what the family is.
      discretised: the family of :mod:`divergences.families` that puts the same pair on a grid
        (for comparing a discretisation with the continuous values), or None.
    """

    name: str
    laws: Callable[[ArrayLike], LawPair]
    exact: Callable[[np.ndarray], dict[str, np.ndarray]] | None
    theta_range: tuple[float, float] | None
    description: str
    discretised: Callable[[], dv.Family] | None = None


@functools.cache
def gaussians_apart() -> ContinuousFamily:
    r"""N(0, 1) against N(theta, 1): two Gaussians moving apart.

    Closed forms: :math:`\mathrm{KL} = \theta^2/2` both ways,
    :math:`\mathrm{TV} = 2\Phi(|\theta|/2) - 1`, :math:`H^2 = 1 - e^{-\theta^2/8}`,
    :math:`\chi^2 = e^{\theta^2} - 1`, :math:`W_1 = |\theta|`; JS has none.
    """
    c = dv.continuous

    def laws(theta: ArrayLike) -> LawPair:
        t = jnp.asarray(theta, dtype=float)
        return c.Normal(jnp.zeros_like(t), jnp.ones_like(t)), c.Normal(t, jnp.ones_like(t))

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        from scipy import special

        t = np.asarray(thetas, dtype=np.float64)
        kl = t**2 / 2
        return {
            "kl": kl,
            "reverse_kl": kl,
            "tv": special.erf(np.abs(t) / (2 * math.sqrt(2))),
            "hellinger": np.sqrt(-np.expm1(-(t**2) / 8)),
            "chi_square": np.expm1(t**2),
            "w1": np.abs(t),
        }

    return ContinuousFamily(
        "Gaussians apart",
        laws,
        exact,
        None,
        "N(0, 1) against N(theta, 1)",
        dv.families.shifted_gaussians,
    )


@functools.cache
def mixture_component_moving(*, at: float = 2.0, other: float = -2.0) -> ContinuousFamily:
    r"""A two-component mixture against the same mixture with one component moved to theta.

    :math:`P_0 = \tfrac12 N(\text{other}, 1) + \tfrac12 N(\text{at}, 1)`,
    :math:`P_\theta = \tfrac12 N(\text{other}, 1) + \tfrac12 N(\theta, 1)`: equal at
    ``theta = at``; no closed form but :math:`W_1 = |\theta - \text{at}| / 2` (the moved half
    travels, on the line the quantile coupling moves it by that much at most and the CDFs
    differ by the moved component's alone).
    """
    if not (math.isfinite(at) and math.isfinite(other)):
        raise ValueError(f"at and other must be finite numbers, got {at!r}, {other!r}")
    c = dv.continuous

    def laws(theta: ArrayLike) -> LawPair:
        t = jnp.asarray(theta, dtype=float)
        one, half = jnp.ones_like(t), jnp.full((2,), 0.5, dtype=t.dtype)
        fixed = c.Normal(other * one, one)
        p = c.Mixture(half, (fixed, c.Normal(at * one, one)))
        q = c.Mixture(half, (fixed, c.Normal(t, one)))
        return p, q

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        return {"w1": np.abs(np.asarray(thetas, dtype=np.float64) - at) / 2}

    return ContinuousFamily(
        "a mixture's component moving",
        laws,
        exact,
        None,
        f"(N({other:g}, 1) + N({at:g}, 1)) / 2 against (N({other:g}, 1) + N(theta, 1)) / 2",
    )


@functools.cache
def gaussian_widening() -> ContinuousFamily:
    r"""N(0, 1) against N(0, theta^2), theta > 0: a Gaussian widening (or narrowing).

    Closed forms, with :math:`s = \theta`: :math:`\mathrm{KL}(P_0\|P_s) = \log s + 1/(2s^2) -
    1/2`, :math:`\mathrm{KL}(P_s\|P_0) = -\log s + s^2/2 - 1/2`,
    :math:`H^2 = 1 - \sqrt{2s/(1 + s^2)}`, :math:`W_1 = \sqrt{2/\pi}\,|s - 1|` (the quantile
    coupling moves :math:`x` to :math:`s x`).
    """
    c = dv.continuous

    def laws(theta: ArrayLike) -> LawPair:
        s = jnp.asarray(theta, dtype=float)
        return c.Normal(jnp.zeros_like(s), jnp.ones_like(s)), c.Normal(jnp.zeros_like(s), s)

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        s = np.asarray(thetas, dtype=np.float64)
        return {
            "kl": np.log(s) + 1 / (2 * s**2) - 0.5,
            "reverse_kl": -np.log(s) + s**2 / 2 - 0.5,
            "hellinger": np.sqrt(1 - np.sqrt(2 * s / (1 + s**2))),
            "w1": math.sqrt(2 / math.pi) * np.abs(s - 1),
        }

    return ContinuousFamily(
        "a Gaussian widening", laws, exact, (1e-3, 1e3), "N(0, 1) against N(0, theta^2)"
    )


@functools.cache
def uniforms_apart() -> ContinuousFamily:
    r"""U(0, 1) against U(theta, theta + 1): the parallel lines' limit on the line.

    Closed forms: KL is infinite both ways for :math:`\theta \ne 0`;
    :math:`\mathrm{JS} = \min(|\theta|, 1) \log 2`, :math:`\mathrm{TV} = \min(|\theta|, 1)`,
    :math:`W_1 = |\theta|`. Once the supports are disjoint (:math:`|\theta| \ge 1`) JS and TV
    stay at log 2 and 1; only W1 keeps growing.
    """
    c = dv.continuous

    def laws(theta: ArrayLike) -> LawPair:
        t = jnp.asarray(theta, dtype=float)
        return c.Uniform(jnp.zeros_like(t), jnp.ones_like(t)), c.Uniform(t, t + 1)

    def exact(thetas: np.ndarray) -> dict[str, np.ndarray]:
        t = np.abs(np.asarray(thetas, dtype=np.float64))
        lost = np.minimum(t, 1.0)
        kl = np.where(t > 0, np.inf, 0.0)
        return {
            "kl": kl,
            "reverse_kl": kl,
            "js": lost * math.log(2),
            "tv": lost,
            "hellinger": np.sqrt(lost),
            "w1": t,
        }

    return ContinuousFamily(
        "uniforms apart",
        laws,
        exact,
        None,
        "U(0, 1) against U(theta, theta + 1)",
        dv.families.shifted_uniforms,
    )


#: The built-in continuous families by name (the names ``divergences sweep`` takes).
CONTINUOUS_FAMILIES: dict[str, Callable[[], ContinuousFamily]] = {
    "continuous_gaussians": gaussians_apart,
    "continuous_mixture": mixture_component_moving,
    "continuous_widening": gaussian_widening,
    "continuous_uniforms": uniforms_apart,
}

#: The quantities :func:`continuous_sweep` computes: name -> (function name in
#: :mod:`divergences.continuous` and its ``certified`` module, arguments swapped, what it is).
_TABLE: dict[str, tuple[str, bool, str]] = {
    "kl": ("kl", False, "KL(P0 || P_theta)"),
    "reverse_kl": ("kl", True, "KL(P_theta || P0)"),
    "js": ("js_divergence", False, "JS(P0 || P_theta), with the 1/2"),
    "tv": ("total_variation", False, "total variation"),
    "hellinger": ("hellinger", False, "Hellinger distance"),
    "chi_square": ("chi_square", False, "Pearson chi-square(P0 || P_theta)"),
    "gan_value": ("gan_value", False, "GAN value V(G, D*) at the optimal discriminator"),
    "w1": ("w1", False, "Wasserstein-1"),
}

#: The quantities :func:`continuous_sweep` computes, with what each is.
CONTINUOUS_QUANTITIES: dict[str, str] = {k: v[2] for k, v in _TABLE.items()}


def _call(module: Any, name: str, p: Any, q: Any) -> Any:
    fn_name, swap, _ = _TABLE[name]
    fn = getattr(module, fn_name)
    a, b = (q, p) if swap else (p, q)
    return fn(a, b, "optimal") if name == "gan_value" else fn(a, b)


class CurveOutsideEnclosure(AssertionError):
    """A fast value that lies outside the certified enclosure widened by its error estimate."""


class ContinuousSweep(NamedTuple):
    """Values of several quantities along a continuous family, with certified bands.

    Attributes:
      family: the family's name.
      thetas: the parameters, shape ``(T,)``.
      values: quantity -> the fast values, shape ``(T,)`` (``inf`` where infinite).
      errors: quantity -> the fast path's error estimates, shape ``(T,)``.
      certified: indices into ``thetas`` of the points certified, shape ``(C,)``.
      lower_bound: quantity -> the certified lower bounds at ``thetas[certified]``, shape ``(C,)``.
      upper_bound: quantity -> the certified upper bounds there.
      methods: quantity -> how the certified path obtained its bounds (at the first point).
      gradients: quantity -> d value / d theta from ``jax.grad``, or None when not asked for.
      exact: the family's closed forms at ``thetas`` (for the quantities it has), or None.
    """

    family: str
    thetas: np.ndarray
    values: dict[str, np.ndarray]
    errors: dict[str, np.ndarray]
    certified: np.ndarray
    lower_bound: dict[str, np.ndarray]
    upper_bound: dict[str, np.ndarray]
    methods: dict[str, str]
    gradients: dict[str, np.ndarray] | None
    exact: dict[str, np.ndarray] | None

    def widest_miss(self, name: str) -> float:
        """How far the fast values lie from the certified band, at worst (0: inside it).

        The distance from each certified point's fast value to the enclosure
        ``[lower_bound, upper_bound]``, the largest over the points; compare it with the error estimates.
        """
        v = self.values[name][self.certified]
        lo, hi = self.lower_bound[name], self.upper_bound[name]
        with np.errstate(invalid="ignore"):
            miss = np.where(v < lo, lo - v, np.where(v > hi, v - hi, 0.0))
        return float(np.nan_to_num(miss, nan=0.0).max(initial=0.0))


@functools.lru_cache(maxsize=32)
def _fast_batch(
    laws: Callable[[ArrayLike], LawPair], names: tuple[str, ...], gradients: bool
) -> Any:
    """One jitted, vmapped program computing every quantity (and its derivative) at all thetas.

    Kept per family and choice of quantities: a second sweep of the same family (the built-in
    constructors return the same family each time) compiles nothing.
    """
    fast = dv.continuous

    def values(theta: jax.Array) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
        p, q = laws(theta)
        results = {name: _call(fast, name, p, q) for name in names}
        return {k: r.value for k, r in results.items()}, {k: r.error for k, r in results.items()}

    def with_derivative(theta: jax.Array) -> tuple[Any, Any, Any]:
        # Forward mode: one scalar input, every quantity's derivative in one pass.
        (v, e), (dv_, _) = jax.jvp(values, (theta,), (jnp.ones_like(theta),))
        return v, e, dv_

    return jax.jit(jax.vmap(with_derivative if gradients else values))


def _certified_indices(n: int, certify: int) -> np.ndarray:
    if certify >= n:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, certify)).astype(int))


def _outside(v: float, e: float, lo: float, hi: float) -> bool:
    """Whether ``v`` lies outside ``[lo - e, hi + e]`` (infinite bounds must be met exactly)."""
    if math.isnan(v) or math.isnan(e):
        return True
    if math.isinf(lo) and lo == hi:  # decided infinite: the fast path must say so
        return v != lo
    return not (lo - e <= v <= hi + e)


def _checked_thetas(family: ContinuousFamily, thetas: ArrayLike) -> np.ndarray:
    """``thetas`` as a float64 array, once it is a non-empty 1-D array inside the family's range.

    The range is met exactly, with no slack: past its ends a family's laws may not exist (a
    scale of 0 or below).

    Raises:
      ValueError: for thetas that are not a non-empty 1-D array of finite numbers, or for one
        outside ``family.theta_range``.
    """
    t = np.asarray(thetas, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or not np.isfinite(t).all():
        raise ValueError("thetas must be a non-empty 1-D array of finite numbers")
    if family.theta_range is not None:
        lo, hi = family.theta_range
        if t.min() < lo or t.max() > hi:
            raise ValueError(
                f"thetas must lie in [{lo:g}, {hi:g}] for the family {family.name!r}; "
                f"got [{t.min():g}, {t.max():g}]"
            )
    return t


class _Band(NamedTuple):
    """One quantity's certified enclosures at some thetas, and the fast values they miss."""

    lower_bound: np.ndarray
    upper_bound: np.ndarray
    method: str  # how the first enclosure was obtained
    misses: list[str]  # one line per fast value outside its widened enclosure


def _certified_band(
    family: ContinuousFamily,
    name: str,
    t: np.ndarray,
    idx: np.ndarray,
    values: np.ndarray,
    errors: np.ndarray,
    check: bool,
) -> _Band:
    """The certified enclosures of quantity ``name`` at ``t[idx]`` (``idx`` not empty).

    With ``check``, each fast value ``values[i]`` (error estimate ``errors[i]``) outside its
    enclosure widened by that estimate is named in the misses, with both results.
    """
    cert = dv.continuous.certified
    lo_b, hi_b = np.empty(idx.size), np.empty(idx.size)
    methods: list[str] = []
    misses: list[str] = []
    for k, i in enumerate(idx):
        p, q = family.laws(float(t[i]))
        enc = _call(cert, name, p, q)
        lo_b[k], hi_b[k] = float(enc.lower_bound), float(enc.upper_bound)
        methods.append(str(enc.method))
        v_i, e_i = float(values[i]), float(errors[i])
        if check and _outside(v_i, e_i, lo_b[k], hi_b[k]):
            misses.append(
                f"{name} at theta = {float(t[i])!r}: fast {v_i!r} +- {e_i:.3g}, "
                f"certified [{lo_b[k]!r}, {hi_b[k]!r}] ({enc.method})"
            )
    return _Band(lo_b, hi_b, methods[0], misses)


def continuous_sweep(
    family: ContinuousFamily,
    thetas: ArrayLike,
    *,
    quantities: Sequence[str] = ("kl", "js", "tv"),
    certify: int = 11,
    gradients: bool = False,
    check: bool = True,
) -> ContinuousSweep:
    r"""Computes ``quantities`` between :math:`P_0` and :math:`P_\theta`, certified at some thetas.

    The fast values are one ``vmap`` of each quantity of :mod:`divergences.continuous` over all
    thetas; the certified enclosures come from ``divergences.continuous.certified`` at
    ``certify`` evenly spread thetas of the sweep (the first and last included), one host call
    each.

    Args:
      family: a :class:`ContinuousFamily`.
      thetas: the parameters, a 1-D array of finite numbers inside ``family.theta_range``.
      quantities: names from :data:`CONTINUOUS_QUANTITIES`.
      certify: how many of the thetas to certify (all of them when at least ``len(thetas)``;
        none when 0).
      gradients: also compute :math:`d/d\theta` of each quantity with ``jax.grad``.
      check: raise :class:`CurveOutsideEnclosure` where a fast value lies outside its
        certified enclosure widened by its error estimate.

    Returns:
      A :class:`ContinuousSweep`.

    Raises:
      ValueError: for an unknown quantity, thetas that are not a non-empty 1-D array of finite
        numbers or lie outside the family's range, or ``certify`` not a non-negative integer.
      CurveOutsideEnclosure: (with ``check``) naming every quantity and theta where the fast
        value misses its enclosure, with both results.
    """
    unknown = [m for m in quantities if m not in _TABLE]
    if unknown:
        raise ValueError(f"quantities: unknown {unknown}; choose from {sorted(_TABLE)}")
    certify = integer_option(certify, "certify", minimum=0)
    t = _checked_thetas(family, thetas)
    names = tuple(quantities)
    out = _fast_batch(family.laws, names, bool(gradients))(jnp.asarray(t))
    values = {k: np.asarray(out[0][k]) for k in names}
    errors = {k: np.asarray(out[1][k]) for k in names}
    grads: dict[str, np.ndarray] = {}
    if gradients:
        grads = {k: np.where(np.isfinite(values[k]), np.asarray(out[2][k]), np.nan) for k in names}

    idx = _certified_indices(t.size, int(certify)) if certify else np.zeros(0, dtype=int)
    lower: dict[str, np.ndarray] = {}
    upper: dict[str, np.ndarray] = {}
    methods: dict[str, str] = {}
    misses: list[str] = []
    if idx.size:
        for name in quantities:
            band = _certified_band(family, name, t, idx, values[name], errors[name], check)
            lower[name], upper[name] = band.lower_bound, band.upper_bound
            methods.setdefault(name, band.method)
            misses += band.misses
    if misses:
        raise CurveOutsideEnclosure(
            f"{family.name}: {len(misses)} fast value(s) outside the certified enclosure "
            "widened by their error estimate:\n  " + "\n  ".join(misses)
        )
    exact = None
    if family.exact is not None:
        exact = {k: v for k, v in family.exact(t).items() if k in quantities}
    return ContinuousSweep(
        family.name,
        t,
        values,
        errors,
        idx,
        lower,
        upper,
        methods,
        grads if gradients else None,
        exact,
    )


def write_continuous_csv(result: ContinuousSweep, fh: Any) -> None:
    """Writes a :class:`ContinuousSweep` as CSV to the open text stream ``fh``.

    Columns: ``theta``; per quantity ``<q>``, ``<q>_error``, ``<q>_lower``, ``<q>_upper`` (the
    certified bounds, empty where the theta was not certified), ``d_<q>`` with gradients and
    ``exact_<q>`` where the family has a closed form.
    """
    import csv

    at = {int(i): k for k, i in enumerate(result.certified)}
    head = ["theta"]
    for q in result.values:
        head += [q, f"{q}_error", f"{q}_lower", f"{q}_upper"]
        if result.gradients is not None:
            head.append(f"d_{q}")
        if result.exact is not None and q in result.exact:
            head.append(f"exact_{q}")
    w = csv.writer(fh)
    w.writerow(head)
    for i, th in enumerate(result.thetas):
        row = [repr(float(th))]
        for q in result.values:
            k = at.get(i)
            row += [repr(float(result.values[q][i])), repr(float(result.errors[q][i]))]
            row += (
                ["", ""]
                if k is None or q not in result.lower_bound
                else [
                    repr(float(result.lower_bound[q][k])),
                    repr(float(result.upper_bound[q][k])),
                ]
            )
            if result.gradients is not None:
                row.append(repr(float(result.gradients[q][i])))
            if result.exact is not None and q in result.exact:
                row.append(repr(float(result.exact[q][i])))
        w.writerow(row)


def sweep_command(args: Any) -> int:
    """``divergences sweep continuous_*``: the sweep of a continuous family, written as CSV.

    ``args`` holds the command's options (``family``, ``start``, ``stop``, ``num``,
    ``quantities``, ``gradients``, ``certify``, ``csv``); the base of the logarithm is not
    offered for these families (nats). Returns the exit status: 0, or 1 when a fast value lies
    outside its certified enclosure (the misses are printed on stderr).
    """
    import sys

    if getattr(args, "base", None) is not None:
        raise ValueError("--base: the continuous families are computed in nats only")
    family = CONTINUOUS_FAMILIES[args.family]()
    thetas = np.linspace(args.start, args.stop, args.num)
    try:
        result = continuous_sweep(
            family,
            thetas,
            quantities=args.quantities,
            certify=args.certify,
            gradients=args.gradients,
        )
    except CurveOutsideEnclosure as exc:  # a failed check: status 1, the misses named
        print(f"divergences sweep: FAILED: {exc}", file=sys.stderr)
        return 1
    if args.csv == "-":
        write_continuous_csv(result, sys.stdout)
    else:
        with open(args.csv, "w", newline="") as fh:
            write_continuous_csv(result, fh)
        print(
            f"{thetas.size} thetas x {len(args.quantities)} quantities of {family.name!r} "
            f"({result.certified.size} certified, all inside their enclosures) written to "
            f"{args.csv}"
        )
    return 0
