"""divergences.extending: the public names of the pieces an extension builds on."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences import extending


@pytest.mark.parametrize("name", sorted(dv.generators.GENERATORS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conjugate_inner_ends_lie_inside_the_domain_where_the_conjugate_is_finite(
    name: str, dtype: type
) -> None:
    g = dv.generators.GENERATORS[name]
    (lo, hi), (closed_lo, closed_hi) = g.conjugate_domain, g.closed_ends
    low, high = extending.conjugate_inner_ends(g, dtype)
    for end, inner, closed, inward in ((lo, low, closed_lo, 1.0), (hi, high, closed_hi, -1.0)):
        assert float(np.asarray(inner, dtype=dtype)) == inner  # a value of the dtype
        if math.isinf(end):
            assert inner == end
        elif closed:
            assert inner == end
        else:  # inside; the next value of the dtype outwards is on the end, past it or subnormal
            assert (inner - end) * inward > 0
            step = float(np.nextafter(np.asarray(inner, dtype=dtype), np.asarray(end, dtype=dtype)))
            assert (step - end) * inward <= 0 or abs(step) < np.finfo(dtype).tiny
            finite = g.conjugate(jnp.asarray(inner, dtype=dtype))
            assert bool(jnp.isfinite(finite)), (name, inner, finite)


def test_as_float_array_names_the_argument_it_rejects() -> None:
    with pytest.raises(ValueError, match=r"^weights must be real"):
        extending.as_float_array(np.array([1j]), "weights")
    assert extending.as_float_array([1, 2], "x").dtype.kind == "f"
