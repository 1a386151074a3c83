"""Appendix E: the set-cover reduction, its general-position variant and the E.2 perturbation."""
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from zonocomb.proofs_checks.brute import in_linear_general_position
from zonocomb.errors import InvalidInputError
from zonocomb.theory.reductions import (
    cover_weights, general_position_cover_weights, general_position_variant, minimum_cover_size,
    perturb_discontinuity, relu_mse, set_cover_to_relu,
)

INSTANCES = [
    ([1, 2, 3], [[1, 2], [2, 3], [3]]),
    ([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]]),
    (["a", "b"], [["a"], ["b"], ["a", "b"]]),
    ([1, 2, 3, 4], [[1], [2], [3], [4]]),
]


def _covers(inst):
    U = set(inst.universe)
    for t in range(inst.M + 1):
        for combo in combinations(range(inst.M), t):
            if set().union(*(inst.subsets[i] for i in combo)) >= U:
                yield combo


def test_dataset_matches_equations_12_to_15():
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    g = Fraction(1, 900)
    assert inst.gamma == g and inst.d == 5 and inst.dataset.N == 8 and not inst.dataset.homogenize
    X, y = inst.dataset.X_exact, inst.dataset.y_exact
    assert X[0] == (1, 0, 0, 0, 0) and y[0] == g          # (e_γ, γ)
    assert X[1] == (0, 1, 0, 0, 0) and y[1] == 1          # (e_1, 1)
    assert X[2] == (1, 0, 1, 0, 0) and y[2] == g          # (e_γ + e_{T_1}, γ)
    assert X[4] == (1, 0, 0, 0, 1) and y[4] == g
    assert X[5] == (0, 1, 1, 0, 0) and y[5] == 0          # u = 1 ∈ T_1
    assert X[6] == (0, 1, 1, 1, 0) and y[6] == 0          # u = 2 ∈ T_1, T_2
    assert X[7] == (0, 1, 0, 1, 1) and y[7] == 0          # u = 3 ∈ T_2, T_3


@pytest.mark.parametrize("universe,subsets", INSTANCES)
def test_every_cover_has_loss_t_gamma_squared_over_N(universe, subsets):
    inst = set_cover_to_relu(universe, subsets)
    N = inst.dataset.N
    for cover in _covers(inst):
        w, loss = cover_weights(inst, cover)
        assert loss == len(cover) * inst.gamma ** 2 / N
        assert w[0] == inst.gamma and w[1] == 1
        assert all(w[2 + i] == (-1 if i in cover else 0) for i in range(inst.M))


@pytest.mark.parametrize("universe,subsets", INSTANCES)
def test_general_position_variant_certified_and_lemma_E3(universe, subsets):
    inst = set_cover_to_relu(universe, subsets)
    d = inst.d
    gp = general_position_variant(inst, Fraction(1, 10 * d), Fraction(1, 3 * d), random_state=5)
    assert in_linear_general_position(gp.dataset.generators_exact)   # independent exhaustive check
    assert gp.dataset.y_exact == inst.dataset.y_exact
    first = inst.index_of_element(0)
    assert gp.dataset.X_exact[:first] == inst.dataset.X_exact[:first]
    for k, eta in enumerate(gp.eta):
        assert all(gp.delta1 <= e <= gp.delta2 for e in eta)
        orig, new = inst.dataset.X_exact[first + k], gp.dataset.X_exact[first + k]
        assert tuple(a - b for a, b in zip(orig, new)) == eta
    for cover in _covers(inst):
        _, loss = general_position_cover_weights(gp, cover)
        assert loss == len(cover) * inst.gamma ** 2 / inst.dataset.N


def test_original_reduction_is_not_in_general_position():
    inst = set_cover_to_relu([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]])
    assert not in_linear_general_position(inst.dataset.generators_exact)


def test_general_position_variant_is_reproducible():
    inst = set_cover_to_relu([1, 2], [[1], [2]])
    a = general_position_variant(inst, Fraction(1, 100), Fraction(1, 10), random_state=3)
    b = general_position_variant(inst, Fraction(1, 100), Fraction(1, 10), random_state=np.random.default_rng(3))
    assert a.dataset == b.dataset


@pytest.mark.parametrize("d1,d2", [(0, Fraction(1, 20)), (Fraction(1, 20), Fraction(1, 20)),
                                   (Fraction(1, 100), Fraction(1, 8)), (Fraction(-1, 100), Fraction(1, 20))])
def test_general_position_variant_checks_delta_bounds(d1, d2):
    inst = set_cover_to_relu([1, 2], [[1], [2]])   # d = 4, so 1/(2d) = 1/8
    with pytest.raises(InvalidInputError, match="1/\\(2d\\)"):
        general_position_variant(inst, d1, d2, random_state=0)


@pytest.mark.parametrize("universe,subsets", INSTANCES)
def test_perturbation_E2_witness(universe, subsets):
    inst = set_cover_to_relu(universe, subsets)
    N = inst.dataset.N
    for T in range(inst.M):
        for eps in (Fraction(1, 10), Fraction(1, 10 ** 6)):
            wit = perturb_discontinuity(inst, T, eps)
            assert wit.loss == inst.gamma ** 2 / N
            # any w_T <= -1/eps works too (the paper's condition)
            w2 = list(wit.weights)
            w2[2 + T] = -3 / eps
            assert relu_mse(wit.instance.dataset, w2) == inst.gamma ** 2 / N
            # only the x_u moved, by exactly eps e_T
            for i, (a, b) in enumerate(zip(inst.dataset.X_exact, wit.instance.dataset.X_exact)):
                diff = tuple(q - p for p, q in zip(a, b))
                moved = i >= inst.index_of_element(0)
                assert diff == tuple(eps if (moved and j == 2 + T) else 0 for j in range(inst.d))
            # the unperturbed weights realise the same (strict) activation pattern off the boundary
            pat_new = [_dot(wit.weights, x) > 0 for x in wit.instance.dataset.X_exact]
            pat_old = [_dot(wit.unperturbed_weights, x) > 0 for x in inst.dataset.X_exact]
            assert pat_new == pat_old
            assert all(_dot(wit.unperturbed_weights, x) != 0 for x in inst.dataset.X_exact)


def _dot(a, b):
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


def test_input_validation():
    with pytest.raises(InvalidInputError, match="empty"):
        set_cover_to_relu([], [[1]])
    with pytest.raises(InvalidInputError, match="M >= 1"):
        set_cover_to_relu([1], [])
    with pytest.raises(InvalidInputError, match="not in the universe"):
        set_cover_to_relu([1, 2], [[1, 3]])
    with pytest.raises(InvalidInputError, match="twice"):
        set_cover_to_relu([1, 1], [[1]])
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    with pytest.raises(InvalidInputError, match="do not cover"):
        cover_weights(inst, [1])
    with pytest.raises(InvalidInputError, match="out of range"):
        cover_weights(inst, [0, 3])
    with pytest.raises(InvalidInputError, match="twice"):
        cover_weights(inst, [0, 0, 1])
    gp = general_position_variant(inst, Fraction(1, 100), Fraction(1, 20), random_state=0)
    with pytest.raises(InvalidInputError, match="general_position_cover_weights"):
        cover_weights(gp, [0, 1])
    with pytest.raises(InvalidInputError, match="cover_weights"):
        general_position_cover_weights(inst, [0, 1])
    with pytest.raises(InvalidInputError, match="eps"):
        perturb_discontinuity(inst, 0, 0)
    with pytest.raises(InvalidInputError, match="subset index"):
        perturb_discontinuity(inst, 3, Fraction(1, 10))


def test_uncovered_universe_has_no_cover():
    inst = set_cover_to_relu([1, 2, 3], [[1], [2]])
    assert minimum_cover_size(inst) is None
    assert inst.dataset.X_exact[-1] == inst.dataset.X_exact[1]     # x_3 = e_1 = x_1, labels 0 vs 1
    wit = perturb_discontinuity(inst, 0, Fraction(1, 100))
    assert wit.loss == inst.gamma ** 2 / inst.dataset.N and wit.unperturbed_weights is None


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sets(st.integers(0, 4), max_size=5), min_size=1, max_size=4))
def test_minimum_cover_size_matches_brute_force(subsets):
    universe = sorted(set().union(*subsets)) or [0]
    subsets = subsets if set().union(*subsets) else subsets + [{0}]
    inst = set_cover_to_relu(universe, subsets)
    sizes = [len(c) for c in _covers(inst)]
    assert minimum_cover_size(inst) == min(sizes)
    w, loss = cover_weights(inst, next(_covers(inst)))
    assert loss == min(sizes) * inst.gamma ** 2 / inst.dataset.N


def test_general_position_rejects_already_perturbed():
    inst = set_cover_to_relu([1, 2], [[1], [2]])
    gp = general_position_variant(inst, Fraction(1, 100), Fraction(1, 20), random_state=1)
    with pytest.raises(InvalidInputError, match="already"):
        general_position_variant(gp, Fraction(1, 100), Fraction(1, 20), random_state=1)


def test_exact_mse_matches_the_float_region_solver_on_a_reduction():
    from zonocomb import certify_exact
    from zonocomb.convex.region import RegionProgram

    inst = set_cover_to_relu([1, 2], [[1], [2], [1, 2]])
    ds = inst.dataset
    program = RegionProgram(ds, [1.0], loss="mse", fit_bias=False)
    losses = []
    for b in ds.zonotope().vertices():
        sol = program.solve(b)
        cert = certify_exact(ds, b, [1], fit_bias=False, hint=sol)
        cert.verify()
        loss, w = cert.loss, cert.W[0]
        assert abs(float(loss) - sol.loss) <= 1e-12
        # the certified point is feasible for the barcode and attains the loss
        values = [sum((a * x for a, x in zip(w, g)), Fraction(0)) for g in ds.generators_exact]
        assert all((v >= 0) if bi else (v <= 0) for v, bi in zip(values, b))
        assert relu_mse(ds, w) == loss
        losses.append(loss)
    assert min(losses) == minimum_cover_size(inst) * inst.gamma ** 2 / ds.N
