"""The files ``divergences estimate`` reads: draws (``.npy``, ``.csv``) and references (``.npz``).

A file of draws holds one draw a row. It is checked before any estimate runs, and an array that
is probably not what its writer meant is refused with a message naming the file and the rule: an
empty or truncated file, more coordinates than draws where there are too few draws for FD
(fewer than :data:`LEAST_WIDE_DRAWS`: a transposed array; ``allow_wide`` passes it), NaN or inf
entries. Fewer draws than coordinates otherwise is a common quick evaluation (2000 draws of
2048 Inception features): it is read, and said; FD's row says what its claim holds there.
Integer features are converted to float64, and the reading says so. A ``.npz`` is a reference's statistics
(:func:`divergences.estimate.load_reference`): its own, or a published ``mu`` and ``sigma``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from divergences import estimate

__all__ = ["LEAST_WIDE_DRAWS", "SUFFIXES", "load_any", "load_draws"]

#: The file types read, by suffix.
SUFFIXES = (".npy", ".csv")

#: The fewest draws a file with more coordinates than draws is read with, unasked: FD's fewest
#: (two a batch, in its four batches). Below it such an array looks transposed.
LEAST_WIDE_DRAWS = 8


def _read(path: Path) -> np.ndarray:
    """The array stored in ``path``, a ``.npy`` or ``.csv`` file (a CSV as a 2-D array)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(
            f"{path}: only .npy and .csv files (numbers separated by commas) are read, "
            f"got a {suffix or 'file without a suffix'}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: is empty (0 bytes): it holds no draws; write the array again")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except (ValueError, EOFError, OSError) as exc:  # a truncated .npy is an EOFError
        raise ValueError(
            f"{path}: cannot be read as an array of numbers ({type(exc).__name__}: "
            f"{exc or 'the file ends early'})"
        ) from None


def load_draws(path: str | Path, *, allow_wide: bool = False) -> tuple[np.ndarray, str]:
    """The draws stored in ``path`` as a float64 ``(n, d)`` array, and how they were read.

    Raises:
      ValueError: naming the file, where its suffix is neither ``.npy`` nor ``.csv``, it cannot
        be read as numbers, it holds no draw, has more than two axes, holds NaN or inf, or has
        more coordinates than draws and fewer than :data:`LEAST_WIDE_DRAWS` draws (unless
        ``allow_wide``).
      FileNotFoundError: where it does not exist.
    """
    path = Path(path)
    raw = _read(path)
    if raw.dtype == bool or np.iscomplexobj(raw) or not np.issubdtype(raw.dtype, np.number):
        raise ValueError(f"{path}: must hold real numbers (draws), got dtype {raw.dtype}")
    if raw.ndim not in (1, 2) or raw.size == 0:
        raise ValueError(
            f"{path}: must hold an array of shape (n, d) (one draw a row) or (n,) (draws on "
            f"the line), got shape {raw.shape}"
        )
    draws = raw.astype(np.float64).reshape(raw.shape[0], -1)
    bad = int(np.count_nonzero(~np.isfinite(draws).all(axis=1)))
    if bad:
        raise ValueError(
            f"{path}: draws must be finite: {bad} of its {draws.shape[0]} rows hold NaN or inf; "
            f"remove them (or impute them) first"
        )
    n, d = draws.shape
    converted = (
        f"; its {raw.dtype} values converted to float64"
        if np.issubdtype(raw.dtype, np.integer)
        else ""
    )
    if raw.ndim == 1:
        return draws, f"{n} draws on the line (a 1-D array: one number a draw){converted}"
    if d > n and n < LEAST_WIDE_DRAWS and not allow_wide:
        raise ValueError(
            f"{path}: shape {raw.shape} has more coordinates ({d}) than draws ({n}), so it looks "
            f"transposed: the draws must be its rows; save its transpose, or pass --allow-wide "
            f"to read it as {n} draws in {d} dimensions"
        )
    wide = (
        " (fewer draws than coordinates: FD's value is still a number, its interval claims "
        "nothing there)"
        if d > n
        else ""
    )
    return draws, f"{n} draws in {d} dimension{'s' if d > 1 else ''}{wide}{converted}"


def load_any(path: str | Path, allow_wide: bool) -> tuple[Any, str]:
    """Draws (``.npy``, ``.csv``) or a reference's statistics (``.npz``), and how they were read."""
    if Path(path).suffix.lower() == ".npz":
        ref = estimate.load_reference(path)
        if ref.size:
            return ref, f"a reference's statistics of {ref.size} draws (.npz)"
        return ref, "a published mean and covariance (.npz): the plug-in FD alone"
    return load_draws(path, allow_wide=allow_wide)


def held_out_draws(
    held_out: str | Path | None, d: int, of: str | Path, allow_wide: bool
) -> np.ndarray | None:
    """The held-out draws of ``held_out``'s file, checked to be of ``of``'s dimension ``d``."""
    if held_out is None:
        return None
    held, _ = load_draws(held_out, allow_wide=allow_wide)
    if held.shape[1] != d:
        raise ValueError(
            f"{held_out} must hold draws of {of}'s dimension: it has {held.shape[1]} "
            f"coordinates a draw, {of} has {d}"
        )
    return held
