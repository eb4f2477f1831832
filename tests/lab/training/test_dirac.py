"""The Dirac-GAN: eigenvalues at the equilibrium three ways, and the trajectories they predict."""

import numpy as np
import pytest
import sympy as sp

from divergences.lab.training import dirac
from divergences.testing import tolerance

pytestmark = pytest.mark.training


@pytest.mark.slow
@pytest.mark.parametrize("game", ["gan", "wgan"])
@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 5.0])
def test_eigenvalues_numeric_closed_form_and_symbolic_agree(game, gamma):
    num = dirac.eigenvalues_numeric(game=game, gamma=gamma)
    closed = dirac.eigenvalues_closed_form(game=game, gamma=gamma)
    g, exprs = dirac.eigenvalues_symbolic(game)
    sym = np.array([complex(sp.N(e.subs(g, gamma), 30)) for e in exprs])
    sym = sym[np.lexsort((sym.real, sym.imag))]
    np.testing.assert_allclose(num, closed, **tolerance("float64"))
    np.testing.assert_allclose(sym, closed, **tolerance("float64"))


@pytest.mark.slow  # 1.4 s from a cold compile cache: over the quick tier's 1 s
def test_no_penalty_gives_purely_imaginary_eigenvalues_and_a_penalty_negative_real_parts():
    for game, fp0 in (("gan", 0.5), ("wgan", 1.0)):
        ev = dirac.eigenvalues_numeric(game=game)
        np.testing.assert_array_equal(ev.real, 0.0)
        np.testing.assert_allclose(sorted(ev.imag), [-fp0, fp0], **tolerance("float64"))
        assert np.all(dirac.eigenvalues_numeric(game=game, gamma=0.1).real < 0)


def test_simultaneous_steps_spiral_out_alternating_circle_penalised_converge():
    kw = {"steps": 2000, "step_size": 0.1, "game": "gan"}
    r0 = np.hypot(1.0, 1.0)
    sim = np.hypot(*dirac.trajectory(1.0, 1.0, **kw).T)
    alt = np.hypot(*dirac.trajectory(1.0, 1.0, alternating=True, **kw).T)
    pen = np.hypot(*dirac.trajectory(1.0, 1.0, gamma=0.5, **kw).T)
    assert sim[-1] > 2 * r0 and np.all(np.diff(sim) >= 0)  # |z| grows at every step
    assert 0.5 * r0 < alt.min() and alt.max() < 1.5 * r0  # bounded: closed orbits
    assert pen[-1] < 1e-10


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="game must be one of"):
        dirac.vector_field(0.0, 0.0, game="lsgan")
    with pytest.raises(ValueError, match="gamma must be"):
        dirac.eigenvalues_numeric(gamma=-1.0)
    with pytest.raises(ValueError, match="steps must be"):
        dirac.trajectory(1.0, 1.0, steps=-1, step_size=0.1)
