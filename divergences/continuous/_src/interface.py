r"""What a continuous law is: the base class whose methods the fast and the certified paths call.

:class:`Law` registers each subclass with JAX (its ``_fields`` are the leaves), makes it
immutable and compares it by value. It names everything a family states about itself, so that the
quadrature, the tail decisions, the ball-arithmetic integrator and the certified W1 call methods
and never ask a law for its type:

* the public surface, in JAX: ``log_prob``, ``prob``, ``cdf``, ``sf``, ``support``, ``sample``
  (through ``_draw``);
* for the fast path: ``_breakpoints`` (panel ends), ``_tails`` (the decay class of each tail),
  ``_end_exponents`` (the power of the density at its support's finite ends), ``_power_tail``
  (the constant of a tail without first moment), ``_affine`` (the law of :math:`sX + t`),
  ``_components``;
* for the certified path, in ball arithmetic (python-flint, see
  :mod:`divergences.continuous._src.ball`): ``_ball_log_density``, ``_ball_density_max``,
  ``_ball_cdf`` (at a real ball) and ``_ball_cdf_piece`` (an analytic function on a piece),
  ``_ball_mass`` and ``_ball_strips`` (a bound of the mass on a stretch, the stretches at the
  ends of the support that are bounded rather than integrated), ``_ball_envelope`` (the density
  between two multiples of a power of the distance to an end, on such a stretch), ``_ball_marks`` (where the
  integrator cuts the line), ``_ball_tail``, ``_ball_tail_start``,
  ``_ball_truncation`` (bounds on a tail, where they hold, where the tail is negligible),
  ``_ball_kl_closed_form``, ``_ball_chi_square_closed_form``, ``_ball_tv_closed_form`` and
  ``_ball_w1_closed_form``.

What every law must state is declared abstract (:mod:`abc`): a class that leaves one out cannot be
instantiated, so a new family fails where it is written, not when a certified call reaches it.
The abstract methods are the JAX surface (``log_prob``, ``cdf``, ``support``, ``_draw``), the
fast path's layout (``_breakpoints``, ``_tails``, ``_affine``), the ball arithmetic every
certified integral evaluates (``_ball_log_density``, ``_ball_cdf``, ``_ball_cdf_piece``) and
``_examples`` (two laws of the family, on which the shared law suite,
``tests/continuous/test_law_contract.py``, runs every check). The other hooks are concrete and
their defaults describe a law without the property: no power tail, no closed form, an unbounded
density, tails empty beyond finite ends (a law with an unbounded side states its own).

Ball arithmetic must be tight, since the integrator's error bounds grow with the radius of what a
law returns: for a ball ``x`` of radius ``r`` about ``m`` (real for ``_ball_cdf``, complex for
``_ball_cdf_piece`` and ``_ball_log_density``) the output's radius is at most
``TIGHTNESS * r * |f'(m)|`` plus a rounding of ``2**(8 - prec) * (1 + |f(m)|)`` (``prec`` the
working precision, ``f`` the function evaluated), for ``r`` up to ``1e-8`` of the law's scale. A
library function whose own bound is looser (Arb's incomplete gamma on a complex ball) is used at
the ball's centre, an exact point, and the mean value theorem adds ``r`` times the derivative's
bound over the ball (:func:`mean_value`). The parameter checks raise ``ValueError`` naming the argument for concrete values and are
:func:`divergences.checked`'s under a trace. The marks are the panel ends, in units of a law's
scale, that the families place around their centres and ends.
"""

from __future__ import annotations

import abc
import inspect
import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced, require
from divergences._src.float16 import widen_half
from divergences.continuous._src import ball
from divergences.continuous._src.ball import Tail

__all__ = [
    "EDGE_MARKS",
    "EXP_MARKS",
    "SYM_EXP_MARKS",
    "SYM_MARKS",
    "SYM_POLY_MARKS",
    "TAIL_ORDER",
    "TIGHTNESS",
    "UNIFORM_MARKS",
    "Law",
    "UnboundedLaw",
    "centred_piece",
    "check",
    "exact_components",
    "finite",
    "mean_value",
    "param",
    "positive",
    "recheck",
    "sample_shape",
    "support_floats",
]


def param(x: Any, name: str) -> Any:
    """A parameter as a leaf: traced values as they are, concrete ones as float64 NumPy arrays.

    A traced float16 becomes float32 by its bits (:mod:`divergences._src.float16`): XLA's own
    conversion, and float16 arithmetic, do not compile on a CPU without F16C.
    """
    if is_traced(x):
        x = jnp.asarray(x)
        return widen_half(x) if x.dtype == jnp.float16 else x
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {x!r}") from None
    return arr


def check(ok: Any, message: str, **values: Any) -> None:
    """A parameter rule: ``message`` (its ``{field}`` placeholders filled from ``values``)."""
    require(ok, message, **values)


def finite(x: Any, name: str) -> None:
    """``name`` must be finite: the message names the parameter and its value."""
    xp = jnp if is_traced(x) else np
    check(xp.isfinite(x), f"{name} must be finite, got {{value}}", value=x)


def positive(x: Any, name: str, what: str) -> None:
    """``name`` must be finite and > 0 (``what`` it is): the message names it and its value."""
    xp = jnp if is_traced(x) else np
    check(
        xp.isfinite(x) & (x > 0), f"{name} must be finite and > 0 ({what}), got {{value}}", value=x
    )


def recheck(law: Law, name: str) -> None:
    """Runs ``law``'s constructor again on its fields: every parameter check, whatever built it.

    A law rebuilt by :func:`jax.tree_util.tree_map` (or any pytree transformation) is made
    without its constructor, so its parameters were never checked. The contract says that a
    law's constructor takes its ``_fields`` as keywords, so the law's own checks run again here,
    with their own messages (the parameter and its value), a note naming the argument
    ``name``; a mixture's components first. A law its constructor built (marked by
    :meth:`Law._set`) has had them, and is passed over. On concrete parameters they raise at once; on
    traced ones they are the checks of :func:`divergences.checked`, as in the constructor.
    """
    try:
        for value in (getattr(law, f) for f in law._fields):
            for part in value if isinstance(value, tuple) else (value,):
                if isinstance(part, Law):
                    recheck(part, name)
        if not getattr(law, "_constructed", False):
            type(law)(**{f: getattr(law, f) for f in law._fields})
    except ValueError as err:
        err.add_note(f"in {name} = {law!r}")
        raise


# The factor of the contract on ball arithmetic (the module's docstring): an output's radius is at
# most this multiple of the input's radius times the derivative, plus rounding.
TIGHTNESS = 4.0


class Law(abc.ABC):
    """Base of the laws: a pytree whose leaves are the fields named in ``_fields``.

    Subclasses are registered with JAX on definition. The abstract methods are what a law must
    state (a class missing one raises ``TypeError`` when instantiated); the concrete hooks have
    defaults that say "not known" (see the module's docstring).
    """

    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_fields(cls)

        def flatten(law: Law) -> tuple[tuple[Any, ...], None]:
            return tuple(getattr(law, f) for f in cls._fields), None

        def unflatten(_: None, children: Any) -> Law:
            law = object.__new__(cls)
            for f, c in zip(cls._fields, children, strict=True):
                object.__setattr__(law, f, c)
            return law

        jax.tree_util.register_pytree_node(cls, flatten, unflatten)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **values: Any) -> None:
        """Sets the fields of a law being built: the one way a constructor stores them.

        A law is immutable (``__setattr__`` raises), so its constructor checks its parameters
        (:func:`param`, :func:`finite`, :func:`positive`, :func:`check`) and ends with
        ``self._set(name=value, ...)``, one keyword per name of ``_fields``.
        """
        unknown = sorted(set(values) - set(self._fields))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}._set: {', '.join(unknown)} not among its _fields "
                f"{self._fields}"
            )
        for k, v in values.items():
            object.__setattr__(self, k, v)
        # Built by its constructor, whose checks ran: recheck need not run them again (a law
        # unflattened by jax.tree_util is made without it, and without this mark).
        object.__setattr__(self, "_constructed", True)

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            if isinstance(v, np.ndarray | np.generic) and np.ndim(v) == 0:
                return repr(float(v))
            return repr(v)

        args = ", ".join(f"{f}={show(getattr(self, f))}" for f in self._fields)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        a, b = jax.tree_util.tree_leaves(self), jax.tree_util.tree_leaves(other)
        return len(a) == len(b) and all(
            bool(np.all(np.asarray(x) == np.asarray(y))) for x, y in zip(a, b, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    # --- the public surface ------------------------------------------------------------------

    @abc.abstractmethod
    def log_prob(self, x: Any) -> jax.Array:
        """The log-density at ``x`` (``-inf`` off the support), elementwise."""

    def prob(self, x: Any) -> jax.Array:
        """The density at ``x`` (0 off the support), elementwise."""
        return jnp.exp(self.log_prob(x))

    @abc.abstractmethod
    def cdf(self, x: Any) -> jax.Array:
        r"""The distribution function :math:`F(x) = P(X \le x)`, elementwise."""

    def sf(self, x: Any) -> jax.Array:
        r"""The survival function :math:`1 - F(x) = P(X > x)`, accurate in the right tail."""
        return 1 - self.cdf(x)

    @abc.abstractmethod
    def support(self) -> tuple[Any, Any]:
        """The hull ``(lo, hi)`` of the support; ends may be ``-inf``/``inf``."""

    def sample(self, key: Any, shape: Any = ()) -> jax.Array:
        r"""Independent draws of the law, an array of shape ``shape``, in JAX's default float.

        A standard draw of :mod:`jax.random` carried by the law's location and scale (its ends
        for ``Uniform`` and ``Beta``); a mixture picks a component from the categorical law of
        its weights, then takes that component's draw. The key decides the draws: the same key
        gives the same draws (to a rounding, where XLA fuses the last operations), eagerly,
        under ``jax.jit`` and under ``jax.vmap`` over keys or over a parameter. Split the key
        (``jax.random.split``) for independent samples.

        Args:
          key: a ``jax.random`` key (``jax.random.key(0)`` or ``jax.random.PRNGKey(0)``).
          shape: the sample shape, a tuple of integers >= 0 (an integer ``n`` is ``(n,)``); the
            law's parameters must broadcast to it (scalar parameters always do).

        Returns:
          The draws, float64 where ``jax_enable_x64`` is on.

        Raises:
          ValueError: naming ``shape``, where it is not a shape or the parameters do not
            broadcast to it.

        References:
          Devroye, *Non-Uniform Random Variate Generation*, Springer 1986.

        Example:
          >>> import jax
          >>> from divergences import continuous as dvc
          >>> x = dvc.Normal(2.0, 0.5).sample(jax.random.key(0), (10000,))
          >>> x.shape, bool(abs(float(x.mean()) - 2.0) < 0.02)
          ((10000,), True)
        """
        return self._draw(key, sample_shape(self, shape))

    @abc.abstractmethod
    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        """The draws of :meth:`sample` for a checked ``shape``: each family names its sampler."""

    # --- hints for the quadrature (private) --------------------------------------------------

    @abc.abstractmethod
    def _breakpoints(self) -> jax.Array:
        """Points where the density changes behaviour (centres, ends, scale marks): panel ends."""

    @abc.abstractmethod
    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        r"""The decay class of the density on the left and on the right: ``(kind, parameter)``.

        ``kind`` is static: ``"none"`` (bounded on that side), ``"gauss"`` (parameter: the scale
        of :math:`e^{-x^2/(2\sigma^2)}`), ``"exp"`` (the scale of :math:`e^{-|x|/b}`) or
        ``"poly"`` (the ``df`` of :math:`|x|^{-(\nu + 1)}`).
        """

    def _components(self) -> tuple[tuple[Any, Law], ...]:
        """``((weight, law), ...)``: the law itself with weight 1, or a mixture's components."""
        return ((jnp.ones(()), self),)

    def _end_exponents(self) -> tuple[Any, Any]:
        r"""``(alpha_lo, alpha_hi)``: the density behaves like :math:`|x - e|^\alpha` at each end.

        Only the finite ends of the support are read; a density with a positive finite limit
        there has exponent 0 (the default).
        """
        return jnp.zeros(()), jnp.zeros(())

    def _power_tail(self) -> tuple[Any, Any] | None:
        r"""``(df, K)`` where the survival function of each tail is :math:`\sim K |x|^{-df}`.

        None (the default) for tails lighter than every power.
        """
        return None

    @abc.abstractmethod
    def _affine(self, point: Callable[[Any], Any], width: Callable[[Any], Any]) -> Law:
        """The law of :math:`sX + t` in this family: ``point`` moves a location, ``width`` a scale."""

    # --- the certified path: ball arithmetic (private) ----------------------------------------

    @abc.abstractmethod
    def _ball_log_density(self) -> Callable[[Any, bool], Any]:
        """``(x, analytic) -> log p(x)`` for a complex ball ``x`` inside the support.

        The constants are computed once; ``analytic`` is Arb's flag: where it is set, a branch
        point or a cut inside the ball gives a non-finite result (Johansson 2018).
        """

    def _ball_density_max(self) -> Any:
        """An upper bound of the density, a ball (``inf`` where it is unbounded, the default)."""
        return ball.arb("inf")

    @abc.abstractmethod
    def _ball_cdf(self, x: Any) -> Any:
        """:math:`F(x)` at a real ball ``x``, tight (the module's docstring).

        A family without a distribution function in ball arithmetic declares it here by raising
        ``NotImplementedError`` with its name: the certified W1 refuses it.
        """

    @abc.abstractmethod
    def _ball_cdf_piece(self, x: Any, a: float, b: float, analytic: bool) -> Any:
        """:math:`F(x)` on a piece ``[a, b]`` inside the support, analytic in a complex ball, tight.

        Where ``analytic`` is set and the ball meets a branch point or a cut, a non-finite ball
        (Arb's convention, as :meth:`_ball_log_density`).
        """

    @classmethod
    @abc.abstractmethod
    def _examples(cls) -> tuple[Law, Law]:
        """Two laws of the family, different, on which the shared law suite runs every check."""

    def _ball_mass(self, a: float, b: float) -> Any:
        """A ball whose upper end bounds the mass on ``[a, b]``.

        By the distribution function in ball arithmetic, else the width times the density's bound.
        """
        try:
            return self._ball_cdf(ball.arb(b)) - self._ball_cdf(ball.arb(a))
        except NotImplementedError:
            return ball.arb(b - a) * self._ball_density_max()

    def _ball_strips(self, rtol: float) -> list[tuple[float, float]]:
        """Stretches ``[a, b]`` at the support's ends where the log-density is not analytic.

        The integrator encloses the integral there instead of integrating (by the laws' masses,
        or from their envelopes, :meth:`_ball_envelope`): each strip holds a mass far below
        ``rtol``. None by default.
        """
        return []

    def _ball_envelope(self, end: float, a: float, b: float) -> tuple[Any, Any]:
        r"""``(alpha, c)``: :math:`c_- |x - e|^\alpha \le p(x) \le c_+ |x - e|^\alpha` on ``[a, b]``.

        ``e`` is ``end``, a point outside ``(a, b)``; ``c`` is a ball whose lower and upper ends
        are :math:`c_-` and :math:`c_+`. The default, for a density analytic on ``[a, b]``:
        :math:`\alpha = 0` and the density's range over ``[a, b]`` in ball arithmetic (``[0,
        inf]`` where that range is not finite). A law with a power singularity at ``end`` (a beta
        law) states its own.
        """
        arb = ball.arb
        log_p = self._ball_log_density()(ball.acb(arb(a).union(arb(b))), False).real
        if not log_p.is_finite():
            return arb(0), arb(0).union(arb("inf"))
        return arb(0), log_p.exp()

    def _ball_marks(self) -> list[float]:
        """Where the integrator cuts the line for this law: its finite ends (the default)."""
        return [e for e in support_floats(self) if np.isfinite(e)]

    def _ball_tail_start(self, *, left: bool) -> float:
        """The smallest ``t`` at which :meth:`_ball_tail` holds (``left``: for ``(-inf, -t]``).

        The default: the support's end on that side (tails beyond finite ends are empty). A law
        whose support is unbounded on that side derives from :class:`UnboundedLaw`, which
        declares its tail hooks; one that does not is refused here, naming it and the hooks.
        """
        lo, hi = support_floats(self)
        end = -lo if left else hi
        if not math.isfinite(end):
            raise TypeError(
                f"{self!r} has an unbounded {'left' if left else 'right'} side (support "
                f"[{lo}, {hi}]) but derives from Law, whose tails are empty past finite ends: "
                "derive it from UnboundedLaw and state _ball_tail_start, _ball_tail and "
                "_ball_truncation"
            )
        return end

    def _ball_tail(self, t: float, *, left: bool) -> Tail:
        """Bounds on ``[t, inf)`` (``left``: on ``(-inf, -t]``), for ``t >= _ball_tail_start``.

        The default: empty past a finite end of the support; a law with an unbounded side
        overrides it (the ``ValueError`` names the law otherwise).
        """
        if t >= self._ball_tail_start(left=left):
            return ball.empty_tail()
        raise ValueError(f"no tail bounds for {self!r} at {t}")

    def _ball_truncation(self, rtol: float, *, left: bool) -> float:
        """A point of the tail (``left``: mirrored) past which its mass is far below ``rtol``."""
        return self._ball_tail_start(left=left)

    def _shift_parts(self) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """``(locations, others)``: the parameters a shift of the law moves, and the rest.

        As exact floats: two laws of one family whose ``others`` are equal and whose
        ``locations`` all differ by one ``t`` are shifts of each other by ``t`` (their W1 is
        :math:`|t|`). None (the default): no shift is known.
        """
        return None

    def _ball_kl_closed_form(self, other: Law) -> Any:
        r""":math:`\mathrm{KL}(self \| other)` as a ball where a closed form applies, else None."""
        return None

    def _ball_tv_closed_form(self, other: Law) -> Any:
        r"""The total variation of ``self`` and ``other`` as a ball where a closed form applies, else None."""
        return None

    def _ball_w1_closed_form(self, other: Law) -> Any:
        r""":math:`W_1(self, other)` as a ball where a closed form applies, else None."""
        return None

    def _ball_chi_square_closed_form(self, other: Law) -> Any:
        r""":math:`\chi^2(self, other)` as a ball where a closed form applies, else None.

        Called once the value is known to be finite.
        """
        return None


def _check_fields(cls: type) -> None:
    """The contract checked when a law's class is defined: its constructor takes its fields.

    ``_fields`` is a tuple of names, and ``__init__`` takes each as a parameter of that name,
    so that a law rebuilt without its constructor (``jax.tree_util``) can be checked again by
    it (:func:`recheck`).

    Raises:
      TypeError: naming the class and the fields its constructor does not take.
    """
    fields = cls.__dict__.get("_fields")
    if fields is None:
        return
    if not (isinstance(fields, tuple) and all(isinstance(f, str) for f in fields)):
        raise TypeError(f"{cls.__name__}._fields must be a tuple of names, got {fields!r}")
    init: Any = cls.__init__  # type: ignore[misc]  # the class's own constructor, read unbound
    params = inspect.signature(init).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    missing = [f for f in fields if f not in params]
    if missing:
        raise TypeError(
            f"{cls.__name__}.__init__ must take its _fields as parameters of the same names "
            f"(a law rebuilt by jax.tree_util is checked again by its constructor); it does "
            f"not take {', '.join(missing)}"
        )


class UnboundedLaw(Law):
    """Base of the laws whose support is unbounded on a side: their tail hooks are declared.

    The certified integrals cut the line at a truncation point on each unbounded side and bound
    the tail beyond it; such a law states where its tail bounds begin, the bounds themselves and
    that point (abstract here: a class that leaves one out raises ``TypeError`` when
    instantiated). A side that is bounded (an exponential law's left one) answers with the
    default of :class:`Law`: ``super()``'s, tails empty past the finite end.
    """

    @abc.abstractmethod
    def _ball_tail_start(self, *, left: bool) -> float:
        """The smallest ``t`` at which :meth:`_ball_tail` holds (``left``: for ``(-inf, -t]``).

        Here, for ``super()`` on a bounded side: :class:`Law`'s, the support's finite end.
        """
        return super()._ball_tail_start(left=left)

    @abc.abstractmethod
    def _ball_tail(self, t: float, *, left: bool) -> Tail:
        """Bounds on ``[t, inf)`` (``left``: on ``(-inf, -t]``), for ``t >= _ball_tail_start``.

        Here, for ``super()`` on a bounded side: :class:`Law`'s, empty past the finite end.
        """
        return super()._ball_tail(t, left=left)

    @abc.abstractmethod
    def _ball_truncation(self, rtol: float, *, left: bool) -> float:
        """A point of the tail (``left``: mirrored) past which its mass is far below ``rtol``.

        Here, for ``super()`` on a bounded side: :class:`Law`'s, the support's finite end.
        """
        return super()._ball_truncation(rtol, left=left)


MARKS = np.array([0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 40.0])
SYM_MARKS = np.concatenate([-MARKS[:0:-1], MARKS])
EXP_MARKS = np.concatenate([[0.0], 2.0 ** np.arange(-3, 11)])  # up to 1024 scales: e^-1024
SYM_EXP_MARKS = np.concatenate([-EXP_MARKS[:0:-1], EXP_MARKS])
POLY_MARKS = np.concatenate([[0.0], 2.0 ** np.arange(-2, 21)])
SYM_POLY_MARKS = np.concatenate([-POLY_MARKS[:0:-1], POLY_MARKS])
EDGE_MARKS = np.concatenate(
    [[0.0], 2.0 ** -np.arange(120, 0, -2.0), [0.5], 1 - 2.0 ** -np.arange(2, 53, 2.0), [1.0]]
)
UNIFORM_MARKS = np.linspace(0.0, 1.0, 5)
# The decay classes of ``Law._tails``, lightest first.
TAIL_ORDER = {"none": 0, "gauss": 1, "exp": 2, "poly": 3}


def mean_value(at_centre: Any, derivative: Any, x: Any) -> Any:
    r"""A tight ball of :math:`f(x)` from :math:`f` at the centre and :math:`|f'|` over the ball.

    :math:`|f(x) - f(m)| \le |x - m| \sup |f'|` along the segment (the mean value inequality,
    which holds for analytic functions of a complex variable), so the output's radius is the
    rounding of ``at_centre`` plus ``r`` times the bound: the contract of the module's docstring,
    for a function whose library bound on a wide ball is loose.

    Args:
      at_centre: :math:`f` at the exact centre of ``x``, a complex ball.
      derivative: :math:`f'` over the whole ball ``x``, a complex ball.
      x: the complex ball.
    """
    r = ball.arb(x.real.rad()).max(ball.arb(x.imag.rad())) * ball.arb(2).sqrt()
    bound = abs(derivative).upper() * r
    if not bound.is_finite():
        return ball.acb("nan")
    return at_centre + ball.acb(ball.arb(0, bound), ball.arb(0, bound))


def centred_piece(law: Law, x: Any, analytic: bool, at_point: Callable[[Any], Any]) -> Any:
    """A law's distribution function on a complex ball ``x``, tight by :func:`mean_value`.

    ``at_point`` evaluates it at the ball's exact centre; the density over the ball (the law's
    :meth:`Law._ball_log_density`, with ``analytic``) bounds its derivative.
    """
    centre = ball.acb(x.real.mid(), x.imag.mid())
    return mean_value(at_point(centre), law._ball_log_density()(x, analytic).exp(), x)


def support_floats(law: Law) -> tuple[float, float]:
    """The support ``[lo, hi]`` of a law as exact floats (``-inf``/``inf`` allowed)."""
    lo, hi = law.support()
    return ball.num(lo), ball.num(hi)


def exact_components(law: Law) -> list[tuple[float, Law]]:
    """``[(weight, component)]`` of a law (itself with weight 1), weights as exact floats."""
    return [(ball.num(w), c) for w, c in law._components()]


def sample_shape(law: Law, shape: Any) -> tuple[int, ...]:
    """``shape`` as a tuple of integers >= 0 to which ``law``'s parameters broadcast."""
    dims = (shape,) if isinstance(shape, int | np.integer) else shape
    try:
        dims = tuple(operator.index(s) for s in dims)
    except TypeError:
        raise ValueError(f"shape must be a tuple of integers >= 0, got {shape!r}") from None
    if any(s < 0 for s in dims):
        raise ValueError(f"shape must be a tuple of integers >= 0, got {shape!r}")
    leaves = [leaf for _, c in law._components() for leaf in jax.tree_util.tree_leaves(c)]
    try:
        joint = np.broadcast_shapes(dims, *(np.shape(leaf) for leaf in leaves))
    except ValueError:
        joint = None
    if joint != dims:
        raise ValueError(
            f"shape must be one the law's parameters broadcast to, got {shape!r} for {law!r}"
        )
    return dims
