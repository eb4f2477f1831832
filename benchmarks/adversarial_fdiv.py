"""Adversarial campaign for the f-divergence family: counts of promise violations per class.

Draws batches of pmf pairs the way a demanding user would (small Dirichlet concentrations, masses
spanning the whole normal range, near-identical pairs, exact and shared zeros, sums at the edge
of the tolerance), in float64 and float32, and counts, per class of issue 9:

1. NaN, or inf where the divergence is finite, from ``f_divergence`` (every generator), and values
   off the package's dedicated function by more than 1e-6 relative (float64 rows);
2. ``variational_bound`` at ``optimal_critic`` not equal to ``f_divergence`` (NaN, -inf, or off by
   more than 1e-9 relative where T* is a finite float), and a bound above the divergence for a
   random critic inside the domain;
6. non-finite gradients where the value and the exact gradient are finite;
8. results outside their documented ranges (TV <= 1, H <= 1, JS <= log 2, chi^2 >= 0, D_f in
   [f(1), f(0) + slope], V <= 0).

Run: ``PYTHONPATH=. python benchmarks/adversarial_fdiv.py [rows]``; prints one line per count.

Measured 2026-11-22 with 20000 rows per (dtype, edge) cell, 80000 pmf pairs, each through the 8
generators (seed 0), before (commit 023672b) and after branch ``fdiv``:

==============================================  =========  =====
count                                              before  after
==============================================  =========  =====
1 NaN                                                3884      0
1 inf where D_f is finite                           16295      0
1 off the named function by > 1e-6 relative          3375      0
2 bound at T* NaN or -inf                          104072      0
2 bound at T* not tight (T* a finite float)         83630      0
2 bound above D_f, random critic in the domain          0      0
6 non-finite gradient (exact one finite)           193742      0
6 same, optimal_discriminator                       26803      0
8 D_f outside [f(1), f(0) + slope]                  45539      0
8 TV > 1 / Hellinger > 1 / JS > log 2            2553/1964/2599  0/0/0
8 chi^2 < 0                                             0      0
==============================================  =========  =====
"""

from __future__ import annotations

import math
import sys
from collections import Counter

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

import divergences as dv  # noqa: E402

G = dv.generators
GENS = list(G.GENERATORS.values())
NAMED = {
    "KL": lambda p, q: dv.kl(p, q),
    "reverse KL": lambda p, q: dv.kl(q, p),
    "Pearson chi^2": lambda p, q: dv.chi_square(p, q),
    "Neyman chi^2": lambda p, q: dv.chi_square(q, p),
    "squared Hellinger": lambda p, q: 2 * dv.hellinger(p, q) ** 2,
    "Jensen-Shannon": lambda p, q: 2 * dv.js_divergence(p, q),
    "GAN": lambda p, q: 2 * dv.js_divergence(p, q) - math.log(4),
    "total variation": lambda p, q: dv.total_variation(p, q),
}
RANGES = {
    "KL": (0, math.inf),
    "reverse KL": (0, math.inf),
    "Pearson chi^2": (0, math.inf),
    "Neyman chi^2": (0, math.inf),
    "squared Hellinger": (0, 2),
    "Jensen-Shannon": (0, 2 * math.log(2)),
    "GAN": (-math.log(4), 0),
    "total variation": (0, 1),
}


def rows(rng: np.random.Generator, count: int, n: int, dtype: type, edge: bool) -> np.ndarray:
    """``count`` adversarial pmfs of length ``n`` in ``dtype`` (masses >= tiny or exactly 0)."""
    tiny = float(np.finfo(dtype).tiny)
    kind = rng.integers(0, 3, size=count)
    alpha = rng.choice([0.01, 0.03, 0.1, 0.3], size=(count, 1))
    log_g = (
        np.log(rng.gamma(alpha + 1, size=(count, n))) + np.log(rng.uniform(size=(count, n))) / alpha
    )
    dirichlet = np.exp(log_g - log_g.max(axis=1, keepdims=True))
    wide = 10.0 ** rng.uniform(math.log10(tiny), 0, size=(count, n))
    flat = rng.uniform(1e-3, 1, size=(count, n))
    x = np.where(kind[:, None] == 0, dirichlet, np.where(kind[:, None] == 1, wide, flat))
    x = np.where(rng.uniform(size=(count, n)) < 0.15, 0.0, x)
    x[np.arange(count), rng.integers(0, n, size=count)] += 1.0  # at least one positive mass
    x = x / x.sum(axis=1, keepdims=True)
    x = np.where(x > 0, np.maximum(x, tiny), 0.0)
    big = np.argmax(x, axis=1)
    x[np.arange(count), big] = 0.0
    x[np.arange(count), big] = 1.0 - x.sum(axis=1)
    if edge:
        tol = math.sqrt(float(np.finfo(dtype).eps))
        x = x * (1 + rng.choice([-0.9, 0.9], size=(count, 1)) * tol)
    x = x.astype(dtype)
    return np.where(x > 0, np.maximum(x, np.asarray(tiny, dtype)), 0).astype(dtype)


def pairs(rng: np.random.Generator, count: int, n: int, dtype: type, edge: bool):
    p = rows(rng, count, n, dtype, edge)
    q = rows(rng, count, n, dtype, edge)
    # A quarter near-identical, an eighth identical, an eighth sharing p's zeros.
    which = rng.uniform(size=count)
    near = p.astype(np.float64) * (
        1 + rng.choice([-1, 1], size=(count, n)) * 10.0 ** rng.integers(-12, -3, size=(count, n))
    )
    near = np.where(p > 0, np.maximum(near, float(np.finfo(dtype).tiny)), 0)
    near = near / near.sum(axis=1, keepdims=True) * p.astype(np.float64).sum(axis=1, keepdims=True)
    q = np.where((which < 0.25)[:, None], near.astype(dtype), q)
    q = np.where(((which >= 0.25) & (which < 0.375))[:, None], p, q)
    q = np.where(((which >= 0.375) & (which < 0.5))[:, None] & (p == 0), 0, q).astype(dtype)
    # renormalise rows whose zeros were imposed (sum within tolerance again)
    s = q.astype(np.float64).sum(axis=1, keepdims=True)
    fix = (np.abs(s - 1) > math.sqrt(float(np.finfo(dtype).eps)) * 0.5) & (s > 0)
    q = np.where(fix, (q / np.where(fix, s, 1)).astype(dtype), q)
    # Every rescaling above may push the smallest normal mass into the subnormals (which XLA:CPU
    # flushes to 0, the documented convention): keep drawn masses normal.
    tiny = np.asarray(np.finfo(dtype).tiny, dtype)
    return p, np.where(q > 0, np.maximum(q, tiny), 0).astype(dtype)


def finite_where_true(g, p, q) -> np.ndarray:
    """True where D_f is finite in exact arithmetic."""
    if math.isinf(g.slope_at_infinity):
        infinite = ((q == 0) & (p > 0)).any(axis=1)
    elif g.name in ("reverse KL", "Neyman chi^2"):
        infinite = ((p == 0) & (q > 0)).any(axis=1)
    else:
        infinite = np.zeros(p.shape[0], dtype=bool)
    return ~infinite


def campaign(count: int, seed: int = 0) -> Counter:
    c: Counter = Counter()
    rng = np.random.default_rng(seed)
    for dtype in (np.float64, np.float32):
        for edge in (False, True):
            p, q = pairs(rng, count, 8, dtype, edge)
            c["inputs"] += count
            pj, qj = jnp.asarray(p), jnp.asarray(q)
            for g in GENS:
                fd = jax.jit(lambda a, b, g=g: dv.f_divergence(a, b, g))
                v = np.asarray(fd(pj, qj), dtype=np.float64)
                fin = finite_where_true(g, p, q)
                c["1 NaN"] += int(np.isnan(v).sum())
                c["1 spurious inf"] += int((np.isinf(v) & fin).sum())
                if dtype == np.float64 and not edge:
                    ref = np.asarray(jax.jit(NAMED[g.name])(pj, qj))
                    ok = np.isclose(v, ref, rtol=1e-6, atol=1e-12) | (np.isinf(v) & np.isinf(ref))
                    c["1 off the named function"] += int((~ok & fin & np.isfinite(ref)).sum())
                lo, hi = (float(np.asarray(x, dtype)) for x in RANGES[g.name])
                c["8 D_f outside its range"] += int(((v < lo) | (v > hi)).sum())
                # class 2: tightness at T*
                try:
                    t = jax.jit(lambda a, b, g=g: dv.optimal_critic(a, b, g))(pj, qj)
                    b = np.asarray(
                        jax.jit(lambda a, b_, t_, g=g: dv.variational_bound(a, b_, t_, g))(
                            pj, qj, t
                        ),
                        dtype=np.float64,
                    )
                    representable = (
                        (np.abs(np.asarray(t)) < float(np.finfo(dtype).max)) | (p == 0) | (q == 0)
                    )
                    rep = representable.all(axis=1)
                    tight = np.isclose(
                        b, v, rtol=1e-9, atol=1e-12 if dtype == np.float64 else 1e-5
                    ) | (b == v)
                    if dtype == np.float32:
                        tight = np.isclose(b, v, rtol=1e-4, atol=1e-5) | (b == v)
                    c["2 bound at T* NaN or -inf"] += int(
                        (np.isnan(b) | (np.isneginf(b) & fin)).sum()
                    )
                    c["2 bound at T* not tight"] += int((~tight & rep & fin & ~np.isnan(b)).sum())
                    # a random critic inside the domain (order one): the bound stays below D_f
                    lo_t, hi_t = g.conjugate_domain  # open ends: stay 1e-3 inside
                    lo_t, hi_t = lo_t + 1e-3, hi_t - 1e-3
                    tr = rng.uniform(max(lo_t, -5.0), min(hi_t, 5.0), size=p.shape).astype(dtype)
                    br = np.asarray(
                        jax.jit(lambda a, b_, t_, g=g: dv.variational_bound(a, b_, t_, g))(
                            pj, qj, jnp.asarray(tr)
                        ),
                        dtype=np.float64,
                    )
                    slack = 1e-12 if dtype == np.float64 else 1e-5
                    c["2 bound above D_f (random critic)"] += int(
                        (br > v + slack * (1 + np.abs(v))).sum()
                    )
                except Exception as e:
                    c[f"2 error {type(e).__name__}"] += 1
                # class 6: gradient finite where the value and exact gradient are finite
                grad = jax.jit(
                    jax.vmap(jax.grad(lambda a, b, g=g: dv.f_divergence(a, b, g), argnums=(0, 1)))
                )
                gp, gq = (np.asarray(x) for x in grad(pj, qj))
                with np.errstate(all="ignore"):
                    r = np.where(q > 0, p.astype(np.float64) / np.where(q > 0, q, 1), 0)
                    r2 = np.where(p > 0, q.astype(np.float64) / np.where(p > 0, p, 1), 0)
                big = float(np.sqrt(np.finfo(dtype).max))
                exact_ok = fin.copy()
                if g.name == "Pearson chi^2":
                    exact_ok &= (r < big).all(axis=1)
                if g.name == "Neyman chi^2":
                    exact_ok &= (r2 < big).all(axis=1)
                bad = ~(np.isfinite(gp).all(axis=1) & np.isfinite(gq).all(axis=1))
                c["6 non-finite gradient"] += int((bad & np.isfinite(v) & exact_ok).sum())
            d = jax.jit(
                jax.vmap(
                    jax.grad(lambda a, b: jnp.sum(dv.optimal_discriminator(a, b)), argnums=(0, 1))
                )
            )
            gp, gq = (np.asarray(x) for x in d(pj, qj))
            c["6 non-finite gradient (optimal_discriminator)"] += int(
                (~(np.isfinite(gp).all(1) & np.isfinite(gq).all(1))).sum()
            )
            tv = np.asarray(jax.jit(dv.total_variation)(pj, qj))
            h = np.asarray(jax.jit(dv.hellinger)(pj, qj))
            js = np.asarray(jax.jit(dv.js_divergence)(pj, qj))
            chi = np.asarray(jax.jit(dv.chi_square)(pj, qj))
            c["8 TV > 1"] += int((tv > 1).sum())
            c["8 Hellinger > 1"] += int((h > 1).sum())
            c["8 JS > log 2"] += int((js > np.float64(math.log(2)).astype(dtype)).sum())
            c["8 chi^2 < 0"] += int((chi < 0).sum())
    return c


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for key, value in sorted(campaign(count).items()):
        print(f"{key}: {value}")
