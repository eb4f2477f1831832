r"""Mass images of the ten DOTmark classes, generated: the benchmark of exact solvers on grids.

DOTmark (Schrieber, Schuhmacher & Gottschlich, *DOTmark -- A Benchmark for Discrete Optimal
Transport*, IEEE Access 5, 2017) compares exact transport solvers on pairs of greyscale images
of ten classes, at 32^2 to 512^2 pixels. Its files are not at hand here, so each class is drawn
by a generator of the same kind, seeded, at any side ``n``; every length scale is a fraction of
the image's side, so a class looks the same at every size. A pair is two independent draws of
one class, each normalised to total mass 1 (:func:`dotmark_pair`).

The classes (:data:`DOTMARK_CLASSES`), with ``G_l`` a Gaussian random field of correlation
length ``l`` (white noise filtered by :math:`\exp(-|k|^2 l^2 / 2)` in Fourier space, periodic,
scaled to standard deviation 1):

* ``white noise``: independent uniform values in [0, 1) at every pixel.
* ``GRF rough``, ``GRF moderate``, ``GRF smooth``: ``G_l - min G_l`` with ``l`` = 0.02, 0.05
  and 0.15 of the side (the pixel of least value carries no mass and is skipped).
* ``log-GRF``: ``exp(G_l)``, ``l`` = 0.05 (log-normal values: a few bright regions).
* ``logit-GRF``: ``1 / (1 + exp(-3 G_l))``, ``l`` = 0.05 (values saturating at 0 and 1:
  flat plateaus with steep ridges).
* ``Cauchy density``: a mixture of 1 to 5 two-dimensional Cauchy densities
  :math:`\gamma / (|z - c|^2 + \gamma^2)^{3/2}`, centres uniform in the image, ``gamma``
  uniform in [0.02, 0.2] of the side, random weights (heavy tails reach every pixel).
* ``shapes``: 2 to 6 filled disks, axis-aligned rectangles and triangles of value 1 on an empty
  background (binary images: most pixels carry no mass, many ties in the costs).
* ``classic image``: an analogue of photographs: piecewise-constant grey regions (a Voronoi
  partition of 12 random sites), a smooth shading (``GRF smooth``) and a fine texture (a
  sinusoid in a random direction), quantised to the integers 0..255.
* ``microscopy``: an analogue of fluorescence microscopy: 5 to 40 bright Gaussian spots of
  radius 0.005-0.03 of the side on a dim noisy background, quantised to 0..255 (most pixels 0).

References: Schrieber, Schuhmacher & Gottschlich, IEEE Access 5, 2017 (DOTmark); Lang &
Potthoff, *Fast simulation of Gaussian random fields*, Monte Carlo Methods Appl. 17, 2011
(spectral simulation).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DOTMARK_CLASSES", "dotmark_image", "dotmark_pair"]

#: The ten classes, in DOTmark's order.
DOTMARK_CLASSES = (
    "white noise",
    "GRF rough",
    "GRF moderate",
    "GRF smooth",
    "log-GRF",
    "logit-GRF",
    "Cauchy density",
    "shapes",
    "classic image",
    "microscopy",
)

_GRF_LENGTH = {"GRF rough": 0.02, "GRF moderate": 0.05, "GRF smooth": 0.15}


def gaussian_random_field(rng: np.random.Generator, n: int, length: float) -> np.ndarray:
    r"""A periodic Gaussian random field on an ``n x n`` grid, standard deviation 1.

    White noise filtered by :math:`\exp(-|k|^2 l^2 / 2)` (``k`` in radians per side, ``l`` in
    sides): correlation length ``l`` times the side.
    """
    k = 2 * np.pi * np.fft.fftfreq(n)[:, None] * n, 2 * np.pi * np.fft.fftfreq(n)[None, :] * n
    filt = np.exp(-(k[0] ** 2 + k[1] ** 2) * length**2 / 2)
    field = np.real(np.fft.ifft2(np.fft.fft2(rng.standard_normal((n, n))) * filt))
    return (field - field.mean()) / max(float(field.std()), 1e-300)


def _coordinates(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixel centres in the unit square, ``(rows, cols)`` as ``n x n`` arrays."""
    t = (np.arange(n) + 0.5) / n
    return np.meshgrid(t, t, indexing="ij")


def _cauchy(rng: np.random.Generator, n: int) -> np.ndarray:
    r_, c_ = _coordinates(n)
    out = np.zeros((n, n))
    for _ in range(rng.integers(1, 6)):
        cr, cc = rng.random(2)
        gamma = rng.uniform(0.02, 0.2)
        out += rng.random() * gamma / ((r_ - cr) ** 2 + (c_ - cc) ** 2 + gamma**2) ** 1.5
    return out


def _shapes(rng: np.random.Generator, n: int) -> np.ndarray:
    r_, c_ = _coordinates(n)
    out = np.zeros((n, n), bool)
    for _ in range(rng.integers(2, 7)):
        kind = rng.integers(3)
        centre = rng.uniform(0.15, 0.85, 2)
        size = rng.uniform(0.05, 0.2)
        if kind == 0:  # disk
            out |= (r_ - centre[0]) ** 2 + (c_ - centre[1]) ** 2 <= size**2
        elif kind == 1:  # rectangle
            half = size * rng.uniform(0.5, 1.5, 2)
            out |= (np.abs(r_ - centre[0]) <= half[0]) & (np.abs(c_ - centre[1]) <= half[1])
        else:  # triangle: the pixels on one side of each of its three edges
            p = centre + size * rng.uniform(-1, 1, (3, 2))
            signs = []
            for k in range(3):
                (ar, ac), (br, bc) = p[k], p[(k + 1) % 3]
                signs.append((br - ar) * (c_ - ac) - (bc - ac) * (r_ - ar))
            inside = (signs[0] >= 0) & (signs[1] >= 0) & (signs[2] >= 0)
            inside |= (signs[0] <= 0) & (signs[1] <= 0) & (signs[2] <= 0)
            out |= inside
    if not out.any():
        out[n // 2, n // 2] = True
    return out.astype(np.float64)


def _classic(rng: np.random.Generator, n: int) -> np.ndarray:
    r_, c_ = _coordinates(n)
    sites = rng.random((12, 2))
    grey = rng.uniform(20, 220, 12)
    dist = (r_[..., None] - sites[:, 0]) ** 2 + (c_[..., None] - sites[:, 1]) ** 2
    image = grey[np.argmin(dist, axis=-1)]
    image = image + 25 * gaussian_random_field(rng, n, _GRF_LENGTH["GRF smooth"])
    angle = rng.uniform(0, np.pi)
    image = image + 10 * np.sin(2 * np.pi * 12 * (np.cos(angle) * r_ + np.sin(angle) * c_))
    return np.clip(np.round(image), 0, 255)


def _microscopy(rng: np.random.Generator, n: int) -> np.ndarray:
    r_, c_ = _coordinates(n)
    image = 4 * rng.random((n, n)) - 2  # dim noise, half of it clipped to 0
    for _ in range(rng.integers(5, 41)):
        cr, cc = rng.random(2)
        radius = rng.uniform(0.005, 0.03)
        image += rng.uniform(80, 255) * np.exp(-((r_ - cr) ** 2 + (c_ - cc) ** 2) / radius**2)
    return np.clip(np.round(image), 0, 255)


def dotmark_image(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """One ``n x n`` image of the class ``name`` (:data:`DOTMARK_CLASSES`), mass >= 0, not normalised.

    Raises:
      ValueError: for an unknown class or ``n < 2``.
    """
    if name not in DOTMARK_CLASSES:
        raise ValueError(f"name must be one of {', '.join(DOTMARK_CLASSES)}; got {name!r}")
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2; got {n!r}")
    if name == "white noise":
        return rng.random((n, n))
    if name in _GRF_LENGTH:
        field = gaussian_random_field(rng, n, _GRF_LENGTH[name])
        return field - field.min()
    if name == "log-GRF":
        return np.exp(gaussian_random_field(rng, n, 0.05))
    if name == "logit-GRF":
        return 1 / (1 + np.exp(-3 * gaussian_random_field(rng, n, 0.05)))
    if name == "Cauchy density":
        return _cauchy(rng, n)
    if name == "shapes":
        return _shapes(rng, n)
    if name == "classic image":
        return _classic(rng, n)
    return _microscopy(rng, n)


def dotmark_pair(name: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two independent ``n x n`` images of one class, each of total mass 1 (float64).

    Drawn from ``numpy.random.default_rng((seed, index of the class, n))``: the same pair at
    every call, a different one per class and size.
    """
    if name not in DOTMARK_CLASSES:
        raise ValueError(f"name must be one of {', '.join(DOTMARK_CLASSES)}; got {name!r}")
    rng = np.random.default_rng((seed, DOTMARK_CLASSES.index(name), n))
    mu, nu = dotmark_image(name, n, rng), dotmark_image(name, n, rng)
    for img in (mu, nu):
        if not img.sum() > 0:  # an image with no mass at all (not met in practice)
            img[n // 2, n // 2] = 1.0
    return mu / mu.sum(), nu / nu.sum()
