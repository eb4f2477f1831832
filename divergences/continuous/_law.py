r"""The base of the continuous laws: a pytree with checked parameters, and the shared panel marks.

:class:`Law` registers each subclass with JAX (its ``_fields`` are the leaves), makes it
immutable and compares it by value; it names the public surface (``log_prob``, ``prob``,
``cdf``, ``sf``, ``support``, ``sample``) and the private hints the fast path's quadrature reads
(``_breakpoints``, ``_tails``, ``_components``). The parameter checks raise ``ValueError`` naming
the argument for concrete values and are :func:`divergences.checked`'s under a trace. The marks
are the panel ends, in units of a law's scale, that the families of
:mod:`divergences.continuous.laws` place around their centres and ends.
"""

from __future__ import annotations

import operator
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from divergences._src.errors import is_traced, require

__all__ = [
    "EDGE_MARKS",
    "EXP_MARKS",
    "SYM_EXP_MARKS",
    "SYM_MARKS",
    "SYM_POLY_MARKS",
    "UNIFORM_MARKS",
    "Law",
    "check",
    "finite",
    "param",
    "positive",
    "sample_shape",
    "standardised",
]


def param(x: Any, name: str) -> Any:
    """A parameter as a leaf: traced values as they are, concrete ones as float64 NumPy arrays."""
    if is_traced(x):
        return jnp.asarray(x)
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {x!r}") from None
    return arr


def check(ok: Any, message: str) -> None:
    require(ok, message)


def finite(x: Any, name: str) -> None:
    xp = jnp if is_traced(x) else np
    check(xp.isfinite(x), f"{name} must be finite")


def positive(x: Any, name: str, what: str) -> None:
    xp = jnp if is_traced(x) else np
    check(xp.isfinite(x) & (x > 0), f"{name} must be finite and > 0 ({what})")


class Law:
    """Base of the laws: a pytree whose leaves are the fields named in ``_fields``.

    Subclasses are registered with JAX on definition; they define ``log_prob``, ``cdf``,
    ``support`` and the private layout hints the quadrature of :mod:`divergences.continuous.fast`
    reads (``_breakpoints``, ``_tails``).
    """

    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

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
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            if isinstance(v, np.ndarray) and v.ndim == 0:
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

    def log_prob(self, x: Any) -> jax.Array:
        """The log-density at ``x`` (``-inf`` off the support), elementwise."""
        raise NotImplementedError

    def prob(self, x: Any) -> jax.Array:
        """The density at ``x`` (0 off the support), elementwise."""
        return jnp.exp(self.log_prob(x))

    def cdf(self, x: Any) -> jax.Array:
        r"""The distribution function :math:`F(x) = P(X \le x)`, elementwise."""
        raise NotImplementedError

    def sf(self, x: Any) -> jax.Array:
        r"""The survival function :math:`1 - F(x) = P(X > x)`, accurate in the right tail."""
        return 1 - self.cdf(x)

    def support(self) -> tuple[Any, Any]:
        """The hull ``(lo, hi)`` of the support; ends may be ``-inf``/``inf``."""
        raise NotImplementedError

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

    def _draw(self, key: Any, shape: tuple[int, ...]) -> jax.Array:
        """The draws of :meth:`sample` for a checked ``shape``: each family names its sampler."""
        raise NotImplementedError

    # --- hints for the quadrature (private) --------------------------------------------------

    def _breakpoints(self) -> jax.Array:
        """Points where the density changes behaviour (centres, ends, scale marks): panel ends."""
        raise NotImplementedError

    def _tails(self) -> tuple[tuple[str, Any], tuple[str, Any]]:
        r"""The decay class of the density on the left and on the right: ``(kind, parameter)``.

        ``kind`` is static: ``"none"`` (bounded on that side), ``"gauss"`` (parameter: the scale
        of :math:`e^{-x^2/(2\sigma^2)}`), ``"exp"`` (the scale of :math:`e^{-|x|/b}`) or
        ``"poly"`` (the ``df`` of :math:`|x|^{-(\nu + 1)}`).
        """
        raise NotImplementedError

    def _components(self) -> tuple[tuple[Any, Law], ...]:
        """``((weight, law), ...)``: the law itself with weight 1, or a mixture's components."""
        return ((jnp.ones(()), self),)


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


def standardised(law: Any, x: Any) -> jax.Array:
    return (jnp.asarray(x) - law.loc) / law.scale
