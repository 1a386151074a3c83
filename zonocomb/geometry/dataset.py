"""Training datasets held as exact rationals (paper section 2).

A dataset is N examples x_i in R^d with optional labels y_i. Its *generators* are the vectors
that span the zonotope (paper eq. 6): the homogenized examples x̄_i = (x_i, 1) for the biased
ReLU of section 2, or the raw x_i for the bias-free ReLU of appendix E.
"""
from __future__ import annotations

import csv
from fractions import Fraction
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from ..exact.rational import to_fraction, to_fraction_matrix

__all__ = ["Dataset"]


class Dataset:
    """A training set with exact rational examples.

    Parameters
    ----------
    X : array-like of shape (N, d)
        Examples. Entries may be ints, Fractions, strings such as ``"3/7"`` or ``"0.25"``, or
        floats (converted exactly, bit for bit).
    y : array-like of shape (N,), optional
        Labels (kept as floats, since they only enter the floating-point convex programs;
        ``y_exact`` gives them as Fractions).
    homogenize : bool, default True
        If True the generators are x̄_i = (x_i, 1) (biased ReLU, paper section 2); if False they
        are x_i themselves (bias-free ReLU, appendix E).

    Attributes
    ----------
    N : int
        Number of examples.
    d : int
        Input dimension.
    n : int
        Dimension of parameter space: d + 1 when homogenized, d otherwise.
    X_exact : tuple of tuple of Fraction, shape (N, d)
    X_float : numpy.ndarray, shape (N, d)
    generators_exact : tuple of tuple of Fraction, shape (N, n)
    generators_float : numpy.ndarray, shape (N, n)

    Raises
    ------
    InvalidInputError
        No examples, ragged rows, NaN/inf or unparsable entries (the message names the row), or a
        label count different from the example count.

    Examples
    --------
    >>> ds = Dataset([[0, 0], [1, "1/2"]], y=[1, 0])
    >>> ds.N, ds.d, ds.n
    (2, 2, 3)
    >>> ds.generators_exact[1]
    (Fraction(1, 1), Fraction(1, 2), Fraction(1, 1))
    """

    def __init__(self, X, y=None, homogenize: bool = True):
        if isinstance(X, Dataset):
            raise InvalidInputError("X is already a Dataset; pass its X_exact instead")
        rows = to_fraction_matrix(X, name="X")
        self._X = tuple(tuple(r) for r in rows)
        self.homogenize = bool(homogenize)
        if y is None:
            self._y = None
        else:
            y_list = list(np.asarray(y, dtype=object).reshape(-1)) if not isinstance(y, (list, tuple)) else list(y)
            if len(y_list) != len(self._X):
                raise InvalidInputError(
                    f"y has {len(y_list)} labels but X has {len(self._X)} examples (label count mismatch)")
            self._y = tuple(to_fraction(v, where=f"label {i} of y") for i, v in enumerate(y_list))

    # ----- sizes -------------------------------------------------------------------------------
    @property
    def N(self) -> int:
        return len(self._X)

    @property
    def d(self) -> int:
        return len(self._X[0])

    @property
    def n(self) -> int:
        return self.d + 1 if self.homogenize else self.d

    # ----- exact and float views ------------------------------------------------------------------
    @property
    def X_exact(self) -> tuple[tuple[Fraction, ...], ...]:
        return self._X

    @cached_property
    def X_float(self) -> np.ndarray:
        return np.array([[float(v) for v in row] for row in self._X], dtype=float)

    @cached_property
    def generators_exact(self) -> tuple[tuple[Fraction, ...], ...]:
        if self.homogenize:
            return tuple(row + (Fraction(1),) for row in self._X)
        return self._X

    @cached_property
    def generators_float(self) -> np.ndarray:
        if self.homogenize:
            return np.hstack([self.X_float, np.ones((self.N, 1))])
        return self.X_float.copy()

    @property
    def y_exact(self) -> tuple[Fraction, ...] | None:
        return self._y

    @cached_property
    def y(self) -> np.ndarray | None:
        return None if self._y is None else np.array([float(v) for v in self._y], dtype=float)

    def require_labels(self) -> np.ndarray:
        """Return ``y`` as floats, or raise InvalidInputError when the dataset has no labels."""
        if self._y is None:
            raise InvalidInputError("this operation needs labels, but the dataset has none (y=None)")
        return self.y

    # ----- derived objects --------------------------------------------------------------------------
    def in_general_position(self) -> bool:
        """Exact test of general position (affine when homogenized, linear when bias-free).

        See :func:`zonocomb.geometry.position.general_position_witness`.
        """
        return self.general_position_witness() is None

    def general_position_witness(self):
        """A tuple of example indices whose generators are linearly dependent with at most n
        members, or None when the dataset is in general position (exact)."""
        from .position import general_position_witness
        return general_position_witness(self.generators_exact)

    def zonotope(self):
        """The zonotope Z = Σ [0, x̄_i] of the generators (paper eq. 6)."""
        from .zonotope import Zonotope
        return Zonotope(self.generators_exact)

    def arrangement(self):
        """The central arrangement {w : w·x̄_i = 0} in parameter space (appendix A.1)."""
        from .arrangement import HyperplaneArrangement
        return HyperplaneArrangement(self.generators_exact)

    def with_labels(self, y) -> "Dataset":
        """The same examples with new labels."""
        return Dataset(self._X, y=y, homogenize=self.homogenize)

    def subset(self, indices) -> "Dataset":
        """The dataset restricted to the given example indices (in that order)."""
        idx = list(indices)
        y = None if self._y is None else [self._y[i] for i in idx]
        return Dataset([self._X[i] for i in idx], y=y, homogenize=self.homogenize)

    # ----- I/O -----------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path, label_column: int | None = -1, homogenize: bool = True, header: bool | None = None):
        """Read a dataset from a CSV file.

        Each row is one example; by default its last column is the label (``label_column=-1``);
        ``label_column=None`` reads unlabelled data. Entries are parsed exactly (``"0.1"`` is 1/10,
        ``"3/7"`` is 3/7). A first row that does not parse as numbers is taken as a header.
        """
        path = Path(path)
        if not path.exists():
            raise InvalidInputError(f"no such file: {path}")
        with path.open(newline="") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
        if not rows:
            raise InvalidInputError(f"{path} has no rows (no examples)")
        if header is None:
            try:
                [Fraction(c.strip()) for c in rows[0]]
                header = False
            except (ValueError, ZeroDivisionError):
                header = True
        if header:
            rows = rows[1:]
        if not rows:
            raise InvalidInputError(f"{path} has a header but no examples")
        if label_column is None:
            return cls(rows, homogenize=homogenize)
        width = len(rows[0])
        if width < 2:
            raise InvalidInputError(f"{path}: a labelled CSV needs at least 2 columns, found {width}")
        for i, r in enumerate(rows):
            if len(r) != width:
                raise InvalidInputError(f"row {i} of {path} has {len(r)} columns, row 0 has {width} (ragged rows)")
        col = label_column % width
        X = [[c for j, c in enumerate(r) if j != col] for r in rows]
        y = [r[col] for r in rows]
        return cls(X, y=y, homogenize=homogenize)

    @classmethod
    def from_npy(cls, path, y_path=None, homogenize: bool = True):
        """Read examples from a ``.npy`` file (2-D array), and labels from ``y_path`` if given."""
        X = np.load(path, allow_pickle=False)
        y = None if y_path is None else np.load(y_path, allow_pickle=False)
        return cls(X, y=y, homogenize=homogenize)

    def to_csv(self, path) -> None:
        """Write the examples (and labels, as the last column) exactly as fractions."""
        with Path(path).open("w", newline="") as fh:
            w = csv.writer(fh)
            for i, row in enumerate(self._X):
                cells = [str(v) for v in row]
                if self._y is not None:
                    cells.append(str(self._y[i]))
                w.writerow(cells)

    def __repr__(self) -> str:
        kind = "homogenized" if self.homogenize else "bias-free"
        lab = "labelled" if self._y is not None else "unlabelled"
        return f"Dataset(N={self.N}, d={self.d}, {kind}, {lab})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Dataset) and self._X == other._X and self._y == other._y
                and self.homogenize == other.homogenize)

    def __hash__(self) -> int:
        return hash((self._X, self._y, self.homogenize))
