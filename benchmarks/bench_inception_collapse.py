"""IS's interval under collapse, on the digits evaluator's probabilities, where IS is exact.

Run from the repository root (the lab extra; the evaluator is trained once, about 20 s):
python benchmarks/bench_inception_collapse.py [--repetitions 1000]

A generator of a cell draws uniformly from the 1,797 real digits of some classes (1, 2, 3, 5, 8
or all 10), or from every digit with skewed class weights. Its law is a finite set of the
evaluator's probability rows with weights, so its Inception score is exact:
``p = sum_i w_i c_i`` and ``IS = exp(sum_i w_i KL(c_i || p))``. A row prints, over seeded
repetitions of ``N`` rows drawn with those weights: how often ``inception_score`` claimed its
interval, and how often each end missed, over every repetition (``all``) and over those that
claimed (``claimed``): a cell whose ends miss more than 3.5% must not be claimed.
"""

from __future__ import annotations

import argparse
import math
import warnings

import numpy as np
from scipy.special import rel_entr

from divergences import estimate as dve
from divergences.lab.training.digits import digits_split
from divergences.lab.training.evaluator import digits_evaluator

CELLS = {  # name: (classes kept, class weights or None for uniform over the kept digits)
    "1 class (0)": ((0,), None),
    "2 classes (0, 1)": ((0, 1), None),
    "3 classes (0, 1, 7)": ((0, 1, 7), None),
    "5 classes (0-4)": ((0, 1, 2, 3, 4), None),
    "8 classes (0-7)": (tuple(range(8)), None),
    "10 classes": (tuple(range(10)), None),
    "10 classes, weights 2^-k": (tuple(range(10)), 0.5 ** np.arange(10)),
    "10 classes, one at 55%": (tuple(range(10)), np.array([0.55] + [0.05] * 9)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=1000)
    parser.add_argument("--sizes", default="1000,5000")
    args = parser.parse_args()
    split, e = digits_split(), digits_evaluator()
    images = np.concatenate([split.train, split.held_out])
    labels = np.concatenate([split.train_labels, split.held_out_labels])
    rows = e.probabilities(images)
    print(
        "| cell | N | IS | claimed | all: lower end above | all: upper end below "
        "| claimed: lower end above | claimed: upper end below |\n|---|---|---|---|---|---|---|---|"
    )
    for n in (int(v) for v in args.sizes.split(",")):
        for name, (kept, weights) in CELLS.items():
            at = np.isin(labels, kept)
            c, y = rows[at], labels[at]
            w = np.full(len(c), 1.0) if weights is None else weights[y] / np.bincount(y)[y]
            w /= w.sum()
            p = w @ c
            exact = math.exp(float(w @ np.sum(rel_entr(c, p[None, :]), axis=1)))
            rng = np.random.default_rng(n + len(name))
            claimed, low, high, claimed_low, claimed_high = 0, 0, 0, 0, 0
            for _ in range(args.repetitions):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", dve.NoCoverageWarning)
                    est = dve.inception_score(c[rng.choice(len(c), n, p=w)]).estimate
                computed = est
                if not est.claims_coverage:  # the interval computed, kept in method
                    ends = est.method.split("(not returned: [")[1].split("]")[0].split(", ")
                    computed = est._replace(lower_bound=float(ends[0]), upper_bound=float(ends[1]))
                below, above = exact < computed.lower_bound, exact > computed.upper_bound
                low, high = low + below, high + above
                if est.claims_coverage:
                    claimed += 1
                    claimed_low, claimed_high = claimed_low + below, claimed_high + above
            reps, each = args.repetitions, max(claimed, 1)
            print(
                f"| {name} | {n} | {exact:.4f} | {claimed}/{reps} | {low / reps:.3f} | "
                f"{high / reps:.3f} | {claimed_low / each:.3f} | {claimed_high / each:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
