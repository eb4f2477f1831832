"""The private modules of :mod:`divergences.estimate`, one folder per family of estimators.

``frechet/``, ``kernel/``, ``neighbours/``, ``w1/``, ``discriminator/`` and ``inception/`` each
serve one family and import no other. Beneath them is the floor they share: ``reference_set``
(a reference set read once), ``reading`` (the one-pass reader of draws), ``claims`` (where
coverage is claimed), ``concentration``, ``result`` and ``samples``. pyproject.toml's import
contracts hold the layout.
"""
