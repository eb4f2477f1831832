"""Sweeps of continuous families: fast curves against closed forms, checked against enclosures."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

import divergences as dv
from divergences.lab.cli import main
from divergences.lab.figures.continuous_curves import (
    CONTINUOUS_FAMILIES,
    CONTINUOUS_QUANTITIES,
    ContinuousFamily,
    CurveOutsideEnclosure,
    continuous_sweep,
    gaussian_widening,
    gaussians_apart,
    mixture_component_moving,
    uniforms_apart,
    write_continuous_csv,
)
from divergences.testing import tolerance

pytest.importorskip("flint")  # the certified path
QUAD = tolerance("quadrature")


def _within_error(s, name: str, expected: np.ndarray) -> None:
    """The fast values equal ``expected`` within their own error estimate plus the rounding."""
    v, e = s.values[name], s.errors[name]
    both_inf = np.isinf(v) & np.isinf(expected) & (v == expected)
    slack = e + QUAD["atol"] + QUAD["rtol"] * np.abs(np.where(both_inf, 0.0, expected))
    with np.errstate(invalid="ignore"):
        miss = np.where(both_inf, 0.0, np.abs(v - expected) - slack)
    assert (miss <= 0).all(), f"{name}: worst miss {miss.max()} at theta {s.thetas[miss.argmax()]}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "thetas"),
    [
        (gaussians_apart(), np.linspace(-4.0, 4.0, 9)),
        (gaussian_widening(), np.array([0.5, 0.8, 1.0, 1.7, 3.0])),
        (uniforms_apart(), np.array([-2.0, -1.0, -0.4, 0.0, 0.25, 1.0, 3.0])),
        # W1 certified between these mixtures takes minutes a point on two cores: fast only
        (mixture_component_moving(), np.array([-3.0, 0.0, 2.0, 4.0])),
    ],
    ids=lambda x: x.name if isinstance(x, ContinuousFamily) else "",
)
def test_fast_values_match_the_closed_forms_and_the_certified_enclosures(
    family: ContinuousFamily, thetas: np.ndarray
) -> None:
    assert family.exact is not None
    names = tuple(family.exact(thetas))
    certify = 0 if family is mixture_component_moving() else 3
    s = continuous_sweep(family, thetas, quantities=names, certify=certify)
    exact = family.exact(thetas)
    for name in names:
        _within_error(s, name, exact[name])
        if not certify:
            continue
        # the certified bounds contain the closed form (an independent computation)
        e = exact[name][s.certified]
        lo, hi = s.lower_bound[name], s.upper_bound[name]
        slack = QUAD["atol"] + 4 * np.finfo(float).eps * np.abs(np.where(np.isinf(e), 0, e))
        assert ((lo <= e + slack) & (e - slack <= hi)).all(), (name, lo, e, hi)
        assert s.widest_miss(name) <= float(s.errors[name][s.certified].max()) + 1e-15
    if certify:
        assert s.certified.tolist() == [0, thetas.size // 2, thetas.size - 1]


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_the_parallel_lines_limit_on_the_line() -> None:
    t = np.array([-3.0, -1.0, 1.0, 2.0, 10.0])
    s = continuous_sweep(uniforms_apart(), t, quantities=("js", "tv", "kl", "w1"), certify=5)
    np.testing.assert_allclose(s.lower_bound["js"], math.log(2), rtol=1e-12)
    np.testing.assert_allclose(s.upper_bound["tv"], 1.0, rtol=1e-12)
    assert np.isinf(s.values["kl"]).all() and np.isinf(s.lower_bound["kl"]).all()
    np.testing.assert_allclose(s.values["w1"], np.abs(t), rtol=1e-12)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_gradients_in_theta_match_the_closed_forms() -> None:
    t = np.array([-3.0, -2.0, -0.7, 0.3, 1.0, 2.5, 4.0])
    s = continuous_sweep(gaussians_apart(), t, quantities=("kl", "tv"), certify=0, gradients=True)
    assert s.gradients is not None
    grad = tolerance("gradient")
    np.testing.assert_allclose(s.gradients["kl"], t, **grad)  # d(theta^2 / 2)
    dtv = np.sign(t) * np.exp(-(t**2) / 8) / math.sqrt(2 * math.pi)  # d erf(|t| / 2 sqrt 2)
    np.testing.assert_allclose(s.gradients["tv"], dtv, **grad)


def _with_bad_enclosure(monkeypatch: pytest.MonkeyPatch, shift: float) -> None:
    """Makes the certified KL return the true enclosure moved by ``shift``."""
    real = dv.continuous.certified.kl

    def moved(p, q, **kw):  # type: ignore[no-untyped-def]
        e = real(p, q, **kw)
        return e._replace(lower_bound=e.lower_bound + shift, upper_bound=e.upper_bound + shift)

    monkeypatch.setattr(dv.continuous.certified, "kl", moved)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_a_fast_value_outside_its_enclosure_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_bad_enclosure(monkeypatch, 1e-6)
    with pytest.raises(CurveOutsideEnclosure, match=r"kl at theta = 1\.0: fast 0\.5") as info:
        continuous_sweep(gaussians_apart(), np.array([0.0, 1.0]), quantities=("kl", "js"))
    assert "2 fast value(s)" in str(info.value) and "js" not in str(info.value).split(":", 1)[1]
    # the check can be turned off, and then the bands say how far
    s = continuous_sweep(gaussians_apart(), np.array([1.0]), quantities=("kl",), check=False)
    assert s.widest_miss("kl") == pytest.approx(1e-6, rel=1e-3)


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_the_command_line_sweep_writes_csv_and_fails_on_a_miss(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys
) -> None:
    out = tmp_path / "c.csv"
    argv = ["sweep", "continuous_gaussians", "--start", "-1", "--stop", "1", "--num", "5"]
    assert main([*argv, "--certify", "2", "--quantities", "kl", "js", "--csv", str(out)]) == 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and float(rows[4]["kl"]) == pytest.approx(0.5, rel=1e-12)
    assert rows[0]["kl_lower"] and not rows[1]["kl_lower"] and rows[4]["js_upper"]
    assert "5 thetas x 2 quantities" in capsys.readouterr().out
    _with_bad_enclosure(monkeypatch, -1e-3)
    assert main([*argv, "--certify", "2", "--quantities", "kl"]) == 1
    assert "outside the certified enclosure" in capsys.readouterr().err
    assert main(["sweep", "continuous_widening", "--start", "-1"]) == 2  # theta > 0 only


@pytest.mark.slow  # a sweep of the lab (make verify sweeps too)
def test_csv_holds_every_column() -> None:
    s = continuous_sweep(
        gaussians_apart(), np.array([0.0, 2.0]), quantities=("kl",), certify=1, gradients=True
    )
    buf = io.StringIO()
    write_continuous_csv(s, buf)
    head = buf.getvalue().splitlines()[0].split(",")
    assert head == ["theta", "kl", "kl_error", "kl_lower", "kl_upper", "d_kl", "exact_kl"]


def test_bad_options_are_refused() -> None:
    fam = gaussians_apart()
    with pytest.raises(ValueError, match="quantities: unknown"):
        continuous_sweep(fam, [0.0], quantities=("kl2",))
    with pytest.raises(ValueError, match="certify"):
        continuous_sweep(fam, [0.0], certify=-1)
    with pytest.raises(ValueError, match="thetas"):
        continuous_sweep(fam, [[0.0]])
    with pytest.raises(ValueError, match=r"thetas must lie in"):
        continuous_sweep(gaussian_widening(), [0.0, 1.0])


def test_the_tables_agree() -> None:
    assert set(CONTINUOUS_FAMILIES) == {
        "continuous_gaussians",
        "continuous_mixture",
        "continuous_uniforms",
        "continuous_widening",
    }
    assert {"kl", "js", "tv", "hellinger", "chi_square", "gan_value", "w1"} <= set(
        CONTINUOUS_QUANTITIES
    )
    assert CONTINUOUS_FAMILIES["continuous_gaussians"]() is gaussians_apart()  # one compile
    assert mixture_component_moving().discretised is None
    assert gaussians_apart().discretised is dv.families.shifted_gaussians
