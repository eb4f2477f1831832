"""The private modules of :mod:`divergences.continuous`: one file a law, and the machinery they feed.

``interface`` holds the base every law derives from (its pytree registration, parameter checks,
panel marks and the methods the fast and the certified paths call); ``ball`` the optional
python-flint import and the helpers of the laws' ball arithmetic; one module a family
(``normal``, ``laplace``, ``logistic``, ``uniform``, ``exponential``, ``beta``, ``student_t``,
``mixture``) holds all that family knows, in JAX and in ball arithmetic. The machinery that
calls them: ``quadrature`` (the fast path's Gauss-Kronrod layout), ``infinite`` (infinite values
decided from the tails, for both paths), and for the certified path: ``integrals`` (its pieces
and ``acb.integral``), ``tail_bounds`` (bounds beyond the pieces and on strips), ``strips`` (the
two-sided enclosures of KL, chi-square, JS and Hellinger on a strip at a beta law's end, from
the laws' power envelopes), ``effort`` (working precision, a refinement's deadline and work),
``enclosure`` (``Enclosure``, rounded outward), ``inputs`` (its checks), ``common_part`` (two
mixtures' shared components left out), ``term_integrals`` (each quantity's ball),
``quantity_enclosures`` (each quantity decided exactly, by a closed form or by its ball),
``f_enclosure`` (a generator's route), ``gan_enclosure``, ``refine`` (the precision promise) and
``certified_w1``. The public modules ``laws``, ``fast`` and ``certified`` sit beside this package.
"""
