"""The private modules of :mod:`divergences.continuous`: one file a law, and the machinery they feed.

``interface`` holds the base every law derives from (its pytree registration, parameter checks,
panel marks and the methods the fast and the certified paths call); ``ball`` the optional
python-flint import and the helpers of the laws' ball arithmetic; one module a family
(``normal``, ``laplace``, ``logistic``, ``uniform``, ``exponential``, ``beta``, ``student_t``,
``mixture``) holds all that family knows, in JAX and in ball arithmetic. The machinery that
calls them: ``quadrature`` (the fast path's Gauss-Kronrod layout), ``infinite`` (infinite values
decided from the tails, for both paths), ``integrals`` (the certified path's pieces,
``acb.integral``, tail and strip bounds, ``Enclosure``), ``strips`` (the two-sided enclosures of
KL, chi-square, JS and Hellinger on a strip at a beta law's end, from the laws' power
envelopes) and ``certified_w1``. The public modules
``laws``, ``fast`` and ``certified`` sit beside this package.
"""
