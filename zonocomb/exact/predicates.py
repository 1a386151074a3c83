"""Exact sign tests by floating-point filtering: float64 where a proven error bound decides, exact
arithmetic where it does not (the approach of exact-geometry libraries such as CGAL).

Everything that decides a sign w·x exactly but computes in float64 goes through this module: the
chamber enumerator and the zonotope's walls (:mod:`zonocomb.geometry.position`,
:mod:`zonocomb.geometry.chambers`), random vertices of Z^m (:mod:`zonocomb.geometry.power`) and
the activation pattern of float weights (:func:`zonocomb.convex.region.exact_signs`, paper eq. 2).
The error analysis is also in docs/design.md §5.

The filter for a dot product
----------------------------
Let a, b ∈ R^n be exact values and â, b̂ their float64 values, each entry correctly rounded
(â_k = a_k(1 + α_k), |α_k| ≤ u = 2^-53, or exact). Whatever the order of the additions,

    |fl(â·b̂) − a·b| ≤ γ_{n+2} Σ_k |a_k b_k|,   γ_k = k u / (1 − k u)

(one rounding per input, one per product, at most n − 1 per sum: Higham, *Accuracy and Stability
of Numerical Algorithms*, §3.1). The right side is bounded by computable quantities: the float
sum S = fl(Σ |â_k||b̂_k|) satisfies Σ |a_k b_k| ≤ S / ((1 − γ_n)(1 − u)²), and for n ≤ 2^40

    γ_{n+2} / ((1 − γ_n)(1 − u)³) ≤ 2 (n + 2) u,

so :func:`dot_error_bound`, ``2(n+2)u · S`` (evaluated in float, the last rounding included in the
factor 2) plus an absolute term for underflow, bounds the error. Products that underflow
(|x y| < 2^-1022) and inputs that round to subnormals add at most 2^-1075 (times the other factor)
each, which the term ``TINY · (n + ‖â‖₁ + ‖b̂‖₁)`` with ``TINY = 2^-800`` covers with room to
spare.
Where |fl(â·b̂)| exceeds the bound its sign is the sign of a·b; elsewhere (and wherever an
overflow made a value inf or nan) the caller's exact evaluation decides.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InvalidInputError

__all__ = ["UNIT_ROUNDOFF", "TINY", "rounding_factor", "dot_error_bound", "certified_signs",
           "exact_sign", "dot_signs"]

#: unit roundoff u of IEEE double precision (half the distance from 1 to the next float)
UNIT_ROUNDOFF = 2.0 ** -53
#: absolute slack covering underflow, per unit of input magnitude (see the module notes)
TINY = 2.0 ** -800
#: largest number of roundings per term the relative bound :func:`rounding_factor` is proven for
MAX_ROUNDINGS = 2 ** 40


def rounding_factor(k: int) -> float:
    """The factor ``2 k u``: ``2 k u · fl(Σ|terms|)`` bounds the rounding error of a float sum of
    terms that each carry at most k roundings (γ_k of Higham's analysis, with the rounding of the
    computed magnitudes and of the bound itself folded into the factor 2; needs k ≤ 2^40).

    Examples
    --------
    >>> rounding_factor(3) == 6 * 2.0 ** -53
    True
    """
    if not 0 < k <= MAX_ROUNDINGS:
        raise InvalidInputError(f"rounding_factor needs 0 < k <= 2**40, got {k}")
    return 2.0 * k * UNIT_ROUNDOFF


def dot_error_bound(A_abs: np.ndarray, B_abs: np.ndarray) -> np.ndarray:
    """Bounds on |fl(â_i·b̂_j) − a_i·b_j| for all rows of two float matrices (module notes).

    Parameters
    ----------
    A_abs, B_abs : numpy.ndarray, shapes (p, n) and (q, n)
        |Â| and |B̂|, the absolute values of the float rows (each entry a correctly rounded or
        exact value of the exact row).

    Returns
    -------
    numpy.ndarray, shape (p, q)
        ``2(n+2)u · fl(|Â| |B̂|ᵀ) + TINY·(n + Σ|Â| + Σ|B̂|)`` (the underflow term with the sums of
        all entries, which bound every ‖â_i‖₁ + ‖b̂_j‖₁); inf where a value overflowed.
    """
    n = A_abs.shape[1]
    slack = TINY * (n + A_abs.sum() + B_abs.sum())
    return rounding_factor(n + 2) * (A_abs @ B_abs.T) + slack


def certified_signs(approx: np.ndarray, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The signs of ``approx`` that ``bound`` certifies, and where it does not.

    Returns
    -------
    signs : numpy.ndarray of int8
        sign(approx) where |approx| > bound, 0 elsewhere.
    undecided : numpy.ndarray of bool
        True where |approx| ≤ bound, or where either is nan (to be decided exactly).
    """
    undecided = ~(np.abs(approx) > bound)
    signs = (approx > 0).astype(np.int8) - (approx < 0)
    signs[undecided] = 0
    return signs, undecided


def exact_sign(value) -> int:
    """−1, 0 or 1 for an exact number (int or Fraction)."""
    return (value > 0) - (value < 0)


def dot_signs(A: np.ndarray, B: np.ndarray, exact_dot: Callable[[int, int], object],
              A_abs: np.ndarray | None = None) -> np.ndarray:
    """Exact signs of the dot products of exact rows a_i and b_j, from their float values.

    Parameters
    ----------
    A, B : numpy.ndarray of float, shapes (p, n) and (q, n)
        Float values of the exact rows, each entry correctly rounded (or exact). Positive scaling
        of a row changes no sign; scaling rows into [−1, 1] keeps the products finite.
    exact_dot : callable (i, j) -> int or Fraction
        The exact value a_i·b_j, called only where the float filter cannot decide.
    A_abs : numpy.ndarray, optional
        ``np.abs(A)`` when the caller keeps it across calls.

    Returns
    -------
    numpy.ndarray of int8, shape (p, q)
        sign(a_i·b_j), exact.

    Notes
    -----
    Cost: two float matrix products and one outer sum, plus one exact dot product per entry the
    bound of :func:`dot_error_bound` cannot decide (|a_i·b_j| within about 2(n+2)u Σ|a_ik b_jk| of
    0: exact zeros, and heavy cancellation).

    Examples
    --------
    The sum 10^17 + 3 − 10^17 − 2 = 1 evaluated left to right in float64 gives −2:

    >>> dot_signs(np.array([[1e17, 3.0, -1e17, -2.0]]), np.ones((1, 4)),
    ...           lambda i, j: 10**17 + 3 - 10**17 - 2).tolist()
    [[1]]
    """
    approx = A @ B.T
    signs, undecided = certified_signs(approx, dot_error_bound(np.abs(A) if A_abs is None else A_abs,
                                                               np.abs(B)))
    if undecided.any():
        for i, j in zip(*np.nonzero(undecided)):
            signs[i, j] = exact_sign(exact_dot(int(i), int(j)))
    return signs
