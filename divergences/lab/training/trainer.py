r"""The training loop.

K critic steps per generator step in a jitted ``lax.scan``, readouts with the library's exact
functions on the host between chunks.

A run is deterministic on one machine: every random draw (initialisation, minibatches, readout
samples) comes from ``jax.random.key(config.seed)`` through ``fold_in`` with the step number
(``jax.random`` draws the same bits on every machine), and a compiled step gives the same bits
every time it runs. So two runs of one configuration in one process, or on one machine with the
same XLA thread setting, instruction set and JAX version, give bit-identical readouts.

Across machines they do not. XLA compiles a reduction or a matrix product differently for
another instruction set (AVX-512, AVX2, SSE4.2) or another number of threads, the last digits of
a step differ, and training amplifies them: the readouts of one configuration on two machines
agree in distribution, not in bits. Measured: WGAN-GP on the parallel lines, seed 0, ends step 300
at ``theta = -0.100`` with XLA's default code on an AVX-512 CPU, at ``-0.067`` with the
instruction set capped at SSE4.2 and at ``-0.011`` on one thread; other seeds spread as widely.
Compare runs from different machines by statistics over seeds, never bit for bit.

The readouts between chunks are :mod:`divergences.lab.training.readouts`'s.

The generated points of every other readout, of the snapshots and of ``run.generator`` come
from the generator that is read out: with ``config.generator_ema`` set, an exponential moving
average of the trained weights (Yazici et al., ICLR 2019), updated after every generator step
inside the jitted chunk (``optax.ema``, debiased); without it, the trained weights.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from divergences.extending import integer_option
from divergences.lab.training.config import TrainingConfig
from divergences.lab.training.games import GAMES, Game
from divergences.lab.training.networks import (
    ShiftGenerator,
    batched,
    make_critic,
    make_mlp,
    power_iterate,
)
from divergences.lab.training.readouts import COLUMNS, Readouts, _readout_row, noise_floor
from divergences.lab.training.run import ARROWS, Snapshot, TrainingRun

__all__ = [
    "compare",
    "critic_update",
    "generate",
    "sample_generator",
    "train",
]


class _Setup(NamedTuple):
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


class _Compiled(NamedTuple):
    """The jitted functions of one compile key (:func:`_functions`)."""

    chunk: Callable[..., Any]  # (carry, knobs, start, key, length) -> carry: generator steps
    probe: Callable[..., Any]  # (knobs, averaged, generator, critic, state, step, key) -> readouts
    critic_only: Callable[..., Any]  # (carry, knobs, key) -> carry: one critic update
    generator_only: Callable[..., Any]  # (carry, knobs, key) -> carry: one generator update


class _Knobs(NamedTuple):
    """The options that the compiled functions take as arguments, not as constants.

    So that a run steered between chunks (:mod:`divergences.lab.training.steering`) changes them
    without compiling again, and so that critics trained against a frozen sample
    (:mod:`divergences.lab.critics`) with other constants or step sizes share their compiled
    steps. Scalars of the networks' dtype, as the configured values become inside a step.
    """

    learning_rate: jax.Array  # the step size of both networks (at the first update, if decaying)
    constant: jax.Array  # the constraint's constant (clip, lambda, gamma); 0 for none

    @classmethod
    def of(cls, game: Game, learning_rate: float | jax.Array, dtype: Any) -> _Knobs:
        """The step size and ``game``'s constant (0 for none) as scalars of ``dtype``."""
        constant = next(iter(game.constants.values()), 0.0)
        return cls(jnp.asarray(learning_rate, dtype), jnp.asarray(constant, dtype))


def _knobs(config: TrainingConfig) -> _Knobs:
    """The configuration's step size and constant, as the compiled functions take them."""
    return _Knobs.of(config.game_spec, config.optimiser.learning_rate, jnp.dtype(config.dtype))


class _Carry(NamedTuple):
    """What the training loop carries from one step to the next."""

    generator: Any  # the trained generator's weights
    critic: Any  # the critic's weights
    critic_state: Any  # its state (spectral normalisation's power iteration)
    generator_opt: Any  # the optimisers' states
    critic_opt: Any
    average_opt: Any  # the average's state
    averaged_generator: Any  # the averaged weights (the trained ones without an average)


def _setup(config: TrainingConfig) -> _Setup:
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
    return _Setup(
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


def _initial_carry(s: _Setup) -> _Carry:
    """The loop's carry at step 0: the initial weights and fresh optimiser states."""
    return _Carry(
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
    """The traced pieces of one configuration's training, for :func:`_functions` to compile.

    The keys, the step and the :class:`_Knobs` are arguments, never constants, so that runs that
    differ only in those share the compiled code.
    """

    def __init__(self, config: TrainingConfig) -> None:
        self.config = config
        self.s = _setup(config)
        self.game = config.game_spec  # its constant is the knobs' (the critic's loss and update)
        x0, x1, y0, y1 = config.dataset.extent
        r = config.heat_resolution
        gx, gy = np.meshgrid(np.linspace(x0, x1, r), np.linspace(y0, y1, r))
        self.heat_grid = np.stack([gx.ravel(), gy.ravel()], -1)

    def game_at(self, knobs: _Knobs) -> Game:
        """The game with the knobs' constant."""
        return self.game.with_traced_constant(knobs.constant)

    def optimiser(self, knobs: _Knobs, updates_per_step: int) -> optax.GradientTransformation:
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

    def critic_step(self, carry: _Carry, knobs: _Knobs, key: jax.Array) -> tuple[_Carry, jax.Array]:
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

    def generator_update(self, carry: _Carry, knobs: _Knobs, kz: jax.Array) -> _Carry:
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

    def generator_step(self, carry: _Carry, knobs: _Knobs, key: jax.Array) -> _Carry:
        """``n_critic`` critic updates, then one generator update."""
        k_critic, kz = jax.random.split(key)
        keys = jax.random.split(k_critic, self.config.n_critic)
        carry, _ = jax.lax.scan(lambda c, k: self.critic_step(c, knobs, k), carry, keys)
        return self.generator_update(carry, knobs, kz)

    def chunk(
        self, carry: _Carry, knobs: _Knobs, start: jax.Array, key: jax.Array, length: int
    ) -> _Carry:
        """``length`` generator steps from step ``start``, each keyed by its own number."""
        keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(start + jnp.arange(length))
        return jax.lax.scan(lambda c, k: (self.generator_step(c, knobs, k), None), carry, keys)[0]

    def probe(
        self, knobs: _Knobs, pa: Any, pg: Any, pd: Any, sd: Any, step: jax.Array, key: jax.Array
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
def _functions(config: TrainingConfig) -> _Compiled:
    """The jitted functions of a configuration.

    The chunk of training steps, the readout probe, and one critic or one generator update alone
    (for :mod:`divergences.lab.training.steering`).

    Built once per configuration up to its seed, step count, starting offset, step size and the
    game's constant (see :func:`_compile_key`), so runs that differ only in those reuse the
    compiled code: the keys, the step and the :class:`_Knobs` are arguments, not constants. The
    cache is keyed on the frozen configuration.
    """
    steps = _Steps(config)
    return _Compiled(
        jax.jit(steps.chunk, static_argnames="length"),
        jax.jit(steps.probe),
        jax.jit(lambda carry, knobs, key: steps.critic_step(carry, knobs, key)[0]),
        jax.jit(steps.generator_update),
    )


def _compile_key(config: TrainingConfig) -> TrainingConfig:
    """The configuration with the options that do not change the compiled code set to fixed values.

    Runs with equal compile keys share :func:`_functions`: the step size and the game's constant
    are arguments of the compiled functions (:class:`_Knobs`). A decaying step size depends on
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


def train(
    config: TrainingConfig,
    *,
    progress: bool = True,
    on_readout: Callable[[TrainingRun], None] | None = None,
    frame_every: int | None = None,
) -> TrainingRun:
    """Trains one configuration and returns its readouts, snapshots and models.

    Args:
      config: the run's :class:`TrainingConfig`.
      progress: show a tqdm progress bar (with the latest exact W1) on stderr.
      on_readout: called after each readout (at step 0 and after every chunk) with the run so
        far, a :class:`TrainingRun` whose readouts end at the current step; what it raises ends
        training (:mod:`divergences.lab.training.live` draws the run with it).
      frame_every: take a snapshot for the animation (``run.frames``: the generated points
        and the critic's heat map, without the readouts' exact W1 and grid divergences) every
        this many generator steps between readouts, as well as at every readout; ``None``: no
        frames. Training runs in chunks of at most this many steps then: every step draws its
        randomness from its own number, so the readouts are the same bits either way.

    Returns:
      A :class:`TrainingRun`.

    Example:
      >>> from divergences.lab.training import TrainingConfig, train
      >>> small = TrainingConfig(data="ring8", game="nsgan", steps=20, eval_every=10,
      ...                        critic_hidden=(8,), generator_hidden=(8,), eval_size=64,
      ...                        hist_size=256, heat_resolution=8)
      >>> run = train(small, progress=False)
      >>> run.readouts.step.tolist()
      [0.0, 10.0, 20.0]
    """
    if not isinstance(config, TrainingConfig):
        raise ValueError(f"config must be a TrainingConfig, got {type(config).__name__}")
    integer_option(frame_every, "frame_every", none=True)
    rec = _Recorder(config, frame_every, on_readout)
    rec.read(0)
    bar = tqdm(
        total=config.n_steps,
        disable=not progress,
        desc=f"{config.game} on {config.dataset.name}",
        unit="step",
        leave=False,
    )
    floor_w1 = rec.floor_row["w1_floor"]
    with bar:
        while rec.step < config.n_steps:
            length = min(config.eval_every, config.n_steps - rec.step)
            rec.train_to(rec.step + length)
            bar.update(length)
            bar.set_postfix(w1=f"{rec.rows[-1]['w1']:.3f}", floor=f"{floor_w1:.3f}")
    return rec.so_far()


class _Recorder:
    """A run in progress: the carry, the readouts, snapshots and frames so far, the timings.

    :func:`train` moves it from readout to readout (:meth:`train_to`).
    """

    def __init__(
        self,
        config: TrainingConfig,
        frame_every: int | None,
        on_readout: Callable[[TrainingRun], None] | None,
    ) -> None:
        self.config, self.frame_every, self.on_readout = config, frame_every, on_readout
        self.s = _setup(config)
        self.chunk, self.probe = _functions(_compile_key(config))[:2]
        self.knobs = _knobs(config)
        self.carry = _initial_carry(self.s)
        self.step = 0
        self.rows: list[dict[str, float]] = []
        self.snapshots: list[Snapshot] = []
        self.frames: list[Snapshot] = []
        self.t_train = 0.0
        t0 = time.perf_counter()
        self.floor = noise_floor(config)
        self.floor_row = self.floor.summary()
        self.t_read = time.perf_counter() - t0
        self.data = np.asarray(self.s.sample(self.s.keys[2], config.eval_size))

    def so_far(self) -> TrainingRun:
        """The run up to the current step."""
        rows, carry, s = self.rows, self.carry, self.s
        readouts = Readouts(*(np.array([r[c] for r in rows], dtype=np.float64) for c in COLUMNS))
        return TrainingRun(
            self.config,
            readouts,
            list(self.snapshots),
            eqx.combine(carry.averaged_generator, s.static_g),
            eqx.combine(carry.critic, s.static_d),
            carry.critic_state,
            self.data,
            self.t_train,
            self.t_read,
            self.floor,
            eqx.combine(carry.generator, s.static_g),
            tuple(self.frames),
        )

    def snapshot(self) -> tuple[Snapshot, dict[str, Any]]:
        """The probe at the current step, and its snapshot (kept as a frame if frames are)."""
        carry = self.carry
        p = self.probe(
            self.knobs,
            carry.averaged_generator,
            carry.generator,
            carry.critic,
            carry.critic_state,
            jnp.asarray(self.step),
            self.s.keys[1],
        )
        heat = np.asarray(p["heat"]) if "heat" in p else None
        snap = Snapshot(self.step, np.asarray(p["fake"]), heat, np.asarray(p["push"]))
        if self.frame_every is not None:
            self.frames.append(snap)
        return snap, p

    def frame(self) -> None:
        """A frame of the animation: the samples and the heat map only, no exact readout."""
        t0 = time.perf_counter()
        self.snapshot()
        self.t_read += time.perf_counter() - t0

    def read(self, step: int) -> None:
        """A readout at ``step`` (the current step), then ``on_readout`` with the run so far."""
        t0 = time.perf_counter()
        snap, p = self.snapshot()
        self.rows.append(_readout_row(self.config, step, p, self.floor_row))
        self.snapshots.append(snap)
        self.t_read += time.perf_counter() - t0
        if self.on_readout is not None:
            self.on_readout(self.so_far())

    def train_to(self, target: int) -> None:
        """Trains up to step ``target`` in chunks (with frames between them), then reads out."""
        while self.step < target:
            part = target - self.step
            if self.frame_every is not None:
                part = min(self.frame_every, part)
            t0 = time.perf_counter()
            self.carry = jax.block_until_ready(
                self.chunk(self.carry, self.knobs, jnp.asarray(self.step), self.s.keys[0], part)
            )
            self.t_train += time.perf_counter() - t0
            self.step += part
            if self.step < target:
                self.frame()
        self.read(self.step)


def sample_generator(run: TrainingRun, key: jax.Array, n: int) -> np.ndarray:
    """``n`` points of the trained generator of ``run``, shape ``(n, dim)``."""
    s = _setup(run.config)
    z = s.latent(key, n)
    return np.asarray(batched(run.generator, z, s.state_g)[0])


def generate(run: TrainingRun, z: Any) -> np.ndarray:
    """The read-out generator of ``run`` at the latent points ``z``.

    ``z`` has shape ``(n, latent_dim)`` (the generator's input, standard normal in training).

    Returns ``(n, dim)``.
    """
    s = _setup(run.config)
    z = jnp.asarray(z, jnp.dtype(run.config.dtype))
    if z.ndim != 2 or z.shape[1] != run.config.latent_dim or run.config.generator_kind != "mlp":
        raise ValueError(
            f"z must have shape (n, latent_dim) = (n, {run.config.latent_dim}) for an MLP "
            f"generator, got {tuple(z.shape)} for a {run.config.generator_kind} generator"
        )
    return np.asarray(batched(run.generator, z, s.state_g)[0])


def compare(
    config: TrainingConfig, games: Sequence[str] | None = None, *, progress: bool = True
) -> dict[str, TrainingRun]:
    """Every game (or ``games``) on the configuration's data with its seed.

    Each game with its default optimiser, critic steps and, unless ``config.steps`` is set, step
    count (see :mod:`divergences.lab.training.games`).
    """
    names = list(GAMES) if games is None else list(games)
    return {g: train(dataclasses.replace(config, game=g), progress=progress) for g in names}
