"""The estimates built on nearest neighbours, one module a part.

The exact k-NN search and ball counts (``search``), the k-NN estimates of KL, JS and entropy
(``knn``), precision, recall, density and coverage (``fidelity``), and memorisation
(``memorisation``).
"""
