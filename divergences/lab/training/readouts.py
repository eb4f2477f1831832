r"""The readouts of a training run, their noise floor, and ``readouts.csv``.

Readouts (one row per evaluation, at step 0 and after every ``eval_every`` generator steps):

* ``w1``: the exact :math:`W_1` between ``eval_size`` generated points and ``eval_size`` data
  points, by :func:`divergences.w1_primal` (an exact LP solved on the host).
* ``js_grid``, ``kl_grid``: :func:`divergences.js_divergence` and
  :func:`divergences.kl` (data || generator, nats) between the pmfs of ``hist_size`` points of
  each on a ``grid_bins x grid_bins`` grid over the data set's extent, by
  :func:`divergences.grid_pmf` (with an outside cell); ``kl_grid`` adds ``kl_pseudo_count`` to
  every cell of both pmfs, ``js_grid`` uses raw frequencies. Only for 2-D data.
* ``w1_floor``, ``js_floor``, ``kl_floor`` and their ``*_sd``: the noise floor of each readout,
  the same quantity between two independent samples of the data of the same sizes (on the same
  grid), averaged over ``floor_draws`` independent pairs (mean and sample standard deviation).
  A generator equal to the data reads out, in expectation, its floor, so a readout within a
  couple of standard deviations of its floor cannot tell the generator from the data at that
  sample size. The floor depends only on the data and the sample sizes, so it is computed once
  per run (:func:`noise_floor`) and repeated on every row.
* ``critic_estimate``: the critic's own estimate on the readout samples
  (:meth:`divergences.lab.training.games.Game.estimate`).
* ``modes_covered``, ``high_quality``: for mixtures with known modes, a generated point is of
  high quality when it lies within 3 standard deviations of its nearest mode (VEEGAN); a mode is
  covered when it holds at least a fifth of its expected share of the ``hist_size`` points
  (PacGAN's rule: 20 of 2500 for 25 modes).
* ``precision``, ``recall``: :func:`divergences.estimate.fidelity_diversity` of
  :data:`READOUT_FIDELITY_DRAWS` generated points against as many data points (Kynkaanniemi et al.,
  2019): the share of generated points inside a data point's k-NN ball (fidelity) and of data
  points inside a generated point's (diversity). A collapsed generator keeps its precision and
  loses recall, on any data, modes known or not.
* for images, :mod:`~divergences.lab.training.image_readouts`' scores with their intervals
  (there ``precision`` and ``recall`` are the evaluator's, against the held-out digits).
* ``loss_d``, ``loss_g``: the critic's and the generator's losses on the readout samples, and
  ``grad_norm_g``: the norm of the generator loss's gradient with respect to the generator's
  parameters there (the saturating GAN's vanishing gradient, measured). These three describe
  the training, so they use the trained generator's weights.

The trainer (:mod:`divergences.lab.training.trainer`) computes the samples and the critic's
outputs in a jitted probe; the functions here turn them into the readouts with the library's
exact functions on the host.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import divergences as dv
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.image_readouts import IMAGE_COLUMNS, data_row, image_row, nan_row

__all__ = [
    "COLUMNS",
    "NoiseFloor",
    "Readouts",
    "fidelity",
    "grid_edges",
    "mode_coverage",
    "noise_floor",
    "readout_row",
]


#: The columns of ``readouts.csv``, in order.
COLUMNS = (
    "step",
    "w1",
    "w1_floor",
    "js_grid",
    "kl_grid",
    "critic_estimate",
    "modes_covered",
    "high_quality",
    "precision",
    "recall",
    "loss_d",
    "loss_g",
    "grad_norm_g",
    "w1_floor_sd",
    "js_floor",
    "js_floor_sd",
    "kl_floor",
    "kl_floor_sd",
    *IMAGE_COLUMNS,
)


class Readouts(NamedTuple):
    """One NumPy array per column of ``readouts.csv``, one entry per evaluation.

    NaN where a readout does not apply: grid divergences of non-2-D data, modes of data without
    modes, the image readouts (:data:`~.image_readouts.IMAGE_COLUMNS`) of data that is not
    images. The floors (``w1_floor``, ``js_floor``, ``kl_floor``) and their standard deviations
    are one value per run, repeated on every row.
    """

    step: np.ndarray
    w1: np.ndarray
    w1_floor: np.ndarray
    js_grid: np.ndarray
    kl_grid: np.ndarray
    critic_estimate: np.ndarray
    modes_covered: np.ndarray
    high_quality: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    loss_d: np.ndarray
    loss_g: np.ndarray
    grad_norm_g: np.ndarray
    w1_floor_sd: np.ndarray
    js_floor: np.ndarray
    js_floor_sd: np.ndarray
    kl_floor: np.ndarray
    kl_floor_sd: np.ndarray
    # the image readouts (IMAGE_COLUMNS), NaN for data that is not images
    inception: np.ndarray
    fd: np.ndarray
    fid: np.ndarray
    kid: np.ndarray
    density: np.ndarray
    coverage: np.ndarray
    inception_lo: np.ndarray
    inception_hi: np.ndarray
    fd_lo: np.ndarray
    fd_hi: np.ndarray
    kid_lo: np.ndarray
    kid_hi: np.ndarray
    precision_lo: np.ndarray
    precision_hi: np.ndarray
    recall_lo: np.ndarray
    recall_hi: np.ndarray
    density_lo: np.ndarray
    density_hi: np.ndarray
    coverage_lo: np.ndarray
    coverage_hi: np.ndarray
    copied_lo: np.ndarray
    copied_hi: np.ndarray
    inception_claimed: np.ndarray
    fd_claimed: np.ndarray
    kid_claimed: np.ndarray
    precision_claimed: np.ndarray
    recall_claimed: np.ndarray
    density_claimed: np.ndarray
    coverage_claimed: np.ndarray
    copied_claimed: np.ndarray
    classes_p: np.ndarray
    class_0: np.ndarray
    class_1: np.ndarray
    class_2: np.ndarray
    class_3: np.ndarray
    class_4: np.ndarray
    class_5: np.ndarray
    class_6: np.ndarray
    class_7: np.ndarray
    class_8: np.ndarray
    class_9: np.ndarray
    copied: np.ndarray
    copying_p: np.ndarray
    inception_data: np.ndarray
    fd_data: np.ndarray
    kid_data: np.ndarray
    precision_data: np.ndarray
    recall_data: np.ndarray
    density_data: np.ndarray
    coverage_data: np.ndarray


class NoiseFloor(NamedTuple):
    """The readouts between independent samples of the data, one entry per draw.

    Attributes:
      w1: :math:`W_1` between two samples of ``eval_size`` data points, exact.
      js, kl: JS and KL (nats, with ``kl_pseudo_count``) between the grid pmfs of two samples of
        ``hist_size`` data points on the readouts' grid; NaN for data that is not 2-D.
    """

    w1: np.ndarray
    js: np.ndarray
    kl: np.ndarray

    def summary(self) -> dict[str, float]:
        """Mean and sample standard deviation (``ddof=1``) of each.

        The ``*_floor`` and ``*_floor_sd`` columns of the readouts.
        """
        out = {}
        for name, v in (("w1", self.w1), ("js", self.js), ("kl", self.kl)):
            out[f"{name}_floor"] = float(np.mean(v))
            out[f"{name}_floor_sd"] = float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
        return out


def grid_edges(config: TrainingConfig) -> list[np.ndarray]:
    """The edges of the grid pmfs: ``grid_bins`` equal bins per axis over the data's extent."""
    x0, x1, y0, y1 = config.dataset.extent
    return [np.linspace(x0, x1, config.grid_bins + 1), np.linspace(y0, y1, config.grid_bins + 1)]


def mode_coverage(samples: Any, modes: Any, std: float) -> tuple[int, float]:
    """``(modes covered, share of high-quality points)`` of ``samples`` for a mixture's modes.

    A point is of high quality when its nearest mode lies within ``3 * std`` (Srivastava et al.,
    *VEEGAN*, 2017); a mode is covered when at least a fifth of its expected share
    ``n / k`` of high-quality points lands on it (Lin et al., *PacGAN*, 2018: 20 of 2500 for
    25 modes).
    """
    x = np.asarray(samples, dtype=np.float64)
    c = np.asarray(modes, dtype=np.float64)
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    hq = np.sqrt(d2[np.arange(len(x)), nearest]) <= 3 * std
    counts = np.bincount(nearest[hq], minlength=len(c))
    covered = int(np.sum(counts >= 0.2 * len(x) / len(c)))
    return covered, float(hq.mean())


def _grid_divergences(
    config: TrainingConfig, data: np.ndarray, gen: np.ndarray
) -> tuple[float, float]:
    """``(JS, KL(data || gen))`` between the grid pmfs of two samples; NaN unless 2-D."""
    if config.dataset.dim != 2:
        return math.nan, math.nan
    edges = grid_edges(config)
    js = float(dv.js_divergence(dv.grid_pmf(data, edges).pmf, dv.grid_pmf(gen, edges).pmf))
    a = config.kl_pseudo_count
    kl = float(
        dv.kl(
            dv.grid_pmf(data, edges, pseudo_count=a).pmf,
            dv.grid_pmf(gen, edges, pseudo_count=a).pmf,
        )
    )
    return js, kl


@functools.lru_cache(maxsize=16)
def _floor_sampler(config: TrainingConfig) -> Callable[[jax.Array], tuple[jax.Array, ...]]:
    """The jitted draws of the noise floor.

    For each key, two data samples of ``eval_size`` points and two of ``hist_size``; cached per
    data set, sample sizes and float type.
    """
    ds, dtype = config.dataset, jnp.dtype(config.dtype)
    n, nh = config.eval_size, config.hist_size

    def sample(key: jax.Array, size: int) -> jax.Array:
        return ds.sample(key, size).astype(dtype)  # as the training's data (engine.setup)

    def draw(k: jax.Array) -> tuple[jax.Array, ...]:
        ka, kb, kc, kd = jax.random.split(k, 4)
        return sample(ka, n), sample(kb, n), sample(kc, nh), sample(kd, nh)

    return jax.jit(jax.vmap(draw))


def noise_floor(config: TrainingConfig) -> NoiseFloor:
    """The noise floor of the readouts: each readout between two independent data samples.

    For each of ``config.floor_draws`` independent pairs, :math:`W_1` between two samples of
    ``eval_size`` data points (exact, :func:`divergences.w1_primal`), and JS and KL between the
    grid pmfs of two samples of ``hist_size`` data points, as the readouts compute them. It
    depends only on the data, the sample sizes, the grid and the seed, not on the training.

    Args:
      config: the run's :class:`TrainingConfig`.

    Runs that differ only in what the floor does not depend on (the game, the networks, the
    optimiser, the step count: the runs of :func:`compare`) share one computation.

    Returns:
      A :class:`NoiseFloor` with one entry per draw (read-only arrays).
    """
    return _noise_floor(_floor_key(config))


def _floor_key(config: TrainingConfig) -> TrainingConfig:
    """The defaults but for the options the noise floor depends on.

    The data, the seed, the sample sizes, the grid and the float type.
    """
    return TrainingConfig(
        data=config.data,
        seed=config.seed,
        eval_size=config.eval_size,
        floor_draws=config.floor_draws,
        hist_size=config.hist_size,
        grid_bins=config.grid_bins,
        kl_pseudo_count=config.kl_pseudo_count,
        dtype=config.dtype,
    )


@functools.lru_cache(maxsize=16)
def _noise_floor(config: TrainingConfig) -> NoiseFloor:
    key = jax.random.fold_in(jax.random.key(config.seed), 1)  # apart from _setup's split
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(config.floor_draws))
    draw = _floor_sampler(dataclasses.replace(config, seed=0, floor_draws=2))  # one per shape
    a, b, c, d = (np.asarray(v, np.float64) for v in draw(keys))
    w1, js, kl = [], [], []
    for i in range(config.floor_draws):
        w1.append(float(dv.w1_primal(a[i], b[i]).value))
        j, k = _grid_divergences(config, c[i], d[i])
        js.append(j)
        kl.append(k)
    floor = NoiseFloor(np.array(w1), np.array(js), np.array(kl))
    for v in floor:
        v.setflags(write=False)  # shared by every run with this floor
    return floor


#: The points of each sample :func:`fidelity` reads (the first of the readout's samples): its
#: k-NN searches then cost milliseconds in the plane, whatever ``hist_size``.
READOUT_FIDELITY_DRAWS = 2000


def fidelity(real: np.ndarray, generated: np.ndarray) -> tuple[float, float]:
    """Precision and recall of ``generated`` against ``real``, on their first points.

    :func:`divergences.estimate.fidelity_diversity` (k = 5) on :data:`READOUT_FIDELITY_DRAWS` of each;
    its point values (the readouts are curves; the intervals are the estimate's).
    """
    n = READOUT_FIDELITY_DRAWS
    with warnings.catch_warnings():  # density and coverage, unused, claim nothing below 500
        warnings.simplefilter("ignore", dv.estimate.NoCoverageWarning)
        both = dv.estimate.fidelity_diversity(real=real[:n], generated=generated[:n])
    return float(both.precision.value), float(both.recall.value)


def readout_row(
    config: TrainingConfig, step: int, p: dict[str, Any], floor: dict[str, float]
) -> dict[str, float]:
    """The host side of one readout.

    The library's exact functions on the probe's samples, with the run's noise floor
    (``NoiseFloor.summary``).
    """
    h = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    row = {"step": float(step), **floor}
    row["w1"] = float(dv.w1_primal(h["fake"], h["real_a"]).value)
    row["js_grid"], row["kl_grid"] = _grid_divergences(config, h["real_h"], h["fake_h"])
    row["critic_estimate"] = float(
        config.game_spec.estimate(jnp.asarray(h["real_out"]), jnp.asarray(h["fake_out"]))
    )
    ds = config.dataset
    if ds.modes is not None and ds.mode_std is not None:
        covered, share = mode_coverage(h["fake_h"], ds.modes, ds.mode_std)
        row["modes_covered"], row["high_quality"] = float(covered), share
    else:
        row["modes_covered"] = row["high_quality"] = math.nan
    if ds.image_shape is not None:  # precision and recall in the evaluator's features
        row.update(image_row(ds, h["fake_h"]))
        row.update(data_row(ds.name))
    else:
        row["precision"], row["recall"] = fidelity(h["real_h"], h["fake_h"])
        row.update(nan_row())
    for k in ("loss_d", "loss_g", "grad_norm_g"):
        row[k] = float(h[k])
    return row
