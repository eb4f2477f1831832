"""Timings of divergences.continuous: the certified path (python-flint) and the fast path (JAX).

Run from the repository root: python benchmarks/bench_continuous.py [--quick]
Prints one line per measurement (warm: every law type and JAX operation used once before).
"""

from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from divergences import continuous as dvc  # noqa: E402

C = dvc.certified


def mixture(shift: float, spread: float) -> dvc.Mixture:
    comps = tuple(dvc.Normal(shift + spread * i, 1.0 + 0.2 * i) for i in range(5))
    return dvc.Mixture(np.full(5, 0.2), comps)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    quick = "--quick" in sys.argv
    n_js = 21 if quick else 201
    thetas = np.linspace(-5.0, 5.0, n_js)
    p = dvc.Normal(0.0, 1.0)
    C.js_divergence(p, dvc.Normal(0.3, 1.0))  # warm
    worst = 0.0

    def sweep():
        nonlocal worst
        for t in thetas:
            e = C.js_divergence(p, dvc.Normal(float(t), 1.0))
            if e.value > 0:
                worst = max(worst, (e.upper_bound - e.lower_bound) / e.value)

    _, dt = timed(sweep)
    print(
        f"certified JS(N(0,1) || N(theta,1)), {n_js} thetas, rtol 1e-12: {dt:.2f} s in all, worst relative width {worst:.1e}"
    )

    pairs = [(mixture(0.0, 1.0), mixture(0.5, 1.2)), (mixture(-1.0, 0.8), mixture(0.0, 1.5))]
    for name, fn in [
        ("KL", C.kl),
        ("TV", C.total_variation),
        ("Hellinger", C.hellinger),
        ("GAN value at D*", C.gan_value),
        ("JS", C.js_divergence),
    ]:
        fn(*pairs[0], rtol=1e-10)  # warm
        times, widths = [], []
        for a, b in pairs:
            e, dt = timed(lambda a=a, b=b, fn=fn: fn(a, b, rtol=1e-10))
            times.append(dt)
            widths.append((e.upper_bound - e.lower_bound) / abs(e.value))
        print(
            f"certified {name} between 5-component Gaussian mixtures, rtol 1e-10: {max(times):.2f} s a pair (worst), relative width {max(widths):.1e}"
        )

    f = jax.jit(
        jax.vmap(lambda t: dvc.js_divergence(dvc.Normal(0.0, 1.0), dvc.Normal(t, 1.0)).value)
    )
    th = jnp.linspace(-5.0, 5.0, 1000)
    f(th).block_until_ready()
    _, dt = timed(lambda: f(th + 1e-3).block_until_ready())
    print(f"fast JS at 10^3 thetas (vmap, after compilation): {dt:.3f} s")
    g = jax.jit(jax.vmap(lambda t: dvc.kl(mixture(0.0, 1.0), mixture(t, 1.2)).value))
    g(th).block_until_ready()
    _, dt = timed(lambda: g(th + 1e-3).block_until_ready())
    print(
        f"fast KL between 5-component mixtures at 10^3 thetas (vmap, after compilation): {dt:.3f} s"
    )


if __name__ == "__main__":
    main()
