"""The lab's figures: curves along a family, and the figures of curves, plans, laws and estimates.

* :mod:`.divergence_curves`: divergences and W1 along a family, for many thetas; its figures in
  :mod:`.divergence_figures`;
* :mod:`.continuous_curves`: divergences between continuous laws along a family, certified; its
  figures in :mod:`.continuous_figures`;
* :mod:`.transport_figures`: a transport plan and a Kantorovich potential;
* :mod:`.estimate_figures`: estimates from samples against n, beside the exact values;
* :mod:`.figure_catalogue`: every figure of the lab by name, and what writes them
  (``divergences plot``, ``divergences verify``).

Each module imports matplotlib where it draws, so importing the folder is cheap.
"""
