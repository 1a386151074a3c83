"""Tests of the compiled MSE region kernel (zonocomb.convex.backends.kernel, paper eq. 3).

Evidence: agreement with the cvxpy + ECOS reference on random vertices of Z^m and along facet walks
(warm-started), on degenerate data; the independent KKT checker accepts every answer; planted
networks are fitted to zero loss; bad inputs raise clear errors.
"""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends import RegionData
from zonocomb.convex.backends.kernel import MSEKernel, kernel_available
from zonocomb.convex.kkt import KKTChecker
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.walks import facet_walk

pytestmark = pytest.mark.skipif(not kernel_available(), reason="the C extension is not built")

LOSS_RTOL, LOSS_ATOL = 1e-6, 1e-9


def programs(ds, v, fit_bias=True):
    return (RegionProgram(ds, v, fit_bias=fit_bias), RegionProgram(ds, v, fit_bias=fit_bias, backend="cvxpy"))


def check_against_reference(ds, v, patterns, fit_bias=True, warm=False):
    """Kernel answers (warm-started along ``patterns`` if ``warm``): KKT-certified and equal in
    loss to the reference."""
    fast, ref = programs(ds, v, fit_bias)
    kernel = MSEKernel(fast._data)
    checker = KKTChecker(fast._data)
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


@pytest.mark.parametrize("fit_bias", [True, False])
def test_degenerate_data_and_patterns(fit_bias):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((10, 2))
    X = np.vstack([X, X[:4]])                                     # repeated examples
    ds = Dataset(X, y=rng.standard_normal(14))
    v = np.array([1.0, -1.0, 0.5, 2.0])
    patterns = []
    for _ in range(4):
        A = random_vertex(ds, 4, rng)
        A[0] = False                                              # a unit without active examples
        A[1] = True                                               # a unit active on every example
        patterns.append(A)
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
    kernel = MSEKernel(prog._data)
    for start in [(None, None), (np.zeros((4, 4)), 0.0), (rng.standard_normal((4, 4)), 1.0)]:
        res = kernel.solve(A, *start)
        assert prog.objective(A, res.W, res.c) <= 1e-20


def test_fast_backend_routes_mse_through_the_kernel(monkeypatch):
    rng = np.random.default_rng(4)
    ds = gaussian(rng, 20, 3)
    prog = RegionProgram(ds, [1.0, -1.0])
    assert prog._solver._kernel is not None
    calls = []
    solve = prog._solver._kernel.solve
    monkeypatch.setattr(prog._solver._kernel, "solve", lambda *a: calls.append(1) or solve(*a))
    monkeypatch.setattr(prog._solver._qp, "solve", lambda *a, **k: pytest.fail("Python path used"))
    sol = prog.solve(random_vertex(ds, 2, rng))
    assert sol.status == "optimal" and calls


def test_kernel_failure_falls_back_to_the_python_active_set(monkeypatch):
    from zonocomb.convex.backends import kernel as kernel_module
    rng = np.random.default_rng(6)
    ds = gaussian(rng, 20, 3)
    prog, ref = programs(ds, [1.0, -1.0])

    def fail(*args, **kwargs):
        raise kernel_module.KernelFailed("forced")

    monkeypatch.setattr(prog._solver._kernel, "solve", fail)
    A = random_vertex(ds, 2, rng)
    sol = prog.solve(A)
    assert sol.status == "optimal"
    assert abs(sol.loss - ref.solve(A).loss) <= max(LOSS_RTOL * sol.loss, LOSS_ATOL)


def test_iteration_cap_is_reported_not_crashed():
    rng = np.random.default_rng(8)
    ds = gaussian(rng, 20, 3)
    prog = RegionProgram(ds, [1.0, -1.0, 1.0])
    kernel = MSEKernel(prog._data, max_iter=1)
    from zonocomb.convex.backends.kernel import KernelFailed
    with pytest.raises(KernelFailed, match="iteration cap"):
        kernel.solve(random_vertex(ds, 3, rng))


def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(1)
    ds = gaussian(rng, 10, 2)
    data = RegionProgram(ds, [1.0, -1.0])._data
    kernel = MSEKernel(data)
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
    logistic = RegionData(Xbar=data.Xbar, y=(data.y > 0).astype(float), v=data.v, loss="logistic",
                          fit_bias=True)
    with pytest.raises(InvalidInputError, match="MSE loss only"):
        MSEKernel(logistic)
    wide = RegionData(Xbar=np.ones((5, 30)), y=np.zeros(5), v=data.v, loss="mse", fit_bias=True)
    with pytest.raises(InvalidInputError, match="n ≤ 22"):
        MSEKernel(wide)
    from zonocomb.convex.backends import _region_kernel
    with pytest.raises(ValueError, match="buffer W"):                 # the C layer checks sizes too
        _region_kernel.solve_mse(kernel.X, kernel.Xu, kernel.xn, kernel.y, kernel.v, A.view(np.uint8),
                                 np.zeros(3), np.zeros((2, 3), np.int32), np.zeros(2, np.int32),
                                 kernel.params, np.zeros((2, 3), np.int32), np.zeros(2, np.int32),
                                 10, 3, 2, 1, 100, 0, 0.0)
