"""Search algorithms (paper §2 Algorithm 1, §4.2, §4.3 Algorithm 2, appendix G) on tiny instances.

Independent evidence: exact ERM is compared with a brute force over all 2^{mN} patterns whose
feasibility is decided by an exact margin LP written here (not the zonotope code); every other
method must report a loss no lower than the exact optimum; reported losses are re-evaluated from
the returned weights.
"""
from __future__ import annotations

import itertools
import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from joblib import parallel_config

from zonocomb import Dataset
from zonocomb.convex.region import RegionProgram
from zonocomb.datasets.synthetic import synthetic
from zonocomb.errors import InvalidInputError, InvalidTypeError, TooLargeError
from zonocomb.exact import solve_lp
from zonocomb.search import SearchResult, exact_erm, gls, gradient_descent, mgls, random_vertex
from zonocomb.convex.losses import mean_loss
from zonocomb.search import half_output_weights
from zonocomb.search.exact_erm import count_vertex_multisets

gls_module = sys.modules["zonocomb.search.gls"]


def feasible_barcode(dataset: Dataset, barcode) -> bool:
    """Exact LP: is there w with (2b_i − 1) w·x̄_i > 0 for all i?  max t s.t. s_i w·x̄_i ≥ t,
    |w_k| ≤ 1, t ≤ 1; feasible iff the optimum is positive."""
    n = dataset.n
    rows = [[0] + [(1 if b else -1) * x for x in g] + [-1]
            for b, g in zip(barcode, dataset.generators_exact)]
    rows.append([1] + [0] * n + [-1])
    for k in range(n):
        for s in (1, -1):
            rows.append([1] + [s if j == k else 0 for j in range(n)] + [0])
    res = solve_lp(rows, [0] * (n + 1) + [1])
    return res.status == "optimal" and res.value > 0


def brute_force_vertices(dataset: Dataset):
    return [b for b in itertools.product((0, 1), repeat=dataset.N) if feasible_barcode(dataset, b)]


def brute_force_optimum(dataset: Dataset, v, loss="mse", fit_bias=True):
    """min over all feasible (m, N) patterns (ordered tuples of feasible rows) of program (3)."""
    rows = [np.array(b, dtype=bool) for b in brute_force_vertices(dataset)]
    program = RegionProgram(dataset, np.asarray(v, dtype=float), loss=loss, fit_bias=fit_bias)
    return min(program.solve(np.stack(combo)).loss for combo in itertools.product(rows, repeat=len(v)))


def direct_loss(result: SearchResult, dataset: Dataset) -> float:
    return mean_loss(result.loss_name, result.predict(dataset.X_float), dataset.y)


def close(a, b):
    return abs(a - b) <= 1e-9 + 1e-6 * abs(b)


@pytest.fixture(scope="module")
def tiny():
    """6 Gaussian points in R^2 labelled by a 2-unit ReLU network (appendix H.1.1), N = 6."""
    return synthetic(2, 2, seed=3)


@pytest.fixture(scope="module")
def tiny5(tiny):
    return tiny.subset(range(5))


@pytest.fixture(scope="module")
def integer_data():
    """8 integer points in the plane, in general position, with labels from a step-like rule."""
    X = [[0, 0], [3, 1], [1, 4], [5, 3], [2, 7], [6, 6], [4, -2], [-3, 2]]
    y = [0, 1, 1, 2, 3, 4, 0, 1]
    return Dataset(X, y=y)


# ----- exact ERM ---------------------------------------------------------------------------------------
def test_zonotope_vertices_match_brute_force(tiny, integer_data):
    for ds in (tiny, integer_data):
        assert ds.zonotope().vertices() == brute_force_vertices(ds)


@pytest.mark.parametrize("v", [[1.0, -1.0], [1.0, 1.0]])
def test_exact_erm_equals_brute_force_m2(tiny5, v):
    res = exact_erm(tiny5, v, progress=False)
    assert close(res.loss, brute_force_optimum(tiny5, v))
    num_vertices = len(brute_force_vertices(tiny5))
    assert len(res.certificate) == res.n_solves == count_vertex_multisets(num_vertices, v)
    expected = num_vertices ** 2 if v[0] != v[1] else math.comb(num_vertices + 1, 2)
    assert len(res.certificate) == expected
    assert res.loss == min(res.certificate.values())


@pytest.mark.parametrize("loss", ["mse", "logistic", "l1"])
@pytest.mark.parametrize("fit_bias", [True, False])
def test_exact_erm_equals_brute_force_m1(integer_data, loss, fit_bias):
    ds = integer_data if loss != "logistic" else integer_data.with_labels(
        [int(t >= 2) for t in integer_data.y_exact])
    res = exact_erm(ds, [-1.0], loss=loss, fit_bias=fit_bias, progress=False)
    assert close(res.loss, brute_force_optimum(ds, [-1.0], loss=loss, fit_bias=fit_bias))
    assert close(direct_loss(res, ds), res.loss)
    if not fit_bias:
        assert res.c == 0.0


def test_exact_erm_solves_runs_of_one_unit_changes_by_sweeps(monkeypatch):
    # consecutive multisets that move one unit are swept from the run's first optimum (stars of
    # RegionProgram.solve_stars); every
    # certified loss must still be the pattern's own optimum (an independent cold solve), on data
    # with a repeated example and for MSE and logistic
    rng = np.random.default_rng(21)
    X = rng.standard_normal((7, 2))
    X[6] = X[2]
    calls = []
    real = RegionProgram.solve_stars

    def counting(self, patterns, moves, sizes):
        calls.extend(sizes)                      # the moves swept from each run's first optimum
        return real(self, patterns, moves, sizes)
    monkeypatch.setattr(RegionProgram, "solve_stars", counting)
    for loss, y in (("mse", rng.standard_normal(7)), ("logistic", (rng.random(7) < 0.5).astype(float))):
        ds = Dataset(X, y=y)
        v = np.array([1.0, 1.0])                  # one group: multisets of the 44 vertices of Z
        calls.clear()
        res = exact_erm(ds, v, loss=loss, n_jobs=1)
        assert calls and max(calls) > 1
        fresh = RegionProgram(ds, v, loss=loss)
        for key, value in res.certificate.items():
            assert close(value, fresh.solve(np.array(key, dtype=bool)).loss), (loss, key)
        assert res.loss == min(res.certificate.values())
        assert close(res.loss, fresh.objective(res.pattern, res.W, res.c))


def test_exact_erm_certificate_keys_are_vertex_tuples(tiny5):
    res = exact_erm(tiny5, [1.0, 1.0], progress=False)
    verts = set(brute_force_vertices(tiny5))
    for key in res.certificate:
        assert len(key) == 2 and all(b in verts for b in key)
    assert [tuple(int(x) for x in row) for row in res.pattern] in [list(k) for k in res.certificate]


def test_exact_erm_parallel_matches_sequential(tiny5):
    seq = exact_erm(tiny5, [1.0, -1.0], progress=False, chunk_size=50)
    with parallel_config(backend="threading"):
        par = exact_erm(tiny5, [1.0, -1.0], progress=False, n_jobs=2, chunk_size=50)
    assert par.certificate.keys() == seq.certificate.keys()
    assert all(close(par.certificate[k], seq.certificate[k]) for k in seq.certificate)
    assert close(par.loss, seq.loss)


def test_planted_network_is_recovered_with_zero_loss():
    """Labels from a network with v = (1, −1): its own pattern fits exactly, so the optimum is 0."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((5, 2))
    W = rng.standard_normal((2, 3))
    G = np.hstack([X, np.ones((5, 1))])
    y = np.maximum(G @ W.T, 0.0) @ np.array([1.0, -1.0]) + 0.3
    ds = Dataset(X, y=y)
    res = exact_erm(ds, [1.0, -1.0], progress=False)
    planted = tuple(tuple(int(b) for b in row) for row in (W @ ds.generators_float.T > 0))
    assert res.loss <= 1e-12 and res.certificate[planted] <= 1e-12
    start = np.array(planted, dtype=bool)
    assert gls(ds, 2, start=start).loss <= 1e-12 and mgls(ds, 2, start=start).n_steps == 0


@pytest.mark.slow
def test_exact_erm_runs_on_a_dask_cluster(tiny5):
    distributed = pytest.importorskip("dask.distributed")
    seq = exact_erm(tiny5, [1.0, 1.0], progress=False)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None):
        with parallel_config(backend="dask"):
            par = exact_erm(tiny5, [1.0, 1.0], progress=False, chunk_size=40)
    assert par.certificate.keys() == seq.certificate.keys() and close(par.loss, seq.loss)


def test_exact_erm_refuses_large_instances(tiny):
    with pytest.raises(TooLargeError, match=r"1024 convex programs"):
        exact_erm(tiny, [1.0, -1.0], max_patterns=1000, progress=False)


# ----- nobody beats the exact optimum; losses are what they say ------------------------------------------
@pytest.fixture(scope="module")
def tiny_runs(tiny5):
    v = half_output_weights(2)
    exact = exact_erm(tiny5, v, progress=False)
    runs = []
    for seed in range(3):
        runs += [gls(tiny5, 2, random_state=seed), mgls(tiny5, 2, random_state=seed),
                 random_vertex(tiny5, 2, mode="classification", random_state=seed),
                 gradient_descent(tiny5, 2, 300, lr=1e-2, train_output=False, random_state=seed)]
    return exact, runs


def test_no_method_beats_exact_erm(tiny_runs):
    exact, runs = tiny_runs
    for res in runs:
        assert res.loss >= exact.loss - 1e-9 - 1e-6 * exact.loss, res


def test_reported_loss_equals_direct_evaluation(tiny_runs, tiny5):
    exact, runs = tiny_runs
    for res in [exact] + runs:
        assert close(direct_loss(res, tiny5), res.loss), res


def test_local_search_traces_strictly_decrease(tiny_runs):
    _, runs = tiny_runs
    for res in runs:
        if res.method in ("gls", "mgls"):
            losses = [row["loss"] for row in res.trace]
            assert all(b < a for a, b in zip(losses, losses[1:]))
            assert len(res.trace) == res.n_steps + 1
            assert [row["step"] for row in res.trace] == list(range(res.n_steps + 1))
            solves = [row["n_solves"] for row in res.trace]
            assert solves == sorted(solves) and solves[-1] <= res.n_solves


def test_local_search_stops_at_a_local_minimum(tiny5):
    """At a reported local minimum no neighbour of Z^m is better (checked by solving them all)."""
    for method in (gls, mgls):
        res = method(tiny5, 2, random_state=5)
        if not res.info["local_minimum"]:
            continue
        program = RegionProgram(tiny5, res.v)
        Z = tiny5.zonotope()
        for u in range(2):
            for nb in Z.neighbors(tuple(int(b) for b in res.pattern[u])):
                A = res.pattern.copy()
                A[u] = nb
                assert program.solve(A).loss >= res.loss * (1 - 1e-6) - 1e-9


def test_local_search_and_random_vertex_on_larger_synthetic_data():
    ds = synthetic(4, 2, seed=0)
    for method in (gls, mgls):
        res = method(ds, 4, random_state=0)
        assert close(direct_loss(res, ds), res.loss)
        losses = [row["loss"] for row in res.trace]
        assert all(b < a for a, b in zip(losses, losses[1:]))
    res = random_vertex(ds, 8, random_state=0)
    assert close(direct_loss(res, ds), res.loss)
    losses = [row["loss"] for row in res.trace]
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_mgls_tries_tight_candidates_first(tiny):
    """Appendix G order: the all-tight-flipped pattern, then moves flipping a tight constraint."""
    search = gls_module._LocalSearch("mgls", tiny, 2, "mse", True, "fast", None, None,
                                     np.random.default_rng(0), 1e-9, None)
    tight = np.asarray(search.solution.tight)
    order = [A ^ search.pattern if kind == "patterns" else search.apply(A) ^ search.pattern
             for kind, items in gls_module._candidate_groups(search, np.random.default_rng(1)) for A in items]
    flipped_first = tight.any() and all(
        tiny.zonotope().is_vertex(tuple(int(b) for b in row)) for row in (search.pattern ^ tight))
    if flipped_first:
        assert np.array_equal(order[0], tight)
        order = order[1:]
    assert all(d.any(axis=1).sum() == 1 for d in order)  # the rest are moves of one unit
    flags = [bool((d & tight).any()) for d in order]
    assert flags == sorted(flags, reverse=True)  # all moves flipping a tight constraint come first
    assert len(order) == sum(len(tiny.zonotope().neighbors(tuple(int(b) for b in row)))
                             for row in search.pattern)


# ----- reproducibility -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", [gls, mgls])
def test_local_search_is_reproducible(tiny, method):
    a = method(tiny, 2, random_state=7)
    b = method(tiny, 2, random_state=np.random.default_rng(7))
    assert np.array_equal(a.pattern, b.pattern)
    assert [r["loss"] for r in a.trace] == [r["loss"] for r in b.trace]


def test_random_vertex_is_reproducible(tiny):
    a = random_vertex(tiny, 3, random_state=2)
    b = random_vertex(tiny, 3, random_state=2)
    assert np.array_equal(a.pattern, b.pattern) and np.array_equal(a.v, b.v) and a.loss == b.loss



def region_optimum_over_signs(dataset: Dataset, pattern) -> float:
    """Global optimum of the MSE over (W, v, c) in the closed region of ``pattern``: since (v_u, w_u) and
    (α v_u, w_u/α), α > 0, give the same network and the region is a cone, it is the minimum of the convex
    program (3) over the 2^m sign vectors v (v_u = 0 is covered by w_u = 0)."""
    return min(RegionProgram(dataset, np.array(s)).solve(pattern).loss
               for s in itertools.product((-1.0, 1.0), repeat=pattern.shape[0]))


def test_random_vertex_never_beats_the_region_optimum():
    for seed in range(3):
        ds = synthetic(2, 3, seed)
        res = random_vertex(ds, 3, random_state=seed)
        assert close(direct_loss(res, ds), res.loss)
        assert res.loss >= region_optimum_over_signs(ds, res.pattern) * (1 - 1e-6) - 1e-12


def test_random_vertex_revives_a_unit_silenced_by_its_initial_sign():
    """Appendix H.1.2 alternation, m = 1. If the returned network is constant (its unit is silent), the
    opposite sign was tried too, so the loss is the region optimum min over v = ±1. The minimum-norm least
    squares step (v_u = 0 for a zero feature column) failed this at synthetic(2, 2, seed=7)."""
    for seed in range(12):
        ds = synthetic(2, 2, seed)
        res = random_vertex(ds, 1, random_state=seed)
        best = region_optimum_over_signs(ds, res.pattern)
        assert res.loss >= best * (1 - 1e-6) - 1e-12
        if np.ptp(res.predict(ds.X_float)) < 1e-9:
            assert res.loss <= best * (1 + 1e-6) + 1e-12, seed


def test_random_vertex_sign_search_ends_at_a_local_minimum_over_signs():
    """With sign_search the convex step at the returned signs reproduces the loss, and no single sign flip
    (each checked by its own convex solve) does better; the search only adds steps to the alternation."""
    for seed in range(3):
        ds = synthetic(2, 3, seed)
        plain = random_vertex(ds, 3, random_state=seed)
        res = random_vertex(ds, 3, random_state=seed, sign_search=True)
        assert np.array_equal(res.pattern, plain.pattern) and res.loss <= plain.loss
        assert close(direct_loss(res, ds), res.loss)
        assert res.loss >= region_optimum_over_signs(ds, res.pattern) * (1 - 1e-6) - 1e-12
        signs = np.asarray(res.info["signs"])
        assert set(signs.tolist()) <= {-1.0, 1.0}
        assert close(RegionProgram(ds, signs).solve(res.pattern).loss, res.loss)
        for u in range(3):
            flipped = signs.copy()
            flipped[u] = -flipped[u]
            assert RegionProgram(ds, flipped).solve(res.pattern).loss >= res.loss * (1 - 1e-6) - 1e-12


def test_random_vertex_sign_search_rejects_bad_input(tiny):
    with pytest.raises(InvalidTypeError):
        random_vertex(tiny, 2, sign_search="yes")
    with pytest.raises(InvalidInputError):
        random_vertex(tiny.with_labels([0, 1] * 3), 2, loss="logistic", mode="classification",
                      sign_search=True)

def test_start_vertex_and_fixed_output_weights(tiny):
    start = np.array([tiny.zonotope().vertices()[0]] * 2, dtype=bool)
    res = gls(tiny, 2, start=start, v=[1.0, 1.0], max_steps=0)
    assert np.array_equal(res.pattern, start) and res.n_steps == 0
    assert res.loss == RegionProgram(tiny, np.array([1.0, 1.0])).solve(start).loss


# ----- bad input ---------------------------------------------------------------------------------------------
def test_bad_inputs(tiny):
    with pytest.raises(InvalidInputError, match="unknown loss"):
        gls(tiny, 2, loss="hinge")
    with pytest.raises(InvalidInputError, match="at least 1"):
        mgls(tiny, 0)
    with pytest.raises(InvalidTypeError):
        gls(tiny, 2.5)
    with pytest.raises(InvalidInputError, match=r"labels in \{0, 1\}"):
        mgls(tiny, 2, loss="logistic")
    with pytest.raises(InvalidInputError, match=r"labels in \{0, 1\}"):
        exact_erm(tiny, [1.0], loss="logistic", progress=False)
    with pytest.raises(InvalidInputError, match="length 3"):
        gls(tiny, 2, v=[1.0, 1.0, 1.0])
    with pytest.raises(InvalidInputError):
        gls(tiny, 2, start=np.zeros((3, tiny.N), dtype=bool))
    with pytest.raises(InvalidInputError, match="unknown mode"):
        random_vertex(tiny, 2, mode="regression")
    with pytest.raises(InvalidInputError, match="needs loss='mse'"):
        random_vertex(tiny.with_labels([0, 1] * 3), 2, loss="logistic")
    with pytest.raises(InvalidInputError, match="needs labels"):
        gls(Dataset(tiny.X_exact), 2)
    with pytest.raises(InvalidTypeError, match="Dataset"):
        mgls(np.zeros((4, 2)), 2)
    with pytest.raises(InvalidInputError, match="nan"):
        exact_erm(tiny, [float("nan")], progress=False)
    with pytest.raises(InvalidTypeError, match="random_state"):
        gls(tiny, 2, random_state="seed")


def test_non_vertex_start_is_rejected():
    ds = Dataset([[0], [1], [2]], y=[0, 1, 0])
    # activating the outer points but not the middle one is no halfspace pattern in R^1
    with pytest.raises(InvalidInputError, match="vertex"):
        gls(ds, 1, start=np.array([[True, False, True]]))


def test_search_result_predict_and_accuracy():
    res = SearchResult(loss=0.0, pattern=np.ones((1, 2), bool), W=np.array([[1.0, 0.0]]),
                       v=np.array([2.0]), c=-1.0, trace=[], n_solves=0, n_steps=0, seconds=0.0,
                       method="test")
    assert res.predict([[0.0], [1.0], [3.0]]).tolist() == [-1.0, 1.0, 5.0]
    assert res.accuracy([[0.0], [1.0]], [0, 1]) == 1.0
    with pytest.raises(InvalidInputError, match="shape"):
        res.predict([[1.0, 2.0]])
    with pytest.raises(InvalidInputError, match="labels in"):
        res.accuracy([[0.0]], [2])


def test_exact_fraction_inputs_give_same_optimum():
    """Data given as Fractions and as the equal floats yield the same exact-ERM optimum."""
    X = [[Fraction(1, 2), 0], [0, 1], [1, 1], [2, Fraction(-1, 4)], [Fraction(3, 2), 2]]
    y = [1, 0, 2, 1, 0]
    a = exact_erm(Dataset(X, y=y), [1.0], progress=False)
    b = exact_erm(Dataset([[float(v) for v in r] for r in X], y=y), [1.0], progress=False)
    assert a.certificate.keys() == b.certificate.keys() and close(a.loss, b.loss)


def test_searches_run_with_single_threaded_blas_and_restore_the_limits():
    from threadpoolctl import threadpool_info

    from zonocomb.search import exact_erm, gls, gradient_descent, mgls, random_vertex
    from zonocomb.search import single_threaded_blas

    before = [pool["num_threads"] for pool in threadpool_info()]
    inside = single_threaded_blas(lambda: [pool["num_threads"] for pool in threadpool_info()])()
    assert all(n == 1 for n in inside)
    assert [pool["num_threads"] for pool in threadpool_info()] == before
    for search in (exact_erm, gls, mgls, random_vertex, gradient_descent):
        assert search.__wrapped__.__name__ == search.__name__


def test_gls_move_rule_margin_floor_and_ties():
    """GLS's rule (gls_choice): the least improving neighbour, the first in move order among equal
    losses; an improvement must beat the margin max(rtol·L, atol); no move at the floor L ≤ atol."""
    from zonocomb.search.gls import gls_choice, gls_tolerances
    assert gls_choice(1.0, [0.7, 0.5, 0.5], 1e-9, 0.0) == 1               # first of the least
    assert gls_choice(1.0, [1.0 - 1e-10], 1e-9, 0.0) is None              # inside the relative margin
    assert gls_choice(1.0, [1.0 - 2e-9], 1e-9, 0.0) == 0
    assert gls_choice(1.0, [0.95], 0.0, 0.1) is None                      # inside the absolute margin
    assert gls_choice(1.0, [0.85, 0.95], 0.0, 0.1) == 0
    assert gls_choice(1e-14, [0.0], 1e-9, 1e-13) is None                  # at the floor
    assert gls_choice(1.0, [np.nan, 0.2, np.inf], 1e-9, 0.0) == 1         # unknown / abandoned: skipped
    assert gls_choice(1.0, [], 1e-9, 0.0) is None
    y = np.array([0.0, 2.0])
    assert gls_tolerances(y, "mse", True) == (1e-9, 1e-13 * 1.0)          # 1e-13 × the loss of W = 0
    with pytest.raises(InvalidInputError):
        gls_tolerances(y, "mse", True, rtol=-1.0)


def test_labels_whose_loss_overflows_get_a_clear_error():
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[1e300, 2e300, 0.0, 5e299])
    with pytest.raises(InvalidInputError, match="rescale the labels"):
        gls(ds, 1)


# ----- the callback and mGLS's flipped candidate (issue 14) -------------------------------------------------
@pytest.mark.parametrize("method", [gls, mgls])
def test_callback_sees_every_move_and_can_stop_the_search(method):
    rng = np.random.default_rng(5)
    ds = Dataset(rng.standard_normal((30, 2)), y=rng.standard_normal(30))
    seen = []
    full = method(ds, 3, random_state=11, callback=lambda r: seen.append(r) and False)
    assert [r.n_steps for r in seen] == list(range(1, full.n_steps + 1))
    assert [r.loss for r in seen] == [row["loss"] for row in full.trace[1:]]
    assert seen and np.array_equal(seen[-1].pattern, full.pattern)
    stopped = method(ds, 3, random_state=11, callback=lambda r: r.n_steps == 2)
    budget = method(ds, 3, random_state=11, max_steps=2)
    assert stopped.n_steps == 2 and not stopped.info["local_minimum"]
    assert np.array_equal(stopped.pattern, budget.pattern) and stopped.loss == budget.loss


def test_mgls_flipped_candidate_vertex_check_matches_brute_force(monkeypatch):
    """The flipped-candidate check (a witness of weights, checked exactly, else an LP) against
    the exact LP of feasible_barcode, on a grid (many collinear points: exact zeros)."""
    X = [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2]]
    ds = Dataset(X, y=np.random.default_rng(0).standard_normal(len(X)))
    vertices = set(brute_force_vertices(ds))
    rng = np.random.default_rng(1)
    witnessed = checked = 0
    for seed in range(25):
        search = gls_module._LocalSearch("mgls", ds, 3, "mse", True, "fast", None, None,
                                         np.random.default_rng(seed), 1e-9, None)
        tight = np.asarray(search.solution.tight)
        for T in [tight] + [tight & (rng.random(tight.shape) < 0.5) for _ in range(3)]:
            if not T.any():
                continue
            flipped = search.pattern ^ T
            expected = all(tuple(int(b) for b in flipped[u]) in vertices for u in np.flatnonzero(T.any(axis=1)))
            assert gls_module._rows_are_vertices(search, flipped, T) == expected
            checked += 1
            with monkeypatch.context() as patch:  # the witness alone, no LP
                patch.setattr(search.zonotope, "is_vertex", lambda barcode: False)
                witnessed += gls_module._rows_are_vertices(search, flipped, T)
    assert checked >= 25 and witnessed > 0


@pytest.mark.parametrize("method", [gls, mgls])
def test_max_time_stops_between_sweeps_at_the_current_vertex(method, monkeypatch):
    """A search out of time returns the vertex its walk had reached: a prefix of the unlimited walk."""
    rng = np.random.default_rng(8)
    ds = Dataset(rng.standard_normal((40, 2)), y=rng.standard_normal(40))
    full = method(ds, 3, random_state=2)
    assert full.info["stopped"] == "local_minimum" and full.n_steps >= 4
    same = method(ds, 3, random_state=2, max_time=1e9)
    assert np.array_equal(same.pattern, full.pattern) and same.info["stopped"] == "local_minimum"
    calls = {"n": 0}

    def clock_runs_out(self, expected=0.0):  # time is up at the 4th check
        calls["n"] += 1
        return calls["n"] >= 4

    monkeypatch.setattr(gls_module._LocalSearch, "out_of_time", clock_runs_out)
    cut = method(ds, 3, random_state=2, max_time=1.0)
    assert cut.info["stopped"] == "max_time" and not cut.info["local_minimum"]
    assert 0 < cut.n_steps < full.n_steps
    assert [row["loss"] for row in cut.trace] == [row["loss"] for row in full.trace[:cut.n_steps + 1]]
    with pytest.raises(InvalidInputError, match="max_time"):
        method(ds, 3, max_time=0)


@pytest.mark.parametrize("method, data, m", [("gls", (8, 8, 0), 16), ("mgls", (8, 16, 0), 16)])
def test_the_local_searches_cache_stays_small_and_changes_nothing(monkeypatch, method, data, m):
    """The cache keeps the patterns of the last CACHE_MOVES moves only: at most that many
    neighbourhoods (plus a visited vertex and mGLS's flipped pattern per move), while an unbounded
    cache (the oracle) grows with the moves; both searches make the same moves and the same
    solves."""
    module = sys.modules["zonocomb.search.gls"]
    search = {"gls": gls, "mgls": mgls}[method]
    ds = synthetic(*data)

    def run():
        sizes, degree = [], [0]
        forget = module._LocalSearch._forget_old

        def spy(self):
            forget(self)
            sizes.append(len(self._cache))
            degree[0] = max(degree[0], len(self.moves()))
        monkeypatch.setattr(module._LocalSearch, "_forget_old", spy)
        return search(ds, m, random_state=1), max(sizes), degree[0]

    bounded, size, degree = run()
    assert bounded.n_steps >= 30
    bound = (module.CACHE_MOVES + 1) * (degree + 2)
    assert size <= bound
    monkeypatch.setattr(module, "CACHE_MOVES", 10 ** 9)
    unbounded, size_unbounded, _ = run()
    assert size_unbounded > bound
    assert (bounded.n_steps, bounded.n_solves, bounded.loss) == (unbounded.n_steps, unbounded.n_solves, unbounded.loss)
    assert np.array_equal(bounded.pattern, unbounded.pattern)
