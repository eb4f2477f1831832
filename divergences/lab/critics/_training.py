"""The training loop shared by every critic: minibatch steps in a jitted ``lax.scan``, batched
over independent problems with ``vmap``, evaluated between chunks, stopped on a plateau."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from divergences._validation import as_float_array
from divergences.lab.critics._mlp import Params, init_mlp

__all__ = ["CriticFit", "Objective", "TrainingOptions", "as_key", "check_samples", "fit"]


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


class Objective(NamedTuple):
    """What a kind of critic adds to the shared loop (all functions pure and jittable).

    Attributes:
      loss: ``(params, state, x, y, key) -> (loss, new_state)``, minimised.
      estimate: ``(params, state, x, y) -> scalar``, the divergence estimate.
      project: ``params -> params`` after each update (weight clipping), else identity.
      init_state: ``(key, params) -> state``.
      output: ``(params, state, x) -> (n,)``, the user-facing critic.
    """

    loss: Callable[..., tuple[jax.Array, Any]]
    estimate: Callable[..., jax.Array]
    project: Callable[[Params], Params]
    init_state: Callable[[jax.Array, Params], Any]
    output: Callable[..., jax.Array]


class TrainingOptions(NamedTuple):
    """Options of the shared loop (documented in :mod:`divergences.lab.critics`)."""

    hidden: tuple[int, ...]
    holdout: float
    steps: int
    batch_size: int
    eval_every: int
    patience: int
    tol: float
    progress: bool
    dtype: Any


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


def check_options(opts: TrainingOptions) -> None:
    for name in ("steps", "batch_size", "eval_every", "patience"):
        v = getattr(opts, name)
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not all(isinstance(h, (int, np.integer)) and h >= 1 for h in opts.hidden):
        raise ValueError(f"hidden must be a sequence of positive integers, got {opts.hidden!r}")
    if not 0 <= opts.holdout < 1:
        raise ValueError(f"holdout must be a fraction in [0, 1), got {opts.holdout!r}")
    if not opts.tol >= 0:
        raise ValueError(f"tol must be >= 0, got {opts.tol!r}")


@functools.lru_cache(maxsize=64)
def _compiled_chunk(
    objective: Objective, optimizer: optax.GradientTransformation, batch_size: int, length: int
) -> Callable[..., Any]:
    """``length`` training steps and one evaluation, vmapped over problems and jitted."""

    def one(
        carry: Any, key: jax.Array, x: jax.Array, y: jax.Array, x_eval: jax.Array, y_eval: jax.Array
    ) -> Any:
        def step(carry: Any, k: jax.Array) -> tuple[Any, jax.Array]:
            params, state, opt_state = carry
            kx, ky, kl = jax.random.split(k, 3)
            bx = x[jax.random.randint(kx, (batch_size,), 0, x.shape[0])]
            by = y[jax.random.randint(ky, (batch_size,), 0, y.shape[0])]
            (loss, state), grads = jax.value_and_grad(objective.loss, has_aux=True)(
                params, state, bx, by, kl
            )
            updates, opt_state = optimizer.update(grads, opt_state, params)
            params = objective.project(optax.apply_updates(params, updates))
            return (params, state, opt_state), loss

        carry, _ = jax.lax.scan(step, carry, jax.random.split(key, length))
        return carry, objective.estimate(carry[0], carry[1], x_eval, y_eval)

    return jax.jit(jax.vmap(one))


@functools.lru_cache(maxsize=64)
def _compiled_init(
    objective: Objective,
    optimizer: optax.GradientTransformation,
    dim: int,
    hidden: tuple,
    dtype: Any,
) -> Callable[..., Any]:
    def one(key: jax.Array) -> Any:
        kp, ks = jax.random.split(key)
        params = objective.project(init_mlp(kp, dim, hidden, dtype))
        return params, objective.init_state(ks, params), optimizer.init(params)

    return jax.jit(jax.vmap(one))


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
    optimizer: optax.GradientTransformation,
    xs: jax.Array,
    ys: jax.Array,
    keys: jax.Array,
    opts: TrainingOptions,
    *,
    desc: str,
) -> dict[str, Any]:
    """Trains one critic per problem: ``xs`` ``(B, n, d)``, ``ys`` ``(B, m, d)``, ``keys`` ``(B,)``.

    Each sample is shuffled and split: a fraction ``opts.holdout`` is kept aside to evaluate the
    estimate, the rest trains the critic (with ``holdout = 0`` both use every point).

    Returns a dict with ``value`` ``(B,)``, ``curve`` ``(E, B)``, ``steps`` ``(E,)``,
    ``params``, ``state`` (leading axis B) and ``stopped_early``.
    """
    split = jax.vmap(lambda k: jax.random.split(k, 4))(keys)  # (B, 4)
    xs = jax.vmap(jax.random.permutation)(split[:, 2], xs.astype(opts.dtype))
    ys = jax.vmap(jax.random.permutation)(split[:, 3], ys.astype(opts.dtype))
    (xs, xs_eval), (ys, ys_eval) = (_split(xs, opts.holdout, "x"), _split(ys, opts.holdout, "y"))
    init = _compiled_init(objective, optimizer, xs.shape[-1], tuple(opts.hidden), opts.dtype)
    chunk = _compiled_chunk(objective, optimizer, opts.batch_size, opts.eval_every)
    carry = init(split[:, 0])
    key = split[:, 1]
    history: list[np.ndarray] = []
    done = 0
    stopped_early = False
    n_chunks = -(-opts.steps // opts.eval_every)
    with tqdm(total=n_chunks * opts.eval_every, desc=desc, disable=not opts.progress) as bar:
        for _ in range(n_chunks):
            pairs = jax.vmap(jax.random.split)(key)
            key, sub = pairs[:, 0], pairs[:, 1]
            carry, est = chunk(carry, sub, xs, ys, xs_eval, ys_eval)
            history.append(np.asarray(est))
            done += opts.eval_every
            bar.update(opts.eval_every)
            bar.set_postfix(estimate=f"{float(np.mean(history[-1])):.4g}")
            if done < opts.steps and plateaued(np.stack(history), opts.patience, opts.tol).all():
                stopped_early = True
                break
    curve = np.stack(history)
    return {
        "value": jnp.asarray(curve[-1]),
        "curve": jnp.asarray(curve),
        "steps": jnp.arange(1, curve.shape[0] + 1) * opts.eval_every,
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


def options(
    hidden: Sequence[int],
    holdout: float,
    steps: int,
    batch_size: int,
    eval_every: int,
    patience: int,
    tol: float,
    progress: bool,
    dtype: Any,
) -> TrainingOptions:
    opts = TrainingOptions(
        tuple(hidden),
        float(holdout),
        steps,
        batch_size,
        eval_every,
        patience,
        float(tol),
        bool(progress),
        dtype,
    )
    check_options(opts)
    return opts
