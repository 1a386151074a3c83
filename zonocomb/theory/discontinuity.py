"""Discontinuity of the global optimum at data not in general position (paper appendix D).

A single ReLU with output weight 1 and no output bias is fitted with the mean L1 loss
(1/N) Σ |ŷ_i - y_i|. For a vertex barcode b of the zonotope, ŷ_i = w·x̄_i on the active examples
(b_i = 1) and 0 on the others, and w ranges over the closed activation region
{w : w·x̄_i ≥ 0 if b_i = 1, w·x̄_i ≤ 0 if b_i = 0} (paper eq. 3 with the L1 loss). That convex
problem is a linear program, solved here exactly with cddlib's rational simplex.

Appendix D.1 uses an affine ReLU (homogenized data, the bias is the last entry of w); appendix D.2 a
linear (bias-free) ReLU. Both datasets lie in a coordinate plane, so their zonotopes are planar
zonogons (the paper's figures 4 and 5 draw them in that plane; ``AppendixExample.axes`` names
its two coordinates).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..errors import InvalidInputError
from ..exact.rational import to_fraction
from ..geometry.dataset import Dataset
from .exact_loss import single_relu_loss

__all__ = [
    "VertexLoss", "AppendixExample", "vertex_l1_loss", "vertex_table", "vertex_losses", "best_vertices", "l1_loss",
    "appendix_d1", "appendix_d2",
]


@dataclass(frozen=True)
class VertexLoss:
    """A zonotope vertex with its exact minimal L1 loss.

    Attributes
    ----------
    barcode : tuple of int
        The activation pattern (0/1 per example).
    active : tuple of int
        1-based indices of the active examples, as the paper labels them.
    point : tuple of Fraction
        The vertex Σ_i b_i x̄_i of the zonotope.
    loss : Fraction
        Minimal mean L1 loss over the closed activation region.
    w : tuple of Fraction
        A minimizer (in generator coordinates; for homogenized data the last entry is the bias).
    """
    barcode: tuple
    active: tuple
    point: tuple
    loss: Fraction
    w: tuple


@dataclass(frozen=True)
class AppendixExample:
    """One of the datasets of appendix D, original (eps None) or perturbed.

    Attributes
    ----------
    name : str
        ``"D.1"`` or ``"D.2"``.
    dataset : Dataset
    eps : Fraction or None
    axes : tuple of int
        The two coordinates of the generators spanning the plane of the unperturbed zonogon
        (the plane the paper's figures 4 and 5 are drawn in).
    paper_weights : tuple of Fraction or None
        For a perturbed example, the weights the paper states (in generator coordinates).
    """
    name: str
    dataset: Dataset
    eps: Fraction | None
    axes: tuple
    paper_weights: tuple | None


def l1_loss(dataset: Dataset, w: Sequence) -> Fraction:
    """Exact mean L1 loss (1/N) Σ |φ(w·x̄_i) - y_i| of a single ReLU with output weight 1."""
    return single_relu_loss(dataset, w, "l1")


def vertex_l1_loss(dataset: Dataset, barcode: Sequence[int]) -> tuple[Fraction, tuple[Fraction, ...]]:
    """Exact minimal mean L1 loss over the closed activation region of a barcode.

    Parameters
    ----------
    dataset : Dataset
        Labelled; homogenized (affine ReLU) or bias-free (linear ReLU).
    barcode : sequence of 0/1, length N

    Returns
    -------
    (loss, w) : Fraction, tuple of Fraction
        The optimum and a minimizer.

    Notes
    -----
    The region program (3) with the L1 loss, one unit, v = 1 and no output bias, solved and
    certified exactly by :func:`zonocomb.certify.certify_exact` (exact linear programs).
    """
    from ..certify.region import certify_exact

    if dataset.y_exact is None:
        raise InvalidInputError("vertex_l1_loss needs labels, but the dataset has none (y=None)")
    b = tuple(int(v) for v in barcode)
    if len(b) != dataset.N or any(v not in (0, 1) for v in b):
        raise InvalidInputError(f"barcode must be {dataset.N} entries of 0/1, got {tuple(barcode)!r}")
    cert = certify_exact(dataset, [b], [1], loss="l1", fit_bias=False)
    return cert.loss, cert.W[0]


def vertex_table(dataset: Dataset, vertices: Sequence | None = None) -> list[VertexLoss]:
    """Every zonotope vertex with its exact minimal L1 loss, sorted by barcode.

    Parameters
    ----------
    dataset : Dataset
    vertices : sequence of barcodes, optional
        Defaults to all vertices of ``dataset.zonotope()`` (exact).
    """
    if vertices is None:
        vertices = dataset.zonotope().vertices()
    gens = dataset.generators_exact
    out = []
    for bc in sorted(tuple(int(v) for v in b) for b in vertices):
        loss, w = vertex_l1_loss(dataset, bc)
        point = tuple(sum((gens[i][j] for i in range(dataset.N) if bc[i]), Fraction(0)) for j in range(dataset.n))
        out.append(VertexLoss(bc, tuple(i + 1 for i in range(dataset.N) if bc[i]), point, loss, w))
    return out


def vertex_losses(dataset: Dataset) -> dict[tuple, Fraction]:
    """Map each zonotope vertex barcode to its exact minimal L1 loss (appendix D, figures 4-5)."""
    return {row.barcode: row.loss for row in vertex_table(dataset)}


def best_vertices(rows: Sequence[VertexLoss]) -> tuple[Fraction, list[tuple]]:
    """The smallest loss in a :func:`vertex_table` and the active sets (1-based) attaining it, exact."""
    best = min(r.loss for r in rows)
    return best, [r.active for r in rows if r.loss == best]


def _check_eps(eps) -> Fraction | None:
    if eps is None:
        return None
    e = to_fraction(eps, where="eps")
    if e <= 0:
        raise InvalidInputError(f"eps must be positive, got {e}")
    return e


def appendix_d1(eps=None) -> AppendixExample:
    """The dataset of appendix D.1 (affine ReLU), or its perturbation X_ε (x_3 moved to (3, ε)).

    X = [(1,0), (2,0), (3,0), (4,0), (5,0)], Y = [1, 2, 5/2, 4, 5]. The perturbed example carries
    the paper's weights w = (1, -1/(2ε)), b = 0, which fit it exactly.

    Examples
    --------
    >>> ex = appendix_d1()
    >>> min(vertex_losses(ex.dataset).values())
    Fraction(1, 10)
    """
    e = _check_eps(eps)
    X = [[i, 0] for i in range(1, 6)]
    if e is not None:
        X[2][1] = e
    y = [1, 2, Fraction(5, 2), 4, 5]
    weights = None if e is None else (Fraction(1), -1 / (2 * e), Fraction(0))
    return AppendixExample("D.1", Dataset(X, y=y, homogenize=True), e, (0, 2), weights)


def appendix_d2(eps=None) -> AppendixExample:
    """The dataset of appendix D.2 (linear ReLU), or its perturbation (eq. 10: x_2 gets third
    coordinate ε).

    X = [(-1,0,0), (2,1,0), (-1,1,0), (-1,-1,0)], Y = [4, 3, 2, 1]. The perturbed example carries
    the paper's weights w = (-3/2, 1/2, 11/(2ε)).

    Examples
    --------
    >>> ex = appendix_d2()
    >>> min(vertex_losses(ex.dataset).values())
    Fraction(5, 4)
    """
    e = _check_eps(eps)
    X = [[-1, 0, 0], [2, 1, 0], [-1, 1, 0], [-1, -1, 0]]
    if e is not None:
        X[1][2] = e
    weights = None if e is None else (Fraction(-3, 2), Fraction(1, 2), 11 / (2 * e))
    return AppendixExample("D.2", Dataset(X, y=[4, 3, 2, 1], homogenize=False), e, (0, 1), weights)
