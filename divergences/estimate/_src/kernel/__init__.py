"""The kernel measures, KID and MMD^2, one module a part.

The blocked kernel sums and their rounding bounds (``sums``), the draws they read (``draws``),
their intervals (``normal_interval``), KID (``kid``), MMD^2 and the permutation test (``mmd``);
the difference of two candidates against one reference is the comparison layer's.
"""
