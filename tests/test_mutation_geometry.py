"""Contracts of zonocomb/geometry that a seeded sample of its mutants (docs/testing.md,
``make mutate PKG=geometry SAMPLE=150``) showed unchecked: the order of the flats, the exact
fallback of the general-position test, and what the messages and the repr of a dataset name."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.errors import InvalidTypeError
from zonocomb.exact.rational import rank


@pytest.mark.parametrize("seed", range(4))
def test_flats_are_listed_in_lexicographic_order_of_their_indices(seed):
    """Each rank's flats come sorted by their sorted index lists (the documented order, e.g.
    [[0, 2], [1]]), also where the walk meets them in another order."""
    from zonocomb.geometry.flats import flats
    X = np.random.default_rng(seed).integers(-3, 4, size=(7, 3))
    X[X.sum(axis=1) == 0, 0] = 5                        # no zero generator
    for level in flats(X.tolist()):
        keys = [sorted(F) for F in level]
        assert keys == sorted(keys)
    assert [[sorted(F) for F in level] for level in flats([[1, 0], [0, 1], [2, 0]])] == [[[]], [[0, 2], [1]],
                                                                                       [[0, 1, 2]]]


def _dependent_subset(X, size):
    """Whether some ``size`` rows of X are linearly dependent (brute force, exact)."""
    return any(rank([X[i] for i in S]) < size for S in itertools.combinations(range(len(X)), size))


@pytest.mark.parametrize("seed", range(6))
def test_exact_fallback_of_the_general_position_test_agrees_with_brute_force(seed):
    """_scan_exact (used when every prime of the modular scan divides a cofactor) answers None
    exactly when no n rows are dependent, and otherwise a set of rows that is dependent."""
    from zonocomb.geometry.position import _scan_exact
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, size=(6, 3)).tolist()
    if seed % 2:
        X[4] = [a + b for a, b in zip(X[0], X[1])]      # a planted dependency of 3 rows
    X = [row if any(row) else [1, 0, 0] for row in X]
    witness = _scan_exact(X)
    dependent = _dependent_subset(X, 2) or _dependent_subset(X, 3)
    assert (witness is None) == (not dependent)
    if witness is not None:
        assert rank([X[i] for i in witness]) < len(witness)


def test_dataset_repr_names_homogenization_and_labels():
    assert repr(Dataset([[0.0], [1.0]])) == "Dataset(N=2, d=1, homogenized, unlabelled)"
    assert repr(Dataset([[0.0], [1.0]], y=[1, 0], homogenize=False)) == "Dataset(N=2, d=1, bias-free, labelled)"


def test_combinatorial_equivalence_names_the_argument_that_is_not_a_zonotope():
    from zonocomb.geometry.zonotope import combinatorially_equivalent
    Z = Dataset([[0.0], [1.0], [2.0]]).zonotope()
    with pytest.raises(InvalidTypeError, match=r"^Z1 must be a Zonotope, got list$"):
        combinatorially_equivalent([], Z)
    with pytest.raises(InvalidTypeError, match=r"^Z2 must be a Zonotope, got str$"):
        combinatorially_equivalent(Z, "Z")


def test_walls_survive_a_change_of_coordinates_with_large_integers():
    """x_i → T x_i with an invertible integer T maps the arrangement {w : w·x_i = 0} onto itself
    up to w → T^(−T) w, so every chamber keeps its sign vector and its walls. With entries of T
    near 10^9 the exact eliminations need integers beyond 64 bits."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement
    rng = np.random.default_rng(1)
    X = rng.integers(-3, 4, size=(9, 3))
    X[~X.any(axis=1), 0] = 1
    T = rng.integers(10**9, 2 * 10**9, size=(3, 3)).tolist()
    assert rank(T) == 3
    big = [[sum(T[a][b] * int(x[b]) for b in range(3)) for a in range(3)] for x in X]
    small, large = HyperplaneArrangement(X.tolist()), HyperplaneArrangement(big)
    assert small.chambers() == large.chambers()
    for sigma in small.chambers():
        assert small.walls(sigma) == large.walls(sigma)


@pytest.mark.parametrize("scale", [1, 10**9])
def test_nonnegative_combination_test_is_exact_for_large_integers(scale):
    """_nonnegative_solutions(A, S, cand) tells for each candidate a_P whether it is a
    nonnegative combination of the basis a_S: here a_P = Σ μ_q a_q is built from known μ (all
    positive, or one of them negative), with basis entries up to 10^9 · 3."""
    from zonocomb.geometry.arrangement import _nonnegative_solutions
    rng = np.random.default_rng(2)
    for _ in range(20):
        basis = (rng.integers(-3, 4, size=(3, 3)) * scale + rng.integers(-3, 4, size=(3, 3))).tolist()
        if rank(basis) < 3:
            continue
        mus = [rng.integers(1, 5, size=3) for _ in range(4)]
        for mu in mus[2:]:
            mu[rng.integers(3)] *= -1
        cand = [[int(sum(int(m) * basis[q][i] for q, m in enumerate(mu))) for i in range(3)] for mu in mus]
        A = basis + cand
        assert _nonnegative_solutions(A, [0, 1, 2], [3, 4, 5, 6]) == [True, True, False, False]


def test_face_functions_name_bad_generators():
    from zonocomb.errors import InvalidInputError
    from zonocomb.geometry.faces import f_vector
    with pytest.raises(InvalidInputError, match=r"^row 0 of generators contains nan; only finite numbers are allowed$"):
        f_vector([[float("nan"), 1.0]], [(0,), (1,)])
    with pytest.raises(InvalidInputError, match=r"^generator 0 is the zero vector"):
        f_vector([[0, 0], [1, 1]], [(0, 0), (1, 1)])


def test_walls_of_a_sign_vector_that_is_no_chamber_are_refused_by_name():
    """(+, +, −) on the normals (1, 0), (0, 1), (1, 1): w1 > 0, w2 > 0 and w1 + w2 < 0 is empty."""
    from zonocomb.geometry.arrangement import HyperplaneArrangement, NotAChamberError
    H = HyperplaneArrangement([[1, 0], [0, 1], [1, 1]])
    with pytest.raises(NotAChamberError, match=r"^the sign vector is not a chamber of the arrangement \(empty cone\)$"):
        H.walls([1, 1, -1])
    assert H.walls([1, 1, 1]) == [0, 1]
