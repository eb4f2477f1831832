"""Hypothesis strategies for the values a GAN's discriminator or an f-GAN's critic takes.

:func:`discriminators` draws outputs in [0, 1], the ends included; :func:`critics` draws values
inside an f-divergence generator's ``conjugate_domain``, up to its edges, where the convex
conjugate is steepest. Lengths are drawn as for the pmfs of :mod:`divergences.testing.strategies`
(:func:`~divergences.testing.strategies.sizes`), so that both match.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from divergences.extending import conjugate_inner_ends
from divergences.testing.strategies import Sizes, float_dtype, sizes

__all__ = ["critics", "discriminators"]


@st.composite
def discriminators(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn, n: Sizes = None, *, dtype: Any = np.float64, endpoints: bool = True
) -> np.ndarray:
    """Discriminator outputs: ``n`` values in [0, 1] (the probability of "real" per outcome).

    Args:
      n: the length (match the pmfs), a sequence of lengths, or None for 1, 2, 3, 5 or 8.
      dtype: ``np.float64`` (default) or ``np.float32``.
      endpoints: allow exactly 0 and exactly 1.

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import discriminators
      >>> @given(discriminators(3))
      ... def test_range(d):
      ...     assert d.shape == (3,) and ((0 <= d) & (d <= 1)).all()
      >>> test_range()
    """
    dt = float_dtype(dtype)
    size = draw(sizes(n))
    inner = st.floats(1e-6, 1 - 1e-6)
    element = st.one_of(st.sampled_from([0.0, 1.0]), inner) if endpoints else inner
    return np.array(draw(st.lists(element, min_size=size, max_size=size)), dtype=dt)


@st.composite
def critics(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn, generator: Any, n: Sizes = None, *, dtype: Any = np.float64
) -> np.ndarray:
    """Critic values inside a generator's ``conjugate_domain``, for the variational bound.

    Values of order one, large ones (up to 0.9 log of the largest float towards an infinite end,
    where KL's conjugate ``exp(t - 1)`` is still finite) and, towards a finite
    end, values down to the dtype's nearest representable one inside it (the end itself where
    the domain includes it), so that the convex conjugate is finite at every value drawn and
    the edges of the domain, where it is steepest, are reached.

    Args:
      generator: an :class:`divergences.FGenerator`.
      n: the length (match the pmfs), a sequence of lengths, or None for 1, 2, 3, 5 or 8.
      dtype: ``np.float64`` (default) or ``np.float32``.

    Example:
      >>> from hypothesis import given
      >>> import divergences as dv
      >>> from divergences.testing import critics
      >>> g = dv.generators.REVERSE_KL
      >>> @given(critics(g, 3))
      ... def test_domain(t):
      ...     assert (t < 0).all()
      >>> test_domain()
    """
    dt = float_dtype(dtype)
    lo, hi = generator.conjugate_domain
    # Large values, as far as exp(t) stays finite (KL's conjugate), towards an infinite end.
    reach = 0.9 * math.log(float(np.finfo(dt).max))
    lo_in, hi_in = conjugate_inner_ends(generator, dt)
    lo_in, hi_in = max(lo_in, -reach), min(hi_in, reach)
    edges = []
    if not math.isinf(lo):
        edges += [lo_in, lo_in + 1e-9 * max(1.0, abs(lo_in))]
    if not math.isinf(hi):
        edges += [hi_in, hi_in - 1e-9 * max(1.0, abs(hi_in))]
    body = st.floats(max(lo_in, -10.0), min(hi_in, 10.0))
    wide = st.floats(lo_in, hi_in)
    element = st.one_of(body, wide, st.sampled_from(edges)) if edges else st.one_of(body, wide)
    size = draw(sizes(n))
    values = np.array(draw(st.lists(element, min_size=size, max_size=size)), dtype=dt)
    # Casting to the dtype may round a value onto an excluded end: pull it back inside.
    values = np.clip(values, np.asarray(lo_in, dtype=dt), np.asarray(hi_in, dtype=dt))
    return values
