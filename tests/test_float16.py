"""float16 to float32 and back from the bits: the same numbers as NumPy's conversion, everywhere.

XLA's CPU converts float16 with F16C only; the package's boundary conversions
(``divergences._src.float16``) are integer operations, so float16 input works on any processor.
The last test runs the public functions in a process whose XLA may not use F16C.
"""

from __future__ import annotations

import platform

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from divergences._src.float16 import narrow_to_half, widen_half
from tests.helpers import run_without_f16c

ALL_HALVES = np.arange(1 << 16, dtype=np.uint16).view(np.float16)


def _same(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Equal bits, or NaN both."""
    bits = {2: np.uint16, 4: np.uint32}[got.dtype.itemsize]
    return (got.view(bits) == want.view(bits)) | (np.isnan(got) & np.isnan(want))


@pytest.mark.parametrize("wrap", [lambda f: f, jax.jit], ids=["eager", "jit"])
def test_every_float16_widens_exactly(wrap):
    got = np.asarray(wrap(widen_half)(jnp.asarray(ALL_HALVES)))
    assert got.dtype == np.float32
    assert np.all(_same(got, ALL_HALVES.astype(np.float32)))


def test_narrowing_rounds_to_nearest_even_as_numpy():
    halves = np.sort(ALL_HALVES[np.isfinite(ALL_HALVES)].astype(np.float64))
    halves = np.unique(halves)
    ties = ((halves[1:] + halves[:-1]) / 2).astype(np.float32)  # exact: halves have 11 bits
    edges = np.float32([65504, 65519.996, 65520, 65536, 1e38, np.inf, -np.inf, np.nan])
    tiny = np.float32([2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-26, 2.0**-24, 1e-40, 2.0**-14])
    x = np.concatenate([ties, np.nextafter(ties, np.float32(0)), np.nextafter(ties, np.inf)])
    x = np.concatenate([x, -x, edges, -edges, tiny, -tiny, ALL_HALVES.astype(np.float32)])
    with np.errstate(over="ignore"):
        want = x.astype(np.float16)
    got = np.asarray(narrow_to_half(jnp.asarray(x)))
    assert got.dtype == np.float16
    assert np.all(_same(got, want)), x[~_same(got, want)][:8]


@given(st.floats(width=32, allow_nan=True, allow_infinity=True))
def test_narrowing_any_float32_is_numpys(t):
    x = np.array([t], np.float32)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16)
    assert _same(np.asarray(narrow_to_half(jnp.asarray(x))), want)[0]


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_the_conversions_carry_the_identity_derivative():
    x = np.float16([0.5, -3.0, 2.0**-20])
    g = jax.grad(lambda t: jnp.sum(widen_half(t) * jnp.float32(3.0)))(x)
    assert g.dtype == np.float16 and np.all(np.asarray(g) == 3.0)
    y = np.float32([0.5, -3.0])
    g = jax.grad(lambda t: jnp.sum(widen_half(narrow_to_half(t * 2))))(y)
    assert g.dtype == np.float32 and np.all(np.asarray(g) == 2.0)
    batched = jax.vmap(widen_half)(jnp.asarray(np.float16([[1, 2], [3, 4]])))
    assert np.array_equal(np.asarray(batched), [[1, 2], [3, 4]])


_WITHOUT_F16C = """
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
import divergences as dv

x16, y16 = np.float16([[0.5], [-1.25]]), np.float16([[2.0], [0.125], [3.0]])
p16, q16 = np.float16([0.25, 0.75]), np.float16([0.5, 0.5])
results = [
    jax.jit(dv.kl)(p16, q16),
    dv.kl(p16, q16),
    dv.js_divergence(p16, q16),
    jax.jit(dv.entropy)(p16),
    jax.jit(dv.w1_1d)(x16[:, 0], y16[:, 0]),
    jax.jit(lambda x, y: dv.w1_primal(x, y, method="dense").upper_bound)(x16, y16),
    jax.jit(lambda x, y: dv.w1_dual(x, y, method="lp").value)(x16, y16),
    jax.jit(dv.lipschitz_violation)(p16, x16),
    jax.grad(lambda x: dv.w1_primal(x, y16, method="line").value)(x16),
    jax.jit(lambda mu: dv.w1_grid(mu, mu[::-1]).value)(np.float16([0.25, 0.5, 0.25, 0.0])),
    dv.grid_pmf(x16, [-2.0, 0.0, 4.0]).pmf,
    jax.jit(lambda s: dv.grid_pmf(s, [0.0, 1.0], pseudo_count=0.5).pmf)(y16[:, 0]),
]
assert np.asarray(results[-2]).tolist() == [0.5, 0.5, 0.0]
assert np.asarray(results[-1]).tolist() == [0.375, 0.625]  # (1 or 2, + 0.5) / (3 + 0.5 * 2)
print("ok", " ".join(str(np.asarray(r).dtype) for r in results))
"""


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="an x86 flag")
def test_float16_input_works_where_xla_has_no_f16c():
    out = run_without_f16c(_WITHOUT_F16C)
    assert out.returncode == 0, out.stderr[-4000:]
    want = ["ok", *["float16"] * 4, *["float32"] * 4, "float16", "float32", "float16", "float16"]
    assert out.stdout.split() == want
