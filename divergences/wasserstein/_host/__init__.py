"""The host solvers of W1: NumPy in, NumPy out, no JAX.

* :mod:`.dense`: the transportation LP by POT's network simplex and the Kantorovich-Rubinstein
  LP by scipy's HiGHS, on dense cost matrices;
* :mod:`.sparse`: column generation with exact k-d-tree pricing, around the compiled solver;
* :mod:`.atoms`: copies of one point merged into one atom, and a plan split back;
* :mod:`.native`: the compiled extension, loaded lazily, and SciPy's k-d tree where it is not
  built;
* :mod:`.memory`: the memory available (physical, and the address space left under a limit) and
  the up-front refusal of work that would not fit, where compiled code could otherwise end the
  process.

They raise :class:`~divergences.SolverError` (with a
:class:`~divergences.wasserstein._results.Status`) when they stop short; the bridge
(:mod:`divergences.wasserstein._bridge`) carries them into traced code.
"""
