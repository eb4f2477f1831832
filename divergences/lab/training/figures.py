r"""Figures of training runs, by kind, under one name.

* :mod:`~divergences.lab.training.readout_figures`: the readouts against step
  (:func:`figure_readouts`) and the comparison of games (:func:`figure_comparison`);
* :mod:`~divergences.lab.training.snapshot_figures`: the samples over the critic's heat map, as
  GAN Lab draws them (:func:`figure_snapshots`), and the generator's image of a grid of its input
  space (:func:`figure_latent_grid`);
* :mod:`~divergences.lab.training.animation`: an animated GIF (:func:`save_gif`), its frames
  (:func:`gif_frame`) and a figure as PNG bytes (:func:`png_bytes`);
* :mod:`~divergences.lab.training.image_figures`: a run on images, its scores with their
  intervals (:func:`figure_image_readouts`) and its digits at each readout
  (:func:`figure_digits`);
* :mod:`~divergences.lab.training.dirac_figure`: the Dirac-GAN's vector field
  (:func:`figure_dirac`).

Every ``figure_*`` function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global state); colours come from :mod:`divergences.lab.style`. Text sizes are
relative to the ``font.size`` in force ("small" legends, "medium" titles), so
``matplotlib.rc_context({"font.size": 13})`` scales every label of a figure at once.
"""

from divergences.lab.training.animation import gif_frame, png_bytes, save_gif
from divergences.lab.training.dirac_figure import figure_dirac
from divergences.lab.training.image_figures import figure_digits, figure_image_readouts
from divergences.lab.training.readout_figures import figure_comparison, figure_readouts
from divergences.lab.training.snapshot_figures import figure_latent_grid, figure_snapshots

__all__ = [
    "figure_comparison",
    "figure_digits",
    "figure_dirac",
    "figure_image_readouts",
    "figure_latent_grid",
    "figure_readouts",
    "figure_snapshots",
    "gif_frame",
    "png_bytes",
    "save_gif",
]
