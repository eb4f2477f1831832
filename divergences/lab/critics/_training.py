"""The training loop shared by every critic: minibatch steps in a jitted ``lax.scan``, batched
over independent problems with ``vmap``, evaluated between chunks, stopped on a plateau."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from divergences._validation import as_float_array
from divergences.lab.critics._mlp import Params, init_mlp

__all__ = ["CriticConfig", "CriticFit", "Objective", "as_key", "check_samples", "fit"]


class CriticFit(NamedTuple):
    """A trained critic and its estimate.

    Attributes:
      value: the estimate after training, on the held-out points (a scalar).
      curve: the estimate after every ``eval_every`` steps: the training curve.
      steps: the step count at each point of ``curve``.
      params: the network's parameters, a tuple of ``(W, b)`` pairs.
      state: non-trained state: the power-iteration vectors of spectral normalisation, else ``()``.
      critic: the trained function, rows of ``(n, d)`` (or ``(n,)`` for 1-D data) to ``(n,)``:
        the discriminator's probability, the WGAN critic's value or the f-GAN's ``T``.
      stopped_early: ``True`` when the plateau rule ended training before ``steps``.
    """

    value: jax.Array
    curve: jax.Array
    steps: jax.Array
    params: Params
    state: Any
    critic: Callable[[Any], jax.Array]
    stopped_early: bool


class Objective:
    """What a kind of critic adds to the shared loop: pure, jittable methods.

    A subclass is a frozen dataclass whose fields say which objective it is (the activation, the
    constraint and its constants, the generator): two equal objectives are the same objective, so
    the training steps compiled for one are reused for the other without any cache of ours
    (``jax.jit`` keys its own cache on the static arguments' equality).
    """

    def loss(self, params: Params, state: Any, x: jax.Array, y: jax.Array, key: jax.Array) -> Any:
        """``(loss, new_state)``; the loss is minimised."""
        raise NotImplementedError

    def estimate(self, params: Params, state: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        """The divergence estimate on ``x ~ p`` and ``y ~ q`` (a scalar)."""
        raise NotImplementedError

    def output(self, params: Params, state: Any, x: jax.Array) -> jax.Array:
        """The user-facing critic on rows ``x`` (shape ``(n,)``)."""
        raise NotImplementedError

    def project(self, params: Params) -> Params:
        """Applied after every update (weight clipping); the identity by default."""
        return params

    def init_state(self, key: jax.Array, params: Params) -> Any:
        """Non-trained state (spectral normalisation's vectors); none by default."""
        return ()


@dataclasses.dataclass(frozen=True)
class CriticConfig:
    """How a critic is trained: one frozen object shared by every trainer.

    Frozen and compared by value, so it can be passed around, stored beside a result, and used as
    the key of compiled training steps. Invalid values raise :class:`ValueError` naming the field.

    Attributes:
      steps: the most training steps; fewer when the estimate plateaus.
      batch_size: points drawn (with replacement) from each sample per step.
      hidden: widths of the hidden layers.
      activation: the hidden layers' nonlinearity (1-Lipschitz for spectral normalisation).
      learning_rate: Adam's step size, when ``optimizer`` is None.
      optimizer: any optax optimizer instead of Adam; pass the same object again to reuse the
        compiled steps.
      holdout: the fraction of each sample kept aside to evaluate the estimate; 0 evaluates on
        the training points (see :mod:`divergences.lab.critics`).
      eval_every: steps between evaluations (one point of the training curve each).
      patience: evaluations without progress before stopping.
      tol: progress below ``tol`` times the progress made so far counts as none.
      progress: show a tqdm progress bar.
      dtype: the dtype the network trains in.

    Example:
      >>> from divergences.lab.critics import CriticConfig
      >>> CriticConfig(steps=500, progress=False).batch_size
      256
    """

    steps: int = 2000
    batch_size: int = 256
    hidden: tuple[int, ...] = (32, 32)
    activation: Callable[[jax.Array], jax.Array] = jax.nn.relu
    learning_rate: float = 1e-3
    optimizer: optax.GradientTransformation | None = None
    holdout: float = 0.25
    eval_every: int = 100
    patience: int = 5
    tol: float = 1e-2
    progress: bool = True
    dtype: Any = jnp.float32

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_every", "patience"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        hidden = tuple(self.hidden)
        if not all(isinstance(h, int | np.integer) and h >= 1 for h in hidden):
            raise ValueError(f"hidden must be a sequence of positive integers, got {self.hidden!r}")
        object.__setattr__(self, "hidden", hidden)
        if not callable(self.activation):
            raise ValueError(f"activation must be a function, got {self.activation!r}")
        if not (isinstance(self.learning_rate, int | float) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.optimizer is not None and not isinstance(
            self.optimizer, optax.GradientTransformation
        ):
            raise ValueError(f"optimizer must be an optax optimizer, got {self.optimizer!r}")
        if not (isinstance(self.holdout, int | float) and 0 <= self.holdout < 1):
            raise ValueError(f"holdout must be a fraction in [0, 1), got {self.holdout!r}")
        if not (isinstance(self.tol, int | float) and self.tol >= 0):
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if not jnp.issubdtype(self.dtype, jnp.floating):
            raise ValueError(f"dtype must be a floating dtype, got {self.dtype!r}")

    def make_optimizer(self) -> optax.GradientTransformation:
        """``optimizer``, or Adam with ``learning_rate``."""
        return optax.adam(self.learning_rate) if self.optimizer is None else self.optimizer


def as_key(key: int | jax.Array) -> jax.Array:
    """A PRNG key from an integer seed, or the key itself."""
    if isinstance(key, (int, np.integer)):
        return jax.random.key(int(key))
    return key


def check_samples(x: Any, y: Any) -> tuple[jax.Array, jax.Array]:
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


@functools.partial(jax.jit, static_argnames=("objective", "config"))
def _chunk(
    objective: Objective,
    config: CriticConfig,
    carry: Any,
    keys: jax.Array,
    xs: jax.Array,
    ys: jax.Array,
    xs_eval: jax.Array,
    ys_eval: jax.Array,
) -> Any:
    """``config.eval_every`` training steps and one evaluation, for every problem (vmapped).

    Compiled once per (objective, config, shapes): both are frozen and compared by value.
    """
    optimizer = config.make_optimizer()

    def one(
        carry: Any, key: jax.Array, x: jax.Array, y: jax.Array, x_eval: jax.Array, y_eval: jax.Array
    ) -> Any:
        def step(carry: Any, k: jax.Array) -> tuple[Any, jax.Array]:
            params, state, opt_state = carry
            kx, ky, kl = jax.random.split(k, 3)
            bx = x[jax.random.randint(kx, (config.batch_size,), 0, x.shape[0])]
            by = y[jax.random.randint(ky, (config.batch_size,), 0, y.shape[0])]
            (loss, state), grads = jax.value_and_grad(objective.loss, has_aux=True)(
                params, state, bx, by, kl
            )
            updates, opt_state = optimizer.update(grads, opt_state, params)
            params = objective.project(optax.apply_updates(params, updates))
            return (params, state, opt_state), loss

        carry, _ = jax.lax.scan(step, carry, jax.random.split(key, config.eval_every))
        return carry, objective.estimate(carry[0], carry[1], x_eval, y_eval)

    return jax.vmap(one)(carry, keys, xs, ys, xs_eval, ys_eval)


@functools.partial(jax.jit, static_argnames=("objective", "config", "dim"))
def _init(objective: Objective, config: CriticConfig, dim: int, keys: jax.Array) -> Any:
    """Initial parameters, state and optimizer state for every problem (vmapped)."""
    optimizer = config.make_optimizer()

    def one(key: jax.Array) -> Any:
        kp, ks = jax.random.split(key)
        params = objective.project(init_mlp(kp, dim, config.hidden, config.dtype))
        return params, objective.init_state(ks, params), optimizer.init(params)

    return jax.vmap(one)(keys)


def plateaued(history: np.ndarray, patience: int, tol: float) -> np.ndarray:
    """Per problem: the last ``patience`` evaluations did not raise the best earlier value by
    more than ``tol`` times the progress made so far (best earlier value minus the first).

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
    objective: Objective,
    config: CriticConfig,
    xs: jax.Array,
    ys: jax.Array,
    keys: jax.Array,
    *,
    desc: str,
) -> dict[str, Any]:
    """Trains one critic per problem: ``xs`` ``(B, n, d)``, ``ys`` ``(B, m, d)``, ``keys`` ``(B,)``.

    Each sample is shuffled and split: a fraction ``config.holdout`` is kept aside to evaluate the
    estimate, the rest trains the critic (with ``holdout = 0`` both use every point).

    Returns a dict with ``value`` ``(B,)``, ``curve`` ``(E, B)``, ``steps`` ``(E,)``,
    ``params``, ``state`` (leading axis B) and ``stopped_early``.
    """
    split = jax.vmap(lambda k: jax.random.split(k, 4))(keys)  # (B, 4)
    xs = jax.vmap(jax.random.permutation)(split[:, 2], xs.astype(config.dtype))
    ys = jax.vmap(jax.random.permutation)(split[:, 3], ys.astype(config.dtype))
    holdout = config.holdout
    (xs, xs_eval), (ys, ys_eval) = (_split(xs, holdout, "x"), _split(ys, holdout, "y"))
    carry = _init(objective, config, int(xs.shape[-1]), split[:, 0])
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
            carry, est = _chunk(objective, config, carry, sub, xs, ys, xs_eval, ys_eval)
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


def unbatch(out: dict[str, Any], objective: Objective, i: int = 0) -> CriticFit:
    """The ``i``-th problem of :func:`fit`'s output as a :class:`CriticFit`."""
    params = jax.tree_util.tree_map(lambda a: a[i], out["params"])
    state = jax.tree_util.tree_map(lambda a: a[i], out["state"])
    dtype = params[0][0].dtype

    def critic(points: Any) -> jax.Array:
        a = jnp.asarray(points, dtype=dtype)
        return objective.output(params, state, a[:, None] if a.ndim == 1 else a)

    return CriticFit(
        value=out["value"][i],
        curve=out["curve"][:, i],
        steps=out["steps"],
        params=params,
        state=state,
        critic=critic,
        stopped_early=out["stopped_early"],
    )
