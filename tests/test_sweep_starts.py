"""Tests of a neighbour sweep's own starts (``starts`` and ``answers`` of RegionProgram.sweep and
RegionKernel.sweep), and of their use by GLS and mGLS (the point found for a move from the previous
vertex starts the same move's solve from the next one).

Evidence: the optima found from any start (the neighbour's own optimum, the previous vertex's
answer, a random infeasible point) equal the sweep's from the vertex's optimum, to rounding, and
to a from-scratch solve; a start at the neighbour's own optimum settles it in a few iterations (so
the start is used); answers are feasible points of their neighbour's program whose objective is
the reported loss, in the program's units (on data the solver rescales), and the far points of
unattained logistic regions are left out; the points a sweep returns are in compact rows, one per
solved or screened neighbour; the thread count changes nothing; GLS and mGLS take the same moves
with and without starts, and the starts are used; they keep
points only when the program's solver starts from them; malformed starts are refused, by the kernel too;
the searches' keys of neighbour patterns are those of the patterns.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends.kernel import RegionKernel
from zonocomb.convex.region import SolveStatus
from zonocomb.errors import InvalidInputError
from zonocomb.search import gls, mgls
from zonocomb.search._common import neighbour_keys, pattern_key
from zonocomb.search.gls import gls_threshold, gls_tolerances
from test_sweep import classification, close, gaussian_mse, moved, walk

NOT_SOLVED = (SolveStatus.SCREENED, SolveStatus.BOUNDED)


def settled(sweep):
    """How the sweep settled each neighbour: screened, bounded or solved (a logistic loss certified
    at the kernel's point, "optimal_loss", or at a far point of its own solve, "optimal_unattained",
    depending on where the solve started)."""
    return [s if s in NOT_SOLVED else "solved" for s in sweep.status]


def cases():
    rng = np.random.default_rng(11)
    yield gaussian_mse(rng, 30, 3), np.array([1.0, -1.0, 1.0, -1.0]), "mse", rng
    yield classification(rng, 30, 3), np.array([1.0, -1.0, 1.0]), "logistic", rng


@pytest.mark.parametrize("case", range(2))
def test_starts_change_no_optimum(case):
    ds, v, loss, rng = list(cases())[case]
    prog = RegionProgram(ds, v, loss=loss)
    previous, used = {}, 0
    for A, moves in walk(ds, len(v), 4, rng):
        base = prog.solve(A)
        plain = prog.sweep(A, moves, base, answers=True)
        solved = [j for j, s in enumerate(plain.status) if s not in NOT_SOLVED]
        assert set(plain.answers) <= set(solved)
        assert len(plain.answers) >= len(solved) - 3
        own = prog.sweep(A, moves, base, starts=plain.answers)
        noise = {j: (rng.standard_normal((len(v), ds.n)), float(rng.standard_normal())) for j in solved}
        noisy = prog.sweep(A, moves, base, starts=noise)
        carried = {j: previous[mv] for j, mv in enumerate(moves) if mv in previous}
        used += len(carried)
        from_previous = prog.sweep(A, moves, base, starts=carried)
        for other in (own, noisy, from_previous):
            assert settled(other) == settled(plain)
            for j in solved:
                assert close(other.loss[j], plain.loss[j]), (j, other.loss[j], plain.loss[j])
        for j in solved[:3]:                                    # and a solve from scratch
            assert close(plain.loss[j], RegionProgram(ds, v, loss=loss).solve(moved(A, moves[j])).loss)
        previous = {moves[j]: point for j, point in plain.answers.items()}
    assert used


@pytest.mark.parametrize("case", range(2))
def test_answers_are_feasible_points_of_the_reported_loss(case):
    ds, v, loss, rng = list(cases())[case]
    prog = RegionProgram(ds, v, loss=loss)
    seen = 0
    for A, moves in walk(ds, len(v), 3, rng):
        base = prog.solve(A)
        sweep = prog.sweep(A, moves, base, answers=True)
        assert prog.sweep(A, moves, base).answers == {}
        for j, (W, c) in sweep.answers.items():
            B = moved(A, moves[j])
            pre = W @ ds.generators_float.T                         # w_u·x̄_i
            scale = np.linalg.norm(W, axis=1, keepdims=True) * np.linalg.norm(ds.generators_float, axis=1)
            assert np.all(np.where(B, pre, -pre) >= -1e-9 * scale)
            assert prog.objective(B, W, c) == pytest.approx(sweep.loss[j], rel=1e-9, abs=1e-14)
            seen += 1
    assert seen


def kernel_and_vertex(threads=1, loss="mse"):
    rng = np.random.default_rng(12)
    ds = gaussian_mse(rng, 40, 3) if loss == "mse" else classification(rng, 40, 3)
    v = np.array([1.0, -1.0] * 3) if loss == "mse" else np.array([1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v, loss=loss)
    A, moves = next(walk(ds, len(v), 1, rng))
    base = prog.solve(A)
    return RegionKernel(prog.data, threads=threads), A, moves, base


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_a_start_at_the_neighbours_own_optimum_settles_it_in_few_iterations(loss):
    # (logistic: the start's c is used too; from its own W and the vertex's c it takes 4-6)
    kernel, A, moves, base = kernel_and_vertex(loss=loss)
    plain = kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8, solutions=True)
    solved = np.flatnonzero(plain.status == "solved")
    assert plain.n_iter[solved].max() > 3                        # (so that a start can show)
    starts = {int(j): plain.point(j) for j in solved}
    own = kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8, starts=starts)
    assert np.all(own.status[solved] == "solved")
    assert own.n_iter[solved].max() <= 3
    np.testing.assert_allclose(own.loss[solved], plain.loss[solved], rtol=1e-10)


def test_threads_do_not_change_a_sweep_with_starts():
    outs = []
    for threads in (1, 2, 3):
        kernel, A, moves, base = kernel_and_vertex(threads)
        rng = np.random.default_rng(13)
        starts = {j: (rng.standard_normal(base.W.shape), 0.5) for j in range(0, len(moves), 2)}
        outs.append(kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8,
                                 solutions=True, starts=starts))
    for other in outs[1:]:
        np.testing.assert_array_equal(outs[0].loss, other.loss)
        np.testing.assert_array_equal(outs[0].status, other.status)
        np.testing.assert_array_equal(outs[0].n_iter, other.n_iter)
        for j in range(len(moves)):
            a, b = outs[0].point(j), other.point(j)
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_array_equal(a[0], b[0])
                assert a[1] == b[1]


@pytest.mark.parametrize("search", [gls, mgls])
@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_local_searches_see_the_same_losses_with_and_without_starts(monkeypatch, search, loss):
    # Every sweep a search makes with starts is checked against the same sweep without them: the
    # same neighbours settled the same way, the same losses to rounding. (Whole walks can part at
    # an exact tie, two neighbours of equal loss, which rounding breaks either way.)
    rng = np.random.default_rng(14)
    ds = gaussian_mse(rng, 36, 3) if loss == "mse" else classification(rng, 36, 3)
    margins = gls_tolerances(ds.y, loss, True)
    given, found, vertices = [], {}, []        # found: vertex -> move -> the answer found there
    real = RegionProgram.sweep

    def checked(self, pattern, moves, warm_start, starts=None, **kwargs):
        here = pattern.tobytes()
        if not vertices:
            vertices.append(here)                  # the start (then the callback adds each vertex)
        assert vertices[-1] == here
        sweep = real(self, pattern, moves, warm_start, starts=starts, **kwargs)
        before = found.get(vertices[-2], {}) if len(vertices) > 1 else {}
        # the starts: the answers found for the same moves from the previous vertex, all of them,
        # of the neighbours that did not improve there
        assert sorted(starts or ()) == [j for j, mv in enumerate(moves) if mv in before]
        for j, (W, c) in (starts or {}).items():
            assert np.array_equal(W, before[moves[j]][0]) and c == before[moves[j]][1]
        threshold = gls_threshold(warm_start.loss, *margins)
        found.setdefault(here, {}).update({moves[j]: point for j, point in sweep.answers.items()
                                           if not sweep.loss[j] < threshold})
        if starts:
            given.append(len(starts))
            kwargs.pop("answers", None)
            plain = real(self, pattern, moves, warm_start, **kwargs)
            assert settled(sweep) == settled(plain)
            np.testing.assert_allclose(sweep.loss, plain.loss, rtol=1e-9, atol=1e-13)
        return sweep
    monkeypatch.setattr(RegionProgram, "sweep", checked)
    result = search(ds, 6, loss=loss, random_state=0, callback=lambda r: vertices.append(r.pattern.tobytes()))
    assert given and result.n_steps > 2


def test_gls_takes_the_same_moves_with_and_without_starts_where_no_two_neighbours_tie(monkeypatch):
    rng = np.random.default_rng(16)
    ds = gaussian_mse(rng, 60, 4)
    with_starts = gls(ds, 8, random_state=0)
    real = RegionProgram.sweep
    monkeypatch.setattr(RegionProgram, "sweep", lambda self, *args, starts=None, **kwargs: real(self, *args, **kwargs))
    plain = gls(ds, 8, random_state=0)
    assert with_starts.n_steps == plain.n_steps > 10
    assert np.array_equal(with_starts.pattern, plain.pattern)
    np.testing.assert_allclose([r["loss"] for r in with_starts.trace], [r["loss"] for r in plain.trace],
                               rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("search", [gls, mgls])
@pytest.mark.parametrize("loss, backend, carried", [("mse", "fast", True), ("l1", "fast", False),
                                                     ("mse", "reference", False)])
def test_searches_keep_points_only_for_programs_that_start_from_them(monkeypatch, search, loss, backend, carried):
    # Only the compiled kernel starts a neighbour from a given point; with the l1 loss or the
    # reference backend the searches neither ask a sweep for its points nor pass any on.
    rng = np.random.default_rng(14)
    ds = gaussian_mse(rng, 36, 3)
    asked = []
    real = RegionProgram.sweep

    def recorded(self, *args, starts=None, answers=False, **kwargs):
        asked.append((answers, bool(starts)))
        return real(self, *args, starts=starts, answers=answers, **kwargs)
    monkeypatch.setattr(RegionProgram, "sweep", recorded)
    # (mGLS sweeps only where no candidate of the first groups improves: near the end of its walk;
    # GLS's least sweeps solve few neighbours that do not improve, the only ones it carries points of;
    # seeds whose walks reach such sweeps)
    result = search(ds, 6, loss=loss, backend=backend, random_state=2 if search is gls else 0,
                    max_steps=8 if search is gls else 2048)
    assert result.n_steps >= 2 and asked
    assert all(answers == carried for answers, _ in asked)
    assert any(given for _, given in asked) == carried


def test_malformed_starts_are_refused():
    rng = np.random.default_rng(15)
    ds = gaussian_mse(rng, 10, 2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    good = (np.zeros((2, 3)), 0.0)
    for starts, match in (({0: (np.zeros((3, 2)), 0.0)}, "start of neighbour 0"),
                          ({0: (np.full((2, 3), np.nan), 0.0)}, "finite"),
                          ({0: (np.zeros((2, 3)), np.inf)}, "finite"),
                          ({len(moves): good}, "neighbour indices"),
                          ({-1: good}, "neighbour indices"),
                          ({"0": good}, "neighbour indices")):
        with pytest.raises(InvalidInputError, match=match):
            prog.sweep(A, moves, base, starts=starts)
        # refused on every path, also where the starts would not be used (no compiled sweep)
        with pytest.raises(InvalidInputError, match=match):
            RegionProgram(ds, [1.0, -1.0], backend="cvxpy").sweep(A, moves, base, starts=starts)
    assert prog.sweep(A, moves, base, starts={}).loss.size == len(moves)
    with pytest.raises(InvalidInputError, match="neighbour indices"):
        prog.sweep(A, moves, base, starts={True: good})


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_neighbour_keys_are_the_keys_of_the_moved_patterns(m, N, seed):
    rng = np.random.default_rng(seed)
    A = rng.random((m, N)) < 0.5
    moves = [(int(rng.integers(m)), tuple(sorted(set(rng.integers(N, size=int(rng.integers(1, N + 1))).tolist()))))
             for _ in range(6)]
    assert neighbour_keys(A, moves) == [pattern_key(moved(A, mv)) for mv in moves]


def test_starts_and_answers_are_in_the_programs_units(monkeypatch):
    # Data the solver rescales by powers of two (labels ~1000, features ~100): the answers are
    # points of the program itself (of the reported loss), and given back as starts they reach
    # the kernel as its own answers, which settle in a few iterations.
    rng = np.random.default_rng(17)
    ds = Dataset(100.0 * rng.standard_normal((40, 3)), y=1000.0 * rng.standard_normal(40))
    prog = RegionProgram(ds, np.array([1.0, -1.0] * 3))
    A, moves = next(walk(ds, 6, 1, rng))
    base = prog.solve(A)
    plain = prog.sweep(A, moves, base, answers=True)
    assert plain.answers
    for j, (W, c) in plain.answers.items():
        assert prog.objective(moved(A, moves[j]), W, c) == pytest.approx(plain.loss[j], rel=1e-9)
    outcomes, real = [], RegionKernel.sweep
    monkeypatch.setattr(RegionKernel, "sweep", lambda self, *a, **k: outcomes.append(real(self, *a, **k)) or outcomes[-1])
    again = prog.sweep(A, moves, base, starts=plain.answers)
    assert outcomes[-1].n_iter[sorted(plain.answers)].max() <= 3
    np.testing.assert_allclose(again.loss, plain.loss, rtol=1e-9)


def test_answers_leave_out_the_far_points_of_unattained_regions():
    # Nearly separable labels: some neighbours' infima are not attained ("optimal_unattained", a
    # far point of their own solve); every other solved neighbour has its answer.
    from test_attainment import V, nearly_separable
    ds, rng = nearly_separable(0)
    prog = RegionProgram(ds, V, loss="logistic")
    unattained = 0
    for A, moves in walk(ds, 2, 3, rng):
        base = prog.solve(A)
        if base.status == SolveStatus.OPTIMAL_UNATTAINED:
            continue
        sweep = prog.sweep(A, moves, base, answers=True)
        far = [s == SolveStatus.OPTIMAL_UNATTAINED for s in sweep.status]
        unattained += sum(far)
        assert sorted(sweep.answers) == [j for j, s in enumerate(settled(sweep)) if s == "solved" and not far[j]]
    assert unattained


def test_a_sweep_returns_its_points_in_compact_rows():
    # With a bound some neighbours are abandoned: only the solved and screened ones have a row,
    # and W those rows only; each neighbour's point is the one the sweep without a bound finds for
    # it (in another row), a screened one's the vertex's optimum.
    kernel, A, moves, base = kernel_and_vertex()
    out = kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8, solutions=True,
                       bound=base.loss * (1 - 1e-9))                 # (GLS's threshold)
    has = np.isin(out.status, ["solved", "screened"])
    assert has.any() and not has.all()
    assert np.array_equal(out.row < 0, ~has)
    assert sorted(out.row[has].tolist()) == list(range(int(has.sum())))
    assert out.W.shape == (int(has.sum()), *base.W.shape) and out.c.shape == (int(has.sum()),)
    every = kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8, solutions=True)
    assert (every.row >= 0).sum() > has.sum()                      # (other rows, in another order)
    for j in np.flatnonzero(has).tolist():                         # a neighbour's point is its own
        W, c = out.point(j)
        assert np.array_equal(W, every.point(j)[0]) and c == every.point(j)[1]
        if out.status[j] == "screened":
            assert np.array_equal(W, base.W) and c == base.c
    assert all(out.point(j) is None for j in np.flatnonzero(~has).tolist())


def test_the_kernel_refuses_malformed_start_buffers(monkeypatch):
    # RegionKernel.sweep builds start_of and the rows of starts itself; the compiled sweep checks
    # them again (rows of m n + 1 doubles, each start_of -1 or a row), with a ValueError, not a crash.
    kernel, A, moves, base = kernel_and_vertex()
    k, row = len(moves), base.W.size + 1
    for start_of, rows, match in ((np.full(k, 1, np.int32), np.zeros((1, row)), "start_of\\[0\\] = 1 is not -1 or a row"),
                                  (np.full(k, -2, np.int32), np.zeros((1, row)), "start_of\\[0\\] = -2"),
                                  (np.zeros(k, np.int32), np.zeros(row + 1), "not a whole number of rows"),
                                  (np.zeros(k - 1, np.int32), np.zeros((1, row)), "buffer start_of has")):
        monkeypatch.setattr(RegionKernel, "_start_rows", lambda self, starts, k, b=(start_of, rows): b)
        with pytest.raises(InvalidInputError, match=match):
            kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8, starts={0: None})
