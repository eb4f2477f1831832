r"""The generators of the f-GAN table, each with its conjugate, derivative and a stable summand.

An :class:`FGenerator` carries what :func:`divergences.f_divergence` and
:func:`divergences.variational_bound` need. The table of Nowozin, Cseke & Tomioka (2016, Table 1),
with the factor conventions stated once (they differ between sources):

======================  ==========================================  ================================
generator               f(u)                                        D_f equals
======================  ==========================================  ================================
``KL``                  u log u                                     KL(p || q)
``REVERSE_KL``          -log u                                      KL(q || p)
``PEARSON``             (u - 1)^2                                   chi_square(p, q)
``NEYMAN``              (1 - u)^2 / u                               chi_square(q, p)
``SQUARED_HELLINGER``   (sqrt(u) - 1)^2                             2 hellinger(p, q)^2
``JENSEN_SHANNON``      u log u - (u + 1) log((u + 1) / 2)          2 js_divergence(p, q)
``GAN``                 u log u - (u + 1) log(u + 1)                2 js_divergence(p, q) - log 4
``TOTAL_VARIATION``     |u - 1| / 2                                 total_variation(p, q)
======================  ==========================================  ================================

``GAN`` has :math:`f(1) = -\log 4`, not 0: it is the GAN value at the optimal discriminator,
and :func:`divergences.f_divergence` sums it as :func:`divergences.gan_value` does, in terms of
one sign (:math:`-\log 4 + 2\,\mathrm{JS}` cancels near disjoint supports).
Each generator's ``term`` is a stable expression of the summand of the generator centred at 1,
:math:`\tilde f(u) = f(u) - f(1) - f'(1)(u - 1)`, never formed from the ratio :math:`p_i/q_i`
(see the f-divergences page of the docs); its ``route`` names that summand's term, by which the
continuous laws' :func:`~divergences.continuous.f_divergence` computes it in closed form.

Example:
  >>> import divergences as dv
  >>> sorted(dv.generators.GENERATORS)[:3]
  ['GAN', 'Jensen-Shannon', 'KL']

References:
  Nowozin, Cseke & Tomioka, *f-GAN: Training Generative Neural Samplers using Variational
  Divergence Minimization*, NeurIPS 2016, Tables 1 and 2; Goodfellow et al., *Generative
  Adversarial Nets*, NeurIPS 2014.
"""

from divergences._src.f_generators import (
    GAN,
    GENERATORS,
    JENSEN_SHANNON,
    KL,
    NEYMAN,
    PEARSON,
    REVERSE_KL,
    SQUARED_HELLINGER,
    TOTAL_VARIATION,
    FGenerator,
)

__all__ = [
    "GAN",
    "GENERATORS",
    "JENSEN_SHANNON",
    "KL",
    "NEYMAN",
    "PEARSON",
    "REVERSE_KL",
    "SQUARED_HELLINGER",
    "TOTAL_VARIATION",
    "FGenerator",
]
