"""Critics trained against a frozen generator, many independent problems at once.

The lab's critic update (:func:`~divergences.lab.training.trainer.critic_update`) runs on
minibatches of two fixed samples in a jitted ``lax.scan``, batched over the problems with
``vmap``, evaluated on held-out points between chunks, and stopped on a plateau.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from divergences.extending import FloatArray, as_float_array
from divergences.lab.training.config import CriticConfig, optimiser_for
from divergences.lab.training.engine import Knobs, critic_update
from divergences.lab.training.games import Game, GradientPenalty
from divergences.lab.training.networks import make_critic

__all__ = ["CriticFit", "as_key", "check_samples", "fit", "plateaued", "unbatch"]


class CriticFit(NamedTuple):
    """A trained critic and its estimate.

    Attributes:
      value: the estimate after training, on the held-out points (a scalar).
      curve: the estimate after every ``eval_every`` steps: the training curve.
      steps: the step count at each point of ``curve``.
      network: the trained network, an equinox
        :class:`~divergences.lab.training.networks.MLP` whose output is the raw value ``v``.
      state: its :class:`equinox.nn.State` (spectral normalisation's power-iteration vectors).
      critic: the trained function, rows of ``(n, d)`` (or ``(n,)`` for 1-D data) to ``(n,)``:
        the discriminator's probability, the WGAN critic's value or the f-GAN's ``T``.
      stopped_early: ``True`` when the plateau rule ended training before ``steps``.
    """

    value: jax.Array
    curve: jax.Array
    steps: jax.Array
    network: Any
    state: Any
    critic: Callable[[Any], jax.Array]
    stopped_early: bool


def as_key(key: int | jax.Array) -> jax.Array:
    """A PRNG key from an integer seed, or the key itself."""
    if isinstance(key, (int, np.integer)):
        return jax.random.key(int(key))
    return key


def check_samples(x: Any, y: Any) -> tuple[FloatArray, FloatArray]:
    """Validates two samples: ``(n,)`` or ``(n, d)``, non-empty, finite, the same ``d``."""
    out = []
    for name, s in (("x", x), ("y", y)):
        a = as_float_array(s, name)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"{name} must have shape (n,) or (n, d), got {a.shape}")
        if a.shape[0] == 0 or a.shape[1] == 0:
            raise ValueError(f"{name} is empty (shape {a.shape}); it needs at least one point")
        if not np.all(np.isfinite(np.asarray(a))):
            raise ValueError(f"{name} contains NaN or inf; sample points must be finite")
        out.append(a)
    if out[0].shape[1] != out[1].shape[1]:
        raise ValueError(
            f"x and y must have points of the same dimension, got {out[0].shape[1]} and "
            f"{out[1].shape[1]}"
        )
    return out[0], out[1]


def starts_at_zero(game: Game) -> bool:
    r"""Whether the critic of ``game`` starts as ``f == 0``: yes under a gradient penalty.

    A zero output layer makes ``f == 0``. The two-sided penalty :math:`\lambda(\|\nabla f\| - 1)^2`
    costs :math:`\lambda` where the slope is 0, a barrier between a critic increasing along
    ``x - y`` and one decreasing along it; in one dimension every path between the two crosses slope
    0, so a critic that started with the wrong sign would keep it and estimate about :math:`-W_1`.
    From ``f == 0`` the penalty's gradient is 0 (``optax.safe_norm``) and the first updates climb
    :math:`\overline{f(x)} - \overline{f(y)}`, which sets the sign. The other critics start from the
    network's random initialisation.
    """
    return isinstance(game.constraint, GradientPenalty)


@functools.lru_cache(maxsize=32)
def _static(game: Game, config: CriticConfig, dim: int) -> Any:
    """The critic's non-array part (its structure), the same for every key.

    Built abstractly (``eqx.filter_eval_shape``): the structure needs no weights, and building
    real ones outside ``jit`` runs each operation of the initialisation on its own (a spectrally
    normalised critic's fifteen power iterations per layer took 2 s of one-operation programs).
    The network has no arrays but floating ones, so every abstract leaf is a parameter.
    """
    net, _ = eqx.filter_eval_shape(
        make_critic, jax.random.key(0), game, dim, config.critic_hidden, jnp.dtype(config.dtype)
    )
    return eqx.partition(net, lambda leaf: isinstance(leaf, jax.ShapeDtypeStruct))[1]


def _compile_key(game: Game, config: CriticConfig) -> tuple[Game, CriticConfig]:
    """The game and the configuration with what the compiled code does not fix set to fixed values.

    The game's constant and the step size are arguments of :func:`_compiled`'s functions
    (:class:`Knobs`), and the step count and the stopping rule are the Python loop's, so critics
    that differ only in those share the compiled code.
    """
    default = CriticConfig()
    config = dataclasses.replace(
        config,
        learning_rate=None,
        steps=default.steps,
        patience=default.patience,
        tol=default.tol,
        progress=False,
    )
    return game.with_traced_constant(0.0), config


@functools.lru_cache(maxsize=32)
def _compiled(
    game: Game, config: CriticConfig, dim: int
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The jitted, vmapped initialisation and chunk of ``config.eval_every`` steps.

    Built once per (game, configuration, dimension) of :func:`_compile_key`, all three compared
    by value, and run for every problem at once. Both take the :class:`Knobs` (the step size and
    the game's constant) as their first argument.
    """
    static = _static(game, config, dim)
    dtype = jnp.dtype(config.dtype)

    def optimiser(knobs: Knobs) -> Any:
        # The optimiser's state does not hold the step size: one state fits every step size.
        return game.optimiser._replace(learning_rate=knobs.learning_rate).build()

    def init(knobs: Knobs, keys: jax.Array) -> Any:
        game_at = game.with_traced_constant(knobs.constant)
        opt = optimiser(knobs)

        def one(key: jax.Array) -> Any:
            net, state = make_critic(
                key, game_at, dim, config.critic_hidden, dtype, zero_output=starts_at_zero(game)
            )
            params = eqx.filter(net, eqx.is_inexact_array)
            return params, state, opt.init(params)

        return jax.vmap(one)(keys)

    def estimate(params: Any, state: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        net = eqx.combine(params, static)
        f = jax.vmap(lambda z: net(z, state, inference=True)[0])
        return game.estimate(f(x), f(y))

    def chunk(
        knobs: Knobs,
        carry: Any,
        keys: jax.Array,
        xs: jax.Array,
        ys: jax.Array,
        xs_eval: jax.Array,
        ys_eval: jax.Array,
    ) -> Any:
        update = critic_update(game.with_traced_constant(knobs.constant), optimiser(knobs), static)

        def one(
            carry: Any,
            key: jax.Array,
            x: jax.Array,
            y: jax.Array,
            x_eval: jax.Array,
            y_eval: jax.Array,
        ) -> Any:
            def step(carry: Any, k: jax.Array) -> tuple[Any, jax.Array]:
                kx, ky, kl = jax.random.split(k, 3)
                bx = x[jax.random.randint(kx, (config.batch_size,), 0, x.shape[0])]
                by = y[jax.random.randint(ky, (config.batch_size,), 0, y.shape[0])]
                params, state, opt_state, loss = update(*carry, bx, by, kl)
                return (params, state, opt_state), loss

            carry, _ = jax.lax.scan(step, carry, jax.random.split(key, config.eval_every))
            return carry, estimate(carry[0], carry[1], x_eval, y_eval)

        return jax.vmap(one)(carry, keys, xs, ys, xs_eval, ys_eval)

    return jax.jit(init), jax.jit(chunk)


def plateaued(history: np.ndarray, patience: int, tol: float) -> np.ndarray:
    """Whether each problem's estimate has stopped improving.

    Per problem: the last ``patience`` evaluations did not raise the best earlier value by more
    than ``tol`` times the progress made so far (best earlier value minus the first).

    Scale-free, so it serves a clipped critic's values of order 1e-3 and a JS estimate of order
    1 alike. ``history`` has shape ``(evaluations, problems)``.
    """
    if history.shape[0] <= patience:
        return np.zeros(history.shape[1], dtype=bool)
    before = history[:-patience].max(axis=0)
    recent = history[-patience:].max(axis=0)
    progress = np.abs(before - history[0])
    return recent - before <= tol * progress


def _split(a: jax.Array, holdout: float, name: str) -> tuple[jax.Array, jax.Array]:
    n = a.shape[1]
    if holdout == 0:
        return a, a
    n_eval = max(1, round(holdout * n))
    if n_eval >= n:
        raise ValueError(
            f"{name} has {n} point(s): too few to hold out a fraction {holdout} and train on the rest"
        )
    return a[:, : n - n_eval], a[:, n - n_eval :]


def fit(
    game: Game,
    config: CriticConfig,
    xs: FloatArray,
    ys: FloatArray,
    keys: jax.Array,
    *,
    desc: str,
) -> dict[str, Any]:
    """Trains one critic of ``game`` per problem and returns its estimates.

    The problems are ``xs`` ``(B, n, d)`` (the data), ``ys`` ``(B, m, d)`` (the frozen
    generator's sample) and ``keys`` ``(B,)``.

    Each sample is shuffled and split: a fraction ``config.holdout`` is kept aside to evaluate the
    estimate, the rest trains the critic (with ``holdout = 0`` both use every point).

    Returns a dict with ``value`` ``(B,)``, ``curve`` ``(E, B)``, ``steps`` ``(E,)``,
    ``params``, ``state`` (leading axis B) and ``stopped_early``.
    """
    dtype = jnp.dtype(config.dtype)
    split = jax.vmap(lambda k: jax.random.split(k, 4))(keys)  # (B, 4)
    xs = jax.vmap(jax.random.permutation)(split[:, 2], xs.astype(dtype))
    ys = jax.vmap(jax.random.permutation)(split[:, 3], ys.astype(dtype))
    holdout = config.holdout
    (xs, xs_eval), (ys, ys_eval) = (_split(xs, holdout, "x"), _split(ys, holdout, "y"))
    init, chunk = _compiled(*_compile_key(game, config), int(xs.shape[-1]))
    learning_rate = optimiser_for(game, config.learning_rate).learning_rate
    knobs = Knobs.of(game, learning_rate, jnp.dtype(config.dtype))
    carry = init(knobs, split[:, 0])
    key = split[:, 1]
    history: list[np.ndarray] = []
    done = 0
    stopped_early = False
    every = config.eval_every
    n_chunks = -(-config.steps // every)
    with tqdm(total=n_chunks * every, desc=desc, disable=not config.progress) as bar:
        for _ in range(n_chunks):
            pairs = jax.vmap(jax.random.split)(key)
            key, sub = pairs[:, 0], pairs[:, 1]
            carry, est = chunk(knobs, carry, sub, xs, ys, xs_eval, ys_eval)
            history.append(np.asarray(est))
            done += every
            bar.update(every)
            bar.set_postfix(estimate=f"{float(np.mean(history[-1])):.4g}")
            stalled = plateaued(np.stack(history), config.patience, config.tol)
            if done < config.steps and stalled.all():
                stopped_early = True
                break
    curve = np.stack(history)
    return {
        "value": jnp.asarray(curve[-1]),
        "curve": jnp.asarray(curve),
        "steps": jnp.arange(1, curve.shape[0] + 1) * every,
        "params": carry[0],
        "state": carry[1],
        "stopped_early": stopped_early,
    }


def unbatch(
    out: dict[str, Any], game: Game, config: CriticConfig, dim: int, i: int = 0
) -> CriticFit:
    """The ``i``-th problem of :func:`fit`'s output as a :class:`CriticFit`."""
    params = jax.tree_util.tree_map(lambda a: a[i], out["params"])
    state = jax.tree_util.tree_map(lambda a: a[i], out["state"])
    network = eqx.combine(params, _static(*_compile_key(game, config), dim))
    dtype = jnp.dtype(config.dtype)
    raw = jax.vmap(lambda z: network(z, state, inference=True)[0])

    def critic(points: Any) -> jax.Array:
        a = jnp.asarray(points, dtype=dtype)
        return game.output(raw(a[:, None] if a.ndim == 1 else a))

    return CriticFit(
        value=out["value"][i],
        curve=out["curve"][:, i],
        steps=out["steps"],
        network=network,
        state=state,
        critic=critic,
        stopped_early=out["stopped_early"],
    )
