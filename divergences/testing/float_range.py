r"""Hypothesis strategies for W1 problems across the whole floating-point range.

Each draw is a :class:`W1Problem`: points ``x`` ``(n, d)``, ``y`` ``(m, d)`` and weights ``a``,
``b`` (or ``None``, the uniform measure) in one dtype, valid input for :func:`divergences.w1_primal`
as it is, chosen to reach the ends of floating point. The kinds (:data:`KINDS`):

* ``"scale"``: a uniform draw in :math:`[-s, s]^d` at one scale ``s`` anywhere from the smallest
  subnormal number to a quarter of the largest float over the dimension (so that no cost
  overflows);
* ``"subnormal"``: every coordinate subnormal (or 0), in both dtypes: a float32 ``1e-40``;
* ``"overflow"``: coordinates within a factor of 8 of the largest cost that does not overflow;
* ``"mixed"``: each coordinate at its own binade, from the smallest subnormal to near overflow,
  within one problem (``1e300`` beside ``1e-300``);
* ``"far_tiny"``: points in the unit box with weights of order 1 and one far point (at
  ``1e300`` in float64, ``1e30`` in float32) of tiny weight (``1e-300``, ``1e-38``): it moves
  W1 by order 1 and the costs by 300 orders of magnitude;
* ``"duplicates"``: points drawn from a few sites shared by both measures, exact zeros among
  the coordinates, zero weights;
* ``"low_precision"``: float16 or bfloat16 points and weights (computed in float32 by the
  package).

Weights are ``None`` (uniform), or a draw normalised in float64 and rounded into the dtype with
exact zeros (float16 and bfloat16: dyadic weights summing to exactly 1); every positive weight is at least the dtype's smallest normal number (the package
reads a subnormal mass as 0: ``divergences._src.validation.has_mass``), and each total is within
the package's sum tolerance of 1. The exact W1 of a drawn problem, with the package's convention
for totals that differ by rounding, is :class:`divergences.testing.exact_w1.ExactW1`.

Sizes come from a small set (:data:`SIZES`), since each new shape compiles the jitted programs
again.

Example:
  >>> from hypothesis import given, settings
  >>> from divergences.testing.float_range import w1_problems
  >>> @settings(max_examples=5, deadline=None)
  ... @given(w1_problems(kinds=("mixed",)))
  ... def test_drawn(p):
  ...     assert p.x.shape[1] == p.y.shape[1]
  >>> test_drawn()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

__all__ = ["DTYPES", "KINDS", "SIZES", "W1Problem", "w1_problems"]

#: The kinds of problem :func:`w1_problems` draws.
KINDS = ("scale", "subnormal", "overflow", "mixed", "far_tiny", "duplicates", "low_precision")
#: The dtypes of the drawn numbers (``"low_precision"`` draws float16 or bfloat16 instead).
DTYPES = ("float32", "float64")
#: The sizes a measure is drawn with by default: one point, two, an odd and an even size.
SIZES = (1, 2, 3, 4)


class W1Problem(NamedTuple):
    """Two discrete measures in one dtype, and the kind of draw they come from."""

    x: np.ndarray
    y: np.ndarray
    a: np.ndarray | None
    b: np.ndarray | None
    kind: str

    def negated(self) -> W1Problem:
        """The mirror image ``(-x, -y)``: exactly the same costs, the same W1."""
        return self._replace(x=-self.x, y=-self.y)


def _low_dtype(name: str) -> np.dtype:
    if name == "bfloat16":
        import ml_dtypes  # a dependency of JAX

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _finfo(dtype: np.dtype) -> Any:
    return jnp.finfo(dtype)  # JAX's finfo: bfloat16's too


@st.composite
def _coordinates(
    draw: st.DrawFn, shape: tuple[int, int], lo_exp: float, hi_exp: float
) -> np.ndarray:
    """Coordinates ``+-10^e``, ``e`` uniform in ``[lo_exp, hi_exp]`` for each, zeros among them."""
    k = shape[0] * shape[1]
    exps = draw(st.lists(st.floats(lo_exp, hi_exp), min_size=k, max_size=k))
    signs = draw(
        st.lists(st.sampled_from([-1.0, 0.0, 1.0, 1.0, -1.0, 1.0]), min_size=k, max_size=k)
    )
    return np.array([s * 10.0**e for s, e in zip(signs, exps, strict=True)]).reshape(shape)


@st.composite
def _weights(
    draw: st.DrawFn, n: int, dtype: np.dtype, tiny_at: int | None = None
) -> np.ndarray | None:
    """``None`` or weights in ``dtype`` summing to 1 within its tolerance, zeros allowed."""
    finfo = _finfo(dtype)
    tiny = float(finfo.tiny)
    if tiny_at is None and draw(st.booleans()):
        return None
    if dtype.itemsize < 4:
        # float16, bfloat16: dyadic weights k / 2^p, exact, summing to exactly 1 (the W1
        # functions hold these to float32's sum tolerance, the dtype they compute in).
        counts = draw(st.lists(st.integers(0, 4), min_size=n - 1, max_size=n - 1))
        total = 1 << (sum(counts) + 1).bit_length()
        return (np.array([*counts, total - sum(counts)], np.float64) / total).astype(dtype)
    raw = np.array(
        draw(
            st.lists(
                st.one_of(st.just(0.0), st.floats(0.05, 1.0), st.sampled_from([0.5, 1.0])),
                min_size=n,
                max_size=n,
            )
        )
    )
    if tiny_at is not None:
        raw[tiny_at] = 0.0
    if raw.sum() == 0:
        raw[0 if tiny_at != 0 or n == 1 else 1] = 1.0
    w = raw / raw.sum()
    if tiny_at is not None and n > 1:
        # The far point's tiny mass: 1e-300 in float64, the smallest normal numbers elsewhere.
        small = max(tiny, 1e-300) * draw(st.sampled_from([1.0, 3.0, 1e3]))
        w[tiny_at] = small
        w = w / math.fsum(w.tolist())
        w[tiny_at] = small
    out = w.astype(dtype)
    # Masses between 0 and the smallest normal number are read as 0 by the package: none.
    out[(out > 0) & (out < tiny)] = np.asarray(tiny, dtype)
    return out


@st.composite
def w1_problems(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn,
    *,
    kinds: Sequence[str] = KINDS,
    dtypes: Sequence[str] = DTYPES,
    sizes: Sequence[int] = SIZES,
    dims: Sequence[int] = (1, 2, 3),
    weights: bool = True,
) -> W1Problem:
    """A :class:`W1Problem` of one of ``kinds`` in one of ``dtypes``.

    Args:
      kinds: the kinds to draw from (:data:`KINDS`).
      dtypes: ``"float32"``, ``"float64"``: the dtypes of every kind but ``"low_precision"``.
      sizes: the numbers of points ``n`` and ``m`` to draw from.
      dims: the dimensions ``d`` to draw from.
      weights: ``False`` for uniform weights only (``a = b = None``).
    """
    kind = draw(st.sampled_from(list(kinds)))
    if kind == "low_precision":
        dtype = _low_dtype(draw(st.sampled_from(["float16", "bfloat16"])))
    else:
        dtype = np.dtype(draw(st.sampled_from(list(dtypes))))
    n, m = draw(st.sampled_from(list(sizes))), draw(st.sampled_from(list(sizes)))
    d = draw(st.sampled_from(list(dims)))
    finfo = _finfo(dtype)
    # The largest coordinate for which no cost (at most 2 d |t| for cityblock) overflows.
    top = math.log10(float(finfo.max) / (4 * d))
    bottom = math.log10(float(finfo.smallest_subnormal))
    normal = math.log10(float(finfo.tiny))
    tiny_at = None
    if kind == "scale":
        e = draw(st.floats(bottom + 1, top))
        x = draw(_coordinates((n, d), e - 1, e))
        y = draw(_coordinates((m, d), e - 1, e))
    elif kind == "subnormal":
        x = draw(_coordinates((n, d), bottom + 0.5, normal - 0.1))
        y = draw(_coordinates((m, d), bottom + 0.5, normal - 0.1))
    elif kind == "overflow":
        x = draw(_coordinates((n, d), top - 1, top - 0.01))
        y = draw(_coordinates((m, d), top - 1, top - 0.01))
    elif kind == "mixed":
        x = draw(_coordinates((n, d), bottom + 0.5, top - 0.01))
        y = draw(_coordinates((m, d), bottom + 0.5, top - 0.01))
    elif kind == "far_tiny":
        n = max(n, 2)
        box = st.floats(0.0, 1.0)
        x = np.array(draw(st.lists(box, min_size=n * d, max_size=n * d))).reshape(n, d)
        y = np.array(draw(st.lists(box, min_size=m * d, max_size=m * d))).reshape(m, d)
        tiny_at = draw(st.integers(0, n - 1))
        far = 1e300 if dtype == np.float64 else 1e30
        x[tiny_at] = 0.0
        x[tiny_at, 0] = far * draw(st.sampled_from([1.0, -1.0, 0.37]))
    elif kind == "duplicates":
        sites = np.array(
            draw(st.lists(st.sampled_from([0.0, 1.0, -2.5, 0.5]), min_size=3 * d, max_size=3 * d))
        ).reshape(3, d) * draw(st.sampled_from([1.0, 1e-30, 1e30]))
        x = sites[draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))]
        y = sites[draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))]
    else:  # low_precision: a scale the small dtype can hold
        e = draw(st.floats(normal + 1, top))
        x = draw(_coordinates((n, d), e - 1, e))
        y = draw(_coordinates((m, d), e - 1, e))
    with np.errstate(over="ignore", under="ignore"):
        x, y = x.astype(dtype), y.astype(dtype)
    # Rounding into the dtype keeps every number finite: the coordinates are below its maximum.
    assert np.all(np.isfinite(x.astype(np.float64))) and np.all(np.isfinite(y.astype(np.float64)))
    if not weights:
        return W1Problem(x, y, None, None, kind)
    a = draw(_weights(n, dtype, tiny_at))
    b = draw(_weights(m, dtype))
    return W1Problem(x, y, a, b, kind)
