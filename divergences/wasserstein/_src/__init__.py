"""The private modules of :mod:`divergences.wasserstein`: the engine, its solvers and their parts.

``problem`` (validation and the registry of methods), ``runner`` (eager and traced calls),
``envelope`` (the derivatives attached under a trace), ``device`` (the solvers in XLA), ``host``
(the solvers in NumPy), ``measures``, ``metrics`` and ``results``.
"""
