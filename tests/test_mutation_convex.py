"""Contracts of zonocomb/convex that seeded samples of its mutants (docs/testing.md, the samples
of 100 with seeds 16 and 17) showed unchecked: the tight set's per-example tolerance, the exact
power-of-two rescaling of the labels (and none of the columns under weight decay), the
exact power-of-two rescaling of the output weights (not under weight decay), the certificate of
the fast backend's answers at small output weights and of units near zero, the
iteration counts and wall times it reports, a warm start's output bias without one, the
recession LP's retries, kept model and scale invariance, the fallback of an unattained answer
beyond its certified gap, the statuses of star centres, and what the warnings say and name; from
the seed-20 sample: the reuse of a neighbour's recession direction, the certificate of separable
and unattained answers, the recession LP without an output bias, the kernel's size limit and
default threads, pickled problems and the objective's default c; from the seed-21 sample: the
iterations every path reports, where an unattained answer lies and where the kernel restarts
from it, the drift relative to the direction's scale, the supports of units at zero, solve's wall
time and vertex check, solve_region's weight decay and the sweep's default; from the seed-22
sample: the fallback message next to an unattained region, the recession LP's bounds and its
error naming the warm model's status, the certificate's tolerance for negative multipliers
relative to the gradient scale, realising_weights' per-example tolerance and the stars' float
losses; from the seed-23 sample: which start the kernel runs first (F and F_I), the closed
rescaling band, float labels, exact warm starts and the solves a bounded sweep counts; from the
seed-24 sample: a given support of exactly n constraints and the lower bounds of screened and
abandoned neighbours; and the paths no test reached before (coverage of the suite)."""
from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends.fast import FastBackend
from zonocomb.convex.backends.kernel import RegionKernel, Runaway, Separable
from zonocomb.convex.backends.recession import RecessionLP, RecessionLPFailed
from zonocomb.convex.kkt import KKTChecker
from zonocomb.convex.region import TIGHT_SET_RTOL


def _nearly_separable(seed, N=20):
    """Two features, labels of a line with three flipped: some regions attain their infimum,
    some do not (a recession direction separates part of the examples)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    y[:3] = 1.0 - y[:3]
    return Dataset(X, y=y), rng


def _vertex_with_moves(alpha=0.0):
    """The program of :func:`_nearly_separable` (seed 5, v = (1, −1)), a random vertex of Z^2 and
    its neighbours' moves."""
    from zonocomb.geometry.power import ZonotopePower
    ds, rng = _nearly_separable(5)
    prog = RegionProgram(ds, [1.0, -1.0], alpha=alpha)
    power = ZonotopePower(ds.zonotope(), 2)
    A = power.random_vertex(rng)
    return prog, A, power.neighbor_moves(A)


def _patterns(ds, m, rng, count):
    """``count`` activation patterns of random weights (vertices of Z^m)."""
    return [(rng.standard_normal((m, ds.n)) @ ds.generators_float.T) > 0 for _ in range(count)]


@dataclass
class _KernelRun:
    kept: bool                    # ``keep`` was given (a run on F_I)
    W0: np.ndarray | None         # its start (None: the cold start)
    c0: float | None
    n_iter: int | None = None     # None while running, and for a run that raised


def _record_kernel_runs(monkeypatch):
    """Spy on the compiled kernel's runs (RegionKernel.solve and solve_certified): the list
    returned gets a :class:`_KernelRun` per run, in call order, recorded as the run starts."""
    runs = []
    real_solve, real_certified = RegionKernel.solve, RegionKernel.solve_certified

    def start(kept, W0, c0):
        runs.append(_KernelRun(kept, None if W0 is None else np.array(W0), c0))
        return runs[-1]

    def solve(self, pattern, W0=None, c0=None, keep=None, detect_recession=False):
        run = start(keep is not None, W0, c0)
        res = real_solve(self, pattern, W0, c0, keep=keep, detect_recession=detect_recession)
        run.n_iter = res.n_iter
        return res

    def certified(self, pattern, W0=None, c0=None):
        run = start(False, W0, c0)
        res, kkt = real_certified(self, pattern, W0, c0)
        run.n_iter = res.n_iter
        return res, kkt

    monkeypatch.setattr(RegionKernel, "solve", solve)
    monkeypatch.setattr(RegionKernel, "solve_certified", certified)
    return runs


# ------------------------------------------------------------------------------ the tight set
@pytest.mark.parametrize("offset, tight", [(1e-6, False), (1e-8, True)])
def test_tight_set_tolerance_is_per_example_relative_to_its_own_norm(offset, tight):
    """(u, i) is tight when |w_u·x̄_i| ≤ TIGHT_SET_RTOL ‖x̄_i‖ max_u' ‖w_u'‖, with the norm of
    that example, not of the whole data matrix. The fit of y = x + offset through x̄ = (x, 1) is
    exact, w = (1, offset), so example x = 0 has preactivation offset with ‖x̄_0‖ = 1: tight
    only below TIGHT_SET_RTOL = 1e-7 (‖X̄‖_F ≈ 20 here would make 1e-6 tight as well)."""
    x = np.arange(0.0, 11.0)                       # within [1/16, 16]: the solver does not rescale
    ds = Dataset(x[:, None], y=x + offset)
    sol = RegionProgram(ds, [1.0], fit_bias=False).solve(np.ones((1, 11), dtype=bool))
    np.testing.assert_allclose(sol.W, [[1.0, offset]], rtol=0.0, atol=1e-12)
    X = ds.generators_float
    expected = np.abs(sol.W @ X.T) <= TIGHT_SET_RTOL * np.linalg.norm(X, axis=1) * np.linalg.norm(sol.W, axis=1).max()
    np.testing.assert_array_equal(sol.tight, expected)
    assert sol.tight[0, 0] == tight and not sol.tight[0, 1:].any()


# ------------------------------------------------------------------------ rescaling the labels
@pytest.mark.parametrize("loss", ["mse", "l1"])
@pytest.mark.parametrize("k", [40, -40])
def test_labels_scaled_by_a_power_of_two_give_the_exactly_scaled_solution(loss, k):
    """Labels outside [1/16, 16] are divided by a power of two before the solver sees them
    (exact), so labels y · 2^k with max |y| in [1/2, 1) give the solver the very problem of y:
    W and c scaled by 2^k bit for bit, the loss by 2^2k (MSE) or 2^k (l1), the same tight set."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 2))
    y = rng.uniform(-0.75, 0.75, 12)
    y[0] = 0.75
    A = _patterns(Dataset(X, y=y), 2, rng, 1)[0]
    base = RegionProgram(Dataset(X, y=y), [1.0, -1.0], loss=loss).solve(A)
    big = RegionProgram(Dataset(X, y=y * 2.0 ** k), [1.0, -1.0], loss=loss).solve(A)
    power = 2 if loss == "mse" else 1
    np.testing.assert_array_equal(big.W, base.W * 2.0 ** k)
    assert big.c == base.c * 2.0 ** k and big.loss == base.loss * 2.0 ** (power * k)
    np.testing.assert_array_equal(big.tight, base.tight)
    assert big.n_iter == base.n_iter


# ------------------------------------------------------------------ rescaling the output weights
@pytest.mark.parametrize("loss", ["mse", "logistic", "l1"])
@pytest.mark.parametrize("k", [(-30, -30), (40, 40), (-35, 25), (0, -40)])
def test_output_weights_scaled_by_powers_of_two_give_the_exactly_scaled_solution(loss, k):
    """Output weights 2^k_u v_u with w_u 2^−k_u give the same predictions v_u (w_u·x̄_i) and the
    same activation region (paper eq. 3), so the same optimal loss. The solver rescales each
    |v_u| outside [1/16, 16] into (1/2, 1] by a power of two (exact), so v with |v_u| in (1/2, 1]
    and 2^k v are the very same program to it: row u of W scaled by 2^−k_u bit for bit, the same
    c, loss, tight set, status and iterations, and no fallback (no warning), also for logistic
    regions whose infimum is not attained."""
    ds, rng = _nearly_separable(4)
    v = np.array([1.0, -0.75])
    base = RegionProgram(ds, v, loss=loss)
    scaled = RegionProgram(ds, v * 2.0 ** np.array(k), loss=loss)
    statuses = set()
    for A in _patterns(ds, 2, rng, 4):
        a = base.solve(A)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            b = scaled.solve(A)
        np.testing.assert_array_equal(b.W, a.W * 2.0 ** -np.array(k, dtype=float)[:, None])
        assert (b.c, b.loss, b.status, b.n_iter) == (a.c, a.loss, a.status, a.n_iter)
        np.testing.assert_array_equal(b.tight, a.tight)
        statuses.add(str(a.status))
    assert statuses <= {"optimal", "optimal_unattained"}


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_warm_starts_and_sweeps_with_scaled_output_weights_are_the_exactly_scaled_ones(loss):
    """The same invariance through a warm start and a neighbour sweep (the solver's units are
    the program's with row u of W scaled): from the solution of 2^k v, a warm-started solve and
    a sweep over the vertex's neighbours give the losses, statuses and (scaled) solutions of v's,
    bit for bit."""
    from zonocomb.geometry.power import ZonotopePower
    ds, rng = _nearly_separable(5)
    k = np.array([-30.0, 20.0])
    v = np.array([1.0, -0.75])
    base, scaled = RegionProgram(ds, v, loss=loss), RegionProgram(ds, v * 2.0 ** k, loss=loss)
    power = ZonotopePower(ds.zonotope(), 2)
    A = power.random_vertex(rng)
    moves = power.neighbor_moves(A)
    a, b = base.solve(A), scaled.solve(A)
    again_a, again_b = base.solve(A, warm_start=(a.W, a.c)), scaled.solve(A, warm_start=(b.W, b.c))
    np.testing.assert_array_equal(again_b.W, again_a.W * 2.0 ** -k[:, None])
    assert (again_b.loss, again_b.n_iter) == (again_a.loss, again_a.n_iter)
    sa, sb = base.sweep(A, moves, a, solutions=True), scaled.sweep(A, moves, b, solutions=True)
    np.testing.assert_array_equal(sb.loss, sa.loss)
    assert sb.status == sa.status and sb.solutions.keys() == sa.solutions.keys() and len(moves) >= 4
    for j, sol in sb.solutions.items():
        np.testing.assert_array_equal(sol.W, sa.solutions[j].W * 2.0 ** -k[:, None])
        np.testing.assert_array_equal(sol.tight, sa.solutions[j].tight)


@pytest.mark.parametrize("loss", ["mse", "logistic", "l1"])
def test_output_weights_of_size_1e_minus_9_are_solved_to_the_certified_optimum(loss):
    """With output weights 1e-9 v the optimal loss is that of v (W scaled by 1e9 is feasible in
    the same region). The solver sees v rescaled by a power of two, so it solves without falling
    back to the reference (no warning; the reference's ECOS stops 0.06–10 % above the optimum
    there): the same loss as for v up to rounding, and for the smooth losses every answer marked
    "optimal", mapped to v's program (1e-9 W: the same predictions up to rounding), passes the
    reference KKT check of that program. (KKTChecker on the 1e-9 v data itself measures ∂F/∂c
    against the gradient scale max|v| · mean‖x̄_i‖, 1e9 times stricter there: rounding level.)"""
    ds, rng = _nearly_separable(4)
    v = np.array([1.0, -0.6])
    base, small = RegionProgram(ds, v, loss=loss), RegionProgram(ds, 1e-9 * v, loss=loss)
    checker = None if loss == "l1" else KKTChecker(base.data)
    certified = 0
    for A in _patterns(ds, 2, rng, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            sol = small.solve(A)
        expected = base.solve(A)
        assert sol.status == expected.status
        assert abs(sol.loss - expected.loss) <= 1e-12 * (1.0 + expected.loss)
        if checker is not None and sol.status == "optimal":
            assert checker.residuals(A, 1e-9 * sol.W, sol.c).ok(FastBackend.KKT_RTOL)
            certified += 1
    assert loss == "l1" or certified >= 2


def test_weight_decay_with_small_output_weights_is_the_programs_minimum():
    """Under weight decay the program of 2^k v is not that of v (α ‖W‖² changes with W's scale),
    so the output weights are not rescaled for the solver: with v = ±1/64 and α = 1e-5 the
    answer is the minimum of the mean loss + α ‖W‖² over the region, by cvxpy + Clarabel."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20, 2))
    ds = Dataset(X, y=X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(20))
    A = _patterns(ds, 2, rng, 1)[0]
    v = np.array([1.0, -1.0]) / 64.0
    sol = RegionProgram(ds, v, alpha=1e-5).solve(A)
    assert sol.status == "optimal"
    assert abs(sol.loss - _decayed_minimum(ds, A, v, 1e-5)) <= 1e-7


def _decayed_minimum(ds, A, v, alpha):
    """The minimum of eq. (3)'s MSE + α ‖W‖² over the region of A, by cvxpy + Clarabel on the
    program's own data."""
    import cvxpy as cp
    Xbar = ds.generators_float
    W, c = cp.Variable((len(v), Xbar.shape[1])), cp.Variable()
    pre = Xbar @ W.T
    yhat = cp.sum(cp.multiply((A * v[:, None]).T, pre), axis=1) + c
    prob = cp.Problem(cp.Minimize(cp.sum_squares(yhat - ds.y) / len(ds.y) + alpha * cp.sum_squares(W)),
                      [cp.multiply(np.where(A, 1.0, -1.0).T, pre) >= 0])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return prob.value


# ----------------------------------------------------------------- the fast backend's answers
@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_answers_marked_optimal_pass_the_reference_kkt_check_at_small_output_weights(loss):
    """The fast backend marks an answer "optimal" only when it is KKT-certified at KKT_RTOL,
    relative to the gradient scale max|v| mean‖x̄_i‖ (2 rms(y) for MSE), however small v is. Given
    output weights 1e-9 itself (RegionProgram would rescale them: here the backend is built on
    the program's unscaled data) the kernel cannot reach that tolerance: the answer must then
    come from the fallback (status "optimal_fallback"), not be passed off as certified. The
    reference KKTChecker (paper eq. 3's KKT conditions) checks every "optimal" answer."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((15, 2))
    y = rng.standard_normal(15)
    ds = Dataset(X, y=y if loss == "mse" else (y > 0).astype(float))
    certified = 0
    for scale in (1e-3, 1e-9):
        data = RegionProgram(ds, [scale, -scale], loss=loss).data
        backend, checker = FastBackend(data), KKTChecker(data)
        for A in _patterns(ds, 2, rng, 3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)   # the fallbacks warn
                res = backend.solve(A)
            if res.status == "optimal":
                assert checker.residuals(A, res.W, res.c).ok(FastBackend.KKT_RTOL), (scale, res.n_iter)
                certified += 1
    assert certified >= 2                                        # the small scale 1e-3 is certified


def test_without_an_output_bias_a_warm_starts_c_is_ignored():
    """With fit_bias=False the output bias is fixed at 0 (paper section 2): a warm start (W, c)
    is the point (W, 0) whatever its c, so the solve from (W*, ±50) is the solve from (W*, 0),
    the same answer after the same number of iterations."""
    ds, rng = _nearly_separable(7)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic", fit_bias=False)
    checked = 0
    for A in _patterns(ds, 2, rng, 8):
        sol = prog.solve(A)
        if sol.status != "optimal":
            continue
        zero = prog.solve(A, warm_start=(sol.W, 0.0))
        for c in (50.0, -50.0):
            other = prog.solve(A, warm_start=(sol.W, c))
            assert other.c == 0.0 and other.n_iter == zero.n_iter
            np.testing.assert_array_equal(other.W, zero.W)
        checked += 1
    assert checked >= 2


def test_an_unattained_answer_reports_the_iterations_of_its_attained_part(monkeypatch):
    """For a logistic region whose infimum is not attained (recession directions separate a
    set I, not every example), the kernel minimises the attained part F_I; the answer's n_iter
    is the iteration count of that run (RegionSolution.n_iter: what the backend reported)."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    runs = _record_kernel_runs(monkeypatch)
    seen = 0
    for A in _patterns(ds, 2, rng, 20):
        runs.clear()
        sol = prog.solve(A)
        if sol.status == "optimal_unattained" and runs and runs[-1].kept:
            assert sol.n_iter == runs[-1].n_iter > 0
            seen += 1
    assert seen >= 2


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_a_fallback_answer_reports_the_reference_solvers_iterations(monkeypatch, loss):
    """When no kernel answer passes the certificate, the pattern is solved by the reference
    backend (status "optimal_fallback"), and the answer carries that solver's iteration count."""
    ds, rng = _nearly_separable(4)
    A = _patterns(ds, 2, rng, 1)[0]
    reference = RegionProgram(ds, [1.0, -1.0], loss=loss, backend="cvxpy").solve(A)
    monkeypatch.setattr(FastBackend, "KKT_RTOL", -1.0)                  # no answer passes
    with pytest.warns(RuntimeWarning, match="could not certify"):
        sol = RegionProgram(ds, [1.0, -1.0], loss=loss).solve(A)
    assert sol.status == "optimal_fallback"
    assert sol.n_iter == reference.n_iter > 0


# ------------------------------------------------------------------------- the recession LP
def _recession_lp(ds, v):
    return RecessionLP(RegionProgram(ds, v, loss="logistic").data)


def test_recession_lp_solves_cold_after_a_warm_answer_fails_and_names_every_failed_attempt(monkeypatch):
    """RecessionLP.solve: a warm-started answer that fails the validation is not returned; the
    LP is solved cold (HIGHS_ATTEMPTS) and gives the same separated set. When every attempt
    fails, RecessionLPFailed names each of them."""
    ds, rng = _nearly_separable(1)
    lp = _recession_lp(ds, [1.0, -1.0])
    honest = {}
    for A in _patterns(ds, 2, rng, 10):
        I = _recession_lp(ds, [1.0, -1.0]).solve(A).separated
        if I.any():
            honest = dict(A=A, I=I)
            break
    assert honest
    real, calls = RecessionLP.validate, []

    def first_fails(self, pattern, x):
        calls.append(len(calls))
        if len(calls) == 1:
            raise RecessionLPFailed("planted")
        return real(self, pattern, x)

    monkeypatch.setattr(RecessionLP, "validate", first_fails)
    got = lp.solve(honest["A"])
    assert len(calls) == 2 and np.array_equal(got.separated, honest["I"])

    def always_fails(self, pattern, x):
        raise RecessionLPFailed("planted")

    monkeypatch.setattr(RecessionLP, "validate", always_fails)
    with pytest.raises(RecessionLPFailed, match=r"warm-started primal simplex: planted; highs-ds: planted; "
                                                r"highs-ipm: planted; highs-ds with Dantzig pricing: planted"):
        lp.solve(honest["A"])


@pytest.mark.parametrize("scale", [1e-6, 1e12])
def test_separated_set_does_not_depend_on_the_scale_of_the_output_weights(scale):
    """Output weights s v (s > 0) have the recession directions of v with W divided by s, so the
    set I of separated examples is the same. Units the LP leaves at rounding level are dropped
    relative to the largest unit, so a direction of size 1e-12 (s = 1e12) is kept."""
    ds, _ = _nearly_separable(1)
    base, scaled = _recession_lp(ds, [1.0, -1.0]), _recession_lp(ds, [scale, -scale])
    sizes = set()
    for A in _patterns(ds, 2, np.random.default_rng(2), 10):
        I = base.solve(A).separated
        np.testing.assert_array_equal(scaled.solve(A).separated, I)
        sizes.add(int(I.sum()))
    assert 0 in sizes and len(sizes) >= 3                       # attained and unattained regions


# ------------------------------------------------------------------------------ the warnings
def test_the_no_point_warning_of_the_ecos_defaults_backend_names_the_caller(monkeypatch):
    """When neither ECOS nor Clarabel returns a point, the "ecos-defaults" backend warns and
    solves the pattern with the fast backend; the warning is attributed to the line calling
    RegionProgram.solve (not checkable under mutmut, whose trampolines add frames:
    docs/testing.md)."""
    import cvxpy as cp
    ds, rng = _nearly_separable(2)
    A = _patterns(ds, 2, rng, 1)[0]
    prog = RegionProgram(ds, [1.0, -1.0], backend="ecos-defaults")

    def no_point(self, *args, **kwargs):
        raise cp.error.SolverError("planted")

    monkeypatch.setattr(cp.Problem, "solve", no_point)
    with pytest.warns(RuntimeWarning, match="no point") as record:
        sol = prog.solve(A)
    assert sol.status == "optimal_fallback"
    assert record[0].filename == __file__ or "MUTANT_UNDER_TEST" in os.environ


# ------------------------------------------------------------ added for the sample of seed 17
def test_a_fallback_warning_says_what_happens_next(monkeypatch):
    """The fast backend's fallback warning names the reason and that the pattern is re-solved
    with the cvxpy reference backend."""
    ds, rng = _nearly_separable(4)
    A = _patterns(ds, 2, rng, 1)[0]
    monkeypatch.setattr(FastBackend, "KKT_RTOL", -1.0)
    with pytest.warns(RuntimeWarning, match=r"^fast region solver could not certify its answer \(.*KKT.*\); "
                                            r"re-solving this pattern with the cvxpy reference backend$"):
        RegionProgram(ds, [1.0, -1.0]).solve(A)


def test_an_unattained_answer_beyond_the_certified_gap_is_handed_to_the_reference(monkeypatch):
    """The loss of the point θ_I + τθ* is certified against the lower bound min F_I of the
    infimum: should it exceed that bound by more than UNATTAINED_GAP plus the rounding bound of
    the two losses (here a negative allowance: always), the pattern is solved by the reference
    backend (status "optimal_fallback", a warning naming the gap), whose loss is at most a few
    ECOS tolerances above the infimum."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    unattained = [(A, sol) for A in _patterns(ds, 2, rng, 20) for sol in [prog.solve(A)]
                  if sol.status == "optimal_unattained"]
    assert len(unattained) >= 2
    monkeypatch.setattr(FastBackend, "UNATTAINED_GAP", -1.0)
    fresh = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    for A, sol in unattained:
        with pytest.warns(RuntimeWarning, match="above the lower bound of the infimum"):
            got = fresh.solve(A)
        assert got.status == "optimal_fallback"
        assert sol.loss - 1e-12 <= got.loss <= sol.loss + 1e-4


def test_a_separated_set_is_read_only():
    """RecessionLP.solve's SeparatedSet (a frozen record) holds read-only arrays: a caller
    cannot change the set I, the direction or its margins."""
    ds, rng = _nearly_separable(1)
    lp = _recession_lp(ds, [1.0, -1.0])
    rec = lp.solve(_patterns(ds, 2, rng, 1)[0])
    for array in (rec.separated, rec.W, rec.margins):
        with pytest.raises(ValueError):
            array[0] = 0


def _dense_lp(h):
    """The LP of a highspy model as dense arrays: (A, column bounds, row bounds)."""
    lp = h.getLp()
    A = np.zeros((lp.num_row_, lp.num_col_))
    start, index, value = (np.asarray(a) for a in (lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_))
    for j in range(lp.num_col_):
        A[index[start[j]:start[j + 1]], j] = value[start[j]:start[j + 1]]
    return A, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_), np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_the_kept_lp_model_is_the_lp_of_each_pattern_of_a_walk(monkeypatch, fit_bias):
    """Neighbouring patterns (one entry flipped) update the kept HiGHS model in place (the
    bounds of the flipped sign row, the coefficients of its separation row, the columns of a
    unit that loses or regains its last active example) instead of building it again: after
    each update it is the LP of the new pattern, entry for entry the model built for that
    pattern from scratch, and its answer is valid (no cold solve) with the cold solve's set I."""
    from zonocomb.convex.backends import recession
    from zonocomb.geometry.walks import facet_walk
    ds, rng = _nearly_separable(8, N=24)
    data = RegionProgram(ds, [1.0, -1.0], loss="logistic", fit_bias=fit_bias).data
    walk = facet_walk(ds.generators_float, 2, 16, rng)
    last = walk[-1]
    lone = last.copy()                                   # unit 1 with a single active example ...
    lone[1] = False
    lone[1, int(np.flatnonzero(last[1])[0]) if last[1].any() else 0] = True
    dead = lone.copy()
    dead[1] = False                                      # ... which it loses, and regains
    walk += [lone, dead, lone]
    fresh = []
    for A in walk:
        built = RecessionLP(data)
        built.solve(A)                                   # a model built for A
        fresh.append((_dense_lp(built.kept_model), built.solve(A, warm=False).separated))

    def no_cold_solve(*args, **kwargs):
        raise AssertionError("a cold solve")

    warm = RecessionLP(data)
    monkeypatch.setattr(recession, "linprog", no_cold_solve)
    kept = None
    for A, (model, I) in zip(walk, fresh):
        got = warm.solve(A)
        for a, b in zip(_dense_lp(warm.kept_model), model):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(got.separated, I)
        if A is not lone:                                # (one step of the walk: not rebuilt)
            assert kept is None or warm.kept_model is kept
        kept = warm.kept_model
    assert len({int(I.sum()) for _, I in fresh}) >= 2


@pytest.mark.parametrize("alpha", [1e-3, 0.5])
def test_weight_decay_with_badly_scaled_features_is_the_programs_minimum(alpha):
    """With weight decay the columns of X̄ are not rescaled for the solver (α ‖W‖² is not
    invariant under column scaling), also for α ≤ 1: with features of size ~300 the answer is
    the minimum of mean loss + α ‖W‖² over the region, by cvxpy + Clarabel on the unscaled data."""
    rng = np.random.default_rng(6)
    X = 100.0 * rng.standard_normal((20, 2))
    ds = Dataset(X, y=X[:, 0] / 100.0 - X[:, 1] / 200.0 + 0.1 * rng.standard_normal(20))
    A = _patterns(ds, 2, rng, 1)[0]
    v = np.array([1.0, -1.0])
    sol = RegionProgram(ds, v, alpha=alpha).solve(A)
    assert sol.status == "optimal" and np.abs(sol.W).max() > 0.01     # the decay is active
    minimum = _decayed_minimum(ds, A, v, alpha)
    assert abs(sol.loss - minimum) <= 1e-7 * minimum


def test_kkt_residuals_are_ok_only_when_every_residual_is_within_the_tolerance():
    """KKTResiduals.ok(rtol): every one of the five residuals at most rtol; a single residual
    above it (an infeasible point: primal; a non-stationary one; a negative multiplier; a slack
    constraint carrying a multiplier; lost predictions) fails it."""
    from zonocomb.convex.kkt import KKTResiduals
    names = ("primal", "stationarity", "dual", "complementarity", "rounding")
    assert KKTResiduals(*[1e-9] * 5).ok(1e-8)
    for name in names:
        values = dict.fromkeys(names, 0.0)
        values[name] = 2e-8
        assert not KKTResiduals(**values).ok(1e-8) and KKTResiduals(**values).ok(2e-8), name


@pytest.mark.parametrize("loss, fit_bias, alpha", [("mse", True, 0.0), ("logistic", False, 0.0), ("mse", False, 0.5)])
def test_a_problem_with_other_output_weights_keeps_everything_else(loss, fit_bias, alpha):
    """RegionProblem.with_output_weights(v) is the problem with v replaced (only v is checked):
    dataset, labels, loss, fit_bias and alpha are those of the original, and its programs solve
    as those of a problem built from scratch with v."""
    from zonocomb.convex.problem import RegionProblem
    ds, rng = _nearly_separable(3)
    problem = RegionProblem(ds, [1.0, -1.0], loss=loss, fit_bias=fit_bias, alpha=alpha)
    other = problem.with_output_weights([0.5, 2.0])
    direct = RegionProblem(ds, [0.5, 2.0], loss=loss, fit_bias=fit_bias, alpha=alpha)
    assert (other.dataset, other.loss, other.fit_bias, other.alpha) == (ds, loss, fit_bias, alpha)
    np.testing.assert_array_equal(other.y, problem.y)
    np.testing.assert_array_equal(other.v, [0.5, 2.0])
    A = _patterns(ds, 2, rng, 1)[0]
    a = RegionProgram.from_problem(other).solve(A)
    b = RegionProgram.from_problem(direct).solve(A)
    assert a.loss == b.loss and a.c == b.c
    np.testing.assert_array_equal(a.W, b.W)


def test_the_network_loss_of_weights_alone_has_no_output_bias():
    """RegionProgram.network_loss(W) is the loss of f(x) = vᵀ relu(W x̄) with c = 0 (paper eq. 1
    without an output bias), whatever the program's fit_bias."""
    ds, rng = _nearly_separable(2)
    W = rng.standard_normal((2, ds.n))
    prog = RegionProgram(ds, [1.0, -1.0])
    yhat = np.maximum(ds.generators_float @ W.T, 0.0) @ np.array([1.0, -1.0])
    assert prog.network_loss(W) == prog.network_loss(W, 0.0) == float(np.mean((yhat - ds.y) ** 2))


def test_non_vertex_units_decides_only_the_units_asked_for():
    """non_vertex_units(pattern, units=...) decides and reports only those units (default all):
    a pattern whose unit 0 is no vertex (1-D data, a sign pattern no line realises) and whose
    unit 1 is one."""
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0.0, 1.0, 0.0, 1.0])
    prog = RegionProgram(ds, [1.0, -1.0])
    A = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], dtype=bool)
    assert prog.non_vertex_units(A) == [0]
    assert prog.non_vertex_units(A, units=[0]) == [0]
    assert prog.non_vertex_units(A, units=[1]) == []


def test_sweep_and_star_solutions_report_their_wall_time_as_seconds():
    """The seconds of a sweep's solutions (0.0 for the neighbours the compiled sweep solved: their
    time is in neighbour_seconds) and of solve_stars (its wall time) are floats within the wall
    time measured around the call."""
    import time
    prog, A, moves = _vertex_with_moves()
    base = prog.solve(A)
    t0 = time.perf_counter()
    sweep = prog.sweep(A, moves, base, solutions=True)
    wall = time.perf_counter() - t0
    assert len(sweep.solutions) == len(moves)
    for sol in sweep.solutions.values():
        assert isinstance(sol.seconds, float) and 0.0 <= sol.seconds <= wall
    t0 = time.perf_counter()
    stars = prog.solve_stars(A[None], moves, [len(moves)])
    wall = time.perf_counter() - t0
    assert isinstance(stars.seconds, float) and 0.0 <= stars.seconds <= wall


@pytest.mark.parametrize("offset", [0.0, 100.0])
def test_a_unit_counts_as_zero_for_the_certificate_exactly_below_the_documented_size(offset):
    """KKTChecker: a unit with |v_u| ‖w_u‖ max_i ‖x̄_i‖ ≤ NEGLIGIBLE_RTOL (1 + max|y_i| + max|ŷ_i|)
    counts as w_u = 0 (all its constraints tight). At an MSE optimum where a unit sits at the apex
    w_u = 0 with a nonzero gradient ∂F/∂w_u (held by its constraints' multipliers), moving it
    into the interior of its cone to half that size keeps the certificate; ten times that size
    makes it a unit with w_u ≠ 0 and no tight constraint, which is not stationary. Features of
    size ~100 make max ‖x̄_i‖ matter, and labels (and predictions) around 100 the size of the
    predictions."""
    from zonocomb.convex.kkt import NEGLIGIBLE_RTOL
    rng = np.random.default_rng(0)
    v = np.array([1.0, -1.0])
    checked = 0
    while checked < 3:
        ds = Dataset(30.0 * rng.standard_normal((12, 2)), y=rng.standard_normal(12) + offset)
        prog = RegionProgram(ds, v)
        X = ds.generators_float
        W0 = rng.standard_normal((2, ds.n))
        A = W0 @ X.T > 0                                  # W0 lies inside the cones of its pattern
        sol = prog.solve(A)
        yhat = (A * v[:, None] * (sol.W @ X.T)).sum(axis=0) + sol.c
        G = v[:, None] * ((A * (2.0 * (yhat - ds.y) / ds.N)) @ X)            # ∂F/∂w_u
        apex = [u for u in range(2) if not sol.W[u].any() and np.linalg.norm(G[u]) > 1e-6]
        if sol.status != "optimal" or not apex:
            continue
        u = apex[0]
        size = NEGLIGIBLE_RTOL * (1.0 + np.abs(ds.y).max() + np.abs(yhat).max()) / (
            abs(v[u]) * np.linalg.norm(X, axis=1).max())
        direction = W0[u] / np.linalg.norm(W0[u])
        checker = KKTChecker(prog.data)
        for factor, ok in ((0.5, True), (10.0, False)):
            W = sol.W.copy()
            W[u] = factor * size * direction
            assert checker.residuals(A, W, sol.c).ok(1e-8) == ok, factor
        checked += 1


def test_star_centres_of_unattained_logistic_regions_are_reported_as_solve_reports_them():
    """solve_stars solves each vertex as solve() does (logistic: with the recession tests): on
    separable data most regions have no minimiser (a recession direction separates examples),
    and each centre gets solve()'s status ("optimal_unattained", not "optimal") and loss."""
    from zonocomb.geometry.power import ZonotopePower
    rng = np.random.default_rng(1)
    X = rng.standard_normal((14, 2))
    ds = Dataset(X, y=(X[:, 0] + 0.5 * X[:, 1] > 0).astype(float))
    power = ZonotopePower(ds.zonotope(), 2)
    P = np.array([power.random_vertex(rng) for _ in range(8)])
    out = RegionProgram(ds, [1.0, -1.0], loss="logistic").solve_stars(P, [], [0] * len(P))
    alone = [RegionProgram(ds, [1.0, -1.0], loss="logistic").solve(A) for A in P]
    assert list(out.centre_status) == [sol.status for sol in alone]
    np.testing.assert_allclose(out.centre_loss, [sol.loss for sol in alone], rtol=1e-12, atol=1e-17)
    assert "optimal_unattained" in out.centre_status


# ------------------------------------------------------------ added for the sample of seed 18
def test_a_claimed_separated_example_without_its_margin_is_refused():
    """RecessionLP.validate: an LP answer whose t claims example i separated (t_i = 1) while the
    direction gives it no margin σ_i (Jθ*)_i ≥ MARGIN_RTOL is not a recession direction with
    that set I, and is refused; the same answer without the claim (I empty) is accepted."""
    ds, rng = _nearly_separable(1)
    lp = _recession_lp(ds, [1.0, -1.0])
    A = _patterns(ds, 2, rng, 1)[0]
    x = np.zeros(lp.nvar)                                # θ* = 0, t = 0
    assert not lp.validate(A, x).separated.any()
    x[lp.nw + lp.nc] = 1.0                               # t_0 = 1: example 0 claimed separated
    with pytest.raises(RecessionLPFailed, match="does not separate"):
        lp.validate(A, x)


def test_the_compiled_certificate_takes_integer_weights_as_the_reference_does():
    """RegionKernel.residuals takes the arguments of KKTChecker.residuals, integer weights too,
    and gives the same residuals."""
    ds, rng = _nearly_separable(6)
    prog = RegionProgram(ds, [1.0, -1.0])
    A = _patterns(ds, 2, rng, 1)[0]
    W = np.array([[1, 0, 2], [0, 1, -1]])
    got, ref = prog.kernel.residuals(A, W, 0.0), KKTChecker(prog.data).residuals(A, W, 0.0)
    for name in ("primal", "stationarity", "dual", "complementarity", "rounding"):
        assert getattr(got, name) == pytest.approx(getattr(ref, name), rel=1e-12, abs=1e-15), name


def test_solve_certified_answers_as_solve_does():
    """RegionKernel.solve_certified is solve (without keep / detect_recession) followed by the
    certificate: the same W, c, iteration count and supports (the dual certificates of the
    units at the apex), and a certificate that passes."""
    rng = np.random.default_rng(0)
    seen = 0
    for _ in range(6):
        ds = Dataset(rng.standard_normal((12, 2)), y=rng.standard_normal(12))
        prog = RegionProgram(ds, [1.0, -1.0])
        A = _patterns(ds, 2, rng, 1)[0]
        a = prog.kernel.solve(A)
        b, kkt = prog.kernel.solve_certified(A)
        np.testing.assert_array_equal(a.W, b.W)
        assert (a.c, a.n_iter) == (b.c, b.n_iter) and kkt.ok(FastBackend.KKT_RTOL)
        assert a.supports.keys() == b.supports.keys()
        for u in a.supports:
            np.testing.assert_array_equal(a.supports[u], b.supports[u])
        seen += len(a.supports)
    assert seen >= 1                                     # some unit was at the apex


def test_a_kernel_sweep_returns_the_neighbours_optima_only_on_request():
    """RegionKernel.sweep: the neighbours' optima W, c are returned only with solutions=True."""
    prog, A, moves = _vertex_with_moves()
    base = prog.solve(A)
    plain = prog.kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=FastBackend.KKT_RTOL)
    full = prog.kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=FastBackend.KKT_RTOL,
                             solutions=True)
    assert plain.W is None and plain.c is None
    assert full.W.shape == (len(moves), *base.W.shape) == (len(moves), 2, 3) and full.c.shape == (len(moves),)
    np.testing.assert_array_equal(plain.loss, full.loss)


def test_realising_weights_keeps_the_signs_it_had_with_a_margin():
    """realising_weights(X, signs, w): the examples where w has the wanted sign with a margin
    above TIGHT_SET_RTOL ‖w‖ ‖x_i‖ keep it (the step is half as long as the first margin it would
    close), here from w a perturbation of weights w0 of the signs."""
    from zonocomb.convex.region import realising_weights
    rng = np.random.default_rng(3)
    done = 0
    for _ in range(20):
        # examples of very different norms: the step's limit is a ratio margin / rate
        X = np.column_stack([rng.standard_normal((15, 2)), np.ones(15)]) * np.exp(rng.normal(0.0, 1.5, (15, 1)))
        w0 = rng.standard_normal(3)
        signs = np.where(X @ w0 > 0, 1.0, -1.0)
        w = w0 + 0.3 * rng.standard_normal(3)
        kept = signs * (X @ w) > TIGHT_SET_RTOL * np.linalg.norm(w) * np.linalg.norm(X, axis=1)
        if kept.all():
            continue
        got = realising_weights(X, signs, w)
        assert np.all(signs[kept] * (X[kept] @ got) > 0)
        done += 1
    assert done >= 10


def test_non_vertex_units_names_a_zonotope_of_other_generators():
    """non_vertex_units refuses a zonotope of other generators than the dataset's, saying so."""
    from zonocomb.errors import InvalidInputError
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0.0, 1.0, 0.0, 1.0])
    other = Dataset([[0.0], [1.0], [2.0], [5.0]], y=[0.0, 1.0, 0.0, 1.0])
    prog = RegionProgram(ds, [1.0])
    with pytest.raises(InvalidInputError, match=r"^zonotope must be the dataset's zonotope \(same generators\)$"):
        prog.non_vertex_units([[0, 0, 1, 1]], zonotope=other.zonotope())


def test_check_vertex_must_be_a_bool_named_in_the_error():
    """RegionProgram.solve's check_vertex is a bool; anything else is refused naming it."""
    from zonocomb.errors import InvalidTypeError
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    with pytest.raises(InvalidTypeError, match=r"^check_vertex must be a bool, got 'yes'$"):
        prog.solve(_patterns(ds, 2, rng, 1)[0], check_vertex="yes")


def test_solve_stars_does_every_star_in_one_compiled_call(monkeypatch):
    """With the fast backend and a smooth loss, solve_stars hands all stars to the compiled
    kernel in one call (RegionKernel.stars, the documented hook prog.kernel), building no
    RegionSolution through solve(); the results are those of solve and sweep."""
    from zonocomb.geometry.power import ZonotopePower
    ds, rng = _nearly_separable(5)
    prog = RegionProgram(ds, [1.0, -1.0])
    power = ZonotopePower(ds.zonotope(), 2)
    P = np.array([power.random_vertex(rng) for _ in range(3)])
    moves = [mv for A in P for mv in power.neighbor_moves(A)[:3]]
    calls, real = [], prog.kernel.stars
    monkeypatch.setattr(prog.kernel, "stars", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    monkeypatch.setattr(RegionProgram, "solve", lambda *a, **kw: pytest.fail("solve() was called"))
    out = prog.solve_stars(P, moves, [3, 3, 3])
    assert calls == [1] and set(out.status) <= {"optimal", "screened"}


def test_a_weight_decay_sweep_from_a_pair_equals_one_from_the_solution():
    """RegionProgram.sweep from the vertex's optimum as a pair (W, c) evaluates the vertex's
    objective itself, weight decay α ‖W‖² included: the same neighbours' losses and statuses as
    from the RegionSolution."""
    prog, A, moves = _vertex_with_moves(alpha=0.1)
    sol = prog.solve(A)
    a, b = prog.sweep(A, moves, sol), prog.sweep(A, moves, (sol.W, sol.c))
    assert a.status == b.status
    np.testing.assert_allclose(b.loss, a.loss, rtol=1e-12)
    np.testing.assert_allclose(b.lower_bound, a.lower_bound, rtol=1e-12)


def test_the_kernels_pattern_error_names_what_it_got():
    """RegionKernel takes (m, N) bool patterns; anything else is refused naming its dtype and
    shape."""
    from zonocomb.errors import InvalidInputError
    ds, rng = _nearly_separable(2)
    kernel = RegionProgram(ds, [1.0, -1.0]).kernel
    A = _patterns(ds, 2, rng, 1)[0]
    with pytest.raises(InvalidInputError, match=r"needs an \(2, 20\) bool pattern, got int64 array of shape \(2, 20\)"):
        kernel.solve(A.astype(np.int64))
    with pytest.raises(InvalidInputError, match=r"got bool array of shape \(20,\)"):
        kernel.residuals(A[0], np.zeros((2, 3)), 0.0)


def test_without_the_compiled_kernel_the_error_says_how_to_build_it(monkeypatch):
    """RegionKernel without its C extension: an ImportError naming the import failure and the
    command that builds it."""
    from zonocomb.convex.backends import kernel
    ds, _ = _nearly_separable(2)
    monkeypatch.setattr(kernel, "_region_kernel", None)
    monkeypatch.setattr(kernel, "_IMPORT_ERROR", ImportError("planted"))
    with pytest.raises(ImportError, match=r"^the compiled region kernel is not built \(planted\); "
                                          r"run `pip install -e \.` in the repository$"):
        RegionKernel(RegionProgram(ds, [1.0, -1.0]).data)


@pytest.mark.parametrize("alpha", ["0.1", None, True, np.nan, -1.0])
def test_alpha_must_be_a_finite_non_negative_number(alpha):
    """RegionProblem's weight decay alpha is a real number >= 0: a string, None, a bool, NaN or a
    negative value is refused with one InvalidInputError naming alpha."""
    from zonocomb.convex.problem import RegionProblem
    from zonocomb.errors import InvalidInputError
    ds, _ = _nearly_separable(2)
    with pytest.raises(InvalidInputError, match=r"^alpha \(weight decay\) must be a finite number >= 0"):
        RegionProblem(ds, [1.0, -1.0], alpha=alpha)


def test_a_failed_cold_lp_is_named_with_highs_message(monkeypatch):
    """RecessionLP.solve without a warm start: a cold attempt whose HiGHS status is not optimal is
    listed in the error with HiGHS' own message."""
    from types import SimpleNamespace
    from zonocomb.convex.backends import recession
    ds, rng = _nearly_separable(1)
    lp = _recession_lp(ds, [1.0, -1.0])
    monkeypatch.setattr(recession, "linprog", lambda *a, **kw: SimpleNamespace(status=4, x=None, message="planted"))
    with pytest.raises(RecessionLPFailed, match=r"\(highs-ds: planted; highs-ipm: planted; "
                                                r"highs-ds with Dantzig pricing: planted\)$"):
        lp.solve(_patterns(ds, 2, rng, 1)[0], warm=False)


def test_the_recession_lp_keeps_the_cone_constraint_of_an_example_at_the_origin():
    """An example at x = 0 has the generator x̄ = (0, 0, 1) (its normalised row has an entry
    exactly 1): its sign constraints s_ui w_u·x̄_i ≥ 0 (on the units' biases) stay in the LP, so
    every pattern's LP is answered (warm and cold alike) with a direction in the cone K."""
    ds0, rng = _nearly_separable(1)
    X = ds0.X_float.copy()
    X[5] = 0.0
    ds = Dataset(X, y=ds0.y)
    data = RegionProgram(ds, [1.0, -1.0], loss="logistic").data
    warm, sizes = RecessionLP(data), set()
    for A in _patterns(ds, 2, rng, 12):
        got, cold = warm.solve(A), RecessionLP(data).solve(A, warm=False)
        np.testing.assert_array_equal(got.separated, cold.separated)
        slack = np.where(A, 1.0, -1.0) * (got.W @ ds.generators_float.T)
        assert np.all(slack[:, 5] >= -1e-9 * np.linalg.norm(got.W, axis=1))
        sizes.add(int(got.separated.sum()))
    assert len(sizes) >= 2


def test_the_kernels_iteration_cap_defaults_to_200_plus_20_m_n():
    """RegionKernel's iteration cap (FastBackend's max_iter) is 200 + 20 m n unless given."""
    ds, _ = _nearly_separable(2)
    data = RegionProgram(ds, [1.0, -1.0, 0.5]).data
    assert RegionKernel(data).max_iter == 200 + 20 * 3 * ds.n
    assert RegionKernel(data, max_iter=7).max_iter == 7


def test_neighbours_the_kernel_does_not_settle_are_solved_on_their_own(monkeypatch):
    """RegionProgram.sweep: a neighbour the compiled sweep reports "failed" is solved on its own
    (cold, then the reference): the same loss as the kernel's answer, a RegionSolution among the
    sweep's solutions with its own wall time as seconds."""
    import dataclasses
    import time
    prog, A, moves = _vertex_with_moves()
    base = prog.solve(A)
    settled = prog.sweep(A, moves, base)
    real = prog.kernel.sweep
    monkeypatch.setattr(prog.kernel, "sweep", lambda *a, **kw: dataclasses.replace(
        real(*a, **kw), status=np.array(["failed"] * len(moves))))
    t0 = time.perf_counter()
    alone = prog.sweep(A, moves, base)
    wall = time.perf_counter() - t0
    assert sorted(alone.solutions) == list(range(len(moves)))
    assert set(alone.status) == {"optimal"}
    np.testing.assert_allclose(alone.loss, settled.loss, rtol=1e-9, atol=1e-12)
    for sol in alone.solutions.values():
        assert isinstance(sol.seconds, float) and 0.0 < sol.seconds <= wall


@pytest.mark.parametrize("y, named", [([0.0, 1.0, 0.5, 1.0], "label 2 \\(0-based\\) of y is 0.5"),
                                      ([0.0, 2.0, 1.0, -1.0], "label 1 \\(0-based\\) of y is 2.0")])
def test_a_logistic_label_outside_0_1_is_named_by_its_index_and_value(y, named):
    """check_labels: the logistic loss needs labels in {0, 1}; the first other label is named by
    its index and value."""
    from zonocomb.convex.losses import check_labels
    from zonocomb.errors import InvalidInputError
    with pytest.raises(InvalidInputError, match=rf"^the logistic loss needs labels in \{{0, 1\}}; {named}$"):
        check_labels("logistic", y)


# ------------------------------------------------------- contracts found by the seed-20 sample
def _unattained_answers(prog, ds, rng, count=20):
    """(pattern, solution) of the logistic regions among ``count`` random ones whose infimum is
    not attained."""
    return [(A, sol) for A in _patterns(ds, 2, rng, count) for sol in [prog.solve(A)]
            if sol.status == "optimal_unattained"]


def test_next_to_an_unattained_region_its_recession_direction_is_tried_before_the_lp(monkeypatch):
    """From a remembered unattained answer (FastBackend.remembers) the neighbour's recession
    direction θ* is tried first (RecessionLP.reuse, module docstring of the fast backend): solving
    the same region again from its answer reuses θ*, which still separates there, and needs no
    recession LP; the answer is the same point."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    found = _unattained_answers(prog, ds, rng)
    assert len(found) >= 2
    lps = []
    real = RecessionLP.solve
    monkeypatch.setattr(RecessionLP, "solve", lambda self, *a, **k: lps.append(1) or real(self, *a, **k))
    for A, sol in found:
        assert prog.solver.remembers((sol.W, sol.c))             # (data in [1/16, 16]: not rescaled)
        again = prog.solve(A, warm_start=sol)
        assert again.status == "optimal_unattained" and abs(again.loss - sol.loss) <= 1e-15
    assert lps == []


def test_unattained_answers_exceed_their_certified_lower_bound_by_rounding_only(monkeypatch):
    """The point θ_I + τθ* exceeds min F_I by (|I|/N) log(1 + e^−40) < 4.3e-18 in exact arithmetic,
    plus what rounding moves: within the rounding bound (n + m + 2) ε Σ_u |v_u| ‖w_u‖ max‖x̄_i‖ of
    the two losses. So even with no allowance beyond it (UNATTAINED_GAP = 0) every unattained
    answer is certified, here with m = 5 units > n + 2 (no fallback, no warning)."""
    monkeypatch.setattr(FastBackend, "UNATTAINED_GAP", 0.0)
    ds, rng = _nearly_separable(1)
    v = [1.0, -1.0, 0.5, -0.5, 0.75]
    prog = RegionProgram(ds, v, loss="logistic")
    seen = 0
    for A in _patterns(ds, 5, rng, 12):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            seen += prog.solve(A).status == "optimal_unattained"
    assert seen >= 2


def test_an_attained_region_after_a_runaway_reports_the_kernels_iterations(monkeypatch):
    """When the kernel stops on a logistic region (here: made to, through the documented kernel
    hook) the recession LP decides; where it separates nothing, the infimum is attained and the
    kernel's second run gives the answer, "optimal", with that run's iteration count."""
    from zonocomb.convex.backends.kernel import KernelFailed
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    attained = [(A, sol) for A in _patterns(ds, 2, rng, 8) for sol in [prog.solve(A)]
                if not RecessionLP(prog.data).solve(A).separated.any()]    # (no recession direction)
    assert len(attained) >= 2
    real, runs = RegionKernel.solve, []

    def stops_when_watching_for_recession(self, pattern, W0=None, c0=None, keep=None, detect_recession=False):
        if detect_recession:
            raise KernelFailed("planted stop")
        res = real(self, pattern, W0, c0, keep=keep)
        runs.append(res.n_iter)
        return res

    monkeypatch.setattr(RegionKernel, "solve", stops_when_watching_for_recession)
    fresh = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    for A, sol in attained:
        runs.clear()
        got = fresh.solve(A)
        assert got.status == "optimal" and abs(got.loss - sol.loss) <= 1e-12
        assert got.n_iter == runs[-1] > 0


def test_a_separable_regions_answer_is_certified_against_the_infimum_zero(monkeypatch):
    """A logistic region whose every example a recession direction separates has infimum 0; the
    answer, the direction scaled to the margin UNATTAINED_MARGIN, is certified against that lower
    bound 0. With a margin of 1 its loss log(1 + e^−1) ≈ 0.31 is far above 0: the pattern goes to
    the reference backend (a warning naming the gap), which approaches 0."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 2))
    ds = Dataset(X, y=(X[:, 0] > 0).astype(float))
    A = np.array([X[:, 0] > 0])                                  # w = e_1 separates every example
    prog = RegionProgram(ds, [1.0], loss="logistic")
    assert prog.solve(A).status == "optimal_unattained"
    monkeypatch.setattr(FastBackend, "UNATTAINED_MARGIN", 1.0)
    with pytest.warns(RuntimeWarning, match="above the lower bound of the infimum"):
        got = RegionProgram(ds, [1.0], loss="logistic").solve(A)
    assert got.status == "optimal_fallback" and got.loss < 0.01


def test_with_weight_decay_a_logistic_pattern_the_kernel_cannot_solve_goes_to_the_reference(monkeypatch):
    """With weight decay the logistic program is coercive (its minimum is attained); should the
    kernel stop, the pattern is solved by the reference backend: status "optimal_fallback", a
    warning saying the kernel stopped, the reference's optimum."""
    from zonocomb.convex.backends.kernel import KernelFailed
    ds, rng = _nearly_separable(3)
    A = _patterns(ds, 2, rng, 1)[0]
    reference = RegionProgram(ds, [1.0, -1.0], loss="logistic", alpha=0.01, backend="cvxpy").solve(A)

    def stops(self, *args, **kwargs):
        raise KernelFailed("planted stop")

    monkeypatch.setattr(RegionKernel, "solve", stops)
    with pytest.warns(RuntimeWarning, match="the kernel stopped: planted stop"):
        got = RegionProgram(ds, [1.0, -1.0], loss="logistic", alpha=0.01).solve(A)
    assert got.status == "optimal_fallback" and got.loss == reference.loss


def test_without_sched_getaffinity_the_default_threads_are_the_cpu_count(monkeypatch):
    """Threads of a sweep by default: the cores this process may run on, or, where the system
    cannot say (no os.sched_getaffinity), the machine's CPU count (at least 1)."""
    import os
    from zonocomb.convex.backends.kernel import default_threads
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert default_threads() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_threads() == 1


def test_the_kernel_takes_exactly_the_sizes_its_int_arithmetic_allows():
    """kernel.fits: m n N and (m n + 1)² must lie below 2³¹ − 1, nothing else: the largest m n N
    and m n accepted are 2³¹ − 2 and 46339."""
    from zonocomb.convex.backends.kernel import fits
    assert fits(1, 2, 2 ** 30 - 1) and not fits(1, 1, 2 ** 31 - 1)        # m n N = 2³¹ − 2, 2³¹ − 1
    assert fits(46339, 1, 1) and not fits(46340, 1, 1)                    # (m n + 1)² < 2³¹ − 1
    assert not fits(0, 1, 1) and not fits(1, 0, 1) and not fits(1, 1, 0)


def test_the_kernels_stars_error_names_what_it_got():
    """RegionKernel.stars takes an (S, m, N) bool array of vertices; anything else is refused
    naming its dtype and shape."""
    from zonocomb.convex.backends.kernel import PackedMoves
    from zonocomb.errors import InvalidInputError
    ds, rng = _nearly_separable(2)
    kernel = RegionProgram(ds, [1.0, -1.0]).kernel
    A = _patterns(ds, 2, rng, 1)[0]
    moves = PackedMoves.pack([], 2, 20)
    with pytest.raises(InvalidInputError, match=r"stars need an \(S, 2, 20\) bool array of vertices, got "
                                                r"int64 array of shape \(1, 2, 20\)"):
        kernel.stars(A[None].astype(np.int64), moves, np.zeros(2, dtype=np.int64), screen=True, kkt_rtol=1e-8)


def test_without_an_output_bias_recession_directions_have_no_bias_part():
    """Without an output bias (paper section 2) c is fixed at 0, so a recession direction is one
    of W alone: where every unit is inactive (ŷ = c) and every label is 1, only c could separate,
    so nothing is separated (the infimum log 2 is attained at W = 0); with the bias, c → ∞
    separates every example."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((10, 2))
    A = np.zeros((2, 10), dtype=bool)
    for fit_bias, separated in ((False, 0), (True, 10)):
        data = RegionProgram(Dataset(X, y=np.ones(10)), [1.0, -1.0], loss="logistic", fit_bias=fit_bias).data
        got = RecessionLP(data).solve(A)
        assert int(got.separated.sum()) == separated and (got.c == 0.0) == (not fit_bias)


def test_a_cold_recession_lp_fixes_units_that_cannot_affect_the_predictions():
    """A unit inactive on every example (or with v_u = 0) cannot change ŷ, so the LP fixes its
    weights at 0: the cold solve (warm=False) gives the warm solve's separated set, and the
    direction's W is 0 on that unit."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0, 0.5], loss="logistic")
    sizes = set()
    for A in _patterns(ds, 3, rng, 8):
        A[2] = False
        warm, cold = RecessionLP(prog.data).solve(A), RecessionLP(prog.data).solve(A, warm=False)
        np.testing.assert_array_equal(cold.separated, warm.separated)
        assert not cold.W[2].any() and not warm.W[2].any()
        sizes.add(int(warm.separated.sum()))
    assert len(sizes - {0}) >= 1


def test_a_fractional_recession_lp_answer_is_refused_as_numerical_trouble():
    """The recession LP's t_i are 0 or 1 at a vertex of its polytope; a solution with some
    t_i strictly between (beyond T_TOL) is refused by RecessionLP.validate, saying so."""
    ds, rng = _nearly_separable(1)
    data = RegionProgram(ds, [1.0, -1.0], loss="logistic").data
    lp = RecessionLP(data)
    A = _patterns(ds, 2, rng, 1)[0]
    x = np.zeros(lp.nvar)
    x[-1] = 0.5
    with pytest.raises(RecessionLPFailed, match=r"^the optimum is not integral \(numerical trouble\)$"):
        lp.validate(A, x)


def test_a_pickled_problem_is_the_same_problem():
    """A RegionProblem survives pickling (the searches send it to worker processes): dataset,
    labels, v, loss, fit_bias and alpha are the original's, and its programs solve alike."""
    import pickle
    from zonocomb.convex.problem import RegionProblem
    ds, rng = _nearly_separable(3)
    problem = RegionProblem(ds, [1.0, -1.0], loss="logistic", fit_bias=False, alpha=0.5)
    back = pickle.loads(pickle.dumps(problem))
    assert back.dataset == ds and (back.loss, back.fit_bias, back.alpha) == ("logistic", False, 0.5)
    np.testing.assert_array_equal(back.y, problem.y)
    np.testing.assert_array_equal(back.v, problem.v)
    A = _patterns(ds, 2, rng, 1)[0]
    assert RegionProgram.from_problem(back).solve(A).loss == RegionProgram.from_problem(problem).solve(A).loss


def test_the_objective_of_weights_alone_has_no_output_bias():
    """RegionProgram.objective(pattern, W) is eq. (3)'s objective at (W, c = 0): the mean loss of
    ŷ_i = Σ_u v_u A_ui (w_u·x̄_i), plus alpha ‖W‖²."""
    ds, rng = _nearly_separable(2)
    W = rng.standard_normal((2, ds.n))
    A = _patterns(ds, 2, rng, 1)[0]
    prog = RegionProgram(ds, [1.0, -1.0], alpha=0.25)
    yhat = (A * np.array([[1.0], [-1.0]]) * (W @ ds.generators_float.T)).sum(axis=0)
    expected = float(np.mean((yhat - ds.y) ** 2)) + 0.25 * float(np.sum(W ** 2))
    assert prog.objective(A, W) == prog.objective(A, W, 0.0)
    assert abs(prog.objective(A, W) - expected) <= 1e-12 * expected


def test_a_reduced_accuracy_answer_warns_the_caller(monkeypatch):
    """A backend answer with status "optimal_inaccurate" (the reference solver's own reduced
    accuracy) is returned with a RuntimeWarning that names the backend and is attributed to the
    line calling RegionProgram.solve."""
    from zonocomb.convex.backends import BackendResult, SolveStatus
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0], backend="cvxpy")
    A = _patterns(ds, 2, rng, 1)[0]
    real = type(prog.solver).solve

    def inaccurate(self, pattern, warm_start=None):
        res = real(self, pattern, warm_start)
        return BackendResult(W=res.W, c=res.c, status=SolveStatus.OPTIMAL_INACCURATE, n_iter=res.n_iter)

    monkeypatch.setattr(type(prog.solver), "solve", inaccurate)
    with pytest.warns(RuntimeWarning, match=r"^backend 'cvxpy' reports reduced accuracy on this region program$") as caught:
        sol = prog.solve(A)
    assert sol.status == "optimal_inaccurate"
    if "MUTANT_UNDER_TEST" not in os.environ:                   # mutmut's trampolines add frames
        assert caught[0].filename == __file__


class _Unconvertible:
    """An object numpy cannot turn into an array (its ``__array__`` raises)."""

    def __array__(self, *args, **kwargs):
        raise ValueError("planted")


def _input_error_cases():
    """(call, error type, the whole message) of every input error of zonocomb.convex's entry
    points, on a dataset of 3 examples in R^1 and 2 units."""
    from zonocomb.convex.backends import RegionData, backend_spec
    from zonocomb.convex.backends.kernel import PackedMoves
    from zonocomb.convex.losses import check_labels, check_loss, loss_derivatives, mean_loss
    from zonocomb.convex.problem import RegionProblem, check_output_weights
    from zonocomb.convex.region import check_pattern, check_pattern_stack
    from zonocomb.errors import InvalidInputError as Bad, InvalidTypeError as Type
    ds = Dataset([[0.0], [1.0], [2.0]], y=[0.0, 1.0, 1.0])
    prog = RegionProgram(ds, [1.0, -1.0])
    logistic = RegionProgram(ds, [1.0, -1.0], loss="logistic").kernel
    A = np.array([[1, 1, 0], [0, 1, 1]], dtype=bool)
    K, zero = prog.kernel, np.zeros((2, 2))
    no_moves = PackedMoves.pack([], 2, 3)
    return {
        "loss": (lambda: check_loss("hinge"), Bad, "unknown loss 'hinge'; expected one of mse, logistic, l1"),
        "label": (lambda: check_labels("mse", [0.0, np.nan]), Bad, "label 1 (0-based) of y is not finite"),
        "logistic label": (lambda: check_labels("logistic", [0.0, 1.0, 0.5]), Bad,
                           "the logistic loss needs labels in {0, 1}; label 2 (0-based) of y is 0.5"),
        "mean loss": (lambda: mean_loss("hinge", np.zeros(2), np.zeros(2)), Bad, "unknown loss 'hinge'"),
        "curvature": (lambda: loss_derivatives("l1", np.zeros(2), np.zeros(2)), Bad,
                      "loss 'l1' is not smooth; it has no second derivative"),
        "dataset": (lambda: RegionProblem([[0.0]], [1.0]), Type, "dataset must be a zonocomb Dataset, got list"),
        "alpha": (lambda: RegionProblem(ds, [1.0], alpha=-1.0), Bad,
                  "alpha (weight decay) must be a finite number >= 0, got -1.0"),
        "alpha l1": (lambda: RegionProblem(ds, [1.0], loss="l1", alpha=0.5), Bad,
                     "alpha (weight decay) needs a smooth loss (mse or logistic); the l1 region program is a "
                     "linear program"),
        "immutable": (lambda: setattr(prog.problem, "alpha", 1.0), AttributeError,
                      "RegionProblem is immutable (cannot set 'alpha')"),
        "v numbers": (lambda: check_output_weights(["a"]), Type, "output weights v must be numbers, got ['a']"),
        "v shape": (lambda: check_output_weights([[1.0, 2.0]]), Bad,
                    "output weights v must be a non-empty 1-D array, got shape (1, 2)"),
        "v finite": (lambda: check_output_weights([1.0, np.inf]), Bad, "output weight v[1] is not finite (inf)"),
        "v length": (lambda: check_output_weights([1.0], 2), Bad, "output weights v have length 1, expected 2"),
        "problem": (lambda: RegionProgram.from_problem(ds), Type, "problem must be a RegionProblem, got Dataset"),
        "threads": (lambda: setattr(prog, "threads", 0), Bad, "threads must be a positive integer, got 0"),
        "W": (lambda: prog.non_vertex_units(A, np.zeros((2, 3))), Bad, "W must have shape (2, 2), got (2, 3)"),
        "units": (lambda: prog.non_vertex_units(A, units=[2]), Bad, "units must be unit indices in [0, 2), got [2]"),
        "sweep base": (lambda: prog.sweep(A, [], None), Bad, "sweep needs the vertex's optimum as warm_start"),
        "bound": (lambda: prog.sweep(A, [], (zero, 0.0), bound=np.inf), Bad,
                  "bound must be a finite number or None, got inf"),
        "sizes": (lambda: prog.solve_stars(A[None], [], [1]), Bad,
                  "sizes must be 1 non-negative integers summing to the 0 moves"),
        "warm start": (lambda: prog.solve(A, warm_start=[1]), Bad,
                       "warm_start must be a RegionSolution, a pair (W, c), or None"),
        "warm W": (lambda: prog.solve(A, warm_start=(np.zeros(2), 0.0)), Bad,
                   "warm_start W must be a finite (2, 2) array with finite c, got shape (2,)"),
        "barcode": (lambda: check_pattern(np.zeros(4), 1, 3), Bad,
                    "pattern has shape (1, 4), expected (1, 3) (units × examples; or a barcode of length N)"),
        "pattern": (lambda: check_pattern(np.zeros((3, 3)), 2, 3), Bad,
                    "pattern has shape (3, 3), expected (2, 3) (units × examples)"),
        "patterns": (lambda: check_pattern_stack(np.zeros((2, 3)), 2, 3), Bad,
                     "patterns have shape (2, 3), expected (S, 2, 3) (patterns × units × examples)"),
        "entries": (lambda: check_pattern(np.array([["a", "b", "c"]]), 1, 3), Bad,
                    "pattern entries must be 0/1 or bool, got dtype <U1"),
        "entry": (lambda: check_pattern([[0, 2, 1]], 1, 3), Bad, "pattern entry (0, 1) is 2; entries must be 0 or 1"),
        "backend": (lambda: backend_spec("gurobi", "mse"), Bad,
                    "unknown backend 'gurobi'; expected one of cvxpy, ecos-defaults, fast, reference"),
        "packed": (lambda: PackedMoves.pack(PackedMoves.pack([(0, [1])], 2, 3), 1, 3), Bad,
                   "packed moves are for 2 units and 3 examples, not 1 and 3"),
        "moves": (lambda: PackedMoves.pack([(0.0, [1])], 2, 3), Bad,
                  "moves must be pairs (unit, flipped example indices), with integer units and example indices"),
        "move": (lambda: PackedMoves.pack([(0, [1, 1])], 2, 3), Bad,
                 "move (0, (1, 1)) is not a unit of 2 and a non-empty set of distinct examples of 3"),
        "kernel loss": (lambda: RegionKernel(RegionProgram(ds, [1.0], loss="l1").data), Bad,
                        "the compiled region kernel solves the smooth losses only (mse, logistic), not 'l1'"),
        "kernel W": (lambda: K.residuals(A, np.zeros((2, 3)), 0.0), Bad, "W must be an (2, 2) array, got shape (2, 3)"),
        "support": (lambda: K.residuals(A, zero, 0.0, supports={0: [5]}), Bad,
                    "support of unit 0 is not a list of example indices of a unit"),
        "vertex": (lambda: K.sweep(A, [], np.zeros((2, 3)), 0.0, 0.0, screen=True, kkt_rtol=1e-8), Bad,
                   "the vertex's optimum must be a finite (2, 2) array and c"),
        "ptr": (lambda: K.stars(A[None], no_moves, np.zeros(3, dtype=np.int64), screen=True, kkt_rtol=1e-8), Bad,
                "ptr must have S + 1 = 2 entries, got shape (3,)"),
        "keep": (lambda: logistic.residuals(A, zero, 0.0, keep=np.ones(2, dtype=bool)), Bad,
                 "keep must be an (3,) bool array, got bool array of shape (2,)"),
        "keep mse": (lambda: K.solve(A, keep=np.ones(3, dtype=bool)), Bad,
                     "keep and detect_recession apply to the logistic loss only"),
        "kernel warm W": (lambda: K.solve(A, np.full((2, 2), np.nan)), Bad,
                          "warm start W must be a finite (2, 2) array, got shape (2, 2)"),
        "kernel warm c": (lambda: K.solve(A, zero, np.inf), Bad, "warm start c must be finite, got inf"),
        "recession": (lambda: RecessionLP(prog.data), Bad, "recession directions are computed for the logistic loss"),
        "backend loss": (lambda: backend_spec("fast", "hinge"), Bad, "backend 'fast' cannot solve loss 'hinge'"),
        "ragged sizes": (lambda: prog.solve_stars(A[None], [], [[1], [2, 3]]), Bad,
                         "sizes must be 1 non-negative integers summing to the 0 moves"),
        "kernel labels": (lambda: RegionKernel(RegionData(prog.data.Xbar, np.zeros(2), np.ones(2), "mse", True)), Bad,
                          "labels must have shape (3,) and v must be 1-D"),
        "star ptr": (lambda: K.stars(A[None], no_moves, np.array([1, 0]), screen=True, kkt_rtol=1e-8), Bad,
                     "_region_kernel.stars: star_ptr does not delimit the moves"),
        "hand-made moves": (lambda: K.sweep(A, PackedMoves(units=np.zeros(1, np.int32), ptr=np.array([0, 1], np.int32),
                                                           idx=np.array([7], np.int32), m=2, N=3),
                                            zero, 0.0, 0.0, screen=True, kkt_rtol=1e-8), Bad,
                            "_region_kernel.sweep: move 0 flips example 7, out of range"),
        "unconvertible pattern": (lambda: check_pattern(_Unconvertible(), 1, 3), Bad,
                                  "pattern is not an array of 0/1 entries: planted"),
        "unconvertible patterns": (lambda: check_pattern_stack(_Unconvertible(), 2, 3), Bad,
                                   "patterns are not an array of 0/1 entries: planted"),
        "star ptr order": (lambda: K.stars(np.stack([A, A]), PackedMoves.pack([(0, [1])], 2, 3), np.array([0, 2, 1]),
                                           screen=True, kkt_rtol=1e-8), Bad,
                           "_region_kernel.stars: star_ptr decreases"),
    }


@pytest.mark.parametrize("case", list(_input_error_cases()))
def test_convex_input_errors_give_the_whole_reason(case):
    """Bad input to zonocomb.convex's entry points (losses, problems, programs, patterns, moves,
    the kernel, the recession LP) is refused with a specific error whose message names the
    argument, what was wrong and what was expected: the whole message, not a word of it."""
    call, error, message = _input_error_cases()[case]
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call()


# ------------------------------------------------------- contracts found by the seed-21 sample
def test_the_old_name_of_the_tight_set_tolerance_says_its_new_name():
    """zonocomb.convex.region.TIGHT_RTOL (the old name, kept one release) is TIGHT_SET_RTOL, with a
    DeprecationWarning that names both."""
    import zonocomb.convex.region as region
    with pytest.warns(DeprecationWarning,
                      match=r"^zonocomb\.convex\.region\.TIGHT_RTOL is renamed TIGHT_SET_RTOL$"):
        assert region.TIGHT_RTOL == region.TIGHT_SET_RTOL


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_solve_region_solves_the_program_with_its_weight_decay(loss):
    """solve_region(..., alpha) is RegionProgram(..., alpha).solve: the weight decay α ‖W‖² is
    part of the program it solves (the same W and loss), not dropped."""
    from zonocomb.convex import solve_region
    ds, rng = _nearly_separable(3)
    A = _patterns(ds, 2, rng, 1)[0]
    one = solve_region(ds, A, [1.0, -1.0], loss=loss, alpha=0.5, check_vertex=False)
    prog = RegionProgram(ds, [1.0, -1.0], loss=loss, alpha=0.5).solve(A)
    free = RegionProgram(ds, [1.0, -1.0], loss=loss).solve(A)
    assert one.loss == prog.loss and one.loss != free.loss
    np.testing.assert_array_equal(one.W, prog.W)


def test_a_solution_reports_the_wall_time_of_its_solve():
    """RegionSolution.seconds of RegionProgram.solve is the wall time of the solve: a float
    between 0 and the time measured around the call."""
    import time
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A = _patterns(ds, 2, rng, 1)[0]
    t0 = time.perf_counter()
    sol = prog.solve(A)
    wall = time.perf_counter() - t0
    assert isinstance(sol.seconds, float) and 0.0 < sol.seconds <= wall


def test_a_sweep_returns_solutions_only_of_neighbours_solved_on_their_own_by_default():
    """RegionProgram.sweep(..., solutions=False) (the default) returns the RegionSolution only of
    neighbours solved on their own, none when the compiled sweep settles every neighbour (memory:
    k m n floats otherwise)."""
    prog, A, moves = _vertex_with_moves()
    sweep = prog.sweep(A, moves, prog.solve(A))
    assert set(sweep.status) <= {"optimal", "screened"} and len(moves) >= 4
    assert sweep.solutions == {}


@pytest.mark.parametrize("loss, alpha", [("mse", 0.0), ("logistic", 0.0), ("logistic", 0.01), ("mse", 0.01)])
def test_an_attained_optimum_reports_the_iterations_of_the_kernel_run_that_found_it(monkeypatch, loss, alpha):
    """RegionSolution.n_iter is what the backend reported: for an answer of the compiled kernel,
    the iterations of the run that produced it (MSE: solve_certified; logistic: solve), on every
    path: MSE and logistic, with and without weight decay."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss=loss, alpha=alpha)
    runs = _record_kernel_runs(monkeypatch)
    seen = 0
    for A in _patterns(ds, 2, rng, 6):
        runs.clear()
        sol = prog.solve(A)
        if sol.status == "optimal":
            assert sol.n_iter == runs[-1].n_iter > 0
            seen += 1
    assert seen >= 2


def test_an_entirely_separable_region_found_by_the_lp_reports_no_iterations(monkeypatch):
    """When the recession LP finds that every example is separated (the kernel having stopped),
    there is no attained part to minimise: the answer, the direction scaled to the margin, reports
    n_iter = 0, as when the kernel itself sees an iterate separate every example."""
    from zonocomb.convex.backends.kernel import KernelFailed
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 2))
    ds = Dataset(X, y=(X[:, 0] > 0).astype(float))
    A = np.array([X[:, 0] > 0])
    direct = RegionProgram(ds, [1.0], loss="logistic").solve(A)
    assert direct.status == "optimal_unattained" and direct.n_iter == 0

    def stops(self, *args, **kwargs):
        raise KernelFailed("planted stop")

    monkeypatch.setattr(RegionKernel, "solve", stops)
    got = RegionProgram(ds, [1.0], loss="logistic").solve(A)
    assert got.status == "optimal_unattained" and got.n_iter == 0 and got.loss < 1e-15


def test_an_unattained_answer_is_the_direction_scaled_just_to_the_margin(monkeypatch):
    """The point returned for an unattained region is θ_I + τθ* with the smallest τ ≥ 0 giving
    every separated example the margin σ_i ŷ_i ≥ UNATTAINED_MARGIN: so the smallest margin on I
    is that margin. Here every example is separated (θ_I = 0) by the recession LP's direction
    (the kernel made to stop), whose margins are at least about 1, and the margin is set to 1/2
    (the gap allowance widened to accept the larger loss), so τ < 1."""
    from zonocomb.convex.backends.kernel import KernelFailed
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 2))
    ds = Dataset(X, y=(X[:, 0] > 0).astype(float))
    A = np.array([X[:, 0] > 0])

    def stops(self, *args, **kwargs):
        raise KernelFailed("planted stop")

    monkeypatch.setattr(RegionKernel, "solve", stops)
    monkeypatch.setattr(FastBackend, "UNATTAINED_MARGIN", 0.5)
    monkeypatch.setattr(FastBackend, "UNATTAINED_GAP", 1.0)
    sol = RegionProgram(ds, [1.0], loss="logistic").solve(A)
    margins = (2.0 * ds.y - 1.0) * ((A * (sol.W @ ds.generators_float.T)).sum(axis=0) + sol.c)
    assert sol.status == "optimal_unattained" and abs(float(margins.min()) - 0.5) <= 1e-12


def test_the_kernels_runaway_is_named_when_the_recession_lp_fails_too(monkeypatch):
    """A logistic solve whose kernel run a prediction ran away in, and whose recession LP then
    failed, goes to the reference backend with a warning that names both reasons in full."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A = next(A for A, _ in _unattained_answers(prog, ds, rng) if _runs_away(prog, A))

    def fails(self, *args, **kwargs):
        raise RecessionLPFailed("planted failure")

    monkeypatch.setattr(RecessionLP, "solve", fails)
    message = ("fast region solver could not certify its answer (the kernel stopped (a prediction ran away "
               "past the runaway level (compiled kernel): the infimum may not be attained) and planted "
               "failure); re-solving this pattern with the cvxpy reference backend")
    with pytest.warns(RuntimeWarning, match="^" + re.escape(message) + "$"):
        got = RegionProgram(ds, [1.0, -1.0], loss="logistic").solve(A)
    assert got.status == "optimal_fallback"


def test_an_unattained_region_the_kernel_converged_on_names_the_attainment_check(monkeypatch):
    """A logistic region whose kernel run converged (no runaway, no separation) to a point that
    passes the KKT certificate but not the attainment check, and whose recession LP then failed,
    goes to the reference backend with a warning that says so."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A = next(A for A, _ in _unattained_answers(prog, ds, rng) if not _runs_away(prog, A))

    def fails(self, *args, **kwargs):
        raise RecessionLPFailed("planted failure")

    monkeypatch.setattr(RecessionLP, "solve", fails)
    message = ("fast region solver could not certify its answer (the attainment of its infimum was not "
               "certified and planted failure); re-solving this pattern with the cvxpy reference backend")
    with pytest.warns(RuntimeWarning, match="^" + re.escape(message) + "$"):
        got = RegionProgram(ds, [1.0, -1.0], loss="logistic").solve(A)
    assert got.status == "optimal_fallback"


def _runs_away(prog, A):
    """Whether the kernel's cold run on ``A`` with the recession tests stops at a runaway or a
    separation (rather than converging)."""
    try:
        prog.solver.kernel.solve(A, detect_recession=True)
    except (Runaway, Separable):
        return True
    return False


def test_a_solve_from_an_unattained_answer_starts_the_kernel_from_its_attained_part(monkeypatch):
    """From a remembered unattained answer θ_I + τθ* (the current vertex of a local search) the
    kernel is started from its attained part θ_I, not from the far point, from which it would
    need about |ŷ| / MAX_LOGIT_STEP steps to come back (fast backend, module docstring)."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    found = [(A, sol) for A, sol in _unattained_answers(prog, ds, rng)]
    runs = _record_kernel_runs(monkeypatch)
    for A, sol in found:
        runs.clear()
        prog.solve(A, warm_start=sol)
        assert runs and all(run.W0 is None or np.abs(run.W0).max() < 0.5 * np.abs(sol.W).max() for run in runs)
    assert len(found) >= 2


def test_a_given_support_is_used_only_for_a_unit_at_zero():
    """KKTChecker.residuals' ``supports`` are candidate supports of units with w_u = 0 (all their
    constraints tight); a support given for a unit with w_u ≠ 0 is ignored: its multipliers come
    from its own tight constraints, so the residuals are those without it."""
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    checker = KKTChecker(prog.data)
    checked = 0
    for A in _patterns(ds, 2, rng, 6):
        sol = prog.solve(A)
        live = [u for u in range(2) if sol.W[u].any()]
        if sol.status != "optimal" or not live:
            continue
        plain = checker.residuals(A, sol.W, sol.c)
        given = checker.residuals(A, sol.W, sol.c, supports={live[0]: [0, 1]})
        assert given == plain and plain.ok(1e-8)
        checked += 1
    assert checked >= 2


def test_a_recession_direction_scaled_up_keeps_its_separated_set():
    """A recession direction θ* scaled by s > 0 is one of the same region with the same set I:
    the drift allowed on kept examples is relative to the direction's largest margin
    (DRIFT_RTOL max(1, max_i |σ_i (Jθ*)_i|)), so a rounding-level drift of 1e-9 per unit of
    margin is kept at the scale 1 and at the scale 100 alike."""
    from zonocomb.convex.backends import RegionData
    x = np.array([-2.0, -1.0, 1e-9, 1.0, 2.0])
    Xbar = np.column_stack([x, np.ones_like(x)])
    lp = RecessionLP(RegionData(Xbar, np.array([0.0, 0.0, 1.0, 1.0, 1.0]), np.array([1.0]), "logistic", False))
    A = (x > 0)[None, :]
    for scale in (1.0, 100.0):
        got = lp.reuse(A, scale * np.array([[1.0, 0.0]]), 0.0)
        assert got is not None and got.separated.tolist() == [False, False, False, True, True], scale


def test_checking_the_vertex_uses_the_optimum_as_witness_before_any_lp(monkeypatch):
    """solve(..., check_vertex=True) decides the pattern with the optimum's weights first
    (non_vertex_units with W): a row whose realising weights have its exact signs is a vertex
    without an LP, so on generic data no Zonotope.is_vertex LP runs for a vertex pattern."""
    from zonocomb.geometry.zonotope import Zonotope
    calls = []
    real = Zonotope.is_vertex
    monkeypatch.setattr(Zonotope, "is_vertex", lambda self, b: calls.append(b) or real(self, b))
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    for A in _patterns(ds, 2, rng, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            prog.solve(A, check_vertex=True)
    assert calls == []


# ------------------------------------------------------- contracts found by the seed-22 sample
def test_next_to_an_unattained_region_a_failed_recession_lp_is_named_alone(monkeypatch):
    """Next to an unattained region (the warm start a remembered unattained answer) the kernel
    does not run before the recession LP: when the neighbour's direction is none here and the LP
    fails, the fallback warning names the LP's failure only, not a kernel stop that never
    happened."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A, sol = _unattained_answers(prog, ds, rng)[0]

    def fails(self, *args, **kwargs):
        raise RecessionLPFailed("planted failure")

    monkeypatch.setattr(RecessionLP, "reuse", lambda self, *args: None)
    monkeypatch.setattr(RecessionLP, "solve", fails)
    message = ("fast region solver could not certify its answer (planted failure); re-solving this "
               "pattern with the cvxpy reference backend")
    with pytest.warns(RuntimeWarning, match="^" + re.escape(message) + "$"):
        got = prog.solve(A, warm_start=sol)
    assert got.status == "optimal_fallback"


@pytest.mark.parametrize("warm", [True, False])
def test_the_recession_lp_bounds_only_t_so_a_direction_may_need_a_large_output_bias(warm):
    """The LP (recession module docstring) bounds t ∈ [0, 1]^N and nothing else: θ ranges over
    the cone K. Here (x = 0, 1, 2, labels 1, 1, 0, one unit with v = −1 active everywhere, so
    ŷ_i = c − w·x̄_i with w·x̄_i ≥ 0) every example is separated, e.g. by w·x̄ = x, c = 3/2, but
    every such direction with margins ≥ 1 has c ≥ 2 (margins c − w_b, c − w_1 − w_b and
    2w_1 + w_b − c, with w_b ≥ 0): the warm and the cold LP both find I = all examples."""
    x = np.array([0.0, 1.0, 2.0])
    ds = Dataset(x[:, None], y=np.array([1.0, 1.0, 0.0]))
    prog = RegionProgram(ds, [-1.0], loss="logistic")
    got = RecessionLP(prog.data).solve(np.ones((1, 3), dtype=bool), warm=warm)
    assert got.separated.all() and got.c >= 2.0 - 1e-9 and got.margins.min() >= RecessionLP.MARGIN_RTOL
    assert prog.solve(np.ones((1, 3), dtype=bool)).status == "optimal_unattained"


def test_the_recession_lp_error_names_the_warm_models_highs_status(monkeypatch):
    """RecessionLP.solve: when the kept, warm-started model stops with a HiGHS status other than
    optimal (here its simplex iteration limit set to 0) and every cold attempt fails too,
    RecessionLPFailed names each attempt, the warm one with HiGHS' status."""
    from types import SimpleNamespace
    from zonocomb.convex.backends import recession
    x = np.array([0.0, 1.0, 2.0])
    lp = RecessionLP(RegionProgram(Dataset(x[:, None], y=np.array([1.0, 1.0, 0.0])), [-1.0], loss="logistic").data)
    A = np.ones((1, 3), dtype=bool)
    assert lp.solve(A).separated.all()
    lp.kept_model.clearSolver()
    lp.kept_model.setOptionValue("simplex_iteration_limit", 0)
    monkeypatch.setattr(recession, "linprog", lambda *a, **kw: SimpleNamespace(status=4, x=None, message="planted"))
    with pytest.raises(RecessionLPFailed, match=r"^HiGHS failed on the recession LP \(warm-started primal simplex: "
                                                r"Iteration limit reached; highs-ds: planted; highs-ipm: planted; "
                                                r"highs-ds with Dantzig pricing: planted\)$"):
        lp.solve(A)


@pytest.mark.parametrize("v", [1e3, 1e-3])
def test_least_squares_multipliers_count_as_non_negative_down_to_the_tolerance_times_the_gradient_scale(v):
    """KKTChecker: a least-squares multiplier λ ≥ −NEGATIVE_RTOL × (gradient scale) is used and
    reported as the dual residual −λ / scale; a more negative one sends the unit to NNLS (λ = 0,
    its gradient left as stationarity residual). One unit w = (1, −1) on x = 0, 1, 2, 3 (x̄ =
    (x, 1)) with the single tight constraint x = 1, and labels fitted exactly except there, so
    ∂F/∂w = λ x̄_1/‖x̄_1‖ with λ chosen; output weights 1e3 and 1e-3 put the scale far above and
    below 1. The compiled certificate (RegionKernel.residuals) gives the same residuals."""
    from zonocomb.convex.backends import RegionData
    from zonocomb.convex.kkt import NEGATIVE_RTOL
    x = np.array([0.0, 1.0, 2.0, 3.0])
    Xbar = np.column_stack([x, np.ones(4)])
    A, W = (x >= 1.0)[None, :], np.array([[1.0, -1.0]])
    fitted = v * A[0] * (x - 1.0)                                  # ŷ, 0 at x = 1
    scale = KKTChecker(RegionData(Xbar, fitted, np.array([v]), "mse", False)).scale
    assert not 1e-3 < scale < 1e3
    for k in (0.5, 2.0):
        lam = -k * NEGATIVE_RTOL * scale
        y = fitted.copy()
        y[1] = -lam / (v * np.sqrt(2.0) / 2.0)           # ∂F/∂w = v (2/N)(ŷ_1 − y_1) x̄_1, λ its x̄_1/‖x̄_1‖ part
        data = RegionData(Xbar, y, np.array([v]), "mse", False)
        for res in (KKTChecker(data).residuals(A, W, 0.0), RegionKernel(data).residuals(A, W, 0.0)):
            if k < 1.0:
                assert res.dual == pytest.approx(k * NEGATIVE_RTOL, rel=1e-6, abs=0.0) and res.stationarity <= 1e-20
            else:
                assert res.dual == 0.0 and res.stationarity == pytest.approx(k * NEGATIVE_RTOL, rel=1e-6, abs=0.0)


def test_realising_weights_returns_weights_whose_margins_clear_each_examples_own_tolerance():
    """realising_weights steps only when some example's margin is at most TIGHT_SET_RTOL ‖w‖ ‖x_i‖,
    with that example's own norm: weights whose every margin clears its example's tolerance are
    returned unchanged, also when a small example's margin (1e-6 here, tolerance 2e-7) is below
    what the norm of the whole matrix (≈ 1414) would ask (2e-4)."""
    from zonocomb.convex.region import realising_weights
    X = np.array([[1.0, -1.0 + 1e-6], [1000.0, 1000.0]])
    w = np.array([1.0, 1.0])
    got = realising_weights(X, np.array([1.0, 1.0]), w)
    np.testing.assert_array_equal(got, w)
    assert got is not w


@pytest.mark.parametrize("loss, backend", [("mse", "fast"), ("l1", "fast"), ("mse", "cvxpy")])
def test_star_losses_are_float_arrays_on_every_path(loss, backend):
    """StarSolves.centre_loss and loss are ndarrays of float (class docstring), whether the
    compiled kernel did the stars or solve and sweep did (the l1 loss, the reference backend)."""
    from zonocomb.geometry.power import ZonotopePower
    ds, rng = _nearly_separable(5, N=10)
    ds = Dataset(ds.X_float, y=ds.y + rng.standard_normal(10))
    power = ZonotopePower(ds.zonotope(), 2)
    P = np.array([power.random_vertex(rng) for _ in range(2)])
    moves = [mv for A in P for mv in power.neighbor_moves(A)[:2]]
    out = RegionProgram(ds, [1.0, -1.0], loss=loss, backend=backend).solve_stars(P, moves, [2, 2])
    assert out.centre_loss.dtype == np.float64 and out.loss.dtype == np.float64
    assert out.loss.shape == (4,) and np.all(np.isfinite(out.loss))


# ------------------------------------------- paths no test reached (coverage of the suite, seed 23)
@pytest.mark.parametrize("loss, backend", [("l1", "fast"), ("mse", "cvxpy")])
def test_without_a_compiled_sweep_the_threads_stay_one(loss, backend):
    """RegionProgram.threads: 1 where there is no compiled sweep (the l1 loss, the reference
    backend), and setting it there changes nothing; with the kernel it is what was set."""
    ds, _ = _nearly_separable(1, N=8)
    prog = RegionProgram(ds, [1.0, -1.0], loss=loss, backend=backend)
    prog.threads = 3
    assert prog.threads == 1
    smooth = RegionProgram(ds, [1.0, -1.0])
    smooth.threads = 3
    assert smooth.threads == 3


@pytest.mark.parametrize("status, point", [(4, False), (1, True)])
def test_a_failed_l1_linear_program_is_named_with_highs_message(monkeypatch, status, point):
    """The l1 region program is one HiGHS LP; should HiGHS fail (no point, or a status other than
    optimal with a point, e.g. at an iteration limit), solve raises SolverError with HiGHS' own
    message: no answer is made up."""
    from types import SimpleNamespace
    from zonocomb.convex.backends import fast
    from zonocomb.errors import SolverError
    ds, rng = _nearly_separable(1, N=8)
    prog = RegionProgram(ds, [1.0, -1.0], loss="l1")
    monkeypatch.setattr(fast, "linprog", lambda cost, *a, **kw: SimpleNamespace(
        status=status, x=np.zeros(len(cost)) if point else None, message="planted"))
    with pytest.raises(SolverError, match=r"^HiGHS failed on the l1 region program: planted$"):
        prog.solve(_patterns(ds, 2, rng, 1)[0])


def test_a_backends_non_finite_answer_is_refused(monkeypatch):
    """RegionProgram never returns a non-finite solution: a backend answer with NaN weights raises
    SolverError naming the backend and the status it claimed."""
    from zonocomb.convex.backends import BackendResult, SolveStatus
    from zonocomb.errors import SolverError
    ds, rng = _nearly_separable(1, N=8)
    prog = RegionProgram(ds, [1.0, -1.0])
    monkeypatch.setattr(FastBackend, "solve", lambda self, pattern, warm_start=None: BackendResult(
        W=np.full((2, 3), np.nan), c=0.0, status=SolveStatus.OPTIMAL, n_iter=1))
    with pytest.raises(SolverError, match=r"^backend 'fast' returned a non-finite or malformed solution "
                                          r"\(status 'optimal'\)$"):
        prog.solve(_patterns(ds, 2, rng, 1)[0])


def test_a_pickled_recession_lp_rebuilds_its_kept_model_and_finds_the_same_sets():
    """A RecessionLP (inside a logistic program sent to a worker process) pickles without its
    HiGHS model, which is rebuilt on the next solve: the separated sets are those of the
    original."""
    import pickle
    ds, rng = _nearly_separable(1)
    lp = _recession_lp(ds, [1.0, -1.0])
    patterns = _patterns(ds, 2, rng, 6)
    before = [lp.solve(A).separated for A in patterns]
    assert lp.kept_model is not None
    copy = pickle.loads(pickle.dumps(lp))
    assert copy.kept_model is None
    for A, I in zip(patterns, before):
        np.testing.assert_array_equal(copy.solve(A).separated, I)
    assert any(I.any() for I in before) and not all(I.all() for I in before)


def test_the_cone_projection_without_daqp_is_the_same_projection(monkeypatch):
    """_project_onto_cone: the Euclidean projection of w onto {x : Nx ≥ 0}; should DAQP fail, NNLS
    on the polar cone (Moreau) gives the same point: feasible, and w minus it in the polar cone."""
    import daqp
    from zonocomb.convex.backends import recession
    rng = np.random.default_rng(7)
    cases = [(rng.standard_normal(3), rng.standard_normal((6, 3))) for _ in range(10)]
    direct = [recession._project_onto_cone(w, normals) for w, normals in cases]
    monkeypatch.setattr(daqp, "solve", lambda *a, **kw: (None, None, -1, None))
    for (w, normals), x in zip(cases, direct):
        y = recession._project_onto_cone(w, normals)
        np.testing.assert_allclose(y, x, atol=1e-9)
        assert np.all(normals @ y >= -1e-9)


def test_a_support_longer_than_n_is_not_used_by_either_certificate():
    """KKTChecker.residuals and the compiled RegionKernel.residuals use a given support only when it
    has at most n entries (n constraints determine the multipliers); a longer one is ignored: the
    residuals are those without it (NNLS decides the unit at zero)."""
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    checker, kernel = KKTChecker(prog.data), prog.kernel
    W = np.zeros((2, prog.n))
    for A in _patterns(ds, 2, rng, 3):
        long = {0: list(range(prog.n + 1))}
        assert checker.residuals(A, W, 0.3, supports=long) == checker.residuals(A, W, 0.3)
        assert kernel.residuals(A, W, 0.3, supports=long) == kernel.residuals(A, W, 0.3)


# ------------------------------------------------------- contracts found by the seed-23 sample
def test_a_logistic_warm_start_worse_than_the_best_constant_is_dropped(monkeypatch):
    """Logistic starts (fast backend): a warm start whose objective exceeds that of the cold start
    (W = 0 with the best constant c = logit(ȳ)) is dropped, and the kernel starts cold (W0 None);
    one not above it is used. Warm starts W = 0 with c = logit(ȳ) + 1/4 (worse: dropped) and
    c = logit(ȳ) (the cold start's objective exactly: used)."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A = next(A for A in _patterns(ds, 2, rng, 20) if prog.solve(A).status == "optimal")
    ybar = float(np.mean(ds.y))
    best = float(np.log(ybar / (1.0 - ybar)))
    runs = _record_kernel_runs(monkeypatch)
    for c, expected in ((best + 0.25, None), (best, best)):
        runs.clear()
        prog.solve(A, warm_start=(np.zeros((2, 3)), c))
        assert (None if runs[0].W0 is None else float(runs[0].c0)) == expected, c


def test_the_rescaling_band_is_closed_at_both_ends():
    """Labels (MSE), output weights and columns whose largest magnitude lies in [1/SCALE_BAND,
    SCALE_BAND] (= [1/16, 16], ends included) reach the solver unscaled (prog.solver.data equals
    prog.data); one ulp beyond an end they are brought into (1/2, 1] by a power of two (16 + 1 ulp
    to 1/2 + 1 ulp, not to 1 + 2 ulp)."""
    from zonocomb.convex.region import SCALE_BAND
    x = np.array([[0.25], [0.5], [1.0]])
    for edge in (SCALE_BAND, 1.0 / SCALE_BAND):
        prog = RegionProgram(Dataset(x, y=np.array([0.5, -1.0, edge])), [edge, 1.0])
        np.testing.assert_array_equal(prog.solver.data.y, prog.data.y)
        np.testing.assert_array_equal(prog.solver.data.v, prog.data.v)
        prog = RegionProgram(Dataset(x * edge, y=np.array([0.5, -1.0, 1.0])), [1.0])
        np.testing.assert_array_equal(prog.solver.data.Xbar, prog.data.Xbar)
    beyond = np.nextafter(SCALE_BAND, np.inf)
    prog = RegionProgram(Dataset(x, y=np.array([0.5, -1.0, beyond])), [beyond])
    assert 0.5 < prog.solver.data.y.max() <= 1.0 and 0.5 < prog.solver.data.v[0] <= 1.0


def test_labels_are_returned_as_floats():
    """check_labels returns the labels it validated as a float array (integer labels included),
    as RegionProblem and the searches use them."""
    from zonocomb.convex.losses import check_labels
    for loss in ("mse", "logistic", "l1"):
        got = check_labels(loss, [0, 1, 1])
        assert got.dtype == np.float64 and got.tolist() == [0.0, 1.0, 1.0]


def test_a_warm_start_of_exact_fractions_is_taken_as_its_floats():
    """A warm start (W, c) is array-like: exact Fraction weights (the exact paths' type) give the
    solve from their float values, not an error."""
    from fractions import Fraction
    ds, rng = _nearly_separable(2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A, B = _patterns(ds, 2, rng, 2)
    near = prog.solve(B)
    exact = [[Fraction(float(w)) for w in row] for row in near.W]
    got = prog.solve(A, warm_start=(exact, Fraction(near.c)))
    again = prog.solve(A, warm_start=(near.W, near.c))
    assert (got.loss, got.n_iter) == (again.loss, again.n_iter)
    np.testing.assert_array_equal(got.W, again.W)


def _median_bounded_sweep(label_scale=1.0):
    """The MSE program of :func:`_vertex_with_moves` (a fresh one, labels times ``label_scale``),
    the vertex, its moves, its optimum, and as bound the median loss of its neighbours (after one
    full sweep), or just below the vertex's loss when that median is the vertex's own (screened
    neighbours, and solved ones equal to it up to rounding, fill the middle)."""
    prog, A, moves = _vertex_with_moves()
    ds = prog.dataset
    prog = RegionProgram(Dataset(ds.X_float, y=label_scale * ds.y), [1.0, -1.0])
    base = prog.solve(A)
    median = float(np.median(prog.sweep(A, moves, base).loss))
    return prog, A, moves, base, min(median, base.loss * (1.0 - 1e-9))


def test_a_sweep_counts_the_neighbours_it_did_not_abandon():
    """RegionProgram.n_solves counts the region programs solved: a sweep adds one per neighbour
    solved or screened, none for one abandoned by ``bound`` (status "bounded", never solved)."""
    prog, A, moves, base, bound = _median_bounded_sweep()
    before = prog.n_solves
    sweep = prog.sweep(A, moves, base, bound=bound)
    bounded = sweep.status.count("bounded")
    assert 0 < bounded < len(moves)
    assert prog.n_solves - before == len(moves) - bounded


def test_the_attained_part_is_minimised_first_from_the_start_of_lower_attained_objective(monkeypatch):
    """FastBackend._minimise on F_I (the examples outside the separated set I): the kernel starts
    from the warm start or from the cold start (W = 0, c = logit of the kept labels' mean),
    whichever has the lower F_I. The warm start here is W = 0, c = logit(ȳ) (all labels) moved
    along the region's recession direction θ* (τ = 5): F is below the cold start's F (I's losses
    nearly vanish), so it is kept for the first run on F, which runs away; but on F_I it is worse
    than the cold start (the kept labels' mean 0.375 differs from ȳ = 0.45), so the run on F_I
    starts cold."""
    ds, rng = _nearly_separable(1)
    prog = RegionProgram(ds, [1.0, -1.0], loss="logistic")
    A, _ = _unattained_answers(prog, ds, rng)[0]
    rec = RecessionLP(prog.data).solve(A)
    assert rec.separated.any() and not rec.separated.all()
    assert np.mean(ds.y[~rec.separated]) != np.mean(ds.y)
    ybar = float(np.mean(ds.y))
    start = (5.0 * np.array(rec.W), float(np.log(ybar / (1.0 - ybar))) + 5.0 * rec.c)
    runs = _record_kernel_runs(monkeypatch)
    sol = RegionProgram(ds, [1.0, -1.0], loss="logistic").solve(A, warm_start=start)
    assert sol.status == "optimal_unattained"
    assert (runs[0].kept, runs[0].W0 is None) == (False, False)
    assert [run.W0 is None for run in runs if run.kept][:1] == [True]


# ------------------------------------------------------- contracts found by the seed-24 sample
@pytest.mark.parametrize("label_scale", [1.0, 100.0])
def test_screened_and_abandoned_neighbours_have_the_vertexs_loss_as_lower_bound(label_scale):
    """NeighbourSweep.lower_bound: the loss itself for a solved neighbour, the vertex's loss for a
    screened or abandoned ("bounded") one, exactly; a screened one's loss is the vertex's loss,
    exactly, also when the labels are rescaled for the solver (times 100: by 2^-7)."""
    prog, A, moves, base, bound = _median_bounded_sweep(label_scale)
    sweep = prog.sweep(A, moves, base, bound=bound)
    status = np.array(sweep.status)
    assert {"screened", "bounded"} <= set(sweep.status)
    assert np.all(sweep.lower_bound[(status == "screened") | (status == "bounded")] == base.loss)
    assert np.all(sweep.loss[status == "screened"] == base.loss)
    solved = (status != "screened") & (status != "bounded")
    np.testing.assert_array_equal(sweep.lower_bound[solved], sweep.loss[solved])


def test_a_given_support_of_exactly_n_constraints_decides_a_zero_units_multipliers():
    """KKTChecker.residuals: for a unit with w_u = 0 a given support of at most n constraints (here
    exactly n = 2) gives the multipliers by least squares over it, small negative ones (down to
    −NEGATIVE_RTOL × scale) reported as the dual residual; without it NNLS over all N constraints
    decides (dual 0). One unit at W = 0 on x = 1, 2, −1, −2 (x̄ = (x, 1)), active on x > 0, labels
    putting ∂F/∂w on the two active normals with multipliers −½ NEGATIVE_RTOL × scale and about
    1.1 (the small one is computed to a few parts in 1e3: the normal equations' rounding at the
    large one's size). The compiled certificate agrees."""
    from zonocomb.convex.backends import RegionData
    from zonocomb.convex.kkt import NEGATIVE_RTOL
    x = np.array([1.0, 2.0, -1.0, -2.0])
    Xbar = np.column_stack([x, np.ones(4)])
    A, W = (x > 0)[None, :], np.zeros((1, 2))
    y = np.array([0.0, -1.0, 0.0, 0.0])
    scale = KKTChecker(RegionData(Xbar, y, np.ones(1), "mse", False)).scale
    y[0] = NEGATIVE_RTOL * scale / np.linalg.norm(Xbar[0])      # λ_0 = (2/N)(ŷ_0 − y_0) ‖x̄_0‖ = −½ tol
    data = RegionData(Xbar, y, np.ones(1), "mse", False)
    for certificate in (KKTChecker(data).residuals, RegionKernel(data).residuals):
        given = certificate(A, W, 0.0, supports={0: [0, 1]})
        assert given.dual == pytest.approx(0.5 * NEGATIVE_RTOL, rel=0.05, abs=0.0) and given.stationarity <= 1e-15
        assert certificate(A, W, 0.0).dual == 0.0


# ------------------------------------------------------- contracts found by the seed-25 sample
def test_packed_moves_accept_every_example_index_from_0_to_n_minus_1():
    """PackedMoves.pack: a move's flipped examples are any distinct indices in 0..N−1, the first
    and the last included, kept in the order given; −1 and N are refused, and the error names the
    first bad move, after good ones that flip examples 0 and N − 1."""
    from zonocomb.convex.backends.kernel import PackedMoves
    from zonocomb.errors import InvalidInputError
    N = 5
    moves = [(0, [0]), (1, [N - 1, 0]), (1, list(range(N)))]
    packed = PackedMoves.pack(moves, 2, N)
    assert [(int(packed.units[j]), packed.flipped(j).tolist()) for j in range(len(moves))] == moves
    for bad in (-1, N):
        with pytest.raises(InvalidInputError, match=rf"^move \(1, \({bad},\)\) is not a unit of 2 "):
            PackedMoves.pack(moves + [(1, [bad])], 2, N)


def test_a_backend_sweep_returns_the_neighbours_optima_only_on_request():
    """FastBackend.sweep (SweepOutcome.W, c and row: "only on request"): without ``solutions`` the
    outcome carries no optima; with it, one (m, n) matrix and one bias per solved or screened
    neighbour, in the row ``row`` names."""
    prog, A, moves = _vertex_with_moves()              # (data in [1/16, 16]: the solver's own scale)
    base = prog.solve(A)
    plain = prog.solver.sweep(A, moves, (base.W, base.c), base.loss)
    assert plain.W is None and plain.c is None and plain.row is None
    full = prog.solver.sweep(A, moves, (base.W, base.c), base.loss, solutions=True)
    has = np.isin(full.status, ["solved", "screened"])
    assert sorted(full.row[has].tolist()) == list(range(int(has.sum()))) and np.all(full.row[~has] == -1)
    assert full.W.shape == (int(has.sum()), 2, prog.n) and full.c.shape == (int(has.sum()),)
    np.testing.assert_array_equal(full.loss, plain.loss)


def test_non_vertex_units_take_weights_of_fractions_as_their_floats():
    """RegionProgram.non_vertex_units(W=...): weights of Fractions (the exact paths' type) are taken
    as their floats, with the same answer; here with one unit moved onto a pattern that is not a
    vertex, so that both a witness and a failing unit are exercised."""
    from fractions import Fraction
    prog, A, _ = _vertex_with_moves()
    base = prog.solve(A)
    exact = [[Fraction(float(x)) for x in row] for row in base.W]
    assert prog.non_vertex_units(A, W=exact) == prog.non_vertex_units(A, W=base.W) == []
    B = A.copy()
    B[1] = ~B[0]
    B[1, :2] = B[0, :2]                                     # agrees with ¬A_0 but on two examples
    want = prog.non_vertex_units(B, W=base.W)
    assert want == [1]                                      # (unit 0 keeps its vertex A_0)
    assert prog.non_vertex_units(B, W=exact) == want


def test_a_units_remembered_support_is_offered_whenever_its_own_row_recurs(monkeypatch):
    """RegionKernel.CACHE_SIZE: the certificate support of a unit at the apex is remembered per
    (unit, barcode) — that unit's own row of the pattern — and offered to the kernel as its NNLS
    starting set in a later solve whose row of that unit is the same, whatever the other units'
    rows are (here unit 0's row changes, unit 1's does not)."""
    from types import SimpleNamespace
    from zonocomb.convex.backends import kernel as kernel_module
    prog, _, _ = _vertex_with_moves()
    rng = np.random.default_rng(3)
    K = RegionKernel(prog.data)
    P = next(P for P in _patterns(prog.dataset, 2, rng, 40) if K.solve(P).supports.get(1, np.empty(0)).size)
    K = RegionKernel(prog.data)
    remembered = K.solve(P).supports[1]
    real = kernel_module._region_kernel
    offered = []

    def solve(*args):
        offered.append((args[5].copy(), args[6].copy()))        # hints, nhints
        return real.solve(*args)

    monkeypatch.setattr(kernel_module, "_region_kernel", SimpleNamespace(
        **{name: getattr(real, name) for name in dir(real) if not name.startswith("__") and name != "solve"},
        solve=solve))
    Q = P.copy()
    Q[0] = next(R[0] for R in _patterns(prog.dataset, 2, rng, 40) if not np.array_equal(R[0], P[0]))
    K.solve(Q)
    hints, nhints = offered[0]
    assert nhints[1] == remembered.size and np.array_equal(hints[1, :remembered.size], remembered)


# ------------------------------------------------------- contracts found by the seed-26 sample
def test_a_separable_regions_answer_lies_on_the_separating_iterates_ray(monkeypatch):
    """Fast backend, module docstring: when an iterate separates every example (Separable) the
    answer is θ_I + τθ* with θ_I = 0, i.e. τ times that iterate (W and c alike), τ the least giving
    every example the margin UNATTAINED_MARGIN."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 2))
    ds = Dataset(X, y=(X[:, 0] + 0.5 * X[:, 1] > 0).astype(float))      # separable labels
    caught, real = [], RegionKernel.solve

    def solve(self, *args, **kwargs):
        try:
            return real(self, *args, **kwargs)
        except Separable as sep:
            caught.append((np.array(sep.W), float(sep.c)))
            raise

    monkeypatch.setattr(RegionKernel, "solve", solve)
    seen = 0
    for A in _patterns(ds, 2, rng, 20):
        caught.clear()
        sol = RegionProgram(ds, [1.0, -1.0], loss="logistic").solve(A)   # (data in [1/16, 16])
        if caught:
            Wd, cd = caught[-1]
            tau = sol.c / cd
            assert sol.status == "optimal_unattained" and tau > 0
            np.testing.assert_allclose(sol.W, tau * Wd, rtol=1e-12, atol=0)
            yhat = (A * np.array([1.0, -1.0])[:, None] * (sol.W @ ds.generators_float.T)).sum(axis=0) + sol.c
            assert float(np.min((2 * ds.y - 1) * yhat)) == pytest.approx(FastBackend.UNATTAINED_MARGIN, rel=1e-12)
            seen += 1
    assert seen >= 2


def test_an_mse_solve_starts_the_kernel_from_the_warm_start_first(monkeypatch):
    """FastBackend (module docstring): the kernel is warm-started from the neighbouring pattern's
    optimum when one is given, and from W = 0 only should that fail. From a pattern's own optimum
    the kernel's first (and only) run starts there."""
    prog, A, _ = _vertex_with_moves()
    base = prog.solve(A)
    runs = _record_kernel_runs(monkeypatch)
    again = prog.solve(A, warm_start=base)
    assert len(runs) == 1 and runs[0].W0 is not None
    np.testing.assert_array_equal(runs[0].W0, base.W)
    assert again.loss == pytest.approx(base.loss, rel=1e-12)
