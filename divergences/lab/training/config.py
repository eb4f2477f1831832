"""The lab's configurations, frozen and checked when they are made, in one vocabulary.

A :class:`TrainingConfig` per GAN run, a :class:`CriticConfig` per critic trained against a frozen
sample. The fields they share (``steps``, ``batch_size``, ``critic_hidden``, ``learning_rate``,
``eval_every``, ``dtype``) mean the same thing in both and are checked by the same code.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import optax

from divergences.extending import integer_option, is_finite_number, is_integer, number_option
from divergences.lab.training.data import Dataset, dataset
from divergences.lab.training.games import GAMES, Game, OptimiserSettings, named_game
from divergences.lab.training.networks import check_activation

__all__ = ["CriticConfig", "TrainingConfig"]


def _optional_fraction(name: str, v: Any, *, one_allowed: bool) -> None:
    """``None`` or a number in [0, 1] (``one_allowed``) or [0, 1)."""
    if v is None:
        return
    if not (is_finite_number(v) and 0 <= v and (v < 1 or (one_allowed and v == 1))):
        interval = "[0, 1]" if one_allowed else "[0, 1)"
        raise ValueError(f"{name} must be None or a number in {interval}, got {v!r}")


def _widths(name: str, v: Any) -> None:
    if not isinstance(v, tuple) or not all(is_integer(h) and h >= 1 for h in v):
        raise ValueError(f"{name} must be a tuple of positive integers, got {v!r}")


def _check_shared(config: Any) -> None:
    """The checks of the fields both configurations have."""
    for name in ("batch_size", "eval_every"):
        integer_option(getattr(config, name), name)
    _widths("critic_hidden", config.critic_hidden)
    if config.learning_rate is not None:
        number_option(config.learning_rate, "learning_rate")
    if config.dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {config.dtype!r}")


def _check_counts(config: TrainingConfig) -> None:
    """The sizes, counts and the seed: positive integers (the seed from 0, two noise draws)."""
    for name in ("latent_dim", "eval_size", "hist_size", "grid_bins", "floor_draws"):
        integer_option(getattr(config, name), name)
    if config.floor_draws < 2:
        raise ValueError(
            f"floor_draws must be at least 2 (a spread needs two draws), got {config.floor_draws!r}"
        )
    integer_option(config.heat_resolution, "heat_resolution")
    integer_option(config.seed, "seed", minimum=0)
    if config.critic_steps is not None:
        integer_option(config.critic_steps, "critic_steps")


def _check_dataset(ds: Dataset) -> None:
    """A data set's step scale, and that its sampler traces and returns points of its dimension."""
    if not (is_finite_number(ds.steps_scale) and ds.steps_scale > 0):
        raise ValueError(
            f"data: the steps_scale of {ds.name!r} must be a finite number > 0, "
            f"got {ds.steps_scale!r}"
        )
    try:
        probe = jax.eval_shape(lambda k: ds.sample(k, 4), jax.random.key(0))
    except Exception as e:  # a user's sampler that cannot be traced
        raise ValueError(f"data: the sampler of {ds.name!r} fails on (key, 4): {e}") from e
    if tuple(probe.shape) != (4, ds.dim):
        raise ValueError(
            f"data: {ds.name!r} declares points of dimension {ds.dim} but its sampler returns "
            f"shape {tuple(probe.shape)} for 4 points; expected (4, {ds.dim})"
        )


def optimiser_for(game: Game, learning_rate: float | None) -> OptimiserSettings:
    """The game's optimiser, with ``learning_rate`` as its step size if given."""
    if learning_rate is None:
        return game.optimiser
    return game.optimiser._replace(learning_rate=float(learning_rate))


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    r"""Everything that determines a training run.

    Equal configurations give bit-identical readouts on one machine and agree in distribution
    across machines (:mod:`divergences.lab.training.trainer`). Options left at ``None`` take the
    game's default (:data:`~divergences.lab.training.games.GAMES`, :doc:`/concepts/training`).

    Attributes:
      data: a data set name (``parallel_lines``, ``ring8``, ``grid25``, ``moons``,
        ``swiss_roll``, ``digits``: :meth:`for_data`) or a :class:`~.data.Dataset`.
      game: ``gan`` (saturating minimax), ``nsgan``, ``wgan-clip``, ``wgan-gp``, ``sngan``, ``r1``
        (:data:`~divergences.lab.training.games.GAMES`).
      steps: generator steps (each after ``critic_steps`` critic steps); ``None`` for the
        game's times the data set's ``steps_scale``.
      seed: the seed of every random draw: initialisation, minibatches, readout samples.
      critic_steps: critic steps per generator step; ``None`` for the paper's.
      learning_rate: the step size of both networks; ``None`` for the game's.
      learning_rate_decay: the fraction of the step size left at the last step, reached
        linearly, for both networks; in ``[0, 1]``, or ``None`` for a constant step size.
      batch_size: points per minibatch, real and generated alike.
      latent_dim: dimension of the generator's standard normal input (MLP generators).
      generator_hidden, critic_hidden: hidden layer widths.
      generator_activation: the MLP generator's activation, ``"relu"`` or ``"leaky_relu"`` (the
        critics' own, slope 0.2; see :data:`~divergences.lab.training.networks.ACTIVATIONS`).
      clip: the weight-clipping bound ``c`` of ``wgan-clip``; ``None`` for the paper's (0.01).
      gp_weight: ``lambda`` of ``wgan-gp``; ``None``: the paper's toy code's 0.1 (images: 10).
      r1_weight: ``gamma`` of ``r1``; ``None`` for the game's (0.1; the paper's is 10).
      generator_ema: the decay :math:`\beta` of the debiased moving average of the generator's
        weights that the readouts, snapshots and ``run.generator`` use (Yazici et al., 2019); in
        ``[0, 1)``, or ``None`` for none. The training is the same either way.
      init_theta: the starting offset of the parallel lines' generator.
      eval_every: generator steps between readouts (one jitted ``lax.scan`` chunk).
      eval_size: points in each sample of the exact W1 (an exact LP on the host).
      floor_draws: independent pairs of data samples whose readouts are averaged into the noise
        floor (mean and standard deviation), once per run; at least 2.
      hist_size: points per sample for the grid pmfs and mode coverage.
      grid_bins: bins per axis of the grid pmfs, over the data set's ``extent``.
      kl_pseudo_count: the pseudo-count added to every cell of both pmfs for ``kl_grid`` only
        (a missed cell then gives a large finite KL); 0 gives the raw KL, possibly ``inf``.
      heat_resolution: pixels per axis of the critic heatmaps in the snapshots.
      dtype: the networks' float type (``"float32"`` or ``"float64"``).
    """

    data: str | Dataset = "ring8"
    game: str = "wgan-gp"
    steps: int | None = None
    seed: int = 0
    critic_steps: int | None = None
    learning_rate: float | None = None
    learning_rate_decay: float | None = None
    batch_size: int = 256
    latent_dim: int = 8
    generator_hidden: tuple[int, ...] = (64, 64)
    critic_hidden: tuple[int, ...] = (64, 64)
    generator_activation: str = "relu"
    clip: float | None = None
    gp_weight: float | None = None
    r1_weight: float | None = None
    generator_ema: float | None = 0.999
    init_theta: float = 1.0
    eval_every: int = 1000
    eval_size: int = 2048
    floor_draws: int = 8
    hist_size: int = 10_000
    grid_bins: int = 25
    kl_pseudo_count: float = 0.5
    heat_resolution: int = 48
    dtype: str = "float32"

    def __post_init__(self) -> None:
        """Checks every field: a bad value is a ValueError naming the field and the rule."""
        if isinstance(self.data, str):
            dataset(self.data)
        elif not isinstance(self.data, Dataset):
            raise ValueError(f"data must be a data set name or a Dataset, got {self.data!r}")
        if self.game not in GAMES:
            raise ValueError(f"game must be one of {sorted(GAMES)}, got {self.game!r}")
        if self.steps is not None:
            integer_option(self.steps, "steps")
        _check_shared(self)
        _check_counts(self)
        _widths("generator_hidden", self.generator_hidden)
        check_activation("generator_activation", self.generator_activation)
        _ = self.game_spec  # its constraint checks every constant set, the game's own or not
        number_option(self.kl_pseudo_count, "kl_pseudo_count", inclusive=True)
        _optional_fraction("learning_rate_decay", self.learning_rate_decay, one_allowed=True)
        _optional_fraction("generator_ema", self.generator_ema, one_allowed=False)
        number_option(self.init_theta, "init_theta", above=None)
        _check_dataset(self.dataset)

    @classmethod
    def for_data(cls, data: str | Dataset, **options: Any) -> TrainingConfig:
        """The configuration on ``data`` with the data set's own defaults, then ``options``.

        A data set may name the lab's options for it (:attr:`Dataset.defaults`: the digits take
        the non-saturating GAN, wider networks and 6000 steps); an option given here wins.

        Example:
          >>> TrainingConfig.for_data("digits", seed=1).game, TrainingConfig.for_data("ring8").game
          ('nsgan', 'wgan-gp')
        """
        ds = dataset(data) if isinstance(data, str) else data
        return cls(data=data, **{**dict(ds.defaults), **options})

    @property
    def dataset(self) -> Dataset:
        """The data set object."""
        return dataset(self.data) if isinstance(self.data, str) else self.data

    @property
    def game_spec(self) -> Game:
        """The game, with the constraint's constant of this configuration where one is set.

        A constant left at ``None`` takes the game's toy-data value where it has one
        (:attr:`~divergences.lab.training.games.Game.toy_constants`), else the paper's.
        """
        toy = dict(named_game(self.game).toy_constants)
        given = {"clip": self.clip, "gp_weight": self.gp_weight, "r1_weight": self.r1_weight}
        return named_game(
            self.game, **{k: toy.get(k) if v is None else v for k, v in given.items()}
        )

    @property
    def n_steps(self) -> int:
        """Generator steps of the run.

        ``steps`` if set, else the game's default times the data set's ``steps_scale``.
        """
        if self.steps is not None:
            return int(self.steps)
        return max(1, round(self.game_spec.steps * self.dataset.steps_scale))

    @property
    def n_critic(self) -> int:
        """Critic steps per generator step, the paper's unless set."""
        return self.game_spec.critic_steps if self.critic_steps is None else int(self.critic_steps)

    @property
    def optimiser(self) -> OptimiserSettings:
        """The optimiser of both networks, the game's with ``learning_rate`` if set."""
        return optimiser_for(self.game_spec, self.learning_rate)

    def build_optimiser(
        self, updates_per_step: int, *, learning_rate: float | jax.Array | None = None
    ) -> optax.GradientTransformation:
        """The optimiser of a network updated ``updates_per_step`` times per generator step.

        The step size decays over the run's ``steps * updates_per_step`` updates where
        ``learning_rate_decay`` is set. ``learning_rate``, if given, replaces the configured step
        size; it may be a traced scalar, so that a compiled training step takes the step size as
        an argument (:mod:`divergences.lab.training.trainer`).
        """
        settings = self.optimiser
        if learning_rate is not None:
            settings = settings._replace(learning_rate=learning_rate)
        if self.learning_rate_decay is None:
            return settings.build()
        lr = settings.learning_rate
        schedule = optax.linear_schedule(
            lr, lr * float(self.learning_rate_decay), self.n_steps * updates_per_step
        )
        return settings.build(schedule)

    @property
    def generator_kind(self) -> str:
        """``"shift"`` (the parallel lines' one-parameter family) or ``"mlp"``."""
        return "shift" if self.dataset.name == "parallel_lines" else "mlp"


@dataclasses.dataclass(frozen=True)
class CriticConfig:
    """How a critic is trained against a frozen sample (:mod:`divergences.lab.critics`).

    Frozen and compared by value, so it can be passed around, stored beside a result, and used as
    the key of compiled training steps. Invalid values raise :class:`ValueError` naming the field.
    The fields shared with :class:`TrainingConfig` mean the same thing there.

    Attributes:
      steps: the most training steps; fewer when the estimate plateaus.
      batch_size: points drawn (with replacement) from each sample per step.
      critic_hidden: widths of the critic's hidden layers.
      learning_rate: the step size of the game's optimiser (its paper's optimiser, see
        :mod:`divergences.lab.training.games`); ``None`` for the paper's step size, which is sized
        for a critic chasing a moving generator and is slow against a frozen one.
      eval_every: steps between evaluations (one point of the training curve each).
      holdout: the fraction of each sample kept aside to evaluate the estimate; 0 evaluates on
        the training points (see :mod:`divergences.lab.critics`).
      patience: evaluations without progress before stopping.
      tol: progress below ``tol`` times the progress made so far counts as none.
      progress: show a tqdm progress bar.
      dtype: the networks' float type (``"float32"`` or ``"float64"``).

    Example:
      >>> from divergences.lab.critics import CriticConfig
      >>> CriticConfig(steps=500, progress=False).batch_size
      256
    """

    steps: int = 2000
    batch_size: int = 256
    critic_hidden: tuple[int, ...] = (32, 32)
    learning_rate: float | None = 1e-3
    eval_every: int = 100
    holdout: float = 0.25
    patience: int = 5
    tol: float = 1e-2
    progress: bool = True
    dtype: str = "float32"

    def __post_init__(self) -> None:
        """Checks every field: a bad value is a ValueError naming the field and the rule."""
        if isinstance(self.critic_hidden, list):
            object.__setattr__(self, "critic_hidden", tuple(self.critic_hidden))
        integer_option(self.steps, "steps")
        _check_shared(self)
        integer_option(self.patience, "patience")
        if not (isinstance(self.holdout, int | float) and 0 <= self.holdout < 1):
            raise ValueError(f"holdout must be a fraction in [0, 1), got {self.holdout!r}")
        number_option(self.tol, "tol", inclusive=True)
