"""The Frechet distance (FID) from samples, one module a part.

Its estimate and interval (``distance``), the cross term (``trace``) and the sharded read of the
moments (``device_moments``), built on the floor's one-pass reader and reference sets; no other family
is imported (pyproject.toml's import contracts); the difference of two candidates against one
reference is the comparison layer's.
"""
