"""Lower bounds on divergences from a classifier, one module a part.

From a given discriminator's outputs on held-out draws (``witness_bounds``), and from one the package
trains itself (``trained``).
"""
