"""The kernel measures' draws checked and pooled where they live (estimate/_src/kernel/pool.py).

The device path is taken for an accelerator's arrays; here the CPU is named an accelerator
(``cpu_as_accelerator``), so that the same programs run. The host path reads the same draws as
float64 NumPy arrays; both must give the same estimates, to rounding.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences.estimate._src import samples as rules
from divergences.estimate._src.kernel import pool as P
from divergences.estimate._src.samples import draws_where_they_live

E = dv.estimate
# the small samples here claim no coverage: the tests read values and errors
pytestmark = pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")


def _draws(seed: int, n: int, d: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)) * 1.5 + shift).astype(np.float32)


def _measures(x, y, r) -> dict:
    """Each kernel measure's value, ends and method (or p-value) on the same draws."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", E.NoCoverageWarning)
        out = {
            "kid": E.kid(x, y),
            "mmd normal": E.mmd_squared(x, y, bandwidth=3.0, interval="normal"),
            "mmd mcdiarmid": E.mmd_squared(x, y, bandwidth=3.0),
            "mmd median": E.mmd_squared(x, y),  # 2,200 pooled: the heuristic takes 2,000
            "kid difference": E.kid_difference(r, x[:300], y[:300]).difference,
        }
        test = E.mmd_test(x[:400], y[:400], bandwidth=3.0, permutations=50)
    values = {k: (*v[:3], v.method) for k, v in out.items()}
    values["mmd test"] = (test.statistic, test.p_value, 0.0, test.method)
    return values


@pytest.mark.slow  # 10.2 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_draws_held_by_a_device_give_the_host_s_estimates(x64: bool) -> None:
    x, y, r = _draws(0, 1100, 5), _draws(1, 1100, 5, 0.2), _draws(2, 300, 5)
    with jax.enable_x64(x64):
        host = _measures(x, y, r)
        device = _measures(*(jnp.asarray(v) for v in (x, y, r)))
    for name, want in host.items():
        got = device[name]
        for a, b in zip(got[:3], want[:3], strict=True):
            assert a == pytest.approx(b, rel=1e-12, abs=1e-15), name
        # the pass runs on the accelerator either way (NumPy draws are pooled on the host and
        # sent there), and says so
        assert got[3] == want[3] and "summed on cpu:0" in got[3], name


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_a_device_s_draws_stay_there_and_are_checked_on_one_row(monkeypatch) -> None:
    rows_read = []
    real = rules.as_samples
    monkeypatch.setattr(
        rules, "as_samples", lambda z, name: rows_read.append(len(z)) or real(z, name)
    )
    x, y = jnp.asarray(_draws(0, 50, 3)), jnp.asarray(_draws(1, 40, 3))
    xs, ys = draws_where_they_live(((x, "x"), (y, "y")))
    assert xs is x and ys is y and rows_read == [1, 1]
    line, _ = draws_where_they_live(((y[:, 0], "y"), (x[:, 1], "x")))  # (n,): n points of the line
    assert isinstance(line, jax.Array) and line.shape == (40, 1)
    with pytest.raises(ValueError, match="x and y must be draws in one dimension"):
        draws_where_they_live(((x, "x"), (y[:, 0], "y")))
    z, radius2, block, shift = P.padded_pool((x, x[:, ::-1]), np.float32, True)
    assert isinstance(z, jax.Array) and z.devices() == x.devices()
    host = P.padded_pool(
        tuple(np.asarray(v, np.float64) for v in (x, x[:, ::-1])), np.float32, True
    )
    assert np.array_equal(np.asarray(z), np.asarray(host[0]))  # the same IEEE steps
    assert (block, shift) == host[2:] and radius2 == pytest.approx(host[1], rel=1e-15)


@pytest.mark.usefixtures("cpu_as_accelerator")
def test_a_device_s_bad_draws_are_refused_by_name() -> None:
    x = np.asarray(_draws(0, 30, 4))
    bad = x.copy()
    bad[[0, 7], 1] = np.nan  # the first draw too: the count is the sample's, not one row's
    with pytest.raises(ValueError, match="y must be finite: 2 of its 30 draws hold NaN or inf"):
        E.kid(jnp.asarray(x), jnp.asarray(bad))
    with pytest.raises(ValueError, match="reference must be finite: 2 of its 30"):
        E.kid_difference(jnp.asarray(bad), jnp.asarray(x), jnp.asarray(x))
    with pytest.raises(ValueError, match="y must hold real numbers"):
        E.mmd_squared(jnp.asarray(x), jnp.asarray(x > 0), bandwidth=1.0)
    with pytest.raises(ValueError, match="b must hold at least 2 draws"):
        E.kid_difference(jnp.asarray(x), jnp.asarray(x), jnp.asarray(x[:1]))


def test_the_host_names_each_sample_of_the_kid_difference() -> None:
    x = np.asarray(_draws(0, 30, 4))
    bad = x.copy()
    bad[5, 0] = np.inf
    for args, name in (((bad, x, x), "reference"), ((x, bad, x), "a"), ((x, x, bad), "b")):
        with pytest.raises(ValueError, match=f"^{name} must be finite: 1 of its 30"):
            E.kid_difference(*args)
    with pytest.raises(ValueError, match="reference and b must be draws in one dimension"):
        E.kid_difference(x, x, x[:, :3])


@pytest.mark.usefixtures("cpu_as_accelerator")
def test_draws_on_the_host_and_a_device_together_are_read_on_the_host() -> None:
    x, y = _draws(0, 40, 3), _draws(1, 40, 3)
    xs, ys = draws_where_they_live(((x, "x"), (jnp.asarray(y), "y")))
    assert isinstance(xs, np.ndarray) and isinstance(ys, np.ndarray) and ys.dtype == np.float64
    assert E.kid(x, jnp.asarray(y)).value == E.kid(x, y).value


def test_a_cpu_s_pass_says_nothing_of_where_it_ran() -> None:
    x, y = _draws(0, 40, 3), _draws(1, 40, 3)
    assert "summed on" not in E.kid(jnp.asarray(x), jnp.asarray(y)).method


@pytest.mark.slow  # 3.8 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.usefixtures("cpu_as_accelerator")
def test_the_median_heuristic_orders_tied_draws_as_the_host_does() -> None:
    # first coordinates on a grid of 0.5: many ties, ordered by the other coordinates
    x, y = _draws(0, 1100, 3), _draws(1, 1000, 3, 0.2)
    x[:, 0], y[:, 0] = np.round(x[:, 0] * 2) / 2, np.round(y[:, 0] * 2) / 2
    want = E.mmd_squared(x, y)
    got = E.mmd_squared(jnp.asarray(x), jnp.asarray(y))
    assert got.method == want.method.replace("float32", "float32, summed on cpu:0")
    assert got[:3] == pytest.approx(want[:3], rel=1e-12)
