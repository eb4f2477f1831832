"""Tolerances, stated once per dtype and per kind of comparison.

Every numeric comparison in the test suite, in the proofs of the lectures and in a user's own proofs
takes its tolerance from ``TOLERANCES`` (through :func:`tolerance`), so that one number says how
close two computations of a quantity must be, with its reason written beside it:

* ``float64``, the verification dtype: closed forms and reference libraries agree to ``1e-12``
  relative (``1e-14`` absolute for exact zeros); ``float32`` to the float64 answer to ``1e-5``.
* ``ulp_float64`` and ``ulp_float32``: relative accuracy against an exact (mpmath, 200-bit)
  reference on the same inputs, for the log kernels that promise a few ulp: each term is within
  5 ulp (measured: 4.1 for KL, 5.0 for JS) and summing up to ~10 non-negative terms adds a few
  more, so ``rtol = 32 eps``, and no absolute floor: it holds wherever the true value is normal.
* ``gradient``: central finite differences with step ``h = 1e-6`` in float64 carry an error of
  order ``h^2 f''' + eps / h``, about ``1e-9`` relative: compared at ``rtol=1e-6, atol=1e-8``.
* ``backend_*`` (another compiled program), ``power_iteration``, ``critic*``: their comments.
* ``lp``: two independent exact LP solves (network simplex and HiGHS) agree to ``1e-10``
  relative, the rounding of their pivots.
* ``lp_feasibility``: a potential or plan read off a HiGHS solution meets its constraints (a
  Lipschitz bound, complementary slackness) to HiGHS's default feasibility tolerance, ``1e-7``.
* ``grid``: masses read off a ``linspace`` grid (each edge within an ulp, errors summed over
  ~10^3 cells): ``rtol=1e-9, atol=1e-11``.
* ``quadrature``: adaptive quadrature (``scipy.integrate.quad`` asked for ``epsabs=1e-13,
  epsrel=1e-12``) of a smooth integrand over the real line reaches ~1e-12; held to ``1e-9``
  relative so that the infinite-range transform and the tails of the integrand do not decide.
* ``iterative``: power iteration stopped at a relative change of ``1e-15`` leaves about
  ``1e-15 / (1 - r^2)`` for a gap ratio r: ``1e-9`` relative covers r up to 0.9999995.
* ``matrix_function``: a matrix square root by Schur decomposition of a non-symmetric product
  (``scipy.linalg.sqrtm(C1 @ C2)``) loses about ``cond * eps``: ``rtol=1e-8`` for the well-conditioned
  covariances the proofs draw (condition numbers below ~1e4).
* ``discretisation``: a continuous divergence against cell masses of a grid of step ``1e-3``:
  the midpoint rule's ``O(h^2)``, about ``1e-7`` relative for the proofs' Gaussians; ``1e-5``.
* ``highs``: a comparison with a HiGHS solve at its tightest setting (feasibility tolerances
  ``1e-10``, no presolve). HiGHS accepts a basis whose reduced costs are above ``-1e-10``, so
  where two couplings differ in cost by less (points ``1e-10`` apart) it may stop at the
  dearer one: ``atol=1e-10`` on values whose masses sum to one.
* ``lp_at_scale``: W1 at a coordinate scale s (1e-150..1e150) against a reference solved at that
  scale, with ``atol`` in units of the problem's largest cost ``C_max``: the network simplex stops
  within 2.2e-15 C_max of the optimum (its reduced-cost epsilon, applied to costs scaled into
  [0.5, 1)) and HiGHS within its feasibility tolerance, 1e-10 C_max; the inputs' rounding when
  scaled by a non-power of two adds a few ulp. ``rtol=1e-10, atol=1e-10`` (times C_max).
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

__all__ = ["TOLERANCES", "Tolerance", "tolerance"]


class Tolerance(TypedDict):
    """A comparison's tolerance: ``|actual - expected| <= atol + rtol * |expected|``."""

    rtol: float
    atol: float


TOLERANCES: dict[str, Tolerance] = {
    "float64": {"rtol": 1e-12, "atol": 1e-14},
    "float32": {"rtol": 1e-5, "atol": 1e-6},
    "ulp_float64": {"rtol": 32 * float(np.finfo(np.float64).eps), "atol": 0.0},
    "ulp_float32": {"rtol": 32 * float(np.finfo(np.float32).eps), "atol": 0.0},
    # One computation compiled into another program: XLA may reorder a sum, fuse a product and a
    # sum into one multiply-add, divide through the reciprocal of a constant, and each backend has
    # its own log and exp (an H100 put a JS of disjoint supports 1 ulp below log 2, a histogram's
    # pmf 1 ulp off the eager call). A few such roundings of a short formula, or a sum of up to 16
    # non-negative terms in another order ((n - 1) eps at worst); no absolute floor, so that a
    # zero the code makes exact stays exact. What the package promises bit for bit (host
    # computations, clamps to a documented range, exact zeros) is compared exactly.
    "backend_float64": {"rtol": 16 * float(np.finfo(np.float64).eps), "atol": 0.0},
    "backend_float32": {"rtol": 16 * float(np.finfo(np.float32).eps), "atol": 0.0},
    "gradient": {"rtol": 1e-6, "atol": 1e-8},
    "lp": {"rtol": 1e-10, "atol": 1e-12},
    "lp_feasibility": {"rtol": 0.0, "atol": 1e-7},
    "grid": {"rtol": 1e-9, "atol": 1e-11},
    "quadrature": {"rtol": 1e-9, "atol": 1e-11},
    "iterative": {"rtol": 1e-9, "atol": 1e-12},
    "matrix_function": {"rtol": 1e-8, "atol": 1e-10},
    "discretisation": {"rtol": 1e-5, "atol": 1e-8},
    # Power iteration on a fixed random matrix converges like (sigma_2 / sigma_1)^(2k); after the
    # steps the tests take the error is far below this, which leaves room for float64 rounding.
    "power_iteration": {"rtol": 1e-8, "atol": 0.0},
    # A trained critic's estimate against the exact value: held-out means over 2048 to 8192 points
    # carry a sampling error of a few thousandths for critics of order-1 range, plus the
    # optimisation gap of a short training run. Measured (tests/lab/critics, keys 0-5, each with
    # its own held-out split): errors up to 0.019 (0.0125 of it the gradient penalty's expected
    # overshoot), spreads over keys up to 0.015: the tolerance is 3x the largest spread.
    "critic": {"rtol": 0.0, "atol": 0.05},
    # The gradient-penalty critic's estimate against the penalised game's optimum: the soft
    # penalty leaves the slope loosely held (lambda (s - 1)^2 is flat near its optimum while the
    # estimate moves as s), so Adam's last iterate varies more than the other critics'. Measured
    # (1-D N(0, 1) against N(2, 1), 32768 points, keys 0-5): a spread of 0.050; 3x that.
    "critic_gradient_penalty": {"rtol": 0.0, "atol": 0.15},
    "highs": {"rtol": 1e-10, "atol": 1e-10},
    "lp_at_scale": {"rtol": 1e-10, "atol": 1e-10},
}


def tolerance(kind: str | np.dtype | type) -> Tolerance:
    """The ``rtol``/``atol`` pair for a dtype (``np.float32``, ``"float64"``) or a named kind.

    Example:
      >>> from divergences.testing import tolerance
      >>> tolerance("float64")
      {'rtol': 1e-12, 'atol': 1e-14}

    Raises:
      ValueError: for a kind that has no stated tolerance.
    """
    key = kind if isinstance(kind, str) else np.dtype(kind).name
    if key not in TOLERANCES:
        raise ValueError(f"kind must be one of {sorted(TOLERANCES)}; got {kind!r}")
    return Tolerance(rtol=TOLERANCES[key]["rtol"], atol=TOLERANCES[key]["atol"])
