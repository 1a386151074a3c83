"""Contracts of zonocomb/search that mutation testing (docs/testing.md) found unchecked: the
Metropolis rule and geometric cooling of simulated annealing, tabu search's tenure, aspiration and
tie rules, the trace rows of both, and SearchResult.accuracy.

The loops ``anneal`` and ``tabu`` run on a small explicit state graph instead of a region oracle:
states are bit masks, a move flips one bit (it undoes itself, as a move of one unit across one
facet does on Z^m), and every state has a given energy, so each rule can be checked exactly.
"""
from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pytest

from zonocomb.errors import InvalidInputError, InvalidTypeError
from zonocomb.search.annealing import anneal
from zonocomb.search.tabu import tabu


class BitGraph:
    """The oracle interface of the loops over states 0 .. 2^bits − 1; records the current state of
    every step (the state whose moves are asked for)."""

    def __init__(self, bits, energy):
        self.bits, self.energy, self.n_solves, self.visits = bits, energy, 0, []

    def solution(self, state, warm_start=None):
        self.n_solves += 1
        return SimpleNamespace(loss=self.energy[state])

    def moves(self, state):
        self.visits.append(state)
        return list(range(self.bits))

    def apply(self, state, move):
        return state ^ (1 << move)

    def neighbor_solutions(self, state, warm_start=None):
        return [self.solution(self.apply(state, mv)) for mv in range(self.bits)]


def _uphill_acceptance(visits):
    """On the two-state graph (energies 0 and d), the fraction of proposals made at state 0 that
    were accepted, over the given steps."""
    at0 = [k for k in range(len(visits) - 1) if visits[k] == 0]
    return sum(visits[k + 1] == 1 for k in at0) / len(at0), at0


def test_metropolis_accepts_an_uphill_move_with_probability_exp_minus_delta_over_t():
    """Constant temperature T = 1/2 and ΔL = ln 2 / 2: acceptance probability exp(−ΔL/T) = 1/2;
    downhill moves are always accepted."""
    g = BitGraph(1, {0: 0.0, 1: 0.5 * math.log(2)})
    anneal(g, 0, np.random.default_rng(0), 4000, 0.5, 1.0)
    rate, _ = _uphill_acceptance(g.visits)
    assert abs(rate - 0.5) < 0.05
    assert all(g.visits[k + 1] == 0 for k in range(len(g.visits) - 1) if g.visits[k] == 1)


def test_zero_temperature_accepts_equal_energies_and_rejects_every_rise():
    flat = BitGraph(1, {0: 1.0, 1: 1.0})
    _, _, _, accepted = anneal(flat, 0, np.random.default_rng(0), 50, 0.0, 1.0)
    assert accepted == 50 and flat.visits == [0, 1] * 25          # ΔL = 0 is accepted
    rise = BitGraph(1, {0: 0.0, 1: 0.25})
    best, best_sol, _, accepted = anneal(rise, 0, np.random.default_rng(0), 50, 0.0, 1.0)
    assert accepted == 0 and set(rise.visits) == {0} and best == 0 and best_sol.loss == 0.0


def test_temperature_falls_geometrically_from_t0():
    """T_k = t0·cooling^(k−1) at proposal k: with t0 = 1, cooling = 1/2 and ΔL = 1 an uphill move
    is accepted early on with probability e^−1, e^−2, ..., never once T is below 1e-6."""
    g = BitGraph(1, {0: 0.0, 1: 1.0})
    rng = np.random.default_rng(3)
    _, _, _, accepted = anneal(g, 0, rng, 400, 1.0, 0.5)
    late = [k for k in range(25, len(g.visits) - 1) if g.visits[k] == 0]
    assert late and not any(g.visits[k + 1] == 1 for k in late)
    # the first proposal is made at T = t0: accepted with probability e^−1 (600 seeds)
    first = [anneal(BitGraph(1, {0: 0.0, 1: 1.0}), 0, np.random.default_rng(s), 1, 1.0, 0.5)[3]
             for s in range(600)]
    assert abs(np.mean(first) - math.exp(-1)) < 0.06


def _check_trace(trace, steps, losses, wall):
    assert [set(r) for r in trace] == [{"step", "loss", "n_solves", "seconds"}] * len(trace)
    assert [r["step"] for r in trace] == list(range(1, steps + 1))
    assert [r["loss"] for r in trace] == losses
    n = [r["n_solves"] for r in trace]
    s = [r["seconds"] for r in trace]
    assert all(a <= b for a, b in zip(n, n[1:])) and all(0 <= a <= b for a, b in zip(s, s[1:]))
    assert s[-1] <= wall


def test_annealing_trace_rows_hold_the_best_loss_so_far():
    energy = {0: 3.0, 1: 1.0, 2: 2.0, 3: 0.5}
    g = BitGraph(2, energy)
    clock = time.perf_counter()
    best, best_sol, trace, _ = anneal(g, 0, np.random.default_rng(2), 40, 10.0, 0.9)
    wall = time.perf_counter() - clock
    best_so_far = np.minimum.accumulate([energy[s] for s in g.visits])
    # row k holds the best loss after proposal k; the state after the last proposal is unknown to
    # the recorder, so compare the first 39 rows and the final best
    assert [r["loss"] for r in trace[:-1]] == list(best_so_far[1:])
    assert best_sol.loss == trace[-1]["loss"] == energy[best]
    _check_trace(trace, 40, [r["loss"] for r in trace], wall)
    assert trace[-1]["n_solves"] == g.n_solves


# Tabu search on 3 bits. From 000: flip 0 → 001 (1) ties with flip 1 → 010 (1): the first move in
# order wins. From 001 every move is worse; flip 0 is tabu, flip 1 → 011 (2) is the best allowed.
# From 011: flip 0 → 010 and flip 1 → 001 are tabu (and not below the best, 1), flip 2 → 111 (3).
# From 111: flip 0 is still tabu (tenure ≥ 3) but → 110 (0) is below the best: aspiration.
TABU_ENERGY = {0b000: 5.0, 0b001: 1.0, 0b010: 1.0, 0b100: 9.0, 0b011: 2.0, 0b101: 9.0, 0b111: 3.0,
               0b110: 0.0}


def test_tabu_follows_tenure_aspiration_and_first_best_in_move_order():
    g = BitGraph(3, TABU_ENERGY)
    clock = time.perf_counter()
    best, best_sol, trace, steps = tabu(g, 0b000, 4, 7)
    wall = time.perf_counter() - clock
    assert g.visits == [0b000, 0b001, 0b011, 0b111]
    assert best == 0b110 and best_sol.loss == 0.0 and steps == 4
    _check_trace(trace, 4, [1.0, 1.0, 1.0, 0.0], wall)
    assert trace[-1]["n_solves"] == g.n_solves


@pytest.mark.parametrize("tenure,steps", [(1, 3), (2, 2), (7, 2)])
def test_a_move_stays_tabu_for_exactly_tenure_steps(tenure, steps):
    """2 bits: 00 → 01 (flip 0, step 1) → 11 (flip 1, the only allowed move, step 2); at step 3 flip
    0 (→ 10) is allowed again only if 1 + tenure < 3, and flip 1 back to 01 (the best, 0) does not
    aspire (not below the best). With no allowed move the search stops, reporting the steps made."""
    g = BitGraph(2, {0b00: 1.0, 0b01: 0.0, 0b10: 2.0, 0b11: 3.0})
    best, best_sol, trace, made = tabu(g, 0b00, 3, tenure)
    assert g.visits == [0b00, 0b01, 0b11]
    assert made == steps == len(trace) and best == 0b01 and best_sol.loss == 0.0


def test_accuracy_thresholds_the_logit_at_zero_and_checks_labels():
    """𝕀{f(x) > 0}: a logit of exactly 0 is class 0; y may be a column; errors name the sizes."""
    from zonocomb.search.result import SearchResult
    r = SearchResult(loss=0.0, pattern=np.ones((1, 3), bool), W=np.array([[1.0, 0.0]]), v=np.array([1.0]),
                     c=-1.0, trace=[], n_solves=0, n_steps=0, seconds=0.0, method="gls", homogenize=True,
                     loss_name="logistic", info={})
    X = np.array([[0.0], [1.0], [2.0]])                    # f = φ(x) − 1 = −1, 0, 1
    assert r.accuracy(X, [0, 0, 1]) == 1.0
    assert r.accuracy(X, np.array([[0], [0], [1]])) == 1.0
    assert r.accuracy(X, [False, True, True]) == pytest.approx(2 / 3)
    with pytest.raises(InvalidInputError, match=r"^y has 2 labels but X has 3 examples$"):
        r.accuracy(X, [0, 1])
    with pytest.raises(InvalidInputError, match=r"^accuracy needs labels in \{0, 1\}; label 1 \(0-based\) is 2.0$"):
        r.accuracy(X, [0, 2, 1])


@pytest.fixture(scope="module")
def small():
    from zonocomb.datasets import synthetic
    return synthetic(2, 2, 0)


@pytest.mark.parametrize("name", ["simulated_annealing", "tabu_search"])
def test_oracle_searches_pass_loss_bias_and_backend_through(small, name):
    """The loss, fit_bias and backend given reach the region programs and the result."""
    import zonocomb.search as search
    from zonocomb.convex import RegionProgram
    run = getattr(search, name)
    r = run(small, 2, max_steps=5, loss="l1", fit_bias=False, random_state=0)
    assert r.loss_name == "l1" and r.c == 0.0 and r.homogenize == small.homogenize
    assert r.pattern.dtype == bool and r.n_solves == r.trace[-1]["n_solves"] > 0
    program = RegionProgram(small, r.v, loss="l1", fit_bias=False)
    assert r.loss == pytest.approx(program.solve(r.pattern).loss, rel=1e-6, abs=1e-9)
    with pytest.raises(InvalidInputError, match="nope"):
        run(small, 2, max_steps=1, backend="nope")


@pytest.mark.parametrize("name", ["simulated_annealing", "tabu_search"])
def test_oracle_searches_check_m_and_the_oracle(small, name):
    import zonocomb.search as search
    from zonocomb.search import RegionOracle
    run = getattr(search, name)
    with pytest.raises(InvalidInputError, match=r"^m \(number of units\) must be at least 1, got 0$"):
        run(small, 0, max_steps=1)
    one = RegionOracle(small, [1.0])
    assert run(small, 1, max_steps=1, oracle=one).W.shape[0] == 1
    with pytest.raises(InvalidInputError, match=r"^the oracle has 1 units, not m = 2$"):
        run(small, 2, max_steps=1, oracle=one)
    with pytest.raises(InvalidInputError, match=r"^m \(number of units\) must be at least 1, got 0$"):
        run(small, 0, max_steps=1, oracle=one)
    with pytest.raises(InvalidInputError, match=r"^oracle must be a RegionOracle, got list$"):
        run(small, 1, max_steps=1, oracle=[])


def test_random_vertex_classification_reports_the_region_optimum_without_decay(small):
    """Without alpha the region program has no weight decay: the loss is the plain optimum."""
    from zonocomb.convex import RegionProgram
    from zonocomb.search import random_vertex
    r = random_vertex(small, 2, mode="classification", random_state=0)
    program = RegionProgram(small, r.v)
    assert r.loss == pytest.approx(program.solve(r.pattern).loss, rel=1e-9, abs=1e-12)
    assert r.loss == pytest.approx(program.network_loss(r.W, r.c), rel=1e-9, abs=1e-12)
    with pytest.raises(InvalidInputError, match=r"^m \(number of units\) must be at least 1, got 0$"):
        random_vertex(small, 0, mode="classification")


def test_gls_passes_fit_bias_and_decay_to_its_region_programs(small):
    from zonocomb.convex import RegionProgram
    from zonocomb.search import gls
    assert gls(small, 2, max_steps=3, fit_bias=False, random_state=0).c == 0.0
    r = gls(small, 2, max_steps=3, alpha=0.5, random_state=0)
    program = RegionProgram(small, r.v, alpha=0.5)
    assert r.loss == pytest.approx(program.objective(r.pattern, r.W, r.c), rel=1e-9)
    assert r.loss == pytest.approx(program.solve(r.pattern).loss, rel=1e-6)


def test_annealing_uses_the_given_output_weights_and_bias_free_data():
    from zonocomb import Dataset
    from zonocomb.search import simulated_annealing
    rng = np.random.default_rng(0)
    ds = Dataset(rng.standard_normal((8, 2)), y=rng.standard_normal(8), homogenize=False)
    r = simulated_annealing(ds, 2, max_steps=3, v=[1.0, 1.0], random_state=0)
    assert list(r.v) == [1.0, 1.0] and r.homogenize is False


def test_exact_erm_accepts_exactly_max_patterns():
    """max_patterns is the largest number of convex programs allowed (refused only above it)."""
    import re
    from zonocomb import Dataset
    from zonocomb.errors import TooLargeError
    from zonocomb.search import exact_erm
    # a repeated example: fewer vertices than the general-position bound, so the exact count decides
    ds = Dataset([[0], [0], [1], [2], [3]], y=[0, 1, 2, 0, 1])
    with pytest.raises(TooLargeError) as err:
        exact_erm(ds, [1.0, -1.0], max_patterns=1)
    count = int(re.search(r"solve (\d+) convex programs", str(err.value)).group(1))
    assert exact_erm(ds, [1.0, -1.0], max_patterns=count).n_solves == count


def test_gls_reports_why_it_stopped(small):
    """info["stopped"]: "max_steps" when the step budget ends the walk, "floor" when the loss is
    already within atol (labels all 0: W = 0 fits them exactly)."""
    from zonocomb import Dataset
    from zonocomb.search import gls, mgls
    assert gls(small, 2, max_steps=0, random_state=0).info["stopped"] == "max_steps"
    zero = Dataset(small.X_float, y=np.zeros(small.N))
    for search in (gls, mgls):
        r = search(zero, 2, random_state=0)
        assert r.info["stopped"] == "floor" and r.n_steps == 0


def test_batched_gradient_descent_traces_are_the_unbatched_ones(small):
    """Each run's trace rows, batched or not, have the keys of SearchResult.trace, no convex
    solves and seconds within the wall time; the batched run has the steps and losses of the
    unbatched one."""
    from zonocomb.search.gradient_descent import gradient_descent, gradient_descent_batch
    clock = time.perf_counter()
    batched = gradient_descent_batch([(small, 2, 0), (small, 3, 1)], 20, lr=0.05, trace_every=5)
    for (m, seed), r in zip([(2, 0), (3, 1)], batched):
        one = gradient_descent(small, m, 20, lr=0.05, random_state=seed, trace_every=5)
        wall = time.perf_counter() - clock
        for trace in (r.trace, one.trace):
            assert [set(row) for row in trace] == [{"step", "loss", "n_solves", "seconds"}] * len(trace)
            assert all(row["n_solves"] == 0 for row in trace)
            assert all(0 <= row["seconds"] <= wall for row in trace)
        assert [row["step"] for row in r.trace] == [row["step"] for row in one.trace]
        assert [row["loss"] for row in r.trace] == pytest.approx([row["loss"] for row in one.trace], rel=1e-9)


def test_oracle_neighbor_losses_are_the_neighbours_optima(small):
    """RegionOracle.neighbor_losses gives the losses neighbor_solutions would (solved or cached);
    with a bound, a neighbour is either solved or abandoned with status "bounded" and loss NaN."""
    from zonocomb.search import RegionOracle
    v = [1.0, -1.0]
    ref = RegionOracle(small, v)
    A = ref.random_vertex(0)
    moves = ref.moves(A)
    expected = [s.loss for s in ref.neighbor_solutions(A)]
    fresh = RegionOracle(small, v)
    losses, status = fresh.neighbor_losses(A)
    assert len(status) == len(moves) and np.allclose(losses, expected, rtol=1e-6, atol=1e-9)
    cached, cached_status = ref.neighbor_losses(A, moves=moves[:2], warm_start=ref.solution(A))
    assert np.allclose(cached, expected[:2], rtol=1e-9) and None not in cached_status
    low = min(expected)
    bounded, bstatus = RegionOracle(small, v).neighbor_losses(A, bound=low)
    for loss, st, exp in zip(bounded, bstatus, expected):
        assert (st == "bounded" and np.isnan(loss)) or loss == pytest.approx(exp, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("chunk_size", [None, 7, 1000])
def test_exact_erm_returns_the_first_least_loss_in_enumeration_order(chunk_size):
    """exact_erm's loss is the least certified optimum, its pattern the first in enumeration order
    that attains it: with labels 0 every region's optimum is 0 (W = 0, c = 0 fit exactly), so the
    answer is the first pattern enumerated; with labels of scale 10^3 the least loss lies in a
    later run of one-unit changes (chunk_size 1000: every run in one task)."""
    from zonocomb import Dataset
    from zonocomb.search import exact_erm
    X = np.random.default_rng(3).standard_normal((5, 1))
    for y in (np.zeros(5), 1000 * np.random.default_rng(4).standard_normal(5)):
        r = exact_erm(Dataset(X, y=y), [1.0, -1.0], n_jobs=1, chunk_size=chunk_size)
        keys, values = list(r.certificate), list(r.certificate.values())
        first = values.index(min(values))
        assert r.loss == values[first]
        assert np.array_equal(r.pattern, np.array(keys[first], dtype=bool))


# ----- RegionOracle: the vertex check, the moves, the cache (zonocomb/search/oracle.py) ---------------

@pytest.fixture(scope="module")
def line():
    """Five points on a line: the vertices of Z are the threshold patterns (a unit is active on
    the examples above or below a cut), so flipping one middle example is never an edge."""
    from zonocomb import Dataset
    return Dataset([[0.0], [1.0], [2.0], [3.0], [4.0]], y=[0.0, 1.0, 0.0, 2.0, 1.0])


def test_oracle_vertex_is_a_checked_bool_pattern(line):
    """RegionOracle.vertex returns an (m, N) bool array for any 0/1 input, refuses a bool array
    of another shape even when its rows are vertices, and names the problem."""
    from zonocomb.search import RegionOracle
    oracle = RegionOracle(line, [1.0, -1.0])
    A = oracle.random_vertex(0)
    for given in (A.astype(int), A.astype(int).tolist(), A):
        out = oracle.vertex(given)
        assert out.dtype == bool and np.array_equal(out, A)
    with pytest.raises(InvalidInputError, match="shape"):
        oracle.vertex(np.vstack([A, A[:1]]))                 # three rows, each a vertex of Z
    middle = A.copy()
    middle[0] = [False, False, True, False, False]           # not a threshold pattern
    with pytest.raises(InvalidInputError, match=r"^the pattern is not a vertex of Z\^m: some row is not the "
                                                r"activation pattern of any weight vector$"):
        oracle.vertex(middle)


def test_oracle_moves_must_be_edges_of_the_power(line):
    """A move names a unit 0 <= u < m and one parallel class; the flipped row must be a vertex of
    Z. Each violation is an InvalidInputError naming it (unit m is out of range, not an IndexError)."""
    from zonocomb.search import RegionOracle
    oracle = RegionOracle(line, [1.0, -1.0])
    A = np.array([[True] * 5, [False] * 5])
    with pytest.raises(InvalidInputError, match=r"^move \(2, \(0,\)\) is not an edge of Z\^m: it must move one "
                                                r"unit \(0 <= unit < m\) across one parallel class of examples$"):
        oracle.neighbor_solutions(A, [(2, (0,))])
    with pytest.raises(InvalidInputError, match=r"^move \(0, \(2,\)\) is not an edge of Z\^m at this vertex: "
                                                r"unit 0's new pattern is not a vertex of Z$"):
        oracle.neighbor_losses(A, [(0, (2,))])


def test_oracle_cache_is_least_recently_used_and_counts_hits(line):
    """cache_size bounds the cached solutions, the least recently used dropped first; n_hits counts
    every lookup answered from the cache; cache_size = 1 keeps the last vertex."""
    from zonocomb.search import RegionOracle
    oracle = RegionOracle(line, [1.0, -1.0], cache_size=2)
    A = np.array([[True] * 5, [False] * 5])
    B, C = oracle.neighbors(A)[:2]
    oracle.solution(A), oracle.solution(B), oracle.solution(A)   # A is now the most recent
    oracle.solution(C)                                           # drops B, not A
    assert oracle.n_solves == 3 and oracle.n_hits == 1
    oracle.solution(A), oracle.solution(C)
    assert oracle.n_solves == 3 and oracle.n_hits == 3
    oracle.solution(B)
    assert oracle.n_solves == 4
    one = RegionOracle(line, [1.0, -1.0], cache_size=1)
    one.solution(A), one.solution(A)
    assert one.n_solves == 1 and one.n_hits == 1
    with pytest.raises(InvalidInputError, match=r"^cache_size must be at least 0, got -1$"):
        RegionOracle(line, [1.0, -1.0], cache_size=-1)


def test_oracle_reuses_the_datasets_own_zonotope_only(line):
    """zonotope= accepts the dataset's zonotope (its caches are shared) and refuses anything else
    with an InvalidInputError, also an object that is not a zonotope at all."""
    from zonocomb.search import RegionOracle
    Z = line.zonotope()
    oracle = RegionOracle(line, [1.0], zonotope=Z)
    assert oracle.power.zonotope is Z
    from zonocomb import Dataset
    moved = Dataset([[0.0], [1.0], [2.0], [3.0], [5.0]], y=[0.0] * 5).zonotope()
    for other in (moved, object(), [1, 2]):
        with pytest.raises(InvalidInputError, match=r"^zonotope must be the dataset's zonotope \(same generators\)$"):
            RegionOracle(line, [1.0], zonotope=other)


class _TickingClock:
    """A stand-in for the time module whose perf_counter advances ``tick`` seconds at every
    reading: a time budget then depends on the code's own readings, not on the machine's load."""

    def __init__(self, tick=0.1):
        self.now, self.tick = 0.0, tick

    def perf_counter(self):
        self.now += self.tick
        return self.now


@pytest.mark.parametrize("max_time", [0.55, 0.95, 1.35])
def test_local_searches_keep_max_time_on_their_clock(monkeypatch, max_time):
    """GLS starts no step it expects, from the previous step's time, to end after the budget: with
    steps of equal length every row of its trace lies within max_time, and it stops no more than a
    step early. mGLS checks the budget before every sweep and stops only once it has passed."""
    import sys
    from zonocomb.datasets import synthetic
    local = sys.modules["zonocomb.search.gls"]
    ds = synthetic(2, 12, 0)                     # GLS takes 13 moves, mGLS 17, without a budget
    monkeypatch.setattr(local, "time", _TickingClock())
    r = local.gls(ds, 3, random_state=1, max_time=max_time)
    step = r.trace[-1]["seconds"] - r.trace[-2]["seconds"]
    assert r.info["stopped"] == "max_time" and r.n_steps >= 1
    assert all(row["seconds"] <= max_time for row in r.trace)
    assert r.trace[-1]["seconds"] + 2 * step > max_time
    monkeypatch.setattr(local, "time", _TickingClock())
    r = local.mgls(ds, 3, random_state=1, max_time=max_time)
    assert r.info["stopped"] == "max_time" and r.n_steps >= 1
    assert r.seconds >= max_time


@pytest.mark.parametrize("method", ["simulated_annealing", "tabu_search", "gradient_descent", "exact_erm"])
def test_run_in_rounds_refuses_searches_without_callback_and_time_budget(small, method):
    """Only GLS and mGLS (a move budget, a per-move callback and max_time) run in rounds; the
    other searches, including those with a move budget but no callback, are refused by name."""
    from zonocomb.search.rounds import run_in_rounds
    with pytest.raises(InvalidInputError, match=rf"^run_in_rounds needs a local search \(gls, mgls\), not '{method}'$"):
        run_in_rounds(method, small, 2, max_steps=1)


def _round_ends(moves, max_time):
    """The moves after which run_in_rounds calls on_round, by its documented rule, when every
    move takes one second: the first round is one move, the length doubles (up to ROUND_STEPS)
    while a round takes less than max_time / 10; a last, shorter round ends at the last move."""
    from zonocomb.search.rounds import ROUND_STEPS
    ends, size = [], 1
    while (ends[-1] if ends else 0) + size <= moves:
        ends.append((ends[-1] if ends else 0) + size)
        if size < max_time / 10:
            size = min(2 * size, ROUND_STEPS)
    return ends + [moves] if not ends or ends[-1] < moves else ends


@pytest.mark.parametrize("max_time", [40.0, 42.0])
def test_rounds_double_while_a_round_takes_under_a_tenth_of_max_time(monkeypatch, max_time):
    """On a clock that advances one second per reading (one reading per move), a round of k moves
    takes k seconds: with max_time 40 the rounds grow 1, 2, 4 and stay at 4 (4 s is not under 4 s);
    with 42 they reach 8. on_round gets the moves so far and the seconds since the start."""
    import sys
    from zonocomb.datasets import synthetic
    from zonocomb.search.rounds import run_in_rounds
    clock = _TickingClock(tick=1.0)
    monkeypatch.setattr(sys.modules["zonocomb.search.rounds"], "time", clock)
    calls = []
    outcome = run_in_rounds("mgls", synthetic(2, 12, 0), 3, random_state=1, max_time=max_time,
                            on_round=lambda r, moves, s: calls.append((moves, s)) and False)
    assert outcome.moves >= 15 and outcome.stopped == "local_minimum"
    assert [moves for moves, _ in calls] == _round_ends(outcome.moves, max_time)
    # the clock read once at the start and once per move (and once more for the last round)
    assert all(moves <= s <= moves + 1 for moves, s in calls)
    assert outcome.seconds == outcome.result.seconds > 0


def test_rounds_report_a_start_at_a_local_minimum_or_at_zero_loss_once(small):
    """Started at a local minimum the search makes no move and on_round is called once, with 0
    moves; labels fitted exactly by W = 0 (the floor) count as a local minimum, one scan."""
    from zonocomb import Dataset
    from zonocomb.search import gls
    from zonocomb.search.rounds import run_in_rounds
    end = gls(small, 2, random_state=0)
    calls = []
    outcome = run_in_rounds("gls", small, 2, start=end.pattern,
                            on_round=lambda r, moves, s: calls.append(moves) and False)
    assert calls == [0] and outcome.moves == 0 and outcome.stopped == "local_minimum"
    zero = run_in_rounds("mgls", Dataset(small.X_float, y=np.zeros(small.N)), 2, random_state=0)
    assert zero.stopped == "local_minimum" and zero.iterations == 1 and zero.moves == 0


def test_pattern_of_weights_is_strict_and_reports_the_boundary():
    """𝕀{w_u · x̄_i > 0} (paper eq. 2): an exactly zero product is inactive and flags the boundary."""
    from zonocomb import Dataset
    from zonocomb.search._common import pattern_of_weights
    ds = Dataset([[0.0], [1.0], [2.0]], y=[0.0, 1.0, 0.0])          # x̄ = (x, 1)
    pattern, on_boundary = pattern_of_weights(ds, np.array([[1.0, -1.0], [-1.0, 2.5]]))
    assert pattern.tolist() == [[False, False, True], [True, True, True]] and on_boundary
    pattern, on_boundary = pattern_of_weights(ds, np.array([[1.0, -0.5]]))
    assert pattern.tolist() == [[False, True, True]] and not on_boundary


@pytest.mark.parametrize("steps,trace_every,rows", [
    (20, 5, [0, 5, 10, 15, 20]),
    (7, 3, [0, 3, 6, 7]),                       # the last step always has a row
    (50, None, list(range(51))),                # default: every max(1, steps // 100) steps
    (200, None, list(range(0, 201, 2))),
    (250, None, list(range(0, 251, 2))),
])
def test_gradient_descent_traces_every_trace_every_steps_and_the_last(small, steps, trace_every, rows):
    from zonocomb.search.gradient_descent import gradient_descent, gradient_descent_batch
    one = gradient_descent(small, 2, steps, lr=0.01, random_state=0, trace_every=trace_every)
    batched, = gradient_descent_batch([(small, 2, 0)], steps, lr=0.01, trace_every=trace_every)
    assert [row["step"] for row in one.trace] == [row["step"] for row in batched.trace] == rows
    assert one.n_steps == batched.n_steps == steps


def test_gradient_descent_names_a_bad_schedule(small):
    from zonocomb.search.gradient_descent import gradient_descent, gradient_descent_batch
    for run in (lambda **kw: gradient_descent(small, 2, **kw),
                lambda **kw: gradient_descent_batch([(small, 2, 0)], **kw)):
        with pytest.raises(InvalidInputError, match=r"^steps must be at least 0, got -1$"):
            run(steps=-1)
        with pytest.raises(InvalidInputError, match=r"^trace_every must be at least 1, got 0$"):
            run(steps=3, trace_every=0)
        for lr in (0.0, -1.0, float("nan"), float("inf"), "0.1"):
            with pytest.raises(InvalidInputError, match=r"^lr must be a positive finite number, got "):
                run(steps=3, lr=lr)


def test_gls_margin_is_strict_and_relative_to_the_current_loss():
    """A move needs L' < L − max(rtol·L, atol): equality is no improvement, and the relative
    margin scales with L (here L = 4)."""
    from zonocomb.search.gls import gls_choice, gls_threshold
    assert gls_threshold(4.0, 0.5, 0.0) == 2.0 and gls_threshold(4.0, 0.0, 0.5) == 3.5
    assert gls_choice(4.0, [2.0], 0.5, 0.0) is None and gls_choice(4.0, [1.9], 0.5, 0.0) == 0
    assert gls_choice(1.0, [1.0 - 0.25], 0.0, 0.25) is None


def test_gls_tolerances_accept_zero_margins_and_name_bad_ones():
    """rtol and atol are non-negative finite numbers (0 allowed); labels whose loss at W = 0
    overflows, or is undefined (inf − inf in the mean), get one clear error and no numpy warning."""
    import warnings
    from zonocomb.search.gls import gls_tolerances
    y = np.array([0.0, 2.0])
    assert gls_tolerances(y, "mse", True, rtol=0.0, atol=0.0) == (0.0, 0.0)
    with pytest.raises(InvalidInputError, match=r"^rtol must be a non-negative number, got -1\.0$"):
        gls_tolerances(y, "mse", True, rtol=-1.0)
    for atol in (-1.0, float("inf"), float("nan")):
        with pytest.raises(InvalidInputError, match=rf"^atol must be a non-negative number, got {atol!r}$"):
            gls_tolerances(y, "mse", True, atol=atol)
    undefined = np.zeros(16)
    undefined[[0, 8]], undefined[[1, 9]] = 1e308, -1e308
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for labels, top in (([1e300, 2e300, 0.0, 5e299], "2e\\+300"), (undefined, "1e\\+308")):
            with pytest.raises(InvalidInputError, match=rf"^the loss of W = 0 on these labels is not a finite "
                                                        rf"float64 number \(max \|y\| = {top}\); rescale the labels$"):
                gls_tolerances(np.asarray(labels), "mse", True)


@pytest.mark.parametrize("loss", ["mse", "l1", "logistic"])
def test_baseline_loss_is_the_loss_of_the_best_constant_network(loss):
    """baseline_loss: the least mean loss of a constant output c (a one-dimensional minimisation
    done here by scipy), or of c = 0 without a fitted bias; the logistic loss with one class only
    takes c = 0 (log 2), as no constant attains the infimum 0."""
    from scipy.optimize import minimize_scalar
    from zonocomb.convex.losses import mean_loss
    from zonocomb.search import baseline_loss
    rng = np.random.default_rng(5)
    y = (rng.random(9) < 0.3).astype(float) if loss == "logistic" else rng.standard_normal(9) + 2.0
    best = minimize_scalar(lambda c: mean_loss(loss, np.full(9, c), y), bounds=(-20, 20), method="bounded",
                           options={"xatol": 1e-10}).fun
    assert baseline_loss(y, loss, True) == pytest.approx(best, rel=1e-8)
    assert baseline_loss(y, loss, False) == mean_loss(loss, np.zeros(9), y) > best
    if loss == "logistic":
        for one_class in (np.zeros(9), np.ones(9)):
            assert baseline_loss(one_class, loss, True) == pytest.approx(np.log(2.0), rel=1e-15)


def test_searches_name_what_is_not_a_dataset():
    from zonocomb.search import gradient_descent
    with pytest.raises(InvalidTypeError, match=r"^dataset must be a zonocomb Dataset, got ndarray$"):
        gradient_descent(np.zeros((3, 2)), 2, 1)


@pytest.mark.parametrize("name", ["gls", "mgls"])
def test_local_search_result_reports_its_run(small, name):
    """The SearchResult of GLS/mGLS names the method, the data's homogenization and the loss, its
    seconds lie within the call, info holds the margins used (atol=None: 1e-13 × the loss of W = 0
    with the bias fitted), why it stopped, whether the floor was reached and the neighbours
    abandoned; a start given as 0/1 lists is used as a bool vertex, and a non-vertex is named."""
    import zonocomb.search as search
    from zonocomb.search.gls import gls_tolerances
    from zonocomb import Dataset
    run = getattr(search, name)
    rng = np.random.default_rng(8)
    shifted = Dataset(rng.standard_normal((8, 2)), y=rng.standard_normal(8) + 3.0, homogenize=False)
    clock = time.perf_counter()
    r = run(shifted, 2, random_state=0, loss="l1")
    wall = time.perf_counter() - clock
    assert (r.method, r.homogenize, r.loss_name) == (name, False, "l1")
    assert 0 < r.seconds <= wall
    assert (r.info["rtol"], r.info["atol"]) == gls_tolerances(shifted.y, "l1", True)
    r = run(small, 2, random_state=0, loss="l1")
    assert r.info["local_minimum"] == (r.info["stopped"] == "local_minimum") is True
    assert r.info["reached_floor"] is False and r.info["n_bounded"] >= 0
    given = run(small, 2, random_state=0, rtol=1e-4, atol=1e-6)
    assert (given.info["rtol"], given.info["atol"]) == (1e-4, 1e-6)
    start = run(small, 2, start=r.pattern.astype(int).tolist(), max_steps=0)
    assert start.pattern.dtype == bool and np.array_equal(start.pattern, r.pattern)
    bad = r.pattern.copy()
    bad[0] = np.arange(small.N) % 2 == 0                   # alternating: no halfspace cuts it out
    assert not small.zonotope().is_vertex(tuple(int(b) for b in bad[0]))
    with pytest.raises(InvalidInputError, match=r"^start is not a vertex of Z\^m: some row is not the "
                                                r"activation pattern of any weights$"):
        run(small, 2, start=bad)
    with pytest.raises(InvalidInputError, match="nope"):
        run(small, 2, backend="nope")


@pytest.mark.parametrize("seed", range(4))
def test_mgls_stops_only_where_no_neighbour_improves(seed):
    """mGLS reports a local minimum only after every neighbour was tried: solving every neighbour
    of the final vertex independently finds none below the improvement threshold."""
    from zonocomb import Dataset
    from zonocomb.convex import RegionProgram
    from zonocomb.geometry.power import ZonotopePower
    from zonocomb.search import half_output_weights, mgls
    from zonocomb.search.gls import gls_threshold
    rng = np.random.default_rng(seed)
    ds = Dataset(rng.standard_normal((10, 2)), y=rng.standard_normal(10))
    r = mgls(ds, 2, random_state=seed)
    assert r.info["stopped"] == "local_minimum"
    program = RegionProgram(ds, half_output_weights(2))
    threshold = gls_threshold(r.loss, r.info["rtol"], r.info["atol"])
    assert min(program.solve(B).loss for B in ZonotopePower(ds.zonotope(), 2).neighbors(r.pattern)) >= threshold


def test_random_vertex_without_bias_fits_no_output_bias(small):
    """Synthetic mode (appendix H.1.2) with fit_bias=False: c = 0, and the loss is the network's."""
    from zonocomb.convex import RegionProgram
    from zonocomb.search import random_vertex
    r = random_vertex(small, 2, mode="synthetic", fit_bias=False, random_state=0)
    assert r.c == 0.0
    assert r.loss == pytest.approx(RegionProgram(small, r.v, fit_bias=False).network_loss(r.W, 0.0), rel=1e-9)


def test_run_method_picks_the_random_vertex_mode_of_the_loss(small):
    """The registry runs the alternating mode of appendix H.1.2 for the MSE (it solves least
    squares) and the one-solve mode of H.2.2 for the other losses."""
    from zonocomb import Dataset
    from zonocomb.search import run_method
    assert run_method("random_vertex", small, 2, random_state=2).info["mode"] == "synthetic"
    labels = Dataset(small.X_float, y=(small.y > np.median(small.y)).astype(float))
    for loss in ("logistic", "l1"):
        assert run_method("random_vertex", labels, 2, loss=loss, random_state=2).info["mode"] == "classification"


def _sweep_statuses(monkeypatch):
    """Record the status of every neighbour of every ``RegionProgram.sweep`` call."""
    from zonocomb.convex import RegionProgram
    seen = []
    original = RegionProgram.sweep

    def recording(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        seen.extend(out.status)
        return out
    monkeypatch.setattr(RegionProgram, "sweep", recording)
    return seen


@pytest.mark.parametrize("name", ["gls", "mgls"])
def test_n_bounded_counts_every_neighbour_the_sweeps_abandoned(monkeypatch, name):
    """info["n_bounded"] is the number of neighbours abandoned by their certified lower bound
    (sweep status "bounded") over the whole run; on these data the sweeps abandon many."""
    import zonocomb.search as search
    from zonocomb import Dataset
    seen = _sweep_statuses(monkeypatch)
    rng = np.random.default_rng(2)
    ds = Dataset(rng.standard_normal((30, 2)), y=rng.standard_normal(30))
    r = getattr(search, name)(ds, 3, random_state=2)
    abandoned = sum(status == "bounded" for status in seen)
    assert abandoned > 1 and r.info["n_bounded"] == abandoned


@pytest.mark.parametrize("name", ["gls", "mgls"])
@pytest.mark.parametrize("seed", range(3))
def test_local_search_at_zero_margins_moves_only_to_strictly_lower_losses(name, seed):
    """With rtol = atol = 0 a neighbour improves only if its loss is strictly below the current
    one: GLS and mGLS stop at a local minimum (not by running out of steps on neighbours of equal
    loss, e.g. those sharing the vertex's optimum), and no neighbour of that vertex is strictly
    lower."""
    from zonocomb import Dataset
    from zonocomb.convex import RegionProgram
    from zonocomb.geometry.power import ZonotopePower
    import zonocomb.search as search
    from zonocomb.search import half_output_weights
    rng = np.random.default_rng(seed)
    ds = Dataset(rng.standard_normal((12, 2)), y=rng.standard_normal(12))
    r = getattr(search, name)(ds, 2, random_state=seed, rtol=0.0, atol=0.0, max_steps=60)
    assert r.info["stopped"] == "local_minimum" and r.n_steps < 60
    program = RegionProgram(ds, half_output_weights(2))
    assert min(program.solve(B).loss for B in ZonotopePower(ds.zonotope(), 2).neighbors(r.pattern)) >= r.loss * (1 - 1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_mgls_solves_a_cached_all_tight_flipped_pattern_again_when_it_would_improve(seed):
    """mGLS's first candidate (appendix G) is the pattern with every tight constraint flipped. A
    pattern already in the search's cache is skipped only if its cached loss cannot improve; one
    whose cached loss does improve is taken, as the first improving candidate in mGLS order."""
    from zonocomb import Dataset
    from zonocomb.search._common import pattern_key
    from zonocomb.search.gls import _candidate_groups, _first_improvement, _LocalSearch
    rng = np.random.default_rng(seed)
    ds = Dataset(rng.standard_normal((10, 2)), y=rng.standard_normal(10))
    search = _LocalSearch("gls", ds, 2, "mse", True, "fast", None, None, np.random.default_rng(seed), 1e-9, None)
    kind, (flipped,) = next(_candidate_groups(search, np.random.default_rng(0)))
    assert kind == "patterns"
    cached = search.program.solve(flipped).loss
    assert search.improves(cached)
    search.remember(pattern_key(flipped), cached)
    A, sol = _first_improvement(search, np.random.default_rng(0))
    assert np.array_equal(A, flipped) and sol.loss == pytest.approx(cached, rel=1e-9)


@pytest.mark.parametrize("name", ["gls", "mgls"])
def test_local_search_trace_rows_hold_the_documented_columns(small, name):
    """Each trace row of GLS/mGLS has exactly the keys SearchResult documents: the step, the loss
    at that step, the convex programs solved so far (1 at the start vertex, never decreasing, at
    most the run's total) and the seconds since the start (never decreasing)."""
    import zonocomb.search as search
    r = getattr(search, name)(small, 2, random_state=3)
    assert r.n_steps >= 1
    assert all(set(row) == {"step", "loss", "n_solves", "seconds"} for row in r.trace)
    assert [row["step"] for row in r.trace] == list(range(r.n_steps + 1))
    assert r.trace[-1]["loss"] == r.loss
    solves = [row["n_solves"] for row in r.trace]
    assert solves[0] == 1 and solves == sorted(solves) and solves[-1] <= r.n_solves
    seconds = [row["seconds"] for row in r.trace]
    assert seconds == sorted(seconds) and 0 <= seconds[0] and seconds[-1] <= r.seconds
