r"""Two-dimensional data sets for the training lab, each with its sampler and, where it has
them, its modes.

Every data set is a :class:`Dataset`: a name, a dimension, a jittable sampler
``sample(key, n) -> (n, dim)``, the box drawn in figures and binned for the grid divergences,
and, for the Gaussian mixtures, the mode centres and their standard deviation (for mode
coverage).

References:
  Arjovsky, Chintala & Bottou, *Wasserstein GAN*, ICML 2017, Example 1 (parallel lines);
  Metz, Poole, Pfau & Sohl-Dickstein, *Unrolled GANs*, ICLR 2017 (ring of 8 Gaussians,
  radius 2, std 0.02); Srivastava et al., *VEEGAN*, NeurIPS 2017, and Lin et al., *PacGAN*,
  NeurIPS 2018 (grid of 25 Gaussians, std 0.05; mode coverage).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

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
    """

    name: str
    dim: int
    sample: Sampler
    extent: tuple[float, float, float, float]
    modes: np.ndarray | None = None
    mode_std: float | None = None


def _mixture(name: str, centres: np.ndarray, std: float, extent: tuple) -> Dataset:
    c = np.asarray(centres, dtype=np.float64)

    def sample(key: jax.Array, n: int) -> jax.Array:
        kc, kn = jax.random.split(key)
        dtype = jnp.result_type(float)
        idx = jax.random.randint(kc, (n,), 0, c.shape[0])
        return jnp.asarray(c, dtype)[idx] + std * jax.random.normal(kn, (n, c.shape[1]), dtype)

    return Dataset(name, c.shape[1], sample, extent, modes=c, mode_std=std)


def gaussian_ring(k: int = 8, *, radius: float = 2.0, std: float = 0.02) -> Dataset:
    """``k`` equal Gaussians of standard deviation ``std`` on a circle of ``radius``."""
    t = 2 * np.pi * np.arange(k) / k
    r = radius + 4 * std + 0.5
    return _mixture(f"ring{k}", radius * np.stack([np.cos(t), np.sin(t)], -1), std, (-r, r, -r, r))


def gaussian_grid(side: int = 5, *, spacing: float = 2.0, std: float = 0.05) -> Dataset:
    """``side * side`` equal Gaussians on a square grid centred at 0 (VEEGAN, PacGAN)."""
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    centres = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), -1).reshape(-1, 2)
    r = float(ticks[-1]) + 4 * std + 0.5
    return _mixture(f"grid{side * side}", centres, std, (-r, r, -r, r))


def parallel_lines(theta: float = 0.0) -> Dataset:
    r"""Arjovsky et al.'s Example 1: :math:`(\theta, Z)`, :math:`Z \sim U[0, 1]`; the data is
    :math:`\theta = 0`, and the lab's generator for it is the same family with a learned
    :math:`\theta` (so :math:`W_1 = |\theta|` and JS is :math:`\log 2` for every
    :math:`\theta \ne 0`)."""

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
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"data: dim must be a positive integer, got {dim!r}")
    if not callable(sample):
        raise ValueError(f"data: sample must be a callable (key, n) -> (n, dim), got {sample!r}")
    probe = np.asarray(sample(jax.random.key(0), 64))
    if probe.shape != (64, dim):
        raise ValueError(
            f"data: the sampler must return shape (n, dim) = (64, {dim}) for n = 64, got {probe.shape}"
        )
    return Dataset(name, int(dim), sample, _extent_of(probe))


#: The named data sets of the command line.
DATASETS: dict[str, Callable[[], Dataset]] = {
    "parallel_lines": parallel_lines,
    "ring8": gaussian_ring,
    "grid25": gaussian_grid,
    "moons": moons,
}


def dataset(name: str) -> Dataset:
    """The named data set, or a ValueError listing the names."""
    if name not in DATASETS:
        raise ValueError(f"data must be one of {sorted(DATASETS)} or a Dataset, got {name!r}")
    return DATASETS[name]()
