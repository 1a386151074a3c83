"""Exact interpolation with 2⌈N/(d+1)⌉ ReLU units (paper theorem 4.3, section 4.2.1, appendix F).

The examples are sorted along a linear functional (the last coordinate, as in the paper) and split
into consecutive chunks of d+1. Chunk k receives two units that are inactive on every earlier chunk
and active on chunk k and every later one; their difference fits the current residual of chunk k
exactly (lemma F.1) and leaves earlier chunks untouched, so after the last chunk every training
residual is exactly zero (the induction of appendix F). All arithmetic is over Q.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from fractions import Fraction
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError, NotInGeneralPositionError
from ..exact.rational import solve, to_fraction_matrix
from ..geometry.dataset import Dataset

__all__ = ["InterpolatingNetwork", "construct_interpolant", "sorting_direction"]


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


def _relu(z: Fraction) -> Fraction:
    return z if z > 0 else Fraction(0)


def _integer_form(vec: Sequence[Fraction]) -> tuple[list[int], int]:
    """(p, q) with vec = p / q, p integer, q > 0 the lcm of the denominators (exact)."""
    q = 1
    for v in vec:
        q = q * v.denominator // math.gcd(q, v.denominator)
    return [v.numerator * (q // v.denominator) for v in vec], q


def _int_dot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b))


@dataclass(frozen=True, eq=False)
class InterpolatingNetwork:
    """A shallow ReLU network f(x) = Σ_u v_u φ(W_u · x̄) + c with exact rational parameters.

    Attributes
    ----------
    dataset : Dataset
        The (homogenized, labelled) training set the network interpolates.
    W : tuple of tuple of Fraction, shape (m, d+1)
        First layer; row u is unit u, the last column holds the unit biases.
    v : tuple of Fraction, shape (m,)
        Output weights, alternately +1 and -1 (the two units of each chunk).
    c : Fraction
        Output bias (0 for this construction).
    direction : tuple of Fraction, shape (d,)
        The linear functional the examples were sorted by (e_d unless ties forced a tilt).
    chunks : tuple of tuple of int
        Example indices (into the dataset) of each chunk, in sorted order.
    pattern : numpy.ndarray of bool, shape (m, N)
        Activation pattern I{W x̄_i > 0}; row u is unit u's barcode. Read-only.

    References
    ----------
    Paper section 4.2.1 (theorem 4.3) and appendix F (lemma F.1).
    """
    dataset: Dataset
    W: tuple
    v: tuple
    c: Fraction
    direction: tuple
    chunks: tuple
    pattern: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        """Sizes and chunks only: the exact weights' numerators run to dozens of digits (see ``W``)."""
        return (f"InterpolatingNetwork(m={self.m}, N={self.dataset.N}, d={self.dataset.d}, "
                f"chunks={[len(ch) for ch in self.chunks]})")

    @property
    def m(self) -> int:
        """Number of hidden units, 2⌈N/(d+1)⌉."""
        return len(self.W)

    @property
    def W_float(self) -> np.ndarray:
        """W as a float array of shape (m, d+1)."""
        return np.array([[float(x) for x in row] for row in self.W], dtype=float)

    @cached_property
    def _W_integer(self) -> list[tuple[list[int], int]]:
        return [_integer_form(wu) for wu in self.W]

    def _output(self, xbar: Sequence[Fraction]) -> Fraction:
        p, q = _integer_form(xbar)
        out = self.c
        for (wp, wq), vu in zip(self._W_integer, self.v):
            z = _int_dot(wp, p)
            if z > 0:
                out += vu * Fraction(z, wq * q)
        return out

    def predict_exact(self, X: ArrayLike) -> tuple[Fraction, ...]:
        """Exact network outputs on raw (not homogenized) examples.

        Parameters
        ----------
        X : array-like of shape (k, d)
            Examples, parsed exactly (see :func:`zonocomb.exact.rational.to_fraction`).

        Returns
        -------
        tuple of Fraction, length k

        Raises
        ------
        InvalidInputError
            Rows of the wrong width or entries that are not finite rationals.
        """
        rows = to_fraction_matrix(X, name="X")
        d = self.dataset.d
        if len(rows[0]) != d:
            raise InvalidInputError(f"X has {len(rows[0])} columns but the network takes d={d} inputs")
        return tuple(self._output(tuple(r) + (Fraction(1),)) for r in rows)

    def residuals(self) -> tuple[Fraction, ...]:
        """Exact residuals y_i - f(x_i) on the training examples (all zero by theorem 4.3)."""
        preds = self.predict_exact(self.dataset.X_exact)
        return tuple(y - p for y, p in zip(self.dataset.y_exact, preds))

    def condition_number(self) -> float:
        """2-norm condition number σ_max(W)/σ_min(W) of the float first-layer matrix (m × (d+1)).

        Large values quantify the ill-conditioning the paper reports at the end of section 4.2.1:
        each chunk's pair of units shares the large shift β·ũ and cancels it in the output.
        Returns ``inf`` when W is rank deficient.
        """
        return float(np.linalg.cond(self.W_float))

    def lipschitz_bound(self) -> float:
        """Upper bound Σ_u |v_u| ‖W_u[:d]‖₂ on the Lipschitz constant of f in the 2-norm (float)."""
        Wf = self.W_float
        return float(np.sum(np.abs([float(x) for x in self.v]) * np.linalg.norm(Wf[:, :-1], axis=1)))


def sorting_direction(X: Sequence[Sequence[Fraction]]) -> tuple[Fraction, ...]:
    """A linear functional c with pairwise distinct values c·x_i, preferring the last coordinate.

    Returns e_d when the last coordinates are already distinct (the paper's assumption in
    section 4.2.1). Otherwise returns the tilt c_t = (t^{d-1}, ..., t, 1) for the first
    t in 1/2, 1/3, ... that separates all examples: for x_i ≠ x_j the map t ↦ c_t·(x_i - x_j)
    is a nonzero polynomial of degree ≤ d-1, so at most (d-1)·C(N,2) values of t fail and the
    search ends. Lemma F.1 only needs *some* functional separating consecutive chunks, so the
    tilt replaces the paper's "rotate so the last coordinates are unique" exactly.

    Raises
    ------
    NotInGeneralPositionError
        Two examples are identical (no functional separates them).
    """
    d = len(X[0])
    last = [row[-1] for row in X]
    if len(set(last)) == len(last):
        return tuple(Fraction(int(j == d - 1)) for j in range(d))
    seen: dict[tuple, int] = {}
    for i, row in enumerate(X):
        key = tuple(row)
        if key in seen:
            raise NotInGeneralPositionError(
                f"examples {seen[key]} and {i} are identical, so the data are not in general position")
        seen[key] = i
    k = 2
    while True:
        t = Fraction(1, k)
        c = tuple(t ** (d - 1 - j) for j in range(d))
        values = [_dot(c, row) for row in X]
        if len(set(values)) == len(values):
            return c
        k += 1


def _chunk_fit(rows: list[tuple[Fraction, ...]], targets: list[Fraction], chunk_no: int) -> list[Fraction]:
    """Minimum-norm exact solution w of x̄_b · w = r_b for the chunk (lemma F.1's regression)."""
    gram = [[_dot(a, b) for b in rows] for a in rows]
    try:
        z = solve(gram, targets)
    except InvalidInputError:
        raise NotInGeneralPositionError(
            f"the homogenized examples of chunk {chunk_no} are linearly dependent (affinely dependent "
            "examples), so the data are not in general position") from None
    n = len(rows[0])
    return [sum((z[k] * rows[k][j] for k in range(len(rows))), Fraction(0)) for j in range(n)]


def construct_interpolant(dataset: Dataset) -> InterpolatingNetwork:
    """Build a network with 2⌈N/(d+1)⌉ ReLU units that fits every training label exactly.

    Parameters
    ----------
    dataset : Dataset
        Homogenized (affine ReLU), labelled examples. Each chunk's d+1 examples must be affinely
        independent, which holds for data in general position.

    Returns
    -------
    InterpolatingNetwork
        Exact W, v = (+1, -1, +1, -1, ...), c = 0, with zero residual on every training example.

    Raises
    ------
    InvalidInputError
        Unlabelled or bias-free data (theorem 4.3 concerns the affine ReLU of section 2).
    NotInGeneralPositionError
        Identical examples, or a chunk whose homogenized examples are linearly dependent.

    Examples
    --------
    >>> ds = Dataset([[0], [1], [2], [3], [4]], y=[0, 1, 0, 2, 5])
    >>> net = construct_interpolant(ds)
    >>> net.m, set(net.residuals())
    (6, {Fraction(0, 1)})

    Notes
    -----
    Let c be the sorting functional (:func:`sorting_direction`), S_k the examples of chunk k and
    all later chunks, A_k the earlier ones. With lo = max_{A_k} c·x (or min_{S_k} c·x - 2 when A_k
    is empty), hi = min_{S_k} c·x, α = (lo+hi)/2 and ũ = 4/(hi-lo)·(c, -α), every ã in A_k has
    ũ·ā ≤ -2 and every s in S_k has ũ·s̄ ≥ 2. With w the minimum-norm solution of x̄_b·w = r_b on
    the chunk (r the current residual) and β = 1 + max(max_{A_k} φ(w·ā), max_{S_k} φ(-w·s̄)),
    the units w + βũ and βũ are strictly negative on A_k and strictly positive on S_k, so their
    difference adds 0 on A_k and w·x̄ on S_k (lemma F.1). Taking β one larger than the paper's
    value and also over later chunks makes the pattern strict and equal to the one section 4.2.1
    describes (0 on earlier chunks, 1 on the rest), hence a genuine vertex of Z^m.
    Cost: O(N/(d+1)) exact solves of (d+1)×(d+1) systems plus O(N²) exact dot products.

    References
    ----------
    Paper theorem 4.3 (section 4.2.1), lemma F.1 and the induction of appendix F.
    """
    if not isinstance(dataset, Dataset):
        raise InvalidInputError(f"construct_interpolant needs a Dataset, got {type(dataset).__name__}")
    if not dataset.homogenize:
        raise InvalidInputError("construct_interpolant needs a homogenized dataset (theorem 4.3 is about "
                                "the affine ReLU); this dataset is bias-free")
    if dataset.y_exact is None:
        raise InvalidInputError("construct_interpolant needs labels, but the dataset has none (y=None)")
    X = dataset.X_exact
    Xbar = dataset.generators_exact
    N, n = dataset.N, dataset.n
    c = sorting_direction(X)
    key = [_dot(c, row) for row in X]
    order = sorted(range(N), key=lambda i: key[i])
    chunks = tuple(tuple(order[s:s + n]) for s in range(0, N, n))
    Xint = [_integer_form(xb) for xb in Xbar]
    residual = list(dataset.y_exact)
    W: list[tuple[Fraction, ...]] = []
    v: list[Fraction] = []
    for k, chunk in enumerate(chunks):
        start = k * n
        earlier, later = order[:start], order[start:]
        w = _chunk_fit([Xbar[i] for i in chunk], [residual[i] for i in chunk], k)
        wp, wq = _integer_form(w)
        fit = [Fraction(_int_dot(wp, p), wq * q) for p, q in Xint]      # w·x̄_i for every example
        hi = min(key[i] for i in later)
        lo = max(key[i] for i in earlier) if earlier else hi - 2
        alpha = (lo + hi) / 2
        scale = Fraction(4) / (hi - lo)
        u = tuple(scale * cj for cj in c) + (-scale * alpha,)
        beta = 1 + max([_relu(fit[i]) for i in earlier] + [_relu(-fit[i]) for i in later])
        W.append(tuple(wj + beta * uj for wj, uj in zip(w, u)))
        W.append(tuple(beta * uj for uj in u))
        v.extend((Fraction(1), Fraction(-1)))
        for i in later:
            residual[i] -= fit[i]
    pattern = np.array([[_int_dot(wp, p) > 0 for p, _ in Xint] for wp, _ in map(_integer_form, W)], dtype=bool)
    pattern.setflags(write=False)
    return InterpolatingNetwork(dataset=dataset, W=tuple(W), v=tuple(v), c=Fraction(0), direction=c,
                                chunks=chunks, pattern=pattern)
