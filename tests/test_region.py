"""Tests of the region program (paper eq. 3) and its two backends.

Evidence used: agreement of two independent solvers (the fast backend's compiled block active-set method
and cvxpy + ECOS) on random patterns and on chains of
neighbouring patterns, planted networks that must be fitted exactly, KKT certificates (the
backend's own checker against one computed here by non-negative least squares), scipy's SLSQP on
tiny instances, brute-force evaluation of the path search, and direct evaluation of the ReLU network.
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize, nnls
from scipy.special import expit

from zonocomb import Dataset
from zonocomb.convex import LOSSES, RegionProgram, RegionSolution, solve_region
from zonocomb.convex.backends import BACKENDS, backend_spec, get_backend
from zonocomb.geometry.walks import facet_walk
from oracles.block_active_set import BlockActiveSet
from zonocomb.convex.backends.kernel import KernelFailed
from zonocomb.convex.kkt import KKTChecker
from zonocomb.errors import InvalidInputError, InvalidTypeError, NotAVertexWarning

LOSS_RTOL, LOSS_ATOL = 1e-6, 1e-9


def gaussian_dataset(rng, N, d, loss):
    X = rng.standard_normal((N, d))
    if loss == "logistic":
        y = rng.integers(0, 2, N).astype(float)                 # random labels: no separating region
    else:
        y = rng.standard_normal(N) + X[:, 0]
    return Dataset(X, y=y)


def random_pattern(ds, m, rng):
    return (rng.standard_normal((m, ds.n)) @ ds.generators_float.T) > 0


def assert_losses_agree(a, b):
    assert abs(a - b) <= max(LOSS_RTOL * abs(b), LOSS_ATOL), (a, b)


def predictions(ds, pattern, v, sol):
    return (pattern * np.asarray(v)[:, None] * (sol.W @ ds.generators_float.T)).sum(axis=0) + sol.c


def assert_feasible(ds, pattern, W, rtol):
    """Sign constraints hold up to rtol · max_u ‖w_u‖ · ‖x̄_i‖ (the float tolerance of the tight sets)."""
    X = ds.generators_float
    slack = np.where(pattern, 1.0, -1.0) * (W @ X.T)
    scale = np.max(np.linalg.norm(W, axis=1)) * np.linalg.norm(X, axis=1)[None, :]
    assert np.all(slack >= -rtol * scale), slack.min()


def test_ecos_defaults_backend_tries_ecos_as_cvxpy_ships_it_then_clarabel(monkeypatch):
    """``reproduce --backend paper``'s solver: ECOS with no options (the paper states none), its
    point taken even at its iteration cap, Clarabel only when ECOS gives no point, and the fast
    backend when neither does; its loss is the fast backend's to ECOS' tolerance."""
    import cvxpy as cp
    rng = np.random.default_rng(5)
    ds = gaussian_dataset(rng, 30, 3, "mse")
    v = np.array([1.0, -1.0])
    A = random_pattern(ds, 2, rng)
    calls, real_solve = [], cp.Problem.solve

    def recording(self, *args, **kwargs):
        calls.append(kwargs)
        return real_solve(self, *args, **kwargs)

    monkeypatch.setattr(cp.Problem, "solve", recording)
    paper = RegionProgram(ds, v, backend="ecos-defaults").solve(A)
    assert calls == [{"solver": "ECOS"}]
    assert_losses_agree(paper.loss, RegionProgram(ds, v, backend="fast").solve(A).loss)

    def ecos_fails(self, *args, **kwargs):
        if kwargs.get("solver") == "ECOS":
            raise cp.error.SolverError("planted")
        return recording(self, *args, **kwargs)

    def ecos_capped(self, *args, **kwargs):                      # ECOS stops at an iteration cap
        calls.append(kwargs)
        extra = {"max_iters": 3} if kwargs.get("solver") == "ECOS" else {}
        return real_solve(self, *args, **kwargs, **extra)

    calls.clear()
    monkeypatch.setattr(cp.Problem, "solve", ecos_capped)
    with pytest.warns(RuntimeWarning, match="reduced accuracy"):
        capped = RegionProgram(ds, v, backend="ecos-defaults").solve(A)
    assert calls == [{"solver": "ECOS"}] and capped.status == "optimal_inaccurate"
    assert capped.loss > paper.loss                              # its last iterate, taken as it is

    calls.clear()
    monkeypatch.setattr(cp.Problem, "solve", ecos_fails)
    fallback = RegionProgram(ds, v, backend="ecos-defaults").solve(A)
    assert calls == [{"solver": "CLARABEL"}]
    assert_losses_agree(fallback.loss, paper.loss)

    def both_fail(self, *args, **kwargs):                          # no point at all: the fast backend
        raise cp.error.SolverError("planted")

    monkeypatch.setattr(cp.Problem, "solve", both_fail)
    with pytest.warns(RuntimeWarning, match="no point"):
        last = RegionProgram(ds, v, backend="ecos-defaults").solve(A)
    assert last.status == "optimal_fallback"
    assert last.loss == RegionProgram(ds, v, backend="fast").solve(A).loss


# ----------------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("fit_bias", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_backends_agree_on_random_patterns(loss, fit_bias, seed):
    rng = np.random.default_rng([LOSSES.index(loss), int(fit_bias), seed])
    m = 3
    v = np.array([1.0, -1.0, 0.7])
    ds = gaussian_dataset(rng, 30, 3, loss)
    fast = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, backend="fast")
    ref = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, backend="cvxpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(12):
            A = random_pattern(ds, m, rng)
            f, r = fast.solve(A), ref.solve(A)
            assert f.loss <= r.loss + LOSS_ATOL                  # the fast backend is never worse
            if loss == "logistic" and np.max(np.abs(predictions(ds, A, v, f))) > 15:
                # a recession direction: the infimum is not attained and ECOS stops short of it
                assert r.loss - f.loss <= 1e-4
            else:
                assert_losses_agree(f.loss, r.loss)
            assert_feasible(ds, A, f.W, 1e-9)
            if not fit_bias:
                assert f.c == 0.0 and r.c == 0.0
    assert fast.n_solves == ref.n_solves == 12


def test_backends_agree_on_benchmark_sized_problem():
    rng = np.random.default_rng(7)
    m, d, mgen = 8, 4, 4
    N = (d + 1) * mgen
    X = rng.standard_normal((N, d))
    Wg, vg = rng.standard_normal((mgen, d + 1)), rng.standard_normal(mgen)
    ds = Dataset(X, y=np.maximum(np.hstack([X, np.ones((N, 1))]) @ Wg.T, 0) @ vg + rng.standard_normal())
    v = np.array([1.0, -1.0] * (m // 2))
    fast, ref = RegionProgram(ds, v, backend="fast"), RegionProgram(ds, v, backend="cvxpy")
    prev = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(6):
            A = random_pattern(ds, m, rng)
            cold, warm, r = fast.solve(A), fast.solve(A, warm_start=prev), ref.solve(A)
            assert_losses_agree(cold.loss, r.loss)
            assert_losses_agree(warm.loss, r.loss)
            prev = cold


# ------------------------------------------------------------------------------------ planted
@pytest.mark.parametrize("loss", ["mse", "l1"])
@pytest.mark.parametrize("backend", ["fast", "cvxpy"])
@pytest.mark.parametrize("fit_bias", [True, False])
def test_planted_network_is_fitted_exactly(loss, backend, fit_bias):
    rng = np.random.default_rng(3)
    m, N, d = 3, 25, 2
    X = rng.standard_normal((N, d))
    Xbar = np.hstack([X, np.ones((N, 1))])
    W_star = rng.standard_normal((m, d + 1))
    v = np.array([1.5, -1.0, 0.5])
    c_star = 0.3 if fit_bias else 0.0
    y = np.maximum(Xbar @ W_star.T, 0.0) @ v + c_star
    ds = Dataset(X, y=y)
    A_star = (Xbar @ W_star.T > 0).T
    sol = solve_region(ds, A_star, v, loss=loss, fit_bias=fit_bias, backend=backend)
    assert sol.loss <= 1e-9
    assert sol.status in ("optimal", "optimal_inaccurate")
    assert_feasible(ds, A_star, sol.W, 1e-7)
    prog = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, backend=backend)
    assert prog.network_loss(sol.W, sol.c) <= 1e-8


def test_planted_single_unit_recovers_weights_exactly():
    # m = 1, all examples active, no output bias: the region optimum is the least-squares solution.
    rng = np.random.default_rng(11)
    X = rng.standard_normal((10, 2))
    w = np.array([0.5, -0.25, 4.0])                               # preactivations > 0 on this data
    Xbar = np.hstack([X, np.ones((10, 1))])
    assert np.all(Xbar @ w > 0)
    ds = Dataset(X, y=Xbar @ w)
    sol = solve_region(ds, tuple([1] * 10), [1.0], fit_bias=False)
    np.testing.assert_allclose(sol.W[0], w, rtol=1e-10)
    assert not sol.tight.any()


# ------------------------------------------------------------------------ loss bookkeeping
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("backend", ["fast", "cvxpy"])
def test_reported_loss_is_the_relu_network_loss(loss, backend):
    rng = np.random.default_rng(5)
    ds = gaussian_dataset(rng, 24, 2, loss)
    v = np.array([1.0, -1.0])
    prog = RegionProgram(ds, v, loss=loss, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(4):
            sol = prog.solve(random_pattern(ds, 2, rng))
            direct = prog.network_loss(sol.W, sol.c)
            atol = 1e-12 if backend == "fast" else 1e-7
            assert abs(direct - sol.loss) <= atol * (1 + abs(sol.loss))


def test_solution_fields_and_tight_set():
    rng = np.random.default_rng(2)
    ds = gaussian_dataset(rng, 20, 2, "mse")
    A = random_pattern(ds, 2, rng)
    sol = solve_region(ds, A, [1.0, -1.0])
    assert isinstance(sol, RegionSolution)
    assert sol.W.shape == (2, 3) and sol.tight.shape == (2, 20) and sol.tight.dtype == bool
    assert sol.backend == "fast" and sol.status == "optimal" and sol.seconds >= 0
    X = ds.generators_float
    pre = np.abs(sol.W @ X.T)
    scale = np.max(np.linalg.norm(sol.W, axis=1)) * np.linalg.norm(X, axis=1)[None, :]
    np.testing.assert_array_equal(sol.tight, pre <= 1e-7 * scale)
    with pytest.raises(ValueError):
        sol.W[0, 0] = 1.0                                         # results are read-only


# --------------------------------------------------------------------------- optimality
def kkt_residual(ds, A, v, sol, loss, fit_bias=True):
    """Relative residual of ∇F = Σ λ_i s_ui x̄_i (λ ≥ 0, tight constraints) per unit, by NNLS."""
    X, y, N = ds.generators_float, ds.y, ds.N
    yhat = (A * v[:, None] * (sol.W @ X.T)).sum(axis=0) + sol.c
    if loss == "mse":
        g = 2 * (yhat - y) / N
    else:
        g = (expit(yhat) - y) / N
    scale = np.abs(g) @ np.linalg.norm(X, axis=1) * np.max(np.abs(v))
    worst = abs(g.sum()) / np.abs(g).sum() if fit_bias else 0.0   # ∂F/∂c = 0 (c is free)
    S = np.where(A, 1.0, -1.0)
    for u in range(A.shape[0]):
        grad = (A[u] * v[u] * g) @ X
        normals = (S[u][:, None] * X)[sol.tight[u]]
        if normals.shape[0]:
            lam, res = nnls(normals.T, grad)
        else:
            res = np.linalg.norm(grad)
        worst = max(worst, res / scale)
    return worst


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_fast_solution_satisfies_kkt(loss):
    rng = np.random.default_rng(17)
    ds = gaussian_dataset(rng, 40, 3, loss)
    v = np.array([1.0, -1.0, 1.0, -1.0])
    prog = RegionProgram(ds, v, loss=loss)
    for _ in range(8):
        A = random_pattern(ds, 4, rng)
        sol = prog.solve(A)
        assert kkt_residual(ds, A, v, sol, loss) <= 1e-7


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_fast_matches_slsqp_on_tiny_instance(loss):
    rng = np.random.default_rng(23)
    ds = gaussian_dataset(rng, 12, 1, loss)
    X, y = ds.generators_float, ds.y
    v = np.array([1.0, -1.0])
    A = random_pattern(ds, 2, rng)
    S = np.where(A, 1.0, -1.0)

    def objective(theta):
        W, c = theta[:4].reshape(2, 2), theta[4]
        yhat = (A * v[:, None] * (W @ X.T)).sum(axis=0) + c
        if loss == "mse":
            return np.mean((yhat - y) ** 2)
        return np.mean(np.logaddexp(0, yhat) - y * yhat)

    cons = {"type": "ineq", "fun": lambda th: (S * (th[:4].reshape(2, 2) @ X.T)).ravel()}
    best = min(minimize(objective, rng.standard_normal(5) * 0.01, constraints=[cons], method="SLSQP",
                        options=dict(ftol=1e-14, maxiter=1000)).fun for _ in range(3))
    sol = solve_region(ds, A, v, loss=loss)
    assert sol.loss <= best + 1e-8
    assert abs(sol.loss - best) <= 1e-6 * max(1.0, best)


def test_unit_without_active_examples_stays_zero():
    rng = np.random.default_rng(4)
    ds = gaussian_dataset(rng, 15, 2, "mse")
    A = random_pattern(ds, 3, rng)
    A[1] = False
    fast = solve_region(ds, A, [1.0, -1.0, 0.0])
    ref = solve_region(ds, A, [1.0, -1.0, 0.0], backend="cvxpy")
    assert np.all(fast.W[1:] == 0.0)                              # units that cannot affect ŷ
    assert fast.tight[1:].all()
    assert_losses_agree(fast.loss, ref.loss)
    assert np.all(ds.generators_float @ ref.W[1] <= 1e-7)         # the reference's w_1 is arbitrary but feasible


def test_warm_start_along_neighbours_agrees_with_cold():
    rng = np.random.default_rng(9)
    ds = gaussian_dataset(rng, 30, 3, "logistic")
    v = np.array([1.0, 1.0, -1.0, -1.0])
    prog = RegionProgram(ds, v, loss="logistic")
    W = rng.standard_normal((4, 4))
    X = ds.generators_float
    prev = prog.solve(W @ X.T > 0)
    for _ in range(6):
        u = rng.integers(4)
        W[u] += 0.3 * rng.standard_normal(4)
        A = (W @ X.T) > 0
        warm, cold = prog.solve(A, warm_start=prev), prog.solve(A)
        assert_losses_agree(warm.loss, cold.loss)
        prev = warm


def test_fast_backend_falls_back_when_it_cannot_certify():
    rng = np.random.default_rng(6)
    ds = gaussian_dataset(rng, 20, 2, "mse")
    prog = RegionProgram(ds, [1.0, -1.0])

    def stops(*args):
        raise KernelFailed("compiled region kernel: iteration cap reached")
    prog.kernel.solve_certified = stops
    A = random_pattern(ds, 2, rng)
    with pytest.warns(RuntimeWarning, match="iteration cap.*re-solving"):
        sol = prog.solve(A)
    assert sol.status == "optimal_fallback"
    assert_losses_agree(sol.loss, solve_region(ds, A, [1.0, -1.0], backend="cvxpy").loss)


# ------------------------------------------- fast path: chains, KKT certificate, fallbacks
def neighbour_chain(ds, m, length, rng):
    """Patterns along a walk that moves one unit across one hyperplane per step (GLS neighbours)."""
    return facet_walk(ds.generators_float, m, length, rng)


def assert_agree_or_recession(ds, A, v, f, r, loss):
    assert f.loss <= r.loss + LOSS_ATOL                           # the fast backend is never worse
    if loss == "logistic" and np.max(np.abs(predictions(ds, A, v, f))) > 15:
        assert r.loss - f.loss <= 1e-4                           # infimum not attained; ECOS stops short
    elif r.status == "optimal":
        assert_losses_agree(f.loss, r.loss)
    else:                                                         # ECOS' reduced-accuracy answer
        assert r.loss - f.loss <= 1e-3 * r.loss
        assert kkt_residual(ds, A, v, f, loss) <= 1e-7            # and the fast answer is certified


@pytest.mark.parametrize("loss", ["mse", "logistic"])
@pytest.mark.parametrize("fit_bias", [True, False])
def test_fast_agrees_with_reference_along_a_chain(loss, fit_bias):
    rng = np.random.default_rng([21, LOSSES.index(loss), int(fit_bias)])
    ds = gaussian_dataset(rng, 40, 3, loss)
    v = np.array([1.0, -1.0, 1.0, -1.0, 0.5])
    fast = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias)
    ref = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, backend="cvxpy")
    checker = KKTChecker(fast.data)
    prev = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)           # ECOS' own accuracy warnings
        for A in neighbour_chain(ds, v.size, 12, rng):
            f, r = fast.solve(A, warm_start=prev), ref.solve(A)
            # "optimal_unattained": a logistic region with a recession direction (no minimiser)
            assert f.status == "optimal" or (loss == "logistic" and f.status == "optimal_unattained")
            assert_agree_or_recession(ds, A, v, f, r, loss)
            assert_feasible(ds, A, f.W, 1e-9)
            assert checker.residuals(A, f.W, f.c).ok(1e-7)
            prev = f


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_fast_agrees_with_reference_on_many_random_patterns(loss):
    rng = np.random.default_rng([22, LOSSES.index(loss)])
    ds = gaussian_dataset(rng, 45, 4, loss)
    v = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    fast = RegionProgram(ds, v, loss=loss)
    ref = RegionProgram(ds, v, loss=loss, backend="cvxpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(15):
            A = random_pattern(ds, v.size, rng)
            f, r = fast.solve(A), ref.solve(A)
            # "optimal_unattained": a logistic region with a recession direction (no minimiser)
            assert f.status == "optimal" or (loss == "logistic" and f.status == "optimal_unattained")
            assert_agree_or_recession(ds, A, v, f, r, loss)
            assert kkt_residual(ds, A, v, f, loss) <= 1e-7        # this file's independent NNLS check


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), N=st.integers(4, 30), d=st.integers(1, 3),
       m=st.integers(1, 4), fit_bias=st.booleans())
def test_fast_answers_are_certified_optima(seed, N, d, m, fit_bias):
    rng = np.random.default_rng(seed)
    ds = gaussian_dataset(rng, N, d, "mse")
    v = rng.choice([-1.0, 1.0], m) * rng.uniform(0.5, 2.0, m)
    A = random_pattern(ds, m, rng)
    sol = RegionProgram(ds, v, fit_bias=fit_bias).solve(A)
    assert sol.status == "optimal"
    if sol.loss > 1e-20:                                          # (a zero loss is trivially optimal)
        assert kkt_residual(ds, A, v, sol, "mse", fit_bias) <= 1e-7
    assert_feasible(ds, A, sol.W, 1e-9)
    if not fit_bias:
        assert sol.c == 0.0


def test_kkt_checker_accepts_optima_and_rejects_other_points():
    rng = np.random.default_rng(31)
    ds = gaussian_dataset(rng, 40, 3, "mse")
    v = np.array([1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v)
    checker = KKTChecker(prog.data)
    A = random_pattern(ds, 3, rng)
    sol = prog.solve(A)
    assert np.linalg.norm(sol.W) > 0
    assert checker.residuals(A, sol.W, sol.c).ok(1e-8)
    # feasible (the region is a product of cones) but not optimal: scaled weights, or a shifted bias
    for W, c in ((1.5 * sol.W, sol.c), (sol.W, sol.c + 0.1)):
        res = checker.residuals(A, W, c)
        assert res.primal <= 1e-12 and not res.ok(1e-6)
        moved = dataclasses.replace(sol, W=W, c=c, tight=sol.tight)
        assert kkt_residual(ds, A, v, moved, "mse") > 1e-6       # the independent check agrees
    # infeasible: flip the sign pattern of one unit that is active somewhere
    B = A.copy()
    u = int(np.flatnonzero(np.linalg.norm(sol.W, axis=1) > 0)[0])
    B[u] = ~B[u]
    assert checker.residuals(B, sol.W, sol.c).primal > 1e-3


def reference_kkt_residuals(checker, A, W, c, supports=None, keep=None):
    """The residuals of kkt.py's docstring, unit by unit with plain loops: least squares by
    ``lstsq`` over the candidate set, NNLS (scipy) where the module's rules send a unit to it."""
    from zonocomb.convex import kkt
    data = checker.data
    X, y, v = data.Xbar, data.y, np.asarray(data.v)
    N, n = X.shape
    xn = np.linalg.norm(X, axis=1)
    Xu = X / np.where(xn > 0, xn, 1.0)[:, None]
    yhat = (A * v[:, None] * (W @ X.T)).sum(axis=0) + c
    g = (2 * (yhat - y) if data.loss == "mse" else expit(yhat) - y) / N
    if keep is not None:
        g = np.where(keep, g, 0.0)
    wn = np.linalg.norm(W, axis=1)
    big = 1 + np.abs(y).max() + np.abs(yhat).max()
    wn = np.where((wn <= kkt.NEGLIGIBLE_RTOL * wn.max())
                  | (np.abs(v) * wn * xn.max() <= kkt.NEGLIGIBLE_RTOL * big), 0.0, wn)
    wmax = wn.max()
    stat = abs(g.sum()) if data.fit_bias else 0.0
    primal = dual = comp = 0.0
    for u in range(A.shape[0]):
        s = np.where(A[u], 1.0, -1.0)
        slack = np.where(xn > 0, s * (Xu @ W[u]), 0.0)
        if wmax > 0:
            primal = max(primal, -slack.min() / wmax)
        G = (A[u] * v[u] * g) @ X
        tight = np.flatnonzero((xn > 0) & ((slack <= kkt.SUPPORT_RTOL * wn[u]) | (wn[u] == 0)))
        sup = (supports or {}).get(u)
        cand = np.asarray(sup) if wn[u] == 0 and sup is not None and len(sup) <= n else tight
        use_nnls = len(cand) > n or (wn[u] == 0 and np.any(G != 0) and cand is tight)
        if not use_nnls and len(cand):
            M = s[cand, None] * Xu[cand]
            lam = np.linalg.lstsq(M.T, G, rcond=None)[0]
            use_nnls = lam.min() < -kkt.NEGATIVE_RTOL * checker.scale
        if use_nnls:
            if len(tight) == 0:
                stat = max(stat, np.linalg.norm(G))
                continue
            lam, r = nnls((s[tight, None] * Xu[tight]).T, G)
            stat, comp = max(stat, r), max(comp, np.max(np.abs(lam * slack[tight])))
        elif len(cand):
            stat = max(stat, np.linalg.norm(M.T @ lam - G))
            dual = max(dual, -lam.min())
            comp = max(comp, np.max(np.abs(lam * slack[cand])))
        else:
            stat = max(stat, np.linalg.norm(G))
    return dict(primal=primal, stationarity=stat / checker.scale, dual=dual / checker.scale,
                complementarity=comp / (checker.scale * wmax) if wmax > 0 else 0.0)


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_kkt_residuals_equal_a_unit_by_unit_reference(loss):
    # The batched residuals (sorted candidate sets, padded normal equations, given supports of
    # the units at w = 0) equal a plain per-unit computation from the definitions, at optima
    # (all ≈ 0) and at perturbed points (scaled, shifted, noisy, infeasible, units moved to 0).
    rng = np.random.default_rng(41)
    m = 6
    v = np.array([1.0, -1.0] * (m // 2))
    for fit_bias in (True, False):
        ds = gaussian_dataset(rng, 30, 3, loss)
        prog = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias)
        checker = KKTChecker(prog.data)
        solver = prog.kernel
        for _ in range(6):
            A = random_pattern(ds, m, rng)
            A[int(rng.integers(m))] = False                       # a unit at w = 0 (dual support)
            try:
                res = solver.solve(A)
            except Exception:                                       # (logistic runaway: skip)
                continue
            W, c, sup = res.W, res.c, res.supports
            keep = rng.random(ds.N) < 0.8 if loss == "logistic" else None
            Wz = W.copy()
            Wz[int(np.argmax(np.linalg.norm(W, axis=1)))] = 0.0
            for Wp, cp_, sp, kp in ((W, c, sup, None), (1.3 * W, c, sup, None), (W, c + 0.2, sup, None),
                                    (W + 1e-3 * rng.standard_normal(W.shape), c, sup, None),
                                    (Wz, c, sup, None), (W, c, None, None), (W, c, sup, keep)):
                got = checker.residuals(A, Wp, cp_, sp, keep=kp)
                ref = reference_kkt_residuals(checker, A, Wp, cp_, sp, keep=kp)
                for name, value in ref.items():
                    assert abs(getattr(got, name) - value) <= 1e-11 + 1e-7 * value, (name, got, ref)


def test_fast_backend_falls_back_when_the_kkt_check_fails(monkeypatch):
    rng = np.random.default_rng(32)
    ds = gaussian_dataset(rng, 25, 2, "mse")
    v = [1.0, -1.0]
    prog = RegionProgram(ds, v)
    kernel = prog.kernel
    solve = kernel.solve_certified

    def not_optimal(pattern, W0=None, c0=None):
        res, _ = solve(pattern, W0, c0)
        res = dataclasses.replace(res, W=1.5 * res.W)            # feasible, not optimal
        return res, kernel.residuals(pattern, res.W, res.c, res.supports)
    monkeypatch.setattr(kernel, "solve_certified", not_optimal)
    A = random_pattern(ds, 2, rng)
    with pytest.warns(RuntimeWarning, match="KKT check"):
        sol = prog.solve(A)
    assert sol.status == "optimal_fallback"
    assert_losses_agree(sol.loss, solve_region(ds, A, v, backend="cvxpy").loss)


def test_cone_projection_without_daqp(monkeypatch):
    # should DAQP fail, the oracle's pricing projects onto the activation cone by NNLS (Moreau's
    # decomposition) and still finds the kernel's optimum
    import oracles.block_active_set as bas

    class FailingDAQP:
        @staticmethod
        def solve(H, f, A, bupper, blower=None, sense=None, **kwargs):
            return np.zeros(H.shape[0]), 0.0, -1, {"lam": np.zeros(A.shape[0])}
    rng = np.random.default_rng(37)
    ds = gaussian_dataset(rng, 30, 3, "logistic")
    v = [1.0, -1.0, 1.0]
    A = random_pattern(ds, 3, rng)
    prog = RegionProgram(ds, v, loss="logistic")
    expected = prog.solve(A)
    monkeypatch.setattr(bas, "daqp", FailingDAQP)
    res = bas.BlockActiveSet(prog.data).solve(A)                 # cold: pricing from w = 0
    assert_losses_agree(prog.objective(A, res.W, res.c), expected.loss)


def test_path_search_finds_the_first_minimiser_along_the_path():
    rng = np.random.default_rng(35)
    ds = gaussian_dataset(rng, 20, 2, "mse")
    solver = BlockActiveSet(RegionProgram(ds, [1.0] * 5).data)
    N = ds.N
    for _ in range(20):
        g, h = rng.standard_normal(N), 2.0 / N
        jdu = rng.standard_normal((5, N))
        jd = jdu.sum(axis=0) + rng.standard_normal()              # plus a move of c
        if g @ jd > 0:
            g = -g                                                # a descent direction
        alpha = np.where(rng.random(5) < 0.7, rng.uniform(0.0, 2.0, 5), np.inf)
        t = solver.path_search(g, h, jdu, jd, alpha)

        def phi(s):
            delta = np.minimum(alpha, s) @ jdu + s * (jd - jdu.sum(axis=0))
            return g @ delta + 0.5 * h * delta @ delta
        grid = np.linspace(0.0, t, 400)
        values = np.array([phi(s) for s in grid])
        assert np.all(np.diff(values) <= 1e-12)                   # decreasing up to t ...
        assert phi(t + 1e-6) >= phi(t) - 1e-15                    # ... and not beyond it


def test_faces_are_orthonormal_null_spaces_even_for_degenerate_data():
    # x_1 = 2 x_0 and x_2 = -x_3 (parallel generators): dependent constraints
    X = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, -1.0], [1.0, 1.0], [1.0, -2.0]])
    ds = Dataset(X, y=np.arange(6.0), homogenize=False)
    solver = BlockActiveSet(RegionProgram(ds, [1.0]).data)
    rng = np.random.default_rng(36)
    Xu = X / np.linalg.norm(X, axis=1)[:, None]
    for _ in range(30):
        mask = rng.random(6) < 0.4
        Z, k, ws, nws = solver.face(mask)
        rank = np.linalg.matrix_rank(Xu[mask]) if mask.any() else 0
        assert k == 2 - rank and nws == rank
        np.testing.assert_allclose(Z[:, :k].T @ Z[:, :k], np.eye(k), atol=1e-12)
        assert np.all(Z[:, k:] == 0.0)
        if mask.any():
            np.testing.assert_allclose(Xu[mask] @ Z, 0.0, atol=1e-12)
            assert set(ws[:nws]) <= set(np.flatnonzero(mask))
            assert np.linalg.matrix_rank(Xu[ws[:nws]]) == nws


# ------------------------------------------------------------------------------ inputs
def test_barcode_for_single_unit_equals_matrix_form():
    rng = np.random.default_rng(8)
    ds = gaussian_dataset(rng, 10, 2, "mse")
    barcode = tuple(int(b) for b in random_pattern(ds, 1, rng)[0])
    a = solve_region(ds, barcode, [1.0])
    b = solve_region(ds, np.array([barcode]), [1.0])
    assert a.loss == b.loss


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    return gaussian_dataset(rng, 8, 2, "mse")


@pytest.mark.parametrize("pattern, match", [
    (np.ones((2, 7)), "shape"),
    (np.ones((3, 8)), "shape"),
    (np.ones(8), "shape"),
    (np.full((2, 8), 2), "entry"),
    (np.full((2, 8), 0.5), "entry"),
    (np.array([["a"] * 8] * 2), "0/1"),
])
def test_bad_patterns_raise(small, pattern, match):
    with pytest.raises(InvalidInputError, match=match):
        solve_region(small, pattern, [1.0, -1.0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="hinge"), "hinge"),
    (dict(backend="gurobi"), "gurobi"),
    (dict(v=[]), "non-empty"),
    (dict(v=[[1.0, 2.0]]), "1-D"),
    (dict(v=[1.0, np.nan]), r"v\[1\]"),
    (dict(v=[1.0, np.inf]), "not finite"),
])
def test_bad_parameters_raise(small, kwargs, match):
    args = dict(v=[1.0, -1.0])
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=match):
        RegionProgram(small, **args)


def test_other_bad_inputs(small):
    with pytest.raises(InvalidInputError, match="labels"):
        RegionProgram(Dataset(small.X_exact), [1.0])
    with pytest.raises(InvalidInputError, match=r"\{0, 1\}"):
        RegionProgram(small, [1.0], loss="logistic")
    with pytest.raises(InvalidTypeError, match="Dataset"):
        RegionProgram(small.X_float, [1.0])
    with pytest.raises(InvalidTypeError, match="fit_bias"):
        RegionProgram(small, [1.0], fit_bias="yes")
    prog = RegionProgram(small, [1.0, -1.0])
    A = np.ones((2, 8), dtype=bool)
    with pytest.raises(InvalidInputError, match="warm_start"):
        prog.solve(A, warm_start=(np.zeros((2, 2)), 0.0))
    with pytest.raises(InvalidInputError, match="warm_start"):
        prog.solve(A, warm_start="previous")
    assert prog.n_solves == 0


def test_registry():
    assert set(BACKENDS) == {"cvxpy", "ecos-defaults", "fast"}
    assert backend_spec("reference").name == "cvxpy"
    for name, spec in BACKENDS.items():
        assert spec.losses == set(LOSSES)
        assert get_backend(name).name == name
    with pytest.raises(InvalidInputError, match="unknown backend"):
        backend_spec(None)


def test_programs_pickle_for_parallel_workers():
    import pickle
    rng = np.random.default_rng(12)
    ds = gaussian_dataset(rng, 10, 2, "mse")
    A = random_pattern(ds, 2, rng)
    for loss in LOSSES[::2]:                                       # mse (active set) and l1 (LP)
        prog = RegionProgram(ds, [1.0, -1.0], loss=loss)
        clone = pickle.loads(pickle.dumps(prog))
        assert clone.solve(A).loss == prog.solve(A).loss


@pytest.mark.parametrize("loss", LOSSES)
def test_bias_free_data_with_a_zero_example(loss):
    # appendix E's bias-free ReLU; x_0 = 0 gives the vacuous constraint 0 ≥ 0 for every unit
    X = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [-1, 2], [1, -2], [-2, -1]])
    y = np.array([0.0, 1, 2, 3, 1, 0.5, -1, 2])
    if loss == "logistic":
        y = np.array([1.0, 0, 1, 1, 0, 1, 0, 0])
    ds = Dataset(X, y=y, homogenize=False)
    A = np.array([[0, 1, 1, 1, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1, 0, 1]])
    fast = RegionProgram(ds, [1.0, -1.0], loss=loss, fit_bias=True)
    f = fast.solve(A)
    with pytest.warns(NotAVertexWarning, match="unit 1's row"):           # w·0 > 0 for no w
        r = solve_region(ds, A, [1.0, -1.0], loss=loss, backend="cvxpy")
    assert f.W.shape == (2, 2)
    assert f.loss <= r.loss + LOSS_ATOL
    if f.loss > 1e-6:                                              # attained optimum
        assert_losses_agree(f.loss, r.loss)
    assert_losses_agree(fast.solve(A, warm_start=(np.ones((2, 2)), 0.0)).loss, f.loss)


# ------------------------------------------ logistic regions whose infimum is not attained
def binary_entropy(p):
    return 0.0 if p in (0.0, 1.0) else -(p * np.log(p) + (1 - p) * np.log(1 - p))


@pytest.mark.parametrize("separable", [True, False])
def test_logistic_infimum_not_attained(separable):
    # One unit, active exactly on the examples x > 1 (all labelled 1), v = 1. Along w = (1, -1.5),
    # c → -∞ (fully separable case) the loss tends to its infimum without attaining it; the
    # examples x ≤ 1 see ŷ = c only, so the infimum is (n₀/N) H(p) in closed form (p: fraction of
    # ones among them, H: binary entropy in nats), 0 when they are all labelled 0.
    x = np.array([-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5])
    y = np.array([0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1], dtype=float)
    if separable:
        y[x <= 1] = 0.0
    ds = Dataset(x[:, None], y=y)
    A = (x > 1)[None, :]
    low = x <= 1
    infimum = low.sum() / x.size * binary_entropy(float(y[low].mean()))
    prog = RegionProgram(ds, [1.0], loss="logistic")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)            # no fallback to the reference
        sol = prog.solve(A)
    assert sol.status == "optimal_unattained"
    assert sol.loss == prog.objective(A, sol.W, sol.c)
    assert abs(sol.loss - prog.network_loss(sol.W, sol.c)) <= 1e-15 * (1 + sol.loss)
    assert infimum <= sol.loss <= infimum + 1e-15                 # within e^-40 of the infimum
    assert_feasible(ds, A, sol.W, 1e-12)
    sigma = 2 * y - 1
    assert np.all(sigma[~low] * predictions(ds, A, [1.0], sol)[~low] >= 40 - 1e-9)
    # the reference solvers stop short of the infimum (or fail); they never beat it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = solve_region(ds, A, [1.0], loss="logistic", backend="cvxpy")
    except Exception:                                             # ECOS/Clarabel fail here
        return
    assert ref.loss >= infimum - 1e-9 and sol.loss <= ref.loss + LOSS_ATOL


def test_warm_start_from_an_unattained_answer():
    # A neighbouring region solved from the far point of an unattained answer agrees with a cold solve.
    rng = np.random.default_rng(40)
    X = rng.standard_normal((30, 2))
    y = (X[:, 0] + 0.3 * rng.standard_normal(30) > 0).astype(float)
    ds = Dataset(X, y=y)
    v = np.array([1.0, -1.0])
    prog = RegionProgram(ds, v, loss="logistic")
    Xbar = ds.generators_float
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(10):
            A = random_pattern(ds, 2, rng)
            first = prog.solve(A)
            B = A.copy()
            B[0] = (np.array([1.0, 0.0, 0.1]) + 0.2 * rng.standard_normal(3)) @ Xbar.T > 0
            warm, cold = prog.solve(B, warm_start=first), prog.solve(B)
            assert warm.status == cold.status
            assert abs(warm.loss - cold.loss) <= max(LOSS_RTOL * cold.loss, 1e-15)
            for sol in (first, warm):
                assert abs(sol.loss - prog.network_loss(sol.W, sol.c)) <= 1e-12 * (1 + sol.loss)


def test_the_compiled_mse_kernel_is_built():
    """`pip install -e .` (scripts/setup.sh) builds the C extension; without it the fast backend
    would silently run the slower Python path, so CI insists that it is there."""
    from zonocomb.convex.backends.kernel import kernel_available
    assert kernel_available(), "zonocomb/convex/backends/_region_kernel.c is not built: run pip install -e ."


def test_old_name_of_the_tight_set_tolerance_warns():
    import zonocomb.convex.region as region
    with pytest.warns(DeprecationWarning, match="TIGHT_SET_RTOL"):
        assert region.TIGHT_RTOL == region.TIGHT_SET_RTOL


def test_documented_hooks_data_solver_kernel():
    # RegionProgram.data is the backends' float data of the program, .solver the backend object,
    # .kernel the fast backend's compiled kernel (None for the l1 LP and the reference backend).
    from zonocomb.convex.backends.kernel import RegionKernel
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0.0, 1.0, 0.0, 1.0])
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic", fit_bias=False)
    assert np.array_equal(prog.data.Xbar, ds.generators_float) and np.array_equal(prog.data.y, ds.y)
    assert (prog.data.loss, prog.data.fit_bias, prog.data.m) == ("logistic", False, 2)
    assert isinstance(prog.kernel, RegionKernel) and prog.solver.name == "fast"
    assert RegionProgram(ds, [1.0], loss="l1").kernel is None
    ref = RegionProgram(ds, [1.0], backend="reference")
    assert ref.kernel is None and ref.solver.name == "cvxpy"
    calls = []
    solve = prog.kernel.solve
    prog.kernel.solve = lambda *a, **k: calls.append(1) or solve(*a, **k)   # replacing a method reaches the solves
    prog.solve([[0, 0, 1, 1], [1, 1, 0, 0]])
    assert calls


def test_the_repr_names_the_programs_sizes_loss_and_backend():
    ds = Dataset([[0, 1], [1, 0], [2, 3], [1, 1]], y=[1, 0, 1, 0])
    assert repr(RegionProgram(ds, [1.0, -1.0, 1.0], loss="logistic", alpha=0.25)) == \
        "RegionProgram(N=4, n=3, m=3, loss='logistic', fit_bias=True, alpha=0.25, backend='fast')"
    assert repr(RegionProgram(ds, [1.0], loss="l1", fit_bias=False, backend="cvxpy")) == \
        "RegionProgram(N=4, n=3, m=1, loss='l1', fit_bias=False, alpha=0, backend='cvxpy')"
