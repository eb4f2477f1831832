"""FD's variance in d >= 64: how far the jackknife over 32 groups overstates it, and two corrections.

The delete-a-group jackknife counts the estimator's second-order (degenerate) noise about twice
(Efron & Stein, 1981), which is most of FD's variance once d^2/n is large. Per repetition, on
exact Gaussian statistics (``bench_frechet_coverage.batch_moments``: 32 groups a sample, the 4
extrapolation batches their unions), this prints what each correction would need:

* ``--delete-two``: the squared delete-two double differences
  theta_(gh) - theta_(g) - theta_(h) + theta over the 384 pairs of groups in different batches
  (for those the batches' cross terms cancel, leaving the full sample's). A weight lambda makes
  ``v_J - lambda S`` unbiased where ``lambda* = (E v_J - Var theta) / E S``; a second-order
  model of the estimator gives 0.93.
* ``--subsets M``: the spread of the same estimator over M balanced random subsets keeping 4 and
  6 of each batch's 8 groups (delete-half and delete-quarter jackknives), whose means the model
  puts at V1 + 3 V2 and V1 + 2.34 V2 against the jackknife's 1.01 V1 + 2.19 V2: combinations
  that are unbiased for V1 + V2 in the model.

``--model`` prints these expectations from the model itself: a statistic of the groups
T(S) = mean a_g + |S|^-2 sum_{g != h} q_gh over the groups S, extrapolated as FD's cross term is,
each variance a linear function of Var a and Var q. ``python
benchmarks/bench_frechet_variance.py --d 64 --n 1000 --reps 200 --seed 12 --law diag
--delete-two`` (``OPENBLAS_NUM_THREADS=1``; 1 to 2 s a repetition in d = 64, 8 in d = 128).
Results: ``estimate_coverage.md``, "FD in d >= 64: two corrections of the jackknife, not adopted".
"""

from __future__ import annotations

import argparse
import itertools
import math

import numpy as np
from bench_frechet_coverage import batch_moments, laws
from scipy.stats import t as student

from divergences.estimate._src.frechet.distance import _unbiased_rest, jackknife_error, paired_parts
from divergences.estimate._src.frechet.trace import cross_term
from divergences.estimate._src.reading import Moments, union_moments

G, B = 32, 4


def union(parts: tuple, keep: list[int]) -> Moments:
    """The moments of the groups kept (exact merges, as ``frechet`` pools its groups)."""
    return union_moments([parts[g] for g in keep], parts[0].mean.shape[0])


def rest_and_cross(x: tuple, y: tuple, keep: list[int]) -> tuple[float, float]:
    """FD's unbiased mean term and traces, and the plug-in cross term, of the groups kept."""
    sx, sy = union(x, keep), union(y, keep)
    return _unbiased_rest(sx, sy), cross_term(sx, sy)[0]


def theta(x: tuple, y: tuple, keep: list[int]) -> float:
    """The bias-corrected FD of the groups kept, its batches the kept groups of each batch."""
    rest, t = rest_and_cross(x, y, keep)
    batch = [[g for g in keep if g % B == j] for j in range(B)]
    tb = [cross_term(union(x, b), union(y, b))[0] for b in batch]
    return rest - 2.0 * (B * t - float(np.mean(tb))) / (B - 1)


def delete_two(x: tuple, y: tuple) -> float:
    """The sum of the squared cross-batch double differences."""
    everything = list(range(G))
    r0, t0 = rest_and_cross(x, y, everything)
    one = [rest_and_cross(x, y, [k for k in everything if k != g]) for g in everything]
    total = 0.0
    for g, h in itertools.combinations(everything, 2):
        if g % B != h % B:
            r, t = rest_and_cross(x, y, [k for k in everything if k not in (g, h)])
            dr = r - one[g][0] - one[h][0] + r0
            dt = t - one[g][1] - one[h][1] + t0
            total += (dr - 2.0 * B / (B - 1) * dt) ** 2
    return total


def subsets(x: tuple, y: tuple, m: int, rng: np.random.Generator) -> list[float]:
    """The delete-half and delete-quarter jackknives' variances over ``m`` balanced subsets."""
    out = []
    for keep in (4, 6):
        values = [
            theta(
                x, y, sorted(g for j in range(B) for g in rng.choice(range(j, G, B), keep, False))
            )
            for _ in range(m)
        ]
        r = keep * B
        out.append(r / (G - r) * float(np.var(values, ddof=1)))
    return out


def model() -> dict[str, np.ndarray]:
    """Each variance's coefficients on (V1, V2) in the model, from its terms' coefficients."""
    pairs = list(itertools.combinations(range(G), 2))
    where = {pair: i for i, pair in enumerate(pairs)}

    def t(keep: list[int]) -> np.ndarray:  # T's coefficients on (a_1..a_G, q_12..q_(G-1)G)
        out = np.zeros(G + len(pairs))
        out[keep] = 1.0 / len(keep)
        for pair in itertools.combinations(sorted(keep), 2):
            out[G + where[pair]] = 2.0 / len(keep) ** 2
        return out

    def theta_of(keep: list[int]) -> np.ndarray:
        tb = [t([g for g in keep if g % B == j]) for j in range(B)]
        return (B * t(keep) - np.mean(tb, axis=0)) / (B - 1)

    def parts(v: np.ndarray) -> np.ndarray:  # (sum of a's squared coefficients, q's)
        return np.array([v[:G] @ v[:G], v[G:] @ v[G:]])

    everything = list(range(G))
    full = theta_of(everything)
    truth = parts(full)
    one = np.array([theta_of([k for k in everything if k != g]) for g in everything])
    out = {"v_J": (G - 1) / G * sum(parts(r) for r in one - one.mean(0))}
    s = np.zeros(2)
    for g, h in pairs:
        if g % B != h % B:
            s += parts(
                theta_of([k for k in everything if k not in (g, h)]) - one[g] - one[h] + full
            )
    out["S"] = s
    rng = np.random.default_rng(0)
    for keep, name in ((4, "v_half"), (6, "v_quarter")):
        subs = np.array(
            [
                theta_of(
                    sorted(g for j in range(B) for g in rng.choice(range(j, G, B), keep, False))
                )
                for _ in range(600)
            ]
        )
        r = keep * B
        out[name] = r / (G - r) * sum(parts(v) for v in subs - subs.mean(0)) / (len(subs) - 1)
    return {k: v / truth for k, v in out.items()}


def unbiased(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The weights w with w_1 first + w_2 second = V1 + V2 in the model."""
    return np.linalg.solve(np.array([first, second]).T, np.ones(2))


def summary(rows: np.ndarray, truth: float, combos: dict[str, np.ndarray]) -> None:
    v, vj = rows[:, 0], rows[:, 1]
    var = float(np.var(v, ddof=1))
    ideal = 2 * 1.96 * math.sqrt(var)
    q = float(student.isf(0.025, G - 1))
    print(f"reps {len(v)}  Var theta {var:.5f}  E v_J / Var {vj.mean() / var:.2f}")
    for name, est in combos.items():
        half = q * np.sqrt(np.maximum(est, vj / 8))
        low, high = int(np.sum(truth < v - half)), int(np.sum(truth > v + half))
        print(
            f"  {name:22s} mean/Var {est.mean() / var:5.2f}  sd/Var {est.std() / var:4.2f}  "
            f"width/ideal {2 * half.mean() / ideal:.2f}  low/high {low}/{high}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--law", choices=("mu", "diag"), default="diag")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--delete-two", action="store_true")
    how.add_argument("--subsets", type=int, metavar="M")
    how.add_argument("--model", action="store_true", help="the model's expectations only")
    args = parser.parse_args()
    coefficients = model()
    if args.model:
        for name, (first, second) in coefficients.items():
            print(f"E {name} = {first:.3f} V1 + {second:.3f} V2")
        return
    rng = np.random.default_rng(args.seed)
    name = next(k for k in laws(args.d) if args.law in k)
    mean, scale, truth = laws(args.d)[name]
    zero, ones = np.zeros(args.d), np.ones(args.d)
    rows = []
    for _ in range(args.reps):
        bx = batch_moments(rng, args.n, zero, ones, G)
        by = batch_moments(rng, args.n, mean, scale, G)
        parts = paired_parts(bx, by, B)
        x, y = bx.parts, by.parts
        row = [parts.value, jackknife_error(parts.left_out) ** 2]
        row += [delete_two(x, y)] if args.delete_two else subsets(x, y, args.subsets, rng)
        rows.append(row)
    a = np.array(rows)
    print(f"{name}, d = {args.d}, n = {args.n}, seed {args.seed}")
    if args.delete_two:
        var = float(np.var(a[:, 0], ddof=1))
        lam = (a[:, 1].mean() - var) / a[:, 2].mean()
        boot = np.random.default_rng(0)  # the repetitions resampled: lambda*'s 5% and 95% points
        again = []
        for _ in range(400):
            i = boot.integers(0, len(a), len(a))
            again.append((a[i, 1].mean() - np.var(a[i, 0], ddof=1)) / a[i, 2].mean())
        low, high = np.percentile(again, [5, 95])
        print(f"E S / Var {a[:, 2].mean() / var:.2f}  lambda* {lam:.2f} [{low:.2f}, {high:.2f}]")
        combos = {f"v_J - {w} S": a[:, 1] - w * a[:, 2] for w in (0.0, 0.4, 0.93)}
    else:
        w = unbiased(coefficients["v_J"], coefficients["v_half"])
        u = unbiased(coefficients["v_quarter"], coefficients["v_half"])
        combos = {
            "v_J": a[:, 1],
            f"{w[0]:.2f} v_J {w[1]:+.2f} v_half": w[0] * a[:, 1] + w[1] * a[:, 2],
            f"{u[0]:.2f} v_quarter {u[1]:+.2f} v_half": u[0] * a[:, 3] + u[1] * a[:, 2],
        }
    summary(a, truth, combos)


if __name__ == "__main__":
    main()
