"""A reference's statistics: kept once, saved and loaded as plain arrays, read from published files.

``reference`` keeps FD's batch moments and a subsample; ``frechet`` given it answers as from the
draws. A pytorch-fid/clean-fid ``mu``/``sigma`` file gives the plug-in FD of pytorch-fid's
formula, with no interval. A bad or foreign file is a ValueError naming it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.linalg

import divergences as dv
from divergences.estimate._src.reading import pooled_batches
from divergences.estimate._src.reference_set import checksum


def _pytorch_fid(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    return float(
        diff @ diff
        + np.trace(s1)
        + np.trace(s2)
        - 2.0 * np.trace(np.real(scipy.linalg.sqrtm(s1 @ s2)))
    )


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((1200, 10)) @ rng.standard_normal((10, 10))).astype(np.float32)
    y = (rng.standard_normal((1100, 10)) * 1.2 + 0.1).astype(np.float32)
    return x, y


@pytest.mark.slow  # 1.0 s from a cold compile cache: over the quick tier's 1 s
def test_a_saved_reference_answers_as_its_draws(draws, tmp_path):
    x, y = draws
    ref = dv.estimate.reference(x, seed=4, subsample=50)
    assert ref.size == 1200 and ref.subsample.shape == (50, 10) and ref.batches == 4
    np.testing.assert_allclose(ref.mean, x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(ref.cov, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-10)
    path = tmp_path / "ref.npz"
    ref.save(path)
    loaded = dv.estimate.load_reference(path)
    np.testing.assert_array_equal(loaded.subsample, ref.subsample)
    want = dv.estimate.frechet(x, y, seed=4)
    assert len(ref.moments.parts) == len(loaded.moments.parts) == 32  # d = 10: the groups kept
    for got in (dv.estimate.frechet(ref, y, seed=4), dv.estimate.frechet(loaded, y, seed=4)):
        # the same value on the same groups and batches, and the same jackknife interval
        for u, v in zip((*got[:3], got.plug_in), (*want[:3], want.plug_in), strict=True):
            assert u == pytest.approx(v, rel=1e-9)
        assert got.kind == want.kind and got.method == want.method


def test_the_subsample_is_the_same_whole_or_in_batches(draws):
    x, _ = draws
    whole = dv.estimate.reference(x, subsample=30, seed=1)
    parts = dv.estimate.reference([x[:7], x[7:900], x[900:]], subsample=30, seed=1)
    np.testing.assert_array_equal(whole.subsample, parts.subsample)
    assert len({tuple(r) for r in whole.subsample.tolist()}) == 30


@pytest.mark.slow  # 1.2 s from a cold compile cache: over the quick tier's 1 s
def test_a_published_mu_sigma_file_gives_pytorch_fid_s_plug_in(draws, tmp_path):
    x, y = draws
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    mu, sigma = y64.mean(0), np.cov(y64, rowvar=False)
    path = tmp_path / "fid_stats.npz"
    np.savez(path, mu=mu, sigma=sigma)
    published = dv.estimate.load_reference(path)
    assert published.batches == 0 and published.subsample.shape == (0, 10)
    est = dv.estimate.frechet(x, published)
    want = _pytorch_fid(x64.mean(0), np.cov(x64, rowvar=False), mu, sigma)
    assert est.kind == "no-coverage-claim" and est.sides == "none"
    assert est.value == est.plug_in == pytest.approx(want, rel=1e-9)
    assert (est.lower_bound, est.upper_bound) == (0.0, math.inf)
    assert "no interval" in est.assumption
    assert est.plug_in == pytest.approx(dv.estimate.frechet(x, y).plug_in, rel=1e-9)
    # float32 statistics, as pytorch-fid saves them, through the closed form: the same number
    np.savez(path, mu=mu.astype(np.float32), sigma=sigma.astype(np.float32))
    again = dv.estimate.load_reference(path)
    closed = dv.frechet_distance(again.mean, again.cov, x64.mean(0), np.cov(x64, rowvar=False))
    assert dv.estimate.frechet(x, again).plug_in == pytest.approx(float(closed), rel=1e-9)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a zip", r"not a \.npz of plain arrays"),
        ({"a": np.zeros(3)}, r"neither mu and sigma"),
        (
            {"mu": np.zeros(3), "sigma": np.zeros((2, 2))},
            r"sigma must be numbers of shape \(3, 3\)",
        ),
        ({"mu": np.zeros(2), "sigma": np.array([[1.0, 2.0], [0.0, 1.0]])}, r"symmetric"),
        ({"mu": np.array([np.nan, 0.0]), "sigma": np.eye(2)}, r"mu must be finite"),
        ({"mu": np.array([object(), 1], dtype=object), "sigma": np.eye(2)}, r"plain arrays"),
        ({"counts": np.array([5, 1]), "means": np.zeros((2, 2))}, r"format is missing"),
        ({"format": np.array("other/1"), "mu": np.zeros(2), "sigma": np.eye(2)}, r"format is"),
    ],
)
def test_a_bad_or_foreign_file_is_refused_naming_it(tmp_path, content, match):
    path = tmp_path / "bad.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.savez(path, **content)
    with pytest.raises(ValueError, match=match) as err:
        dv.estimate.load_reference(path)
    assert str(path) in str(err.value)


# A file is checked where it is read: the edits, each refused by field, file and rule.


def _edited(draws, tmp_path, edit, stamp=None):
    """A saved reference's arrays, edited by ``edit`` (a dict to a dict), written back."""
    x, _ = draws
    path = tmp_path / "edited.npz"
    ref = dv.estimate.reference(x, seed=3, subsample=40)
    if stamp is not None:  # a file of an earlier version held the 4 batches, not the groups
        ref = ref._replace(moments=pooled_batches(ref.moments, 4))
    ref.save(path)
    with np.load(path) as f:
        arrays = {key: f[key] for key in f.files}
    if stamp is not None:  # and its stamp, with no checksum (version 1) and no batches
        arrays["format"] = np.array(stamp)
        del arrays["checksum"], arrays["batches"]
    np.savez(path, **edit(arrays))
    return path


def _negative(c, value):
    """``c`` with its largest eigenvalue replaced by ``value``."""
    w, v = np.linalg.eigh(c)
    w[-1] = value
    return (v * w) @ v.T


def _deleted(arrays, key):
    del arrays[key]
    return arrays


def _lower(arrays):
    arrays["scatters"] = arrays["scatters"].copy()
    arrays["scatters"][0] = np.tril(arrays["scatters"][0])
    return arrays


def _non_psd(arrays):
    arrays["scatters"] = np.stack([_negative(s, -0.1 * np.trace(s)) for s in arrays["scatters"]])
    return arrays


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda a: _deleted(a, "shift"), r"shift is missing"),
        (lambda a: a | {"shift": np.array(2.5)}, r"shift must be one integer"),
        (lambda a: a | {"shift": a["shift"] + 1}, r"checksum does not match"),
        (lambda a: a | {"scatters": a["scatters"] * 1.01}, r"checksum does not match"),
        (_lower, r"scatters\[0\] must be symmetric within its rounding"),
        (_non_psd, r"scatters\[0\] must be positive semi-definite.*smallest eigenvalue is -"),
        (lambda a: a | {"scatters": a["scatters"][:, :9]}, r"scatters must be numbers of shape"),
        (lambda a: a | {"means": a["means"] * np.nan}, r"means must be finite"),
        (lambda a: a | {"extra": np.zeros(1)}, r"it holds \['extra'\]"),
        (lambda a: _deleted(a, "checksum"), r"checksum is missing"),
        (lambda a: _deleted(a, "batches"), r"batches is missing"),
        (lambda a: a | {"batches": np.array(40)}, r"batches must be an integer from 2 to counts"),
        (lambda a: _deleted(a, "format"), r"format is missing"),
    ],
)
def test_an_edited_reference_is_refused_by_field_and_rule(draws, tmp_path, edit, match):
    path = _edited(draws, tmp_path, edit)
    with pytest.raises(ValueError, match=match) as err:
        dv.estimate.load_reference(path)
    assert str(path) in str(err.value)


def test_an_earlier_stamp_loads_and_its_shift_is_bounded(draws, tmp_path):
    x, y = draws
    old = dv.estimate.load_reference(
        _edited(draws, tmp_path, dict, stamp="divergences.estimate.Reference/1")
    )
    want = dv.estimate.frechet(x, y, seed=3)
    assert dv.estimate.frechet(old, y, seed=3).value == pytest.approx(want.value, rel=1e-9)
    lowered = _edited(
        draws,
        tmp_path,
        lambda a: a | {"shift": a["shift"] - 4},  # the kept draws now reach 2^shift
        stamp="divergences.estimate.Reference/1",
    )
    with pytest.raises(ValueError, match=r"shift \S+ is not the saved one"):
        dv.estimate.load_reference(lowered)


def test_too_few_draws_for_fd_s_batches_are_refused_before_a_file_is_written(draws):
    # 5 draws in 4 batches: a batch of 1 has no covariance, and its file would not load
    with pytest.raises(ValueError, match=r"draws must hold at least 8 draws \(FD's 4 batches"):
        dv.estimate.reference(draws[0][:5])
    assert dv.estimate.reference(draws[0][:8], subsample=None).size == 8


def test_a_version_2_file_of_batches_loads_and_answers_with_its_batches(draws, tmp_path):
    x, y = draws
    ref = dv.estimate.reference(x, seed=3, subsample=40)
    path = tmp_path / "v2.npz"
    ref._replace(moments=pooled_batches(ref.moments, 4)).save(path)
    with np.load(path) as f:
        arrays = {key: f[key] for key in f.files if key not in ("batches", "checksum")}
    arrays["format"] = np.array("divergences.estimate.Reference/2")
    np.savez(path, checksum=np.array(checksum(arrays)), **arrays)
    old = dv.estimate.load_reference(path)
    assert old.batches == 4 and len(old.moments.parts) == 4
    got, want = dv.estimate.frechet(old, y, seed=3), dv.estimate.frechet(x, y, seed=3)
    assert got.value == pytest.approx(want.value, rel=1e-9)
    assert "4 batches" in got.method and got.method != want.method  # Student's over the batches


def test_a_published_sigma_that_is_not_psd_is_refused(draws, tmp_path):
    _, y = draws
    y64 = y.astype(np.float64)
    sigma = _negative(np.cov(y64, rowvar=False), -0.5)
    path = tmp_path / "fid_stats.npz"
    np.savez(path, mu=y64.mean(0), sigma=sigma)
    with pytest.raises(ValueError, match=r"sigma must be positive semi-definite.*-0\.5") as err:
        dv.estimate.load_reference(path)
    assert str(path) in str(err.value)
    # within its rounding it loads: a float32 sigma, an eigenvalue of -1e-9 of its trace
    cov = np.cov(y64, rowvar=False)
    np.savez(path, mu=y64.mean(0), sigma=_negative(cov, -1e-9 * np.trace(cov)).astype(np.float32))
    assert dv.estimate.load_reference(path).batches == 0


def test_a_npy_is_refused_in_words(draws, tmp_path):
    path = tmp_path / "draws.npy"
    np.save(path, draws[0])
    with pytest.raises(
        ValueError, match=r"draws\.npy is not a reference's statistics: it is a \.npy"
    ):
        dv.estimate.load_reference(path)


def test_a_saved_published_reference_loads_back(draws, tmp_path):
    _, y = draws
    y64 = y.astype(np.float64)
    path = tmp_path / "fid_stats.npz"
    np.savez(path, mu=y64.mean(0), sigma=np.cov(y64, rowvar=False))
    again = tmp_path / "again.npz"
    dv.estimate.load_reference(path).save(again)
    back = dv.estimate.load_reference(again)
    np.testing.assert_allclose(back.cov, np.cov(y64, rowvar=False), rtol=1e-12)


def test_a_reference_of_other_batches_is_refused(draws):
    x, y = draws
    with pytest.raises(ValueError, match=r"x is a Reference kept with batches=3"):
        dv.estimate.frechet(dv.estimate.reference(x, batches=3), y)
    with pytest.raises(ValueError, match=r"subsample must be a non-negative integer"):
        dv.estimate.reference(x, subsample=-1)


# The kernel measures' read (kernel_draws): iterables, feature maps, references, subsamples.


def _batches(z, sizes=(7, 150)):
    """``z`` as a generator of batches of the given sizes, then the rest (read once)."""
    edges = np.cumsum((0, *sizes))
    yield from (z[lo:hi] for lo, hi in itertools.pairwise(edges))
    yield z[edges[-1] :]


@pytest.mark.slow  # 2.9 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")
def test_the_kernel_measures_read_batches_as_the_whole_array(draws):
    x, y = (z[:300] for z in draws)
    w = y * np.float32(1.1)
    calls = {
        "kid": lambda a, b, c, **k: dv.estimate.kid(a, b, **k),
        "mmd normal": lambda a, b, c, **k: dv.estimate.mmd_squared(
            a, b, bandwidth=3.0, interval="normal", **k
        ),
        "mmd_test": lambda a, b, c, **k: dv.estimate.mmd_test(a, b, bandwidth=3.0, **k),
        "kid_difference": lambda a, b, c, **k: dv.estimate.kid_difference(a, b, c, **k),
    }
    for name, call in calls.items():
        whole = call(x, y, w)
        assert call(_batches(x), [y], _batches(w, (299,))) == whole, name
        halves = (x / 2, y / 2, w / 2)
        mapped = call([halves[0]], _batches(halves[1]), [halves[2]], features=lambda z: 2 * z)
        assert mapped == whole, name  # the same draws, so every field agrees


@pytest.mark.slow  # 2.5 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")
def test_an_empty_batch_inside_a_stream_is_skipped_by_every_estimate(draws):
    x, y = (z[:300] for z in draws)
    w = y * np.float32(1.1)

    def gapped(z):  # an empty batch first, inside and last
        return [z[:0], z[:100], z[:0], z[100:], z[:0]]

    calls = {
        "frechet": lambda a, b, c: dv.estimate.frechet(a, b),
        "kid": lambda a, b, c: dv.estimate.kid(a, b),
        "frechet_difference": lambda a, b, c: dv.estimate.frechet_difference(a, b, c),
        "kid_difference": lambda a, b, c: dv.estimate.kid_difference(a, b, c),
        "reference": lambda a, b, c: dv.estimate.reference(a, subsample=30),
    }
    for name, call in calls.items():
        want = call(*([z[:100], z[100:]] for z in (x, y, w)))
        assert repr(call(gapped(x), gapped(y), gapped(w))) == repr(want), name
    nothing = [x[:0], x[:0]]
    for call in calls.values():
        with pytest.raises(ValueError, match=r"must hold at least one draw"):
            call(nothing, y, w)


@pytest.mark.slow  # 2.0 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")
def test_draws_keeps_the_same_subsample_whole_or_in_batches_and_says_so(draws):
    x, y = draws
    whole = dv.estimate.kid(x, y, subsample=200, seed=3)
    parts = dv.estimate.kid(_batches(x), _batches(y, (1, 1, 500)), subsample=200, seed=3)
    assert whole == parts and (whole.n, whole.m) == (200, 200)
    assert "x: a seeded uniform subsample of 200 of 1200 draws" in whole.method
    assert dv.estimate.kid(x, y, subsample=200, seed=4).value != whole.value  # the seed draws it
    # a cap above the sample keeps every draw, as given, and says nothing
    assert dv.estimate.kid(x, y, subsample=5000) == dv.estimate.kid(x, y)


@pytest.mark.slow  # 3.1 s from a cold compile cache: over the quick tier's 1 s
@pytest.mark.filterwarnings("ignore::divergences.estimate.NoCoverageWarning")
def test_a_reference_stands_for_its_kept_draws_in_the_kernel_measures(draws):
    x, y = draws
    ref = dv.estimate.reference(x, subsample=400, seed=2)
    got = dv.estimate.kid(ref, y)
    assert got.n == 400 and "the reference's kept subsample of 400 of 1200 draws" in got.method
    want = dv.estimate.kid(ref.subsample, y)
    assert got.value == want.value and got.lower_bound == want.lower_bound
    with pytest.warns(dv.estimate.NoCoverageWarning):  # 100 draws: below kid_difference's claim
        fewer = dv.estimate.kid_difference(ref, y, y * 1.1, subsample=100)
    assert "reference: a seeded uniform subsample of 100 of 1200 draws" in fewer.difference.method
    published = ref._replace(subsample=np.zeros((0, 10)))
    with pytest.raises(ValueError, match="x is a Reference without draws"):
        dv.estimate.kid(published, y)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"subsample": 1}, "subsample must be an integer >= 2"),
        ({"subsample": 2.5}, "subsample must be an integer >= 2"),
        ({"subsample": 3, "draws": 3}, "give subsample only"),
        ({"level": 1.0}, "level must be"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_the_read_s_options_are_refused_by_their_rules(draws, options, match):
    x, y = draws
    with pytest.raises(ValueError, match=match):
        dv.estimate.mmd_squared(x, y, bandwidth=1.0, **options)


def test_a_batch_that_is_not_finite_or_of_another_dimension_is_refused_naming_it(draws):
    x, y = draws
    with pytest.raises(ValueError, match="y must be finite: 2 of its 1102 draws"):
        dv.estimate.kid(x, [y, np.full((2, 10), np.inf)])
    with pytest.raises(ValueError, match="x's batches must be draws of one dimension"):
        dv.estimate.kid([x, x[:, :3]], y)


@pytest.mark.slow  # 1.5 s from a cold compile cache: over the quick tier's 1 s
def test_subsample_is_one_knob_a_count_and_none_keeps_every_draw(draws):
    x, y = draws
    with pytest.warns(DeprecationWarning, match="draws=k is now subsample=k"):
        old = dv.estimate.kid(x, y, draws=1000, seed=3)
    assert old == dv.estimate.kid(x, y, subsample=1000, seed=3)
    every = dv.estimate.reference(x, subsample=None)
    assert every.subsample.shape == x.shape  # None: every draw, as the kernel measures'


@pytest.mark.parametrize(
    "call",
    [
        lambda s: dv.estimate.kid(s(), s(), level=2.0),
        lambda s: dv.estimate.kid_difference(s(), s(), s(), level=2.0),
        lambda s: dv.estimate.mmd_squared(s(), s(), level=2.0),
        lambda s: dv.estimate.mmd_test(s(), s(), permutations=0),
        lambda s: dv.estimate.mmd_squared(s(), s(), bandwidth=-1.0),
    ],
)
def test_a_scalar_option_is_refused_before_a_draw_is_read(call):
    def stream():
        raise AssertionError("a draw was read")
        yield np.zeros((2, 2))

    with pytest.raises(ValueError, match="must be"):
        call(stream)
