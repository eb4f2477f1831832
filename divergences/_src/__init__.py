"""The library's implementation, one concept per module (``kl``, ``js``, ``f_divergence``, ...).

These modules are private: their functions are the public API as re-exported by
:mod:`divergences` (``dv.kl``, ``dv.js_divergence``, ...). Keeping them here lets a module be named
after its concept without the module and its function sharing one name in the package namespace.
"""
