r"""A reference sample's statistics, kept once and reused: FD's batches, a subsample for kernels.

An evaluation compares many models with one reference set (a dataset's 5x10^4 to 10^6 feature
vectors). :func:`reference` reads the reference's draws once and keeps what the estimates need:

* for FD (:func:`~divergences.estimate.frechet`), each of its variance groups' size, float64
  mean and scatter (or its ``B`` batches', where the groups are the batches;
  :mod:`~divergences.estimate._src.reading`): its plug-in value, its bias-corrected value and
  its interval, exactly as from the draws;
* for the kernel measures (KID, MMD), a seeded uniform subsample of ``subsample`` draws.

A :class:`Reference` saves to one ``.npz`` of plain arrays (:meth:`Reference.save`) and loads
back (:func:`load_reference`, ``allow_pickle=False``). A file published with pytorch-fid or
clean-fid (arrays ``mu`` and ``sigma``: the mean and the covariance with divisor ``n - 1``) is
read too: it holds no batches, so FD against it is the plug-in value papers print, with no
interval (``kind == "no-coverage-claim"``).

**A file is checked where it is read**, and refused with a ``ValueError`` naming the file, the
field and the rule, never turned into a number:

* its fields by name: a saved reference's ``format``, ``counts``, ``means``, ``scatters``,
  ``shift``, ``seed``, ``subsample`` and ``checksum``, each required (a published file: ``mu``
  and ``sigma``, ``format`` where it has one); ``format`` one of the stamps this version reads;
* their shapes and dtypes (the dimensions of the means, scatters and subsample agreeing; the
  counts, ``shift`` and ``seed`` integers), and every value finite;
* ``checksum``: the SHA-256 of every other field's name, dtype, shape and bytes, written by
  :meth:`Reference.save`. No rule on the statistics can tell a wrong ``shift`` (they are kept
  for the draws times ``2^-shift``, so any ``shift`` reads them as some other draws): only a
  record of what was saved can. A file stamped ``Reference/2`` (its batches, not the groups)
  loads as written; one stamped ``Reference/1`` (written before the checksum) still loads; its ``shift`` is checked by the two bounds that hold exactly: the scaled means lie
  in ``[-1, 1]``, and no kept draw reaches ``2^shift`` (the scale follows the largest coordinate
  read, of which the subsample's draws are some);
* each scatter and covariance ``C`` of ``n`` draws in ``d`` dimensions symmetric and positive
  semi-definite within its rounding, ``tau = u_s + 2 (n + d) u`` relative (:func:`tolerance`):
  :math:`|C_{ij} - C_{ji}| \le \tau \sqrt{|C_{ii} C_{jj}|}` and
  :math:`\lambda_{\min}(C) \ge -\tau \sum_i |C_{ii}|`. Here ``u = 2^-53`` and ``u_s`` the
  unit roundoff of the dtype it is stored in. The bound, to first order (sums: Higham, *Accuracy and
  Stability of Numerical Algorithms*, 2002, section 3.1; the symmetric eigenvalue solver's
  backward error: Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, section 8.3): storing rounds each entry
  by ``u_s |C_ij|``, a matrix of spectral norm at most ``u_s tr C``; forming it from ``n``
  draws in float64 errs by at most ``n u sum_k |z_ki| |z_kj|`` an entry, which is at most
  ``n u sqrt(C_ii C_jj)`` (Cauchy-Schwarz) and a matrix of spectral norm at most ``n u tr C``;
  the two orders of one entry's sum differ by twice that; the eigenvalue solver errs by at most
  about ``d u ||C||``. A published file does not say its ``n``: :data:`UNKNOWN_COUNT` stands
  for it.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from typing import Any, NamedTuple

import numpy as np

from divergences.estimate._src.reading import (
    BatchMoments,
    Moments,
    exponent_of,
    union_moments,
)

__all__ = [
    "FORMAT",
    "Reference",
    "as_batch_moments",
    "checksum",
    "load_reference",
    "tolerance",
]

#: The format stamp :meth:`Reference.save` writes (version 3: FD's variance groups kept, and
#: the number of batches they pool into).
FORMAT = "divergences.estimate.Reference/3"
#: The fields of a saved reference, and of a published mean and covariance (module docstring).
SAVED_FIELDS = ("counts", "means", "scatters", "shift", "seed", "subsample")
#: Each stamp read, and the fields beyond :data:`SAVED_FIELDS` its files hold: version 2 kept
#: the batches only (no ``batches`` field: as many as ``counts``), version 1 wrote no checksum.
STAMPS = {
    FORMAT: ("batches", "checksum"),
    "divergences.estimate.Reference/2": ("checksum",),
    "divergences.estimate.Reference/1": (),
}
PUBLISHED_FIELDS = ("mu", "sigma")
#: The draws behind a published covariance, where its file does not say (pytorch-fid's and
#: clean-fid's do not): more than any feature set is made of, for the rounding tolerance.
UNKNOWN_COUNT = 2**32


class Reference(NamedTuple):
    """A reference sample's statistics (module docstring); pass it wherever FD takes draws.

    Attributes:
      moments: FD's variance groups' (or batches') sizes, means and scatters, for the draws
        times ``2^-shift``: the groups :func:`~divergences.estimate.frechet` reads the draws
        through, so that its interval against the reference is the one against the draws.
      seed: the seed the groups and the subsample were drawn with.
      subsample: a seeded uniform subsample of the draws, shape ``(k, d)`` (``k = 0`` for a
        published mean and covariance).
      pooled_into: FD's number of extrapolation batches the groups pool into (group ``g`` into
        batch ``g mod B``); 0: as many as the groups.
    """

    moments: BatchMoments
    seed: int
    subsample: np.ndarray
    pooled_into: int = 0

    @property
    def size(self) -> int:
        """The number of draws (0 where only a published mean and covariance are known)."""
        return self.moments.size

    @property
    def batches(self) -> int:
        """FD's number of batches (0 for a published mean and covariance)."""
        return 0 if self.moments.published else self.pooled_into or len(self.moments.parts)

    @property
    def mean(self) -> np.ndarray:
        """The sample mean, float64."""
        m = self.moments
        return np.ldexp(union_moments(m.parts, m.dimension).mean, m.shift)

    @property
    def cov(self) -> np.ndarray:
        """The sample covariance (divisor ``n - 1``, as ``numpy.cov``), float64."""
        m = self.moments
        whole = union_moments(m.parts, m.dimension)
        return np.ldexp(whole.full_cov(), 2 * m.shift)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the statistics to one ``.npz`` of plain arrays (no pickles)."""
        m = self.moments
        arrays: dict[str, Any] = {"format": np.array(FORMAT)}
        if m.published:
            arrays |= {"mu": self.mean, "sigma": self.cov}
        else:
            arrays |= {
                "counts": np.array([p.size for p in m.parts], np.int64),
                "means": np.stack([p.mean for p in m.parts]),
                "scatters": np.stack([p.full_scatter() for p in m.parts]),
                "shift": np.array(m.shift, np.int64),
                "seed": np.array(self.seed, np.int64),
                "subsample": self.subsample,
                "batches": np.array(self.batches, np.int64),
            }
        arrays["checksum"] = np.array(checksum(arrays))
        with open(path, "wb") as f:
            np.savez(f, **arrays)


def checksum(arrays: dict[str, np.ndarray]) -> str:
    """The SHA-256 of each field but ``checksum``, by name: its name, dtype, shape and bytes."""
    h = hashlib.sha256()
    for key in sorted(arrays):
        if key != "checksum":
            a = np.ascontiguousarray(arrays[key])
            h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def _refuse(path: Any, rule: str) -> ValueError:
    return ValueError(f"{os.fspath(path)} is not a reference's statistics: {rule}")


def load_reference(path: str | os.PathLike[str]) -> Reference:
    """A :class:`Reference` from a ``.npz``: one :meth:`Reference.save` wrote, or a published one.

    A published file holds ``mu`` (shape ``(d,)``) and ``sigma`` (``(d, d)``, the covariance
    with divisor ``n - 1``), as pytorch-fid's and clean-fid's statistics do. Every field is
    checked as the module docstring says, before any number is read from it.

    Raises:
      ValueError: naming the file, the field and the rule: where it is not a ``.npz`` of plain
        arrays (a ``.npy`` included), its ``format`` stamp is not one this version reads, a
        field is missing or foreign, or a field breaks its rule (shape, dtype, finiteness,
        symmetry, positive semi-definiteness, the checksum).
    """
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise _refuse(path, f"not a .npz of plain arrays ({err})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise _refuse(
            path,
            f"it is a .npy, one array of shape {np.shape(loaded)}, not a .npz of named arrays: "
            "pass draws as draws, or save a reference with Reference.save",
        )
    try:
        with loaded as f:
            arrays = {key: f[key] for key in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise _refuse(path, f"not a .npz of plain arrays ({err})") from None
    stamp = _stamp(path, arrays)
    published = set(PUBLISHED_FIELDS) <= arrays.keys()
    if stamp is None and not published:
        if arrays.keys() & set(SAVED_FIELDS):
            raise _refuse(path, "format is missing: Reference.save stamps every file it writes")
        raise _refuse(
            path,
            f"it holds {sorted(arrays)}, neither mu and sigma (pytorch-fid, clean-fid) nor a "
            "saved Reference's arrays",
        )
    fields = PUBLISHED_FIELDS if published else SAVED_FIELDS
    extra = () if stamp is None else STAMPS[stamp]
    if published:  # a published mean and covariance, saved, has no batches
        extra = tuple(f for f in extra if f != "batches")
    if stamp is not None:
        _fields(path, arrays, ("format", *fields, *extra))
    out = _published(path, arrays) if published else _saved(path, arrays)
    if "checksum" in extra and str(arrays["checksum"]) != checksum(arrays):
        raise _refuse(
            path,
            "checksum does not match its arrays: the file was changed after Reference.save "
            "wrote it (no rule on the statistics can tell a wrong shift); save it again",
        )
    return out


def _stamp(path: Any, arrays: dict[str, np.ndarray]) -> str | None:
    """The file's ``format`` stamp, None where it has none; a ValueError for one not read here."""
    a = arrays.get("format")
    if a is None:
        return None
    known = tuple(STAMPS)
    if a.shape != () or a.dtype.kind != "U" or str(a) not in known:
        raise _refuse(path, f"format is {a!r}, not one of the stamps this version reads {known}")
    return str(a)


def _fields(path: Any, arrays: dict[str, np.ndarray], fields: tuple[str, ...]) -> None:
    """Each of ``fields`` present by name, and no other."""
    for key in fields:
        if key not in arrays:
            raise _refuse(path, f"{key} is missing: a {arrays['format']} file holds {fields}")
    if foreign := sorted(arrays.keys() - set(fields)):
        raise _refuse(path, f"it holds {foreign}, fields a {arrays['format']} file has not")


def _floats(path: Any, arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...]) -> Any:
    a = arrays.get(key)
    if a is None or a.shape != shape or not np.issubdtype(a.dtype, np.number):
        got = "missing" if a is None else f"shape {a.shape}, dtype {a.dtype}"
        raise _refuse(path, f"{key} must be numbers of shape {shape}, got {got}")
    a = np.asarray(a, np.float64)
    if not np.all(np.isfinite(a)):
        raise _refuse(path, f"{key} must be finite")
    return a


def _integer(path: Any, arrays: dict[str, np.ndarray], key: str) -> int:
    a = arrays[key]
    if a.shape != () or not np.issubdtype(a.dtype, np.integer):
        raise _refuse(path, f"{key} must be one integer, got {a!r}")
    return int(a)


def tolerance(stored: np.dtype[Any], n: int, d: int) -> float:
    """``tau = u_s + 2 (n + d) u``: the relative rounding of a ``d x d`` scatter of ``n`` draws.

    ``u = 2^-53`` (float64's unit roundoff), ``u_s`` that of the dtype the matrix is stored in
    (0 for integers); the module docstring derives it.
    """
    u_s = float(np.finfo(stored).eps) / 2.0 if np.issubdtype(stored, np.floating) else 0.0
    return u_s + 2.0 * (n + d) * 2.0**-53


def _check_scatter(path: Any, name: str, c: np.ndarray, stored: np.dtype[Any], n: int) -> None:
    """``c`` symmetric and positive semi-definite within :func:`tolerance` (module docstring)."""
    tau = tolerance(stored, n, c.shape[0])
    diagonal = np.abs(np.diag(c))
    gap = np.abs(c - c.T) - tau * np.sqrt(np.outer(diagonal, diagonal))
    if np.any(gap > 0.0):
        i, j = np.unravel_index(int(np.argmax(gap)), gap.shape)
        raise _refuse(
            path,
            f"{name} must be symmetric within its rounding (|C_ij - C_ji| <= {tau:.3g} "
            f"sqrt|C_ii C_jj|): entry ({i}, {j}) is {c[i, j]:.6g}, ({j}, {i}) is {c[j, i]:.6g}",
        )
    smallest = float(np.linalg.eigvalsh(c)[0]) if c.size else 0.0
    if smallest < -tau * float(np.sum(diagonal)):
        raise _refuse(
            path,
            f"{name} must be positive semi-definite within its rounding (smallest eigenvalue "
            f">= -{tau:.3g} times the sum of |diagonal|): its smallest eigenvalue is "
            f"{smallest:.6g}",
        )


def _published(path: Any, arrays: dict[str, np.ndarray]) -> Reference:
    mu = arrays["mu"]
    d = mu.shape[0] if mu.ndim == 1 else -1
    mean, cov = _floats(path, arrays, "mu", (d,)), _floats(path, arrays, "sigma", (d, d))
    _check_scatter(path, "sigma", cov, arrays["sigma"].dtype, UNKNOWN_COUNT)
    shift = max(exponent_of(mean), (exponent_of(cov) + 1) // 2)
    part = Moments(2, np.ldexp(mean, -shift), np.ldexp(0.5 * (cov + cov.T), -2 * shift), None)
    moments = BatchMoments((part,), shift, d, published=True)
    return Reference(moments, 0, np.zeros((0, d)))


def _saved(path: Any, arrays: dict[str, np.ndarray]) -> Reference:
    """A saved reference's statistics, each field checked (module docstring)."""
    counts = arrays["counts"]
    if counts.ndim != 1 or counts.size < 2 or not np.issubdtype(counts.dtype, np.integer):
        raise _refuse(path, "counts must be two or more integers")
    if np.any(counts < 2):
        raise _refuse(path, "counts: each group (or batch) must hold at least 2 draws")
    g = counts.size
    b = _integer(path, arrays, "batches") if "batches" in arrays else g
    if not 2 <= b <= g:
        raise _refuse(path, f"batches must be an integer from 2 to counts' length {g}, got {b}")
    means = arrays["means"]
    d = means.shape[-1] if means.ndim == 2 and means.shape[-1] > 0 else -1
    means = _floats(path, arrays, "means", (g, d))
    scatters = _floats(path, arrays, "scatters", (g, d, d))
    sub = arrays["subsample"]
    sub = _floats(path, arrays, "subsample", (sub.shape[0] if sub.ndim == 2 else -1, d))
    shift, seed = _integer(path, arrays, "shift"), _integer(path, arrays, "seed")
    if seed < 0:
        raise _refuse(path, "seed must be a non-negative integer")
    if sub.shape[0] > int(counts.sum()):
        raise _refuse(path, f"subsample holds {sub.shape[0]} draws, more than counts' total")
    for k in range(g):
        _check_scatter(path, f"scatters[{k}]", scatters[k], arrays["scatters"].dtype, counts[k])
    # exact but for the means' last bit: every draw times 2^-shift lies in (-1, 1)
    if np.any(np.abs(means) > 1.0 + 2.0**-50) or exponent_of(sub) > shift:
        raise _refuse(
            path,
            f"shift {shift} is not the saved one: the means of the draws times 2^-shift must lie "
            "in [-1, 1], and the subsample's draws below 2^shift",
        )
    parts = tuple(
        Moments(int(c), mu, s, None) for c, mu, s in zip(counts, means, scatters, strict=True)
    )
    return Reference(BatchMoments(parts, shift, d), seed, sub, b)


def as_batch_moments(z: Any, name: str, batches: int) -> BatchMoments | None:
    """A :class:`Reference`'s batch moments (its batches must be ``batches``), or None for draws."""
    if not isinstance(z, Reference):
        return None
    if not z.moments.published and z.batches != batches:
        raise ValueError(
            f"{name} is a Reference kept with batches={z.batches}; call with batches={z.batches}"
        )
    return z.moments
