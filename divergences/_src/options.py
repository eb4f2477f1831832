"""Scalar options checked once: integers and finite numbers, never a bool.

One rule and one message for every integer option of the package (solver caps, thread counts,
histogram bins, the lab's step counts and sizes, the estimators' ``k`` and permutation counts),
one for every seed (:func:`seed_option`), one for every real-valued option (the lab's step
sizes and constraint constants, a kernel's bandwidth, a support's diameter, a clip inside an
interval) and one for every coverage ``level`` (:func:`level_option`): ``True`` is an ``int``
to Python, and ``2.0`` or ``"2"`` are not integers, so each is refused with a ``ValueError``
that names the option, the rule and the value, eagerly. The module imports NumPy only, so that
the host solvers, which know nothing of JAX, use it too.

Example:
  >>> from divergences._src.options import integer_option
  >>> integer_option(3, "steps")
  3
  >>> integer_option(True, "steps")
  Traceback (most recent call last):
  ...
  ValueError: steps must be a positive integer, got True
"""

from __future__ import annotations

import math
import sys
from typing import Any, Literal, overload

import numpy as np

__all__ = [
    "integer_option",
    "is_finite_number",
    "is_integer",
    "level_option",
    "number_option",
    "rtol_option",
    "seed_option",
]


def is_integer(value: Any) -> bool:
    """True for a Python or NumPy integer that is not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def is_finite_number(value: Any) -> bool:
    """True for a Python or NumPy real number, not a bool, that is finite as a float64.

    An integer beyond int64 is one up to float64's largest, 1.8e308; ``10**400`` or a long double
    past that is not, since the option it sets would become ``inf``.
    """
    if is_integer(value):
        return abs(int(value)) <= sys.float_info.max  # int against float compares exactly
    return isinstance(value, float | np.floating) and math.isfinite(float(value))


def _rule(minimum: int) -> str:
    """The rule in words: a positive integer, a non-negative integer, or an integer >= minimum."""
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


@overload
def integer_option(
    value: Any, name: str, *, minimum: int = ..., none: Literal[False] = ..., note: str = ...
) -> int: ...


@overload
def integer_option(
    value: Any, name: str, *, minimum: int = ..., none: bool, note: str = ...
) -> int | None: ...


def integer_option(
    value: Any, name: str, *, minimum: int = 1, none: bool = False, note: str = ""
) -> int | None:
    """``value`` as a Python ``int`` (or None where ``none``), or a ValueError naming ``name``.

    The rule: an integer (:func:`is_integer`) of at least ``minimum``; ``None`` also where
    ``none`` is set, and then returned as it is. The message reads
    ``"{name} must be {rule}[ or None][ ({note})], got {value!r}"``.

    Args:
      value: the option as given.
      name: the option's name, as the caller spells it.
      minimum: the smallest value allowed: 1 (the default) for a positive integer, 0 for a
        non-negative one.
      none: whether ``None`` is allowed (a default chosen elsewhere).
      note: optional, what the option means or what ``None`` stands for, put in parentheses.

    Returns:
      ``int(value)``, or None.

    Raises:
      ValueError: unless ``value`` follows the rule.
    """
    if value is None and none:
        return None
    if not is_integer(value) or value < minimum:
        rule = _rule(minimum) + (" or None" if none else "") + (f" ({note})" if note else "")
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return int(value)


def seed_option(value: Any, name: str = "seed", *, note: str = "") -> int:
    """A seed: :func:`integer_option` with ``minimum=0`` (``"seed must be a non-negative integer"``).

    Args:
      value: the seed as given.
      name: the option's name (``"seed"``).
      note: optional, what the seed draws, put in parentheses.

    Returns:
      ``int(value)``.

    Raises:
      ValueError: unless ``value`` is an integer >= 0, not a bool.
    """
    return integer_option(value, name, minimum=0, note=note)


def _bound(t: float) -> str:
    """A bound in the message: its short form where that reads back exactly (``0.5``), else repr."""
    short = f"{t:g}"
    return short if float(short) == t else repr(t)


def number_option(
    value: Any,
    name: str,
    *,
    above: float | None = 0.0,
    inclusive: bool = False,
    below: float | None = None,
    note: str = "",
) -> float:
    """``value`` as a Python ``float``, or a ValueError naming ``name``.

    The rule: a finite real number, a Python or NumPy one but not a bool, greater than ``above``
    (at least ``above`` where ``inclusive``; no lower bound where ``above`` is None) and, where
    ``below`` is given, less than ``below``. The message reads ``"{name} must be a finite
    number[ > above | >= above | in (above, below) | in [above, below)][ ({note})], got
    {value!r}"``.

    Args:
      value: the option as given.
      name: the option's name, as the caller spells it.
      above: the lower bound: 0 (the default) for a positive number; None for none.
      inclusive: whether ``value == above`` is allowed (0 and ``inclusive`` for a non-negative
        number).
      below: an upper bound, never allowed itself; None (the default) for none.
      note: optional, what the option means, put in parentheses.

    Returns:
      ``float(value)``.

    Raises:
      ValueError: unless ``value`` follows the rule.

    Example:
      >>> number_option(0.5, "clip")
      0.5
      >>> number_option(0, "gp_weight", inclusive=True)
      0.0
      >>> number_option(float("inf"), "clip")
      Traceback (most recent call last):
      ...
      ValueError: clip must be a finite number > 0, got inf
    """
    ok = is_finite_number(value)
    if ok and above is not None:
        ok = value >= above if inclusive else value > above
    if ok and below is not None:
        ok = value < below
    if not ok:
        if below is not None:
            low = "(-inf" if above is None else ("[" if inclusive else "(") + _bound(above)
            rule = f" in {low}, {_bound(below)})"
        else:
            rule = "" if above is None else f" {'>=' if inclusive else '>'} {_bound(above)}"
        raise ValueError(
            f"{name} must be a finite number{rule}{f' ({note})' if note else ''}, got {value!r}"
        )
    return float(value)


def level_option(value: Any, name: str = "level", *, note: str = "") -> float:
    """A coverage level or a probability: a finite number in ``(0, 1)``, as a ``float``.

    :func:`number_option` with ``above=0`` and ``below=1``; the message reads ``"level must be a
    finite number in (0, 1)[ ({note})], got {value!r}"``.

    Args:
      value: the level as given.
      name: the option's name (``"level"``).
      note: optional, what the level is the coverage of, put in parentheses.

    Returns:
      ``float(value)``.

    Raises:
      ValueError: unless ``0 < value < 1``, a real number, not a bool.

    Example:
      >>> level_option(0.95)
      0.95
      >>> level_option(1, note="the interval's coverage")
      Traceback (most recent call last):
      ...
      ValueError: level must be a finite number in (0, 1) (the interval's coverage), got 1
    """
    return number_option(value, name, above=0.0, below=1.0, note=note)


def rtol_option(
    value: Any, name: str = "rtol", *, zero: bool = False, default: float | None = None
) -> float:
    """A relative tolerance, the one rule of every ``rtol`` of the package, as a ``float``.

    :func:`number_option` with ``above=0`` and ``below=1``: a finite number in ``(0, 1)``, or in
    ``[0, 1)`` where ``zero`` (a W1 solver's ``rtol``, where 0 asks for the exact optimum); the
    message reads ``"rtol must be a finite number in (0, 1), got {value!r}"``. Where ``default``
    is given, None stands for it (an options record's field left to the method).

    Args:
      value: the tolerance as given.
      name: the option's name (``"rtol"``).
      zero: whether 0 is allowed.
      default: the value None stands for; None (the default) where None is refused.

    Returns:
      ``float(value)``, or ``default`` for None.

    Raises:
      ValueError: unless the value follows the rule.

    Example:
      >>> rtol_option(1e-6)
      1e-06
      >>> rtol_option(None, zero=True, default=1e-9)
      1e-09
      >>> rtol_option(1.0)
      Traceback (most recent call last):
      ...
      ValueError: rtol must be a finite number in (0, 1), got 1.0
    """
    if value is None and default is not None:
        return default
    return number_option(value, name, above=0.0, inclusive=zero, below=1.0)
