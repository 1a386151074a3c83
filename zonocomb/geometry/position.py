"""General position of generator vectors, and the exact sign predicates the engine is built on.

A dataset is in general position (paper section 2) when no nontrivial affine dependency exists among
any d+1 of its examples; for the generators x̄_i = (x_i, 1) of the biased ReLU this is the same as no
*linear* dependency among any n = d+1 of them, and for the bias-free ReLU of appendix E it is the linear
notion for the x_i themselves. So everything here speaks of N generator rows in Q^n and linear
dependencies among at most n of them.

Besides the test itself this module holds the exact integer predicates shared by the chamber
enumerator (:mod:`zonocomb.geometry.chambers`) and the zonotope (:mod:`zonocomb.geometry.zonotope`):

* :func:`cofactor_vectors`: the generalized cross product of k vectors in Q^{k+1} (its entries are
  the signed k-minors), batched with numpy, exact for int64/object arrays;
* :func:`product_signs`: exact signs of an integer matrix product (int64 when no overflow is
  possible, else the filtered float evaluation of :mod:`zonocomb.exact.predicates`);
* :func:`column_basis`: exact pivot columns of an integer matrix.

Generators are always first scaled to primitive integer rows
(:func:`zonocomb.exact.rational.integer_rows`): positive scaling changes no sign w·x_i and no
dependency.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

from ..errors import InvalidInputError, TooLargeError, ZonocombError
from ..exact.predicates import dot_signs
from ..exact.rational import integer_rows, rank, to_fraction_matrix

__all__ = [
    "general_position_witness", "in_general_position", "cofactor_vectors", "product_signs", "SignFilter",
    "column_basis", "scaled_float_rows", "combination_blocks", "int64_safe",
]

_INT64_LIMIT = 2 ** 62
# primes below 2^28: a sum of up to 64 products of two residues fits in int64
_PRIMES = (268435399, 268435367, 268435361, 268435337, 268435331)


# ----- combinations, vectorized -------------------------------------------------------------------

def _combinations_from(start: int, n_items: int, k: int) -> np.ndarray:
    """All k-subsets of range(start, n_items), sorted rows in lexicographic order, shape (C, k)."""
    if k == 0:
        return np.zeros((1, 0), dtype=np.int64)
    combos = np.arange(start, n_items - k + 1, dtype=np.int64)[:, None]
    for p in range(1, k):
        last = combos[:, -1]
        counts = np.maximum(n_items - k + p - last, 0)       # values last+1 .. n_items-k+p
        total = int(counts.sum())
        rep = np.repeat(combos, counts, axis=0)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        combos = np.hstack([rep, (np.repeat(last, counts) + 1 + offsets)[:, None]])
    return combos


def combination_blocks(n_items: int, k: int, max_rows: int = 1 << 18) -> Iterator[np.ndarray]:
    """Yield all k-subsets of range(n_items) in lexicographic order, in blocks of at most ~max_rows.

    Blocks are split by fixing leading elements, so memory stays bounded for large C(n_items, k).
    """
    def rec(prefix: tuple, start: int, kk: int):
        if math.comb(n_items - start, kk) <= max_rows or kk <= 1:
            block = _combinations_from(start, n_items, kk)
            if len(block):
                if prefix:
                    block = np.hstack([np.tile(np.array(prefix, dtype=np.int64), (len(block), 1)), block])
                yield block
            return
        for first in range(start, n_items - kk + 1):
            yield from rec(prefix + (first,), first + 1, kk - 1)

    if k < 0 or k > n_items:
        return
    yield from rec((), 0, k)


# ----- generalized cross products ----------------------------------------------------------------

@lru_cache(maxsize=None)
def _laplace_tables(k: int):
    """Index tables for expanding the t-minors of the first t rows of a k×(k+1) matrix."""
    subsets = [list(itertools.combinations(range(k + 1), t)) for t in range(k + 1)]
    index = [{s: i for i, s in enumerate(level)} for level in subsets]
    steps = []
    for t in range(2, k + 1):
        terms = []
        for q in range(t):
            cols = np.array([s[q] for s in subsets[t]], dtype=np.int64)
            sub = np.array([index[t - 1][s[:q] + s[q + 1:]] for s in subsets[t]], dtype=np.int64)
            terms.append((1 if (t - 1 + q) % 2 == 0 else -1, cols, sub))
        steps.append(terms)
    final = np.array([index[k][tuple(c for c in range(k + 1) if c != j)] for j in range(k + 1)],
                     dtype=np.int64)
    signs = np.array([1 if j % 2 == 0 else -1 for j in range(k + 1)], dtype=np.int64)
    return steps, final, signs


def cofactor_vectors(M: np.ndarray, absolute: bool = False, modulus: int | None = None) -> np.ndarray:
    """Generalized cross products of a batch of k×(k+1) matrices.

    For each matrix M_b (shape (k, k+1)) returns the vector u_b with det([y; M_b]) = y·u_b for every
    y in Q^{k+1}; its entries are the signed k-minors u_j = (−1)^j det(M_b without column j). u_b is
    orthogonal to the rows of M_b and is zero exactly when they are linearly dependent. When the
    rows are n−1 generators, u_b spans the line where their hyperplanes meet (a ray of the
    arrangement, paper appendix A.1).

    Parameters
    ----------
    M : numpy.ndarray, shape (B, k, k+1)
        int64 (exact while no partial sum overflows; see :func:`int64_safe`), object (Python ints,
        exact always) or float64 (approximate; see ``absolute``).
    absolute : bool
        If True, evaluate the same Laplace expansion with every sign replaced by + on |M| (the
        "permanent" of |M|), the quantity that bounds the rounding error of the float evaluation.
    modulus : int, optional
        Work modulo this prime p < 2^28 (int64 input with entries in [0, p), k < 64): each level of
        the expansion is reduced once, since a sum of k+1 products of residues stays below 2^62.

    Returns
    -------
    numpy.ndarray, shape (B, k+1), same dtype as ``M``.

    Notes
    -----
    Laplace expansion row by row over all column subsets: k·2^(k−1) vectorized multiply-adds per
    matrix, no division, so it is exact in integer arithmetic and each intermediate value is a
    minor (bounded by the product of the rows' l1 norms).
    """
    B, k = M.shape[0], M.shape[1]
    if M.shape[2] != k + 1:
        raise InvalidInputError(f"cofactor_vectors needs matrices of shape (B, k, k+1), got {M.shape}")
    if k == 0:
        return np.ones((B, 1), dtype=M.dtype)
    if absolute:
        M = np.abs(M)
    steps, final, signs = _laplace_tables(k)
    D = M[:, 0, :]
    for t, terms in enumerate(steps, start=2):
        row = M[:, t - 1, :]
        acc = None
        for sign, cols, sub in terms:
            term = row[:, cols] * D[:, sub]
            if acc is None:
                acc = term if (sign > 0 or absolute) else -term
            elif sign > 0 or absolute:
                acc += term
            else:
                acc -= term
        if modulus is not None:
            acc %= modulus
        D = acc
    u = D[:, final]
    if absolute:
        return u
    if modulus is not None:
        return (u * signs) % modulus
    return u * signs.astype(u.dtype) if u.dtype != object else u * np.array(signs.tolist(), dtype=object)


def int64_safe(int_rows: Sequence[Sequence[int]], k: int) -> bool:
    """True when every Laplace partial sum of a k×k minor of these rows, and every dot product of
    such a cofactor vector with a row, fits in int64 (bound: (max l1 row norm)^(k+1) < 2^62)."""
    norm = max((sum(abs(v) for v in row) for row in int_rows), default=0)
    return norm ** (k + 1) < _INT64_LIMIT


def scaled_float_rows(int_rows: Sequence[Sequence[int]]) -> np.ndarray:
    """Each integer row divided by a power of two so its entries lie in (−1, 1), as float64.

    Every entry is correctly rounded (relative error <= 2^−53, or an absolute error below 2^−1074 on
    underflow). Positive row scaling changes no sign of w·x_i nor of any minor.
    """
    out = np.empty((len(int_rows), len(int_rows[0]) if int_rows else 0))
    for i, row in enumerate(int_rows):
        e = max(abs(v) for v in row).bit_length()
        den = 1 << e
        out[i] = [v / den for v in row]            # int / int is correctly rounded in Python
    return out


def _as_int_rows(rows) -> list[list[int]]:
    """Integer rows (a sequence of sequences or a 2-D array) as lists of Python ints."""
    return [[int(v) for v in r] for r in rows]


class SignFilter:
    """Exact signs of products A bᵀ with a fixed integer matrix A (rows a_1..a_p), filtered.

    When every dot product fits in int64 it is computed exactly there; otherwise the rows of A and
    of B are scaled by powers of two into (−1, 1) and :func:`zonocomb.exact.predicates.dot_signs`
    evaluates them in float64 with its proven error bound, recomputing with Python integers only
    the entries the bound cannot decide. The result is exact in every case. The scaled copy of A
    is computed once.
    """

    def __init__(self, A: Sequence[Sequence[int]]):
        self.A = _as_int_rows(A)
        self.norm = max(sum(abs(v) for v in row) for row in self.A)
        self.A64 = np.array(self.A, dtype=np.int64) if self.norm < _INT64_LIMIT else None
        self.Af = scaled_float_rows(self.A)
        self.Af_abs = np.abs(self.Af)

    def signs(self, B: Sequence[Sequence[int]]) -> np.ndarray:
        """sign(A Bᵀ), shape (len(A), len(B)), dtype int8, exact."""
        B = _as_int_rows(B)
        if not B:
            return np.zeros((len(self.A), 0), dtype=np.int8)
        b_max = max(max(abs(v) for v in row) for row in B)
        if self.A64 is not None and self.norm * b_max < _INT64_LIMIT:
            return np.sign(self.A64 @ np.array(B, dtype=np.int64).T).astype(np.int8)
        return dot_signs(self.Af, scaled_float_rows(B), lambda i, j: sum(x * y for x, y in zip(self.A[i], B[j])),
                         A_abs=self.Af_abs)


def product_signs(A: Sequence[Sequence[int]], B: Sequence[Sequence[int]]) -> np.ndarray:
    """Exact signs of the integer matrix product A Bᵀ, shape (len(A), len(B)), dtype int8.

    See :class:`SignFilter` (int64 when safe, else a filtered float evaluation with exact fallback).

    Examples
    --------
    >>> product_signs([[1, 2], [3, -1]], [[2, -1], [10**30, 3 * 10**30 + 1]]).tolist()
    [[0, 1], [1, -1]]
    """
    if len(A) == 0:
        return np.zeros((0, len(B)), dtype=np.int8)
    return SignFilter(A).signs(B)


# ----- exact linear algebra on integer rows ---------------------------------------------------------

def column_basis(int_rows: Sequence[Sequence[int]]) -> list[int]:
    """Indices of a maximal set of linearly independent columns (the first ones, greedily), exact.

    Fraction-free elimination in Python integers; O(n² N) integer operations for an N×n matrix.
    The projection x ↦ x[cols] is injective on the row space, so it maps the generators to an
    isomorphic configuration in Q^rank (same chambers, same dependencies).
    """
    n = len(int_rows[0]) if int_rows else 0
    basis: list[tuple[int, list[int]]] = []
    chosen = []
    for c in range(n):
        v = [row[c] for row in int_rows]
        for p, b in basis:
            if v[p]:
                f, g = b[p], v[p]
                v = [f * vi - g * bi for vi, bi in zip(v, b)]
                d = 0
                for x in v:
                    d = math.gcd(d, x)
                if d > 1:
                    v = [x // d for x in v]
        pivot = next((i for i, x in enumerate(v) if x), None)
        if pivot is not None:
            basis.append((pivot, v))
            chosen.append(c)
    return chosen


def _circuit(int_rows: Sequence[Sequence[int]], indices) -> tuple[int, ...]:
    """Shrink a linearly dependent set of row indices to a minimal dependent one (a circuit)."""
    current = sorted(indices)
    for e in list(current):
        rest = [i for i in current if i != e]
        if rest and rank([int_rows[i] for i in rest]) < len(rest):
            current = rest
    return tuple(current)


def _exact_cofactor(int_rows, combo) -> list[int]:
    M = np.array([[[int(v) for v in int_rows[i]] for i in combo]], dtype=object)
    return [int(v) for v in cofactor_vectors(M)[0]]


def _parallel(u: Sequence[int], v: Sequence[int]) -> bool:
    return all(u[a] * v[b] == u[b] * v[a] for a in range(len(u)) for b in range(a + 1, len(u)))


def _unrank(index: int, n_items: int, k: int) -> list[int]:
    """The k-subset of range(n_items) at position ``index`` in lexicographic order."""
    combo, x = [], 0
    for i in range(k):
        while math.comb(n_items - x - 1, k - i - 1) <= index:
            index -= math.comb(n_items - x - 1, k - i - 1)
            x += 1
        combo.append(x)
        x += 1
    return combo


def _mod_inverse(x: np.ndarray, p: int) -> np.ndarray:
    """x^(p−2) mod p elementwise (Fermat), for int64 residues in [1, p)."""
    result = np.ones_like(x)
    base = x.copy()
    e = p - 2
    while e:
        if e & 1:
            result = (result * base) % p
        base = (base * base) % p
        e >>= 1
    return result


class _Retry(ZonocombError):
    """A cofactor vector vanished modulo p without vanishing over Q: use another prime (caught
    inside :func:`general_position_witness`, never seen by callers)."""


def _scan(X: list[list[int]], max_rows: int, p: int | None):
    """Search the (n−1)-subsets for a dependency through their hashed, normalized cofactor vectors.

    With ``p=None`` the cofactor vectors are computed exactly in int64 (the caller checked
    :func:`int64_safe`) and normalized to primitive vectors with a positive leading entry; otherwise
    they are computed modulo the prime p and normalized projectively (leading entry 1). Zero vectors
    and equal hashes are only candidates; each is decided exactly over Q.
    """
    N, n = len(X), len(X[0])
    if p is None:
        Xb = np.array(X, dtype=np.int64)
    else:
        Xb = np.array([[v % p for v in row] for row in X], dtype=np.int64)
    mult = np.random.default_rng(12345).integers(1, 2 ** 63, size=n, dtype=np.uint64) | np.uint64(1)
    hashes = []
    for block in combination_blocks(N, n - 1, max_rows):
        u = cofactor_vectors(Xb[block], modulus=p)
        zero = ~u.any(axis=1)
        for r in np.flatnonzero(zero):
            combo = block[r].tolist()
            if not any(_exact_cofactor(X, combo)):
                return _circuit(X, combo)
            raise _Retry
        rows = np.arange(len(u))
        lead = u[rows, np.argmax(u != 0, axis=1)]
        if p is None:
            u //= (np.gcd.reduce(u, axis=1) * np.sign(lead))[:, None]
        else:
            u = (u * _mod_inverse(lead, p)[:, None]) % p
        hashes.append((u.astype(np.uint64) * mult).sum(axis=1))
    if not hashes:
        return None
    h = np.concatenate(hashes)              # h[i] belongs to the i-th subset in lexicographic order
    order = np.argsort(h)
    hs = h[order]
    starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
    ends = np.r_[starts[1:], len(hs)]
    for a, b in zip(starts[ends - starts > 1], ends[ends - starts > 1]):
        group = [_unrank(int(i), N, n - 1) for i in order[a:b]]
        normals = [_exact_cofactor(X, S) for S in group]
        for (S, u), (T, v) in itertools.combinations(zip(group, normals), 2):
            if _parallel(u, v):
                extra = next(j for j in T if j not in S)
                return _circuit(X, S + [extra])
    # Parallel cofactor vectors always get equal hashes, and every group of equal hashes is
    # compared pairwise, so no dependency is missed.
    return None


#: largest number of (n−1)-subsets :func:`general_position_witness` visits (16 bytes each)
MAX_SUBSETS = 2 * 10 ** 7


def general_position_witness(generators, max_subsets: int = MAX_SUBSETS, max_rows: int = 1 << 18):
    """A linearly dependent set of at most n generators, or None if they are in general position.

    Parameters
    ----------
    generators : array-like of shape (N, n)
        Rational generator rows (ints, Fractions, decimal strings, floats converted exactly): the
        homogenized examples x̄_i = (x_i, 1) for affine general position, the raw x_i for linear.

    Returns
    -------
    tuple of int or None
        Sorted indices of a circuit (a minimal linearly dependent set) of size <= n: ``(i,)`` for a
        zero generator, ``(i, j)`` for two parallel ones (e.g. a repeated example), ... None when
        every subset of at most n generators is linearly independent.

    Other Parameters
    ----------------
    max_subsets : int
        Refuse instances with more than this many (n−1)-subsets (memory: 16 bytes per subset).
    max_rows : int
        Subsets processed per vectorized block.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Empty, ragged or non-numeric input.
    TooLargeError
        C(N, n−1) > max_subsets.

    Examples
    --------
    >>> general_position_witness([[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    >>> general_position_witness([[0, 0, 1], [1, 1, 1], [2, 2, 1], [0, 1, 1]])
    (0, 1, 2)

    Notes
    -----
    Exact. With N >= n >= 2 the generators are in general position iff every (n−1)-subset S is
    independent (its cofactor vector u_S, the normal of the hyperplane it spans, is nonzero) and no
    two (n−1)-subsets span the same hyperplane (no two u_S are parallel): a dependent set of size
    <= n contains either a dependent (n−1)-subset or n vectors of rank n−1, two of whose
    (n−1)-subsets span the same hyperplane. The u_S are computed modulo a 31-bit prime p, normalized
    projectively and hashed; a true dependency always shows up modulo p, and every candidate is
    decided exactly over Q (a candidate that is zero mod p but not over Q triggers the next prime;
    the exact scan over Q runs only after all five failed). Exact arithmetic runs on candidates
    only: for generators in general position on none, unless two of the 64-bit hashes collide
    (probability about C(N, n−1)²/2^65).
    Cost O(C(N, n−1)·n·2^(n−1)) int64 operations plus a sort of C(N, n−1) hashes, against
    O(C(N, n)·n³) exact operations for testing every n-subset; e.g. N = 100, n = 5 takes 3.9·10⁶
    vectorized cofactor vectors. A found dependency is shrunk to a circuit by exact rank tests.

    References
    ----------
    Paper section 2 (general position) and appendix E.3.1 (linear general position).
    """
    X = integer_rows(to_fraction_matrix(generators, name="generators"))
    N, n = len(X), len(X[0])
    for i, row in enumerate(X):
        if not any(row):
            return (i,)
    if n == 1:
        return None
    if N < n:
        return None if rank(X) == N else _circuit(X, range(N))
    if math.comb(N, n - 1) > max_subsets:
        raise TooLargeError(
            f"the exact general-position test of N={N} generators in Q^{n} visits C({N}, {n - 1}) = "
            f"{math.comb(N, n - 1)} subsets, more than max_subsets={max_subsets}")
    if int64_safe(X, n - 1):
        return _scan(X, max_rows, None)
    for p in _PRIMES:
        try:
            return _scan(X, max_rows, p)
        except _Retry:
            continue
    # Five primes each divided a nonzero cofactor vector: decide exactly (never seen in practice).
    return _scan_exact(X)


def _scan_exact(X: list[list[int]]):
    """Exact fallback of :func:`general_position_witness` with Python integers."""
    N, n = len(X), len(X[0])
    seen: dict[tuple, list[int]] = {}
    for combo in itertools.combinations(range(N), n - 1):
        u = _exact_cofactor(X, combo)
        if not any(u):
            return _circuit(X, combo)
        g = 0
        for v in u:
            g = math.gcd(g, v)
        u = [v // g for v in u]
        if next(v for v in u if v) < 0:
            u = [-v for v in u]
        key = tuple(u)
        if key in seen:
            S = seen[key]
            return _circuit(X, S + [next(j for j in combo if j not in S)])
        seen[key] = list(combo)
    return None


def in_general_position(generators) -> bool:
    """Whether no linear dependency exists among any at most n of the generator rows (exact).

    See :func:`general_position_witness`.

    Examples
    --------
    >>> in_general_position([[0, 0, 1], [1, 0, 1], [0, 1, 1]])
    True
    >>> in_general_position([[1, 2], [2, 4], [0, 1]])
    False
    """
    return general_position_witness(generators) is None
