"""The private modules of :mod:`divergences.estimate`: each estimator, its checks and its terms."""
