"""Hypothesis settings for checking derivations with JAX.

A property over drawn distributions calls jitted kernels; the first call of each compiles, which
takes a second or more, far past Hypothesis' default deadline of 200 ms. A deadline would then
fail a true step with ``FlakyFailure``. So every profile here has no deadline, and the default
one is derandomised, so that a run is reproducible: the same examples, in the same order, every
time.

Profiles (``HYPOTHESIS_PROFILE`` chooses one; :func:`load_profile` loads it):

* ``ci`` (the default): 60 derandomised examples per property, the failing blob printed, and no
  example database (a derandomised run needs none). ``divergences verify`` also points
  Hypothesis' other files (its cache of constants) at a temporary folder, so that the folder it
  runs from gets no ``.hypothesis/``.
* ``check``: 10 derandomised examples per property: the quick tier of the edit loop
  (``make check``), not a verification.
* ``stress``: 25 random examples per property, new ones every run, the failing blob printed: the
  draws of another machine (NumPy's kernels depend on the CPU's vector width, so a derandomised
  draw is not the same draw everywhere). ``make stress`` runs it.
* ``dev``: 100 random examples per property.
* ``thorough``: 2000 random examples per property, for a long adversarial run.

A property whose every example is expensive (several LP solves) draws fewer examples than the
profile's count with ``@at_most(30)``: 30 under ``ci``, and the profile's own count where that is
smaller (10 under ``check``), never more than the profile asks for.

A user who loads a profile of their own (``hypothesis.settings.load_profile``) keeps it: the
proof framework only adds ``deadline=None`` to the settings in force.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILES", "at_most", "load_profile", "register_profiles"]

#: The profile names this module registers.
PROFILES = ("ci", "check", "stress", "dev", "thorough")

_SLOW = [HealthCheck.too_slow]


def register_profiles() -> None:
    """Registers the profiles of :data:`PROFILES` with Hypothesis (idempotent)."""
    # Every profile starts from Hypothesis' defaults, not from the profile loaded now (a
    # settings object's parent is the loaded profile unless named), with no deadline (a first
    # call compiles). The replayable ones keep no example database and print the failing blob.
    anytime = settings(settings.get_profile("default"), deadline=None, suppress_health_check=_SLOW)
    replayable = settings(anytime, database=None, print_blob=True)
    settings.register_profile("ci", replayable, max_examples=60, derandomize=True)
    settings.register_profile("check", replayable, max_examples=10, derandomize=True)
    settings.register_profile("stress", replayable, max_examples=25)
    settings.register_profile("dev", anytime, max_examples=100)
    settings.register_profile("thorough", anytime, max_examples=2000)


def load_profile(name: str | None = None) -> str:
    """Registers the profiles and loads ``name``, else ``$HYPOTHESIS_PROFILE``, else ``ci``.

    Returns:
      The name of the profile loaded.

    Raises:
      ValueError: when the name is not a registered profile.
    """
    register_profiles()
    chosen = name or os.environ.get("HYPOTHESIS_PROFILE") or "ci"
    try:
        # Looked up first: Hypothesis' load_profile of an unknown name leaves it as the current
        # profile, and every later register_profile then fails.
        settings.get_profile(chosen)
    except Exception as exc:  # Hypothesis raises InvalidArgument for an unknown name
        raise ValueError(
            f"HYPOTHESIS_PROFILE must name a registered profile ({', '.join(PROFILES)} or one "
            f"of your own); got {chosen!r}"
        ) from exc
    settings.load_profile(chosen)
    return chosen


def at_most(n: int) -> settings:
    """Settings that draw at most ``n`` examples, fewer where the loaded profile says fewer.

    The profile is the one in force when the test module is imported: ``@at_most(30)`` on a property
    whose examples are expensive.
    """
    return settings(max_examples=min(n, settings().max_examples))
