"""The library's private code: one concept per module, and the helpers they share.

The divergences (``kl``, ``js``, ``f_divergence``, ...) are the public API as re-exported by
:mod:`divergences` (``dv.kl``, ``dv.js_divergence``, ...); keeping them here lets a module be named
after its concept without the module and its function sharing one name in the package namespace.
Beside them: ``numerics`` (the zero-safe, gradient-safe kernels and the reduction builder),
``errors`` (the error policy: :func:`~.errors.require`, one value rule eager and under
:func:`divergences.checked`), ``precision`` (the dtype an input is computed in, the tolerances),
``checks`` (the domain checks: pmfs, axes, bases, covariances), ``options`` (the option
validators) and ``interval`` (an interval's ends and ``contains``), both JAX-free for the host
solvers, ``array_types`` (the type aliases), ``terms`` (each f-divergence's pointwise term,
written once) and ``f_generators`` (the f-GAN table, each generator routed to its term).
The Wasserstein package keeps its own private modules (``wasserstein/_*``), which only it uses.
"""
