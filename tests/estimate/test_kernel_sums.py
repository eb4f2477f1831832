"""The blocked kernel pass of KID and MMD^2: its float32 rounding bound (divergences.estimate).

Where float32 draws are not raised to float64 (below 1024 coordinates on a CPU), each Gram
product is a sum of float32 matmuls over 32 coordinates whose partials are added in float64,
and the kernel values and row sums are float64: the row sums of a pass must lie within the
bounds the pass returns beside them, whatever the draws, and the bound must be the one derived
(``gamma_34`` of the terms' magnitudes, not ``gamma_99``). The tests force those products.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from divergences.estimate._src.kernel import pool as P
from divergences.estimate._src.kernel import sums as S

D = 2048  # Inception's features: 64 float32 parts of 32 coordinates


def _kernel(z: np.ndarray, kernel: str, coeffs: tuple[float, float]) -> np.ndarray:
    """The kernel matrix of the float64 points ``z`` with a zero diagonal, in float64."""
    gram = z @ z.T  # each entry off by gamma_D(2^-53) of its terms' magnitudes: ~1e-13
    if kernel == "cubic":
        k = (coeffs[0] * gram + coeffs[1]) ** 3
    else:
        squares = np.sum(z * z, axis=1)
        k = np.exp(-coeffs[0] * np.maximum(squares[:, None] + squares[None, :] - 2.0 * gram, 0.0))
    np.fill_diagonal(k, 0.0)
    return k


def _pass(
    x: np.ndarray, y: np.ndarray, kernel: str, products: str = "partials"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(row sums, their bounds, the float64 reference)`` of a float32 pass over ``x, y``.

    ``products``: the Gram products the pass takes (a CPU takes float64 ones by itself).
    """
    n, m = len(x), len(y)
    centre = kernel == "gaussian"
    with jax.enable_x64(True):  # the points before their cast to float32, whatever the setting
        z64, radius2, block, _ = P.padded_pool((x, y), np.float64, centre)
        z64 = np.asarray(z64, np.float64)
    with jax.enable_x64(False):
        z, _, _, _ = P.padded_pool((x, y), np.float32, centre, bounded=False)  # float32 kept
        assert z.dtype == np.float32
        # cubic: t = z_i . z_j / (d lambda) + 1 / lambda; Gaussian: a width near the median's
        coeffs = (1.0 / (D * (radius2 / D + 1.0)), 1.0 / (radius2 / D + 1.0))
        if kernel == "gaussian":
            coeffs = (0.5 / float(np.median(np.sum((z64[:n] - z64[n : 2 * n]) ** 2, 1))), 0.0)
        cols = S.columns(n, m, np.arange(n)[None], z.shape[0])
        _, _, acc, inflation = S.blocked_pass(z, cols, coeffs, block, kernel, math.inf, 2, products)
    k = _kernel(z64[: n + m], kernel, coeffs)
    reference = np.stack([k.sum(1), k[:, :n].sum(1)], axis=1)
    slack = 1e-10 * np.abs(k).sum(1)[:, None]  # the float64 reference's own rounding, generously
    return acc[: n + m, :2], acc[: n + m, 2:] * inflation + slack, reference


@pytest.mark.parametrize("kernel", ["cubic", "gaussian"])
def test_float32_row_sums_lie_within_their_bounds_on_large_norm_features(kernel: str) -> None:
    # Large norms and a common offset: the Gram entries are sums of 2048 same-signed terms, the
    # statistic a small difference of large sums; a few coordinates 100 times the others.
    rng = np.random.default_rng(3)
    scale = np.where(np.arange(D) % 97 == 0, 100.0, 1.0)
    x = (rng.normal(size=(30, D)) + 5.0) * scale
    y = (rng.normal(size=(26, D)) + 5.3) * scale
    rows, bounds, reference = _pass(x.astype(np.float32), y.astype(np.float32), kernel)
    assert np.all(np.abs(rows - reference) <= bounds)
    # the bound is the derived one: gamma_34(2^-24) of the row sums' magnitudes times the
    # values' 3 t^2 nu_i nu_j or 2 c_0 N_i N_j (below 1 here): 0.7 gamma_34 (Gaussian), where
    # gamma_99 in float32 with float32 row sums gave about 8 times that
    assert np.max(bounds / np.abs(reference)) < 4.0 * 34.0 * 2.0**-24


def test_the_float32_bound_counts_32_term_products_and_float64_sums() -> None:
    z = np.ones((64, D))
    unit, v = 2.0**-24, 2.0**-53
    _, bound, inflation = S._bound_constants(
        np.sum(z * z, axis=1), D, "cubic", (1.0, 0.0), math.inf, 64, np.float32, S.WIDE_CHUNK
    )
    g, h = bound[0], bound[8]
    assert h == pytest.approx(S.gamma(S.WIDE_CHUNK + 2, unit) + 2 * S.gamma(D // 32 + 2, v))
    assert g == S.gamma(8, v) and inflation - 1.0 < 1e-12
    # float64 inputs keep their pass: one product over the whole width, its chain in g, in
    # float64's unit
    _, bound, _ = S._bound_constants(
        np.sum(z * z, axis=1), D, "cubic", (1.0, 0.0), math.inf, 64, np.float64, D
    )
    assert bound[8] == 0.0 and bound[0] == S.gamma(D + 1 + 8, v)


def test_the_gram_products_are_chosen_by_backend_and_on_a_cpu_by_width() -> None:
    assert S.gram_products(np.float64) == "native"
    assert S.gram_products(np.float64, 4096) == "native"
    if jax.default_backend() == "cpu":  # float64 products from the measured width on
        edge = S.FLOAT64_PRODUCTS_FROM
        assert S.gram_products(np.float32, edge - 1) == "partials"
        assert S.gram_products(np.float32, edge) == S.gram_products(np.float32, 2048) == "float64"
    else:  # measured once, then kept
        chosen = S.gram_products(np.float32)
        assert chosen == S._CHOSEN[jax.default_backend()] in ("partials", "float64")


@pytest.mark.slow  # compiles and times two passes over a 1024 x 2048 block
def test_the_measured_choice_is_one_of_the_two() -> None:
    assert S._faster_products() in ("partials", "float64")


@pytest.mark.slow  # two float64 passes at d = 2048: seconds
@pytest.mark.parametrize("kernel", ["cubic", "gaussian"])
def test_float64_products_of_float32_draws_are_the_float64_pass(kernel) -> None:
    # Where float64 products are taken (a CPU, or a card that multiplies float64 at its float32
    # rate), the pass over float32 draws is the float64 pass over the same draws raised to
    # float64: its row sums within bounds of gamma_(d + 9)(2^-53) of their magnitudes.
    rng = np.random.default_rng(3)
    x = (rng.normal(size=(30, D)) + 5.0).astype(np.float32)
    y = (rng.normal(size=(26, D)) + 5.3).astype(np.float32)
    rows, bounds, reference = _pass(x, y, kernel, "float64")
    assert np.all(np.abs(rows - reference) <= bounds)
    assert np.max(bounds / np.abs(reference)) < 4.0 * (D + 9) * 2.0**-53 + 2e-10


def _gram_dots(products: str) -> list[str]:
    """The StableHLO dot products of one block pair's program under ``products``."""
    z = np.random.default_rng(0).normal(size=(128, D)).astype(np.float32)
    with jax.enable_x64(True):
        work = np.float64 if products == "float64" else np.float32
        zz = jax.numpy.asarray(z.astype(work))
        cols = S.columns(64, 64, np.arange(64)[None], 128)
        across = D if products == "float64" else S.WIDE_CHUNK
        sizes, bound, _ = S._bound_constants(
            np.sum(z.astype(np.float64) ** 2, axis=1),
            D,
            "cubic",
            (1.0 / D, 1.0),
            math.inf,
            64,
            work,
            across,
        )
        text = S.pair_sums.lower(
            zz,
            jax.numpy.asarray([[0], [1]], np.int32),
            jax.numpy.asarray(cols, work),
            jax.numpy.asarray([1.0 / D, 1.0]),
            jax.numpy.asarray(sizes),
            jax.numpy.asarray(bound),
            block=64,
            kernel="cubic",
            rows=2,
            across=across,
        ).as_text()
    return [line for line in text.splitlines() if "dot_general" in line]


def test_a_float64_block_is_one_product_over_the_whole_contraction() -> None:
    dots = _gram_dots("float64")
    assert any(f"64x{D}xf64" in line for line in dots)
    assert not any("x32xf32" in line for line in dots)
    partial_dots = _gram_dots("partials")
    assert any("64x32xf32" in line for line in partial_dots)
    assert not any(f"64x{D}x" in line for line in partial_dots)
