r"""Two-dimensional data sets for the training lab.

Each comes with its sampler and, where it has them, its modes.

Every data set is a :class:`Dataset`: a name, a dimension, a jittable sampler
``sample(key, n) -> (n, dim)``, the box drawn in figures and binned for the grid divergences,
and, for the Gaussian mixtures, the mode centres and their standard deviation (for mode
coverage).

References:
  Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, Example 1 (parallel lines);
  Metz, Poole, Pfau & Sohl-Dickstein, *Unrolled GANs*, ICLR 2017 (ring of 8 Gaussians,
  radius 2, std 0.02); Srivastava et al., *VEEGAN*, NeurIPS 2017, and Lin et al., *PacGAN*,
  NeurIPS 2018 (grid of 25 Gaussians, std 0.05; mode coverage); Gulrajani, Ahmed, Arjovsky,
  Dumoulin & Courville, *Improved Training of Wasserstein GANs*, NeurIPS 2017, Figure 1 and
  their toy code ``gan_toy.py`` (the Swiss roll).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from divergences.extending import integer_option

__all__ = [
    "DATASETS",
    "Dataset",
    "dataset",
    "from_array",
    "from_sampler",
    "gaussian_grid",
    "gaussian_ring",
    "moons",
    "parallel_lines",
    "swiss_roll",
]

Sampler = Callable[[jax.Array, int], jax.Array]


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A data distribution in the plane (or in ``dim`` dimensions for a user's data).

    Attributes:
      name: the name used on the command line and in figures.
      dim: the dimension of a point.
      sample: ``(key, n) -> (n, dim)`` draws, jittable with ``n`` static.
      extent: ``(xmin, xmax, ymin, ymax)``: the box of the figures and of the grid pmfs.
      modes: mode centres ``(k, dim)`` for a Gaussian mixture with equal weights, else ``None``.
      mode_std: the mixture components' standard deviation (isotropic), else ``None``.
      steps_scale: the training lab's default step count on this data is the game's times this
        (:attr:`~divergences.lab.training.config.TrainingConfig.n_steps`): 1 but for the grid of
        25 Gaussians, whose modes take longer to reach than the ring's (``GRID_STEPS_SCALE``).
      image_shape: ``(height, width)`` where a point is an image's pixels (the digits), else
        ``None``.
      points: the finite set the sampler draws from (the training images), else ``None``.
      held_out: draws of the data's law the sampler never returns (the held-out images), else
        ``None``.
      defaults: the training lab's options for this data set, ``(name, value)`` pairs of
        :class:`~divergences.lab.training.config.TrainingConfig` fields that
        :meth:`~divergences.lab.training.config.TrainingConfig.for_data` and ``divergences
        train`` take where none is given.
    """

    name: str
    dim: int
    sample: Sampler
    extent: tuple[float, float, float, float]
    modes: np.ndarray | None = None
    mode_std: float | None = None
    steps_scale: float = 1.0
    image_shape: tuple[int, int] | None = None
    points: np.ndarray | None = None
    held_out: np.ndarray | None = None
    defaults: tuple[tuple[str, Any], ...] = ()


def _mixture(
    name: str, centres: np.ndarray, std: float, extent: tuple, *, steps_scale: float = 1.0
) -> Dataset:
    c = np.asarray(centres, dtype=np.float64)

    def sample(key: jax.Array, n: int) -> jax.Array:
        kc, kn = jax.random.split(key)
        dtype = jnp.result_type(float)
        idx = jax.random.randint(kc, (n,), 0, c.shape[0])
        return jnp.asarray(c, dtype)[idx] + std * jax.random.normal(kn, (n, c.shape[1]), dtype)

    return Dataset(name, c.shape[1], sample, extent, modes=c, mode_std=std, steps_scale=steps_scale)


def gaussian_ring(k: int = 8, *, radius: float = 2.0, std: float = 0.02) -> Dataset:
    """``k`` equal Gaussians of standard deviation ``std`` on a circle of ``radius``."""
    t = 2 * np.pi * np.arange(k) / k
    r = radius + 4 * std + 0.5
    return _mixture(f"ring{k}", radius * np.stack([np.cos(t), np.sin(t)], -1), std, (-r, r, -r, r))


#: The default step count's scale on the grid of 25 Gaussians, whose modes take longer to reach
#: than the ring's: 40000 steps of the five-critic-step games, where wgan-gp (lambda = 0.1) found
#: all 25 modes on seeds 0, 1 and 2 (25, 18 and 25 at 30000 steps; benchmarks/README.md, "The
#: training lab's modes"); sngan's runs at 30000: benchmarks/history-to-2026-11-25.md, "Notes
#: moved from the code".
GRID_STEPS_SCALE = 10 / 3


def gaussian_grid(side: int = 5, *, spacing: float = 2.0, std: float = 0.05) -> Dataset:
    """``side * side`` equal Gaussians on a square grid centred at 0 (VEEGAN, PacGAN).

    The data set takes :data:`GRID_STEPS_SCALE` times the games' default step count.
    """
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    centres = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    r = float(ticks[-1]) + 4 * std + 0.5
    return _mixture(
        f"grid{side * side}", centres, std, (-r, r, -r, r), steps_scale=GRID_STEPS_SCALE
    )


def parallel_lines(theta: float = 0.0) -> Dataset:
    r"""Arjovsky et al.'s Example 1: :math:`(\theta, Z)`, :math:`Z \sim U[0, 1]`.

    The data is :math:`\theta = 0`, and the lab's generator for it is the same family with a learned
    :math:`\theta` (so :math:`W_1 = |\theta|` and JS is :math:`\log 2` for every
    :math:`\theta \ne 0`).
    """

    def sample(key: jax.Array, n: int) -> jax.Array:
        z = jax.random.uniform(key, (n,), jnp.result_type(float))
        return jnp.stack([jnp.full((n,), theta, z.dtype), z], axis=-1)

    return Dataset("parallel_lines", 2, sample, (-1.5, 1.5, -0.5, 1.5))


def moons(*, noise: float = 0.05) -> Dataset:
    """Two interleaved half circles with Gaussian noise (as scikit-learn's ``make_moons``)."""

    def sample(key: jax.Array, n: int) -> jax.Array:
        kt, kc, kn = jax.random.split(key, 3)
        dtype = jnp.result_type(float)
        t = jnp.pi * jax.random.uniform(kt, (n,), dtype)
        upper = jax.random.bernoulli(kc, 0.5, (n,))
        x = jnp.where(upper, jnp.cos(t), 1.0 - jnp.cos(t))
        y = jnp.where(upper, jnp.sin(t), 0.5 - jnp.sin(t))
        return jnp.stack([x, y], -1) + noise * jax.random.normal(kn, (n, 2), dtype)

    return Dataset("moons", 2, sample, (-1.6, 2.6, -1.1, 1.6))


#: The Swiss roll's angle runs over :math:`[1.5\pi, 4.5\pi]` (scikit-learn's ``make_swiss_roll``).
_ROLL_TURNS = (1.5 * np.pi, 4.5 * np.pi)

#: Gulrajani et al.'s toy code divides scikit-learn's Swiss roll by 7.5 ("stdev plus a little").
_ROLL_SCALE = 7.5


def swiss_roll(*, noise: float = 0.25 / _ROLL_SCALE) -> Dataset:
    r"""The Swiss roll of WGAN-GP's Figure 1: a spiral in the plane with Gaussian noise.

    A point is :math:`(t\cos t,\ t\sin t) / 7.5 + \sigma\,\varepsilon` with
    :math:`t = 1.5\pi(1 + 2u)`, :math:`u \sim U[0, 1]`, :math:`\varepsilon \sim N(0, I_2)`:
    scikit-learn's ``make_swiss_roll`` (noise 0.25) projected on its first and third
    coordinates and divided by 7.5, as Gulrajani et al.'s toy code does, so the default
    ``noise`` is :math:`\sigma = 0.25 / 7.5 = 1/30`. The spiral winds from radius 0.63 to
    1.89. Uniform in :math:`t`, not in arc length (:math:`ds \approx t\,dt`): the points
    thin out along the spiral as :math:`1/t`, three times sparser at its outer end than at its
    inner one.

    It has no discrete modes (``modes`` is ``None``): the lab judges a generator on it by the
    exact :math:`W_1` to the data against its noise floor
    (:func:`~divergences.lab.training.verdict.verdict`).

    Args:
      noise: the standard deviation :math:`\sigma` of the isotropic Gaussian noise, >= 0.

    Example:
      >>> import jax
      >>> from divergences.lab.training.data import swiss_roll
      >>> swiss_roll().sample(jax.random.key(0), 5).shape
      (5, 2)
    """
    if not (isinstance(noise, (int, float, np.number)) and np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    sigma = float(noise)
    lo, hi = _ROLL_TURNS

    def sample(key: jax.Array, n: int) -> jax.Array:
        kt, kn = jax.random.split(key)
        dtype = jnp.result_type(float)
        t = jax.random.uniform(kt, (n,), dtype, lo, hi)
        curve = jnp.stack([t * jnp.cos(t), t * jnp.sin(t)], -1) / _ROLL_SCALE
        return curve + sigma * jax.random.normal(kn, (n, 2), dtype)

    # The box: the spiral's own bounds, widened as the mixtures' (4 noise sds and 0.5).
    t = np.linspace(lo, hi, 4001)
    curve = np.stack([t * np.cos(t), t * np.sin(t)], -1) / _ROLL_SCALE
    pad = 4 * sigma + 0.5
    (x0, y0), (x1, y1) = curve.min(0) - pad, curve.max(0) + pad
    return Dataset("swiss_roll", 2, sample, (float(x0), float(x1), float(y0), float(y1)))


def _extent_of(points: np.ndarray) -> tuple[float, float, float, float]:
    lo, hi = points[:, :2].min(0), points[:, :2].max(0)
    pad = 0.1 * float(np.max(hi - lo)) + 1e-3
    if points.shape[1] == 1:
        return (float(lo[0] - pad), float(hi[0] + pad), -1.0, 1.0)
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


def from_array(points: Any, *, name: str = "array") -> Dataset:
    """A user's sample as a data set: draws are rows chosen uniformly with replacement."""
    a = np.asarray(points, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"data: an array of points must have shape (n, d) with n, d >= 1, got {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError("data: the array of points contains NaN or inf")

    def sample(key: jax.Array, n: int) -> jax.Array:
        rows = jax.random.randint(key, (n,), 0, a.shape[0])
        return jnp.asarray(a, jnp.result_type(float))[rows]

    return Dataset(name, a.shape[1], sample, _extent_of(a))


def from_sampler(sample: Sampler, *, dim: int, name: str = "sampler") -> Dataset:
    """A user's sampler ``(key, n) -> (n, dim)`` as a data set (checked with a draw of 64)."""
    integer_option(dim, "data: dim")
    if not callable(sample):
        raise ValueError(f"data: sample must be a callable (key, n) -> (n, dim), got {sample!r}")
    probe = np.asarray(sample(jax.random.key(0), 64))
    if probe.shape != (64, dim):
        raise ValueError(
            f"data: the sampler must return shape (n, dim) = (64, {dim}) for n = 64, got {probe.shape}"
        )
    return Dataset(name, int(dim), sample, _extent_of(probe))


#: The named data sets of the command line; the package adds ``"digits"``
#: (:func:`divergences.lab.training.digits.digits`, which reads scikit-learn's images when called).
DATASETS: dict[str, Callable[[], Dataset]] = {
    "parallel_lines": parallel_lines,
    "ring8": gaussian_ring,
    "grid25": gaussian_grid,
    "moons": moons,
    "swiss_roll": swiss_roll,
}


def dataset(name: str) -> Dataset:
    """The named data set, or a ValueError listing the names."""
    if name not in DATASETS:
        raise ValueError(f"data must be one of {sorted(DATASETS)} or a Dataset, got {name!r}")
    return DATASETS[name]()
