r"""The memorisation test's false-alarm rate and power, measured (``benchmarks/memorisation.md``).

``dv.estimate.memorisation`` counts the generated draws that are *unauthentic* (nearer their
nearest draw of the training and held-out draws pooled than it is to its nearest other pooled
draw, Alaa et al. 2022) and whose nearest pooled draw is a training one, and tests by 999
relabellings of the pool whether that count is too large for a random split, at 0.05. For
each dimension ``d`` and each generator, ``--reps`` seeded repetitions, each with fresh
training, held-out and generated samples of ``--n`` draws of the data's law, an equal mixture
of four unit Gaussians 3 apart on the first axis. The generators:

* ``fresh``: draws of the data's law, independent of the training draws (nothing copied): the
  rejections are false alarms, at most 0.05 by the test's construction;
* ``wider`` and ``narrower``: the data's law scaled by 1.2 and 1 / 1.2 about its mean, nothing
  copied: a model that is wrong but does not copy (still a false alarm where rejected; Alaa et
  al.'s fraction alone is far above the data's for the narrower one);
* ``copy10``: ``fresh`` with 10% of its draws replaced by training draws plus noise of
  standard deviation 1e-4 (copies): the rejections are the power.

Run (nice'd, a few minutes): ``nice python benchmarks/bench_memorisation.py --reps 200``.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import divergences as dv

LEVEL = 0.95


def data(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    return rng.standard_normal((n, d)) + 3.0 * rng.integers(0, 4, (n, 1)) * np.eye(d)[0]


def scaled(factor: float):
    def draw(rng, training, n, d):
        centre = 4.5 * np.eye(d)[0]
        return centre + factor * (data(rng, n, d) - centre)

    return draw


def copy10(rng, training, n, d):
    out = data(rng, n, d)
    chosen = rng.random(n) < 0.1
    picks = training[rng.integers(0, len(training), int(chosen.sum()))]
    out[chosen] = picks + 1e-4 * rng.standard_normal(picks.shape)
    return out


GENERATORS = {
    "fresh": lambda rng, training, n, d: data(rng, n, d),
    "wider": scaled(1.2),
    "narrower": scaled(1 / 1.2),
    "copy10": copy10,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 8, 64])
    args = parser.parse_args()
    print(
        "| d | generator | rejections / reps | rate | mean A_T / m | mean A_H / m | mean copied "
        "| seconds a call |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for d in args.dims:
        for name, generate in GENERATORS.items():
            rng = np.random.default_rng(1000 * d + len(name))
            hits, pg, ph, cp, start = 0, [], [], [], time.perf_counter()
            for _ in range(args.reps):
                training, held_out = data(rng, args.n, d), data(rng, args.n, d)
                generated = generate(rng, training, args.n, d)
                m = dv.estimate.memorisation(
                    training=training, generated=generated, held_out=held_out, level=LEVEL
                )
                hits += m.copying
                pg.append(m.training.value)
                ph.append(m.held_out.value)
                # the excess before its cut at 0: its mean shows the estimate unbiased
                cp.append(m.training.value - m.held_out.value)  # equal pools: ratio 1
            rate = hits / args.reps
            se = math.sqrt(max(rate * (1 - rate), 1e-12) / args.reps)
            each = (time.perf_counter() - start) / args.reps
            print(
                f"| {d} | {name} | {hits} / {args.reps} | {rate:.3f} (± {2 * se:.3f}) | "
                f"{np.mean(pg):.3f} | {np.mean(ph):.3f} | {np.mean(cp):.3f} | {each:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
