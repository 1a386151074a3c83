"""Exact rational numbers and linear algebra over Q.

Everything here takes ints or Fractions and returns ints or Fractions; no tolerance is ever used.
Matrices are lists of rows (lists of Fraction).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Rational
from typing import Sequence

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, TooLargeError

__all__ = [
    "MAX_DIGITS", "to_fraction", "to_fraction_matrix", "primitive_scale", "integer_rows", "rank", "solve",
    "nullspace", "determinant", "matmul", "transpose", "particular_solution", "particular_solution_int",
]


#: Largest number of decimal digits of the numerator or the denominator of a value read from a
#: string (``to_fraction``). Every finite float fits (its exact numerator and denominator have at
#: most 309 and 324 digits); beyond it exact arithmetic on the value would be impractically slow,
#: so ``"1e10000000"`` is refused rather than expanded into ten million digits.
MAX_DIGITS = 1000

_DECIMAL_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)\s*$")


def _check_digits(text: str, where: str) -> None:
    """Refuse a numeric string whose exact value would have more than MAX_DIGITS digits, before
    Python expands it (the check reads the exponent and the digit count of the string)."""
    exponent = _DECIMAL_EXPONENT.search(text)
    mantissa = text[:exponent.start()] if exponent else text
    digits = max(sum(ch.isdigit() for ch in part) for part in mantissa.split("/"))
    if exponent and len(exponent.group(1).lstrip("+-")) > 6:
        magnitude = "more than a million"
    else:
        size = digits + (abs(int(exponent.group(1))) if exponent else 0)
        if size <= MAX_DIGITS:
            return
        magnitude = f"about {size}"
    raise TooLargeError(f"{where} contains {text[:40]!r}{'...' if len(text) > 40 else ''}, whose exact "
                        f"form has {magnitude} digits; at most {MAX_DIGITS} are allowed (MAX_DIGITS)")


def to_fraction(value, where: str = "value") -> Fraction:
    """Convert ``value`` exactly to a :class:`fractions.Fraction`.

    Accepts ints, Fractions (anything ``numbers.Rational``), numpy integers and floats, Python
    floats (converted exactly: ``0.1`` becomes ``3602879701896397/36028797018963968``), and strings
    such as ``"3/7"``, ``"-2"``, ``"0.25"`` or ``"1e-3"`` (decimal strings are read exactly as
    written, so ``"0.1"`` is ``1/10``).

    Raises
    ------
    InvalidInputError
        NaN, infinity, or a string that is not a rational number; the message contains ``where``.
    TooLargeError
        A string whose exact numerator or denominator would have more than :data:`MAX_DIGITS`
        decimal digits (such as ``"1e10000000"``); refused before it is expanded.
    InvalidTypeError
        Any other type (complex, None, lists...).
    """
    if isinstance(value, (bool, np.bool_)):
        raise InvalidTypeError(f"{where} is a boolean ({value!r}); expected a number")
    if isinstance(value, Rational):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, np.integer):
        return Fraction(int(value))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise InvalidInputError(f"{where} contains {value!r}; only finite numbers are allowed")
        return Fraction(float(value))
    if isinstance(value, str):
        text = value.strip()
        _check_digits(text, where)
        try:
            result = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise InvalidInputError(f"{where} contains {value!r}, which is not a rational number") from None
        return result
    raise InvalidTypeError(f"{where} has type {type(value).__name__} ({value!r}); expected a number")


def to_fraction_matrix(rows, name: str = "X") -> list[list[Fraction]]:
    """Convert a 2-D array-like to a list of rows of Fractions, checking it is rectangular.

    Raises
    ------
    InvalidInputError
        Empty input, ragged rows, or a non-finite / unparsable entry (the message names the row).
    """
    if isinstance(rows, np.ndarray):
        if rows.ndim != 2:
            raise InvalidInputError(f"{name} must be 2-dimensional, got an array of shape {rows.shape}")
        rows = rows.tolist()
    try:
        rows = [list(r) if not isinstance(r, str) else [r] for r in rows]
    except TypeError:
        raise InvalidTypeError(f"{name} must be a 2-D array-like (a sequence of rows), got "
                               f"{type(rows).__name__}") from None
    if not rows:
        raise InvalidInputError(f"{name} has no rows (no examples)")
    width = len(rows[0])
    if width == 0:
        raise InvalidInputError(f"row 0 of {name} is empty")
    out = []
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InvalidInputError(f"row {i} (0-based) of {name} has {len(row)} entries, row 0 has {width} (ragged rows)")
        out.append([to_fraction(v, where=f"row {i} (0-based) of {name}") for v in row])
    return out


def primitive_scale(row: Sequence[Fraction]) -> Fraction:
    """The positive rational s such that s·row is a primitive integer vector (1 for a zero row)."""
    den = 1
    for v in row:
        den = den * v.denominator // math.gcd(den, v.denominator)
    g = 0
    for v in row:
        g = math.gcd(g, int(v * den))
    return Fraction(den, g) if g else Fraction(1)


def integer_rows(rows: Sequence[Sequence[Fraction]]) -> list[list[int]]:
    """Scale each row by a positive rational so it becomes a primitive integer vector.

    Positive scaling of a generator leaves every sign ``sign(w·x)`` unchanged, so the chambers of
    the arrangement and the barcodes of the zonotope are the same for the scaled rows.
    Zero rows stay zero.
    """
    out = []
    for row in rows:
        s = primitive_scale(row)
        out.append([int(v * s) for v in row])
    return out


def transpose(a: Sequence[Sequence]) -> list[list]:
    """Transpose of a list-of-rows matrix."""
    return [list(col) for col in zip(*a)]


def matmul(a: Sequence[Sequence], b: Sequence[Sequence]) -> list[list]:
    """Exact matrix product of list-of-rows matrices."""
    bt = transpose(b)
    return [[sum((x * y for x, y in zip(row, col)), Fraction(0)) for col in bt] for row in a]


def _row_echelon(a: Sequence[Sequence]) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form over Q and the pivot columns (Gauss-Jordan, exact)."""
    m = [[Fraction(v) for v in row] for row in a]
    n_rows = len(m)
    n_cols = len(m[0]) if m else 0
    pivots: list[int] = []
    r = 0
    for c in range(n_cols):
        p = next((i for i in range(r, n_rows) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        inv = 1 / m[r][c]
        m[r] = [v * inv for v in m[r]]
        for i in range(n_rows):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [vi - f * vr for vi, vr in zip(m[i], m[r])]
        pivots.append(c)
        r += 1
        if r == n_rows:
            break
    return m, pivots


def rank(a: Sequence[Sequence]) -> int:
    """Exact rank of a rational matrix."""
    if not a or not a[0]:
        return 0
    return len(_row_echelon(a)[1])


def determinant(a: Sequence[Sequence]) -> Fraction:
    """Exact determinant of a square rational matrix (fraction-free Bareiss elimination)."""
    n = len(a)
    if any(len(row) != n for row in a):
        raise InvalidInputError("determinant needs a square matrix")
    if n == 0:
        return Fraction(1)
    # Bareiss on the common-denominator integer matrix keeps every intermediate an integer.
    den = 1
    for row in a:
        for v in row:
            den = den * Fraction(v).denominator // math.gcd(den, Fraction(v).denominator)
    m = [[int(Fraction(v) * den) for v in row] for row in a]
    sign, prev = 1, 1
    for k in range(n - 1):
        if m[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if m[i][k] != 0), None)
            if swap is None:
                return Fraction(0)
            m[k], m[swap] = m[swap], m[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // prev
        prev = m[k][k]
    return Fraction(sign * m[n - 1][n - 1], den ** n)


def solve(a: Sequence[Sequence], b: Sequence) -> list[Fraction]:
    """Solve the square, nonsingular system ``a x = b`` exactly.

    Raises
    ------
    InvalidInputError
        If ``a`` is singular.
    """
    n = len(a)
    aug = [list(row) + [b[i]] for i, row in enumerate(a)]
    red, pivots = _row_echelon(aug)
    if pivots != list(range(n)):
        raise InvalidInputError("the linear system is singular")
    return [red[i][n] for i in range(n)]


def particular_solution(a: Sequence[Sequence], b: Sequence) -> list[Fraction] | None:
    """One solution x of the (possibly singular or non-square) system ``a x = b``, exact.

    The free variables of the echelon form are set to 0 (a basic solution). Returns None when the
    system is inconsistent. See :func:`particular_solution_int`.
    """
    sol = particular_solution_int(a, b)
    return None if sol is None else [Fraction(v, sol[1]) for v in sol[0]]


def particular_solution_int(a: Sequence[Sequence], b: Sequence) -> tuple[list[int], int, int] | None:
    """:func:`particular_solution` as integer numerators over one positive common denominator.

    Rows are scaled to integers and reduced by fraction-free (Bareiss) elimination, whose exact
    divisions keep every entry an integer (a minor of the augmented matrix); the back substitution
    keeps a common denominator. Cost O(rows · cols · rank) integer operations.

    Returns
    -------
    (numerators, denominator, rank of a) or None when the system is inconsistent.
    """
    n_cols = len(a[0]) if a else 0
    M = []
    for row, rhs in zip(a, b):
        full = list(row) + [rhs]
        if all(type(v) is int for v in full):
            M.append(full)
            continue
        full = [Fraction(v) for v in full]
        den = 1
        for v in full:
            den = den * v.denominator // math.gcd(den, v.denominator)
        M.append([int(v * den) for v in full])
    n_rows = len(M)
    pivots: list[int] = []
    prev, r = 1, 0
    for c in range(n_cols):
        p = next((i for i in range(r, n_rows) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        top, piv = M[r], M[r][c]
        for i in range(r + 1, n_rows):
            row = M[i]
            f = row[c]
            row[c] = 0
            for j in range(c + 1, n_cols + 1):
                row[j] = (row[j] * piv - f * top[j]) // prev
        prev = piv
        pivots.append(c)
        r += 1
        if r == n_rows:
            break
    if any(M[i][n_cols] != 0 for i in range(r, n_rows)):
        return None
    # back substitution over a common denominator: x = num / den
    num, den = [0] * n_cols, 1
    for k in range(r - 1, -1, -1):
        c, row = pivots[k], M[k]
        s = row[n_cols] * den - sum(row[j] * num[j] for j in pivots[k + 1:])
        piv = row[c]
        g = math.gcd(s, piv)
        s, piv = s // g, piv // g
        if piv < 0:
            s, piv = -s, -piv
        if piv != 1:
            num = [v * piv for v in num]
            den *= piv
        num[c] = s
    g = math.gcd(den, *num)
    return [v // g for v in num], den // g, r


def nullspace(a: Sequence[Sequence], n_cols: int | None = None) -> list[list[Fraction]]:
    """A basis (list of vectors) of the right null space {x : a x = 0}, exact."""
    if n_cols is None:
        n_cols = len(a[0])
    if not a:
        return [[Fraction(int(i == j)) for j in range(n_cols)] for i in range(n_cols)]
    red, pivots = _row_echelon(a)
    free = [c for c in range(n_cols) if c not in pivots]
    basis = []
    for f in free:
        x = [Fraction(0)] * n_cols
        x[f] = Fraction(1)
        for r, p in enumerate(pivots):
            x[p] = -red[r][f]
        basis.append(x)
    return basis
