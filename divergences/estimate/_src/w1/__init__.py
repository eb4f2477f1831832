"""W1 between the laws behind two samples, one module a part.

The exact W1 of the samples with its concentration interval (``exact``), the samples' spread
that interval reads (``spread``), the DKW interval in one dimension (``dkw``) and the projected
lower bound (``projected``).
"""
