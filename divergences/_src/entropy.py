r"""Shannon entropy and cross-entropy of discrete distributions."""

from __future__ import annotations

import functools

import jax

from divergences._src.array_types import ArrayLike, Base
from divergences._src.domain import check_base, check_pmf, on_pmf_pair
from divergences._src.log_sums import cross_entropy_sum, entropy_sum
from divergences._src.numerics import log_of_base
from divergences._src.precision import keeps_input_precision

__all__ = ["cross_entropy", "entropy"]


@keeps_input_precision
def entropy(p: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Shannon entropy :math:`H(p) = -\sum_i p_i \log p_i`.

    Convention: :math:`0 \log 0 = 0`; zero-mass entries add nothing to the value or the gradient.
    ``0 <= H(p) <= log n`` (n masses) for every accepted input: masses accepted within the sum
    tolerance ``t`` (used as they are) could leave that range by about ``t (1 + log n)``, and the
    value is moved back into it.

    Args:
      p: probability masses along ``axis``; other axes broadcast.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      The entropy, with ``axis`` reduced.

    References:
      Shannon, *A Mathematical Theory of Communication*, 1948; Cover & Thomas, *Elements of
      Information Theory*, 2nd ed., 2006, eq. (2.1).

    Example:
      >>> import divergences as dv
      >>> float(dv.entropy([0.5, 0.5], base=2))
      1.0
    """
    check_base(base)
    p = check_pmf(p, "p", axis=axis)
    return _entropy(p, log_of_base(base, p.dtype), axis=axis)


@functools.partial(jax.jit, static_argnames="axis")
def _entropy(p: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    return entropy_sum(p, axis) / log_base


@keeps_input_precision
def cross_entropy(p: ArrayLike, q: ArrayLike, *, base: Base = None, axis: int = -1) -> jax.Array:
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i = H(p) + \mathrm{KL}(p \,\|\, q)`.

    Convention: terms with :math:`p_i = 0` are 0; :math:`p_i > 0 = q_i` gives :math:`+\infty`.
    Range: :math:`H(p, q) \ge H(p)` (Gibbs' inequality) for every accepted input: for masses
    accepted within the sum tolerance ``t`` the sum could fall below :func:`entropy` by about
    ``2t``, and the value is then :func:`entropy`'s.
    Gradients: :math:`-\log q_i` in :math:`p_i` (also at :math:`p_i = 0`, the function being
    linear in p; 0 where :math:`p_i = q_i = 0`) and :math:`-p_i / q_i` in :math:`q_i`.

    Args:
      p: the distribution the expectation is taken under.
      q: the model distribution inside the logarithm.
      base: logarithm base; ``None`` for nats, ``2`` for bits.
      axis: the axis holding the masses.

    Returns:
      The cross-entropy, with ``axis`` reduced.

    References:
      Cover & Thomas, *Elements of Information Theory*, 2nd ed., 2006, sec. 2.3.

    Example:
      >>> import divergences as dv
      >>> p, q = [0.5, 0.5], [0.9, 0.1]
      >>> bool(abs(dv.cross_entropy(p, q) - (dv.entropy(p) + dv.kl(p, q))) < 1e-6)
      True
    """
    check_base(base)
    return on_pmf_pair(
        _cross_entropy, p, q, axis=axis, extra=lambda dtype: (log_of_base(base, dtype),)
    )


@functools.partial(jax.jit, static_argnames="axis")
def _cross_entropy(p: jax.Array, q: jax.Array, log_base: jax.Array, *, axis: int) -> jax.Array:
    return cross_entropy_sum(p, q, axis) / log_base
