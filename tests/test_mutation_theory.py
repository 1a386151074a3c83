"""Contracts of zonocomb/theory that mutation testing (docs/testing.md) found unchecked: theorem
4.3's construction worked by hand (appendix F's formulas), the network's output as the definition
Σ_u v_u φ(W_u·x̄) + c at points where a unit's preactivation is barely positive, and the Lipschitz
bound's formula."""
from __future__ import annotations

import math
import re
from fractions import Fraction as F

import pytest

from zonocomb import Dataset
from zonocomb.errors import InvalidInputError
from zonocomb.theory.construction import construct_interpolant


def _relu_net(net, x):
    """Σ_u v_u max(0, W_u·x̄) + c over Q, straight from the definition (x̄ = (x, 1))."""
    xbar = list(x) + [F(1)]
    return net.c + sum(vu * max(F(0), sum(wj * xj for wj, xj in zip(wu, xbar)))
                       for wu, vu in zip(net.W, net.v))


def test_theorem_4_3_one_chunk_by_hand():
    """N = 2, d = 1: one chunk, no earlier examples. Appendix F: hi = min c·x = 0, lo = hi − 2,
    α = −1, ũ = 4/(hi − lo)·(1, −α) = (2, 2); the chunk fit w = (−7/2, 3) interpolates (0, 3) and
    (1, −1/2); β = 1 + max(φ(−3), φ(1/2)) = 3/2; units w + βũ = (−1/2, 6) and βũ = (3, 3)."""
    net = construct_interpolant(Dataset([[0], [1]], y=[3, F(-1, 2)]))
    assert net.W == ((F(-1, 2), F(6)), (F(3), F(3)))
    assert net.v == (1, -1) and net.c == 0
    assert net.residuals() == (0, 0)


def test_theorem_4_3_beta_is_one_plus_the_largest_wrong_sign_violation():
    """β = 1 + max(max over earlier examples of φ(w·ā), max over this and later ones of φ(−w·s̄)):
    with labels (3, 5) the fit has the right signs everywhere, so β = 1 exactly (ũ = (2, 2))."""
    net = construct_interpolant(Dataset([[0], [1]], y=[3, 5]))
    assert net.W[1] == (F(2), F(2))                           # βũ with β = 1
    assert net.W[0] == (F(2) + 2, F(3) + 2)                   # w = (2, 3) plus βũ


def test_output_is_the_relu_network_where_a_unit_is_barely_active():
    """predict_exact is Σ_u v_u φ(W_u·x̄) + c. At x = 11 the first unit of the hand-made network
    above has preactivation −11/2 + 6 = 1/2 (in lowest integer terms the dot product is 1), so an
    off-by-one activation test (z > 1) would drop it; the grid also crosses both units' kinks."""
    net = construct_interpolant(Dataset([[0], [1]], y=[3, F(-1, 2)]))
    points = [[F(k, 2)] for k in range(-30, 31)] + [[F(11)], [F(12)], [F(25, 2)], [F(-1)]]
    assert net.predict_exact([[11]]) == (F(1, 2) - 36,)
    assert list(net.predict_exact(points)) == [_relu_net(net, p) for p in points]


@pytest.mark.parametrize("seed", [0, 1])
def test_output_is_the_relu_network_on_random_rational_points(seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.integers(-9, 10, size=(7, 2))
    net = construct_interpolant(Dataset(X, y=rng.integers(-5, 6, size=7)))
    pts = [[F(int(a), 7), F(int(b), 3)] for a, b in rng.integers(-40, 41, size=(40, 2))]
    assert list(net.predict_exact(pts)) == [_relu_net(net, p) for p in pts]


def test_lipschitz_bound_is_the_sum_of_output_weight_times_input_weight_norms():
    """Σ_u |v_u| ‖W_u[:d]‖₂ (the bias column left out), for d = 2."""
    net = construct_interpolant(Dataset([[0, 0], [1, 0], [0, 1], [2, 3], [3, 1]], y=[1, -2, 3, 0, 1]))
    expected = sum(abs(float(vu)) * math.hypot(float(wu[0]), float(wu[1])) for wu, vu in zip(net.W, net.v))
    assert net.lipschitz_bound() == pytest.approx(expected, rel=1e-12)
    # it bounds the slope between any two points (f is piecewise linear)
    pts = [[F(a), F(b)] for a in range(-3, 4) for b in range(-2, 3)]
    vals = net.predict_exact(pts)
    for p, fp in zip(pts, vals):
        for q, fq in zip(pts, vals):
            if p != q:
                assert abs(float(fp - fq)) <= net.lipschitz_bound() * math.dist(map(float, p), map(float, q)) + 1e-9


def test_predict_exact_errors_name_the_argument_x():
    net = construct_interpolant(Dataset([[0], [1]], y=[3, 1]))
    with pytest.raises(InvalidInputError) as err:
        net.predict_exact([[float("nan")]])
    assert re.search(r"\bX\b", str(err.value))
    with pytest.raises(InvalidInputError, match="d=1"):
        net.predict_exact([[1, 2]])


def test_sorting_direction_is_the_first_separating_tilt():
    """Section 4.2.1 with tied last coordinates: c_t = (t^{d-1}, …, t, 1) for the first t in
    1/2, 1/3, … separating the examples."""
    from zonocomb.theory.construction import sorting_direction
    assert sorting_direction([[F(0), F(0)], [F(1), F(0)]]) == (F(1, 2), F(1))
    # t = 1/2 gives 2/4 − 1/2 = 0 (a tie), t = 1/3 separates
    assert sorting_direction([[F(0), F(0), F(0)], [F(2), F(-1), F(0)]]) == (F(1, 9), F(1, 3), F(1))


def test_identical_examples_are_named_by_their_indices():
    from zonocomb.errors import NotInGeneralPositionError
    with pytest.raises(NotInGeneralPositionError, match=r"examples 0 and 2 are identical"):
        construct_interpolant(Dataset([[1, 2], [0, 0], [1, 2]], y=[1, 2, 3]))


def test_dependent_chunk_error_says_general_position():
    from zonocomb.errors import NotInGeneralPositionError
    with pytest.raises(NotInGeneralPositionError, match=r"chunk 0 .*not in general position"):
        construct_interpolant(Dataset([[0, 0], [1, 1], [2, 2], [5, 7]], y=[0, 1, 2, 3]))


@pytest.mark.parametrize("d,root", [(1, 1), (3, 2), (4, 2), (5, 3)])
def test_random_perturbation_moves_on_the_documented_grid(d, root):
    """x'_i − x_i has coordinates k·ρ/2^20 with integer |k| ≤ 2^20 and ρ = scale/⌈√d⌉, so every
    example moves by at most ``scale`` in the 2-norm; labels and homogenization are kept."""
    import numpy as np
    from zonocomb.theory.perturbation import random_perturbation
    rng = np.random.default_rng(d)
    ds = Dataset(rng.integers(-5, 6, size=(30, d)), y=list(range(30)), homogenize=d % 2 == 1)
    scale = F(3, 7)
    moved = random_perturbation(ds, scale, random_state=d)
    rho = scale / root
    ks = []
    for row, new in zip(ds.X_exact, moved.X_exact):
        step = [b - a for a, b in zip(row, new)]
        assert sum(s * s for s in step) <= scale * scale
        for s in step:
            k = s * 2 ** 20 / rho
            assert k.denominator == 1 and abs(k) <= 2 ** 20
            ks.append(int(k))
    assert moved.y_exact == ds.y_exact and moved.homogenize == ds.homogenize
    # uniform on the symmetric grid: both signs occur and most steps are not small
    assert min(ks) < -2 ** 18 and max(ks) > 2 ** 18
    assert len(set(ks)) > len(ks) // 2


def test_random_perturbation_errors_name_the_scale():
    from zonocomb.theory.perturbation import random_perturbation
    ds = Dataset([[0], [1]], y=[0, 1])
    with pytest.raises(InvalidInputError, match=r"^scale must be non-negative, got -1$"):
        random_perturbation(ds, -1)
    with pytest.raises(InvalidInputError, match=r"^scale contains"):
        random_perturbation(ds, float("nan"))


# Bias-free scalar data 1/2, 3, −1: the zonotope is a segment with the vertices (1, 1, 0) (h > 0)
# and (0, 0, 1) (h < 0). Appendix C's LP, max t = min_i s_i h x_i over |h| ≤ 1, gives h = ±1 and
# t = min(1/2, 3, 1) = 1/2; s = sqrt_upper_bound(1) = 1 + 2^-20.
SEGMENT = [[F(1, 2)], [3], [-1]]
DELTA = F(1, 2) / (1 + F(1, 2 ** 20))


@pytest.mark.parametrize("barcode", [(1, 1, 0), (0, 0, 1)])
def test_vertex_separation_is_the_box_lp_margin_over_a_norm_bound(barcode):
    from zonocomb.theory.perturbation import vertex_separation
    assert vertex_separation(Dataset(SEGMENT, homogenize=False), barcode) == DELTA


def test_vertex_separation_two_dimensional_box():
    """e_1, e_2 and −e_1 − e_2 (bias-free): vertex (1, 1, 0) has h = (1, 1), t = min(1, 1, 2) = 1,
    ‖h‖² = 2; the bound is 1/sqrt_upper_bound(2)."""
    from zonocomb.theory.perturbation import sqrt_upper_bound, vertex_separation
    ds = Dataset([[1, 0], [0, 1], [-1, -1]], homogenize=False)
    assert vertex_separation(ds, (1, 1, 0)) == 1 / sqrt_upper_bound(F(2))
    assert vertex_separation(ds, (0, 0, 1)) == 1 / sqrt_upper_bound(F(2))


def test_perturbation_radius_is_delta_over_2n():
    """Theorem 4.1 / appendix C: ε = δ/(2N), δ the smallest vertex separation."""
    from zonocomb.theory.perturbation import perturbation_radius
    assert perturbation_radius(Dataset(SEGMENT, homogenize=False)) == DELTA / 6


def test_perturbation_radius_errors_say_what_is_wrong():
    from zonocomb.errors import InvalidTypeError, NotInGeneralPositionError
    from zonocomb.theory.perturbation import perturbation_radius
    with pytest.raises(InvalidTypeError, match=r"needs a Dataset, got list"):
        perturbation_radius([[0], [1]])
    with pytest.raises(NotInGeneralPositionError, match=r"affinely dependent; theorem 4.1's radius needs data in general position"):
        perturbation_radius(Dataset([[0, 0], [1, 1], [2, 2]]))
    with pytest.raises(NotInGeneralPositionError, match=r"linearly dependent"):
        perturbation_radius(Dataset([[1, 1], [2, 2], [0, 1]], homogenize=False))


def test_set_cover_examples_sit_at_their_documented_indices():
    """Appendix E.1's examples in the order x_γ, x_1, x_{T_i}, x_u: x_{T_i} = e_γ + e_{T_i} with label
    γ, x_u = e_1 + Σ_{T_i ∋ u} e_{T_i} with label 0."""
    from zonocomb.theory.reductions import set_cover_to_relu
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    X, y = inst.dataset.X_exact, inst.dataset.y_exact
    for i in range(inst.M):
        k = inst.index_of_subset(i)
        assert list(X[k]) == [1, 0] + [int(j == i) for j in range(inst.M)] and y[k] == inst.gamma
    for k, u in enumerate(inst.universe):
        e = inst.index_of_element(k)
        assert list(X[e]) == [0, 1] + [int(u in s) for s in inst.subsets] and y[e] == 0


def test_perturbation_witness_has_the_papers_weights_and_keeps_the_instance():
    """Appendix E.2: w_γ = γ, w_1 = 1, w_T = −1/ε (others 0) on the perturbed data; on the
    unperturbed data w_γ = 2, w_1 = γ, w_{T_i} = −1 (i ≠ T), w_T = −3; γ, U and the subsets kept."""
    from zonocomb.theory.reductions import perturb_discontinuity, set_cover_to_relu
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    eps = F(1, 10)
    wit = perturb_discontinuity(inst, 1, eps)
    g = inst.gamma
    assert wit.weights == (g, 1, 0, -1 / eps, 0)
    assert wit.unperturbed_weights == (2, g, -1, -3, -1)
    assert (wit.instance.gamma, wit.instance.universe, wit.instance.subsets) == (g, inst.universe, inst.subsets)
    assert wit.T == 1 and wit.eps == eps


def test_perturbation_argument_checks():
    """0 < ε < 1/γ strictly; T an integer subset index (not a float or a bool); the errors name
    the bound and the range."""
    from zonocomb.theory.reductions import general_position_variant, perturb_discontinuity, set_cover_to_relu
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])       # γ = 1/900
    for eps in (900, 1000, F(-1, 10)):
        with pytest.raises(InvalidInputError, match=r"^eps must satisfy 0 < eps < 1/gamma = 900 "):
            perturb_discontinuity(inst, 0, eps)
    assert perturb_discontinuity(inst, 0, F(1799, 2)).eps == F(1799, 2)  # just below 1/γ
    with pytest.raises(InvalidInputError, match=r"^eps contains"):
        perturb_discontinuity(inst, 0, float("nan"))
    for T in (1.5, True, 3, -1):
        with pytest.raises(InvalidInputError, match=r"^T must be a subset index in 0\.\.2, got"):
            perturb_discontinuity(inst, T, F(1, 10))
    gp = general_position_variant(inst, F(1, 100), F(1, 20), random_state=0)
    with pytest.raises(InvalidInputError, match=r"^perturb_discontinuity applies to the original reduction"):
        perturb_discontinuity(gp, 0, F(1, 10))


def test_general_position_cover_weights_are_lemma_e3s():
    """Lemma E.3: w_γ = γ, w_1 = 1, w_{T_i} = −2 for the cover, 0 elsewhere."""
    from zonocomb.theory.reductions import general_position_cover_weights, general_position_variant, set_cover_to_relu
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    gp = general_position_variant(inst, F(1, 100), F(1, 20), random_state=0)
    w, _ = general_position_cover_weights(gp, [0, 2])
    assert w == (inst.gamma, 1, -2, 0, -2)


def test_reduction_variant_errors_say_what_to_use_instead():
    from zonocomb.theory.reductions import (cover_weights, general_position_cover_weights, general_position_variant,
                                            set_cover_to_relu)
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    gp = general_position_variant(inst, F(1, 100), F(1, 20), random_state=0)
    with pytest.raises(InvalidInputError, match=r"^this is a general-position variant; use general_position_cover_weights$"):
        cover_weights(gp, [0, 1])
    with pytest.raises(InvalidInputError, match=r"^not a general-position variant; use cover_weights for the original dataset$"):
        general_position_cover_weights(inst, [0, 1])
    with pytest.raises(InvalidInputError, match=r"^the instance is already a general-position variant$"):
        general_position_variant(gp, F(1, 100), F(1, 20))
    with pytest.raises(InvalidInputError, match=r"^delta1 contains"):
        general_position_variant(inst, float("nan"), F(1, 20))


def test_appendix_d_errors_name_the_argument():
    from zonocomb.theory.discontinuity import appendix_d1, vertex_l1_loss
    with pytest.raises(InvalidInputError, match=r"^vertex_l1_loss needs labels, but the dataset has none \(y=None\)$"):
        vertex_l1_loss(Dataset([[1], [2]], homogenize=False), (1, 1))
    with pytest.raises(InvalidInputError, match=r"^eps contains"):
        appendix_d1(float("nan"))


@pytest.mark.parametrize("w,l1,mse", [((1,), F(4, 3), F(8, 3)), ((F(1, 2),), F(7, 6), F(7, 4)), ((-1,), F(2, 3), F(2, 3))])
def test_single_relu_loss_by_hand(w, l1, mse):
    """Eq. (1) with m = 1: (1/N) Σ ℓ(φ(w·x_i) − y_i) on x = 1, 2, −1, y = 1, 0, 2 (bias-free)."""
    from zonocomb.theory.exact_loss import single_relu_loss
    ds = Dataset([[1], [2], [-1]], y=[1, 0, 2], homogenize=False)
    assert single_relu_loss(ds, w, "l1") == l1
    assert single_relu_loss(ds, w, "mse") == mse


def test_single_relu_loss_includes_the_bias_of_a_homogenized_dataset():
    from zonocomb.theory.exact_loss import single_relu_loss
    ds = Dataset([[0], [1]], y=[0, 1])                    # x̄ = (0, 1), (1, 1); w = (1, −1/2)
    assert single_relu_loss(ds, (1, F(-1, 2)), "mse") == F(1, 8)


def test_single_relu_loss_errors():
    from zonocomb.theory.exact_loss import single_relu_loss
    ds = Dataset([[1], [2]], y=[1, 0], homogenize=False)
    with pytest.raises(InvalidInputError, match=r"^unknown exact loss 'huber'; choose one of \['l1', 'mse'\]$"):
        single_relu_loss(ds, (1,), "huber")
    with pytest.raises(InvalidInputError, match=r"^the exact mse loss needs labels, but the dataset has none \(y=None\)$"):
        single_relu_loss(Dataset([[1], [2]], homogenize=False), (1,), "mse")
    with pytest.raises(InvalidInputError, match=r"^entry 1 of w contains"):
        single_relu_loss(Dataset([[1, 0], [2, 1]], y=[1, 0], homogenize=False), (1, float("nan")), "l1")
    with pytest.raises(InvalidInputError, match=r"^w has 2 entries but the dataset's generators have 1$"):
        single_relu_loss(ds, (1, 2), "l1")


def test_set_valued_universe_is_sorted():
    """A set fixes no order, so the x_u follow the sorted elements (a list keeps its own order)."""
    from zonocomb.theory.reductions import set_cover_to_relu
    assert set_cover_to_relu({3, 1, 2}, [[1, 2], [3]]).universe == (1, 2, 3)
    assert set_cover_to_relu([3, 1, 2], [[1, 2], [3]]).universe == (3, 1, 2)


def test_set_cover_input_errors():
    from zonocomb.errors import InvalidTypeError
    from zonocomb.theory.reductions import cover_weights, general_position_variant, set_cover_to_relu
    with pytest.raises(InvalidTypeError, match=r"^a set-valued universe must have mutually comparable elements "
                                               r"\(pass a list to fix the order\)$"):
        set_cover_to_relu({1, "a"}, [[1]])
    with pytest.raises(InvalidTypeError, match=r"^universe must be an iterable of elements, got int$"):
        set_cover_to_relu(5, [[1]])
    with pytest.raises(InvalidInputError, match=r"^the universe is empty; a set-cover instance needs at least one element$"):
        set_cover_to_relu([], [[1]])
    with pytest.raises(InvalidInputError, match=r"^the universe lists an element twice$"):
        set_cover_to_relu([1, 2, 1], [[1]])
    inst = set_cover_to_relu([1, 2, 3], [[1, 2], [2, 3], [3]])
    with pytest.raises(InvalidTypeError, match=r"^cover must be an iterable of subset indices$"):
        cover_weights(inst, 7)
    with pytest.raises(InvalidInputError, match=r"^cover lists a subset index twice$"):
        cover_weights(inst, [0, 0, 1])
    with pytest.raises(InvalidInputError, match=r"^delta2 contains"):
        general_position_variant(inst, F(1, 100), float("inf"))


def test_theory_entry_points_name_what_is_wrong():
    from zonocomb.errors import InvalidTypeError
    from zonocomb.theory.perturbation import sqrt_upper_bound
    from zonocomb.theory.reductions import set_cover_to_relu
    with pytest.raises(InvalidInputError, match=r"^construct_interpolant needs a Dataset, got list$"):
        construct_interpolant([[0], [1]])
    with pytest.raises(InvalidInputError, match=r"^construct_interpolant needs a homogenized dataset \(theorem 4.3 "
                                                r"is about the affine ReLU\); this dataset is bias-free$"):
        construct_interpolant(Dataset([[1, 0], [0, 1]], y=[1, 2], homogenize=False))
    with pytest.raises(InvalidInputError, match=r"^construct_interpolant needs labels, but the dataset has none \(y=None\)$"):
        construct_interpolant(Dataset([[1, 0], [0, 1]]))
    with pytest.raises(InvalidTypeError, match=r"^subsets must be a sequence of iterables of universe elements$"):
        set_cover_to_relu([1, 2], [1, 2])
    with pytest.raises(InvalidInputError, match=r"^no subsets given; the reduction needs M >= 1 \(γ = 0.01/M²\)$"):
        set_cover_to_relu([1, 2], [])
    with pytest.raises(InvalidInputError, match=r"^sqrt_upper_bound needs r >= 0, got -1/2$"):
        sqrt_upper_bound(F(-1, 2))
