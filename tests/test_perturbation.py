"""Theorem 4.1 / appendix C: the exact perturbation radius."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb.proofs_checks.brute import brute_force_vertices
from zonocomb.errors import InvalidInputError, NotInGeneralPositionError
from zonocomb.geometry.dataset import Dataset
from zonocomb.theory.perturbation import (
    perturbation_radius, random_perturbation, sqrt_upper_bound, vertex_separation,
)


@settings(max_examples=60, deadline=None)
@given(st.fractions(min_value=0, max_value=10 ** 6))
def test_sqrt_upper_bound_is_tight_above(r):
    s = sqrt_upper_bound(r)
    assert s >= 0 and s * s >= r
    slack = Fraction(1, 2 ** 20 * Fraction(r).denominator)
    assert s - slack <= 0 or (s - slack) ** 2 <= r


def test_sqrt_upper_bound_rejects_negative():
    with pytest.raises(InvalidInputError):
        sqrt_upper_bound(Fraction(-1))


def test_vertex_separation_closed_form():
    # bias-free e_1, e_2: vertex (1,1) = (1,1), best hyperplane x+y=2, nearest other point (1,0) at 1/√2
    ds = Dataset([[1, 0], [0, 1]], homogenize=False)
    sep = vertex_separation(ds, (1, 1))
    assert sep * sep <= Fraction(1, 2) and sep * sep > Fraction(1, 2) - Fraction(1, 10 ** 5)
    with pytest.raises(InvalidInputError, match="barcode"):
        vertex_separation(ds, (1, 1, 0))


def test_vertex_separation_rejects_non_vertices():
    ds = Dataset([[1], [2]], homogenize=False)     # parallel generators: (1, 0) is not a vertex
    with pytest.raises(InvalidInputError, match="not a vertex"):
        vertex_separation(ds, (1, 0))


def test_radius_below_the_distance_to_degeneracy_1d():
    # affine 1-D data: the combinatorial type changes once two points meet (gap/2 each)
    X = [[0], [1], [3], [7]]
    r = perturbation_radius(Dataset(X))
    assert 0 < r < Fraction(1, 2)


def test_radius_below_the_smallest_triangle_height():
    X = [[0, 0], [4, 1], [1, 3]]
    r = perturbation_radius(Dataset(X))
    # moving one point by its height onto the opposite line breaks general position
    for i, j, k in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]:
        (ax, ay), (bx, by), (px, py) = (map(Fraction, X[i]), map(Fraction, X[j]), map(Fraction, X[k]))
        cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        height_sq = cross * cross / ((bx - ax) ** 2 + (by - ay) ** 2)
        assert 0 < r and r * r < height_sq


@pytest.mark.parametrize("X,homogenize", [
    ([[0, 0], [3, 1], [1, 4], [-2, 2], [2, -3]], True),
    ([[1, 2, 0], [0, 1, 3], [2, -1, 1], [1, 1, 1]], False),
    ([[0], [2], [5]], True),
])
def test_perturbations_below_the_radius_keep_the_vertices(X, homogenize):
    ds = Dataset(X, homogenize=homogenize)
    r = perturbation_radius(ds)
    V = brute_force_vertices(ds.generators_exact)
    rng = np.random.default_rng(0)
    for scale in (r * Fraction(99, 100), r / 10):
        for _ in range(3):
            pert = random_perturbation(ds, scale, rng)
            for a, b in zip(ds.X_exact, pert.X_exact):
                assert sum((p - q) ** 2 for p, q in zip(a, b)) <= scale * scale
            assert brute_force_vertices(pert.generators_exact) == V


def test_not_in_general_position_rejected():
    with pytest.raises(NotInGeneralPositionError):
        perturbation_radius(Dataset([[0, 0], [1, 1], [2, 2]]))


def test_random_perturbation_validates():
    ds = Dataset([[0, 0], [1, 1]])
    with pytest.raises(InvalidInputError):
        random_perturbation(ds, -1)
    same = random_perturbation(ds, 0, random_state=1)
    assert same == ds
