"""FD at the working point beside its floor, and the float32 closed form beside float64.

Run: ``nice python benchmarks/bench_frechet.py [--n 50000] [--d 2048] [--rounds 2]``.

* ``dv.estimate.frechet`` on float32 features of ``n x d`` a side (the bias-corrected value,
  its interval and the plug-in: one pass over the draws in float64 chunks, five cross terms),
  beside its floor in the same process: the two float64 covariance products ``X^T X`` and
  ``Y^T Y`` of the draws already raised to float64 (the arithmetic no FD can skip). Each is
  timed once a round, best of the rounds; the ratio is the claim.
* The floor with the cross terms' factorizations: the products, then, for each cross term the
  interval needs (the full sample's and each of the ``batches`` batches' where d is past the
  variance groups: five at d = 2048), Cholesky's factor of one covariance, LAPACK's ``dsygst``
  and ``eigvalsh``, on the covariances of the draws (the arithmetic the trace cannot skip), by
  the same in-place calls as ``frechet``'s.
* The streamed read (batches of 4096 draws) beside the whole-array read: the same statistics.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import divergences as dv
from divergences.estimate._src.frechet.trace import cholesky_lower, congruence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batches", type=int, default=4, help="frechet's, for the cross terms")
    args = parser.parse_args()
    n, d = args.n, args.d
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d), dtype=np.float32)
    y = rng.standard_normal((n, d), dtype=np.float32) + np.float32(1.0 / math.sqrt(d))  # FD = 1
    x64, y64 = x.astype(np.float64), y.astype(np.float64)

    def floor() -> float:
        return float(np.trace(x64.T @ x64) + np.trace(y64.T @ y64))

    cov_x, cov_y = np.cov(x64, rowvar=False), np.cov(y64, rowvar=False)
    terms = 1 + args.batches

    def factorizations() -> float:
        total = 0.0
        for _ in range(terms):
            lower = cholesky_lower(cov_x.copy())
            assert lower is not None
            m = congruence(cov_y.copy(), lower)
            total += float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(m), 0.0, None))))
        return total

    def ours() -> dv.estimate.Estimate:
        return dv.estimate.frechet(x, y, batches=args.batches)

    def streamed() -> dv.estimate.Estimate:
        step = 4096
        return dv.estimate.frechet(
            (x[i : i + step] for i in range(0, n, step)),
            (y[i : i + step] for i in range(0, n, step)),
            batches=args.batches,
        )

    kernels = {"ours": ours, "floor": floor, "factorizations": factorizations, "streamed": streamed}
    best, values = dict.fromkeys(kernels, math.inf), {}
    for _ in range(args.rounds):
        for name, fn in kernels.items():
            start = time.perf_counter()
            values[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    est, st = values["ours"], values["streamed"]
    print(f"FD(N(0, I), N(mu, I)) = 1, float32 draws, n = m = {n}, d = {d}; best of {args.rounds}")
    floor = best["floor"] + best["factorizations"]
    print(
        f"{'ours':>8} {'products':>9} {'+ factorizations':>17} {'= floor':>8} {'ratio':>6} "
        f"{'streamed':>9}  estimate"
    )
    print(
        f"{best['ours']:>8.2f} {best['floor']:>9.2f} {best['factorizations']:>17.2f} "
        f"{floor:>8.2f} {best['ours'] / floor:>6.2f} {best['streamed']:>9.2f}  {est}, "
        f"plug_in {est.plug_in:.6g}"
    )
    print(f"ours / the products alone: {best['ours'] / best['floor']:.2f}; {terms} cross terms")
    print(f"streamed against whole: {abs(st.value / est.value - 1):.2e} relative")


if __name__ == "__main__":
    main()
