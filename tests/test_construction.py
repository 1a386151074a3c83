"""Theorem 4.3: the 2⌈N/(d+1)⌉-unit exact interpolant (paper section 4.2.1, appendix F)."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb.proofs_checks.brute import open_cone_nonempty, in_linear_general_position
from zonocomb.errors import InvalidInputError, NotInGeneralPositionError
from zonocomb.geometry.dataset import Dataset
from zonocomb.theory.construction import construct_interpolant, sorting_direction


def _random_dataset(rng, N, d):
    X = [[Fraction(int(rng.integers(-60, 61)), int(rng.integers(1, 7))) for _ in range(d)] for _ in range(N)]
    y = [Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 4))) for _ in range(N)]
    return Dataset(X, y=y)


def _dot(a, b):
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


@pytest.mark.parametrize("d,N", [(1, 2), (1, 7), (2, 3), (2, 9), (2, 10), (3, 4), (3, 13), (4, 11), (5, 6), (6, 20)])
def test_exact_fit_and_unit_count(d, N):
    ds = _random_dataset(np.random.default_rng(100 * d + N), N, d)
    net = construct_interpolant(ds)
    assert net.m == 2 * (-(-N // (d + 1)))
    assert all(r == 0 for r in net.residuals())
    # predict_exact agrees with a direct evaluation of Σ v_u φ(W_u x̄) + c
    direct = [sum((vu * max(_dot(wu, xb), Fraction(0)) for wu, vu in zip(net.W, net.v)), net.c)
              for xb in ds.generators_exact]
    assert list(net.predict_exact(ds.X_exact)) == direct == list(ds.y_exact)


@pytest.mark.parametrize("d,N", [(1, 5), (2, 8), (3, 9)])
def test_pattern_is_the_staircase_and_a_vertex(d, N):
    ds = _random_dataset(np.random.default_rng(7 + d), N, d)
    net = construct_interpolant(ds)
    P = net.pattern
    assert P.shape == (net.m, N) and P.dtype == bool and not P.flags.writeable
    # every pre-activation is nonzero, so each row's open region is nonempty
    assert all(_dot(wu, xb) != 0 for wu in net.W for xb in ds.generators_exact)
    for k in range(len(net.chunks)):
        later = {i for ch in net.chunks[k:] for i in ch}
        expected = [i in later for i in range(N)]
        assert list(P[2 * k]) == expected and list(P[2 * k + 1]) == expected
    # independent evidence: an exact margin LP finds the open chamber of every row
    for row in P:
        assert open_cone_nonempty(ds.generators_exact, [1 if b else -1 for b in row])


def test_pattern_rows_are_zonotope_vertices():
    zonotope = pytest.importorskip("zonocomb.geometry.zonotope")
    ds = _random_dataset(np.random.default_rng(3), 7, 2)
    net = construct_interpolant(ds)
    Z = zonotope.Zonotope(ds.generators_exact)
    for row in net.pattern:
        assert Z.is_vertex(tuple(int(b) for b in row))


def test_ties_in_last_coordinate_use_a_tilted_direction():
    X = [[0, 1], [1, 1], [2, 1], [0, 0], [3, 0], [1, 2], [5, 3]]
    ds = Dataset(X, y=[1, -2, 3, 0, 4, 2, -1])
    c = sorting_direction(ds.X_exact)
    assert c[-1] == 1 and c != (0, 1)
    assert len({_dot(c, x) for x in ds.X_exact}) == ds.N
    net = construct_interpolant(ds)
    assert net.direction == c and all(r == 0 for r in net.residuals())


def test_paper_direction_when_last_coordinates_are_distinct():
    ds = Dataset([[5, 0], [1, 1], [2, 3]], y=[1, 2, 3])
    assert construct_interpolant(ds).direction == (0, 1)


def test_identical_examples_rejected():
    ds = Dataset([[1, 2], [1, 2], [0, 0]], y=[1, 2, 3])
    with pytest.raises(NotInGeneralPositionError, match="identical"):
        construct_interpolant(ds)


def test_affinely_dependent_chunk_rejected():
    # the first three points (by last coordinate) are collinear
    ds = Dataset([[0, 0], [1, 1], [2, 2], [5, 7]], y=[0, 1, 2, 3])
    with pytest.raises(NotInGeneralPositionError, match="chunk 0"):
        construct_interpolant(ds)


def test_bad_inputs():
    with pytest.raises(InvalidInputError, match="bias-free"):
        construct_interpolant(Dataset([[1, 0], [0, 1]], y=[1, 2], homogenize=False))
    with pytest.raises(InvalidInputError, match="labels"):
        construct_interpolant(Dataset([[1, 0], [0, 1]]))
    net = construct_interpolant(Dataset([[0], [1], [3]], y=[1, 0, 2]))
    with pytest.raises(InvalidInputError, match="columns"):
        net.predict_exact([[1, 2]])


def test_condition_number_and_lipschitz_are_finite_floats():
    net = construct_interpolant(_random_dataset(np.random.default_rng(11), 12, 3))
    assert net.condition_number() >= 1.0
    assert np.isfinite(net.lipschitz_bound())
    assert np.allclose(net.W_float, np.array(net.W, dtype=float))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(2, 9), st.integers(0, 10 ** 6))
def test_random_data_always_interpolated(d, N, seed):
    ds = _random_dataset(np.random.default_rng(seed), N, d)
    try:
        net = construct_interpolant(ds)
    except NotInGeneralPositionError:
        # legitimate only when the data really are degenerate (exhaustive exact ranks)
        assert not in_linear_general_position(ds.generators_exact)
        return
    assert all(r == 0 for r in net.residuals())
    assert net.m == 2 * (-(-N // (d + 1)))


def test_the_repr_gives_sizes_and_chunks_not_the_exact_weights():
    rng = np.random.default_rng(3)
    ds = Dataset(rng.integers(-9, 10, size=(7, 2)).tolist(), y=rng.integers(-5, 6, size=7).tolist())
    net = construct_interpolant(ds)
    assert repr(net) == f"InterpolatingNetwork(m=6, N=7, d=2, chunks={[len(ch) for ch in net.chunks]})"
    assert sorted(i for ch in net.chunks for i in ch) == list(range(7)) and len(net.chunks) == 3
