"""Nothing kills the process: memory probe, up-front refusals, threads, the start potential's fit.

The memory probe on every platform (an address-space cap included), the sparse solver's up-front
refusal of what would not fit, its ``threads`` option, and the conjugate-gradient fit of its
simplex's start potential.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import ot
import pytest
import scipy.sparse
import scipy.sparse.linalg
from scipy.spatial.distance import cdist

import divergences as dv
from divergences.wasserstein._src.host import memory, nearest, start_potential
from divergences.wasserstein._src.host import native as native_module
from divergences.wasserstein._src.host import sparse as _sparse
from divergences.wasserstein._src.host.threads import check_threads
from divergences.wasserstein._src.results import Status

MiB = 1 << 20
LINUX = sys.platform.startswith("linux")
needs_linux = pytest.mark.skipif(
    not LINUX, reason="caps RLIMIT_AS and reads /proc/self/statm, which only Linux has"
)


def _on(monkeypatch, platform: str) -> None:
    """``memory`` sees ``sys.platform == platform`` (the interpreter's own is left alone)."""
    monkeypatch.setattr(memory, "sys", types.SimpleNamespace(platform=platform))


# The probe, platform by platform.


def test_available_memory_is_a_positive_int():
    have = memory.available_memory_bytes()
    assert isinstance(have, int) and have > 0


@needs_linux
def test_linux_reads_mem_available(monkeypatch):
    with open("/proc/meminfo") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    expected = int(fields["MemAvailable"].split()[0]) * 1024
    # MemAvailable moves as other processes run: equal to within 64 MiB.
    assert abs(memory._physical_memory("linux") - expected) < 64 * MiB
    monkeypatch.setattr(memory, "_address_space_left", lambda: None)
    assert abs(memory.available_memory_bytes() - expected) < 64 * MiB


class _Kernel32:
    """``ctypes.windll.kernel32`` as Windows answers: fills the MEMORYSTATUSEX it is given."""

    def __init__(self, phys: int, virtual: int, ok: bool = True):
        self.phys, self.virtual, self.ok = phys, virtual, ok
        self.lengths: list[int] = []

    def GlobalMemoryStatusEx(self, ref):
        status = ref._obj
        self.lengths.append(status.dwLength)
        status.ullAvailPhys, status.ullAvailVirtual = self.phys, self.virtual
        return int(self.ok)


def test_windows_asks_global_memory_status_and_needs_no_sysconf(monkeypatch):
    kernel32 = _Kernel32(phys=3 << 30, virtual=1 << 46)
    monkeypatch.setattr(ctypes, "windll", types.SimpleNamespace(kernel32=kernel32), raising=False)
    monkeypatch.delattr(os, "sysconf", raising=False)  # Windows has none
    monkeypatch.setattr(memory, "_resource", lambda: None)  # nor a resource module
    _on(monkeypatch, "win32")
    assert memory.available_memory_bytes() == 3 << 30
    assert kernel32.lengths == [64]  # sizeof(MEMORYSTATUSEX), as Windows requires
    # A 32-bit process: its address space is the smaller bound.
    kernel32.virtual = 2 << 30
    assert memory.available_memory_bytes() == 2 << 30
    assert memory.thread_stack_bytes() == 8 * MiB


def test_windows_without_an_answer_assumes_no_bound(monkeypatch):
    monkeypatch.setattr(
        ctypes, "windll", types.SimpleNamespace(kernel32=_Kernel32(1, 1, ok=False)), raising=False
    )
    monkeypatch.delattr(os, "sysconf", raising=False)
    monkeypatch.setattr(memory, "_resource", lambda: None)
    _on(monkeypatch, "win32")
    assert memory.available_memory_bytes() == memory.UNKNOWN
    monkeypatch.delattr(ctypes, "windll", raising=False)  # no windll at all
    assert memory.available_memory_bytes() == memory.UNKNOWN


class _Libc:
    """A C library whose ``sysctlbyname`` answers ``hw.memsize`` as macOS does."""

    def __init__(self, memsize: int):
        self.memsize = memsize

    def sysctlbyname(self, name, value, size, new, new_size):
        assert name == b"hw.memsize" and size._obj.value == 8
        value._obj.value = self.memsize
        return 0


def test_macos_reads_sysconf_else_the_hw_memsize_sysctl(monkeypatch):
    monkeypatch.setattr(memory, "_address_space_left", lambda: None)
    monkeypatch.setattr(memory, "_libc", lambda: _Libc(16 << 30))
    _on(monkeypatch, "darwin")
    pages = {"SC_PHYS_PAGES": 1 << 20, "SC_PAGE_SIZE": 4096}  # macOS has no SC_AVPHYS_PAGES

    def sysconf(name):
        if name not in pages:
            raise ValueError(f"unrecognized configuration name {name!r}")
        return pages[name]

    monkeypatch.setattr(os, "sysconf", sysconf, raising=False)
    assert memory.available_memory_bytes() == 4 << 30
    monkeypatch.delattr(os, "sysconf")
    assert memory.available_memory_bytes() == 16 << 30
    monkeypatch.setattr(memory, "_libc", lambda: None)  # and where nothing answers
    assert memory.available_memory_bytes() == memory.UNKNOWN


def test_probes_that_fail_are_skipped(monkeypatch):
    def broken(name):
        raise OSError("sysconf failed")

    monkeypatch.setattr(os, "sysconf", broken, raising=False)
    monkeypatch.setattr(memory, "_libc", lambda: types.SimpleNamespace())  # no sysctlbyname
    monkeypatch.setattr(memory, "_meminfo_available", lambda: None)
    monkeypatch.setattr(memory, "_address_space_left", lambda: None)
    _on(monkeypatch, "linux")
    assert memory.available_memory_bytes() == memory.UNKNOWN


def _fake_resource(limit: int) -> types.SimpleNamespace:
    infinity = -1
    return types.SimpleNamespace(
        RLIMIT_AS=9,
        RLIMIT_STACK=3,
        RLIM_INFINITY=infinity,
        getrlimit=lambda which: (limit, infinity) if which == 9 else (infinity, infinity),
        getpagesize=lambda: 4096,
    )


@needs_linux
def test_address_space_limit_bounds_what_is_available(monkeypatch):
    monkeypatch.setattr(memory, "_physical_memory", lambda platform: 1 << 40)
    size = memory._virtual_size()
    assert size is not None and size > 0
    monkeypatch.setattr(memory, "_resource", lambda: _fake_resource(size + 100 * MiB))
    left = memory.available_memory_bytes()
    assert 90 * MiB <= left <= 100 * MiB
    # Where the current size cannot be read, the limit as is.
    monkeypatch.setattr(memory, "_virtual_size", lambda: None)
    assert memory.available_memory_bytes() == size + 100 * MiB
    # No limit: the physical memory.
    monkeypatch.setattr(memory, "_resource", lambda: _fake_resource(-1))
    assert memory.available_memory_bytes() == 1 << 40
    assert memory.thread_stack_bytes() == 8 * MiB  # RLIMIT_STACK unlimited


def test_refusal_says_the_size_what_is_available_and_what_to_do():
    with pytest.raises(
        MemoryError, match=r"^W needs about 2\.0 GiB for 3 \+ 2 points; 0\.25 GiB are"
    ):
        memory.check_memory(
            2 << 30, what="W", scope="for 3 + 2 points", instead="Do less", available=1 << 28
        )
    with pytest.raises(
        MemoryError, match=r"the process's limit, whichever is smaller\)\. Do less$"
    ):
        memory.check_memory(2, what="W", instead="Do less", available=1)
    memory.check_memory(2, what="W", instead="Do less", available=2)


def test_sparse_estimate_counts_each_thread_stack():
    one = _sparse.sparse_memory_bytes(1000, 900, threads=1)
    four = _sparse.sparse_memory_bytes(1000, 900, threads=4)
    assert four - one == 3 * memory.thread_stack_bytes()
    assert _sparse.sparse_memory_bytes(2000, 900, threads=1) > one


def test_sparse_refusal_says_the_size_and_what_to_do(monkeypatch):
    monkeypatch.setattr(_sparse, "available_memory_bytes", lambda: 100 * MiB)
    with pytest.raises(MemoryError, match=r"needs about .* GiB for 100000 \+ 90000 points; "):
        _sparse.check_sparse_memory(100_000, 90_000)
    x, y = np.zeros((100_000, 2)), np.ones((90_000, 2))
    a, b = np.full(100_000, 1 / 100_000), np.full(90_000, 1 / 90_000)
    with pytest.raises(MemoryError, match="Subsample the point clouds"):
        _sparse.solve_sparse_host(x, y, a, b)


def test_a_million_points_beyond_the_memory_are_refused_before_any_work(monkeypatch):
    """``w1_primal`` at 10^6 + 10^6 points with 1 GiB available: refused before any work.

    The sparse method (the default on a CPU at this size) estimates 2000 bytes a point plus
    the threads' stacks, about 3.8 GiB on two threads (the peak measured at 10^6 is 630 bytes
    a point, benchmarks/history-to-2026-11-25.md): a MemoryError saying the size, before the points are
    merged into atoms or any solve starts.
    """
    monkeypatch.setattr(_sparse, "available_memory_bytes", lambda: 1 << 30)

    def no_work(*args, **kwargs):
        raise AssertionError("the solve started")

    monkeypatch.setattr(_sparse, "solve_scaled", no_work)
    monkeypatch.setattr(_sparse, "merge_duplicates", no_work)
    n = 1_000_000
    x = np.zeros((n, 2))
    with pytest.raises(MemoryError, match=r"needs about \d+\.\d GiB for 1000000 \+ 1000000 "):
        dv.w1_primal(x, x + 1.0, method="sparse")


# The threads option.


@pytest.mark.parametrize("good", [None, 1, 3, np.int64(2)])
def test_check_threads_takes_none_and_positive_integers(good):
    got = check_threads(good)
    assert got == good and (got is None or type(got) is int)


@pytest.mark.parametrize("bad", [0, -2, True, False, 2.0, "2", np.float64(2)])
def test_check_threads_refuses_the_rest(bad):
    with pytest.raises(ValueError, match=r"threads must be a positive integer or None \(") as info:
        check_threads(bad)
    assert str(info.value).endswith(f", got {bad!r}")


@pytest.mark.parametrize(
    "call",
    [
        lambda t: nearest.weighted_nearest(np.ones((4, 1)), np.zeros((2, 1)), np.zeros(2), threads=t),
        lambda t: _sparse.solve_sparse_host(np.zeros((2, 1)), np.ones((2, 1)), [0.5, 0.5], [0.5, 0.5], threads=t),
    ],
    ids=["weighted_nearest", "solve_sparse_host"],
)  # fmt: skip
def test_host_functions_refuse_bad_threads(call):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        call(0)


def _general(seed: int, n: int, m: int):
    """Two clouds whose coarse plan moves along varied directions.

    The simplex's path, with its start potential fitted by conjugate gradients.
    """
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    y = rng.random((m, 2)) * np.array([1.5, 0.7]) + np.array([0.2, 0.4])
    return x, y, np.full(n, 1 / n), np.full(m, 1 / m)


class _Spy:
    """The compiled module, recording the threads each entry point is given."""

    def __init__(self, native):
        self.native, self.seen = native, []

    def __getattr__(self, name):
        entry = getattr(self.native, name)

        def call(*args, **options):
            self.seen.append((name, options.get("threads")))
            return entry(*args, **options)

        return call


@pytest.mark.native
def test_threads_reach_every_native_call(monkeypatch):
    spy = _Spy(native_module.load())
    monkeypatch.setattr(native_module, "load", lambda: spy)
    monkeypatch.setenv("DIVERGENCES_NUM_THREADS", "2")  # the argument comes first
    x, y, a, b = _general(0, 2500, 2000)
    a[:3] = 0.0  # points of zero weight: their potentials by the c-transform
    _sparse.solve_sparse_host(x, y, a / a.sum(), b, threads=1)
    names = {name for name, _ in spy.seen}
    assert {"k_nearest", "solve", "c_transform"} <= names
    assert {threads for _, threads in spy.seen} == {1}
    spy.seen.clear()
    many = np.concatenate([x, x])  # 5000 queries: None runs them on the variable's threads
    nearest.weighted_nearest(x, y, np.zeros(2000), threads=3)
    nearest.weighted_nearest(many, y, np.zeros(2000))
    assert spy.seen == [("c_transform", 3), ("c_transform", 2)]


def test_threads_reach_scipy_where_the_extension_is_absent(monkeypatch):
    workers = []
    scipy_nearest = nearest._scipy_weighted_nearest

    def spy(z, sites, weights, **options):
        workers.append(options["workers"])
        return scipy_nearest(z, sites, weights, **options)

    monkeypatch.setattr(native_module, "available", lambda: False)
    monkeypatch.setattr(nearest, "_scipy_weighted_nearest", spy)
    rng = np.random.default_rng(1)
    sites, z = rng.random((30, 2)), rng.random((50, 2))
    f = nearest.weighted_nearest(z, sites, np.zeros(30), threads=2)[0]
    nearest.weighted_nearest(z, sites, np.zeros(30))
    np.testing.assert_allclose(f, cdist(z, sites).min(axis=1), rtol=1e-15)
    assert workers == [2, 1]


# The fit of the simplex's start potential by conjugate gradients.


def test_conjugate_gradient_solves_a_grounded_laplacian():
    rng = np.random.default_rng(2)
    count = 400
    r, s = rng.integers(0, count, 3000), rng.integers(0, count, 3000)
    r, s = r[r != s], s[r != s]
    rows = np.arange(r.size)
    incidence = scipy.sparse.csr_matrix(
        (np.r_[-np.ones(r.size), np.ones(r.size)], (np.r_[rows, rows], np.r_[r, s])),
        shape=(r.size, count),
    )
    laplacian = (incidence.T @ incidence).tocsr()[1:, 1:]  # node 0 pinned: positive definite
    rhs = rng.normal(size=count - 1)
    exact = scipy.sparse.linalg.spsolve(laplacian.tocsc(), rhs)
    got = start_potential.conjugate_gradient(laplacian, rhs, rtol=1e-13, max_iter=2000)
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-10 * np.ptp(exact))
    assert not np.any(
        start_potential.conjugate_gradient(laplacian, 0 * rhs, rtol=1e-8, max_iter=10)
    )


@pytest.mark.slow
@pytest.mark.native
def test_conjugate_gradient_seed_certifies_the_same_w1_as_the_factorisation(monkeypatch):
    """The start potential only seeds the simplex: either fit gives the same certified W1.

    Fitted by conjugate gradients or by SuperLU's exact factorisation (the solver's former fit), the
    certified W1 is the same, and POT's.
    """
    x, y, a, b = _general(3, 2500, 2000)
    calls = []
    cg = start_potential.conjugate_gradient

    def counted(matrix, rhs, **options):
        calls.append(rhs.size)
        return cg(matrix, rhs, **options)

    monkeypatch.setattr(start_potential, "conjugate_gradient", counted)
    with_cg = _sparse.solve_sparse_host(x, y, a, b, rtol=0.0)
    assert calls, "the problem must take the simplex's path with a fitted start"
    monkeypatch.setattr(
        start_potential,
        "conjugate_gradient",
        lambda matrix, rhs, **options: scipy.sparse.linalg.spsolve(matrix.tocsc(), rhs),
    )
    with_lu = _sparse.solve_sparse_host(x, y, a, b, rtol=0.0)
    for sol in (with_cg, with_lu):
        assert Status(sol.status).ok
        assert sol.lower_bound <= sol.value <= sol.upper_bound
    np.testing.assert_allclose(with_cg.value, with_lu.value, rtol=1e-12)
    ref = ot.emd2(a, b, cdist(x, y), numItermax=10**8)
    np.testing.assert_allclose(with_cg.value, ref, rtol=1e-12)


# Under an address-space cap: a MemoryError, never a signal.


def _run_capped(body: str, *args: object) -> subprocess.CompletedProcess:
    """Runs ``body`` in a fresh interpreter with divergences and JAX (x64), address space capped.

    ``cap(margin)`` caps the address space at its current size plus ``margin`` bytes (the soft
    limit alone with ``soft_only=True``, so that a later call may raise it).
    """
    script = textwrap.dedent(
        """
        import resource, sys
        import jax
        jax.config.update("jax_enable_x64", True)
        import numpy as np
        import divergences
        from divergences.wasserstein._src.host import sparse
        def cap(margin, soft_only=False):
            with open("/proc/self/statm") as fh:
                size = int(fh.read().split()[0]) * resource.getpagesize()
            hard = resource.RLIM_INFINITY if soft_only else size + margin
            resource.setrlimit(resource.RLIMIT_AS, (size + margin, hard))
        """
    ) + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )


@pytest.mark.slow
@pytest.mark.native
@needs_linux
def test_sparse_solve_past_an_address_space_cap_is_a_memory_error():
    """The user's report: a problem that died for lack of memory is refused up front, in seconds.

    10^5 against 9 x 10^4 points with 100 to 120 MiB of address space left died in SuperLU (a
    segmentation fault) or in OpenBLAS (its exit). One process tries each margin in turn: the
    solver reads the soft limit, which ``cap(..., soft_only=True)`` sets and a later call raises.
    """
    margins_mib = (100, 110, 120, 150, 200)
    proc = _run_capped(
        """
        rng = np.random.default_rng(0)
        x, y = rng.random((100_000, 2)), rng.random((90_000, 2))
        for margin in map(int, sys.argv[1:]):
            cap(margin << 20, soft_only=True)
            try:
                divergences.w1_primal(x, y, method="sparse")
            except MemoryError as err:
                print(margin, "MemoryError:", err)
        """,
        *margins_mib,
    )
    assert proc.returncode == 0, f"ended by {proc.returncode}: {proc.stderr[-2000:]}"
    for margin in margins_mib:
        assert f"{margin} MemoryError: " in proc.stdout, proc.stdout + proc.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.native
@needs_linux
@pytest.mark.parametrize(("n", "m"), [(20_000, 20_000), (20_000, 18_000)])
def test_sparse_solve_within_its_estimate_fits_under_the_cap(n, m):
    """The estimate bounds the solver's peak address space.

    Capped at the estimate, the solve completes (assignment path for n = m, simplex path for n !=
    m).
    """
    proc = _run_capped(
        """
        n, m = int(sys.argv[1]), int(sys.argv[2])
        rng = np.random.default_rng(0)
        x, y = rng.random((n, 2)), rng.random((m, 2))
        a, b = np.full(n, 1 / n), np.full(m, 1 / m)
        cap(sparse.sparse_memory_bytes(n, m))
        sol = sparse.solve_sparse_host(x, y, a, b)
        print("solved", sol.status in (0, 1))
        """,
        n,
        m,
    )
    assert proc.returncode == 0, f"ended by {proc.returncode}: {proc.stderr[-2000:]}"
    assert "solved True" in proc.stdout, proc.stdout
