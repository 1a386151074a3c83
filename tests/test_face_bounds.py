"""Tests of the face bounds of a vertex's neighbours (zonocomb/convex/backends/face_bounds.py and
_face_bounds.c) and of the sweep that uses them, least_sweep (GLS's sweep).

Evidence: the compiled bounds equal the numpy oracle's (tests/oracles/face_bounds.py: other
numerics, same mathematics) to rounding, bound for bound, with the same rounds; every certified
bound is at most the neighbour's optimum solved on its own, on random walks of several data sets;
with a single unit the model is the neighbour's program itself, so the bound equals its optimum;
the cutoff stops a bound without changing the others; the thread count changes nothing; least_sweep finds the full sweep's least loss and
the same neighbours attaining it, whichever neighbours it solves first, solves fewer, and what it
abandons has a certified bound above the least loss (or the threshold); GLS takes the same moves with and without it; bad input is
refused with a clear error.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.face_bounds import FaceBounds as OracleBounds
from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends import face_bounds
from zonocomb.convex.backends.face_bounds import FaceBounds, least_sweep
from zonocomb.convex.backends.kernel import PackedMoves
from zonocomb.errors import InvalidInputError
from zonocomb.search.gls import DEFAULT_RTOL, _LocalSearch, gls_choice
from test_sweep import gaussian_mse, moved, walk



def margin(y, loss):
    """How far above a neighbour's optimum (its solve's loss, KKT-certified to 1e-9 relative) a
    certified bound may lie: the checks' tolerance, least_sweep's margin at the vertex's loss, for
    labels y in the units of the losses."""
    return face_bounds.DOMINANCE_RTOL * abs(loss) + face_bounds.DOMINANCE_ATOL * float(np.mean(y ** 2))


def vertices(ds, m, steps, seed, program):
    """(pattern, its optimum, its moves) along a random walk on Z^m (the program's units, those of
    ``program.data``)."""
    rng = np.random.default_rng(seed)
    for A, moves in walk(ds, m, steps, rng):
        yield A, program.solve(A), moves


def scale_of(program):
    """The mean squared label of ``program.data``: the scale of its losses."""
    return float(np.mean(program.data.y ** 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_bounds_equal_the_oracle(seed):
    rng = np.random.default_rng(seed)
    ds = gaussian_mse(rng, 40, 3)
    v = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v)
    compared = total = 0
    for A, sol, moves in vertices(ds, len(v), 3, seed, prog):
        ours = FaceBounds(prog.data, A, sol.W, sol.c).lower_bounds(PackedMoves.pack(moves, len(v), ds.N))
        oracle = OracleBounds(prog.data, A, sol.W, sol.c)
        rounds = []
        theirs = []
        for mv in moves:
            theirs.append(oracle.lower_bound(*mv))
            rounds.append(oracle.rounds[-1] if np.isfinite(theirs[-1]) else 0)
        theirs, rounds = np.array(theirs), np.array(rounds)
        # (the oracle polishes its NNLS and refuses a negative polished multiplier: it certifies
        # no bound the compiled rounds do not, and they agree wherever both do)
        assert not np.any(np.isfinite(theirs) & ~np.isfinite(ours.lower))
        both = np.isfinite(theirs)
        assert np.allclose(ours.lower[both], theirs[both], rtol=1e-9, atol=1e-12 * scale_of(prog))
        assert np.array_equal(ours.info[both], rounds[both])
        compared += int(both.sum())
        total += len(moves)
    assert compared >= 0.9 * total


def test_bounds_do_not_depend_on_what_was_asked_before():
    # One FaceBounds object keeps the per-unit parts it stacked for the last call; asked for the
    # moves of some units, then of others, then of all, each move gets the bound a fresh object
    # gives it.
    rng = np.random.default_rng(7)
    ds = gaussian_mse(rng, 40, 3)
    v = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v)
    A, sol, moves = next(vertices(ds, len(v), 1, 7, prog))
    units = sorted({u for u, _ in moves})
    assert len(units) >= 3
    asked = [[mv for mv in moves if mv[0] == units[0]], [mv for mv in moves if mv[0] in units[1:3]],
             [mv for mv in moves if mv[0] in units[:2]], moves]
    kept = FaceBounds(prog.data, A, sol.W, sol.c)
    for part in asked:
        got = kept.lower_bounds(PackedMoves.pack(part, len(v), ds.N))
        fresh = FaceBounds(prog.data, A, sol.W, sol.c).lower_bounds(PackedMoves.pack(part, len(v), ds.N))
        assert np.array_equal(got.lower, fresh.lower) and np.array_equal(got.info, fresh.info)
        assert np.array_equal(got.first, fresh.first, equal_nan=True)


def true_losses(prog, A, sol, moves):
    return np.array([prog.solve(moved(A, mv), warm_start=sol).loss for mv in moves])


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 6), fit_bias=st.booleans())
def test_certified_bounds_are_at_most_the_optimum(seed, m, fit_bias):
    rng = np.random.default_rng(seed)
    ds = gaussian_mse(rng, 24, 2)
    v = np.where(np.arange(m) % 2 == 0, 1.0, -1.0)
    prog = RegionProgram(ds, v, fit_bias=fit_bias)
    for A, sol, moves in vertices(ds, m, 2, seed, prog):
        bounds = FaceBounds(prog.data, A, sol.W, sol.c).lower_bounds(PackedMoves.pack(moves, m, ds.N))
        true = true_losses(prog, A, sol, moves)
        ok = bounds.info > 0
        assert np.all(bounds.lower[ok] <= true[ok] + margin(prog.data.y, sol.loss))
        assert np.all(np.isneginf(bounds.lower[~ok]))
        assert np.all(np.isfinite(bounds.first[ok]))


def test_a_single_unit_is_bounded_by_its_optimum():
    """With m = 1 the model is the neighbour's program itself: the bound is its optimum."""
    rng = np.random.default_rng(5)
    ds = gaussian_mse(rng, 30, 3)
    prog = RegionProgram(ds, np.array([1.0]))
    checked = 0
    for A, sol, moves in vertices(ds, 1, 4, 5, prog):
        bounds = FaceBounds(prog.data, A, sol.W, sol.c).lower_bounds(PackedMoves.pack(moves, 1, ds.N))
        true = true_losses(prog, A, sol, moves)
        assert np.all(bounds.info == 1)
        assert np.allclose(bounds.lower, true, rtol=1e-8, atol=1e-12)
        checked += len(moves)
    assert checked >= 10


def face_relaxation(data, faces, A, u, flipped):
    """The optimum, by cvxpy, of the neighbour's program (unit u's row of A with ``flipped``
    flipped) with every other unit keeping only its face's constraints T_w (as inequalities) and
    unit u all of its new ones: the relaxation whose optimum a certified face bound attains."""
    import cvxpy as cp
    X, y, v = data.Xbar, data.y, data.v
    B = A.copy()
    B[u, list(flipped)] ^= True
    m, n = len(v), X.shape[1]
    W, c = cp.Variable((m, n)), cp.Variable()
    yhat = sum(v[w] * cp.multiply(B[w].astype(float), X @ W[w]) for w in range(m)) + (c if data.fit_bias else 0.0)
    rows = [(u, np.arange(len(y)))] + [(w, faces[w]) for w in range(m) if w != u and len(faces[w])]
    cons = [cp.multiply(2.0 * B[w, T] - 1.0, X[T] @ W[w]) >= 0 for w, T in rows]
    problem = cp.Problem(cp.Minimize(cp.sum_squares(yhat - y) / len(y)), cons)
    problem.solve(solver="CLARABEL" if "CLARABEL" in cp.installed_solvers() else "ECOS")
    return problem.value


@pytest.mark.parametrize("seed", [0, 1])
def test_a_certified_bound_is_the_optimum_of_the_face_relaxation(seed):
    """Releasing a constraint lets its unit move off it in the feasible direction only (t ≥ 0),
    so the final model is the relaxation in which the other units keep their faces' constraints
    as inequalities: a certified bound is its optimum (weak duality one way; the model restricts
    the relaxation the other), on these non-degenerate instances. Checked against cvxpy, to its
    accuracy, on the bounds that took releases and a sample of the others; rounds that release a
    direction in both senses certify smaller bounds here."""
    rng = np.random.default_rng(seed)
    ds = gaussian_mse(rng, 40, 2)
    v = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)
    prog = RegionProgram(ds, v)
    released = 0
    for A, sol, moves in vertices(ds, len(v), 3, seed, prog):
        faces = FaceBounds(prog.data, A, sol.W, sol.c)
        bounds = faces.lower_bounds(PackedMoves.pack(moves, len(v), ds.N))
        for k in np.union1d(np.flatnonzero(bounds.info > 1)[:6], np.flatnonzero(bounds.info == 1)[:2]):
            relaxed = face_relaxation(prog.data, faces.faces, A, *moves[k])
            assert bounds.lower[k] == pytest.approx(relaxed, rel=1e-5, abs=1e-9 * scale_of(prog))
            released += bounds.info[k] > 1
    assert released >= 10                         # (bounds that took releases were compared)


def test_cutoff_and_threads_change_no_bound():
    rng = np.random.default_rng(3)
    ds = gaussian_mse(rng, 40, 3)
    prog = RegionProgram(ds, np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0]))
    A, sol, moves = next(vertices(ds, 6, 1, 3, prog))
    packed = PackedMoves.pack(moves, 6, ds.N)
    faces = FaceBounds(prog.data, A, sol.W, sol.c)
    full = faces.lower_bounds(packed)
    assert np.array_equal(faces.lower_bounds(packed, threads=3).lower, full.lower, equal_nan=True)
    ok = np.isfinite(full.lower)
    cutoff = float(np.median(full.lower[ok]))
    cut = faces.lower_bounds(packed, cutoff=cutoff)
    kept = np.isfinite(cut.lower)
    # a bound stops once its model's value is at most the cutoff (later rounds could rise above it
    # again as the moved unit's cone grows, so a few bounds above it may be lost): what is kept is
    # the full bound, above the cutoff
    assert np.array_equal(cut.lower[kept], full.lower[kept]) and np.all(cut.lower[kept] > cutoff)
    assert kept.sum() >= 0.8 * np.sum(full.lower > cutoff) > 0
    first = faces.lower_bounds(packed, cutoff=np.inf)
    assert np.all(np.isneginf(first.lower)) and np.array_equal(first.first, full.first, equal_nan=True)


def sweeps(ds, m, seed, steps=3):
    prog = RegionProgram(ds, np.where(np.arange(m) % 2 == 0, 1.0, -1.0))
    kernel = prog.kernel
    for A, sol, moves in vertices(ds, m, steps, seed, prog):
        W, c = prog.to_solver_units((sol.W, sol.c))           # (the kernel's units)
        yield prog, kernel, A, (W, c, sol.loss / prog.solver_loss_unit()), PackedMoves.pack(moves, m, ds.N)


def test_least_sweep_asks_no_bound_its_first_model_rules_out(monkeypatch):
    # A neighbour whose first model is at or below the cutoff stops there without a bound
    # (lower_bounds' cutoff): least_sweep solves it without asking. Asked anyway, each of them
    # indeed gets no bound.
    monkeypatch.setattr(face_bounds, "FIRST_BATCH", 1)          # (more neighbours after the first batch)
    ds = gaussian_mse(np.random.default_rng(4), 40, 3)
    real = FaceBounds.lower_bounds
    firsts, skipped = {}, []

    def recorded(self, moves, cutoff=-np.inf, threads=1):
        out = real(self, moves, cutoff, threads)
        keys = [(int(moves.units[j]), tuple(int(i) for i in moves.flipped(j))) for j in range(len(moves))]
        if cutoff == np.inf:
            firsts.clear()
            firsts.update(zip(keys, out.first))
        else:
            assert all(not firsts[k] <= cutoff for k in keys)
            ruled_out = [k for k, f in firsts.items() if f <= cutoff]
            if ruled_out:
                asked = real(self, PackedMoves.pack(ruled_out, self.m, self.N), cutoff, threads)
                assert np.all(np.isneginf(asked.lower))
                skipped.extend(ruled_out)
        return out
    monkeypatch.setattr(FaceBounds, "lower_bounds", recorded)
    for prog, kernel, A, (W, c, loss), moves in sweeps(ds, 12, 4, steps=4):
        bound = loss * (1 - 1e-9)
        full = kernel.sweep(A, moves, W, c, loss, screen=True, kkt_rtol=1e-9, bound=bound)
        least = least_sweep(kernel, A, moves, W, c, loss, kkt_rtol=1e-9, bound=bound, threads=1)
        assert np.nanargmin(least.loss) == np.nanargmin(full.loss)
    assert skipped


@pytest.mark.parametrize("seed, first_batch, order", [(0, 8, "least"), (4, 8, "least"), (0, 1, "worst"),
                                                     (7, 2, "worst"), (0, 1, "second"), (4, 1, "second")])
def test_least_sweep_finds_the_least_neighbour(monkeypatch, seed, first_batch, order):
    monkeypatch.setattr(face_bounds, "FIRST_BATCH", first_batch)
    if order != "least":
        # the first batch made of the neighbours of greatest first-model value, or of the second
        # least: the least one is then found among those bounded against a poorer least loss
        real = FaceBounds.lower_bounds

        def reordered(self, moves, cutoff=-np.inf, threads=1):
            out = real(self, moves, cutoff, threads)
            if cutoff != np.inf:
                return out
            first = -out.first if order == "worst" else out.first.copy()
            if order == "second" and len(first) > 1:
                a, b = np.argsort(first)[:2]
                first[a], first[b] = first[b], first[a]
            return out._replace(first=first)
        monkeypatch.setattr(FaceBounds, "lower_bounds", reordered)
    ds = gaussian_mse(np.random.default_rng(seed), 60, 3)
    dominated = 0
    for prog, kernel, A, (W, c, loss), moves in sweeps(ds, 8, seed):
        bound = loss * (1 - 1e-9)
        full = kernel.sweep(A, moves, W, c, loss, screen=True, kkt_rtol=1e-9, bound=bound)
        least = least_sweep(kernel, A, moves, W, c, loss, kkt_rtol=1e-9, bound=bound, solutions=True)
        assert np.nanmin(least.loss) == pytest.approx(np.nanmin(full.loss), rel=1e-9)
        assert np.nanargmin(least.loss) == np.nanargmin(full.loss)
        solved = least.status == "solved"
        assert np.allclose(least.loss[solved], full.loss[solved], rtol=1e-8, atol=1e-14)
        # an abandoned neighbour has a certified bound above the least loss, below its optimum
        gone = np.isin(least.status, ["dominated", "bounded"]) & (full.status == "solved")
        assert np.all(least.lower_bound[gone] > np.nanmin(full.loss))
        assert np.all(least.lower_bound[gone] <= full.loss[gone] + margin(kernel.y, loss))
        assert np.all(least.lower_bound[least.status == "bounded"] > bound)
        dominated += int(np.sum(least.status == "dominated"))
        for j in np.flatnonzero(solved):
            W_j, c_j = least.point(j)
            B = moved(A, (int(moves.units[j]), moves.flipped(j)))
            assert kernel.residuals(B, W_j, c_j).ok(1e-8)
        same = least_sweep(kernel, A, moves, W, c, loss, kkt_rtol=1e-9, bound=bound, threads=1)
        assert np.array_equal(same.status, least.status)
        assert np.array_equal(same.loss, least.loss, equal_nan=True)
    assert dominated > 0 or order == "worst"


def test_gls_takes_the_same_moves_with_least_sweeps():
    ds = gaussian_mse(np.random.default_rng(1), 60, 3)
    paths = []
    for least_only in (False, True):
        search = _LocalSearch("gls", ds, 8, "mse", True, "fast", None, None, np.random.default_rng(1),
                              DEFAULT_RTOL, None)
        path = []
        for _ in range(25):
            moves = search.moves()
            best = gls_choice(search.solution.loss, search.evaluate(moves, least_only=least_only), search.rtol,
                              search.atol)
            if best is None:
                break
            path.append((moves[best], search.solution.loss))
            search.move_to(*search.solution_of(moves[best]))
        paths.append(path)
    assert [p[0] for p in paths[0]] == [p[0] for p in paths[1]]
    assert len(paths[0]) >= 5
    assert np.allclose([p[1] for p in paths[0]], [p[1] for p in paths[1]], rtol=1e-9)


def test_bad_input_is_refused():
    rng = np.random.default_rng(0)
    ds = gaussian_mse(rng, 20, 2)
    prog = RegionProgram(ds, np.array([1.0, -1.0]))
    A, sol, moves = next(vertices(ds, 2, 1, 0, prog))
    with pytest.raises(InvalidInputError, match="pattern"):
        FaceBounds(prog.data, A[:1], sol.W, sol.c)
    with pytest.raises(InvalidInputError, match="finite"):
        FaceBounds(prog.data, A, np.full_like(sol.W, np.nan), sol.c)
    labels = Dataset(rng.standard_normal((20, 2)), y=(rng.random(20) > 0.5).astype(float))
    logistic = RegionProgram(labels, np.array([1.0, -1.0]), loss="logistic")
    with pytest.raises(InvalidInputError, match="MSE"):
        FaceBounds(logistic.data, A, sol.W, sol.c)
    with pytest.raises(InvalidInputError, match="MSE"):
        least_sweep(logistic.kernel, A, moves, sol.W, sol.c, 1.0, kkt_rtol=1e-9)
    decayed = RegionProgram(ds, np.array([1.0, -1.0]), alpha=0.1)
    with pytest.raises(InvalidInputError, match="weight decay"):
        FaceBounds(decayed.data, A, sol.W, sol.c)
    faces = FaceBounds(prog.data, A, sol.W, sol.c)
    bad = PackedMoves(units=np.array([0], dtype=np.int32), ptr=np.array([0, 1], dtype=np.int32),
                      idx=np.array([ds.N], dtype=np.int32), m=2, N=ds.N)
    with pytest.raises(ValueError, match="out of range"):
        faces.lower_bounds(bad)
