"""Weight decay in the region program: mean loss + alpha ‖W‖² (RegionProgram(alpha=...)).

Evidence: agreement of the compiled kernel with cvxpy + ECOS (which adds alpha·sum_squares(W) to
its objective) on random vertices, MSE and logistic, with and without c; the norm of the optimum
does not increase with alpha (a property of every penalised convex program); a separable logistic
region, unattained without decay, has a finite minimiser with it; sweeps equal solving each
neighbour; the reported objective is the loss of the returned network plus the decay.
"""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.errors import InvalidInputError
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search import gls


def dataset(rng, loss, N=30, d=3):
    X = rng.standard_normal((N, d))
    y = rng.standard_normal(N)
    return Dataset(X, y=(y > 0).astype(float) if loss == "logistic" else y)


@pytest.mark.parametrize("loss", ["mse", "logistic"])
@pytest.mark.parametrize("fit_bias", [True, False])
def test_kernel_agrees_with_the_reference(loss, fit_bias):
    rng = np.random.default_rng(0)
    ds = dataset(rng, loss)
    v = np.array([1.0, -1.0, 1.0, -1.0])
    power = ZonotopePower(ds.zonotope(), 4)
    for alpha in (1e-3, 0.1, 2.0):
        fast = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, alpha=alpha)
        ref = RegionProgram(ds, v, loss=loss, fit_bias=fit_bias, alpha=alpha, backend="cvxpy")
        for _ in range(4):
            A = power.random_vertex(rng)
            a, b = fast.solve(A), ref.solve(A)
            assert a.status == "optimal"
            assert a.loss <= b.loss + 1e-9 * b.loss                   # never worse than ECOS ...
            assert abs(a.loss - b.loss) <= 1e-7 * b.loss              # ... and equal to its accuracy
            decay = alpha * float(np.sum(a.W ** 2))
            assert a.loss == pytest.approx(fast.network_loss(a.W, a.c) + decay, rel=1e-9, abs=1e-15)


def test_norm_of_the_optimum_does_not_increase_with_alpha():
    rng = np.random.default_rng(1)
    ds = dataset(rng, "mse")
    v = np.array([1.0, -1.0, 1.0])
    A = ZonotopePower(ds.zonotope(), 3).random_vertex(rng)
    norms = [float(np.linalg.norm(RegionProgram(ds, v, alpha=a).solve(A).W)) for a in (0.0, 1e-3, 1e-2, 0.1, 1.0)]
    assert all(b <= a * (1 + 1e-9) + 1e-12 for a, b in zip(norms, norms[1:]))
    assert norms[-1] < norms[0]


def test_separable_logistic_region_is_attained_with_decay():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    ds = Dataset(X, y=[0.0, 0.0, 1.0, 1.0])
    A = np.array([[0, 0, 1, 1]], dtype=bool)                     # the unit separates the labels
    plain = RegionProgram(ds, [1.0], loss="logistic").solve(A)
    assert plain.status == "optimal_unattained"
    decayed = RegionProgram(ds, [1.0], loss="logistic", alpha=0.01)
    sol = decayed.solve(A)
    ref = RegionProgram(ds, [1.0], loss="logistic", alpha=0.01, backend="cvxpy").solve(A)
    assert sol.status == "optimal" and np.all(np.abs(sol.W) < 1e3)
    assert abs(sol.loss - ref.loss) <= 1e-7 * ref.loss


def test_sweep_with_decay_equals_solving_each_neighbour():
    rng = np.random.default_rng(2)
    ds = dataset(rng, "mse")
    v = np.array([1.0, -1.0, 1.0])
    prog = RegionProgram(ds, v, alpha=0.05)
    power = ZonotopePower(ds.zonotope(), 3)
    A = power.random_vertex(rng)
    moves = power.neighbor_moves(A)
    base = prog.solve(A)
    sweep = prog.sweep(A, moves, base)
    assert "screened" not in sweep.status                          # no screening with decay
    for k, (u, flipped) in enumerate(moves):
        B = A.copy()
        B[u, list(flipped)] ^= True
        fresh = RegionProgram(ds, v, alpha=0.05).solve(B).loss
        assert abs(sweep.loss[k] - fresh) <= 1e-8 * fresh


def test_gls_with_decay_decreases_the_penalised_objective():
    rng = np.random.default_rng(3)
    ds = dataset(rng, "mse", N=20, d=2)
    res = gls(ds, 3, random_state=0, alpha=0.01)
    losses = [row["loss"] for row in res.trace]
    assert all(b < a for a, b in zip(losses, losses[1:]))
    prog = RegionProgram(ds, res.v, alpha=0.01)
    assert res.loss == pytest.approx(prog.objective(res.pattern, res.W, res.c), rel=1e-12)


@pytest.mark.parametrize("alpha", [-1.0, np.nan, np.inf, "0.1", True])
def test_bad_alpha_is_refused(alpha):
    ds = dataset(np.random.default_rng(4), "mse", N=6)
    with pytest.raises(InvalidInputError, match="alpha"):
        RegionProgram(ds, [1.0], alpha=alpha)


def test_decay_needs_a_smooth_loss():
    ds = dataset(np.random.default_rng(5), "mse", N=6)
    with pytest.raises(InvalidInputError, match="smooth loss"):
        RegionProgram(ds, [1.0], loss="l1", alpha=0.1)
