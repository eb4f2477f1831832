"""The discriminator the package trains: its bounds against the truth, its test's power, L-BFGS.

``target``: N(0, I) against N(e1, I) in d = 64, 5000 draws each, ``--reps`` seeds: the held-out
JS, TV and KL lower bounds of ``dv.estimate.discriminator_bounds`` as fractions of the truth
(JS by quadrature of the first coordinate's laws, TV = 2 Phi(1/2) - 1, KL = 1/2).

``power``: how often the classifier test and ``dv.estimate.mmd_test`` (median heuristic, 200
relabellings) reject at 0.05 on the same pairs, ``--reps`` seeds a pair.

``optax``: the same fit (the logistic regression and the MLP of the library, their loss and
start) by full-batch Adam (optax, 500 steps, learning rate 1e-2) against SciPy's L-BFGS: the
held-out JS bound and the time.

Run: ``nice python benchmarks/bench_trained_discriminator.py target --reps 50``, ``... power``,
``... optax``.
"""

from __future__ import annotations

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import norm

import divergences as dv
import divergences.continuous as dc
from divergences.estimate._src.discriminator import trained as td

LEVEL = 0.95


def shifted(rng, n, d, shift=1.0):
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    y[:, 0] += shift
    return x, y


def target(reps: int, n: int, d: int) -> None:
    js = float(dc.js_divergence(dc.Normal(0.0, 1.0), dc.Normal(1.0, 1.0)).value)
    tv, kl = 2 * norm.cdf(0.5) - 1, 0.5
    print(f"truths: JS {js:.6f}, TV {tv:.6f}, KL {kl}")
    ratios, times, models = [], [], []
    for seed in range(reps):
        x, y = shifted(np.random.default_rng(seed), n, d)
        start = time.perf_counter()
        b = dv.estimate.discriminator_bounds(x, y, seed=seed, level=LEVEL)
        times.append(time.perf_counter() - start)
        ratios.append((b.js.bound / js, b.tv.bound / tv, b.kl.bound / kl))
        models.append(b.model)
    r = np.array(ratios)
    for i, name in enumerate(("JS", "TV", "KL")):
        print(f"{name} bound / truth over {reps} seeds: min {r[:, i].min():.3f}, mean "
              f"{r[:, i].mean():.3f}, max {r[:, i].max():.3f}")  # fmt: skip
    print(f"models chosen: {sorted(set(models))}; median time {np.median(times):.2f} s; "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip


def scaled(scale):
    def draw(rng, n, d):
        return rng.standard_normal((n, d)), scale * rng.standard_normal((n, d))

    return draw


PAIRS = {
    "shift 0.3, d = 64": (lambda rng, n, d: shifted(rng, n, d, 0.3), 64),
    "shift 0.5, d = 8": (lambda rng, n, d: shifted(rng, n, d, 0.5), 8),
    "scale 1.3, d = 8": (scaled(1.3), 8),
    "equal, d = 8 (type-I error)": (scaled(1.0), 8),
}


def power(reps: int, n: int, pairs: str) -> None:
    print(f"| pair | n = m | classifier test | mmd_test | ({reps} seeds, rejections at 0.05) |")
    print("|---|---|---|---|---|")
    chosen = [list(PAIRS)[int(i)] for i in pairs.split(",")] if pairs else list(PAIRS)
    for name in chosen:
        draw, d = PAIRS[name]
        ours = theirs = 0
        for seed in range(reps):
            x, y = draw(np.random.default_rng([seed, 7]), n, d)
            ours += dv.estimate.discriminator_bounds(x, y, seed=seed).test.p_value <= 0.05
            theirs += dv.estimate.mmd_test(x, y, seed=seed).p_value <= 0.05
        print(f"| {name} | {n} | {ours / reps:.2f} | {theirs / reps:.2f} | |", flush=True)


def adam_fit(model, z, labels, width, seed, steps=500, rate=1e-2):
    import optax  # a lab dependency: only this comparison needs it

    dtype = jnp.asarray(0.0).dtype
    n_x = int(labels.sum())
    weights = jnp.asarray(np.where(labels, 0.5 / n_x, 0.5 / (labels.size - n_x)), dtype)
    args = (jnp.asarray(z, dtype), jnp.asarray(labels), weights)
    flat = jnp.asarray(td._init(model, z.shape[1], width, seed), dtype)
    opt = optax.adam(rate)

    @jax.jit
    def step(p, state):
        _, g = td._value_and_grad(p, *args, model=model, width=width)
        updates, state = opt.update(g, state)
        return optax.apply_updates(p, updates), state

    state = opt.init(flat)
    for _ in range(steps):
        flat, state = step(flat, state)
    return td._unflatten(flat, z.shape[1], model, width)


def optax_compare(reps: int, n: int, d: int) -> None:
    js = float(dc.js_divergence(dc.Normal(0.0, 1.0), dc.Normal(1.0, 1.0)).value)
    fit = td._fit
    for model in ("logistic", "mlp"):
        for name, fitter in (("L-BFGS (scipy)", fit), ("Adam (optax)", adam_fit)):
            td._fit = fitter
            bounds, times = [], []
            for seed in range(reps):
                x, y = shifted(np.random.default_rng(seed), n, d)
                start = time.perf_counter()
                b = dv.estimate.discriminator_bounds(x, y, model=model, seed=seed)
                times.append(time.perf_counter() - start)
                bounds.append(b.js.bound / js)
            print(f"{model}, {name}: JS bound / truth mean {np.mean(bounds):.3f} (min "
                  f"{np.min(bounds):.3f}), median time {np.median(times):.2f} s")  # fmt: skip
    td._fit = fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["target", "power", "optax"])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--n", type=int, default=0, help="draws a sample (default by task)")
    parser.add_argument("--pairs", default="", help="power: which pairs, by index (all)")
    args = parser.parse_args()
    if args.what == "target":
        target(args.reps, args.n or 5000, 64)
    elif args.what == "power":
        power(args.reps, args.n or 500, args.pairs)
    else:
        optax_compare(args.reps, args.n or 5000, 64)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
