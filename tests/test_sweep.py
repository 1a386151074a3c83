"""Tests of the neighbour sweep (RegionProgram.sweep, the compiled RegionKernel.sweep; paper eq. 3 at
the neighbours of a vertex of Z^m, appendix A.3.1).

Evidence: every neighbour's loss equals a from-scratch solve of its pattern (to rounding) along
random walks on Z^m, MSE and logistic, in general position and on degenerate data (repeated
examples, parallel classes, units active nowhere or everywhere); a neighbour reported as screened
has the vertex's optimum as its own (the cvxpy reference agrees); every certified lower bound is at
most the neighbour's optimum; with the improvement threshold as bound the sweep keeps every
improving neighbour and picks GLS's neighbour; the thread count changes nothing, bit for bit; a
kernel failure inside a sweep is solved on its own.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.convex.backends.kernel import KernelFailed, RegionKernel
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search import gls

RTOL, ATOL = 1e-7, 1e-10


def close(a, b):
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + ATOL


def gaussian_mse(rng, N, d):
    X = rng.standard_normal((N, d))
    return Dataset(X, y=rng.standard_normal(N))


def classification(rng, N, d, flip=0.25):
    X = rng.standard_normal((N, d))
    Xbar = np.hstack([X, np.ones((N, 1))])
    y = np.maximum(Xbar @ rng.standard_normal((3, d + 1)).T, 0.0) @ np.array([1.0, -1.0, 1.0]) > 0
    return Dataset(X, y=np.where(rng.random(N) < flip, ~y, y).astype(float))


def degenerate(rng):
    """Repeated examples (parallel classes of size 2) and a label vector of a small network."""
    X = rng.standard_normal((9, 2))
    X = np.vstack([X, X[:3], 2.0 * X[3:5]])                       # repeats and positive multiples
    return Dataset(X, y=rng.standard_normal(len(X)))


def walk(ds, m, steps, rng):
    """Vertices along a random walk on the 1-skeleton of Z^m, with the moves at each."""
    power = ZonotopePower(ds.zonotope(), m)
    A = power.random_vertex(rng)
    for _ in range(steps):
        moves = power.neighbor_moves(A)
        yield A, moves
        u, flipped = moves[int(rng.integers(len(moves)))]
        A = A.copy()
        A[u, list(flipped)] ^= True


def moved(A, move):
    B = A.copy()
    B[move[0], list(move[1])] ^= True
    return B


def check_walk(ds, v, loss, rng, steps=4, fit_bias=True):
    prog = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias)
    statuses = set()
    for A, moves in walk(ds, len(v), steps, rng):
        base = prog.solve(A)
        sweep = prog.sweep(A, moves, base)
        assert len(sweep.loss) == len(moves) and sweep.n_solved == len(moves)
        # per-neighbour times: a solve takes time, and no thread spends more than the sweep's wall time
        spent = sweep.neighbour_seconds
        assert spent.shape == (len(moves),) and np.all(spent >= 0.0)
        assert np.all(spent[np.isin(np.array(sweep.status), ("optimal", "optimal_loss"))] > 0.0)
        assert spent.sum() <= sweep.threads * sweep.seconds
        for k, mv in enumerate(moves):
            fresh = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias).solve(moved(A, mv))
            if fresh.status == "optimal_unattained" or sweep.status[k] == "optimal_unattained":
                assert abs(sweep.loss[k] - fresh.loss) <= 1e-9
            else:
                assert close(sweep.loss[k], fresh.loss), (k, sweep.status[k], sweep.loss[k], fresh.loss)
            assert sweep.lower_bound[k] <= fresh.loss + RTOL * fresh.loss + ATOL
            if sweep.status[k] == "screened":
                assert sweep.loss[k] == base.loss
            if loss == "logistic" and sweep.status[k] == "optimal":
                assert k in sweep.solutions            # decided on its own, not in the compiled call
        statuses |= set(sweep.status)
    return statuses


@pytest.mark.parametrize("fit_bias", [True, False])
def test_sweep_equals_solving_each_neighbour_mse(fit_bias):
    rng = np.random.default_rng(0)
    ds = gaussian_mse(rng, 24, 3)
    statuses = check_walk(ds, np.array([1.0, -1.0, 1.0, -1.0]), "mse", rng, fit_bias=fit_bias)
    assert {"optimal", "screened"} <= statuses


def test_sweep_equals_solving_each_neighbour_on_degenerate_data():
    rng = np.random.default_rng(1)
    ds = degenerate(rng)
    assert not ds.in_general_position()
    v = np.array([1.0, -1.0, 0.5, 2.0])
    prog = RegionProgram(ds, v)
    check_walk(ds, v, "mse", rng)
    # units active nowhere and everywhere, and a move flipping a whole parallel class
    power = ZonotopePower(ds.zonotope(), 4)
    A = power.random_vertex(rng)
    A[0] = False
    A[1] = True
    assert power.is_vertex(A)
    moves = power.neighbor_moves(A)
    assert any(len(f) > 1 for _, f in moves)
    base = prog.solve(A)
    sweep = prog.sweep(A, moves, base)
    for k, mv in enumerate(moves):
        assert close(sweep.loss[k], RegionProgram(ds, v).solve(moved(A, mv)).loss)


def test_sweep_equals_solving_each_neighbour_logistic():
    rng = np.random.default_rng(2)
    ds = classification(rng, 30, 3)
    statuses = check_walk(ds, np.array([1.0, -1.0, 1.0]), "logistic", rng, steps=3)
    # the compiled sweep certifies the loss of what it solves, not whether it is attained
    assert "optimal_loss" in statuses


def test_screened_neighbours_are_optimal_at_the_vertex_optimum():
    # the vertex's optimum is the screened neighbour's: the reference solver finds no lower loss
    rng = np.random.default_rng(3)
    ds = gaussian_mse(rng, 20, 2)
    v = np.array([1.0, -1.0, 1.0])
    prog, ref = RegionProgram(ds, v), RegionProgram(ds, v, backend="cvxpy")
    seen = 0
    for A, moves in walk(ds, 3, 6, rng):
        base = prog.solve(A)
        sweep = prog.sweep(A, moves, base, solutions=True)
        for k in np.flatnonzero(np.array(sweep.status) == "screened"):
            B = moved(A, moves[k])
            assert np.array_equal(sweep.solutions[k].W, base.W)
            assert prog.objective(B, base.W, base.c) == pytest.approx(base.loss, rel=1e-12, abs=1e-15)
            assert ref.solve(B).loss >= base.loss - 1e-7 * (1 + base.loss)
            seen += 1
    assert seen


def test_bound_keeps_every_improving_neighbour_and_gls_choice():
    rng = np.random.default_rng(4)
    ds = gaussian_mse(rng, 30, 3)
    v = np.array([1.0, -1.0, 1.0, -1.0])
    prog = RegionProgram(ds, v)
    bounded_seen = 0
    for A, moves in walk(ds, 4, 5, rng):
        base = prog.solve(A)
        threshold = base.loss - max(1e-9 * base.loss, 1e-13)
        full = prog.sweep(A, moves, base)
        cut = prog.sweep(A, moves, base, bound=threshold)
        improving = full.loss < threshold
        assert np.all(np.isfinite(cut.loss[improving]))
        np.testing.assert_array_equal(cut.loss[improving], full.loss[improving])
        abandoned = np.array(cut.status) == "bounded"
        assert np.all(cut.lower_bound[abandoned] > threshold)
        assert np.all(full.loss[abandoned] >= cut.lower_bound[abandoned] - 1e-12 * (1 + base.loss))
        bounded_seen += abandoned.sum()
        if improving.any():
            choice = lambda losses: int(np.argmin(np.where(losses < threshold, losses, np.inf)))  # noqa: E731
            assert choice(full.loss) == choice(np.nan_to_num(cut.loss, nan=np.inf))
    assert bounded_seen


def test_threads_do_not_change_results():
    rng = np.random.default_rng(5)
    for ds, v, loss in ((gaussian_mse(rng, 40, 3), np.array([1.0, -1.0] * 3), "mse"),
                        (classification(rng, 40, 3), np.array([1.0, -1.0, 1.0]), "logistic")):
        A, moves = next(walk(ds, len(v), 1, rng))
        outs = []
        for threads in (1, 2, 3):
            kernel = RegionKernel(RegionProgram(ds, v, loss=loss).data, threads=threads)
            prog = RegionProgram(ds, v, loss=loss)
            base = prog.solve(A)
            outs.append(kernel.sweep(A, moves, base.W, base.c, base.loss, screen=True, kkt_rtol=1e-8,
                                     solutions=True))
        for other in outs[1:]:
            np.testing.assert_array_equal(outs[0].loss, other.loss)
            np.testing.assert_array_equal(outs[0].status, other.status)
            for j in range(len(moves)):
                a, b = outs[0].point(j), other.point(j)
                assert (a is None) == (b is None) == (outs[0].status[j] in ("bounded", "failed"))
                if a is not None:
                    np.testing.assert_array_equal(a[0], b[0])
                    assert a[1] == b[1]


def test_gls_is_the_same_on_one_and_on_two_threads():
    rng = np.random.default_rng(6)
    ds = gaussian_mse(rng, 24, 2)
    results = []
    for threads in (1, 2):
        import zonocomb.convex.backends.kernel as kernel_module
        original = kernel_module.default_threads
        kernel_module.default_threads = lambda: threads
        try:
            results.append(gls(ds, 3, random_state=3))
        finally:
            kernel_module.default_threads = original
    a, b = results
    assert np.array_equal(a.pattern, b.pattern)
    assert [r["loss"] for r in a.trace] == [r["loss"] for r in b.trace]


def test_a_neighbour_the_kernel_does_not_settle_is_solved_on_its_own(monkeypatch):
    rng = np.random.default_rng(7)
    ds = gaussian_mse(rng, 20, 2)
    v = np.array([1.0, -1.0])
    prog = RegionProgram(ds, v)
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    real = RegionKernel.sweep

    def failing(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        status = out.status.copy()
        status[0] = "failed"                                      # as if the kernel had stopped
        loss = out.loss.copy()
        loss[0] = np.nan
        return dataclasses.replace(out, loss=loss, status=status)
    monkeypatch.setattr(RegionKernel, "sweep", failing)
    sweep = prog.sweep(A, moves, base)
    assert sweep.status[0] == "optimal" and 0 in sweep.solutions
    assert close(sweep.loss[0], RegionProgram(ds, v).solve(moved(A, moves[0])).loss)


def test_reference_backend_sweeps_one_by_one():
    rng = np.random.default_rng(8)
    ds = gaussian_mse(rng, 12, 2)
    v = np.array([1.0, -1.0])
    fast, ref = RegionProgram(ds, v), RegionProgram(ds, v, backend="cvxpy")
    A, moves = next(walk(ds, 2, 1, rng))
    a = fast.sweep(A, moves, fast.solve(A))
    b = ref.sweep(A, moves, ref.solve(A), bound=0.0)
    assert set(b.status) == {"optimal"} and len(b.solutions) == len(moves)
    for x, y in zip(a.loss, b.loss):
        assert abs(x - y) <= 1e-6 * (1 + x)


def test_bad_sweep_inputs_raise_clear_errors():
    rng = np.random.default_rng(9)
    ds = gaussian_mse(rng, 10, 2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    with pytest.raises(InvalidInputError, match="warm_start"):
        prog.sweep(A, moves, None)
    with pytest.raises(InvalidInputError, match="move"):
        prog.sweep(A, [(2, (0,))], base)
    with pytest.raises(InvalidInputError, match="move"):
        prog.sweep(A, [(0, ())], base)
    with pytest.raises(InvalidInputError, match="move"):
        prog.sweep(A, [(0, (10,))], base)
    with pytest.raises(InvalidInputError, match="pairs"):
        prog.sweep(A, [0, 1], base)
    with pytest.raises(InvalidInputError, match="bound"):
        prog.sweep(A, moves, base, bound=np.nan)
    assert prog.sweep(A, [], base).loss.size == 0


def test_kernel_failure_in_the_sweep_is_reported_as_failed():
    rng = np.random.default_rng(10)
    ds = gaussian_mse(rng, 20, 3)
    v = np.array([1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v)
    A, moves = next(walk(ds, 3, 1, rng))
    base = prog.solve(A)
    kernel = RegionKernel(prog.data, max_iter=1)                 # every solve stops at its cap
    out = kernel.sweep(A, moves, base.W, base.c, base.loss, screen=False, kkt_rtol=1e-8)
    assert set(out.status) == {"failed"} and np.all(np.isnan(out.loss))
    with pytest.raises(KernelFailed):
        kernel.solve(moved(A, moves[0]), base.W, base.c)


def test_threads_are_set_on_the_program():
    rng = np.random.default_rng(11)
    ds = gaussian_mse(rng, 20, 2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    prog.threads = 1
    one = prog.sweep(A, moves, base)
    prog.threads = 2
    two = prog.sweep(A, moves, base)
    assert prog.threads == 2 and two.threads == 2 and one.threads == 1
    np.testing.assert_array_equal(one.loss, two.loss)
    with pytest.raises(InvalidInputError, match="threads"):
        prog.threads = 0


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_sweep_trusts_only_the_certified_solutions_of_its_own_program(loss, monkeypatch):
    """A sweep from a solution this program returned with status "optimal", of this very pattern,
    skips the base's KKT certificate and gives bit for bit the results of a sweep from the same
    point as a pair (W, c), which is certified; a pair, a copy, another program's solution and a
    solution of another pattern are certified again."""
    rng = np.random.default_rng(12)
    ds = gaussian_mse(rng, 14, 2) if loss == "mse" else classification(rng, 14, 2, flip=0.5)
    v = np.array([1.0, -1.0, 1.0])
    prog, other = RegionProgram(ds, v, loss=loss), RegionProgram(ds, v, loss=loss)
    kernel = prog.solver.kernel
    calls = []                                    # patterns certified (the vertex's, or a neighbour's)
    certify = kernel.residuals
    monkeypatch.setattr(kernel, "residuals", lambda P, *a, **kw: calls.append(P.tobytes()) or certify(P, *a, **kw))
    seen = 0
    for A, moves in walk(ds, 3, 4, rng):
        bases = lambda: calls.count(A.tobytes())                    # noqa: E731
        sol = prog.solve(A)
        if sol.status != "optimal":        # (an unattained optimum: neighbours are solved one by one)
            continue
        seen += 1
        before = bases()
        trusted = prog.sweep(A, moves, sol)
        assert bases() == before                                    # not certified again
        checked = prog.sweep(A, moves, (sol.W, sol.c))
        assert trusted.status == checked.status
        np.testing.assert_array_equal(trusted.loss, checked.loss)
        np.testing.assert_array_equal(trusted.lower_bound, checked.lower_bound)
        neighbour = prog.solve(moved(A, moves[0]))
        for foreign in ((sol.W, sol.c), dataclasses.replace(sol), other.solve(A), neighbour):
            before = bases()
            prog.sweep(A, moves, foreign)
            assert bases() == before + 1, foreign
    assert seen >= 2


def test_packed_moves_are_validated_once_and_sweep_alike():
    from zonocomb.convex.backends.kernel import PackedMoves
    rng = np.random.default_rng(13)
    ds = gaussian_mse(rng, 12, 2)
    prog = RegionProgram(ds, [1.0, -1.0])
    A, moves = next(walk(ds, 2, 1, rng))
    base = prog.solve(A)
    packed = PackedMoves.pack(moves, 2, 12)
    assert len(packed) == len(moves)
    for j, (u, flipped) in enumerate(moves):
        assert packed.units[j] == u and packed.flipped(j).tolist() == list(flipped)
    assert PackedMoves.pack(packed, 2, 12) is packed
    a, b = prog.sweep(A, moves, base), prog.sweep(A, packed, base)
    assert a.status == b.status
    np.testing.assert_array_equal(a.loss, b.loss)
    with pytest.raises(InvalidInputError, match="packed moves are for 2 units and 12 examples"):
        RegionProgram(ds, [1.0, -1.0, 1.0]).sweep(np.vstack([A, A[:1]]), packed, base)
    for bad in ([(0, (1, 1))], [(1, (3, 0, 3))], [(0, (1.5,))], [(1.0, (1,))], [(True, (1,))], [(0, "ab")],
                [(0, (1,)), (-1, (2,))], [(0, (-1,))]):
        with pytest.raises(InvalidInputError, match="move"):
            prog.sweep(A, bad, base)
