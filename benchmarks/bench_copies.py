r"""How often the comparisons' copy check flags a candidate: false flags and power, and its time.

``frechet_difference`` and ``kid_difference`` call a candidate a copy of the reference where a
Gaussian kernel a tenth of the median heuristic's width gives an unbiased MMD^2 below 0 by its
interval and below all but 1% of its 200 seeded relabellings
(``divergences.estimate._src.comparison.copies``), on at most 2000 draws of each. For each
dimension ``d`` and each candidate, ``--reps`` seeded repetitions of ``--n`` draws each. The
reference is N(0, I); the candidates:

* ``same``: fresh draws of N(0, I), independent: a flag is a false one (at most 1% by the
  relabellings' exchangeability);
* ``narrow``: N(0, I / 4); ``collapsed``: three points of N(0, I), each draw one of them plus
  noise 0.05; ``t3``: Student's t with 3 degrees of freedom in each coordinate (heavy tails):
  wrong models that copy nothing, so flags are false ones too;
* ``copy10``, ``copy30``: ``same`` with 10% or 30% of its draws replaced by reference draws
  plus noise 1e-3; ``copier``: every draw a reference draw (with replacement) plus noise 1e-3.

``--time`` times one check on float32 draws of ``5 x 10^4 x 2048`` (the check reads 2000 of
each) beside ``frechet_difference`` on the same draws.

Run (nice'd, a few minutes): ``nice python benchmarks/bench_copies.py --reps 100``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import divergences as dv
from divergences.estimate._src.comparison.copies import copies_of


def candidate(name: str, rng: np.random.Generator, r: np.ndarray) -> np.ndarray:
    n, d = r.shape
    if name == "same":
        return rng.standard_normal((n, d))
    if name == "narrow":
        return 0.5 * rng.standard_normal((n, d))
    if name == "collapsed":
        return rng.standard_normal((3, d))[rng.integers(0, 3, n)] + 0.05 * rng.standard_normal(
            (n, d)
        )
    if name == "t3":
        return rng.standard_t(3, (n, d))
    share = {"copy10": 0.1, "copy30": 0.3, "copier": 1.0}[name]
    out = rng.standard_normal((n, d))
    k = round(share * n)
    out[:k] = r[rng.integers(0, n, k)] + 1e-3 * rng.standard_normal((k, d))
    return out


NAMES = ("same", "narrow", "collapsed", "t3", "copy10", "copy30", "copier")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--dims", type=int, nargs="+", default=[4, 64, 512])
    parser.add_argument("--time", action="store_true")
    args = parser.parse_args()
    print(f"flags / repetitions, {args.n} draws of each sample")
    print("| d | " + " | ".join(NAMES) + " | seconds a check |")
    print("|---|" + "---|" * (len(NAMES) + 1))
    for d in args.dims:
        cells, start = [], time.perf_counter()
        for name in NAMES:
            rng = np.random.default_rng(1000 * d + NAMES.index(name))
            hits = 0
            for _ in range(args.reps):
                r = rng.standard_normal((args.n, d))
                hits += copies_of(r, candidate(name, rng, r))
            cells.append(f"{hits} / {args.reps}")
        each = (time.perf_counter() - start) / (args.reps * len(NAMES))
        print(f"| {d} | " + " | ".join(cells) + f" | {each:.3f} |", flush=True)
    if args.time:
        rng = np.random.default_rng(0)
        r, a, b = (rng.standard_normal((50_000, 2048), dtype=np.float32) for _ in range(3))
        copies_of(r[:100], a[:100])  # compiled once
        start = time.perf_counter()
        copies_of(r, a)
        check = time.perf_counter() - start
        start = time.perf_counter()
        dv.estimate.frechet_difference(r, a, b)
        whole = time.perf_counter() - start
        print(
            f"5e4 x 2048 float32: one check {check:.2f} s; frechet_difference with its two "
            f"checks {whole:.2f} s ({2 * check / whole:.0%} of it)"
        )


if __name__ == "__main__":
    main()
