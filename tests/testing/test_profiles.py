"""The harness' Hypothesis profiles: each is what its name promises, whichever was loaded before."""

from __future__ import annotations

import pytest
from hypothesis import settings

from divergences.testing import load_profile
from divergences.testing.profiles import PROFILES, at_most


@pytest.fixture
def restore_profile():  # type: ignore[no-untyped-def]
    """Loads the session's profile back after the test."""
    yield
    load_profile()


@pytest.mark.parametrize("before", PROFILES)
def test_a_profile_does_not_inherit_the_one_loaded_before(before: str, restore_profile) -> None:  # type: ignore[no-untyped-def]
    for name in PROFILES:
        load_profile(before)
        load_profile(name)
        s = settings.default
        assert s.deadline is None
        assert s.derandomize == (name in ("ci", "check")), (before, name)
        assert (s.database is None) == (name in ("ci", "check", "stress")), (before, name)
        assert s.print_blob == (name in ("ci", "check", "stress")), (before, name)


def test_an_unknown_profile_is_refused_by_name(restore_profile) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="HYPOTHESIS_PROFILE must name a registered profile"):
        load_profile("no-such-profile")


@pytest.mark.parametrize(("name", "expected"), [("ci", 30), ("check", 10), ("thorough", 30)])
def test_at_most_never_draws_more_than_the_profile(
    name: str, expected: int, restore_profile
) -> None:  # type: ignore[no-untyped-def]
    load_profile(name)
    s = at_most(30)
    assert s.max_examples == expected
    assert s.deadline is None and s.derandomize == settings.default.derandomize
