"""The host side of W1: NumPy in, NumPy out, no JAX.

* :mod:`.protocol`: what a transport solver is (:class:`~.protocol.TransportSolver`: everything
  the pipeline calls), what its options record must hold and what it returns;
* :mod:`.host_problem`: the problem as every solver sees it (scaled float64 points, weights,
  costs);
* the solvers, one module each with its options record: :mod:`.dense` (POT's network simplex),
  :mod:`.sparse` (column generation with exact k-d-tree pricing, around the compiled extension),
  :mod:`.kr_lp` (the Kantorovich-Rubinstein LP by HiGHS, for ``w1_dual(..., method="lp")``),
  :mod:`.grid_flow` (the flow on the grid graph, for ``w1_grid(..., method="grid_flow")``);
* the sparse solver's parts: :mod:`.coarse_to_fine` (the scaled solve, its candidate graph
  seeded by a coarse solve), :mod:`.curve` (the space-filling curve's numbering),
  :mod:`.start_potential` (the simplex's start, integrated from the coarse plan),
  and :mod:`.threads` (the threads option and the count a call runs on);
* :mod:`.pipeline`: a solve turned into a finished result, the same for every solver;
  :mod:`.certify`: its bounds, true in real arithmetic;
* :mod:`.costs`: the cost matrix on the host and the costs of a plan's arcs; :mod:`.nearest`: the weighted
  nearest site (the sparse solver's pricing, every c-transform) and the Lipschitz check;
* :mod:`.atoms`: copies of one point merged into one atom, and a plan split back;
* :mod:`.native`: the compiled extension, loaded lazily, and SciPy's k-d tree where it is not
  built;
* :mod:`.memory`: the memory available (physical, and the address space left under a limit) and
  the up-front refusal of work that would not fit, where compiled code could otherwise end the
  process.

They raise :class:`~divergences.SolverError` (with a
:class:`~divergences.wasserstein._src.results.Status`) when they stop short; the runner
(:mod:`divergences.wasserstein._src.runner`) carries them into traced code.
"""
