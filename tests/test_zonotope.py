"""Zonotope and arrangement API (zonocomb.geometry.zonotope / arrangement), paper §3, app. A.1–A.3.

Independent evidence: brute force over all 2^N barcodes with an exact LP written here, closed-form
vertex and edge counts in general position, the combinatorial edge criterion against the lazy
wall computation, and a per-class exact LP check of neighbours on larger random instances.
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb import Dataset, HyperplaneArrangement, Zonotope, combinatorially_equivalent
from zonocomb.errors import BackendError, InvalidInputError, InvalidTypeError, TooLargeError
from zonocomb.exact import solve_lp
from zonocomb.geometry import zonotope as zonotope_module
from zonocomb.geometry.position import in_general_position


def closed_form_vertices(N, n):
    return 2 * sum(math.comb(N - 1, i) for i in range(n))


def closed_form_edges(N, n):
    return 2 * N * sum(math.comb(N - 2, i) for i in range(n - 1))


def is_vertex_lp(X, b) -> bool:
    """Exact margin LP: {w : (2b_i − 1) x_i·w > 0} is nonempty."""
    n = len(X[0])
    rows = [[0] + [(2 * v - 1) * Fraction(c) for c in x] + [-1] for x, v in zip(X, b)]
    rows.append([1] + [0] * n + [-1])
    res = solve_lp(rows, [0] * (n + 1) + [1])
    return res.status == "optimal" and res.value > 0


def covector_feasible(X, s) -> bool:
    """Exact LP: some w has sign(x_i·w) = s_i for all i."""
    n = len(X[0])
    ineq = [[0] + [si * Fraction(c) for c in x] + [-1] for x, si in zip(X, s) if si]
    ineq.append([1] + [0] * n + [-1])
    eq = [[0] + [Fraction(c) for c in x] + [0] for x, si in zip(X, s) if not si]
    res = solve_lp(ineq, [0] * (n + 1) + [1], equalities=eq)
    return res.status == "optimal" and res.value > 0


def gp_points(N, d, seed):
    rng = np.random.default_rng(seed)
    while True:
        X = np.hstack([rng.integers(-30, 31, size=(N, d)), np.ones((N, 1), dtype=np.int64)])
        if in_general_position(X.tolist()):
            return X.tolist()


DEGENERATE = [
    [[1, 2, 1], [1, 2, 1], [0, 0, 1], [3, 1, 1], [2, 2, 1]],                      # repeated example
    [[0, 0, 1], [1, 1, 1], [2, 2, 1], [3, 3, 1], [0, 1, 1], [1, 0, 1]],           # collinear
    [[0, 0, 0, 1], [1, 0, 0, 1], [0, 1, 0, 1], [1, 1, 0, 1], [0, 0, 1, 1], [2, 1, 1, 1]],  # coplanar
    [[0, 1], [0, 2], [0, -3], [1, 1], [-2, -2], [1, -1]],                         # bias-free ±parallel
    [[1, 0, 0], [0, 1, 0], [1, 1, 0], [2, -1, 0]],                                # not full-dimensional
]

small = st.integers(1, 4).flatmap(lambda n: st.lists(
    st.lists(st.integers(-2, 2), min_size=n, max_size=n).filter(any), min_size=1, max_size=6))


# ----- vertices ---------------------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(X=small)
def test_vertices_equal_brute_force_and_is_vertex(X):
    Z = Zonotope(X)
    V = Z.vertices()
    assert V == [b for b in itertools.product((0, 1), repeat=len(X)) if is_vertex_lp(X, b)]
    fresh = Zonotope(X)                                   # no cached vertex set: LP path of is_vertex
    assert [b for b in itertools.product((0, 1), repeat=len(X)) if fresh.is_vertex(b)] == V
    assert Z.vertices(exact=False) == V


@pytest.mark.parametrize("X", DEGENERATE)
def test_degenerate_vertices_equal_brute_force(X):
    V = Zonotope(X).vertices()
    assert V == [b for b in itertools.product((0, 1), repeat=len(X)) if is_vertex_lp(X, b)]


@pytest.mark.parametrize("N, d", [(6, 1), (8, 2), (9, 3), (8, 4)])
def test_closed_form_vertex_count(N, d):
    Z = Zonotope(gp_points(N, d, seed=N + d))
    assert Z.num_vertices() == closed_form_vertices(N, d + 1)   # closed form after exact GP test
    assert len(Z.vertices()) == closed_form_vertices(N, d + 1)  # enumeration
    assert Z.num_vertices() == len(Z.vertices())


def test_num_vertices_degenerate_enumerates():
    X = DEGENERATE[1]
    assert Zonotope(X).num_vertices() == len(Zonotope(X).vertices()) < closed_form_vertices(6, 3)


def test_vertex_point_is_the_maximizer_of_its_chamber():
    X = gp_points(7, 2, seed=1)
    Z = Zonotope(X)
    rng = np.random.default_rng(0)
    points = {b: Z.vertex_point(b) for b in Z.vertices()}
    for _ in range(20):
        w = [Fraction(int(v)) for v in rng.integers(-100, 101, size=3)]
        try:
            b = Z.pattern_of(w)
        except InvalidInputError:
            continue
        value = {c: sum(a * x for a, x in zip(w, p)) for c, p in points.items()}
        assert value[b] == max(value.values())
        assert sum(1 for v in value.values() if v == value[b]) == 1      # unique maximizer
        assert points[b] == tuple(sum(Fraction(x[j]) for x, l in zip(X, b) if l) for j in range(3))


def test_pattern_of():
    Z = Zonotope([[0, 0, 1], [1, 0, 1], [0, 1, 1]])
    assert Z.pattern_of([1, 1, "-1/2"]) == (0, 1, 1)
    assert Z.pattern_of(np.array([0.5, 0.25, -0.125])) == (0, 1, 1)
    with pytest.raises(InvalidInputError, match="hyperplane"):
        Z.pattern_of([1, 0, 0])                      # w·x_0 = 0
    with pytest.raises(InvalidInputError):
        Z.pattern_of([1, 2])


def test_examples_in_docstring():
    Z = Zonotope([[0, 0, 1], [1, 0, 1], [0, 1, 1]])
    assert Z.num_vertices() == 8 and Z.vertices()[:3] == [(0, 0, 0), (0, 0, 1), (0, 1, 0)]
    assert Z.vertex_point((1, 1, 0)) == (1, 0, 2)
    assert Z.neighbors((1, 1, 0)) == [(0, 1, 0), (1, 0, 0), (1, 1, 1)]


# ----- the 1-skeleton ------------------------------------------------------------------------------------

def skeleton_invariants(X, general=False):
    Z = Zonotope(X)
    G = Z.skeleton()
    V = Z.vertices()
    assert sorted(G.nodes) == V
    assert nx.is_connected(G)
    classes = Z.parallel_classes
    for u, v in G.edges:
        diff = tuple(i for i in range(len(X)) if u[i] != v[i])
        assert diff in classes                                  # an edge flips one whole class
    vs = set(V)
    for b in V:
        assert tuple(1 - x for x in b) in vs                    # central symmetry
        assert Z.neighbors(b) == sorted(G.neighbors(b))         # lazy walls == combinatorial edges
        for members in classes:                                 # every one-class flip that is a
            flipped = list(b)                                   # vertex is an edge (app. A.1)
            for i in members:
                flipped[i] = 1 - flipped[i]
            assert (tuple(flipped) in vs) == G.has_edge(b, tuple(flipped))
    if general:
        n = len(X[0])
        assert min(d for _, d in G.degree) >= n
        assert G.number_of_edges() == closed_form_edges(len(X), n)
    return G


@pytest.mark.parametrize("N, d", [(6, 1), (7, 2), (8, 3)])
def test_skeleton_general_position(N, d):
    skeleton_invariants(gp_points(N, d, seed=3 * N + d), general=True)


@pytest.mark.parametrize("X", DEGENERATE)
def test_skeleton_degenerate(X):
    skeleton_invariants(X)


@settings(max_examples=20, deadline=None)
@given(X=small)
def test_skeleton_property(X):
    skeleton_invariants(X)


@pytest.mark.parametrize("N, d, seed", [(40, 4, 0), (60, 8, 1)])
def test_neighbors_on_larger_data_against_per_class_lp(N, d, seed):
    rng = np.random.default_rng(seed)
    X = np.hstack([rng.standard_normal((N, d)), np.ones((N, 1))])
    X[5] = X[9]                                                  # a repeated example as well
    Z = Zonotope(X)
    G = [[Fraction(v) for v in row] for row in X.tolist()]
    for _ in range(2):
        b = Z.pattern_of(rng.standard_normal(d + 1))
        got = Z.neighbors(b)
        expected = []
        for members in Z.parallel_classes:
            f = list(b)
            for i in members:
                f[i] = 1 - f[i]
            if is_vertex_lp(G, f):
                expected.append(tuple(f))
        assert got == sorted(expected)
        assert len(got) >= d + 1


@pytest.mark.parametrize("X", DEGENERATE[:4] + [gp_points(9, 2, seed=8)])
def test_exact_fallbacks_when_the_float_lp_fails(X, monkeypatch):
    # with every float LP failing, walls and vertex tests fall back to exact cddlib LPs
    Z = Zonotope(X)
    V = Z.vertices()
    expected = {b: Zonotope(X).neighbors(b) for b in V}

    class Failed:
        status, x = 4, None

    import scipy.optimize
    monkeypatch.setattr(scipy.optimize, "linprog", lambda *a, **k: Failed())
    fresh = Zonotope(X)
    assert [b for b in itertools.product((0, 1), repeat=len(X)) if fresh.is_vertex(b)] == V
    assert all(Zonotope(X).neighbors(b) == nbrs for b, nbrs in expected.items())


def test_neighbors_cache_and_errors():
    Z = Zonotope([[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]])
    b = Z.vertices()[3]
    assert Z.neighbors(b) == Z.neighbors(list(b)) == Z.neighbors(np.array(b, dtype=bool))
    Y = Zonotope([[1, 2, 1], [1, 2, 1], [0, 0, 1]])
    with pytest.raises(InvalidInputError, match="not a vertex"):
        Y.neighbors((1, 0, 0))                                  # splits a repeated example
    with pytest.raises(InvalidInputError, match="not a vertex"):
        Zonotope([[1, 0], [0, 1], [1, 1]]).neighbors((1, 1, 0))  # an empty region
    with pytest.raises(InvalidInputError):
        Z.neighbors((1, 0, 1))                                  # wrong length
    with pytest.raises(InvalidInputError):
        Z.neighbors((1, 0, 2, 0))


# ----- float path, equivalence, errors ------------------------------------------------------------------

def test_float_vertices_and_certification(monkeypatch):
    X = gp_points(9, 2, seed=4)
    Z = Zonotope(X)
    assert Z.vertices(exact=False, certify=True) == Z.vertices()
    wrong = Zonotope(X)
    monkeypatch.setattr(zonotope_module, "chambers_float", lambda G: zonotope_module.chambers_exact(G)[1:])
    with pytest.raises(BackendError, match="floating-point"):
        wrong.vertices(exact=False, certify=True)


def test_combinatorial_equivalence():
    X = gp_points(7, 2, seed=6)
    Z = Zonotope(X)
    scaled = Zonotope([[Fraction(k + 1, 3) * v for v in row] for k, row in enumerate(X)])
    assert combinatorially_equivalent(Z, scaled)                    # positive scaling: same barcodes
    moved = [list(r) for r in X]
    moved[0] = [moved[1][0] + (moved[2][0] - moved[1][0]) * 2, moved[1][1] + (moved[2][1] - moved[1][1]) * 2, 1]
    assert not combinatorially_equivalent(Z, Zonotope(moved))       # now three points are collinear
    assert not combinatorially_equivalent(Z, Zonotope(X[:-1]))      # different N
    with pytest.raises(InvalidTypeError):
        combinatorially_equivalent(Z, X)


def test_bad_inputs():
    with pytest.raises(InvalidInputError, match="zero vector"):
        Zonotope([[1, 2], [0, 0]])
    with pytest.raises(InvalidInputError):
        Zonotope([[1, 2], [3]])
    with pytest.raises(InvalidInputError):
        Zonotope([])
    Z = Zonotope([[1, 0], [0, 1]])
    with pytest.raises(InvalidInputError):
        Z.is_vertex((1, 1, 1))
    with pytest.raises(InvalidInputError):
        Z.is_vertex(("1", 0))
    with pytest.raises(InvalidInputError, match="not a vertex"):
        Zonotope([[1, 0], [0, 1], [1, 1]]).vertex_point((1, 1, 0))


def test_too_large_is_refused():
    rng = np.random.default_rng(0)
    Z = Zonotope(np.hstack([rng.integers(-9, 10, size=(350, 8)), np.ones((350, 1), dtype=int)]))
    with pytest.raises(TooLargeError):
        Z.vertices()
    with pytest.raises(TooLargeError):
        Z.num_vertices()
    b = Z.pattern_of(rng.standard_normal(9))                    # local structure still works
    assert len(Z.neighbors(b)) >= 9


def test_dataset_integration_and_power():
    ds = Dataset([[0, 0], [1, 0], [0, 1], [1, 1], [2, 3]])
    Z = ds.zonotope()
    assert Z.N == 5 and Z.n == 3 and Z.generators == ds.generators_exact
    assert Z.num_vertices() == closed_form_vertices(5, 3)
    assert Z.power(2).num_vertices() == Z.num_vertices() ** 2
    assert ds.arrangement().num_chambers() == Z.num_vertices()
    # the constructors take a Dataset as its generators: x̄_i, or x_i when bias-free
    for data in (ds, Dataset([[1, 2], [-1, 1], [2, -3]], homogenize=False)):
        assert Zonotope(data).generators == data.generators_exact
        assert Zonotope(data).vertices() == data.zonotope().vertices()
        assert HyperplaneArrangement(data).chambers() == data.arrangement().chambers()
    with pytest.raises(InvalidTypeError, match="got int"):
        Zonotope(5)


# ----- the arrangement -------------------------------------------------------------------------------------

def test_arrangement_chambers_and_walls():
    X = DEGENERATE[3]
    H = HyperplaneArrangement(X)
    assert (H.n_hyperplanes, H.dim) == (6, 2)
    Z = Zonotope(X)
    assert H.chambers() == [tuple(2 * v - 1 for v in b) for b in Z.vertices()]
    for s in H.chambers():
        b = tuple((v + 1) // 2 for v in s)
        walls = H.walls(s)
        classes = [c for c in Z.parallel_classes if set(c) <= set(walls)]
        assert sorted(i for c in classes for i in c) == walls
        flipped = sorted(tuple(1 - v if i in c else v for i, v in enumerate(b)) for c in classes)
        assert flipped == Z.neighbors(b)
    with pytest.raises(InvalidInputError):
        H.walls([1] * 5)
    with pytest.raises(InvalidInputError):
        H.walls([1, -1, 1, 1, 1, 1])                 # (0,1) and (0,2) are parallel: opposite signs


@pytest.mark.parametrize("X", [[[1, 0], [0, 1], [1, 1]], [[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
                               DEGENERATE[1][:5], DEGENERATE[4]])
def test_covectors_equal_brute_force(X):
    H = HyperplaneArrangement(X)
    expected = [s for s in itertools.product((-1, 0, 1), repeat=len(X)) if covector_feasible(X, s)]
    assert H.covectors() == expected


def test_arrangement_bad_input():
    with pytest.raises(InvalidInputError, match="zero vector"):
        HyperplaneArrangement([[1, 0], [0, 0]])


def test_fraction_free_elimination_certificates():
    # the exact redundancy test behind neighbors(): sparse matrices (row swaps) and huge entries
    from zonocomb.exact.rational import solve
    from zonocomb.geometry.arrangement import _nonnegative_solutions
    rng = np.random.default_rng(2)
    for _ in range(300):
        r = int(rng.integers(1, 6))
        A = (rng.integers(-3, 4, size=(r + 4, r)) * (rng.random((r + 4, r)) < 0.5)).tolist()
        if rng.random() < 0.3:
            A = [[v * 10 ** 25 + int(rng.integers(0, 3)) for v in row] for row in A]
        B = [[A[q][i] for q in range(r)] for i in range(r)]
        got = _nonnegative_solutions(A, list(range(r)), list(range(r, r + 4)))
        try:
            mus = [solve(B, [A[P][i] for i in range(r)]) for P in range(r, r + 4)]
        except InvalidInputError:                        # singular basis: nothing is certified
            assert got == [False] * 4
            continue
        assert got == [all(m >= 0 for m in mu) for mu in mus]


@pytest.mark.parametrize("exact", [True, False])
def test_the_cached_vertex_array_is_read_only(exact):
    """vertex_array is cached and documented read-only: a caller's write must not corrupt the cache."""
    Z = Zonotope(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    V = Z.vertex_array(exact=exact)
    assert V is Z.vertex_array(exact=exact)
    with pytest.raises(ValueError):
        V[0, 0] = not V[0, 0]


def test_the_vertex_limit_allows_exactly_max_vertices(monkeypatch):
    """Enumeration is refused only when the closed-form bound exceeds MAX_VERTICES (inclusive limit)."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])        # 3 classes of rank 2: 6 vertices
    monkeypatch.setattr(zonotope_module, "MAX_VERTICES", 6)
    assert len(Zonotope(X).vertex_array()) == 6
    monkeypatch.setattr(zonotope_module, "MAX_VERTICES", 5)
    with pytest.raises(TooLargeError, match="up to 6 vertices, more than 5"):
        Zonotope(X).vertex_array()
