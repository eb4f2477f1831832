"""The lab: the application built on the library and the harness.

* :mod:`~divergences.lab.proof`: the proof framework (:class:`~divergences.lab.proof.Proof`,
  ``Step``, ``Check``, ``over_examples``, ``worst_of``, ``symbolic_zero``) in which the lectures'
  claims, and a user's own, are written;
* :mod:`~divergences.lab.verify`: runs proofs and prints the table (``divergences verify``):
  finding and loading proof files, the table and the failures as text, the record of each
  step's verdict, and the tour of the built-in examples (``divergences tour``);
* :mod:`~divergences.lab.proofs`: the proofs of the lectures, shipped with the package;
* :mod:`~divergences.lab.figures`: divergences and W1 along a family for many thetas
  (``divergence_curves``, ``continuous_curves``), and the figures of those curves, of a plan
  and a potential, of continuous laws and of estimates from samples against n; its
  ``figure_catalogue`` names every figure of the lab and writes them (``divergences plot``,
  ``divergences verify``);
* :mod:`~divergences.lab.estimate`: the ``divergences estimate`` command's machinery;
* :mod:`~divergences.lab.critics`: critics trained on samples against the exact values;
* :mod:`~divergences.lab.training`: GANs trained on 2-D data with the exact W1 to the data,
  grid JS and KL and mode coverage beside them, and the Dirac-GAN's dynamics;
* :mod:`~divergences.lab.cli`: the command line, assembling the subcommands of
  :mod:`~divergences.lab.commands`.

The lab may import the library (``divergences``) and the harness (``divergences.testing``); neither
imports the lab. Its heavier dependencies (matplotlib, SymPy, optax, tqdm, equinox) load with the module
that needs them, so ``import divergences.lab`` is cheap.
"""
