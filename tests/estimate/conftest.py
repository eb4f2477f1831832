"""Fixtures of the estimates' tests."""

from __future__ import annotations

import pytest

from divergences.estimate._src import samples


@pytest.fixture
def cpu_as_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimates' device paths for this CPU's arrays, as for a GPU's: the same programs run."""
    monkeypatch.setattr(samples, "DEVICE_PLATFORMS", frozenset({"cpu"}))
