"""The input rules of the estimates from samples: one message per rule, naming the argument.

The estimates run on the host (NumPy, SciPy, the package's exact solvers) with XLA kernels
inside, so every rule is checked eagerly, before any work, and raises a ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "alpha_of",
    "as_samples",
    "check_at_least",
    "check_positive_number",
    "not_text",
    "sample_pair",
]


def as_samples(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array of shape ``(n, d)``: ``(n,)`` is read as ``n`` points of the line.

    Raises:
      ValueError: naming ``name``, where ``x`` is not real, has another number of axes than one
        or two, holds no point or no coordinate, or holds ``NaN`` or ``inf`` (the count given).
    """
    try:
        arr = np.asarray(x)
    except Exception as err:  # a ragged list, an object that is no array
        raise ValueError(
            f"{name} must be an array of draws of shape (n, d) or (n,): {err}"
        ) from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise ValueError(f"{name} must hold real numbers (draws), got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, d) (n draws in d dimensions) or (n,) on the line, "
            f"got shape {np.shape(x)}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must hold at least one draw of at least one coordinate, got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
    if bad:
        raise ValueError(
            f"{name} must be finite: {bad} of its {arr.shape[0]} draws hold NaN or inf"
        )
    return arr


def sample_pair(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both samples as ``(n, d)`` and ``(m, d)`` float64 arrays of one dimension ``d``.

    Raises:
      ValueError: as :func:`as_samples`, or where ``x`` and ``y`` differ in dimension.
    """
    xs, ys = as_samples(x, "x"), as_samples(y, "y")
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(
            f"x and y must be draws in one dimension: x has {xs.shape[1]} coordinates a draw, "
            f"y has {ys.shape[1]}"
        )
    return xs, ys


def not_text(value: Any) -> Any:
    """``value``, or a TypeError for text: ``float("0.5")`` parses, but a string is no number."""
    if isinstance(value, (str, bytes)):
        raise TypeError("text is not a number")
    return value


def alpha_of(level: Any) -> float:
    """``1 - level`` for a ``level`` strictly between 0 and 1.

    Raises:
      ValueError: naming ``level`` where it is not a real number in ``(0, 1)``.
    """
    try:
        value = float(not_text(level))
    except (TypeError, ValueError):
        raise ValueError(f"level must be a number in (0, 1), got {level!r}") from None
    if isinstance(level, bool) or not 0.0 < value < 1.0:
        raise ValueError(
            f"level must be a number in (0, 1) (the interval's coverage), got {level!r}"
        )
    return 1.0 - value


def check_at_least(count: int, minimum: int, name: str, why: str) -> None:
    """Raises a ValueError naming ``name`` where it holds fewer than ``minimum`` draws."""
    if count < minimum:
        raise ValueError(f"{name} must hold at least {minimum} draws ({why}), got {count}")


def check_positive_number(value: Any, name: str, what: str) -> float:
    """``value`` as a float where it is a finite number above 0, else a ValueError naming it."""
    try:
        number = float(not_text(value))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0 ({what}), got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(number) and number > 0.0):
        raise ValueError(f"{name} must be a finite number > 0 ({what}), got {value!r}")
    return number
