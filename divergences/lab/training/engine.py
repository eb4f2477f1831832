r"""The training engine: one configuration's networks, optimisers and compiled steps.

The pieces every trainer of the lab shares, in the manner of optax's ``init`` and ``update``:
:func:`setup` builds the networks and optimisers of a :class:`TrainingConfig`,
:func:`initial_carry` the loop's state at step 0 (a :class:`Carry`), and
:func:`compiled_functions` the jitted steps (a :class:`Compiled`: a chunk of generator steps,
one critic or one generator update alone, and the readout's probe), which take the
:class:`Knobs` (the step size and the game's constant) as arguments, so that a run steered
between chunks (:mod:`~divergences.lab.training.steering`) and critics trained against a frozen
sample (:mod:`divergences.lab.critics`, through :func:`critic_update`) share compiled code.
:func:`~divergences.lab.training.train` and :class:`~divergences.lab.training.steering.Steering`
move a :class:`~divergences.lab.training.recorder.Recorder` with them.
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
import optax

from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.games import Game
from divergences.lab.training.networks import (
    ShiftGenerator,
    batched,
    make_critic,
    make_mlp,
    power_iterate,
)
from divergences.lab.training.run import ARROWS

__all__ = [
    "Carry",
    "Compiled",
    "Knobs",
    "Setup",
    "compile_key",
    "compiled_functions",
    "critic_update",
    "initial_carry",
    "knobs_of",
    "setup",
]


class Setup(NamedTuple):
    """One configuration's networks (weights, static parts, states), optimisers, samplers, keys."""

    params_g: Any
    static_g: Any
    state_g: Any
    params_d: Any
    static_d: Any
    state_d: Any
    opt_g: optax.GradientTransformation
    opt_d: optax.GradientTransformation
    average: optax.GradientTransformation
    latent: Callable[[jax.Array, int], jax.Array]
    sample: Callable[[jax.Array, int], jax.Array]
    keys: tuple[jax.Array, jax.Array, jax.Array]


class Compiled(NamedTuple):
    """The jitted functions of one compile key (:func:`compiled_functions`)."""

    chunk: Callable[..., Any]  # (carry, knobs, start, key, length) -> carry: generator steps
    probe: Callable[..., Any]  # (knobs, averaged, generator, critic, state, step, key) -> readouts
    critic_only: Callable[..., Any]  # (carry, knobs, key) -> carry: one critic update
    generator_only: Callable[..., Any]  # (carry, knobs, key) -> carry: one generator update


class Knobs(NamedTuple):
    """The options that the compiled functions take as arguments, not as constants.

    So that a run steered between chunks (:mod:`divergences.lab.training.steering`) changes them
    without compiling again, and so that critics trained against a frozen sample
    (:mod:`divergences.lab.critics`) with other constants or step sizes share their compiled
    steps. Scalars of the networks' dtype, as the configured values become inside a step.
    """

    learning_rate: jax.Array  # the step size of both networks (at the first update, if decaying)
    constant: jax.Array  # the constraint's constant (clip, lambda, gamma); 0 for none

    @classmethod
    def of(cls, game: Game, learning_rate: float | jax.Array, dtype: Any) -> Knobs:
        """The step size and ``game``'s constant (0 for none) as scalars of ``dtype``."""
        constant = next(iter(game.constants.values()), 0.0)
        return cls(jnp.asarray(learning_rate, dtype), jnp.asarray(constant, dtype))


def knobs_of(config: TrainingConfig) -> Knobs:
    """The configuration's step size and constant, as the compiled functions take them."""
    return Knobs.of(config.game_spec, config.optimiser.learning_rate, jnp.dtype(config.dtype))


class Carry(NamedTuple):
    """What the training loop carries from one step to the next."""

    generator: Any  # the trained generator's weights
    critic: Any  # the critic's weights
    critic_state: Any  # its state (spectral normalisation's power iteration)
    generator_opt: Any  # the optimisers' states
    critic_opt: Any
    average_opt: Any  # the average's state
    averaged_generator: Any  # the averaged weights (the trained ones without an average)


def setup(config: TrainingConfig) -> Setup:
    """The networks and optimisers of ``config``, its latent and data samplers, and its keys."""
    dtype = jnp.dtype(config.dtype)
    ds = config.dataset
    k_g, k_d, k_train, k_eval, k_fig = jax.random.split(jax.random.key(config.seed), 5)
    gen: Any
    if config.generator_kind == "shift":
        gen, state_g = eqx.nn.make_with_state(ShiftGenerator)(jnp.asarray(config.init_theta, dtype))

        def latent(key: jax.Array, n: int) -> jax.Array:
            return jax.random.uniform(key, (n, 1), dtype)

    else:
        sizes = (config.latent_dim, *config.generator_hidden, ds.dim)
        gen, state_g = make_mlp(
            k_g, sizes, scalar_output=False, dtype=dtype, activation=config.generator_activation
        )

        def latent(key: jax.Array, n: int) -> jax.Array:
            return jax.random.normal(key, (n, config.latent_dim), dtype)

    critic, state_d = make_critic(k_d, config.game_spec, ds.dim, config.critic_hidden, dtype)

    def sample(key: jax.Array, n: int) -> jax.Array:
        return ds.sample(key, n).astype(dtype)

    params_g, static_g = eqx.partition(gen, eqx.is_inexact_array)
    params_d, static_d = eqx.partition(critic, eqx.is_inexact_array)
    return Setup(
        params_g,
        static_g,
        state_g,
        params_d,
        static_d,
        state_d,
        config.build_optimiser(1),
        config.build_optimiser(config.n_critic),
        _averager(config),
        latent,
        sample,
        (k_train, k_eval, k_fig),
    )


def initial_carry(s: Setup) -> Carry:
    """The loop's carry at step 0: the initial weights and fresh optimiser states."""
    return Carry(
        generator=s.params_g,
        critic=s.params_d,
        critic_state=s.state_d,
        generator_opt=s.opt_g.init(s.params_g),
        critic_opt=s.opt_d.init(s.params_d),
        average_opt=s.average.init(s.params_g),
        averaged_generator=s.params_g,
    )


def _averager(config: TrainingConfig) -> optax.GradientTransformation:
    """The average of the generator's weights that the readouts use.

    ``optax.ema`` (debiased) of the weights after each generator step, or the weights themselves.
    """
    if config.generator_ema is None:
        return optax.identity()
    return optax.ema(config.generator_ema, debias=True)


def critic_update(
    game: Game, opt: optax.GradientTransformation, static: Any
) -> Callable[..., tuple[Any, Any, Any, jax.Array]]:
    """One critic update of ``game``, shared by every trainer of the lab.

    The GAN runs (:func:`train`) and the critics trained against a frozen sample
    (:mod:`divergences.lab.critics`).

    Returns ``update(params, state, opt_state, real, fake, key) -> (params, state, opt_state,
    loss)`` for the critic ``eqx.combine(params, static)``: one power iteration of spectral
    normalisation where the game has it (Miyato et al., Algorithm 1; the loss then uses the
    updated vectors), one optimiser step on :meth:`Game.critic_loss` over the batch ``real``
    against ``fake``, and the game's projection (weight clipping).
    """

    def loss_fn(params: Any, state: Any, real: jax.Array, fake: jax.Array, key: jax.Array) -> Any:
        net = eqx.combine(params, static)
        return game.critic_loss(lambda x: net(x, state, inference=True)[0], real, fake, key)

    def update(
        params: Any, state: Any, opt_state: Any, real: jax.Array, fake: jax.Array, key: jax.Array
    ) -> tuple[Any, Any, Any, jax.Array]:
        if game.spectral_norm:  # one power iteration per update, then the loss uses it
            state = power_iterate(eqx.combine(params, static), state)
        loss, grads = jax.value_and_grad(loss_fn)(params, state, real, fake, key)
        updates, opt_state = opt.update(grads, opt_state, params)
        params = game.project(optax.apply_updates(params, updates))
        return params, state, opt_state, loss

    return update


class _Steps:
    """The traced pieces of one configuration's training, for :func:`compiled_functions` to compile.

    The keys, the step and the :class:`Knobs` are arguments, never constants, so that runs that
    differ only in those share the compiled code.
    """

    def __init__(self, config: TrainingConfig) -> None:
        self.config = config
        self.s = setup(config)
        self.game = config.game_spec  # its constant is the knobs' (the critic's loss and update)
        x0, x1, y0, y1 = config.dataset.extent
        r = config.heat_resolution
        gx, gy = np.meshgrid(np.linspace(x0, x1, r), np.linspace(y0, y1, r))
        self.heat_grid = np.stack([gx.ravel(), gy.ravel()], -1)

    def game_at(self, knobs: Knobs) -> Game:
        """The game with the knobs' constant."""
        return self.game.with_traced_constant(knobs.constant)

    def optimiser(self, knobs: Knobs, updates_per_step: int) -> optax.GradientTransformation:
        """The optimiser at the knobs' step size (its state does not hold the step size)."""
        return self.config.build_optimiser(updates_per_step, learning_rate=knobs.learning_rate)

    def generate(self, pg: Any, z: jax.Array) -> jax.Array:
        """The generator of weights ``pg`` at the latent points ``z``."""
        return batched(eqx.combine(pg, self.s.static_g), z, self.s.state_g)[0]

    def critic_fn(self, pd: Any, sd: Any) -> Callable[[jax.Array], jax.Array]:
        """The critic of weights ``pd`` and state ``sd`` as a function of one point."""
        net = eqx.combine(pd, self.s.static_d)
        return lambda x: net(x, sd, inference=True)[0]

    def g_loss(self, pg: Any, pd: Any, sd: Any, z: jax.Array) -> jax.Array:
        """The generator's loss at the latent points ``z``."""
        return self.game.generator_loss(jax.vmap(self.critic_fn(pd, sd))(self.generate(pg, z)))

    def critic_step(self, carry: Carry, knobs: Knobs, key: jax.Array) -> tuple[Carry, jax.Array]:
        """One critic update on a fresh batch of data and of generated points; and its loss."""
        s = self.s
        update = critic_update(
            self.game_at(knobs), self.optimiser(knobs, self.config.n_critic), s.static_d
        )
        kr, kz, kp = jax.random.split(key, 3)
        batch = self.config.batch_size
        real = s.sample(kr, batch)
        fake = self.generate(carry.generator, s.latent(kz, batch))
        pd, sd, od = carry.critic, carry.critic_state, carry.critic_opt
        pd, sd, od, loss = update(pd, sd, od, real, fake, kp)
        return carry._replace(critic=pd, critic_state=sd, critic_opt=od), loss

    def generator_update(self, carry: Carry, knobs: Knobs, kz: jax.Array) -> Carry:
        """One generator update, then the average of its weights."""
        s = self.s
        pg = carry.generator
        z = s.latent(kz, self.config.batch_size)
        grads = jax.grad(self.g_loss)(pg, carry.critic, carry.critic_state, z)
        updates, og = self.optimiser(knobs, 1).update(grads, carry.generator_opt, pg)
        pg = optax.apply_updates(pg, updates)
        averaged, oa = s.average.update(pg, carry.average_opt)
        carry = carry._replace(generator=pg, generator_opt=og, average_opt=oa)
        return carry._replace(averaged_generator=averaged)

    def generator_step(self, carry: Carry, knobs: Knobs, key: jax.Array) -> Carry:
        """``n_critic`` critic updates, then one generator update."""
        k_critic, kz = jax.random.split(key)
        keys = jax.random.split(k_critic, self.config.n_critic)
        carry, _ = jax.lax.scan(lambda c, k: self.critic_step(c, knobs, k), carry, keys)
        return self.generator_update(carry, knobs, kz)

    def chunk(
        self, carry: Carry, knobs: Knobs, start: jax.Array, key: jax.Array, length: int
    ) -> Carry:
        """``length`` generator steps from step ``start``, each keyed by its own number."""
        keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(start + jnp.arange(length))
        return jax.lax.scan(lambda c, k: (self.generator_step(c, knobs, k), None), carry, keys)[0]

    def probe(
        self, knobs: Knobs, pa: Any, pg: Any, pd: Any, sd: Any, step: jax.Array, key: jax.Array
    ) -> dict[str, Any]:
        """What a readout needs: samples, the critic's outputs, the losses, arrows, heat map.

        The samples are the read-out generator's (``pa``, averaged where the run averages); the
        losses and the gradient norm are the training's, at the trained weights ``pg``.
        """
        config, s, game = self.config, self.s, self.game
        kz, ka, khz, khd, kp = jax.random.split(jax.random.fold_in(key, step), 5)
        n, nh = config.eval_size, config.hist_size
        z = s.latent(kz, n)
        fake, real_a = self.generate(pa, z), s.sample(ka, n)
        f1 = self.critic_fn(pd, sd)
        f = jax.vmap(f1)
        out = {
            "fake": fake,
            "real_a": real_a,
            "fake_h": self.generate(pa, s.latent(khz, nh)),
            "real_h": s.sample(khd, nh),
            "real_out": f(real_a),
            "fake_out": f(fake),
            "loss_d": self.game_at(knobs).critic_loss(f1, real_a, self.generate(pg, z), kp),
        }
        loss_g, grads = jax.value_and_grad(self.g_loss)(pg, pd, sd, z)
        out["loss_g"], out["grad_norm_g"] = loss_g, optax.tree.norm(grads)
        out["push"] = -jax.vmap(jax.grad(lambda x: game.generator_loss(f1(x)[None])))(fake[:ARROWS])
        if config.dataset.dim == 2:
            r = config.heat_resolution
            h = f(jnp.asarray(self.heat_grid, jnp.dtype(config.dtype))).reshape(r, r)
            out["heat"] = game.output(h)  # D = sigmoid(v) for a discriminator
        return out


@functools.lru_cache(maxsize=16)
def compiled_functions(config: TrainingConfig) -> Compiled:
    """The jitted functions of a configuration.

    The chunk of training steps, the readout probe, and one critic or one generator update alone
    (for :mod:`divergences.lab.training.steering`).

    Built once per configuration up to its seed, step count, starting offset, step size and the
    game's constant (see :func:`compile_key`), so runs that differ only in those reuse the
    compiled code: the keys, the step and the :class:`Knobs` are arguments, not constants. The
    cache is keyed on the frozen configuration.
    """
    steps = _Steps(config)
    return Compiled(
        jax.jit(steps.chunk, static_argnames="length"),
        jax.jit(steps.probe),
        jax.jit(lambda carry, knobs, key: steps.critic_step(carry, knobs, key)[0]),
        jax.jit(steps.generator_update),
    )


def compile_key(config: TrainingConfig) -> TrainingConfig:
    """The configuration with the options that do not change the compiled code set to fixed values.

    Runs with equal compile keys share :func:`compiled_functions`: the step size and the game's constant
    are arguments of the compiled functions (:class:`Knobs`). A decaying step size depends on
    the step count, which then stays.
    """
    steps = 1 if config.learning_rate_decay is None else config.n_steps
    return dataclasses.replace(
        config,
        seed=0,
        steps=steps,
        init_theta=0.0,
        floor_draws=2,
        learning_rate=None,
        clip=None,
        gp_weight=None,
        r1_weight=None,
    )
