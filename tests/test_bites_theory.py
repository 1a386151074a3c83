"""Exact theory results on edge cases: appendix D's vertex L1 losses with negative labels on
inactive examples (and the contract of zonocomb/theory/discontinuity.py), and theorem 4.3's
construction when a chunk fit already has the right signs."""
from __future__ import annotations

from fractions import Fraction as F
from itertools import product

import pytest

from zonocomb import Dataset
from zonocomb.errors import InvalidInputError
from zonocomb.theory.construction import construct_interpolant
from zonocomb.theory.discontinuity import (appendix_d1, appendix_d2, best_vertices, l1_loss, vertex_l1_loss,
                                           vertex_losses, vertex_table)

# Linear (bias-free) ReLU on scalar inputs: w is one number, the region of a barcode is a ray.
X1 = [F(-2), F(-1), F(1, 2), F(1), F(3)]
Y1 = [F(-3), F(1), F(-1, 2), F(2), F(-5, 2)]          # negative labels on both sides of 0


def _brute_vertex_l1(x, y, barcode):
    """min over the closed region {w : w x_i ≥ 0 if b_i, ≤ 0 otherwise} of
    (1/N) Σ_active |w x_i − y_i| + (1/N) Σ_inactive |y_i| (ŷ = 0 there), by evaluating the convex
    piecewise-linear objective at every breakpoint y_i/x_i in the region and at w = 0."""
    cands = [F(0)] + [yi / xi for xi, yi, b in zip(x, y, barcode) if b and xi]
    feasible = [w for w in cands if all((w * xi >= 0) if b else (w * xi <= 0) for xi, b in zip(x, barcode))]
    return min(sum(abs(w * xi - yi) if b else abs(yi) for xi, yi, b in zip(x, y, barcode)) / len(x)
               for w in feasible)


def test_vertex_l1_loss_counts_negative_labels_of_inactive_examples_by_their_size():
    ds = Dataset([[v] for v in X1], y=Y1, homogenize=False)
    # The two vertices of this 1-D zonotope (w > 0, w < 0) and, for the cross-check, every barcode
    # of the two half-lines (the closed regions include w = 0).
    for barcode in [(0, 0, 1, 1, 1), (1, 1, 0, 0, 0)]:
        loss, w = vertex_l1_loss(ds, barcode)
        assert loss == _brute_vertex_l1(X1, Y1, barcode)
        assert l1_loss(ds, w) == loss                             # the minimiser attains it
        assert all((w[0] * xi >= 0) if b else (w[0] * xi <= 0) for xi, b in zip(X1, barcode))


def test_inactive_labels_enter_the_vertex_loss_as_a_constant_of_their_size():
    # On a vertex whose region is a full cone, an inactive example adds |y_i|/N whatever its sign:
    # flipping the sign of its label leaves the loss unchanged, and zeroing it lowers the loss by
    # exactly |y_i|/N (appendix D's data, negative labels planted on inactive examples).
    ds = appendix_d1().dataset
    N = ds.N
    for barcode in [(0, 0, 1, 1, 1), (0, 0, 0, 1, 1), (0, 0, 0, 0, 1)]:
        inactive = [i for i in range(N) if not barcode[i]]
        base = list(ds.y_exact)
        for i in inactive:
            base[i] = F(0)
        zero = vertex_l1_loss(Dataset(ds.X_exact, y=base), barcode)[0]
        for signs in product((1, -1), repeat=len(inactive)):
            y = list(base)
            for s, i in zip(signs, inactive):
                y[i] = s * F(i + 1, 3)
            got, w = vertex_l1_loss(Dataset(ds.X_exact, y=y), barcode)
            assert got == zero + sum(F(i + 1, 3) for i in inactive) / N
            assert l1_loss(Dataset(ds.X_exact, y=y), w) == got


def _staircase(net, n_examples):
    """The pattern section 4.2.1 describes: the two units of chunk k are off on earlier chunks
    and on from chunk k on (in the sorted order)."""
    rank = {i: r for r, i in enumerate(i for ch in net.chunks for i in ch)}
    return [[rank[i] >= k * len(net.chunks[0]) for i in range(n_examples)]
            for k in range(len(net.chunks)) for _ in range(2)]


@pytest.mark.parametrize("y", [
    [0, 0, 0, 0, 0],                    # every chunk fit is w = 0: the paper's β would be 0
    [1, 2, 3, 4, 5],                    # y = x + 1: the first fit is positive everywhere after it
    [F(1, 2), F(1, 2), 1, F(3, 2), 2],  # later fits have the right signs too
    [10, 0, 0, 0, 0],                   # right signs on its own chunk (β = 1 there), steeply
])                                      # negative on the later ones: β must cover them
def test_interpolant_is_strict_and_staircase_when_chunk_fits_already_have_the_right_signs(y):
    # Theorem 4.3 (appendix F) with β = 1 + max(...): every preactivation is nonzero (the pattern is a
    # strict vertex of Z^m), the pattern is the staircase, and every residual is exactly zero.
    ds = Dataset([[0], [1], [2], [3], [4]], y=y)
    net = construct_interpolant(ds)
    assert net.m == 6
    assert set(net.residuals()) == {0}
    for wu in net.W:
        assert all(sum((a * b for a, b in zip(wu, xb)), F(0)) != 0 for xb in ds.generators_exact)
        assert any(wu)
    assert net.pattern.tolist() == _staircase(net, ds.N)


# ------------------------------------------------------------------ appendix D's contract
@pytest.mark.parametrize("make, name", [(appendix_d1, "D.1"), (appendix_d2, "D.2")])
def test_appendix_examples_lie_in_the_plane_their_axes_name(make, name):
    # The unperturbed zonogon lies in the coordinate plane `axes` (figures 4 and 5); the
    # perturbation ε leaves it, and the example records its name and ε.
    ex = make()
    assert ex.name == name and ex.eps is None and ex.paper_weights is None
    assert len(ex.axes) == 2 and ex.axes[0] != ex.axes[1]
    off = [j for j in range(ex.dataset.n) if j not in ex.axes]
    assert all(g[j] == 0 for g in ex.dataset.generators_exact for j in off)
    assert all(any(g[j] != 0 for g in ex.dataset.generators_exact) for j in ex.axes)
    eps = F(1, 10)
    moved = make(eps)
    assert moved.name == name and moved.eps == eps and moved.axes == ex.axes
    assert any(g[j] == eps for g in moved.dataset.generators_exact for j in off)


def test_vertex_table_rows_carry_a_minimiser_and_the_vertex_point():
    ds = appendix_d1().dataset
    for row in vertex_table(ds):
        assert l1_loss(ds, row.w) == row.loss
        assert row.point == tuple(sum((g[j] for g, b in zip(ds.generators_exact, row.barcode) if b), F(0))
                                  for j in range(ds.n))
        assert row.active == tuple(i + 1 for i, b in enumerate(row.barcode) if b)


@pytest.mark.parametrize("barcode", [(1, 0, 1, 1), (1, 0, 1, 1, 0, 1), (1, 0, 2, 1, 0), (1, 0, -1, 1, 0)])
def test_vertex_l1_loss_rejects_barcodes_of_the_wrong_length_or_alphabet(barcode):
    with pytest.raises(InvalidInputError, match="barcode"):
        vertex_l1_loss(appendix_d1().dataset, barcode)


def test_appendix_and_vertex_errors_name_the_problem():
    with pytest.raises(InvalidInputError, match="labels"):
        vertex_l1_loss(Dataset([[1], [2]]), (1, 0))
    for bad in (0, -1, F(-1, 3)):
        with pytest.raises(InvalidInputError, match="eps"):
            appendix_d1(bad)
    with pytest.raises(InvalidInputError, match="eps"):
        appendix_d2("not a number")


def test_best_vertices_and_vertex_losses_give_the_papers_optima():
    # Appendix D.1: the best vertex is the all-active one, loss 1/10; D.2: active set {2, 3}, loss 5/4.
    d1 = appendix_d1().dataset
    assert best_vertices(vertex_table(d1)) == (F(1, 10), [(1, 2, 3, 4, 5)])
    losses = vertex_losses(appendix_d2().dataset)
    assert min(losses.values()) == F(5, 4)
    assert [b for b, loss in losses.items() if loss == F(5, 4)] == [(0, 1, 1, 0)]
    assert losses == {row.barcode: row.loss for row in vertex_table(appendix_d2().dataset)}
