"""Scale invariance (issue: features and labels scaled by 1e±8).

Scaling the features x → s·x (the first d coordinates of every w_u by 1/s) and the labels y → t·y
(v·W and c by t) changes no activation pattern and no region: the region program's optimum scales
by t² (MSE), and a search from the same start must take the same path. Evidence: the optimum of
every region, GLS's and mGLS's final pattern and relative loss, and the command line on scaled
copies of one dataset.
"""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.convex import RegionProgram
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search import gls, mgls

SCALES = [(1e8, 1.0), (1e-8, 1.0), (1.0, 1e8), (1.0, 1e-8), (1e8, 1e-8), (1e-8, 1e8)]


def data(rng, N=24, d=2):
    X = rng.standard_normal((N, d))
    W = rng.standard_normal((3, d + 1))
    y = np.maximum(np.hstack([X, np.ones((N, 1))]) @ W.T, 0.0) @ np.array([1.0, -1.0, 0.5])
    return X, y + 0.1 * rng.standard_normal(N)


@pytest.mark.parametrize("s,t", SCALES)
def test_region_optima_scale_with_the_labels(s, t):
    rng = np.random.default_rng(0)
    X, y = data(rng)
    base, scaled = Dataset(X, y=y), Dataset(s * X, y=t * y)
    v = np.array([1.0, -1.0, 1.0])
    p0, p1 = RegionProgram(base, v), RegionProgram(scaled, v)
    power = ZonotopePower(base.zonotope(), 3)
    for _ in range(5):
        A = power.random_vertex(rng)
        a, b = p0.solve(A), p1.solve(A)
        assert b.status == "optimal"
        assert abs(b.loss / t ** 2 - a.loss) <= 1e-8 * a.loss + 1e-14
        # the same network up to the scaling: first-layer inputs by 1/s, outputs by t
        pred = (A * v[:, None] * (b.W[:, :-1] @ (s * X).T + b.W[:, -1:])).sum(axis=0) + b.c
        ref = (A * v[:, None] * (a.W[:, :-1] @ X.T + a.W[:, -1:])).sum(axis=0) + a.c
        assert np.allclose(pred / t, ref, rtol=1e-6, atol=1e-8 * np.abs(y).max())


@pytest.mark.parametrize("method", [gls, mgls])
@pytest.mark.parametrize("s,t", SCALES[:4])
def test_searches_take_the_same_path_on_scaled_data(method, s, t):
    rng = np.random.default_rng(1)
    X, y = data(rng)
    base = Dataset(X, y=y)
    start = ZonotopePower(base.zonotope(), 3).random_vertex(rng)     # a vertex of both
    a = method(base, 3, random_state=4, start=start)
    b = method(Dataset(s * X, y=t * y), 3, random_state=4, start=start)
    assert np.array_equal(a.pattern, b.pattern)
    assert abs(b.loss / t ** 2 - a.loss) <= 1e-7 * a.loss + 1e-14
    assert b.n_steps == a.n_steps


@pytest.mark.parametrize("s", [1e8, 1e-8])
def test_fit_on_scaled_features_neither_aborts_nor_fails(tmp_path, capsys, s):
    # the scipy NNLS of the old Python active set aborted the process here (SciPy issue 24861)
    from zonocomb.cli import main
    rng = np.random.default_rng(2)
    X, y = data(rng, N=30, d=3)
    path = tmp_path / "scaled.csv"
    np.savetxt(path, np.hstack([s * X, y[:, None]]), delimiter=",", fmt="%.17g")
    assert main(["fit", str(path), "--units", "4", "--seed", "0"]) == 0
    assert "loss" in capsys.readouterr().out
