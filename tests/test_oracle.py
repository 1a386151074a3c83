"""Tests of zonocomb.search.oracle.RegionOracle: the cached loss oracle on the vertices of Z^m."""
import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex.region import solve_region
from zonocomb.datasets import synthetic
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search.oracle import CERTIFIED_STATUSES, RegionOracle

V2 = [1.0, -1.0]


@pytest.fixture
def ds():
    return synthetic(2, 2, 1)


def test_losses_are_the_region_optima_and_cached(ds):
    oracle = RegionOracle(ds, V2)
    A = oracle.random_vertex(3)
    sol = oracle.solution(A)
    assert sol.status in CERTIFIED_STATUSES
    assert sol.loss == pytest.approx(solve_region(ds, A, V2).loss, rel=1e-9, abs=1e-12)
    assert oracle.solution(A.astype(int)) is sol and oracle.n_solves == 1 and oracle.n_hits == 1
    # the network with the returned weights has that loss (paper eq. 1 vs eq. 3)
    assert oracle.program.network_loss(sol.W, sol.c) == pytest.approx(sol.loss, rel=1e-9, abs=1e-12)


def test_neighbours_follow_the_skeleton_of_the_power(ds):
    oracle = RegionOracle(ds, V2)
    P = ZonotopePower(ds.zonotope(), 2)
    A = P.random_vertex(0)
    moves = oracle.moves(A)
    assert moves == P.neighbor_moves(A)
    nbs = oracle.neighbors(A)
    assert all(np.array_equal(oracle.apply(A, mv), B) for mv, B in zip(moves, nbs))
    sols = oracle.neighbor_solutions(A)
    assert oracle.n_solves == 1 + len(moves)
    for B, s in zip(nbs, sols):
        assert oracle.solution(B) is s
        assert s.loss == pytest.approx(solve_region(ds, B, V2).loss, rel=1e-8, abs=1e-12)
    sub = oracle.neighbor_solutions(A, moves[2:4])
    assert sub == sols[2:4] and oracle.n_solves == 1 + len(moves)


def test_bad_vertices_and_moves_are_refused(ds):
    oracle = RegionOracle(ds, V2)
    A = oracle.random_vertex(1)
    u, flipped = oracle.moves(A)[0]
    with pytest.raises(InvalidInputError, match="not a vertex"):
        oracle.solution(np.zeros((2, ds.N), dtype=int) + np.eye(2, ds.N, dtype=int))
    with pytest.raises(InvalidInputError, match="not an edge"):
        oracle.neighbor_solutions(A, [(5, flipped)])
    with pytest.raises(InvalidInputError, match="not an edge"):
        oracle.neighbor_solutions(A, [(u, flipped + (99,))])
    non_edges = [(u, (i,)) for i in range(ds.N) if (u, (i,)) not in oracle.moves(A)]
    with pytest.raises(InvalidInputError, match="not a vertex of Z"):
        oracle.neighbor_solutions(A, non_edges[:1])
    with pytest.raises(InvalidInputError, match="shape"):
        oracle.solution(np.zeros((3, ds.N), dtype=bool))
    with pytest.raises(InvalidInputError, match="same generators"):
        RegionOracle(ds, V2, zonotope=synthetic(2, 2, 2).zonotope())
    with pytest.raises(InvalidInputError, match="labels"):
        RegionOracle(Dataset([[0.0], [1.0]]), [1.0])


def test_cache_size_bounds_the_cache(ds):
    oracle = RegionOracle(ds, V2, cache_size=2)
    A = oracle.random_vertex(0)
    nbs = oracle.neighbors(A)
    for B in [A] + nbs[:3]:
        oracle.solution(B)
    assert oracle.n_solves == 4
    oracle.solution(nbs[2])                      # still cached
    oracle.solution(A)                           # dropped: solved again
    assert oracle.n_solves == 5 and oracle.n_hits == 1
    none = RegionOracle(ds, V2, cache_size=0)
    none.solution(A), none.solution(A)
    assert none.n_solves == 2


def test_random_vertices_are_seeded_vertices(ds):
    oracle = RegionOracle(ds, V2)
    A, B = oracle.random_vertex(7), oracle.random_vertex(7)
    assert np.array_equal(A, B) and oracle.power.is_vertex(A)
    assert np.array_equal(A, ZonotopePower(ds.zonotope(), 2).random_vertex(7))
