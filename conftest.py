"""Test-session set-up shared by tests/, proofs/ and the doctests in divergences/.

Verification runs in float64: x64 is switched on here, for the test process only. The library
itself never touches JAX's global configuration.
"""

import jax

jax.config.update("jax_enable_x64", True)
