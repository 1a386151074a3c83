"""Training datasets held as exact rationals (paper section 2).

A dataset is N examples x_i in R^d with optional labels y_i. Its *generators* are the vectors
that span the zonotope (paper eq. 6): the homogenized examples x̄_i = (x_i, 1) for the biased
ReLU of section 2, or the raw x_i for the bias-free ReLU of appendix E.
"""
from __future__ import annotations

import csv
import os
import re
import warnings
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError, InvalidTypeError, ZonocombWarning
from ..exact.rational import to_fraction, to_fraction_matrix

if TYPE_CHECKING:
    from .arrangement import HyperplaneArrangement
    from .zonotope import Zonotope

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
    y_exact : tuple of Fraction, shape (N,), or None
        The labels as given, read exactly (None without labels).
    y : numpy.ndarray, shape (N,), or None
        The labels as floats (nearest double), for the convex programs.
    homogenize : bool

    Raises
    ------
    InvalidInputError
        No examples, ragged rows, NaN/inf or unparsable entries (the message names the row), or a
        label count different from the example count.
    InvalidTypeError
        ``homogenize`` is not a bool (``"no"`` would otherwise count as True).

    Examples
    --------
    >>> ds = Dataset([[0, 0], [1, "1/2"]], y=[1, 0])
    >>> ds.N, ds.d, ds.n
    (2, 2, 3)
    >>> ds.generators_exact[1]
    (Fraction(1, 1), Fraction(1, 2), Fraction(1, 1))
    """

    def __init__(self, X: ArrayLike, y: ArrayLike | None = None, homogenize: bool = True):
        if isinstance(X, Dataset):
            raise InvalidInputError("X is already a Dataset; pass its X_exact instead")
        rows = to_fraction_matrix(X, name="X")
        self._X = tuple(tuple(r) for r in rows)
        if not isinstance(homogenize, (bool, np.bool_)):
            raise InvalidTypeError(f"homogenize must be True or False, got {homogenize!r}")
        self.homogenize = bool(homogenize)
        if y is None:
            self._y = None
        else:
            y_list = list(np.asarray(y, dtype=object).reshape(-1)) if not isinstance(y, (list, tuple)) else list(y)
            if len(y_list) != len(self._X):
                raise InvalidInputError(
                    f"y has {len(y_list)} labels but X has {len(self._X)} examples (label count mismatch)")
            self._y = tuple(to_fraction(v, where=f"label {i} (0-based) of y") for i, v in enumerate(y_list))

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
        """The examples as floats (nearest double), for the floating-point paths.

        Raises
        ------
        InvalidInputError
            An example has an entry beyond the double range (about 1.8e308).
        """
        return np.array([_floats(row, f"row {i} (0-based) of X") for i, row in enumerate(self._X)], dtype=float)

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
        return None if self._y is None else np.array(_floats(self._y, "y"), dtype=float)

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

    def general_position_witness(self) -> tuple[int, ...] | None:
        """A tuple of example indices whose generators are linearly dependent with at most n
        members, or None when the dataset is in general position (exact)."""
        from .position import general_position_witness
        return general_position_witness(self.generators_exact)

    def zonotope(self) -> "Zonotope":
        """The zonotope Z = Σ [0, x̄_i] of the generators (paper eq. 6)."""
        from .zonotope import Zonotope
        return Zonotope(self.generators_exact)

    def arrangement(self) -> "HyperplaneArrangement":
        """The central arrangement {w : w·x̄_i = 0} in parameter space (appendix A.1)."""
        from .arrangement import HyperplaneArrangement
        return HyperplaneArrangement(self.generators_exact)

    def with_labels(self, y: ArrayLike) -> "Dataset":
        """The same examples with new labels."""
        return Dataset(self._X, y=y, homogenize=self.homogenize)

    def subset(self, indices: Iterable[int]) -> "Dataset":
        """The dataset restricted to the given example indices (in that order)."""
        idx = list(indices)
        y = None if self._y is None else [self._y[i] for i in idx]
        return Dataset([self._X[i] for i in idx], y=y, homogenize=self.homogenize)

    # ----- I/O -----------------------------------------------------------------------------------
    @classmethod
    def from_csv(cls, path: str | os.PathLike, label_column: int | None = -1, homogenize: bool = True, header: bool | None = None) -> "Dataset":
        """Read a dataset from a CSV file (UTF-8, a byte-order mark is allowed).

        Each row is one example; by default its last column is the label (``label_column=-1``);
        ``label_column=None`` reads unlabelled data. Entries are parsed exactly (``"0.1"`` is 1/10,
        ``"3/7"`` is 3/7). Blank lines are skipped. With ``header=None`` the first row is a header
        exactly when none of its cells reads as a number (``p/q`` or anything ``float`` parses); skipping it emits a
        :class:`~zonocomb.errors.ZonocombWarning` naming the row, so no example is dropped silently.

        Raises
        ------
        InvalidInputError
            Missing file, a directory, text that is not UTF-8, no examples, ragged rows, a header
            whose width is not the rows', rows separated by ';' or tabs, or a cell that is not a
            finite rational number (the message gives its 1-based row and column in the file).
        """
        path = Path(path)
        lines = [(n, r) for n, r in _read_csv_rows(path) if any(c.strip() for c in r)]
        if not lines:
            raise InvalidInputError(f"{path} has no rows (no examples)")
        _refuse_other_separators(path, lines)
        if header is None:
            header = not any(_is_number(c) for c in lines[0][1])
            if header:
                warnings.warn(f"{path}: row {lines[0][0]} ({','.join(lines[0][1])[:60]}) has no number "
                              "and is read as a header", ZonocombWarning, stacklevel=2)
        if header:
            (header_row, names), lines = lines[0], lines[1:]
        if not lines:
            raise InvalidInputError(f"{path} has a header but no examples")
        width = len(lines[0][1])
        if header and len(names) != width:
            raise InvalidInputError(f"row {lines[0][0]} of {path} has {width} columns, the header (row "
                                    f"{header_row}) has {len(names)}")
        for n, r in lines:
            if len(r) != width:
                raise InvalidInputError(f"row {n} of {path} has {len(r)} columns, row {lines[0][0]} has "
                                        f"{width} (ragged rows)")
        if label_column is not None and width < 2:
            raise InvalidInputError(f"{path}: a labelled CSV needs at least 2 columns, found {width}")
        rows = [[to_fraction(c, where=f"row {n}, column {j + 1} of {path}") for j, c in enumerate(r)]
                for n, r in lines]
        if label_column is None:
            return cls(rows, homogenize=homogenize)
        col = label_column % width
        X = [[c for j, c in enumerate(r) if j != col] for r in rows]
        y = [r[col] for r in rows]
        return cls(X, y=y, homogenize=homogenize)

    @classmethod
    def from_npy(cls, path: str | os.PathLike, y_path: str | os.PathLike | None = None,
                 homogenize: bool = True) -> "Dataset":
        """Read examples from a ``.npy`` file (2-D numeric array), and labels from ``y_path`` if given.

        Raises
        ------
        InvalidInputError
            Missing file, a directory, a file that is not a readable ``.npy`` (truncated, pickled
            object array), or the checks of the constructor.
        """
        X = _load_npy(path)
        y = None if y_path is None else _load_npy(y_path)
        return cls(X, y=y, homogenize=homogenize)

    def to_csv(self, path: str | os.PathLike) -> None:
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


def _floats(values, where: str) -> list[float]:
    """``values`` (Fractions) as the nearest doubles; an entry that rounds beyond the double range
    (|v| >= 2^1024 − 2^970, which rounds to 2^1024) is an error."""
    out = []
    for v in values:
        try:
            out.append(float(v))
        except OverflowError:
            raise InvalidInputError(
                f"{where} has an entry of about 10^{len(str(abs(int(v)))) - 1}, beyond the floating-point "
                "range (1.8e308) that the float computations (convex programs, fit) need") from None
    return out


_RATIO = re.compile(r"\s*[+-]?\d+\s*/\s*\d+\s*")


def _is_number(cell: str) -> bool:
    """Whether a CSV cell reads as a number: a ratio ``p/q``, or anything ``float`` parses (so
    ``nan`` and ``inf`` count, and are then reported as bad cells)."""
    if _RATIO.fullmatch(cell):
        return True
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _check_input_file(path: Path) -> None:
    if path.is_dir():
        raise InvalidInputError(f"{path} is a directory, not a data file")
    if not path.exists():
        raise InvalidInputError(f"no such file: {path}")


def _refuse_other_separators(path: Path, lines: list[tuple[int, list[str]]]) -> None:
    """Refuse a file with a cell holding ';' or a tab between characters: separated by something
    other than commas (its decimal commas, if any, would otherwise be read as separators)."""
    for n, row in lines:
        for cell in row:
            for sep, name in ((";", "';'"), ("\t", "a tab")):
                if sep in cell.strip():
                    raise InvalidInputError(f"{path}: row {n} holds {name} in a cell; zonocomb reads "
                                            "comma-separated values (',' between cells, '.' as the decimal "
                                            "point)")


def _read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The rows of a CSV file with their 1-based line numbers; errors name the file."""
    _check_input_file(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            return [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                                f"{exc.start})") from None
    except (csv.Error, OSError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from None


def _load_npy(path) -> np.ndarray:
    """``numpy.load`` of a ``.npy`` file without pickles; errors name the file."""
    path = Path(path)
    _check_input_file(path)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        reason = ("it holds Python objects (a pickled object array), not numbers" if "allow_pickle" in str(exc)
                  else f"it is not a complete .npy file ({exc})")
        raise InvalidInputError(f"cannot read {path}: {reason}") from None
    except (OSError, EOFError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from None
