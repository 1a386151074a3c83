"""Tests of the compiled region kernel (zonocomb.convex.backends.kernel, paper eq. 3), MSE and logistic.

Evidence: agreement with the cvxpy + ECOS reference on random vertices of Z^m and along facet walks
(warm-started), on degenerate data; the independent KKT checker accepts every answer; planted
networks are fitted to zero loss (MSE); for the logistic loss, the same outcome as the Python
active-set method of tests/oracles (answer, Separable, Runaway) with and without example weights
``keep``, a separating iterate that really separates, and the fast backend's routing and
fallbacks; bad inputs raise clear errors. The compiled KKT certificate gives the residuals of the
Python KKTChecker (to rounding, with the same verdict) on optimal, perturbed, infeasible and wrong
candidates, and a wrong kernel answer is rejected (the pattern is re-solved from the cold start,
then by the reference). A build of the kernel
whose unzeroed work arrays start as NaN gives the same certified answers (no read before a write).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends import RegionData
from oracles.block_active_set import BlockActiveSet, NotConverged, Runaway, Separable
from zonocomb.convex.backends.kernel import (ActiveSetResult, KernelFailed, RegionKernel, _region_kernel, fits,
                                             kernel_available)
from zonocomb.convex.kkt import KKTChecker
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.geometry.walks import facet_walk

pytestmark = pytest.mark.skipif(not kernel_available(), reason="the C extension is not built")

LOSS_RTOL, LOSS_ATOL = 1e-6, 1e-9


def programs(ds, v, fit_bias=True):
    return (RegionProgram(ds, v, fit_bias=fit_bias), RegionProgram(ds, v, fit_bias=fit_bias, backend="cvxpy"))


def check_against_reference(ds, v, patterns, fit_bias=True, warm=False):
    """Kernel answers (warm-started along ``patterns`` if ``warm``): KKT-certified and equal in
    loss to the reference."""
    fast, ref = programs(ds, v, fit_bias)
    kernel = RegionKernel(fast.data)
    checker = KKTChecker(fast.data)
    prev = (None, None)
    for A in patterns:
        res = kernel.solve(A, *prev)
        assert checker.residuals(A, res.W, res.c, res.supports).ok(1e-8)
        assert np.all(res.W[~np.any(A, axis=1)] == 0.0)          # units without active examples
        if not fit_bias:
            assert res.c == 0.0
        loss = fast.objective(A, res.W, res.c)
        target = ref.solve(A).loss
        assert abs(loss - target) <= max(LOSS_RTOL * abs(target), LOSS_ATOL), (loss, target)
        if warm:
            prev = (res.W, res.c)


def gaussian(rng, N, d):
    X = rng.standard_normal((N, d))
    return Dataset(X, y=rng.standard_normal(N) + X[:, 0])


def random_vertex(ds, m, rng):
    return (rng.standard_normal((m, ds.n)) @ ds.generators_float.T) > 0


def degenerate_patterns(ds, rng, count=4):
    """Random vertices of Z^4 with unit 0 active nowhere and unit 1 active everywhere."""
    patterns = []
    for _ in range(count):
        A = random_vertex(ds, 4, rng)
        A[0] = False                                              # a unit without active examples
        A[1] = True                                               # a unit active on every example
        patterns.append(A)
    return patterns


@pytest.mark.parametrize("fit_bias", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_agrees_with_reference_on_random_vertices(seed, fit_bias):
    rng = np.random.default_rng(seed)
    ds = gaussian(rng, 24, 3)
    v = np.array([1.0, -1.0, 0.7, -1.3, 2.0])
    check_against_reference(ds, v, [random_vertex(ds, v.size, rng) for _ in range(8)], fit_bias)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_agrees_with_reference_along_a_facet_walk(fit_bias):
    rng = np.random.default_rng(7)
    ds = gaussian(rng, 30, 4)
    v = np.array([1.0, 1.0, -1.0, -1.0])
    check_against_reference(ds, v, facet_walk(ds.generators_float, v.size, 12, rng), fit_bias, warm=True)


def test_benchmark_sized_problem_with_warm_starts():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((72, 8))
    Xbar = np.hstack([X, np.ones((72, 1))])
    y = np.maximum(Xbar @ rng.standard_normal((8, 9)).T, 0.0) @ rng.standard_normal(8)
    ds = Dataset(X, y=y)
    v = np.repeat([1.0, -1.0], 8)
    check_against_reference(ds, v, [random_vertex(ds, 16, rng) for _ in range(3)])
    check_against_reference(ds, v, facet_walk(ds.generators_float, 16, 4, rng), warm=True)


def test_an_infeasible_start_is_projected_onto_its_cones():
    """A warm start just outside the cones (a vertex's optimum, perturbed) is projected onto them
    (Moreau: w + Eμ, μ the NNLS of −w on the unit's normals), so the kernel finishes in the
    oracle's iterations from the same start, fewer than from W = 0; a projection with the wrong
    sign, −(w + Eμ), lies outside every constraint, and the unit was frozen at 0 (as many
    iterations as from W = 0: the bug behind the slow late GLS steps of session 15)."""
    rng = np.random.default_rng(4)
    ds = gaussian(rng, 60, 4)
    v = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    fast, _ = programs(ds, v, True)
    kernel, oracle, checker = RegionKernel(fast.data), BlockActiveSet(fast.data), KKTChecker(fast.data)
    warm, cold = 0, 0
    for _ in range(6):
        A = random_vertex(ds, v.size, rng)
        optimum = kernel.solve(A)
        start = optimum.W + 1e-4 * np.abs(optimum.W).max() * rng.standard_normal(optimum.W.shape)
        res = kernel.solve(A, start, optimum.c)
        assert checker.residuals(A, res.W, res.c, res.supports).ok(1e-8)
        assert res.n_iter <= oracle.solve(A, start, optimum.c).n_iter + 2
        warm, cold = warm + res.n_iter, cold + optimum.n_iter
    assert warm < 0.7 * cold


def test_pricing_widens_the_units_the_oracle_widens():
    """With many units (m = 24) and a start far from the optimum (another vertex's optimum), many
    units have negative multipliers at once; the kernel's pricing widens at most PRICE_UNITS of
    them, the most negative first, as the oracle's does, and takes the oracle's iterations
    (widening all of them, or others, takes a different number)."""
    assert _region_kernel.PRICE_UNITS == BlockActiveSet.PRICE_UNITS < 24
    rng = np.random.default_rng(12)
    ds = gaussian(rng, 50, 3)
    v = np.where(np.arange(24) % 2 == 0, 1.0, -1.0)
    fast, _ = programs(ds, v, True)
    kernel, oracle, checker = RegionKernel(fast.data), BlockActiveSet(fast.data), KKTChecker(fast.data)
    same = 0
    for _ in range(6):
        start = kernel.solve(random_vertex(ds, v.size, rng))
        A = random_vertex(ds, v.size, rng)
        res = kernel.solve(A, start.W, start.c)
        assert checker.residuals(A, res.W, res.c, res.supports).ok(1e-8)
        same += res.n_iter == oracle.solve(A, start.W, start.c).n_iter
    assert same >= 5


@pytest.mark.parametrize("seed", range(4))
def test_an_underdetermined_face_step_is_the_least_norm_one(seed):
    """With more unknowns than examples (m n + 1 = 16 > N = 8) and a start strictly inside its
    cones near a planted interpolating network, no constraint blocks the face step, so the answer
    is the start plus the least-norm step onto the interpolating set {ŷ(W, c) = y}: the projection
    of the start onto that affine set (computed here with numpy's pseudo-inverse). A basic solution
    of the normal equations also interpolates, but lands elsewhere on the set."""
    rng = np.random.default_rng(seed)
    N, m = 8, 5
    X = rng.standard_normal((N, 2))
    W_true = rng.standard_normal((m, 3))
    Xbar = np.hstack([X, np.ones((N, 1))])
    A = (W_true @ Xbar.T) > 0
    v = np.array([1.0, -1.0, 2.0, -0.5, 1.5])
    ds = Dataset(X, y=np.maximum(Xbar @ W_true.T, 0.0) @ v + 0.3)
    program = RegionProgram(ds, v)
    kernel = RegionKernel(program.data)
    Xk, vk, yk = kernel.X, kernel.v, kernel.y                   # the kernel's units
    J = np.hstack([np.einsum("ui,in->iun", vk[:, None] * A, Xk).reshape(N, -1), np.ones((N, 1))])
    W_pl, c_pl = program.to_solver_units((W_true, 0.3))          # the planted network in those units
    theta_true = np.concatenate([W_pl.ravel(), [c_pl]])
    assert np.allclose(J @ theta_true, yk)
    margin = np.min(np.abs(W_pl @ Xk.T) / np.linalg.norm(Xk, axis=1))
    step = rng.standard_normal(theta_true.size)
    start = theta_true + 0.5 * margin * step / np.linalg.norm(step)   # inside the cones, as is its projection
    start[:-1].reshape(m, -1)[~A.any(axis=1)] = 0.0              # (a unit active nowhere is 0)
    expected = start + np.linalg.pinv(J) @ (yk - J @ start)
    res = kernel.solve(A, start[:-1].reshape(m, -1), start[-1])
    got = np.concatenate([res.W.ravel(), [res.c]])
    assert np.linalg.norm(got - expected) <= 1e-9 * np.linalg.norm(expected)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_degenerate_data_and_patterns(fit_bias):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((10, 2))
    X = np.vstack([X, X[:4]])                                     # repeated examples
    ds = Dataset(X, y=rng.standard_normal(14))
    v = np.array([1.0, -1.0, 0.5, 2.0])
    patterns = degenerate_patterns(ds, rng)
    check_against_reference(ds, v, patterns, fit_bias)


def test_single_unit_and_fewer_examples_than_weights():
    rng = np.random.default_rng(5)
    ds = gaussian(rng, 16, 2)
    check_against_reference(ds, np.array([1.5]), [random_vertex(ds, 1, rng) for _ in range(4)])
    small = gaussian(rng, 3, 5)                                   # N = 3 < n = 6
    check_against_reference(small, np.array([1.0, -1.0]), [random_vertex(small, 2, rng) for _ in range(3)])


def test_bias_free_data_with_a_zero_example():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((12, 3))
    X[4] = 0.0                                                    # vacuous constraint 0 ≥ 0
    ds = Dataset(X, y=rng.standard_normal(12), homogenize=False)
    check_against_reference(ds, np.array([1.0, -1.0, 1.0]), [random_vertex(ds, 3, rng) for _ in range(4)],
                            fit_bias=False)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_planted_networks_are_fitted_to_zero_loss(fit_bias):
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 3))
    Xbar = np.hstack([X, np.ones((40, 1))])
    W, v = rng.standard_normal((4, 4)), np.array([1.0, -1.0, 2.0, -0.5])
    c = 0.3 if fit_bias else 0.0
    y = np.maximum(Xbar @ W.T, 0.0) @ v + c
    ds = Dataset(X, y=y)
    prog = RegionProgram(ds, v, fit_bias=fit_bias)
    A = (W @ Xbar.T) > 0
    kernel = RegionKernel(prog.data)
    for start in [(None, None), (np.zeros((4, 4)), 0.0), (rng.standard_normal((4, 4)), 1.0)]:
        res = kernel.solve(A, *start)
        assert prog.objective(A, res.W, res.c) <= 1e-20


def test_fast_backend_routes_mse_through_the_kernel(monkeypatch):
    rng = np.random.default_rng(4)
    ds = gaussian(rng, 20, 3)
    prog = RegionProgram(ds, [1.0, -1.0])
    assert prog.kernel is not None
    calls = []
    solve = prog.kernel.solve_certified
    monkeypatch.setattr(prog.kernel, "solve_certified", lambda *a: calls.append(1) or solve(*a))
    sol = prog.solve(random_vertex(ds, 2, rng))
    assert sol.status == "optimal" and calls


def test_kernel_failure_falls_back_to_the_reference(monkeypatch):
    from zonocomb.convex.backends import kernel as kernel_module
    rng = np.random.default_rng(6)
    ds = gaussian(rng, 20, 3)
    prog, ref = programs(ds, [1.0, -1.0])

    def fail(*args, **kwargs):
        raise kernel_module.KernelFailed("forced")

    monkeypatch.setattr(prog.kernel, "solve", fail)
    monkeypatch.setattr(prog.kernel, "solve_certified", fail)
    A = random_vertex(ds, 2, rng)
    with pytest.warns(RuntimeWarning, match="forced"):
        sol = prog.solve(A)
    assert sol.status == "optimal_fallback"
    assert abs(sol.loss - ref.solve(A).loss) <= max(LOSS_RTOL * sol.loss, LOSS_ATOL)


def test_iteration_cap_is_reported_not_crashed():
    rng = np.random.default_rng(8)
    ds = gaussian(rng, 20, 3)
    prog = RegionProgram(ds, [1.0, -1.0, 1.0])
    kernel = RegionKernel(prog.data, max_iter=1)
    with pytest.raises(KernelFailed, match="iteration cap"):
        kernel.solve(random_vertex(ds, 3, rng))


def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(1)
    ds = gaussian(rng, 10, 2)
    data = RegionProgram(ds, [1.0, -1.0]).data
    kernel = RegionKernel(data)
    A = random_vertex(ds, 2, rng)
    with pytest.raises(InvalidInputError, match="bool pattern"):
        kernel.solve(A.astype(int))
    with pytest.raises(InvalidInputError, match="bool pattern"):
        kernel.solve(A[:1])
    with pytest.raises(InvalidInputError, match="warm start W"):
        kernel.solve(A, np.zeros((2, 2)), 0.0)
    with pytest.raises(InvalidInputError, match="warm start W"):
        kernel.solve(A, np.full((2, 3), np.nan), 0.0)
    with pytest.raises(InvalidInputError, match="warm start c"):
        kernel.solve(A, np.zeros((2, 3)), np.inf)
    with pytest.raises(InvalidInputError, match="logistic loss only"):
        kernel.solve(A, keep=np.ones(10, dtype=bool))
    with pytest.raises(InvalidInputError, match="logistic loss only"):
        kernel.solve(A, detect_recession=True)
    l1 = RegionData(Xbar=data.Xbar, y=data.y, v=data.v, loss="l1", fit_bias=True)
    with pytest.raises(InvalidInputError, match="smooth losses only"):
        RegionKernel(l1)
    logistic = RegionKernel(RegionData(Xbar=data.Xbar, y=(data.y > 0).astype(float), v=data.v,
                                       loss="logistic", fit_bias=True))
    with pytest.raises(InvalidInputError, match="keep must be"):
        logistic.solve(A, keep=np.ones(9, dtype=bool))
    with pytest.raises(InvalidInputError, match="keep must be"):
        logistic.solve(A, keep=np.ones(10))
    from zonocomb.convex.backends import _region_kernel

    def raw(W, keep, has_keep=0, detect=0, target=kernel):
        return _region_kernel.solve(target.program, A.view(np.uint8), W, np.zeros((2, 3), np.int32),
                                    np.zeros(2, np.int32), np.zeros((2, 3), np.int32), np.zeros(2, np.int32),
                                    keep, 0, 0.0, 0, has_keep, detect)

    with pytest.raises(ValueError, match="buffer W"):                 # the C layer checks sizes too
        raw(np.zeros(3), np.zeros(0, np.uint8))
    with pytest.raises(ValueError, match="buffer keep"):
        raw(np.zeros((2, 3)), np.ones(4, np.uint8), has_keep=1, target=logistic)
    with pytest.raises(ValueError, match="unknown loss code"):
        _region_kernel.program(kernel.X, kernel.Xu, kernel.xn, kernel.y, kernel.v, kernel.params,
                               kernel.kkt_params, 10, 3, 2, 2, 1, 100, 1)
    with pytest.raises(ValueError, match="logistic only"):
        raw(np.zeros((2, 3)), np.zeros(0, np.uint8), detect=1)


def test_sizes_whose_indices_overflow_int_are_refused():
    """fits() and the C layer refuse m n N, (m n + 1)² or m n² ≥ 2^31 − 1 (int index arithmetic);
    nothing else limits the sizes (the work space is on the heap): wide units are solved too."""
    assert fits(4, 9, 72) and fits(1, 22, 1) and fits(1, 23, 10) and fits(2, 200, 5)
    assert fits(1000, 9, 238_000) and not fits(1000, 9, 239_000)       # 9000 · N against 2^31 − 1
    assert fits(46_339, 1, 10) and not fits(46_340, 1, 10)             # (m n + 1)²: 46341² > 2^31 − 1
    assert fits(5000, 9, 10) and not fits(6000, 9, 10)
    assert fits(1, 46_000, 1) and not fits(2, 33_000, 1)               # m n²
    from zonocomb.convex.backends import _region_kernel
    z = np.zeros(0)
    with pytest.raises(ValueError, match="sizes"):
        _region_kernel.certify(z, z, z, z, z, np.zeros(0, np.uint8), z, 0.0, np.zeros(0, np.int32),
                               np.zeros(0, np.int32), np.zeros(0, np.uint8), 239_000, 9, 1000, 0, 1, 0,
                               np.zeros(5))
    with pytest.raises(ValueError, match="sizes out of range"):
        _region_kernel.program(z, z, z, z, z, np.zeros(18), np.zeros(5), 239_000, 9, 1000, 0, 1, 100, 1)
    data = RegionData(Xbar=np.ones((3, 2)), y=np.zeros(3), v=np.ones(24_000), loss="mse", fit_bias=True)
    with pytest.raises(InvalidInputError, match="m n N"):
        RegionKernel(data)


def test_wide_units_are_solved_by_the_kernel():
    # n = 30 > 22 (the old compile-time cap): the kernel solves it and agrees with the reference
    rng = np.random.default_rng(40)
    X = rng.standard_normal((40, 29))
    ds = Dataset(X, y=rng.standard_normal(40))
    v = [1.0, -1.0]
    prog, ref = programs(ds, v)
    A = random_vertex(ds, 2, rng)
    res, kkt = prog.kernel.solve_certified(A)
    assert kkt.ok(1e-8)
    sol = prog.solve(A)
    assert sol.status == "optimal"
    assert abs(sol.loss - ref.solve(A).loss) <= max(LOSS_RTOL * sol.loss, LOSS_ATOL)


# ------------------------------------------------------------------------------ logistic loss
def classification(rng, N, d, flip=0.25):
    """Gaussian examples, labels from a random ReLU network with a fraction ``flip`` flipped (so
    that random regions rarely separate a set of examples: the infimum is attained)."""
    X = rng.standard_normal((N, d))
    Xbar = np.hstack([X, np.ones((N, 1))])
    y = np.maximum(Xbar @ rng.standard_normal((4, d + 1)).T, 0.0) @ np.array([1.0, -1.0, 1.0, -1.0]) > 0
    flips = rng.random(N) < flip
    return Dataset(X, y=np.where(flips, ~y, y).astype(float))


def predictions(data, A, W, c):
    return (A * data.v[:, None] * (W @ data.Xbar.T)).sum(axis=0) + c


def outcome(solve, *args, **kwargs):
    """("answer", result) or (exception class, exception) of a solve."""
    try:
        return "answer", solve(*args, **kwargs)
    except (Separable, NotConverged) as exc:
        return type(exc), exc


def check_logistic(ds, v, patterns, fit_bias=True, warm=False, keep=None, reference=True):
    """Logistic kernel answers with the recession tests on (warm-started along ``patterns`` if
    ``warm``): the same outcome as the Python method, and for answers the KKT check passes and
    the loss equals the Python method's and (``reference``) the cvxpy reference's. Returns the
    outcomes."""
    fast = RegionProgram(ds, v, loss="logistic", fit_bias=fit_bias)
    data = fast.data
    ref = RegionProgram(ds, v, loss="logistic", fit_bias=fit_bias, backend="cvxpy")
    kernel, python, checker = RegionKernel(data), BlockActiveSet(data), KKTChecker(data)
    prev, kinds = (None, None), []
    for A in patterns:
        kind, res = outcome(kernel.solve, A, *prev, keep=keep, detect_recession=True)
        pkind, pres = outcome(python.solve, A, *prev, keep=keep, detect_recession=True)
        assert kind == pkind, (kind, pkind)
        kinds.append(kind)
        if kind is Separable:                                     # really separating, and feasible
            z = (2 * data.y - 1) * predictions(data, A, res.W, res.c)
            assert z.min() > 0.0
            assert checker.residuals(A, res.W, res.c).primal <= 1e-12
        if kind != "answer":
            continue
        assert checker.residuals(A, res.W, res.c, res.supports, keep=keep).ok(1e-8)
        assert np.all(res.W[~np.any(A, axis=1)] == 0.0)
        if not fit_bias:
            assert res.c == 0.0
        loss = python.fval(predictions(data, A, res.W, res.c), keep)
        ploss = python.fval(predictions(data, A, pres.W, pres.c), keep)
        assert abs(loss - ploss) <= 1e-10 * (1.0 + ploss), (loss, ploss)
        if reference and keep is None:
            target = ref.solve(A).loss
            assert abs(loss - target) <= max(LOSS_RTOL * abs(target), LOSS_ATOL), (loss, target)
        if warm:
            prev = (res.W, res.c)
    return kinds


@pytest.mark.parametrize("fit_bias", [True, False])
def test_logistic_agrees_with_reference_on_random_vertices(fit_bias):
    rng = np.random.default_rng(21)
    ds = classification(rng, 40, 3)
    v = np.array([1.0, -1.0, 1.0, -1.0])
    kinds = check_logistic(ds, v, [random_vertex(ds, v.size, rng) for _ in range(6)], fit_bias)
    assert kinds.count("answer") >= 4


@pytest.mark.parametrize("fit_bias", [True, False])
def test_logistic_agrees_with_reference_along_a_facet_walk(fit_bias):
    rng = np.random.default_rng(22)
    ds = classification(rng, 40, 3)
    v = np.array([1.0, 1.0, -1.0, -1.0])
    kinds = check_logistic(ds, v, facet_walk(ds.generators_float, v.size, 8, rng), fit_bias, warm=True)
    assert kinds.count("answer") >= 6


def test_logistic_benchmark_sized_problem():
    rng = np.random.default_rng(23)
    ds = classification(rng, 350, 8, flip=0.1)
    v = np.repeat([1.0, -1.0], 8)
    kinds = check_logistic(ds, v, [random_vertex(ds, 16, rng) for _ in range(3)], reference=False)
    kinds += check_logistic(ds, v, facet_walk(ds.generators_float, 16, 6, rng), warm=True, reference=False)
    assert kinds.count("answer") >= 6


@pytest.mark.parametrize("fit_bias", [True, False])
def test_logistic_degenerate_data_and_patterns(fit_bias):
    rng = np.random.default_rng(24)
    X = rng.standard_normal((14, 2))
    X = np.vstack([X, X[:5]])                                     # repeated examples, other labels
    y = (rng.random(19) < 0.5).astype(float)
    ds = Dataset(X, y=y)
    v = np.array([1.0, -1.0, 0.5, 2.0])
    patterns = degenerate_patterns(ds, rng)
    assert check_logistic(ds, v, patterns, fit_bias).count("answer") >= 3


def test_logistic_keep_weights_match_the_python_method():
    # F_I: only the kept examples count; the answers match the Python method's, are KKT-certified
    # for F_I, and the left-out examples do not affect them (their labels can be changed)
    rng = np.random.default_rng(25)
    ds = classification(rng, 40, 3)
    v = np.array([1.0, -1.0, 1.0])
    keep = rng.random(40) < 0.7
    patterns = [random_vertex(ds, 3, rng) for _ in range(5)]
    kinds = check_logistic(ds, v, patterns, keep=keep)
    assert kinds.count("answer") >= 4
    flipped = ds.with_labels(np.where(keep, ds.y, 1.0 - ds.y))
    a = RegionKernel(RegionProgram(ds, v, loss="logistic").data)
    b = RegionKernel(RegionProgram(flipped, v, loss="logistic").data)
    for A in patterns:
        ra, rb = outcome(a.solve, A, keep=keep), outcome(b.solve, A, keep=keep)
        assert ra[0] == rb[0]
        if ra[0] == "answer":
            assert np.array_equal(ra[1].W, rb[1].W) and ra[1].c == rb[1].c


def test_separable_region_raises_separable_with_a_separating_iterate():
    # labels from a planted network: its own region holds a network classifying every example
    # correctly, a recession direction along which the loss tends to 0
    rng = np.random.default_rng(26)
    X = rng.standard_normal((30, 2))
    Xbar = np.hstack([X, np.ones((30, 1))])
    W = rng.standard_normal((2, 3))
    v = np.array([1.0, -1.0])
    score = np.maximum(Xbar @ W.T, 0.0) @ v
    ds = Dataset(X, y=(score > 0).astype(float))
    A = (W @ Xbar.T) > 0
    kinds = check_logistic(ds, v, [A], reference=False)
    assert kinds == [Separable]
    # without the recession tests the run goes on, here to the iteration cap (each step gains
    # about a constant factor of the loss)
    kernel = RegionKernel(RegionProgram(ds, v, loss="logistic").data, max_iter=30)
    with pytest.raises(KernelFailed, match="iteration cap"):
        kernel.solve(A)


def test_nearly_separable_data_give_the_python_methods_outcomes():
    # regions of nearly separable data: many have a recession direction (Runaway), some separate
    # every example (Separable); kernel and Python method agree on every pattern
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    y[:3] = 1.0 - y[:3]
    ds = Dataset(X, y=y)
    patterns = [random_vertex(ds, 2, rng) for _ in range(15)]
    kinds = check_logistic(ds, np.array([1.0, -1.0]), patterns, reference=False)
    assert set(kinds) == {"answer", Runaway, Separable}


def test_fast_backend_routes_logistic_through_the_kernel(monkeypatch):
    rng = np.random.default_rng(27)
    ds = classification(rng, 30, 3)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    assert prog.kernel is not None
    calls = []
    solve = prog.kernel.solve
    monkeypatch.setattr(prog.kernel, "solve", lambda *a, **k: calls.append(k) or solve(*a, **k))
    for _ in range(3):
        sol = prog.solve(random_vertex(ds, 2, rng))
        assert sol.status in ("optimal", "optimal_unattained")
    assert calls and all(k["detect_recession"] for k in calls[:1])


def test_logistic_kernel_failure_falls_back_to_the_reference(monkeypatch):
    rng = np.random.default_rng(28)
    ds = classification(rng, 30, 3)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    ref = RegionProgram(ds, [1.0, -1.0], loss="logistic", backend="cvxpy")
    calls = []

    def fail(*args, **kwargs):
        calls.append(1)
        raise KernelFailed("forced")

    monkeypatch.setattr(prog.kernel, "solve", fail)
    A = random_vertex(ds, 2, rng)
    with pytest.warns(RuntimeWarning, match="forced"):
        sol = prog.solve(A)
    assert calls and sol.status == "optimal_fallback"
    assert abs(sol.loss - ref.solve(A).loss) <= max(LOSS_RTOL * sol.loss, LOSS_ATOL)


def test_logistic_iteration_cap_is_retried_from_the_other_start_with_the_kernel(monkeypatch):
    # a warm start on which the kernel stops: the fast backend tries the cold start next, without
    # a fallback to the reference
    rng = np.random.default_rng(29)
    ds = classification(rng, 30, 3)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A = random_vertex(ds, 2, rng)
    first = prog.solve(A)
    kernel_solve = prog.kernel.solve

    def capped(real, exc):
        def solve(pattern, W0=None, c0=None, **kwargs):
            if W0 is not None:
                raise exc("cap")
            return real(pattern, W0, c0, **kwargs)
        return solve

    monkeypatch.setattr(prog.kernel, "solve", capped(kernel_solve, KernelFailed))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)            # a fallback warns: fail instead
        sol = prog.solve(A, warm_start=(first.W, first.c))
    assert sol.status == first.status
    assert abs(sol.loss - first.loss) <= 1e-9 * (1 + first.loss)


# ------------------------------------------------------------------------------ compiled KKT certificate


def candidates(data, A, res, rng):
    """(W, c, supports, label) of candidates around the answer ``res``: the answer itself, scaled,
    shifted, noisy (rounding-level to large), infeasible, with units moved to 0 and supports missing."""
    W, c, sup = res.W, res.c, res.supports
    m, n = W.shape
    out = [(W, c, sup, "optimum"), (W, c, None, "no supports"), (W * 1.01, c, sup, "scaled"),
           (W, c + 0.1, sup, "shifted c"), (2.0 * W, -c, sup, "wrong")]
    for eps in (1e-14, 1e-9, 1e-3):
        out.append((W + eps * rng.standard_normal(W.shape), c + eps, sup, f"noise {eps}"))
    out.append((rng.standard_normal((m, n)), c, sup, "random W"))
    live = np.flatnonzero(np.linalg.norm(W, axis=1) > 0)
    if live.size:
        W0 = W.copy()
        W0[live[0]] = 0.0
        out.append((W0, c, sup, "unit moved to 0"))
        W1 = W.copy()
        W1[live[-1]] *= 1e-13                                      # a negligible unit
        given = dict(sup)
        given[int(live[-1])] = np.flatnonzero(A[live[-1]])[:n]     # a (probably wrong) support
        out.append((W1, c, given, "negligible unit with a guessed support"))
    out.append((np.zeros((m, n)), c, None, "all zero"))
    return out


def compare_certificates(data, patterns, keep=None, rng=None):
    """C residuals == KKTChecker's to rounding, the same verdict, on every candidate; returns
    the number of (accepted, rejected) candidates."""
    kernel, checker = RegionKernel(data), KKTChecker(data)
    assert kernel.kkt_params[3] == checker.scale
    tally = [0, 0]
    for A in patterns:
        try:
            res = kernel.solve(A, keep=keep) if data.loss == "logistic" else kernel.solve(A)
        except (Separable, NotConverged):
            continue
        for W, c, sup, label in candidates(data, A, res, rng):
            c = c if data.fit_bias else 0.0
            ref = checker.residuals(A, W, c, sup, keep=keep)
            got = kernel.residuals(A, W, c, sup, keep=keep)
            for name in ("primal", "stationarity", "dual", "complementarity", "rounding"):
                a, b = getattr(ref, name), getattr(got, name)
                assert abs(a - b) <= 1e-12 * max(1.0, abs(a)), (label, name, a, b)
            assert ref.ok(1e-8) == got.ok(1e-8), (label, ref, got)
            tally[0 if got.ok(1e-8) else 1] += 1
    return tally


@pytest.mark.parametrize("fit_bias", [True, False])
def test_compiled_certificate_matches_the_python_checker_mse(fit_bias):
    rng = np.random.default_rng(31)
    X = rng.standard_normal((72, 8))
    Xbar = np.hstack([X, np.ones((72, 1))])
    y = np.maximum(Xbar @ rng.standard_normal((8, 9)).T, 0.0) @ rng.standard_normal(8)
    ds = Dataset(X, y=y)
    data = RegionProgram(ds, np.repeat([1.0, -1.0], 8), fit_bias=fit_bias).data
    accepted, rejected = compare_certificates(data, [random_vertex(ds, 16, rng) for _ in range(6)], rng=rng)
    assert accepted >= 6 and rejected >= 6 * 5
    small = gaussian(rng, 24, 3)
    data = RegionProgram(small, [1.0, -1.0, 0.7, -1.3, 2.0], fit_bias=fit_bias).data
    compare_certificates(data, [random_vertex(small, 5, rng) for _ in range(8)], rng=rng)
    keep = rng.random(24) < 0.7                                   # (the checker's F_I, for the MSE too)
    compare_certificates(data, [random_vertex(small, 5, rng) for _ in range(4)], keep=keep, rng=rng)
    kernel, checker = RegionKernel(data), KKTChecker(data)
    A = random_vertex(small, 5, rng)
    res = kernel.solve(A)
    for W in (res.W, 0.5 * res.W):
        ref, got = checker.residuals(A, W, res.c, res.supports, keep), kernel.residuals(A, W, res.c, res.supports, keep)
        assert np.allclose([ref.primal, ref.stationarity, ref.dual, ref.complementarity, ref.rounding],
                           [got.primal, got.stationarity, got.dual, got.complementarity, got.rounding],
                           rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_compiled_certificate_matches_the_python_checker_logistic(fit_bias):
    rng = np.random.default_rng(32)
    ds = classification(rng, 60, 3)
    data = RegionProgram(ds, [1.0, -1.0, 1.0, -1.0], loss="logistic", fit_bias=fit_bias).data
    patterns = [random_vertex(ds, 4, rng) for _ in range(6)]
    accepted, rejected = compare_certificates(data, patterns, rng=rng)
    assert accepted >= 3 and rejected >= 10
    compare_certificates(data, patterns, keep=rng.random(60) < 0.8, rng=rng)


def test_compiled_certificate_on_degenerate_data():
    """Repeated examples (dependent tight sets: NNLS decides), a zero example, fewer examples than
    weights, units without active examples."""
    rng = np.random.default_rng(33)
    X = rng.standard_normal((10, 2))
    ds = Dataset(np.vstack([X, X[:4]]), y=rng.standard_normal(14))
    data = RegionProgram(ds, [1.0, -1.0, 0.5, 2.0]).data
    patterns = []
    for _ in range(4):
        A = random_vertex(ds, 4, rng)
        A[0], A[1] = False, True
        patterns.append(A)
    compare_certificates(data, patterns, rng=rng)
    Xz = rng.standard_normal((12, 3))
    Xz[4] = 0.0
    dz = Dataset(Xz, y=rng.standard_normal(12), homogenize=False)
    data = RegionProgram(dz, [1.0, -1.0, 1.0], fit_bias=False).data
    compare_certificates(data, [random_vertex(dz, 3, rng) for _ in range(4)], rng=rng)
    small = gaussian(rng, 3, 5)
    data = RegionProgram(small, [1.0, -1.0]).data
    compare_certificates(data, [random_vertex(small, 2, rng) for _ in range(3)], rng=rng)


def test_a_wrong_kernel_answer_is_rejected_and_resolved(monkeypatch):
    rng = np.random.default_rng(34)
    ds = gaussian(rng, 30, 3)
    prog, ref = programs(ds, [1.0, -1.0, 1.0])
    kernel = prog.kernel
    solve = kernel.solve

    def wrong(*args, **kwargs):                                   # the kernel's answer, moved off
        res = solve(*args, **kwargs)
        return ActiveSetResult(W=0.5 * res.W, c=res.c + 0.1, n_iter=res.n_iter, supports=res.supports)

    def wrong_certified(pattern, W0=None, c0=None):               # ... and its compiled certificate
        res = wrong(pattern, W0, c0)
        return res, kernel.residuals(pattern, res.W, res.c, res.supports)

    monkeypatch.setattr(kernel, "solve", wrong)
    monkeypatch.setattr(kernel, "solve_certified", wrong_certified)
    A = random_vertex(ds, 3, rng)
    with pytest.warns(RuntimeWarning, match="KKT check"):
        sol = prog.solve(A)
    assert sol.status == "optimal_fallback"
    assert abs(sol.loss - ref.solve(A).loss) <= max(LOSS_RTOL * sol.loss, LOSS_ATOL)
    res, kkt = kernel.solve_certified(A)
    assert not KKTChecker(prog.data).residuals(A, res.W, res.c).ok(1e-8) and not kkt.ok(1e-8)


def test_certificate_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(35)
    ds = gaussian(rng, 10, 2)
    kernel = RegionKernel(RegionProgram(ds, [1.0, -1.0]).data)
    A = random_vertex(ds, 2, rng)
    with pytest.raises(InvalidInputError, match="W must be"):
        kernel.residuals(A, np.zeros((2, 2)), 0.0)
    with pytest.raises(InvalidInputError, match="support of unit"):
        kernel.residuals(A, np.zeros((2, 3)), 0.0, {0: [10]})
    with pytest.raises(InvalidInputError, match="bool pattern"):
        kernel.residuals(A.astype(int), np.zeros((2, 3)), 0.0)
    from zonocomb.convex.backends import _region_kernel
    with pytest.raises(ValueError, match="buffer W"):
        _region_kernel.certify(kernel.X, kernel.Xu, kernel.xn, kernel.y, kernel.v, A.view(np.uint8),
                               np.zeros(3), 0.0, np.zeros((2, 3), np.int32), np.zeros(2, np.int32),
                               np.zeros(0, np.uint8), 10, 3, 2, 0, 1, 0, kernel.kkt_params)
    with pytest.raises(ValueError, match="out of range"):
        _region_kernel.certify(kernel.X, kernel.Xu, kernel.xn, kernel.y, kernel.v, A.view(np.uint8),
                               np.zeros((2, 3)), 0.0, np.full((2, 3), 99, np.int32), np.full(2, 3, np.int32),
                               np.zeros(0, np.uint8), 10, 3, 2, 0, 1, 0, kernel.kkt_params)


# ------------------------------------------------------------------------------ unzeroed work memory
def _poisoned_kernel(tmp_path):
    """The kernel compiled with -DZC_POISON (its unzeroed work arrays filled with NaN), loaded as a
    module of its own; None when no C compiler is at hand."""
    import importlib.machinery
    import importlib.util
    import shlex
    import shutil
    import subprocess
    import sysconfig
    from pathlib import Path

    import zonocomb.convex.backends as backends

    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")
    if shutil.which(cc[0]) is None:
        return None
    src = Path(backends.__file__).with_name("_region_kernel.c")
    out = tmp_path / ("_region_kernel" + sysconfig.get_config_var("EXT_SUFFIX"))
    cmd = [*cc, "-shared", "-fPIC", "-O1", "-std=c99", "-pthread", "-DZC_POISON",
           "-I" + sysconfig.get_paths()["include"], str(src), "-o", str(out)]
    if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
        return None
    loader = importlib.machinery.ExtensionFileLoader("_region_kernel", str(out))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("_region_kernel", loader))
    loader.exec_module(module)
    return module


def test_no_work_array_is_read_before_it_is_written(tmp_path, monkeypatch):
    """The kernel leaves its largest work arrays unzeroed (written before read). A build that fills
    them with NaN instead must still give certified answers with the normal build's losses on
    random vertices and facet walks (cold and warm, MSE and logistic, with and without c, repeated
    examples, units active nowhere or everywhere, a zero example), in stars and in neighbour sweeps
    from the vertex's optimum and from starts of their own (with their points): a read
    before a write would spread NaN (a kernel failure) or change an answer. (The test build is
    compiled with other flags, so the answers agree to rounding, not bit for bit.)"""
    import zonocomb.convex.backends.kernel as kernel_module
    poisoned = _poisoned_kernel(tmp_path)
    if poisoned is None:
        pytest.skip("no C compiler to build the NaN-poisoned kernel")
    normal = kernel_module._region_kernel
    rng = np.random.default_rng(11)
    cases = []
    for loss, fit_bias in [("mse", True), ("mse", False), ("logistic", True)]:
        ds = gaussian(rng, 40, 3) if loss == "mse" else classification(rng, 60, 3)
        m = 5
        v = np.where(np.arange(m) < 3, 1.0, -1.0)
        walk = facet_walk(ds.generators_float, m, 8, rng)
        cases.append((ds, v, loss, fit_bias, [random_vertex(ds, m, rng) for _ in range(6)] + list(walk)))
    X = rng.standard_normal((10, 2))                              # repeated examples, degenerate units
    ds = Dataset(np.vstack([X, X[:4]]), y=rng.standard_normal(14))
    cases.append((ds, np.array([1.0, -1.0, 0.5, 2.0]), "mse", True, degenerate_patterns(ds, rng, 6)))
    X = rng.standard_normal((12, 3))
    X[4] = 0.0                                                    # a zero example (vacuous constraint)
    ds = Dataset(X, y=rng.standard_normal(12), homogenize=False)
    cases.append((ds, np.array([1.0, -1.0, 1.0]), "mse", False, [random_vertex(ds, 3, rng) for _ in range(6)]))
    for ds, v, loss, fit_bias, patterns in cases:
        prog = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias)
        data = prog.data
        answers = {}
        for name, module in (("normal", normal), ("poisoned", poisoned)):
            monkeypatch.setattr(kernel_module, "_region_kernel", module)
            kernel = RegionKernel(data)
            prev, out = (None, None), []
            for k, A in enumerate(patterns):
                try:
                    res = kernel.solve(A, *(prev if k >= 6 else (None, None)))
                except (Separable, Runaway) as exc:
                    out.append(type(exc).__name__)
                    continue
                assert np.all(np.isfinite(res.W)) and np.isfinite(res.c)
                assert kernel.residuals(A, res.W, res.c, res.supports).ok(1e-8)
                out.append(prog.objective(A, res.W, res.c))
                prev = (res.W, res.c)
            answers[name] = out
            if not np.all(ds.generators_float.any(axis=1)):
                continue                                          # (no zonotope with a zero example)
            # the stars path (cold solve, then a sweep from its optimum on the same work space)
            power = ZonotopePower(ds.zonotope(), len(v))
            P = np.array(patterns[:6])
            moves = [power.neighbor_moves(A)[:5] for A in P]
            star = kernel.stars(P, [mv for ms in moves for mv in ms], np.cumsum([0] + [len(ms) for ms in moves]),
                                screen=True, kkt_rtol=1e-8)
            answers[name] += list(np.where(star.centre_status == "solved", star.centre_loss, -1.0))
            answers[name] += list(np.where(star.status == "failed", -1.0, star.loss))
            # the neighbour sweep with points, from the vertex's optimum and from starts of their own
            # (the first neighbours' answers, random points for the others)
            try:
                base = kernel.solve(P[0])
            except (Separable, Runaway):
                continue
            loss0 = prog.objective(P[0], base.W, base.c)
            plain = kernel.sweep(P[0], moves[0], base.W, base.c, loss0, screen=True, kkt_rtol=1e-8, solutions=True)
            noise = np.random.default_rng(5)
            starts = {j: plain.point(j) if j < 2 and plain.point(j) else (noise.standard_normal(base.W.shape), 0.5)
                      for j in range(len(moves[0]))}
            own = kernel.sweep(P[0], moves[0], base.W, base.c, loss0, screen=True, kkt_rtol=1e-8, solutions=True,
                               starts=starts)
            for sweep in (plain, own):
                answers[name] += list(np.where(np.isin(sweep.status, ["failed", "bounded"]), -1.0, sweep.loss))
                answers[name] += [sweep.point(j)[1] if sweep.point(j) else -1.0 for j in range(len(moves[0]))]
        assert len(answers["poisoned"]) == len(answers["normal"]) >= len(patterns)
        for a, b in zip(answers["normal"], answers["poisoned"]):
            if isinstance(a, str) or isinstance(b, str):
                assert a == b
            else:
                assert abs(a - b) <= 1e-9 * abs(a) + 1e-12, (a, b)
