r"""The critics trained against a frozen sample, and the divergences they estimate.

Each trainer plays one game of :mod:`divergences.lab.training.games` with the generator frozen:
``x`` is a sample of :math:`p` (the data), ``y`` one of :math:`q` (the frozen generator's
output). The estimate is the game's own (:meth:`~divergences.lab.training.games.Game.estimate`)
on held-out points.

The GAN discriminator (the ``nsgan`` game's critic) :math:`D = \mathrm{sigmoid}(v)` maximises
:math:`V(D) = \mathbb{E}_p \log D + \mathbb{E}_q \log(1 - D)`, whose maximum over all functions
is :math:`-\log 4 + 2\,\mathrm{JS}(p \,\|\, q)` at :math:`D^* = p/(p+q)` (Goodfellow et al.,
2014, Theorem 1); so :math:`\widehat{\mathrm{JS}} = \log 2 + \tfrac12 V`, in nats and with the
1/2 of :func:`divergences.js_divergence`. A trained network is not the optimum over all
functions, so the estimate lies below JS up to sampling noise.

The WGAN critic maximises :math:`\overline{f(x)} - \overline{f(y)}`, Kantorovich-Rubinstein's
dual objective for :math:`W_1` (Villani, 2009, Remark 6.5), in one of three games
(:data:`WGAN_GAMES`), each with its own constraint:

``"wgan-clip"`` (Arjovsky, Chintala & Bottou, 2017, Algorithm 1)
   every weight and bias projected onto :math:`[-c, c]` after each update (``clip``, 0.01). The
   network is then :math:`K`-Lipschitz for some unknown :math:`K` fixed by ``c`` and the
   architecture, so the estimate is about :math:`K\,W_1`: proportional to the distance, not
   equal to it.
``"wgan-gp"`` (Gulrajani et al., 2017, Algorithm 1)
   the loss adds :math:`\lambda\,\mathbb{E}\,(\|\nabla f(\hat x)\|_2 - 1)^2` at random
   interpolates (``gp_weight``, :math:`\lambda = 10`). A soft constraint, so the estimate can
   exceed :math:`W_1`: for a translation by :math:`\delta` a linear critic of slope :math:`s` earns
   :math:`s\delta - \lambda (s - 1)^2`, best at :math:`s = 1 + \delta / (2\lambda)`; the
   estimate, the gap :math:`s\delta`, then overshoots by :math:`\delta^2 / (2\lambda)`.
``"wgan-sn"`` (Miyato et al., 2018)
   each layer divided by its largest singular value, estimated by one step of power iteration
   per update; with the 1-Lipschitz leaky ReLU the critic is at most 1-Lipschitz, so the
   estimate is at most :math:`W_1` up to sampling noise.

The f-GAN critic (the ``fgan-*`` games) maximises the variational bound
:math:`\mathbb{E}_p T - \mathbb{E}_q f^*(T) \le D_f(p \,\|\, q)` (Nguyen, Wainwright & Jordan,
2010) with :math:`T = g_f(v)` in the domain of :math:`f^*` (the table of
:mod:`divergences.lab.training.games`; Nowozin, Cseke & Tomioka, 2016, Table 2).
"""

from __future__ import annotations

import jax

from divergences.extending import ArrayLike
from divergences.generators import FGenerator
from divergences.lab.critics._training import CriticFit, as_key, check_samples, fit, unbatch
from divergences.lab.training.config import CriticConfig
from divergences.lab.training.games import (
    ALL_GAMES,
    FGAN_GAMES,
    GAMES,
    OUTPUT_ACTIVATIONS,
    Game,
    named_game,
)

__all__ = [
    "WGAN_GAMES",
    "fgan_game",
    "train_critic",
    "train_fgan_critic",
    "train_gan_discriminator",
    "train_wgan_critic",
]

#: The WGAN games, whose critics :func:`train_wgan_critic` trains: one per Lipschitz constraint.
WGAN_GAMES = tuple(name for name, game in ALL_GAMES.items() if game.wasserstein)


def train_critic(
    game: Game | str, x: ArrayLike, y: ArrayLike, *, config: CriticConfig, key: int | jax.Array
) -> CriticFit:
    """Trains the critic of ``game`` on ``x ~ p`` against the frozen sample ``y ~ q``.

    ``game`` is a :class:`~divergences.lab.training.games.Game` or the name of one
    (:data:`~divergences.lab.training.games.ALL_GAMES`); for a game with another constant than
    its default, :func:`~divergences.lab.training.games.named_game`.
    """
    if isinstance(game, str):
        game = named_game(game)
    x, y = check_samples(x, y)
    out = fit(game, config, x[None], y[None], as_key(key)[None], desc=f"{game.name} critic")
    return unbatch(out, game, config, int(x.shape[1]))


def fgan_game(generator: FGenerator) -> Game:
    """The f-GAN game of a generator of :data:`divergences.generators.GENERATORS`."""
    if not isinstance(generator, FGenerator) or generator.name not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            "generator must be one of dv.generators.GENERATORS "
            f"({', '.join(OUTPUT_ACTIVATIONS)}), got {generator!r}"
        )
    return next(g for g in FGAN_GAMES.values() if g.objective.generator == generator.name)  # type: ignore[attr-defined]


def train_gan_discriminator(
    x: ArrayLike,
    y: ArrayLike,
    *,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains a GAN discriminator to tell ``x ~ p`` from ``y ~ q``; estimates JS(p || q).

    The estimate is :math:`\log 2 + \frac12 \overline{\log D(x)} + \frac12 \overline{\log(1 -
    D(y))}` over the held-out points (nats, with the 1/2; see
    :mod:`divergences.lab.critics.trainers`).

    Args:
      x: sample of ``p`` (the data), shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q`` (the model), shape ``(m,)`` or ``(m, d)``.
      config: how to train (network, steps, step size, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the JS estimate in nats and ``critic`` returns
      :math:`D(x) \in (0, 1)`.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(-4, 1, 512), rng.normal(4, 1, 512)  # nearly disjoint
      >>> fit = critics.train_gan_discriminator(x, y, config=critics.CriticConfig(steps=500, progress=False))
      >>> bool(0.6 < fit.value <= np.log(2))
      True
    """
    return train_critic(GAMES["nsgan"], x, y, config=config, key=key)


def train_wgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    *,
    game: str = "wgan-gp",
    clip: float | None = None,
    gp_weight: float | None = None,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains a WGAN critic on ``x ~ p`` and ``y ~ q``; estimates :math:`W_1(p, q)`.

    The estimate is :math:`\overline{f(x)} - \overline{f(y)}` over the held-out points, in the
    units of the points (Euclidean ground metric). What it estimates depends on the game's
    constraint (see :mod:`divergences.lab.critics.trainers`): about :math:`W_1` for
    ``"wgan-gp"`` and at most :math:`W_1` for ``"wgan-sn"``; about :math:`K\,W_1` with an
    unknown :math:`K` for ``"wgan-clip"``.

    The gradient-penalty critic starts as :math:`f \equiv 0` (a zero output layer): the penalty
    costs ``lambda`` at slope 0, and in one dimension a critic that started with the wrong slope
    sign could not cross that barrier; it would estimate about :math:`-W_1`.

    Args:
      x: sample of ``p`` (the data), shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q`` (the model), shape ``(m,)`` or ``(m, d)``.
      game: ``"wgan-clip"``, ``"wgan-gp"`` or ``"wgan-sn"`` (:data:`WGAN_GAMES`).
      clip: the clipping bound ``c`` of ``"wgan-clip"``; parameters stay in ``[-c, c]``.
        ``None`` for the game's (0.01).
      gp_weight: the gradient penalty's weight ``lambda`` of ``"wgan-gp"``; ``None`` for the
        game's (10).
      config: how to train (network, steps, step size, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the estimate and ``critic`` the trained :math:`f`.

    Raises:
      ValueError: for a ``game`` outside :data:`WGAN_GAMES`, a ``clip`` <= 0 or ``gp_weight`` < 0
        (either checked whatever the game), or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 1024), rng.normal(2, 1, 1024)  # W1 = 2; the penalty adds 0.21
      >>> fit = critics.train_wgan_critic(x, y, config=critics.CriticConfig(steps=1000, progress=False))
      >>> bool(1.9 < fit.value < 2.6)
      True
    """
    if game not in WGAN_GAMES:
        raise ValueError(f"game must be one of {WGAN_GAMES}, got {game!r}")
    spec = named_game(game, clip=clip, gp_weight=gp_weight)
    return train_critic(spec, x, y, config=config, key=key)


def train_fgan_critic(
    x: ArrayLike,
    y: ArrayLike,
    generator: FGenerator,
    *,
    config: CriticConfig = CriticConfig(),
    key: int | jax.Array = 0,
) -> CriticFit:
    r"""Trains an f-GAN critic on ``x ~ p`` and ``y ~ q``; estimates :math:`D_f(p \,\|\, q)`.

    The estimate is the variational bound :math:`\overline{T(x)} - \overline{f^*(T(y))}` over the
    held-out points, with :math:`T = g_f(v)` (see :mod:`divergences.lab.training.games`). It lies
    below :math:`D_f` up to sampling noise (in the generator's normalisation: twice JS for
    ``JENSEN_SHANNON``).

    Args:
      x: sample of ``p``, shape ``(n,)`` or ``(n, d)``.
      y: sample of ``q``, shape ``(m,)`` or ``(m, d)``.
      generator: one of :data:`divergences.generators.GENERATORS`, e.g.
        ``dv.generators.KL``.
      config: how to train (network, steps, step size, hold-out, ...): a :class:`CriticConfig`.
      key: an integer seed or a :func:`jax.random.key`; the same key gives the same result.

    Returns:
      A :class:`CriticFit`; ``value`` is the estimate of :math:`D_f` and ``critic`` returns
      :math:`T(x)`.

    Raises:
      ValueError: for a generator outside the table, or bad samples.

    Example:
      >>> import numpy as np, divergences as dv
      >>> from divergences.lab import critics
      >>> rng = np.random.default_rng(0)
      >>> x, y = rng.normal(0, 1, 2048), rng.normal(1, 1, 2048)  # TV = 2 Phi(1/2) - 1 = 0.383
      >>> g = dv.generators.TOTAL_VARIATION
      >>> fit = critics.train_fgan_critic(x, y, g, config=critics.CriticConfig(steps=1000, progress=False))
      >>> bool(abs(fit.value - 0.383) < 0.05)
      True
    """
    return train_critic(fgan_game(generator), x, y, config=config, key=key)
