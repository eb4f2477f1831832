"""Coverage of dv.estimate.inception_score on models whose Inception score is exact.

Run from the repository root:
python benchmarks/bench_inception_score.py [--repetitions 200]

A model is a finite mixture: ``J`` class-probability vectors ``v_j`` (Dirichlet draws, seeded)
with weights ``pi_j``; a generated draw's row is ``v_j`` with probability ``pi_j``. Its score is
exact: ``p = sum_j pi_j v_j`` and ``IS = exp(sum_j pi_j KL(v_j || p))``. A row prints, over
seeded repetitions of ``N`` rows: how often each end of the interval missed, the mean width,
the bias of the estimate and of the plug-in, and how often the 10-split mean ± 1.96 std that
practitioners print would have held the score.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings

import numpy as np
from scipy.special import rel_entr

from divergences import estimate as dve

MODELS = {  # name: (K classes, J vectors, Dirichlet concentration)
    "K=10, J=50, Dirichlet(0.3)": (10, 50, 0.3),
    "K=1000, J=2000, Dirichlet(0.01)": (1000, 2000, 0.01),
}


def model(classes: int, vectors: int, concentration: float) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(classes + vectors)
    v = rng.dirichlet(np.full(classes, concentration), size=vectors)
    pi = rng.dirichlet(np.ones(vectors))
    p = pi @ v
    exact = math.exp(float(pi @ np.sum(rel_entr(v, p[None, :]), axis=1)))
    return v, pi, exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--sizes", default="100,1000,10000,50000")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()[0]:.1f}")
    print(
        "| model | N | IS | claimed | lower end above | upper end below | mean width | bias "
        "| plug-in bias | 10-split mean ± 1.96 std holds IS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (classes, vectors, concentration) in MODELS.items():
        v, pi, exact = model(classes, vectors, concentration)
        for rows in (int(s) for s in args.sizes.split(",")):
            rng = np.random.default_rng(rows)
            below = above = claimed = held = 0
            widths, values, plugs = [], [], []
            for _ in range(args.repetitions):
                c = v[rng.choice(vectors, size=rows, p=pi)]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", dve.NoCoverageWarning)
                    out = dve.inception_score(c)
                est = out.estimate
                claimed += est.claims_coverage
                below += est.lower_bound > exact
                above += est.upper_bound < exact
                widths.append(est.upper_bound - est.lower_bound)
                values.append(est.value)
                plugs.append(out.estimate.plug_in)
                held += abs(out.splits_mean - exact) <= 1.96 * out.splits_std
            r = args.repetitions
            print(
                f"| {name} | {rows} | {exact:.4f} | {claimed}/{r} | {below / r:.3f} "
                f"| {above / r:.3f} | {np.mean(widths):.4g} | {np.mean(values) - exact:+.4f} "
                f"| {np.mean(plugs) - exact:+.4f} | {held / r:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
