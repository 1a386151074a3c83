"""Chamber enumeration of central arrangements (zonocomb.geometry.chambers), paper §3, app. A.1/A.3.

Independent evidence: closed-form counts in general position, a brute force over all 2^N sign
vectors with an exact margin LP written here (cddlib through zonocomb.exact.solve_lp), and agreement
of three enumerators (ray-based exact, float, incremental LP baseline).
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb.errors import InvalidInputError
from zonocomb.exact import solve_lp
from zonocomb.geometry import chambers as chambers_module
from zonocomb.geometry.chambers import (chambers, chambers_baseline, chambers_exact, chambers_float,
                                        parallel_classes)


def closed_form(N: int, n: int) -> int:
    return 2 * sum(math.comb(N - 1, i) for i in range(n))


def open_cone_nonempty(X, signs) -> bool:
    """max t s.t. s_i x_i·w >= t, t <= 1 has a positive optimum (exact LP)."""
    n = len(X[0])
    rows = [[0] + [s * Fraction(v) for v in x] + [-1] for x, s in zip(X, signs)]
    rows.append([1] + [0] * n + [-1])
    res = solve_lp(rows, [0] * (n + 1) + [1])
    return res.status == "optimal" and res.value > 0


def brute_force(X) -> np.ndarray:
    rows = [b for b in itertools.product((0, 1), repeat=len(X))
            if open_cone_nonempty(X, [2 * v - 1 for v in b])]
    return np.array(rows, dtype=bool).reshape(-1, len(X))


def general_position_points(N, d, rng, low=-50, high=51):
    while True:
        X = np.hstack([rng.integers(low, high, size=(N, d)), np.ones((N, 1), dtype=np.int64)])
        from zonocomb.geometry.position import in_general_position
        if in_general_position(X.tolist()):
            return X


def nonzero_rows(X):
    X = np.asarray(X)
    return X[X.any(axis=1)]


# ----- correctness ------------------------------------------------------------------------------------

@pytest.mark.parametrize("N, d", [(5, 1), (7, 2), (12, 2), (10, 3), (9, 4), (14, 3)])
def test_closed_form_count_in_general_position(N, d):
    X = general_position_points(N, d, np.random.default_rng(N * 10 + d))
    C = chambers_exact(X)
    assert len(C) == closed_form(N, d + 1)
    assert np.array_equal(C, chambers_float(X))


def test_example_and_output_format():
    C = chambers_exact([[1, 0], [0, 1], [1, 1]])
    assert C.dtype == bool and C.shape == (6, 3)
    assert C.astype(int).tolist() == [[0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 1]]


degenerate_data = st.integers(1, 4).flatmap(lambda n: st.lists(
    st.lists(st.integers(-2, 2), min_size=n, max_size=n).filter(any), min_size=1, max_size=7))


@settings(max_examples=40, deadline=None)
@given(X=degenerate_data)
def test_exact_equals_brute_force_on_small_integer_data(X):
    # small entries in [-2, 2]: repeated, parallel, antiparallel, collinear and coplanar
    # generators are frequent, and so are arrangements that do not span Q^n
    C = chambers_exact(X)
    assert np.array_equal(C, brute_force(X))
    assert np.array_equal(C, chambers_baseline(X))
    assert np.array_equal(C, chambers_float(X))


@pytest.mark.parametrize("X", [
    [[1, 2, 1], [1, 2, 1], [0, 0, 1], [3, 1, 1]],                    # repeated example
    [[0, 1], [0, 2], [0, -3], [1, 1]],                               # bias-free parallel/antiparallel
    [[0, 0, 1], [1, 1, 1], [2, 2, 1], [3, 3, 1], [0, 1, 1]],         # four collinear points
    [[0, 0, 0, 1], [1, 0, 0, 1], [0, 1, 0, 1], [1, 1, 0, 1], [0, 0, 1, 1], [2, 3, 0, 1]],  # coplanar
    [[1, 0, 0], [0, 1, 0], [1, 1, 0], [2, -1, 0]],                   # spans a plane of Q^3
    [[1, 1, 1]] * 4,                                                 # rank 1
    [[3]], [[-2], [5], [1]],                                         # n = 1
])
def test_degenerate_examples_against_brute_force(X):
    C = chambers_exact(X)
    assert np.array_equal(C, brute_force(X))
    assert np.array_equal(C, chambers_baseline(X))


def test_filtered_path_equals_int64_path_on_degenerate_data(monkeypatch):
    # force the filtered float predicate (with exact fallback) on data full of exact zeros
    rng = np.random.default_rng(3)
    cases = [nonzero_rows(rng.integers(-2, 3, size=(int(rng.integers(2, 9)), int(rng.integers(2, 5)))))
             for _ in range(25)]
    cases = [X for X in cases if len(X)]
    expected = [chambers_exact(X) for X in cases]
    monkeypatch.setattr(chambers_module, "int64_safe", lambda rows, k: False)
    for X, E in zip(cases, expected):
        assert np.array_equal(chambers_exact(X), E)


def test_huge_rationals_on_a_grid_against_baseline():
    # a 4×4 grid with huge denominators: many exactly collinear triples that no float can see
    X = [[Fraction(i, 3 ** 40) + Fraction(1, 7), Fraction(j, 5 ** 30), 1] for i in range(4) for j in range(4)]
    C = chambers_exact(X)
    assert np.array_equal(C, chambers_baseline(X))
    assert len(C) < closed_form(16, 3)


def test_float_data_in_general_position_uses_exact_filtered_signs():
    rng = np.random.default_rng(11)
    X = np.hstack([rng.standard_normal((30, 3)), np.ones((30, 1))])
    C = chambers_exact(X)
    assert len(C) == closed_form(30, 4)
    assert np.array_equal(C, chambers_float(X))


@settings(max_examples=15, deadline=None)
@given(N=st.integers(2, 12), d=st.integers(1, 3), seed=st.integers(0, 2 ** 32 - 1))
def test_structure_sorted_distinct_symmetric(N, d, seed):
    X = np.random.default_rng(seed).integers(-3, 4, size=(N, d + 1))
    X = nonzero_rows(X)
    if not len(X):
        return
    C = chambers_exact(X)
    rows = [tuple(r) for r in C.astype(int).tolist()]
    assert rows == sorted(set(rows))                                  # sorted, distinct
    assert set(rows) == {tuple(1 - v for v in r) for r in rows}      # central symmetry


def test_positive_scaling_and_parallel_copies_do_not_change_chambers():
    rng = np.random.default_rng(5)
    X = general_position_points(8, 2, rng)
    C = chambers_exact(X)
    assert np.array_equal(chambers_exact(X * np.arange(1, 9)[:, None]), C)
    # appending −x_0 adds a column that is always the complement of column 0
    D = chambers_exact(np.vstack([X, -X[:1]]))
    assert np.array_equal(D[:, :-1], C) and np.array_equal(D[:, -1], ~C[:, 0])


def test_parallel_classes():
    reps, class_of, flip = parallel_classes([[1, 2], [-2, -4], [0, 1], [2, 4], [0, -1]])
    assert reps == [[1, 2], [0, 1]]
    assert class_of.tolist() == [0, 0, 1, 0, 1] and flip.tolist() == [False, True, False, False, True]


# ----- errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("func", [chambers_exact, chambers_baseline, chambers_float])
@pytest.mark.parametrize("bad", [[[1, 2], [0, 0]], [], [[1, 2], [3]], [[1, float("nan")]]])
def test_bad_input_raises(func, bad):
    with pytest.raises(InvalidInputError):
        func(bad)


def test_zero_generator_message_names_it():
    with pytest.raises(InvalidInputError, match=r"generator 1 \(0-based\) .*zero vector"):
        chambers_exact([[1, 2], [0, 0], [3, 1]])


def test_dispatch():
    X = [[1, 0], [0, 1]]
    assert all(np.array_equal(chambers(X, m), chambers_exact(X)) for m in ("exact", "float", "baseline"))
    with pytest.raises(InvalidInputError):
        chambers(X, "magic")
