"""The sweep: batched values and gradients along a family, against closed forms; the CSV."""

from __future__ import annotations

import csv
import io
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import divergences as dv
from divergences import families
from divergences.lab.figures import divergence_curves
from divergences.lab.figures.divergence_curves import sweep, write_csv
from divergences.testing import tolerance

F64 = tolerance("float64")
LP = tolerance("lp")
THETAS = np.array([-0.8, -0.25, 0.0, 0.1, 0.6])


@pytest.mark.slow
def test_parallel_lines_values_and_gradients_match_closed_forms() -> None:
    s = sweep(
        families.parallel_lines(),
        THETAS,
        quantities=("kl", "reverse_kl", "js", "tv", "w1"),
        gradients=True,
    )
    assert s.exact is not None and s.gradients is not None
    for key in ("kl", "reverse_kl", "js", "tv"):
        np.testing.assert_allclose(s.values[key], s.exact[key], **F64)
    np.testing.assert_allclose(s.values["w1"], np.abs(THETAS), **LP)
    moved = THETAS != 0
    np.testing.assert_allclose(
        s.gradients["w1"][moved], np.sign(THETAS[moved]), **tolerance("gradient")
    )
    np.testing.assert_allclose(s.gradients["js"], 0.0, **tolerance("gradient"))
    # KL is infinite for theta != 0: no derivative, reported as NaN exactly there.
    assert np.isnan(s.gradients["kl"][moved]).all()
    assert not np.isnan(s.gradients["kl"][~moved]).any()


@pytest.mark.slow
def test_one_d_family_uses_the_vectorised_w1() -> None:
    fam = families.shifted_uniforms(grid=np.linspace(-3.0, 4.0, 701))
    thetas = np.array([-1.5, -0.3, 0.0, 0.5, 2.0])
    s = sweep(fam, thetas, quantities=("w1", "tv", "js"), gradients=True)
    assert s.exact is not None and s.gradients is not None
    np.testing.assert_allclose(s.values["w1"], np.abs(thetas), **tolerance("grid"))
    np.testing.assert_allclose(s.values["tv"], s.exact["tv"], **tolerance("grid"))
    np.testing.assert_allclose(
        s.gradients["w1"][thetas != 0], np.sign(thetas[thetas != 0]), **tolerance("gradient")
    )


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_values_equal_per_theta_calls() -> None:
    fam = families.shifted_gaussians()
    s = sweep(fam, THETAS, quantities=("kl", "js", "hellinger", "js_distance"))
    for i, t in enumerate(THETAS):
        m = fam.measures(t)
        np.testing.assert_allclose(s.values["kl"][i], float(dv.kl(m.p, m.q)), **F64)
        np.testing.assert_allclose(s.values["js"][i], float(dv.js_divergence(m.p, m.q)), **F64)
        np.testing.assert_allclose(s.values["hellinger"][i], float(dv.hellinger(m.p, m.q)), **F64)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_base_two_scales_log_quantities_and_their_closed_forms() -> None:
    fam = families.shifted_uniforms()
    nats = sweep(fam, THETAS, quantities=("js", "tv"))
    bits = sweep(fam, THETAS, quantities=("js", "tv"), base=2)
    np.testing.assert_allclose(bits.values["js"], nats.values["js"] / math.log(2), **F64)
    np.testing.assert_allclose(bits.values["tv"], nats.values["tv"], **F64)
    assert bits.exact is not None and nats.exact is not None
    np.testing.assert_allclose(bits.exact["js"], nats.exact["js"] / math.log(2), **F64)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_sampled_w1_is_biased_upward() -> None:
    s = sweep(families.parallel_lines_sampled(n=16), THETAS, quantities=("w1",))
    assert np.all(s.values["w1"] >= np.abs(THETAS) - LP["atol"])
    assert s.values["w1"][THETAS == 0][0] > 0.01


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantities": ("kl", "wasserstein")}, "unknown"),
        ({"thetas": np.array([[0.0]])}, "1-D"),
        ({"thetas": np.array([0.0, np.nan])}, "finite"),
        ({"thetas": np.array([0.0, 5.0])}, r"must lie in \[-1, 1\]"),
        ({"w1_batch_pairs": 0}, "w1_batch_pairs must be a positive integer"),
        ({"w1_batch_pairs": 1.5}, "w1_batch_pairs must be a positive integer"),
        ({"w1_batch_pairs": True}, "w1_batch_pairs must be a positive integer"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    args = {"thetas": THETAS, "quantities": ("js",)} | kwargs
    with pytest.raises(ValueError, match=match):
        sweep(families.parallel_lines_pixels(), **args)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_write_csv_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = sweep(families.parallel_lines(), THETAS, quantities=("js", "tv"), gradients=True)
    path = tmp_path / "sweep.csv"
    write_csv(s, path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["theta", "js", "tv", "d_js", "d_tv", "exact_js", "exact_tv"]
    np.testing.assert_allclose([float(r["js"]) for r in rows], s.values["js"], **F64)
    buf = io.StringIO()
    write_csv(s, buf)
    assert buf.getvalue().splitlines()[0].startswith("theta,js,tv")


def _growing_support(theta):
    """A 2-D family whose supports change size along the sweep.

    P_0 on four fixed points (one of weight 0), P_theta on points moved by theta whose count with
    mass grows with theta (2 to 6).
    """
    base = jnp.array([[0.0, 0.0], [1.0, 0.5], [0.2, 1.0], [2.0, 2.0], [1.5, 0.1], [0.7, 0.3]])
    theta = jnp.asarray(theta)
    pts = jnp.concatenate([base[:4], base + jnp.stack([theta, 0.5 * theta])])
    p = jnp.concatenate([jnp.array([0.4, 0.0, 0.35, 0.25]), jnp.zeros(6)])
    count = jnp.clip(jnp.floor(2 + 4 * theta), 2, 6)
    w = jnp.where(jnp.arange(6) < count, 1.0 + jnp.arange(6.0), 0.0)
    return dv.MeasurePair(pts, p, jnp.concatenate([jnp.zeros(4), w / jnp.sum(w)]))


@pytest.mark.slow
@pytest.mark.parametrize("batch_pairs", [divergence_curves.W1_BATCH_PAIRS, 64, 1])
def test_batched_w1_equals_one_lp_per_theta(batch_pairs) -> None:
    # All thetas in one vmapped call (or, with a small budget, several batches, the last one
    # padded): each theta's value and gradient as its own LP on the atoms that carry mass.
    fam = families.custom("growing support", _growing_support)
    thetas = np.linspace(0.05, 0.95, 11)
    s = sweep(fam, thetas, quantities=("w1",), gradients=True, w1_batch_pairs=batch_pairs)
    assert s.gradients is not None
    for i, t in enumerate(thetas):
        m = fam.measures(t)
        ip, iq = np.flatnonzero(np.asarray(m.p) > 0), np.flatnonzero(np.asarray(m.q) > 0)
        a, b = m.p[ip], m.q[iq]

        def value(th, ip=ip, iq=iq, a=a, b=b):
            pts = fam.measures(th).points
            return dv.w1_primal(pts[ip], pts[iq], a, b).value

        np.testing.assert_allclose(s.values["w1"][i], float(value(t)), **LP)
        np.testing.assert_allclose(
            s.gradients["w1"][i], float(jax.grad(value)(jnp.asarray(t))), **LP
        )
    sizes = {int(np.sum(np.asarray(fam.measures(t).q) > 0)) for t in thetas}
    assert len(sizes) > 2  # the supports did change size along the sweep
