"""Appendix D: exact per-vertex L1 losses of the two discontinuity examples."""
from fractions import Fraction
from itertools import product

import pytest

from zonocomb.proofs_checks.brute import brute_force_vertices
from zonocomb.errors import InvalidInputError
from zonocomb.theory.discontinuity import appendix_d1, appendix_d2, l1_loss, vertex_l1_loss, vertex_table

EPS = [Fraction(1, 10), Fraction(1, 1000), Fraction(3, 7)]


def _table(example):
    ds = example.dataset
    return vertex_table(ds, brute_force_vertices(ds.generators_exact))


def _best(rows):
    best = min(r.loss for r in rows)
    return best, [r for r in rows if r.loss == best]


def test_d1_original_best_vertex_is_all_active_with_loss_one_tenth():
    rows = _table(appendix_d1())
    assert len(rows) == 10          # 5 distinct points on a line with a bias: 2 + 2·4 thresholds
    best, winners = _best(rows)
    assert best == Fraction(1, 10)
    assert [r.active for r in winners] == [(1, 2, 3, 4, 5)]


@pytest.mark.parametrize("eps", EPS)
def test_d1_perturbed_reaches_zero_at_the_same_vertex(eps):
    ex = appendix_d1(eps)
    assert ex.paper_weights == (1, -1 / (2 * eps), 0)
    assert l1_loss(ex.dataset, ex.paper_weights) == 0
    # the paper's weights keep every example active
    assert all(sum(w * x for w, x in zip(ex.paper_weights, g)) >= 0 for g in ex.dataset.generators_exact)
    rows = _table(ex)
    best, winners = _best(rows)
    assert best == 0 and [r.active for r in winners] == [(1, 2, 3, 4, 5)]
    original = {r.barcode for r in _table(appendix_d1())}
    assert (1, 1, 1, 1, 1) in original


def test_d2_original_best_vertex():
    rows = _table(appendix_d2())
    best, winners = _best(rows)
    assert best == Fraction(5, 4)
    assert [r.active for r in winners] == [(2, 3)]
    assert (1, 1, 1, 1) not in {r.barcode for r in rows}


@pytest.mark.parametrize("eps", EPS)
def test_d2_perturbed_new_all_active_vertex(eps):
    ex = appendix_d2(eps)
    assert ex.paper_weights == (Fraction(-3, 2), Fraction(1, 2), Fraction(11, 2) / eps)
    assert l1_loss(ex.dataset, ex.paper_weights) == Fraction(5, 8)
    assert all(sum(w * x for w, x in zip(ex.paper_weights, g)) > 0 for g in ex.dataset.generators_exact)
    rows = _table(ex)
    best, winners = _best(rows)
    assert best == Fraction(5, 8)
    assert [r.active for r in winners] == [(1, 2, 3, 4)]


def test_vertex_program_matches_a_grid_search_lower_envelope():
    # D.2 original, pattern {x2, x3}: the LP optimum is attained and no grid point of the region beats it
    ds = appendix_d2().dataset
    loss, w = vertex_l1_loss(ds, (0, 1, 1, 0))
    assert l1_loss(ds, w) == loss == Fraction(5, 4)
    for a, b in product(range(-12, 13), repeat=2):
        wg = (Fraction(a, 3), Fraction(b, 3), 0)
        signs = [sum(p * q for p, q in zip(wg, g)) for g in ds.generators_exact]
        if signs[0] <= 0 and signs[1] >= 0 and signs[2] >= 0 and signs[3] <= 0:
            assert l1_loss(ds, wg) >= loss


def test_vertex_points_and_active_sets():
    rows = _table(appendix_d1())
    for r in rows:
        assert r.active == tuple(i + 1 for i, b in enumerate(r.barcode) if b)
        assert r.point == (sum(r.active, 0), 0, len(r.active))


def test_tables_use_the_engine_vertices_when_available():
    pytest.importorskip("zonocomb.geometry.zonotope")
    for ex in (appendix_d1(), appendix_d2(), appendix_d1(Fraction(1, 5)), appendix_d2(Fraction(1, 5))):
        assert [r.barcode for r in vertex_table(ex.dataset)] == [r.barcode for r in _table(ex)]


def test_input_validation():
    with pytest.raises(InvalidInputError, match="positive"):
        appendix_d1(0)
    with pytest.raises(InvalidInputError, match="barcode"):
        vertex_l1_loss(appendix_d2().dataset, (1, 0, 1))
    with pytest.raises(InvalidInputError, match="entries"):
        l1_loss(appendix_d2().dataset, (1, 2))
