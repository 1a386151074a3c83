"""The float certificate that a logistic region's infimum is attained
(:mod:`zonocomb.convex.backends.attainment`), against an exact rational LP.

Independent evidence: the separated set I of each region from the exact LP of
``test_logistic_regions.exact_separated_set`` (cddlib, rationals: I ≠ ∅ exactly when the
infimum is not attained), and the Tucker pair (λ, μ) re-checked here, unit by unit, from the
data, the pattern and the answer.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from test_logistic_regions import exact_separated_set, nearly_separable
from test_sweep import moved, walk
from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends.attainment import AttainmentCheck
from zonocomb.convex.backends.kernel import KernelFailed
from zonocomb.convex.backends.recession import RecessionLP

V = [1.0, -1.0]


def kernel_answers(seed, count=40, fit_bias=True):
    """(pattern, W, c, exact I) for random regions of nearly separable data: the compiled kernel's
    KKT-certified answer from W = 0 without the recession tests (on an unattained region it walks
    out along the recession direction until the separated examples' weights vanish)."""
    ds, rng = nearly_separable(seed)
    prog = RegionProgram(ds, V, loss="logistic", fit_bias=fit_bias)
    kernel = prog.solver.kernel
    for _ in range(count):
        A = (rng.standard_normal((2, ds.n)) @ ds.generators_float.T) > 0
        try:
            res = kernel.solve(A)
        except KernelFailed:
            continue
        if kernel.residuals(A, res.W, res.c, res.supports).ok(1e-8):
            yield prog, A, res.W, res.c, exact_separated_set(ds, A, V, fit_bias)


@pytest.mark.parametrize("fit_bias", [True, False])
def test_no_region_with_a_recession_direction_is_certified_and_most_others_are(fit_bias):
    # At these KKT-certified answers the regions with I ≠ ∅ are exactly the ones the KKT residuals
    # cannot tell apart; the check must refuse every one of them, and certify nearly all the rest.
    refused = certified = attained = 0
    for seed in (1, 2, 3):
        for prog, A, W, c, I in kernel_answers(seed, fit_bias=fit_bias):
            ok = AttainmentCheck(prog.data).attained(A, W, c)
            if I.any():
                assert not ok, (seed, int(I.sum()))
                refused += 1
            else:
                attained += 1
                certified += ok
    assert refused >= 10 and attained >= 50
    assert certified >= 0.9 * attained, (certified, attained)


@pytest.mark.parametrize("tau", [1.0, 100.0])
def test_points_along_a_recession_direction_are_never_certified(tau):
    # θ* from the recession LP, then τθ* (margins up to 100 on I): the weights of I vanish in
    # floating point from τ ≈ 40 on, the raised weights do not.
    seen = 0
    for seed in (1, 2):
        for prog, A, W, c, I in kernel_answers(seed, count=20):
            if I.any():
                rec = RecessionLP(prog.data).solve(A)
                assert not AttainmentCheck(prog.data).attained(A, W + tau * rec.W, c + tau * rec.c)
                seen += 1
    assert seen >= 4


def test_a_certificate_is_a_tucker_pair_checked_unit_by_unit():
    # When attained: λ > 0, μ ≥ 0 only on constraints tight at the answer, and for every unit
    # Σ_i λ_i σ_i A_ui v_u x̄_i + Σ_i μ_ui s_ui x̄_i/‖x̄_i‖ = 0, and Σ_i λ_i σ_i = 0 (the bias), to
    # rounding: here with explicit loops over the examples.
    checked = 0
    for prog, A, W, c, I in kernel_answers(1):
        if I.any():
            continue
        ev = AttainmentCheck(prog.data).evidence(A, W, c)
        assert ev.attained
        X, y, v = prog.data.Xbar, prog.data.y, prog.data.v
        N, n = X.shape
        sigma = 2 * y - 1
        assert np.all(ev.weights > 0) and np.all(ev.multipliers >= 0)
        scale = float(np.max(np.abs(v))) * float(np.mean(np.linalg.norm(X, axis=1)))
        for u in range(2):
            total = np.zeros(n)
            for i in range(N):
                s = 1.0 if A[u, i] else -1.0
                total += ev.weights[i] * sigma[i] * A[u, i] * v[u] * X[i]
                total += ev.multipliers[u, i] * s * X[i] / np.linalg.norm(X[i])
                if ev.multipliers[u, i] > 0:
                    assert s * float(W[u] @ X[i]) <= 1e-9 * np.linalg.norm(W[u]) * np.linalg.norm(X[i])
            assert np.max(np.abs(total)) <= 1e-10 * scale
        assert abs(float(ev.weights @ sigma)) <= 1e-10 * scale
        checked += 1
    assert checked >= 10


def test_raised_weights_need_a_correction_that_is_bounded(monkeypatch):
    # With every weight raised to 1/N (the floor far above the gradient weights of the well
    # classified examples), the balance of the attained regions needs corrections larger than the
    # weights themselves (‖z‖ > 1): then nothing is certified, however small the residual.
    monkeypatch.setattr(AttainmentCheck, "WEIGHT_FLOOR", 1.0 / 20)
    outcomes = []
    for prog, A, W, c, I in kernel_answers(1):
        ev = AttainmentCheck(prog.data).evidence(A, W, c)
        assert ev.attained == (ev.correction <= 1.0 and ev.residual <= AttainmentCheck.RESIDUAL_RTOL)
        outcomes.append((ev.correction > 1.0, ev.attained))
    assert (True, False) in outcomes


def test_sweep_solutions_carry_the_regions_attainment():
    # RegionProgram.sweep(solutions=True), logistic: a neighbour is "optimal" only when its region
    # attains its infimum (exact I = ∅) and "optimal_unattained" only when it does not.
    # (a walk on which the compiled sweep alone mislabels some solved neighbours: 7 of 40 when
    # this test was written)
    ds, rng = nearly_separable(4)
    prog = RegionProgram(ds, V, loss="logistic")
    kinds = set()
    for A, moves in walk(ds, 2, 8, rng):
        sweep = prog.sweep(A, moves, prog.solve(A), solutions=True)
        for k, mv in enumerate(moves):
            if sweep.status[k] in ("optimal", "optimal_unattained"):
                I = exact_separated_set(ds, moved(A, mv), V)
                assert (sweep.status[k] == "optimal_unattained") == I.any(), (k, sweep.status[k])
                kinds.add(sweep.status[k])
    assert kinds == {"optimal", "optimal_unattained"}


def test_a_neighbour_sent_back_by_the_check_is_failed_in_the_outcome(monkeypatch):
    # FastBackend.sweep (SweepOutcome): with the check certifying nothing, every neighbour the
    # kernel solved comes back "failed", with loss NaN and lower bound −inf; the screened ones stay.
    from zonocomb.convex.backends.kernel import PackedMoves
    ds, rng = nearly_separable(4)
    prog = RegionProgram(ds, V, loss="logistic")                  # (v = ±1 and 0/1 labels: not rescaled)
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    packed = PackedMoves.pack(moves, 2, ds.N)
    plain = prog.solver.sweep(A, packed, (base.W, base.c), base.loss, solutions=True)
    monkeypatch.setattr(AttainmentCheck, "attained", lambda self, *args: False)
    refused = prog.solver.sweep(A, packed, (base.W, base.c), base.loss, solutions=True)
    solved = plain.status == "solved"
    assert solved.any() and not (refused.status == "solved").any()
    assert np.all(refused.status[solved] == "failed")
    assert np.all(np.isnan(refused.loss[solved])) and np.all(refused.lower_bound[solved] == -np.inf)
    np.testing.assert_array_equal(refused.status[~solved], plain.status[~solved])
    unpacked = prog.solver.sweep(A, moves, (base.W, base.c), base.loss, solutions=True)   # a plain list too
    np.testing.assert_array_equal(unpacked.status, refused.status)


def test_a_unit_at_rounding_level_counts_as_at_the_apex():
    # A unit of norm 1e-14 of the largest (inside its cone) is the apex w_u = 0 to rounding: all its
    # constraints may carry multipliers, and the certificate stands as at W with that unit at 0.
    rng = np.random.default_rng(5)
    ds, _ = nearly_separable(1)
    seen = 0
    for prog, A, W, c, I in kernel_answers(1):
        apex = np.flatnonzero(np.linalg.norm(W, axis=1) == 0.0)
        if I.any() or apex.size == 0 or not AttainmentCheck(prog.data).attained(A, W, c):
            continue
        u = int(apex[0])
        inside = np.linalg.lstsq(prog.data.Xbar, np.where(A[u], 1.0, -1.0) * rng.uniform(0.5, 1.0, ds.N),
                                 rcond=None)[0]
        if np.any(np.where(A[u], 1.0, -1.0) * (prog.data.Xbar @ inside) <= 0):
            continue                                                # (not strictly inside: try another)
        nudged = W.copy()
        nudged[u] = 1e-14 * np.linalg.norm(W, axis=1).max() * inside / np.linalg.norm(inside)
        assert AttainmentCheck(prog.data).attained(A, nudged, c)
        seen += 1
    assert seen >= 2


def test_with_weight_decay_every_compiled_solve_is_attained():
    # α ‖W‖² makes the logistic objective coercive: every infimum is attained, and what a compiled
    # sweep or stars call solves is "optimal", never "optimal_loss".
    ds, rng = nearly_separable(1)
    prog = RegionProgram(ds, V, loss="logistic", alpha=1e-3)
    plain = RegionProgram(ds, V, loss="logistic")
    for A, moves in walk(ds, 2, 2, rng):
        decayed = prog.sweep(A, moves, prog.solve(A))
        assert "optimal" in decayed.status and "optimal_loss" not in decayed.status
        assert "optimal_loss" in plain.sweep(A, moves, plain.solve(A)).status
        stars = prog.solve_stars(np.array([A]), moves, [len(moves)])
        assert "optimal_loss" not in stars.status + stars.centre_status


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_status_of_a_solve_is_the_exact_lps_verdict(data):
    # Hypothesis: small integer datasets (N = 5..12 points in the plane, any labels, both classes
    # present), two units, a random pattern that is a region (from integer weights): the fast
    # backend says "optimal_unattained" exactly when the exact LP finds I ≠ ∅, and "optimal" (or a
    # fallback, never silently) otherwise.
    N = data.draw(st.integers(5, 12), label="N")
    X = np.array(data.draw(st.lists(st.tuples(st.integers(-6, 6), st.integers(-6, 6)), min_size=N, max_size=N,
                                    unique=True), label="X"), dtype=float)
    y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=N, max_size=N), label="y"), dtype=float)
    assume(0 < y.sum() < N)
    W = np.array(data.draw(st.lists(st.integers(-5, 5), min_size=6, max_size=6), label="W"), dtype=float).reshape(2, 3)
    ds = Dataset(X, y=y)
    pre = W @ ds.generators_float.T
    assume(np.all(pre != 0))                                   # a full-dimensional region
    A = pre > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)            # (a fallback warns; status says so)
        sol = RegionProgram(ds, V, loss="logistic").solve(A)
    I = exact_separated_set(ds, A, V)
    if sol.status != "optimal_fallback":
        assert (sol.status == "optimal_unattained") == bool(I.any()), (sol.status, I.astype(int))


@pytest.mark.parametrize("fit_bias", [True, False])
@pytest.mark.parametrize("delta", [1e-1, 1e-3, 1e-4, 5e-5, 1e-6, 0.0])
def test_two_nearly_equal_examples_of_opposite_labels(delta, fit_bias):
    # x = 1 (label 0) and x = 1 + δ (label 1), one unit active on both: w = t(1, −1) separates the
    # second with margin t δ, so the infimum is not attained for every δ > 0 (certify_attainment,
    # exactly), and attained at δ = 0. The recession directions are shallow (margins δ per unit
    # length): the Tucker check cannot see them, the kernel's answer is long, and the length test
    # must send it to the recession LP.
    from zonocomb.certify import certify_attainment
    ds = Dataset([[1.0], [1.0 + delta]], y=[0, 1])
    exact = certify_attainment(ds, [[1, 1]], [1], fit_bias=fit_bias)
    assert exact.attained == (delta == 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)            # no fallback
        sol = RegionProgram(ds, [1.0], loss="logistic", fit_bias=fit_bias).solve(np.array([[True, True]]))
    assert (sol.status == "optimal") == exact.attained, sol.status
