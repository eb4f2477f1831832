r"""Building blocks for code written on top of the library.

The harness (:mod:`divergences.testing`), the lab (:mod:`divergences.lab`) and a user's own
divergences, trainers or strategies need a few pieces of the library that are not divergences
themselves: its type aliases, its conversion of input to a floating array, and the finite ends of
an f-GAN generator's conjugate domain. This module is their public name; the modules that define
them are private and may move.

* :data:`ArrayLike`, :data:`Base`, :data:`FloatArray`: the aliases the library's signatures use.
* :func:`as_float_array`: input to a floating array, with the library's dtype rules (integers and
  booleans to the default float, half precision kept, complex or ragged input a ``ValueError``
  naming the argument).
* :func:`conjugate_inner_ends`: the extreme values of a dtype that lie inside the domain of
  :math:`f^*`, where a critic's values may go.
* :func:`integer_option`, :func:`is_integer`, :func:`number_option`, :func:`is_finite_number`,
  :func:`seed_option`, :func:`level_option`: the one check of an integer option (an ``int`` at
  least a minimum, never a bool), of a real one (a finite number above a bound, below another
  where given, never a bool), of a seed and of a coverage level, with the library's messages.
* :class:`Interval`, :func:`interval_contains`: an interval ``[lower_bound, upper_bound]`` and
  its one membership test, elementwise on arrays and under ``jit``, the ends of every result
  that brackets a number.
* A continuous law of your own (``docs/contributing.md``, "A law", follows one through):
  :class:`Law` (the base: a law whose support is bounded, or the default of every hook) and
  :class:`UnboundedLaw` (a law whose support is unbounded on a side, which states its tail
  hooks); the constructor's parameter checks :func:`param`, :func:`finite`, :func:`positive`
  and :func:`check` (the ``ValueError`` naming the parameter and its value, also under
  :func:`divergences.checked`); :class:`Tail` and :func:`empty_tail` (the bounds on a tail);
  :func:`load_flint` and :func:`num` (the ball arithmetic and a parameter as an exact float);
  :func:`centred_piece` and :func:`mean_value` (a tight ball from a loose library function);
  :data:`TIGHTNESS`, the factor of the contract on balls; and the panel marks around a centre
  (:data:`SYM_MARKS`, :data:`SYM_EXP_MARKS`, :data:`SYM_POLY_MARKS`, :data:`EXP_MARKS`,
  :data:`EDGE_MARKS`, :data:`UNIFORM_MARKS`).

Example:
  >>> from divergences.extending import as_float_array
  >>> as_float_array([1, 2], "x").dtype.kind
  'f'
"""

from __future__ import annotations

from typing import Any

from divergences._src.array_types import ArrayLike, Base
from divergences._src.critic import inner_ends
from divergences._src.f_generators import FGenerator
from divergences._src.interval import Interval, interval_contains
from divergences._src.options import (
    integer_option,
    is_finite_number,
    is_integer,
    level_option,
    number_option,
    seed_option,
)
from divergences._src.precision import FloatArray, as_float_array
from divergences.continuous._src.ball import Tail, empty_tail, load_flint, num
from divergences.continuous._src.interface import (
    EDGE_MARKS,
    EXP_MARKS,
    SYM_EXP_MARKS,
    SYM_MARKS,
    SYM_POLY_MARKS,
    TIGHTNESS,
    UNIFORM_MARKS,
    Law,
    UnboundedLaw,
    centred_piece,
    check,
    finite,
    mean_value,
    param,
    positive,
)

__all__ = [
    "EDGE_MARKS",
    "EXP_MARKS",
    "SYM_EXP_MARKS",
    "SYM_MARKS",
    "SYM_POLY_MARKS",
    "TIGHTNESS",
    "UNIFORM_MARKS",
    "ArrayLike",
    "Base",
    "FloatArray",
    "Interval",
    "Law",
    "Tail",
    "UnboundedLaw",
    "as_float_array",
    "centred_piece",
    "check",
    "conjugate_inner_ends",
    "empty_tail",
    "finite",
    "integer_option",
    "interval_contains",
    "is_finite_number",
    "is_integer",
    "level_option",
    "load_flint",
    "mean_value",
    "num",
    "number_option",
    "param",
    "positive",
    "seed_option",
]


def conjugate_inner_ends(generator: FGenerator, dtype: Any) -> tuple[float, float]:
    r"""The extreme values of ``dtype`` inside the domain of the generator's conjugate.

    For the domain :math:`(a, b)` of :math:`f^*` (``generator.conjugate_domain``, each end open
    or closed as ``generator.closed_ends`` says), the ends returned are :math:`a` itself where it
    is closed, else the next value of ``dtype`` above it (a normal number, never a subnormal,
    which XLA on a CPU flushes back onto the end), and likewise below :math:`b`; an infinite end
    stays infinite. A critic clipped to them is a point where :math:`f^*` is finite.

    Args:
      generator: an :class:`divergences.FGenerator`.
      dtype: a floating dtype (``numpy.float32``, ``numpy.float64``...).

    Returns:
      The pair ``(low, high)`` as Python floats exactly representable in ``dtype``.

    Example:
      >>> import numpy as np
      >>> import divergences as dv
      >>> from divergences.extending import conjugate_inner_ends
      >>> low, high = conjugate_inner_ends(dv.generators.REVERSE_KL, np.float64)
      >>> low, high < 0
      (-inf, True)
    """
    return inner_ends(generator, dtype)
