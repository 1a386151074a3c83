"""Chambers of the central arrangement {w : w·x_i = 0}, i.e. the vertices of the dual zonotope.

The N generators x_i in Q^n (homogenized examples x̄_i, or raw x_i for the bias-free ReLU) cut
parameter space into open polyhedral cones, the chambers (paper section 3, appendix A.1); their sign
vectors are the activation patterns and the vertex barcodes of the zonotope Z = Σ [0, x_i]
(appendix A.3). Every function here returns the chambers as a numpy bool array of shape (K, N), one
row per chamber, True where w·x_i > 0, rows sorted lexicographically (False < True).

Three enumerators:

* :func:`chambers_exact` — exact and output-sensitive, no linear program per cell:
  every chamber of an essential arrangement is a pointed cone whose extreme rays are lines where
  hyperplanes meet; each line is the cofactor vector of n−1 generators; the signs of all
  generators on it plus every chamber of the (smaller) arrangement of the generators through it
  give every chamber touching it. Signs are exact integers (int64 when no overflow is possible,
  otherwise the filtered float predicate of :mod:`zonocomb.exact.predicates` with an exact
  fallback).
* :func:`chambers_float` — the same algorithm in floating point with a tolerance (float, fast,
  may be wrong on degenerate or ill-conditioned data).
* :func:`chambers_baseline` — the straightforward incremental method with one exact cddlib linear
  program per (cell, hyperplane), kept as an independent reference and for the benchmark.

Zero generators are rejected (:class:`~zonocomb.errors.InvalidInputError`): a zero vector defines
no hyperplane, has sign 0 on every chamber, and the barcode entry of its segment [0, 0] is undefined.
Data not in general position are fine: parallel and antiparallel generators are merged into classes
first, arrangements that do not span Q^n are projected onto the span of the generators (their
chambers are then not pointed), and lines where more than n−1 hyperplanes meet are resolved by
enumerating the chambers of the hyperplanes through them recursively.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import InvalidInputError
from ..exact import solve_lp
from ..exact.rational import integer_rows, to_fraction_matrix
from ..exact.predicates import TINY, certified_signs, exact_sign, rounding_factor
from .position import cofactor_vectors, column_basis, combination_blocks, int64_safe, scaled_float_rows

__all__ = ["chambers", "chambers_exact", "chambers_float", "chambers_baseline",
           "chamber_interior_point", "integer_generators", "parallel_classes"]


# ----- input ---------------------------------------------------------------------------------------

def integer_generators(generators, name: str = "generators") -> list[list[int]]:
    """Exact generator rows scaled to primitive integer vectors; zero rows are rejected.

    Raises
    ------
    InvalidInputError
        Empty, ragged, non-finite or unparsable input, or a zero generator (the message names it).
    InvalidTypeError
        Entries that are not numbers.
    """
    rows = integer_rows(to_fraction_matrix(generators, name=name))
    for i, row in enumerate(rows):
        if not any(row):
            raise InvalidInputError(
                f"generator {i} (0-based) of {name} is the zero vector; it defines no hyperplane and its "
                "barcode entry is undefined (remove zero generators first)")
    return rows


def parallel_classes(int_rows: Sequence[Sequence[int]]):
    """Group nonzero integer rows into parallel classes (x_j = c·x_i, c ≠ 0), exactly.

    Returns
    -------
    reps : list of list of int
        One primitive representative per class, its first nonzero entry positive.
    class_of : numpy.ndarray of int, shape (N,)
        The class of every row.
    flip : numpy.ndarray of bool, shape (N,)
        True where the row is a negative multiple of its class representative.

    Notes
    -----
    Two generators in one class always have equal (or, if flipped, opposite) signs w·x_i, so they
    cross the same hyperplane; a zonotope edge flips a whole class at once (appendix A.3).
    """
    index: dict[tuple, int] = {}
    reps, class_of, flip = [], [], []
    for row in int_rows:
        lead = next(v for v in row if v)
        g = math.gcd(*row) * (1 if lead > 0 else -1)
        key = tuple(v // g for v in row)
        if key not in index:
            index[key] = len(reps)
            reps.append(list(key))
        class_of.append(index[key])
        flip.append(lead < 0)
    return reps, np.array(class_of, dtype=np.int64), np.array(flip, dtype=bool)


# ----- sign vectors packed into uint64 words (bit j of a row is most significant first) -------------

def pack_barcodes(B: np.ndarray) -> np.ndarray:
    K, M = B.shape
    W = max(1, (M + 63) // 64)
    by = np.packbits(B, axis=1)
    if by.shape[1] < 8 * W:
        by = np.hstack([by, np.zeros((K, 8 * W - by.shape[1]), dtype=np.uint8)])
    return np.ascontiguousarray(by).view(">u8").astype(np.uint64).reshape(K, W)


def unpack_barcodes(P: np.ndarray, M: int) -> np.ndarray:
    by = np.ascontiguousarray(P.astype(">u8")).view(np.uint8).reshape(len(P), -1)
    return np.unpackbits(by, axis=1, count=M).astype(bool)


def _unique_rows(P: np.ndarray) -> np.ndarray:
    """Distinct rows of a packed array, sorted lexicographically (word 0 most significant)."""
    if len(P) <= 1:
        return P
    order = np.lexsort(P.T[::-1])
    P = P[order]
    keep = np.r_[True, (P[1:] != P[:-1]).any(axis=1)]
    return P[keep]


def _full_mask(M: int) -> np.ndarray:
    return pack_barcodes(np.ones((1, M), dtype=bool))[0]


def sort_barcodes(B: np.ndarray) -> np.ndarray:
    """Distinct rows of a bool array, sorted lexicographically (False < True)."""
    if len(B) == 0:
        return B.astype(bool)
    return unpack_barcodes(_unique_rows(pack_barcodes(B)), B.shape[1])


# ----- sign oracles -----------------------------------------------------------------------------------

class _ExactRays:
    """Exact signs of every row of an essential integer configuration Y on the rays of subsets."""

    def __init__(self, Y: list[list[int]]):
        self.Y = Y
        self.r = len(Y[0])
        if int64_safe(Y, self.r - 1):
            self.Y64 = np.array(Y, dtype=np.int64)
        else:
            self.Y64 = None
            self.Yf = scaled_float_rows(Y)
            self.Yf_abs = np.abs(self.Yf)
            self.Yobj = np.array(Y, dtype=object)

    def signs(self, combos: np.ndarray):
        """Rays u of the (r−1)-subsets ``combos`` that are nonzero, and sign(Y u), shape (R, M)."""
        if self.Y64 is not None:
            U = cofactor_vectors(self.Y64[combos])
            keep = U.any(axis=1)
            U, combos = U[keep], combos[keep]
            V = U[:, :1] * self.Y64[:, 0]
            for j in range(1, self.r):
                V += U[:, j:j + 1] * self.Y64[:, j]
            return combos, np.sign(V).astype(np.int8)
        return self._filtered(combos)

    def _filtered(self, combos: np.ndarray):
        # The float Laplace expansion of a k×k minor has error <= γ_m · perm|M| with
        # m <= k(k+1)/2 + k roundings per term (input rounding, one product and <= t additions per
        # level); the dot product with a row adds r+1. (r+1)² roundings cover both for every
        # r >= 2 (exact.predicates.rounding_factor); TINY covers underflow (entries are scaled <= 1).
        # A ray whose exact cofactor vector is 0 (dependent rows) leaves every product within the
        # bound, and every ray has a row outside its subset (M >= r), so it is re-checked exactly.
        r = self.r
        Mf = self.Yf[combos]
        Uf = cofactor_vectors(Mf)
        Up = cofactor_vectors(Mf, absolute=True)
        c = rounding_factor((r + 1) ** 2)
        S, undecided = certified_signs(Uf @ self.Yf.T, c * (Up @ self.Yf_abs.T) + TINY)
        R = len(combos)
        rows = np.arange(R)[:, None]
        S[rows, combos] = 0                   # a ray lies on the hyperplanes that define it
        undecided[rows, combos] = False
        need = np.flatnonzero(undecided.any(axis=1))
        keep = np.ones(R, dtype=bool)
        if len(need):
            exact = cofactor_vectors(self.Yobj[combos[need]])
            for u, i in zip(exact, need):
                u = [int(v) for v in u]
                if not any(u):
                    keep[i] = False
                    continue
                for j in np.flatnonzero(undecided[i]):
                    S[i, j] = exact_sign(sum(a * b for a, b in zip(self.Y[j], u)))
        return combos[keep], S[keep]


class _ExactBackend:
    """Exact integer operations used by :func:`_core` (rows are lists of Python ints)."""

    @staticmethod
    def essential(Y):
        cols = column_basis(Y)
        return Y if len(cols) == len(Y[0]) else [[row[c] for c in cols] for row in Y]

    @staticmethod
    def shape(Y):
        return len(Y), len(Y[0])

    @staticmethod
    def positive_1d(Y):
        return np.array([row[0] > 0 for row in Y])

    @staticmethod
    def rays(Y):
        return _ExactRays(Y)

    @staticmethod
    def take(Y, idx):
        return [Y[j] for j in idx]


class _FloatRays:
    def __init__(self, Y: np.ndarray, tol: float):
        self.Y, self.Yabs, self.tol = Y, np.abs(Y), tol

    def signs(self, combos: np.ndarray):
        Mf = self.Y[combos]
        Uf = cofactor_vectors(Mf)
        Up = cofactor_vectors(Mf, absolute=True)
        keep = (np.abs(Uf) > self.tol * Up).any(axis=1)
        Uf, Up, combos = Uf[keep], Up[keep], combos[keep]
        V = Uf @ self.Y.T
        S = np.sign(V).astype(np.int8)
        S[np.abs(V) <= self.tol * (Up @ self.Yabs.T)] = 0
        S[np.arange(len(combos))[:, None], combos] = 0
        return combos, S


class _FloatBackend:
    """Floating-point counterparts with a relative tolerance (rows are float arrays)."""

    def __init__(self, tol: float):
        self.tol = tol

    def essential(self, Y):
        from scipy.linalg import qr
        R, piv = qr(Y, mode="r", pivoting=True)
        diag = np.abs(np.diag(R))
        rank = int(np.sum(diag > self.tol * max(diag[0], 1e-300) * max(Y.shape)))
        cols = np.sort(piv[:max(rank, 1)])
        return Y[:, cols]

    @staticmethod
    def shape(Y):
        return Y.shape

    @staticmethod
    def positive_1d(Y):
        return Y[:, 0] > 0

    def rays(self, Y):
        return _FloatRays(Y, self.tol)

    @staticmethod
    def take(Y, idx):
        return Y[idx]


# ----- the ray-based enumerator ------------------------------------------------------------------------

def _simple_ray_chambers(base: np.ndarray, combos: np.ndarray) -> np.ndarray:
    """Packed chambers at simple rays: the ray's signs, with all 2^k sign choices on its k hyperplanes."""
    R, k = combos.shape
    words = pack_barcodes(base)
    C = 1 << k
    out = np.repeat(words[:, None, :], C, axis=1)
    rows = np.arange(R)[:, None]
    choices = np.arange(C)
    for q in range(k):
        pos = combos[:, q]
        word = pos // 64
        bit = np.left_shift(np.uint64(1), (63 - pos % 64).astype(np.uint64))
        chosen = choices[(choices >> q) & 1 == 1]
        out[rows, chosen[None, :], word[:, None]] |= bit[:, None]
    return out.reshape(R * C, -1)


def _core(Y, backend) -> np.ndarray:
    """Chambers (bool, shape (K, M), distinct) of the arrangement of M pairwise non-parallel rows."""
    Y = backend.essential(Y)
    M, r = backend.shape(Y)
    if r == 1:
        pos = backend.positive_1d(Y)
        return sort_barcodes(np.array([pos, ~pos]))
    rays = backend.rays(Y)
    k = r - 1
    seen_lines: set[bytes] = set()
    found: list[np.ndarray] = []
    for combos in combination_blocks(M, k, max(256, (1 << 21) // M)):
        combos, S = rays.signs(combos)
        if not len(combos):
            continue
        zero = S == 0
        simple = zero.sum(axis=1) == k
        parts = []
        if simple.any():
            parts.append(_simple_ray_chambers(S[simple] > 0, combos[simple]))
        for s, z, key in zip(S[~simple], zero[~simple], pack_barcodes(zero[~simple])):
            # more than r−1 hyperplanes through this line: the chambers around it are those of the
            # arrangement of the hyperplanes containing it (rank r−1), found recursively
            key = key.tobytes()
            if key in seen_lines:
                continue
            seen_lines.add(key)
            Z = np.flatnonzero(z)
            local = _core(backend.take(Y, Z), backend)
            rows = np.repeat((s > 0)[None, :], len(local), axis=0)
            rows[:, Z] = local
            parts.append(pack_barcodes(rows))
        found.append(_unique_rows(np.concatenate(parts)))
        if len(found) > 8:
            found = [_unique_rows(np.concatenate(found))]
    # Each line was used with one orientation; a chamber whose extreme ray is the other one is the
    # negative of a chamber found at this one (central symmetry), so add all complements.
    D = _unique_rows(np.concatenate(found))
    return unpack_barcodes(_unique_rows(np.concatenate([D, D ^ _full_mask(M)])), M)


def _expand(core: np.ndarray, class_of: np.ndarray, flip: np.ndarray) -> np.ndarray:
    return sort_barcodes(core[:, class_of] ^ flip[None, :])


def chambers_exact(generators) -> np.ndarray:
    """All chambers of the central arrangement {w : w·x_i = 0}, exact and without linear programs.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        Rational rows x_i (ints, Fractions, decimal strings, floats converted exactly), nonzero.

    Returns
    -------
    numpy.ndarray of bool, shape (K, N)
        One row per chamber: True where w·x_i > 0 on it. Equivalently the vertex barcodes of the
        zonotope Σ [0, x_i] (paper appendix A.3). Rows sorted lexicographically.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Bad input or a zero generator.

    Examples
    --------
    >>> chambers_exact([[1, 0], [0, 1], [1, 1]]).astype(int).tolist()
    [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 1]]

    Notes
    -----
    1. Rows are scaled to primitive integers and merged into parallel classes (±x give one
       hyperplane); the M class representatives are projected onto r independent coordinates
       (r = rank; then the arrangement is essential and every chamber is a pointed cone).
    2. For every (r−1)-subset its cofactor vector u (signed minors, exact) spans a line of the
       arrangement when nonzero; the signs of all representatives on u are computed exactly.
    3. At a simple line (exactly r−1 hyperplanes through it, always so in general position) the
       chambers containing u in their closure are the 2^(r−1) sign choices on those hyperplanes;
       at a degenerate line they are the chambers of the arrangement of the hyperplanes through it,
       enumerated recursively. Every chamber has an extreme ray, so all chambers are found; lines
       are used with one orientation and the set is closed under negation at the end.
    Cost O(C(M, r−1) · (r·2^(r−1) + M + 2^(r−1))) word operations plus sorting of the packed sign
    vectors, i.e. output-sensitive: in general position each chamber is produced once per
    extreme ray. N = 100 generic points in R³ (323,600 chambers) take seconds.

    References
    ----------
    Paper section 3, appendices A.1 and A.3; docs/design.md §6 ("Chambers without linear programs").
    """
    X = integer_generators(generators)
    reps, class_of, flip = parallel_classes(X)
    return _expand(_core(reps, _ExactBackend), class_of, flip)


def _float_generators(generators) -> np.ndarray:
    try:
        F = np.array(generators, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError("generators must be a rectangular 2-D array of numbers") from None
    if F.ndim != 2 or F.shape[0] == 0 or F.shape[1] == 0:
        raise InvalidInputError(f"generators must be a nonempty 2-D array, got shape {F.shape}")
    bad = np.flatnonzero(~np.isfinite(F).all(axis=1))
    if len(bad):
        raise InvalidInputError(f"row {bad[0]} (0-based) of generators contains nan or inf")
    zero = np.flatnonzero(~F.any(axis=1))
    if len(zero):
        raise InvalidInputError(f"generator {zero[0]} (0-based) of generators is the zero vector")
    return F


def _float_classes(F: np.ndarray, tol: float):
    F = F / np.linalg.norm(F, axis=1)[:, None]
    cos = F @ F.T
    class_of = np.full(len(F), -1, dtype=np.int64)
    flip = np.zeros(len(F), dtype=bool)
    reps = []
    for i in range(len(F)):
        if class_of[i] >= 0:
            continue
        members = np.flatnonzero((np.abs(cos[i]) > 1 - tol) & (class_of < 0))
        class_of[members] = len(reps)
        flip[members] = cos[i, members] < 0
        reps.append(F[i])
    return np.array(reps), class_of, flip


def chambers_float(generators, tol: float = 1e-9) -> np.ndarray:
    """Chambers of {w : w·x_i = 0} computed in floating point (float; not exact).

    The algorithm of :func:`chambers_exact` with float64 arithmetic: a sign is taken as 0 when
    |value| <= tol · (the same expression on absolute values), generators with |cos| > 1 − tol are
    treated as parallel, ranks come from pivoted QR with the same tolerance. Fast and correct on
    well-conditioned data; on degenerate or nearly degenerate data it can miss or invent chambers
    (compare :func:`chambers_exact`, or use ``Zonotope.vertices(exact=False, certify=True)``).

    Returns
    -------
    numpy.ndarray of bool, shape (K, N), rows sorted lexicographically.
    """
    F = _float_generators(generators)
    reps, class_of, flip = _float_classes(F, tol)
    return _expand(_core(reps, _FloatBackend(tol)), class_of, flip)


# ----- the baseline: incremental, one exact LP per (cell, hyperplane) ---------------------------------------

def chamber_interior_point(int_rows: Sequence[Sequence[int]], signs: Sequence[int]):
    """An exact point w with signs[i]·(x_i·w) > 0 for all i, or None if that open cone is empty.

    One exact cddlib LP: maximize t subject to signs[i]·x_i·w >= t and t <= 1; the cone is nonempty
    iff the optimum is positive (the cone is homogeneous, so t <= 1 only bounds the LP).
    """
    n = len(int_rows[0])
    rows = [[0] + [s * v for v in x] + [-1] for x, s in zip(int_rows, signs)]
    rows.append([1] + [0] * n + [-1])
    res = solve_lp(rows, [0] * (n + 1) + [1], maximize=True)
    if res.status != "optimal" or res.value <= 0:
        return None
    return tuple(res.x[:n])


def chambers_baseline(generators) -> np.ndarray:
    """Chambers by incremental insertion of hyperplanes, one exact LP per (cell, hyperplane).

    The straightforward method the fast enumerator is measured against: keep the chambers of the
    first i hyperplanes with an exact interior point each; hyperplane i+1 keeps every chamber on
    the side of its interior point, and one exact cddlib LP decides whether the other side is a
    chamber too (two LPs when the interior point lies on the new hyperplane). Exact; cost
    Σ_i (#chambers of the first i hyperplanes) linear programs.

    Returns
    -------
    numpy.ndarray of bool, shape (K, N), rows sorted lexicographically.
    """
    X = integer_generators(generators)
    cells: list[tuple[tuple[int, ...], tuple[Fraction, ...] | None]] = [((), None)]
    for i, x in enumerate(X):
        prefix = X[:i + 1]
        new = []
        for sig, w in cells:
            s = 0 if w is None else sum(a * b for a, b in zip(w, x))
            s = (s > 0) - (s < 0)
            if s:
                new.append((sig + (s,), w))
                point = chamber_interior_point(prefix, sig + (-s,))
                if point is not None:
                    new.append((sig + (-s,), point))
            else:
                for t in (1, -1):
                    point = chamber_interior_point(prefix, sig + (t,))
                    if point is not None:
                        new.append((sig + (t,), point))
        cells = new
    return sort_barcodes(np.array([[v > 0 for v in sig] for sig, _ in cells], dtype=bool))


def chambers(generators, method: str = "exact") -> np.ndarray:
    """Dispatch to :func:`chambers_exact` (``"exact"``), :func:`chambers_float` (``"float"``) or
    :func:`chambers_baseline` (``"baseline"``)."""
    funcs = {"exact": chambers_exact, "float": chambers_float, "baseline": chambers_baseline}
    if method not in funcs:
        raise InvalidInputError(f"unknown chamber method {method!r}; expected one of {sorted(funcs)}")
    return funcs[method](generators)
