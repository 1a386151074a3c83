"""General position and the exact sign predicates (zonocomb.geometry.position), paper §2 / app. E.3.1."""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from zonocomb import Dataset
from zonocomb.errors import InvalidInputError, TooLargeError
from zonocomb.exact.rational import determinant, integer_rows, rank
from zonocomb.geometry import position
from zonocomb.geometry.position import (SignFilter, cofactor_vectors, column_basis, combination_blocks,
                                        general_position_witness, in_general_position, product_signs)


def brute_force_general_position(X) -> bool:
    """Every subset of at most n rows is independent (exact ranks over Q)."""
    N, n = len(X), len(X[0])
    return all(rank([X[i] for i in S]) == k
               for k in range(1, min(N, n) + 1) for S in itertools.combinations(range(N), k))


def assert_circuit(X, witness):
    n = len(X[0])
    assert 1 <= len(witness) <= n and list(witness) == sorted(set(witness))
    assert rank([X[i] for i in witness]) < len(witness)                     # dependent
    for e in witness:                                                        # minimally so
        rest = [X[i] for i in witness if i != e]
        assert not rest or rank(rest) == len(rest)


small_matrices = st.integers(1, 4).flatmap(lambda n: st.lists(
    st.lists(st.integers(-2, 2), min_size=n, max_size=n), min_size=1, max_size=7))


@settings(max_examples=150, deadline=None)
@given(X=small_matrices)
def test_witness_matches_brute_force(X):
    w = general_position_witness(X)
    assert (w is None) == brute_force_general_position(X)
    assert in_general_position(X) == (w is None)
    if w is not None:
        assert_circuit(X, w)


@pytest.mark.parametrize("X, expected", [
    ([[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]], None),           # square corners: general
    ([[0, 0, 1], [1, 1, 1], [2, 2, 1], [0, 1, 1]], (0, 1, 2)),      # three collinear points
    ([[1, 2, 1], [0, 0, 1], [1, 2, 1]], (0, 2)),                     # a repeated example
    ([[1, 2], [0, 0], [3, 1]], (1,)),                                # a zero vector (bias-free)
    ([[1, 2], [-2, -4], [3, 1]], (0, 1)),                            # antiparallel (bias-free)
    ([[1, 0, 0], [0, 1, 0]], None),                                  # fewer than n, independent
    ([[1, 2, 3], [2, 4, 6]], (0, 1)),                                # fewer than n, dependent
    ([[5]], None), ([[5], [-1], [2]], None),                         # n = 1: only zero vectors count
])
def test_witness_examples(X, expected):
    assert general_position_witness(X) == expected


def test_coplanar_points_in_3d():
    # four coplanar points among five in R^3 (homogenized): affine dependency of size 4 = n
    X = [[0, 0, 0, 1], [1, 0, 0, 1], [0, 1, 0, 1], [1, 1, 0, 1], [0, 0, 1, 1]]
    assert general_position_witness(X) == (0, 1, 2, 3)
    assert not Dataset([r[:3] for r in X]).in_general_position()
    assert Dataset([r[:3] for r in X[1:]]).in_general_position()


def test_dataset_witness_linear_and_affine():
    X = [[1, 0], [0, 1], [2, 2], [1, 1]]
    assert Dataset(X).general_position_witness() is None               # no 3 collinear points
    assert Dataset(X, homogenize=False).general_position_witness() == (2, 3)   # (2,2) ∥ (1,1)
    assert Dataset(X + [[3, 3]]).general_position_witness() == (2, 3, 4)


@pytest.mark.parametrize("seed", range(3))
def test_large_float_data_uses_modular_path(seed):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((25, 3)), np.ones((25, 1))])
    assert not position.int64_safe(integer_rows([[Fraction(v) for v in r] for r in X]), 3)
    assert general_position_witness(X) is None
    F = [[Fraction(v) for v in row] for row in X.tolist()]   # the floats, exactly
    Y = [list(r) for r in F]
    Y[17] = [(a + b) / 2 for a, b in zip(F[3], F[11])]         # exact midpoint: collinear
    assert general_position_witness(Y) == (3, 11, 17)
    Y = [list(r) for r in F]
    Y[20] = [(a + b) / 4 + c / 2 for a, b, c in zip(F[2], F[5], F[9])]   # coplanar with 2, 5, 9
    assert general_position_witness(Y) == (2, 5, 9, 20)
    Y[20][0] += Fraction(1, 10 ** 30)                          # off the plane by 10^-30
    assert general_position_witness(Y) is None


def test_modular_and_int64_paths_agree(monkeypatch):
    rng = np.random.default_rng(7)
    for _ in range(40):
        X = rng.integers(-3, 4, size=(int(rng.integers(3, 8)), int(rng.integers(2, 5)))).tolist()
        expected = general_position_witness(X)
        monkeypatch.setattr(position, "int64_safe", lambda rows, k: False)
        got = general_position_witness(X)
        monkeypatch.undo()
        assert (got is None) == (expected is None)
        if got is not None:
            assert_circuit(X, got)


def test_cofactor_vanishing_modulo_the_prime_is_retried():
    p = position._PRIMES[0]
    # the cross product of rows 0 and 1 is (0, 0, p): zero modulo p, not over Q
    X = [[1, 1, 0], [1, 1 + p, 0], [0, 0, 1], [1, 2, 3], [2, -1, 5]]
    assert general_position_witness(X) is None and brute_force_general_position(X)
    X.append([3, 3 + 2 * p, 0])                  # in the plane of rows 0 and 1
    w = general_position_witness(X)
    assert w is not None and not brute_force_general_position(X)
    assert_circuit(X, w)


def test_bad_input_raises():
    with pytest.raises(TooLargeError):
        general_position_witness(np.random.default_rng(0).integers(-9, 10, size=(30, 4)), max_subsets=1000)
    with pytest.raises(InvalidInputError):
        general_position_witness([])
    with pytest.raises(InvalidInputError):
        general_position_witness([[1, 2], [3]])
    with pytest.raises(InvalidInputError):
        general_position_witness([[1, float("nan")]])


# ----- the predicates ---------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(k=st.integers(0, 5), seed=st.integers(0, 10 ** 6), big=st.booleans())
@example(k=0, seed=0, big=False)
def test_cofactor_vectors_are_laplace_cofactors(k, seed, big):
    """det([y; M]) = y·u for the cofactor vector u of M, in M's dtype (k = 0: u = (1))."""
    rng = np.random.default_rng(seed)
    scale = 10 ** 20 if big else 5
    M = [[int(v) * scale + int(rng.integers(-3, 4)) for v in rng.integers(-5, 6, size=k + 1)]
         for _ in range(k)]
    U = cofactor_vectors(np.array(M, dtype=object).reshape(1, k, k + 1))
    u = U[0]
    assert U.dtype == object
    for _ in range(3):
        y = [int(v) for v in rng.integers(-5, 6, size=k + 1)]
        assert determinant([y] + M) == sum(a * b for a, b in zip(y, u))
    if not big:
        U64 = cofactor_vectors(np.array(M, dtype=np.int64).reshape(1, k, k + 1))
        assert U64.dtype == np.int64 and U64[0].tolist() == list(u)


def test_product_signs_exact_on_huge_and_cancelling_entries():
    big = 3 ** 80
    A = [[big, 1, -big], [1, 2, 3], [big + 1, -big, 0]]
    B = [[1, 0, 1], [big, -big, big + 1], [0, 0, 0], [big, big + 1, 0]]
    expected = [[(s > 0) - (s < 0) for s in (sum(a * b for a, b in zip(r, c)) for c in B)] for r in A]
    assert product_signs(A, B).tolist() == expected
    assert SignFilter(A).signs(B).tolist() == expected
    assert product_signs([[1, 2]], [[2, -1], [1, 1]]).tolist() == [[0, 1]]


@settings(max_examples=60, deadline=None)
@given(X=small_matrices)
def test_column_basis_is_a_maximal_independent_column_set(X):
    cols = column_basis(X)
    assert len(cols) == rank(X)
    assert rank([[row[c] for c in cols] for row in X]) == len(cols)


@pytest.mark.parametrize("N, k, block", [(7, 3, 4), (6, 0, 5), (5, 5, 2), (9, 2, 1000), (4, 5, 3)])
def test_combination_blocks_enumerate_all_subsets_in_order(N, k, block):
    got = [tuple(r) for b in combination_blocks(N, k, block) for r in b.tolist()]
    assert got == list(itertools.combinations(range(N), k))
