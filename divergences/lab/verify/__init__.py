"""``divergences verify``: the proofs of the lectures (and a user's own) run, tabled and recorded.

* :mod:`.verify_run`: the runner (:func:`verify`, :func:`run`, :class:`VerifyReport`), which
  loads the proofs, runs their steps, adds the tour and draws the figures;
* :mod:`.proof_files`: finding and loading proof files (the lectures' shipped with the package,
  or a user's given by path);
* :mod:`.formatting`: the table and the failed steps as text;
* :mod:`.verify_record`: the record of each step's verdict (``--record``), which the docs read;
* :mod:`.tour`, :mod:`.examples`: the built-in examples and every divergence on them
  (``divergences tour``).

The proofs are written in :mod:`divergences.lab.proof`, the framework a user's proof file
imports; the runner's three names are this folder's own.
"""

from divergences.lab.verify.verify_run import TOUR_TOLERANCE, VerifyReport, run, verify

__all__ = ["TOUR_TOLERANCE", "VerifyReport", "run", "verify"]
