"""Two candidates against one reference, one module a part: above the families they compose.

FD(A, R) - FD(B, R) on paired batches (``frechet_difference``), KID(A, R) - KID(B, R) in one
U-statistic (``kid_difference``), and the check both run first, that neither candidate copies
the reference's draws (``copies``, a narrow kernel's statistic read by the kernel family's
rule). The only layer that imports two families (pyproject.toml's import contracts).
"""
