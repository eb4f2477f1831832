r"""The Dirac-GAN: the smallest GAN whose training dynamics can be solved exactly.

Data :math:`P = \delta_0`, generator :math:`Q_\theta = \delta_\theta`, a linear discriminator
:math:`D_\psi(x) = \psi x`. The game's value is
:math:`L(\theta, \psi) = f(\psi\theta) + f(0)` with :math:`f(t) = -\log(1 + e^{-t})` for the GAN
and :math:`f(t) = t` for the WGAN; the generator descends in :math:`\theta`, the discriminator
ascends in :math:`\psi`, the latter with an optional penalty :math:`\frac{\gamma}{2}\psi^2` (R1:
the squared gradient of :math:`D_\psi` at the data). The gradient vector field is

.. math::
   v(\theta, \psi) = \big(-\psi f'(\theta\psi),\ \theta f'(\theta\psi) - \gamma\psi\big),

with the equilibrium :math:`(0, 0)` and Jacobian there
:math:`J = \begin{pmatrix} 0 & -f'(0) \\ f'(0) & -\gamma \end{pmatrix}`, eigenvalues
:math:`\lambda = \big(-\gamma \pm \sqrt{\gamma^2 - 4 f'(0)^2}\big)/2`: purely imaginary
:math:`\pm i f'(0)` without the penalty (the continuous dynamics circle; simultaneous gradient
steps spiral out, alternating ones stay on closed orbits), negative real parts for
:math:`\gamma > 0` (convergence). :math:`f'(0) = 1/2` for the GAN, 1 for the WGAN.

References:
  Mescheder, Geiger & Nowozin, *Which Training Methods for GANs do actually Converge?*, ICML
  2018, Sec. 2.2 (Definition 2.1), Lemma 2.2 and Theorem 4.1.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences.extending import integer_option, number_option

__all__ = [
    "eigenvalues_closed_form",
    "eigenvalues_numeric",
    "eigenvalues_symbolic",
    "jacobian",
    "trajectory",
    "vector_field",
]

_GAMES = ("gan", "wgan")


def _check(game: str, gamma: Any) -> None:
    if game not in _GAMES:
        raise ValueError(f"game must be one of {_GAMES}, got {game!r}")
    number_option(gamma, "gamma", inclusive=True)


def _f_prime(game: str, t: jax.Array) -> jax.Array:
    # f(t) = -log(1 + exp(-t)): f'(t) = 1 / (1 + exp(t)) = sigmoid(-t).
    return jax.nn.sigmoid(-t) if game == "gan" else jnp.ones_like(t)


def vector_field(
    theta: Any, psi: Any, *, game: str = "gan", gamma: float = 0.0
) -> tuple[jax.Array, jax.Array]:
    r"""The gradient vector field :math:`v(\theta, \psi)` (broadcasts over arrays)."""
    _check(game, gamma)
    theta, psi = jnp.asarray(theta, float), jnp.asarray(psi, float)
    fp = _f_prime(game, theta * psi)
    return -psi * fp, theta * fp - gamma * psi


def jacobian(
    theta: float = 0.0, psi: float = 0.0, *, game: str = "gan", gamma: float = 0.0
) -> np.ndarray:
    """The Jacobian of :func:`vector_field` at ``(theta, psi)`` by automatic differentiation."""
    _check(game, gamma)

    def v(z: jax.Array) -> jax.Array:
        return jnp.stack(vector_field(z[0], z[1], game=game, gamma=gamma))

    return np.asarray(jax.jacfwd(v)(jnp.asarray([theta, psi], float)))


def eigenvalues_numeric(*, game: str = "gan", gamma: float = 0.0) -> np.ndarray:
    """Eigenvalues of the Jacobian at the equilibrium, numerically (sorted by imaginary part)."""
    ev = np.linalg.eigvals(jacobian(game=game, gamma=gamma))
    return ev[np.lexsort((ev.real, ev.imag))]


def eigenvalues_closed_form(*, game: str = "gan", gamma: float = 0.0) -> np.ndarray:
    r"""The eigenvalues at the equilibrium in closed form, as a complex NumPy array.

    They are :math:`(-\gamma \pm \sqrt{\gamma^2 - 4 f'(0)^2})/2`, sorted as
    :func:`eigenvalues_numeric`.
    """
    _check(game, gamma)
    fp0 = 0.5 if game == "gan" else 1.0
    root = np.sqrt(complex(gamma**2 - 4 * fp0**2))
    ev = np.array([(-gamma - root) / 2, (-gamma + root) / 2])
    return ev[np.lexsort((ev.real, ev.imag))]


@functools.lru_cache(maxsize=4)
def eigenvalues_symbolic(game: str = "gan") -> tuple[Any, Any]:
    r"""The eigenvalues at the equilibrium as sympy expressions in the symbol ``gamma``.

    Derived by sympy from the vector field itself (the Jacobian of
    :math:`(-\psi f'(\theta\psi), \theta f'(\theta\psi) - \gamma\psi)` at 0), not typed in.
    Returns ``(gamma, [eigenvalues])``.
    """
    import sympy as sp

    _check(game, 0.0)
    theta, psi = sp.symbols("theta psi", real=True)
    gamma = sp.symbols("gamma", nonnegative=True)
    t = sp.symbols("t", real=True)
    f = -sp.log(1 + sp.exp(-t)) if game == "gan" else t
    fp = sp.diff(f, t)
    v = sp.Matrix([-psi * fp.subs(t, theta * psi), theta * fp.subs(t, theta * psi) - gamma * psi])
    jac = v.jacobian([theta, psi]).subs({theta: 0, psi: 0})
    return gamma, [sp.simplify(e) for e in jac.eigenvals(multiple=True)]


def trajectory(
    theta0: float,
    psi0: float,
    *,
    steps: int,
    step_size: float,
    game: str = "gan",
    gamma: float = 0.0,
    alternating: bool = False,
) -> np.ndarray:
    r"""Gradient steps from ``(theta0, psi0)``: shape ``(steps + 1, 2)``.

    Simultaneous: :math:`z_{k+1} = z_k + h\,v(z_k)`. Alternating: the generator moves first,
    :math:`\theta_{k+1} = \theta_k + h\,v_\theta(\theta_k, \psi_k)`, then the discriminator sees
    the new generator, :math:`\psi_{k+1} = \psi_k + h\,v_\psi(\theta_{k+1}, \psi_k)`.
    """
    _check(game, gamma)
    integer_option(steps, "steps", minimum=0)
    number_option(step_size, "step_size")

    def step(z: jax.Array, _: None) -> tuple[jax.Array, jax.Array]:
        th, ps = z[0], z[1]
        if alternating:
            th = th + step_size * vector_field(th, ps, game=game, gamma=gamma)[0]
            ps = ps + step_size * vector_field(th, ps, game=game, gamma=gamma)[1]
        else:
            dth, dps = vector_field(th, ps, game=game, gamma=gamma)
            th, ps = th + step_size * dth, ps + step_size * dps
        z = jnp.stack([th, ps])
        return z, z

    z0 = jnp.asarray([theta0, psi0], float)
    _, zs = jax.lax.scan(step, z0, None, length=int(steps))
    return np.concatenate([np.asarray(z0)[None], np.asarray(zs)])
