r"""Ball arithmetic for the laws: the optional python-flint import and what the families share.

python-flint belongs to the ``certified`` extra: it is imported here, guarded, so that the laws
and the fast path import without it; every certified function first calls :func:`require_flint`,
which imports it again at the call and raises the ``ImportError`` that says how to install it. A law's certified methods take its float parameters as
exact binary numbers (:func:`num`) and return Arb balls (Johansson 2017).

References:
  F. Johansson, *Arb: efficient arbitrary-precision midpoint-radius interval arithmetic*, IEEE
  Trans. Computers 66 (2017).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

_flint: Any
try:  # python-flint is optional (the ``certified`` extra): the fast path never needs it
    import flint as _flint
except ImportError:  # pragma: no cover - depends on the environment
    _flint = None

flint: Any = _flint
arb: Any = None if _flint is None else _flint.arb
acb: Any = None if _flint is None else _flint.acb

__all__ = [
    "Tail",
    "acb",
    "arb",
    "ball_exp",
    "empty_tail",
    "flint",
    "load_flint",
    "num",
    "require_flint",
    "t_constant",
]


def require_flint() -> Any:
    """The python-flint module, or an ``ImportError`` saying how to install it."""
    try:
        # At the call, not only at the top: python-flint is an optional dependency (the
        # ``certified`` extra), and a missing one is named when the certified path is asked for.
        import flint as module
    except ImportError:
        raise ImportError(
            "divergences.continuous.certified needs python-flint: pip install "
            "'divergences[certified]'"
        ) from None
    return module


def load_flint() -> Any:
    """python-flint, or the ``ImportError`` that says how to install it (the ``certified`` extra)."""
    return require_flint()


def num(x: Any) -> float:
    """A parameter leaf as a Python float (exact: the float64 the law holds)."""
    return float(np.asarray(x, dtype=np.float64))


class Tail(NamedTuple):
    r"""Bounds on a law's right tail ``[t, inf)``.

    Attributes:
      m0: an upper bound of :math:`\int_t^\infty p`.
      m1: an upper bound of :math:`\int_t^\infty x p` (``inf`` without first moment).
      m2: an upper bound of :math:`\int_t^\infty x^2 p` (``inf`` without second moment).
      mlog: an upper bound of :math:`\int_t^\infty \log(x) p`.
      envelope: ``(c0, c1, c2, c3)``, all >= 0, with
        :math:`-\log p(x) \le c_0 + c_1 x + c_2 x^2 + c_3 \log x` on the tail.
      log_max: the logarithm of an upper bound of the density.
    """

    m0: Any
    m1: Any
    m2: Any
    mlog: Any
    envelope: tuple[Any, Any, Any, Any]
    log_max: Any


def empty_tail() -> Tail:
    """The tail of a law without mass there: every moment 0."""
    zero = arb(0)
    return Tail(zero, zero, zero, zero, (zero, zero, zero, zero), -arb("inf"))


def t_constant(nu: Any) -> Any:
    r""":math:`\Gamma((\nu+1)/2) / (\sqrt{\nu\pi}\,\Gamma(\nu/2))`: Student's density at its centre."""
    return ((nu + 1) / 2).gamma() / ((nu * arb.pi()).sqrt() * (nu / 2).gamma())


def ball_exp(v: Any) -> Any:
    return v.exp()
