r"""Hypothesis strategies for probability mass functions, to check derivations against.

Every strategy draws NumPy arrays of probability masses that :func:`divergences.kl` and the rest
accept as they are: non-negative, at least one positive mass, each pmf summing to 1 within the
validation tolerance, in the requested ``dtype`` (float64 by default, or float32). They are built
to find the cases that break naive formulas:

* **exact zeros** (``0 log 0``, ``0 / 0``), which stay exact zeros after normalisation;
* **disjoint supports** (KL infinite, JS at its maximum log 2);
* **near-degenerate** pmfs, one mass within about 1e-6 of 1 or closer;
* **tiny masses**, down to the dtype's smallest normal number ``np.finfo(dtype).tiny``;
* **masses spanning 300 orders of magnitude** (float64; 37 in float32): masses ``10^e`` with
  exponents drawn uniformly down to the smallest normal number, where a ratio ``p/q`` nears the
  largest float;
* **small Dirichlet concentrations** (0.01 to 0.3): a few large masses and many very small ones,
  the shape of a sharp softmax; draws below the smallest normal number are raised to it;
* **near-identical pairs** (``relation="near_identical"``, and :func:`near_identical_pairs` with
  mass moved exactly between points): a divergence is tiny and cancellation decides its accuracy;
* **masses at the edge of the normal range** (:func:`edge_of_normal_pairs`): a few times the
  smallest normal number, whose differences and terms are below it while a divergence is not;
* **sums at the edge of the tolerance** (``edge_sums=True``, off by default): each pmf sums to
  ``1 +- 0.9 sqrt(eps)``, which the validation accepts as it is, so that documented ranges
  (TV <= 1, KL >= 0) are tested where rounding alone cannot reach them.

Subnormal masses are not drawn: XLA on CPU flushes subnormal numbers to zero in arithmetic, so a
subnormal mass behaves as an exact zero inside a jitted computation while NumPy sees it as positive.

Lengths are drawn from a small set (1, 2, 3, 5 or 8 by default, or the sizes you pass), and batch
sizes likewise (1, 3 or 4), so that a property compiles a handful of programs, not dozens.

Example:
  >>> from hypothesis import given, settings
  >>> import divergences as dv
  >>> from divergences.testing import pmf_pairs
  >>> @settings(max_examples=20, deadline=None)
  ... @given(pmf_pairs(n=3))
  ... def test_kl_nonnegative(pq):
  ...     p, q = pq
  ...     assert float(dv.kl(p, q)) >= 0
  >>> test_kl_nonnegative()
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "RELATIONS",
    "SHAPES",
    "edge_of_normal_pairs",
    "near_identical_pairs",
    "pmf_batches",
    "pmf_pair_batches",
    "pmf_pairs",
    "pmf_triples",
    "pmfs",
    "sizes",
]

#: The relations :func:`pmf_pairs` can draw between its two pmfs.
RELATIONS = ("any", "independent", "disjoint", "shared_zeros", "identical", "near_identical")

#: The shapes :func:`pmfs` draws masses in when ``tiny`` is on.
SHAPES = ("flat", "dirichlet", "wide")

#: The lengths a pmf is drawn with by default: the edge cases 1 and 2, odd and even lengths, and
#: up to 8; a few sizes, since each new shape compiles the kernels again.
_SIZES = (1, 2, 3, 5, 8)
_BATCHES = (1, 3, 4)

Sizes = int | Sequence[int] | None


def float_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def sizes(n: Sizes = None, *, min_n: int = 1) -> st.SearchStrategy[int]:
    """Lengths of pmfs: ``n`` itself, one of the sizes in ``n``, or 1, 2, 3, 5 or 8 when None.

    Args:
      n: a length, a sequence of lengths to draw from, or None for those of (1, 2, 3, 5, 8)
        that are at least ``min_n``.
      min_n: the smallest length allowed (2 for disjoint supports).

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import sizes
      >>> @given(sizes([2, 5]))
      ... def test_size(n):
      ...     assert n in (2, 5)
      >>> test_size()
    """
    if n is None:
        choices = [k for k in _SIZES if k >= min_n] or [min_n]
    elif isinstance(n, (int, np.integer)):
        choices = [int(n)]
    else:
        choices = sorted({int(k) for k in n})
    if not choices or min(choices) < min_n:
        raise ValueError(f"pmf lengths must be at least {min_n}, got {n!r}")
    return st.sampled_from(choices) if len(choices) > 1 else st.just(choices[0])


def _tiny_values(dt: np.dtype) -> list[float]:
    tiny = float(np.finfo(dt).tiny)
    if dt == np.float64:
        return [tiny, 1e-300, 1e-200, 1e-100, 1e-30]
    return [tiny, 1e-30, 1e-20, 1e-12]


def _finish(out: np.ndarray, idx: np.ndarray, dt: np.dtype) -> np.ndarray:
    """Masses on ``idx`` that sum to 1 in float64, cast to ``dt``.

    The masses (float64, positive) are floored at the dtype's tiny, the largest one set so that the
    total is 1 in float64, then cast to ``dt``.
    """
    tiny = float(np.finfo(dt).tiny)
    vals = out[idx] / out[idx].sum()
    vals = np.maximum(vals, tiny)
    big = int(np.argmax(vals))
    vals[big] = 0.0
    vals[big] = 1.0 - vals.sum()
    res = np.zeros(out.size, dtype=np.float64)
    res[idx] = vals
    return res.astype(dt)


@st.composite
def _masses_on(
    draw: st.DrawFn, support: np.ndarray, dt: np.dtype, tiny: bool, degenerate: bool
) -> np.ndarray:
    """A pmf of length ``len(support)`` positive exactly where ``support`` is True."""
    n = support.size
    idx = np.flatnonzero(support)
    k = idx.size
    shape = draw(st.sampled_from(SHAPES)) if tiny and k > 1 else "flat"
    if shape == "dirichlet":
        alpha = draw(st.sampled_from([0.01, 0.03, 0.1, 0.3]))
        seed = draw(st.integers(0, 2**32 - 1))
        out = np.zeros(n)
        # Gamma draws in log space: with alpha = 0.01 most of them underflow a plain gamma.
        log_g = (
            np.log(np.random.default_rng(seed).gamma(alpha + 1, size=k))
            + np.log(np.random.default_rng(seed + 1).uniform(size=k)) / alpha
        )
        out[idx] = np.exp(log_g - log_g.max())
        return _finish(out, idx, dt)
    if shape == "wide":
        lowest = float(np.log10(np.finfo(dt).tiny))
        exps = draw(st.lists(st.floats(lowest, 0.0), min_size=k, max_size=k))
        out = np.zeros(n)
        out[idx] = 10.0 ** np.array(exps)
        return _finish(out, idx, dt)
    weights = np.array(draw(st.lists(st.floats(1e-3, 1.0), min_size=k, max_size=k)))
    # Near-degenerate: one mass close to 1, the others 1e-6 to 1e-12 of it.
    if degenerate and k > 1 and draw(st.booleans()):
        big = draw(st.integers(0, k - 1))
        scale = draw(st.sampled_from([1e-6, 1e-9, 1e-12]))
        weights = weights * scale
        weights[big] = 1.0
    # Tiny: some masses set directly to tiny values (but never all: one stays regular).
    tiny_mask = np.zeros(k, dtype=bool)
    if tiny and k > 1 and draw(st.booleans()):
        tiny_mask = np.array(draw(st.lists(st.booleans(), min_size=k, max_size=k)))
        tiny_mask[draw(st.integers(0, k - 1))] = False
    out = np.zeros(n, dtype=np.float64)
    tiny_vals = np.array(
        [draw(st.sampled_from(_tiny_values(dt))) for _ in range(int(tiny_mask.sum()))]
    )
    regular = weights[~tiny_mask]
    out[idx[tiny_mask]] = tiny_vals
    out[idx[~tiny_mask]] = regular / regular.sum() * (1.0 - tiny_vals.sum())
    return out.astype(dt)


@st.composite
def _edge(draw: st.DrawFn, p: np.ndarray) -> np.ndarray:
    """``p`` rescaled so that its total is ``1 +- 0.9 sqrt(eps)``: accepted, but not 1."""
    dt = p.dtype
    tol = float(np.sqrt(np.finfo(dt).eps))
    sign = draw(st.sampled_from([-1.0, 1.0]))
    target = 1.0 + sign * 0.9 * tol
    out = (p.astype(np.float64) * (target / p.astype(np.float64).sum())).astype(dt)
    # Rescaling may push the smallest normal mass into the subnormals: keep it normal.
    return np.where(p > 0, np.maximum(out, np.finfo(dt).tiny), 0).astype(dt)


def _near(p: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """``p`` with each mass moved by the relative amounts ``rel``, renormalised (zeros stay)."""
    q = p.astype(np.float64) * (1.0 + rel)
    q = np.where(p > 0, np.maximum(q, float(np.finfo(p.dtype).tiny)), 0.0)
    big = int(np.argmax(q))
    q[big] = 0.0
    q[big] = 1.0 - q.sum()
    return q.astype(p.dtype)


@st.composite
def _support(draw: st.DrawFn, n: int, zeros: bool) -> np.ndarray:
    """A boolean mask with at least one True; False entries appear only when ``zeros``."""
    if not zeros or n == 1 or not draw(st.booleans()):
        return np.ones(n, dtype=bool)
    mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    mask[draw(st.integers(0, n - 1))] = True
    return mask


@st.composite
def pmfs(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
    edge_sums: bool = False,
) -> np.ndarray:
    """One pmf: a 1-D array of ``n`` non-negative masses summing to 1.

    Args:
      n: the length, a sequence of lengths to draw from, or None for 1, 2, 3, 5 or 8.
      dtype: ``np.float64`` (default) or ``np.float32``.
      zeros: allow exact zero masses (at least one mass is always positive).
      tiny: allow masses as small as ``np.finfo(dtype).tiny``, masses spanning the dtype's
        whole normal range, and small Dirichlet concentrations (see :data:`SHAPES`).
      degenerate: allow near-degenerate pmfs, one mass within 1e-6 of 1 or closer.
      edge_sums: let the total be ``1 +- 0.9 sqrt(eps)`` (sometimes), the edge of what the
        validation accepts.

    With all three options off the masses lie in [1e-3 / n, 1]: interior points of the simplex,
    where finite differences are meaningful.

    Example:
      >>> import numpy as np
      >>> from hypothesis import given
      >>> from divergences.testing import pmfs
      >>> @given(pmfs(4, dtype=np.float32))
      ... def test_pmf(p):
      ...     assert p.shape == (4,) and p.dtype == np.float32
      ...     assert (p >= 0).all() and abs(float(p.sum()) - 1) < 1e-5
      >>> test_pmf()
    """
    dt = float_dtype(dtype)
    size = draw(sizes(n))
    support = draw(_support(size, zeros))
    p = draw(_masses_on(support, dt, tiny, degenerate))
    if edge_sums and draw(st.booleans()):
        p = draw(_edge(p))
    return p


@st.composite
def pmf_pairs(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    relation: str = "any",
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
    edge_sums: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs ``(p, q)`` of the same length, related as ``relation`` says.

    Args:
      n: the length, a sequence of lengths to draw from, or None for 1, 2, 3, 5 or 8 (from 2
        for the relations that need two points).
      relation: one of :data:`RELATIONS`:

        * ``"independent"``: drawn independently (each may have zeros, see ``zeros``);
        * ``"disjoint"``: no point where both are positive (needs ``n >= 2``);
        * ``"shared_zeros"``: both are zero on a common non-empty set and positive elsewhere
          (needs ``n >= 2``);
        * ``"identical"``: ``q`` is a copy of ``p``;
        * ``"near_identical"``: ``q`` is ``p`` with each mass moved by a relative 1e-12 to
          1e-3 (float32: 1e-6 to 1e-2), the same zeros;
        * ``"any"`` (default): any of the above, so a property sees every case (only
          ``"independent"``, ``"identical"`` and ``"near_identical"`` when ``zeros`` is False).
      dtype: ``np.float64`` (default) or ``np.float32``.
      zeros: as in :func:`pmfs`, for every pmf drawn; ``"disjoint"`` and ``"shared_zeros"``
        have zeros by definition, whatever ``zeros`` says.
      tiny: as in :func:`pmfs`, for every pmf drawn.
      degenerate: as in :func:`pmfs`, for every pmf drawn.
      edge_sums: as in :func:`pmfs`, for every pmf drawn.

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import pmf_pairs
      >>> @given(pmf_pairs(n=[2, 4], relation="disjoint"))
      ... def test_disjoint(pq):
      ...     p, q = pq
      ...     assert not ((p > 0) & (q > 0)).any()
      >>> test_disjoint()
    """
    p, q = draw(_exact_pair(n, relation, float_dtype(dtype), zeros, tiny, degenerate))
    if edge_sums:
        if draw(st.booleans()):
            p = draw(_edge(p))
        if draw(st.booleans()):
            q = draw(_edge(q))
    return p, q


@st.composite
def _exact_pair(
    draw: st.DrawFn,
    n: Sizes,
    relation: str,
    dt: np.dtype,
    zeros: bool,
    tiny: bool,
    degenerate: bool,
) -> tuple[np.ndarray, np.ndarray]:
    if relation not in RELATIONS:
        raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
    if relation in ("disjoint", "shared_zeros"):
        size = draw(sizes(n, min_n=2))
    else:
        size = draw(sizes(n))
    if relation == "any":
        with_zeros = ["disjoint", "shared_zeros"] if zeros and size >= 2 else []
        choices = ["independent", "identical", "near_identical", *with_zeros]
        relation = draw(st.sampled_from(choices))
    opts = {"tiny": tiny, "degenerate": degenerate}
    if relation == "identical":
        p = draw(_masses_on(draw(_support(size, zeros)), dt, **opts))
        return p, p.copy()
    if relation == "near_identical":
        p = draw(_masses_on(draw(_support(size, zeros)), dt, **opts))
        low, high = (-12, -3) if dt == np.float64 else (-6, -2)
        exps = np.array(draw(st.lists(st.integers(low, high), min_size=size, max_size=size)))
        signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=size, max_size=size)))
        return p, _near(p, signs * 10.0**exps)
    if relation == "independent":
        p = draw(_masses_on(draw(_support(size, zeros)), dt, **opts))
        q = draw(_masses_on(draw(_support(size, zeros)), dt, **opts))
        return p, q
    if relation == "disjoint":
        # Each point goes to p, to q, or (when zeros are allowed) to neither; both get one.
        owner = np.array(
            draw(st.lists(st.integers(0, 2 if zeros else 1), min_size=size, max_size=size))
        )
        first, second = draw(
            st.lists(st.integers(0, size - 1), min_size=2, max_size=2, unique=True)
        )
        owner[first], owner[second] = 0, 1
        p = draw(_masses_on(owner == 0, dt, **opts))
        q = draw(_masses_on(owner == 1, dt, **opts))
        return p, q
    # shared_zeros
    common = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
    keep, drop = draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=2, unique=True))
    common[keep], common[drop] = True, False
    p = draw(_masses_on(common, dt, **opts))
    q = draw(_masses_on(common, dt, **opts))
    return p, q


@st.composite
def pmf_triples(
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three pmfs ``(p, q, r)`` of the same length, for triangle inequalities.

    ``(p, q)`` is drawn as by :func:`pmf_pairs` with ``relation="any"`` (so disjoint, shared-zero
    and identical pairs occur), and ``r`` independently; sometimes ``r`` is a copy of ``p`` or
    ``q``, the degenerate triangles.

    Example:
      >>> from hypothesis import given
      >>> import divergences as dv
      >>> from divergences.testing import pmf_triples
      >>> @given(pmf_triples(n=3))
      ... def test_triangle(pqr):
      ...     p, q, r = pqr
      ...     tv = dv.total_variation
      ...     assert tv(p, r) <= tv(p, q) + tv(q, r) + 1e-6
      >>> test_triangle()
    """
    dt = float_dtype(dtype)
    opts: dict[str, Any] = {"dtype": dt, "zeros": zeros, "tiny": tiny, "degenerate": degenerate}
    p, q = draw(pmf_pairs(n, relation="any", **opts))
    pick = draw(st.sampled_from(["new", "new", "p", "q"]))
    if pick == "p":
        return p, q, p.copy()
    if pick == "q":
        return p, q, q.copy()
    return p, q, draw(pmfs(p.size, **opts))


def _moved_exactly(old: float, new: float, amount: float) -> bool:
    return abs(Fraction(new) - Fraction(old)) == Fraction(amount)


@st.composite
def near_identical_pairs(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs ``(p, q)`` that differ by a relative ``2^-k`` at a few points, with equal totals.

    ``p`` is drawn by :func:`pmfs`; ``q`` is ``p`` with mass moved between points of its support:
    ``q_i = p_i + e``, ``q_j = p_j - e`` with ``e`` about ``p_j 2^-k``, ``k`` from 1 to the number of
    bits of the dtype's significand (and at least one spacing of both masses). A move is kept only
    if both updates are exact, so ``sum(q) = sum(p)`` holds exactly (as real numbers), and only if
    ``q_j`` stays at or above the smallest normal number. KL(p || q) then ranges from order 1 down
    to about ``2^-2k`` times the masses moved, far below what the defining sums resolve; with a
    single positive mass, ``q`` is ``p``.

    Args:
      n: the length (at least 2), a sequence of lengths, or None for 2 to 8.
      dtype: as in :func:`pmfs`.
      zeros: as in :func:`pmfs`.
      tiny: as in :func:`pmfs`.
      degenerate: as in :func:`pmfs`.

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import near_identical_pairs
      >>> @given(near_identical_pairs(4))
      ... def test_close(pq):
      ...     p, q = pq
      ...     assert (p == 0).tolist() == (q == 0).tolist()
      ...     assert abs(p - q).max() <= p.max()
      >>> test_close()
    """
    dt = float_dtype(dtype)
    size = draw(sizes(n, min_n=2))
    p = draw(pmfs(size, dtype=dt, zeros=zeros, tiny=tiny, degenerate=degenerate))
    q = p.copy()
    support = [int(i) for i in np.flatnonzero(p > 0)]
    if len(support) < 2:
        return p, q
    bits = np.finfo(dt).nmant + 1
    smallest = float(np.finfo(dt).tiny)
    for _ in range(draw(st.integers(1, len(support)))):
        i, j = draw(st.lists(st.sampled_from(support), min_size=2, max_size=2, unique=True))
        k = draw(st.integers(1, bits))
        step = max(float(np.spacing(q[i])), float(np.spacing(q[j])))
        amount = max(step, step * np.floor(float(q[j]) * 2.0**-k / step))
        gained, lost = dt.type(q[i] + amount), dt.type(q[j] - amount)
        if (
            float(lost) >= smallest
            and _moved_exactly(float(q[i]), float(gained), amount)
            and _moved_exactly(float(q[j]), float(lost), amount)
        ):
            q[i], q[j] = gained, lost
    return p, q


@st.composite
def edge_of_normal_pairs(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn, n: Sizes = None, *, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Two pmfs with regular masses and masses of a few times the smallest normal number.

    At each of ``m`` points (1 to ``n - 1``) ``p`` and ``q`` are ``c tiny``, ``c`` drawn from 0,
    1, 1.21, 1.5, 2 and 3 for each; regular masses share the rest of each total, and the points
    are shuffled. Differences, terms and products on the small masses lie below the normal range
    (XLA flushes them to 0) while a sum of several, or its root, need not.

    Args:
      n: the length (at least 2), a sequence of lengths, or None for 2 to 8.
      dtype: ``np.float64`` or ``np.float32``.

    Example:
      >>> import numpy as np
      >>> from hypothesis import given
      >>> from divergences.testing import edge_of_normal_pairs
      >>> @given(edge_of_normal_pairs(6))
      ... def test_edge(pq):
      ...     tiny = np.finfo(np.float64).tiny
      ...     assert all(((x == 0) | (x >= tiny)).all() for x in pq)
      >>> test_edge()
    """
    dt = float_dtype(dtype)
    size = draw(sizes(n, min_n=2))
    small = draw(st.integers(1, size - 1))
    multiples = st.sampled_from((0.0, 1.0, 1.21, 1.5, 2.0, 3.0))
    pair = []
    for _ in range(2):
        low = np.array([draw(multiples) for _ in range(small)]) * float(np.finfo(dt).tiny)
        regular = np.array(
            draw(st.lists(st.floats(1e-3, 1.0), min_size=size - small, max_size=size - small))
        )
        pair.append(np.concatenate([regular / regular.sum() * (1.0 - low.sum()), low]))
    order = np.array(draw(st.permutations(range(size))))
    return pair[0][order].astype(dt), pair[1][order].astype(dt)


def _batch_sizes(batch: Sizes) -> st.SearchStrategy[int]:
    if batch is None:
        return st.sampled_from(_BATCHES)
    if isinstance(batch, (int, np.integer)):
        return st.just(int(batch))
    return st.sampled_from(sorted({int(b) for b in batch}))


@st.composite
def pmf_batches(  # noqa: D417 (draw is supplied by Hypothesis, not by a caller)
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    batch: Sizes = None,
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
) -> np.ndarray:
    """A batch of pmfs: shape ``(batch, n)``, each row a pmf drawn by :func:`pmfs`.

    Args:
      n: the length of each pmf (as in :func:`pmfs`); the same for every row.
      batch: the leading batch size, a sequence of sizes, or None for 1, 3 or 4.
      dtype: as in :func:`pmfs`.
      zeros: as in :func:`pmfs`.
      tiny: as in :func:`pmfs`.
      degenerate: as in :func:`pmfs`.

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import pmf_batches
      >>> @given(pmf_batches(3, batch=2))
      ... def test_rows(ps):
      ...     assert ps.shape == (2, 3) and abs(ps.sum(axis=-1) - 1).max() < 1e-12
      >>> test_rows()
    """
    size = draw(sizes(n))
    b = draw(_batch_sizes(batch))
    opts = {"dtype": dtype, "zeros": zeros, "tiny": tiny, "degenerate": degenerate}
    return np.stack([draw(pmfs(size, **opts)) for _ in range(b)])


@st.composite
def pmf_pair_batches(
    draw: st.DrawFn,
    n: Sizes = None,
    *,
    batch: Sizes = None,
    relation: str = "any",
    dtype: Any = np.float64,
    zeros: bool = True,
    tiny: bool = True,
    degenerate: bool = True,
    edge_sums: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Two batches ``(P, Q)`` of shape ``(batch, n)``; row ``i`` is a pair of :func:`pmf_pairs`.

    With ``relation="any"`` each row draws its own relation, so one batch mixes disjoint,
    identical and ordinary pairs: what ``jax.vmap`` turns into a ``select`` must handle them all.

    Example:
      >>> from hypothesis import given
      >>> from divergences.testing import pmf_pair_batches
      >>> @given(pmf_pair_batches(4, batch=3))
      ... def test_shapes(pq):
      ...     p, q = pq
      ...     assert p.shape == q.shape == (3, 4)
      >>> test_shapes()
    """
    needs_two = relation in ("disjoint", "shared_zeros")
    size = draw(sizes(n, min_n=2 if needs_two else 1))
    b = draw(_batch_sizes(batch))
    opts = {
        "dtype": dtype,
        "zeros": zeros,
        "tiny": tiny,
        "degenerate": degenerate,
        "edge_sums": edge_sums,
    }
    pairs = [draw(pmf_pairs(size, relation=relation, **opts)) for _ in range(b)]
    return np.stack([a for a, _ in pairs]), np.stack([c for _, c in pairs])
