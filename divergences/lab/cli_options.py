"""The command line's option types: each a parser that argparse reports by the option's name."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["at_least", "draws_option", "level_option", "positive_option", "tolerance_option"]


def tolerance_option(text: str) -> float:
    """``--tolerance``: a number >= 0 (an error at most this large passes)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}") from None
    if not value >= 0.0 or value == float("inf"):  # NaN fails the comparison
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def at_least(low: int) -> Callable[[str], int]:
    """An option's type: a whole number >= ``low``, or argparse's error naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number >= {low}, got {text!r}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text}")
        return value

    return parse


def draws_option(text: str) -> int | None:
    """``--w1-draws`` and the like: a whole number >= 2, or ``all`` (None: every draw)."""
    if text.strip().lower() == "all":
        return None
    try:
        return at_least(2)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number >= 2 or 'all', got {text!r}"
        ) from None


def positive_option(text: str) -> float:
    """``--bandwidth``: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (0.0 < value < float("inf")):  # NaN fails the comparison
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def level_option(text: str) -> float:
    """``--level``: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}") from None
    if not 0.0 < value < 1.0:  # NaN fails the comparison
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text}")
    return value
