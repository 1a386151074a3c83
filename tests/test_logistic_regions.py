"""Logistic region programs (paper eq. 3 with the loss of appendix H.2.2) near separability.

Regression tests for the defects that made the image experiments (table A3) fall back to the
reference solvers, fail in Clarabel, or stall:

* the recession LP's answer was rejected when HiGHS returned a unit of norm ~1e-13 violating its
  sign constraints by the same amount (noise, checked relative to its own norm);
* the attained part F_I of an unattained region was abandoned when its minimiser has a large
  margin (> 40) on a kept example, a legitimate optimum that the runaway heuristic mistook for
  a recession;
* the current vertex's unattained answer was evicted from the warm-start cache by its own
  neighbours' answers (first in, first out), so later neighbours started from the far point
  θ_I + τθ* and hit the iteration cap;
* a warm start with a much higher objective than W = 0 made the active-set method crawl back
  at ``MAX_LOGIT_STEP`` per step.

Independent evidence: the separated set I from an exact rational LP (cddlib), the infimum
min F_I from cvxpy + Clarabel on the kept examples, a closed-form one-dimensional logistic
regression (BFGS), and direct evaluation of the network.
"""
from __future__ import annotations

import warnings
from fractions import Fraction

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import minimize

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends import recession
from zonocomb.convex.backends.kernel import KernelFailed, RegionKernel, Runaway
from zonocomb.convex.backends.fast import FastBackend
from zonocomb.exact import solve_lp


# ------------------------------------------------------------------------- independent helpers
def exact_separated_set(ds, A, v, fit_bias=True):
    """The largest set I of examples a recession direction separates, by an exact LP (cddlib):
    maximise Σ t_i over θ ∈ K, 0 ≤ t ≤ 1, σ_i (Jθ)_i ≥ t_i, in rationals (t = 1_I at every optimum);
    θ = (W, c), or W alone (c's column zero) without ``fit_bias``."""
    X = ds.generators_exact
    N, n, m = len(X), len(X[0]), A.shape[0]
    nw = m * n
    nv = nw + 1 + N
    sigma = [1 if yi == 1 else -1 for yi in ds.y]
    rows = []

    def row(b=0):
        return [Fraction(b)] + [Fraction(0)] * nv

    for i in range(N):
        t = 1 + nw + 1 + i
        lo, hi, sep = row(), row(1), row()
        lo[t], hi[t], sep[t] = Fraction(1), Fraction(-1), Fraction(-1)
        sep[1 + nw] = Fraction(sigma[i] if fit_bias else 0)
        for u in range(m):
            s = 1 if A[u, i] else -1
            cone = row()
            for j in range(n):
                cone[1 + u * n + j] = s * X[i][j]
                if A[u, i]:
                    sep[1 + u * n + j] += sigma[i] * Fraction(v[u]) * X[i][j]
            rows.append(cone)
        rows += [lo, hi, sep]
    res = solve_lp(rows, [Fraction(0)] * (1 + nw + 1) + [Fraction(1)] * N, maximize=True)
    assert res.status == "optimal"
    t = res.x[nw + 1:]
    assert all(ti in (0, 1) for ti in t)
    return np.array([ti == 1 for ti in t])


def min_attained_part(ds, A, v, keep):
    """min over the region of (1/N) Σ_{i kept} ℓ(ŷ_i, y_i), by cvxpy + Clarabel."""
    X = ds.generators_float
    N, n, m = X.shape[0], X.shape[1], A.shape[0]
    W, c = cp.Variable((m, n)), cp.Variable()
    pre = X @ W.T
    yhat = cp.sum(cp.multiply((A * np.asarray(v)[:, None]).T, pre), axis=1) + c
    terms = cp.multiply(keep.astype(float), cp.logistic(yhat) - cp.multiply(ds.y, yhat))
    prob = cp.Problem(cp.Minimize(cp.sum(terms) / N), [cp.multiply(np.where(A, 1.0, -1.0).T, pre) >= 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)            # "may be inaccurate": status checked
        prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert prob.status in ("optimal", "optimal_inaccurate")      # (inaccurate: at these tolerances)
    return prob.value


def network_loss(ds, v, sol):
    yhat = np.maximum(ds.generators_float @ sol.W.T, 0.0) @ np.asarray(v) + sol.c
    return float(np.mean(np.logaddexp(0.0, yhat) - ds.y * yhat))


def nearly_separable(seed, N=20, d=2, flips=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    y[:flips] = 1.0 - y[:flips]
    return Dataset(X, y=y), rng


def solve_without_fallback(prog, A, warm_start=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)            # a fallback warns: fail instead
        return prog.solve(A, warm_start=warm_start)


# ------------------------------------------------------------------------------ the answers
@pytest.mark.parametrize("seed", [1, 2])
def test_losses_equal_the_exact_infimum_on_nearly_separable_data(seed):
    # Every answer's loss is the infimum min F_I (I from the exact LP, F_I by Clarabel); an
    # answer is marked "optimal_unattained" exactly when its region has I ≠ ∅, and then gives I
    # margin ≥ 20.
    ds, rng = nearly_separable(seed)
    v = [1.0, -1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    statuses = set()
    for _ in range(20):
        A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
        sol = solve_without_fallback(prog, A)
        I = exact_separated_set(ds, A, v)
        infimum = min_attained_part(ds, A, v, ~I)
        assert infimum - 1e-9 <= sol.loss <= infimum + 1e-7, (sol.status, I.sum())
        assert abs(sol.loss - network_loss(ds, v, sol)) <= 1e-12
        assert (sol.status == "optimal_unattained") == I.any(), (sol.status, I.sum())
        if sol.status == "optimal_unattained":
            yhat = (A * np.asarray(v)[:, None] * (sol.W @ ds.generators_float.T)).sum(axis=0) + sol.c
            assert np.all((2 * ds.y - 1)[I] * yhat[I] >= 20.0)
        else:
            assert sol.status == "optimal"
        statuses.add(sol.status)
    assert statuses == {"optimal", "optimal_unattained"}           # both kinds were exercised


@pytest.mark.parametrize("tau", [0.5, 2.0, 50.0])
def test_the_status_is_the_regions_whatever_the_warm_start(tau):
    # Attained or not is a property of the region (I ≠ ∅ by the exact LP), not of the start: from
    # θ = τθ* along a float recession direction θ* (or from the cold start's answer when I = ∅) the
    # answer is "optimal_unattained" exactly when I ≠ ∅. Far out (τ = 50, margins about 25 on I)
    # the KKT certificate alone cannot tell (I's gradient weights are about e^−25); the attainment
    # check (raised weights) must.
    ds, rng = nearly_separable(1)
    v = [1.0, -1.0]
    seen = set()
    for _ in range(40):
        A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
        I = exact_separated_set(ds, A, v)
        prog = RegionProgram(ds, v, loss="logistic")
        if I.any():
            rec = recession.RecessionLP(prog.data).solve(A)
            start = (tau * np.asarray(rec.W), tau * rec.c)
        else:
            cold = solve_without_fallback(prog, A)
            start = (tau * np.asarray(cold.W), tau * cold.c)
        sol = solve_without_fallback(RegionProgram(ds, v, loss="logistic"), A, warm_start=start)
        assert (sol.status == "optimal_unattained") == I.any(), (sol.status, I.sum())
        seen.add(bool(I.any()))
    assert seen == {True, False}


def test_attained_part_with_a_large_margin_is_not_a_runaway():
    # Unit 2 alone separates x = -5 (I = {x = -5}); on the rest F_I is a one-dimensional logistic
    # regression (the cone constraints of unit 1 are slack once c absorbs its bias) whose optimum
    # puts x = 100 at a logit of about 1089, far past the runaway level 40.
    x = np.array([-5.0, 0.0, 0.1, 0.2, 0.3, 0.4, 100.0])
    y = np.array([1, 0, 1, 0, 1, 1, 1], dtype=float)
    ds = Dataset(x[:, None], y=y)
    A = np.array([[1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0, 0]], dtype=bool)
    v = [1.0, 1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    I = exact_separated_set(ds, A, v)
    assert I.tolist() == [True] + [False] * 6
    keep = ~I
    with pytest.raises(Runaway):                                  # what the old code acted on
        prog.kernel.solve(A, keep=keep, detect_recession=True)

    def f_rest(p):
        z = p[0] * x[keep] + p[1]
        return float(np.sum(np.logaddexp(0.0, z) - y[keep] * z)) / x.size

    infimum = minimize(f_rest, [1.0, 0.0], method="BFGS", options=dict(gtol=1e-12)).fun
    sol = solve_without_fallback(prog, A)
    assert sol.status == "optimal_unattained"
    assert infimum - 1e-12 <= sol.loss <= infimum + FastBackend.UNATTAINED_GAP
    assert abs(sol.loss - network_loss(ds, v, sol)) <= 1e-12


# --------------------------------------------------------------------------- the recession LP
def test_recession_lp_answer_with_rounding_level_units_is_cleaned():
    # HiGHS may return, for a unit that takes no part in the direction, a vector of norm ~1e-13
    # violating its sign constraints by the same amount; that noise is dropped (and a unit's
    # slight violation projected away) instead of rejecting the direction.
    ds, rng = nearly_separable(1)
    v = [1.0, -1.0, 1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    lp = recession.RecessionLP(prog.data)                         # the fast backend's recession LP
    found = 0
    for _ in range(20):
        A = (rng.standard_normal((3, ds.n)) @ ds.generators_float.T) > 0
        I = exact_separated_set(ds, A, v)
        if not I.any():
            continue
        clean = lp.solve(A)
        x = np.concatenate([clean.W.ravel(), [clean.c] * lp.nc, clean.separated.astype(float)])
        w = x[:lp.nw].reshape(3, ds.n)                            # a view: the noise goes into x
        dead = int(np.argmin(np.linalg.norm(w, axis=1)))
        bad = -np.where(A[dead], 1.0, -1.0) @ ds.generators_float   # violates unit dead's cone
        w[dead] += 1e-13 * bad / np.linalg.norm(bad)
        big = int(np.argmax(np.linalg.norm(w, axis=1)))
        w[big] -= 1e-11 * np.linalg.norm(w[big]) * np.where(A[big], 1.0, -1.0) @ ds.generators_float
        rec = lp.validate(A, x)                                   # as solve() checks every LP answer
        assert np.array_equal(rec.separated, I) and np.array_equal(clean.separated, I)
        slack = np.where(A, 1.0, -1.0) * (rec.W @ ds.generators_float.T)
        assert np.all(slack >= -1e-12 * np.linalg.norm(rec.W, axis=1)[:, None]
                      * np.linalg.norm(ds.generators_float, axis=1)[None, :])
        assert np.all(rec.margins[I] >= lp.MARGIN_RTOL)
        found += 1
    assert found >= 3


@pytest.mark.parametrize("fit_bias", [True, False])
def test_warm_started_lp_equals_cold_and_exact_along_a_walk(fit_bias):
    # The kept HiGHS model is updated pattern by pattern and warm-started from the last basis;
    # along a walk of neighbouring patterns (one flipped entry per step, as mGLS moves), with a
    # far jump (a fresh model) in the middle, its separated set equals a cold solve's (a new
    # RecessionLP, scipy's linprog path) and the exact set from cddlib's rational LP.
    from zonocomb.geometry.walks import facet_walk
    ds, rng = nearly_separable(8, N=24, flips=1)
    v = [1.0, -1.0, 1.0]
    data = RegionProgram(ds, v, loss="logistic", fit_bias=fit_bias).data
    warm = recession.RecessionLP(data)
    walk = facet_walk(ds.generators_float, 3, 24, rng)
    jump = facet_walk(ds.generators_float, 3, 8, rng)
    unequal, sizes = 0, set()
    for k, A in enumerate(walk + jump):
        rec = warm.solve(A)
        sizes.add(int(rec.separated.sum()))
        cold = recession.RecessionLP(data).solve(A, warm=False)  # linprog's dual simplex
        assert np.array_equal(rec.separated, cold.separated)
        if fit_bias:
            assert np.array_equal(rec.separated, exact_separated_set(ds, A, v))
        if k and not np.array_equal(A, (walk + jump)[k - 1]):
            unequal += 1
    assert warm.kept_model is not None and unequal >= 24
    assert 0 in sizes and len(sizes) >= 2                         # both attained and unattained regions


def test_reused_direction_is_validated_for_the_new_pattern():
    # A direction stays a recession direction for a pattern that flips examples on its units'
    # hyperplanes (or of a unit with w* = 0), and is refused when it leaves the new cone.
    ds, rng = nearly_separable(2)
    v = [1.0, -1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    lp = recession.RecessionLP(prog.data)                         # the fast backend's recession LP
    for _ in range(30):
        A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
        I = exact_separated_set(ds, A, v)
        if I.any() and not I.all():
            break
    rec = lp.solve(A)
    same = lp.reuse(A, rec.W, rec.c)
    assert same is not None and np.array_equal(same.separated, rec.separated)
    wn = np.linalg.norm(rec.W, axis=1)
    for u in range(2):
        B = A.copy()
        pre = rec.W[u] @ ds.generators_float.T
        i = int(np.argmax(np.abs(pre)))                           # a strictly satisfied constraint
        B[u, i] = not B[u, i]
        other = lp.reuse(B, rec.W, rec.c)
        if wn[u] > 0 and abs(pre[i]) > 1e-6 * wn[u]:
            assert other is None                                   # θ* leaves unit u's new cone
        elif other is not None:
            assert np.array_equal(other.separated, rec.separated)


# ------------------------------------------------------------------------------- warm starts
def test_current_unattained_answer_stays_cached_while_its_neighbours_are_solved(monkeypatch):
    # mGLS warm-starts every neighbour from the current vertex's answer; with a cache evicting
    # the oldest entry, its own neighbours' answers pushed it out and later neighbours started
    # from the far point θ_I + τθ*. Least-recently-used eviction keeps it.
    monkeypatch.setattr(FastBackend, "UNATTAINED_CACHE", 2)
    x = np.array([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0])
    ds = Dataset(x[:, None], y=(x > 0).astype(float))              # separable: infimum 0
    prog = RegionProgram(ds, [1.0], loss="logistic")
    current = solve_without_fallback(prog, (x > 0)[None, :])
    assert current.status == "optimal_unattained"
    for cut in (0.5, 1.5, 2.5, -0.5, -1.5):
        nb = solve_without_fallback(prog, (x > cut)[None, :], warm_start=current)
        assert nb.status in ("optimal", "optimal_unattained")
        assert abs(nb.loss - network_loss(ds, [1.0], nb)) <= 1e-12
        assert prog.solver.remembers((current.W, current.c))


def test_far_warm_start_is_replaced_by_the_cold_start():
    # A warm start far out along a direction (|ŷ| ~ 1e5) would take ~|ŷ|/MAX_LOGIT_STEP
    # active-set steps, past the iteration cap; the better (lower objective) cold start is used.
    ds, rng = nearly_separable(3, N=30, flips=8)
    v = [1.0, -1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    while True:
        A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
        cold = solve_without_fallback(prog, A)
        if cold.status == "optimal" and not exact_separated_set(ds, A, v).any():
            break
    far = (1e5 * np.where(np.abs(cold.W).sum(axis=1, keepdims=True) > 0, cold.W, 0.0), -3e4)
    ybar = float(np.mean(ds.y))
    cold_start = (np.zeros_like(cold.W), float(np.log(ybar / (1.0 - ybar))))   # the kernel's: W = 0, best c
    assert prog.objective(A, *far) > prog.objective(A, *cold_start)
    warm = solve_without_fallback(prog, A, warm_start=far)
    assert warm.status == "optimal"
    assert abs(warm.loss - cold.loss) <= 1e-9 * (1 + cold.loss)
    assert warm.loss <= min_attained_part(ds, A, v, np.ones(ds.N, dtype=bool)) + 1e-7


def test_iteration_cap_is_retried_from_the_other_start(monkeypatch):
    # When the kernel stops at its cap from one start, the other start is tried before the
    # reference solver: no fallback, and the loss agrees with Clarabel.
    ds, rng = nearly_separable(4, N=30, flips=8)
    v = [1.0, -1.0]
    prog = RegionProgram(ds, v, loss="logistic")
    A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
    first = solve_without_fallback(prog, A)
    calls = []
    real = RegionKernel.solve

    def capped(self, pattern, W0=None, c0=None, keep=None, detect_recession=False):
        calls.append(W0 is None)
        if W0 is not None:                                        # the warm start "stalls"
            raise KernelFailed("cap")
        return real(self, pattern, W0, c0, keep=keep, detect_recession=detect_recession)

    monkeypatch.setattr(RegionKernel, "solve", capped)
    sol = solve_without_fallback(prog, A, warm_start=first)
    assert False in calls and True in calls                       # warm start capped, then cold
    assert sol.status == first.status
    assert abs(sol.loss - first.loss) <= 1e-9 * (1 + first.loss)
    I = exact_separated_set(ds, A, v)
    infimum = min_attained_part(ds, A, v, ~I)
    assert infimum - 1e-9 <= sol.loss <= infimum + 1e-7


def test_failure_of_the_reference_too_is_a_clear_error(monkeypatch):
    # The reference stays the last resort; when it fails as well, the error names why the fast
    # backend gave up and what every reference solver reported.
    from zonocomb.errors import SolverError
    ds, rng = nearly_separable(5)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
    monkeypatch.setattr(FastBackend, "KKT_RTOL", -1.0)             # no answer passes the check

    def broken(self, *args, **kwargs):
        raise cp.error.SolverError("solver crashed")

    monkeypatch.setattr(cp.Problem, "solve", broken)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(SolverError, match=r"could not certify its answer \(.*KKT.*\), and every "
                                              r"reference solver failed .*ECOS\(abstol.*CLARABEL raised"):
            prog.solve(A)


# ------------------------------------------------------------------- a real image task (table A3)
def _mnist_available():
    from zonocomb.datasets import images
    try:
        images.locate_files("mnist")
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _mnist_available(), reason="MNIST training files not found")
def test_mgls_on_mnist_without_fallbacks():
    # Table A3's MNIST 4/9 run (d = 8, N = 350, m = 8, seed 1) visits regions whose infimum is not
    # attained (a few dozen); it fell back to the reference four times (runaways on the attained
    # part, recession LPs rejected). Now every region is certified by the fast backend, and the
    # reported loss is the returned network's.
    from zonocomb.experiments.runner import build_dataset
    from zonocomb.experiments.tasks import build_tasks
    from zonocomb.search import mgls
    task = next(t for t in build_tasks("table-a3", quick=True) if t.method == "mgls"
                and t.cfg["dataset"] == "mnist" and t.cfg["m"] == 8 and t.seed == 1)
    ds = build_dataset(task)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = mgls(ds, 8, max_steps=task.cfg["max_steps"], loss="logistic", random_state=task.random_state)
    losses = [row["loss"] for row in res.trace]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    yhat = res.predict(ds.X_float)
    assert abs(res.loss - float(np.mean(np.logaddexp(0.0, yhat) - ds.y * yhat))) <= 1e-12


def test_the_kept_highs_model_prints_no_banner():
    """HiGHS prints its banner once per process, at the first construction: checked in a fresh one."""
    import subprocess
    import sys
    code = ("import numpy as np\nfrom zonocomb import Dataset\nfrom zonocomb.convex import RegionProgram\n"
            "from zonocomb.convex.backends.recession import RecessionLP\n"
            "x = np.array([-2.0, -1.0, 1.0, 2.0])\nds = Dataset(x[:, None], y=(x > 0).astype(float))\n"
            "lp = RecessionLP(RegionProgram(ds, [1.0], loss='logistic').data)\n"
            "assert lp.solve((x > 0)[None, :]).separated.all() and lp.kept_model is not None\n"
            "print('done')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "done\n"
