"""The region program of one activation pattern (paper eq. 3) held exactly, in integers.

For generators x̄_1..x̄_N ∈ Q^n, labels y ∈ Q^N, output weights v ∈ Q^m and a pattern
A ∈ {0,1}^{m×N}, the region program is

    minimise over W ∈ Q^{m×n}, c      (1/N) Σ_i ℓ( Σ_u v_u A_ui (w_u·x̄_i) + c − y_i )
    subject to                         s_ui (w_u·x̄_i) ≥ 0,   s_ui = 2A_ui − 1,

with c = 0 unless ``fit_bias``. :class:`ExactProgram` clears denominators once: with D_x the
common denominator of the generators and labels and D_v that of v, the integer data
X'_i = D_x x̄_i, v' = D_v v, y'' = D y (D = D_x D_v) give the scaled residual
r''_i = Σ_u v'_u A_ui (w_u·X'_i) + D c − y''_i = D (ŷ_i − y_i) for the same (W, c), so every
inner loop runs on Python integers and the constraint signs are unchanged (X'_i is a positive
multiple of x̄_i). Nothing here is floating point.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from ..convex.losses import check_loss
from ..convex.region import check_pattern
from ..errors import InvalidInputError, InvalidTypeError
from ..exact.rational import to_fraction
from ..geometry.dataset import Dataset

__all__ = ["ExactProgram", "dot"]


def dot(a, b):
    """Exact inner product of two sequences of ints/Fractions (0 for empty ones)."""
    return sum(x * y for x, y in zip(a, b))


def _lcm_of_denominators(values) -> int:
    den = 1
    for value in values:
        den = math.lcm(den, value.denominator)
    return den


class ExactProgram:
    """The exact data of one region program (paper eq. 3), validated and scaled to integers.

    Parameters
    ----------
    dataset : Dataset
        Labelled dataset; its exact generators and labels are used.
    pattern : array-like
        (m, N) 0/1 pattern, or a barcode when m = 1.
    v : array-like of length m
        Output weights: ints, Fractions, decimal strings or floats (floats are read exactly).
    loss : {"mse", "l1", "logistic"}
    fit_bias : bool

    Attributes
    ----------
    m, N, n : int
    A : tuple of tuple of bool
        The pattern, A[u][i].
    v : tuple of Fraction
    X : tuple of tuple of Fraction
        The generators x̄_i.
    y : tuple of Fraction
    Xi : tuple of tuple of int
        X'_i = D_x x̄_i.
    vi : tuple of int
        v' = D_v v.
    yi : tuple of int
        y'' = D y.
    D, Dx : int
        The scales D = D_x D_v and D_x.

    Raises
    ------
    InvalidTypeError
        ``dataset`` is not a Dataset, ``fit_bias`` not a bool.
    InvalidInputError
        No labels, a malformed pattern, v of the wrong length or not finite, unknown loss.
    """

    def __init__(self, dataset, pattern, v, loss: str = "mse", fit_bias: bool = True):
        if not isinstance(dataset, Dataset):
            raise InvalidTypeError(f"dataset must be a zonocomb Dataset, got {type(dataset).__name__}")
        if not isinstance(fit_bias, (bool, np.bool_)):
            raise InvalidTypeError(f"fit_bias must be a bool, got {fit_bias!r}")
        self.loss = check_loss(loss)
        if dataset.y_exact is None:
            raise InvalidInputError("the region program needs labels, but the dataset has none (y=None)")
        self.dataset = dataset
        self.fit_bias = bool(fit_bias)
        v_list = list(np.asarray(v, dtype=object).reshape(-1)) if not isinstance(v, (list, tuple)) else list(v)
        if not v_list:
            raise InvalidInputError("output weights v must be non-empty")
        self.v = tuple(to_fraction(x, where=f"output weight v[{u}]") for u, x in enumerate(v_list))
        self.m, self.N, self.n = len(self.v), dataset.N, dataset.n
        self.X = dataset.generators_exact
        self.y = dataset.y_exact
        self.Dx = _lcm_of_denominators([x for row in self.X for x in row] + list(self.y))
        Dv = _lcm_of_denominators(self.v)
        self.D = self.Dx * Dv
        self.Xi = tuple(tuple(int(x * self.Dx) for x in row) for row in self.X)
        self.vi = tuple(int(x * Dv) for x in self.v)
        self.yi = tuple(int(x * self.D) for x in self.y)
        self._XiT = np.array(self.Xi, dtype=object).T
        self._yi = np.array(self.yi, dtype=object)
        self._set_pattern(pattern)
        #: float copies of the data, for reading float hints only
        self.X_float = np.array([[float(x) for x in row] for row in self.X])
        self.y_float = np.array([float(x) for x in self.y])
        self.v_float = np.array([float(x) for x in self.v])

    def _set_pattern(self, pattern) -> None:
        self.A = tuple(tuple(bool(a) for a in row) for row in check_pattern(pattern, self.m, self.N))
        #: v'_u A_ui, an (m, N) object array of ints
        self._VA = np.array([[vu if a else 0 for a in row] for vu, row in zip(self.vi, self.A)], dtype=object)

    def with_pattern(self, pattern) -> "ExactProgram":
        """The program of another pattern on the same data (the integer scaling is shared)."""
        other = copy.copy(self)
        other._set_pattern(pattern)
        return other

    def sign(self, u: int, i: int) -> int:
        """s_ui = 2 A_ui − 1."""
        return 1 if self.A[u][i] else -1

    def preactivations(self, W) -> np.ndarray:
        """w_u · X'_i for every unit and example, an (m, N) object array (exact; D_x w_u·x̄_i)."""
        return np.array(W, dtype=object).reshape(self.m, self.n) @ self._XiT

    def scaled_residual(self, W, c, den=1) -> list:
        """den · r''_i = den · D (ŷ_i − y_i) at (W/den, c/den), exact (integers for integer W, c)."""
        r = (self._VA * self.preactivations(W)).sum(axis=0) + (self.D * c) - den * self._yi
        return r.tolist()
