"""A perturbation radius below which the zonotope keeps its vertices (paper theorem 4.1, appendix C).

Appendix C: let p = X̄ᵀb be a vertex of Z with a supporting hyperplane H meeting Z only in p, and δ a
lower bound on the distance from H of every other cube image q = X̄ᵀc (c ∈ {0,1}^N, c ≠ b). If every
example moves by at most ε < δ/(2N) in the 2-norm, p' = X̄'ᵀb is still a vertex of the perturbed
zonotope Z'. For data in general position this gives vert Z ⊆ vert Z' (as barcodes), and since a
central arrangement of N hyperplanes in R^n has at most 2·Σ_{i<n} C(N-1, i) chambers, with equality
exactly in general position (which Z attains), the two barcode sets are equal, Z' is in general
position too, and the uniform oriented matroids, hence the face lattices, coincide.

All quantities are exact rationals; the only square root (a Euclidean norm) is replaced by a rational
upper bound, which keeps the radius a valid lower bound.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from ..errors import BackendError, InvalidInputError, InvalidTypeError, NotInGeneralPositionError
from ..exact import solve_lp
from ..exact.rational import to_fraction
from ..geometry.dataset import Dataset
from ..validation import UNSET, check_random_state, renamed_parameter

__all__ = ["perturbation_radius", "vertex_separation", "sqrt_upper_bound", "random_perturbation"]

#: Relative resolution of :func:`sqrt_upper_bound` (the bound exceeds the root by < 2^-20 / q).
_SQRT_SCALE = 2 ** 20


def sqrt_upper_bound(r: Fraction) -> Fraction:
    """A rational s ≥ √r with s - √r ≤ 1/(2^20 q), for r = p/q ≥ 0 in lowest terms (exact).

    Uses √(p/q) = √(pq)/q and the integer square root: s = (isqrt(p q K²) + 1)/(q K), K = 2^20.
    """
    r = Fraction(r)
    if r < 0:
        raise InvalidInputError(f"sqrt_upper_bound needs r >= 0, got {r}")
    p, q = r.numerator, r.denominator
    return Fraction(math.isqrt(p * q * _SQRT_SCALE ** 2) + 1, q * _SQRT_SCALE)


def vertex_separation(dataset: Dataset, barcode: Sequence[int]) -> Fraction:
    """A rational lower bound on the distance from a supporting hyperplane of the vertex ``barcode``
    to every other cube image (the δ of appendix C for this vertex).

    Parameters
    ----------
    dataset : Dataset
    barcode : sequence of 0/1
        A vertex of the dataset's zonotope.

    Returns
    -------
    Fraction
        t / s where h maximizes t = min_i s_i h·x̄_i over the box ‖h‖_∞ ≤ 1 (an exact LP, s_i = ±1
        the barcode's orientation) and s ≥ ‖h‖₂ (see :func:`sqrt_upper_bound`).

    Raises
    ------
    InvalidInputError
        ``barcode`` is not a vertex (the margin t is not positive).

    Notes
    -----
    H = {z : h·z = h·p} supports Z exactly at p. For q = X̄ᵀc the distance to H is
    |h·(q - p)|/‖h‖₂ = Σ_{c_i ≠ b_i} |h·x̄_i|/‖h‖₂ ≥ min_i |h·x̄_i|/‖h‖₂ ≥ t/s, because each flipped
    term has the same sign. The LP's h is optimal for the ∞-norm, so the bound is within a factor
    √n of the best hyperplane's.
    """
    gens = dataset.generators_exact
    n = dataset.n
    b = tuple(int(v) for v in barcode)
    if len(b) != dataset.N or any(v not in (0, 1) for v in b):
        raise InvalidInputError(f"barcode must be {dataset.N} entries of 0/1, got {tuple(barcode)!r}")
    rows = [[Fraction(0)] + [(1 if b[i] else -1) * g for g in gens[i]] + [Fraction(-1)] for i in range(dataset.N)]
    for j in range(n):
        for sign in (1, -1):
            row = [Fraction(1)] + [Fraction(0)] * (n + 1)
            row[1 + j] = Fraction(-sign)
            rows.append(row)
    res = solve_lp(rows, [Fraction(0)] * (n + 1) + [Fraction(1)], maximize=True)
    if res.status != "optimal":
        raise BackendError(f"the margin LP of barcode {b} came back {res.status}; it is bounded and feasible")
    t = res.value
    if t <= 0:
        raise InvalidInputError(f"barcode {b} is not a vertex of the zonotope (its region has empty interior)")
    h = res.x[:n]
    return t / sqrt_upper_bound(sum((x * x for x in h), Fraction(0)))


def perturbation_radius(dataset: Dataset) -> Fraction:
    """An exact rational ε such that moving every example by less than ε (2-norm) keeps the zonotope
    combinatorially equivalent, with the same vertex barcodes (theorem 4.1, appendix C).

    Parameters
    ----------
    dataset : Dataset
        In general position (affine when homogenized, linear when bias-free).

    Returns
    -------
    Fraction
        δ/(2N) with δ = min over vertices of :func:`vertex_separation`; any perturbation with
        max_i ‖x_i - x'_i‖₂ < δ/(2N) qualifies (the inequality is strict, as in the paper).

    Raises
    ------
    NotInGeneralPositionError
        The dataset is not in general position (the message names a dependent subset).

    Examples
    --------
    >>> r = perturbation_radius(Dataset([[0, 0], [1, 0], [0, 1], [1, 2]]))
    >>> 0 < r < 1
    True

    Notes
    -----
    One exact LP with N + 2n rows per vertex, i.e. O(N^{n-1}) LPs. The homogenizing coordinate is not
    perturbed, so ‖X̄ - X̄'‖_F ≤ √N ε as in appendix C.

    References
    ----------
    Paper theorem 4.1 and appendix C.
    """
    if not isinstance(dataset, Dataset):
        raise InvalidTypeError(f"perturbation_radius needs a Dataset, got {type(dataset).__name__}")
    witness = dataset.general_position_witness()
    if witness is not None:
        raise NotInGeneralPositionError(
            f"examples {tuple(witness)} are {'affinely' if dataset.homogenize else 'linearly'} dependent; "
            "theorem 4.1's radius needs data in general position")
    delta = min(vertex_separation(dataset, b) for b in dataset.zonotope().vertices())
    return delta / (2 * dataset.N)


def random_perturbation(dataset: Dataset, scale, random_state=None, *, rng=UNSET) -> Dataset:
    """A random exact perturbation moving every example by at most ``scale`` in the 2-norm.

    Each coordinate of x'_i - x_i is uniform on the rational grid {k·ρ/2^20 : |k| ≤ 2^20} with
    ρ = scale/⌈√d⌉, so ‖x'_i - x_i‖₂ ≤ √d·ρ ≤ scale exactly. Labels and homogenization are kept.
    ``random_state`` is a seed, a Generator or None (:func:`zonocomb.validation.check_random_state`);
    ``rng`` is its deprecated old name.
    """
    s = to_fraction(scale, where="scale")
    if s < 0:
        raise InvalidInputError(f"scale must be non-negative, got {s}")
    rng = check_random_state(renamed_parameter(random_state, rng, "random_state", "rng"))
    d = dataset.d
    root = math.isqrt(d)
    rho = s / (root if root * root == d else root + 1)
    grid = 2 ** 20
    ks = rng.integers(-grid, grid, size=(dataset.N, d), endpoint=True)
    X = [[x + rho * Fraction(int(k), grid) for x, k in zip(row, krow)] for row, krow in zip(dataset.X_exact, ks)]
    return Dataset(X, y=dataset.y_exact, homogenize=dataset.homogenize)
