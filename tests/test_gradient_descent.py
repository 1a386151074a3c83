"""Batch gradient descent baseline (paper appendix H): analytic gradients against finite differences,
Glorot initialisation, frozen parameters, reproducibility and bad input."""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.datasets.synthetic import synthetic
from zonocomb.errors import InvalidInputError
from zonocomb.search import gradient_descent
from zonocomb.convex.losses import mean_loss
from zonocomb.search import forward
from zonocomb.search.gradient_descent import glorot_init


def numerical_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_one_step_is_minus_lr_times_the_finite_difference_gradient(loss):
    ds = synthetic(3, 2, seed=4)
    if loss == "logistic":
        ds = ds.with_labels((ds.y > np.median(ds.y)).astype(int))
    G, y, m, lr = ds.generators_float, ds.y, 3, 1e-2
    W0, v0, c0 = glorot_init(m, ds.d, ds.n, np.random.default_rng(11))
    res = gradient_descent(ds, m, 1, lr=lr, loss=loss, random_state=11)
    gW = numerical_gradient(lambda W: mean_loss(loss, forward(G, W, v0, c0), y), W0)
    gv = numerical_gradient(lambda v: mean_loss(loss, forward(G, W0, v, c0), y), v0)
    gc = numerical_gradient(lambda c: mean_loss(loss, forward(G, W0, v0, c[0]), y), np.array([c0]))
    np.testing.assert_allclose((W0 - res.W) / lr, gW, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose((v0 - res.v) / lr, gv, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose((c0 - res.c) / lr, gc[0], rtol=1e-5, atol=1e-7)


def test_glorot_initialisation():
    rng = np.random.default_rng(0)
    W, v, c = glorot_init(16, 4, 5, rng)
    a, b = np.sqrt(6 / (4 + 16)), np.sqrt(6 / (16 + 1))
    assert np.all(np.abs(W[:, :4]) <= a) and np.all(W[:, 4] == 0) and c == 0.0
    assert np.all(np.abs(v) <= b) and np.abs(W[:, :4]).max() > a / 2
    W, v, _ = glorot_init(5, 4, 5, rng, train_output=False)
    assert v.tolist() == [1, 1, 1, -1, -1]


def test_frozen_output_weights_and_bias():
    ds = synthetic(2, 3, seed=0)
    res = gradient_descent(ds, 4, 50, lr=1e-2, train_output=False, fit_bias=False, random_state=0)
    assert res.v.tolist() == [1, 1, -1, -1] and res.c == 0.0


def test_training_lowers_the_loss_and_reports_it_exactly():
    ds = synthetic(2, 2, seed=1)
    res = gradient_descent(ds, 8, 3000, lr=1e-2, random_state=0)
    assert res.loss < 0.25 * res.trace[0]["loss"]
    assert res.loss == pytest.approx(mean_loss("mse", res.predict(ds.X_float), ds.y), rel=1e-9)
    assert res.trace[-1]["step"] == 3000 == res.n_steps and res.n_solves == 0
    assert np.array_equal(res.pattern, (res.W @ ds.generators_float.T) > 0)


def test_bias_free_data():
    ds = Dataset([[1, 0], [0, 1], [1, 1], [2, -1]], y=[1, 0, 2, 1], homogenize=False)
    res = gradient_descent(ds, 2, 20, lr=1e-2, random_state=0)
    assert res.W.shape == (2, 2) and not res.homogenize
    assert res.loss == pytest.approx(mean_loss("mse", res.predict(ds.X_float), ds.y), rel=1e-9)


def test_reproducible():
    ds = synthetic(2, 2, seed=1)
    a = gradient_descent(ds, 4, 100, random_state=3)
    b = gradient_descent(ds, 4, 100, random_state=3)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.v, b.v) and a.c == b.c


def test_bad_inputs_and_divergence():
    ds = synthetic(2, 2, seed=1)
    with pytest.raises(InvalidInputError, match="lr"):
        gradient_descent(ds, 2, 10, lr=0.0)
    with pytest.raises(InvalidInputError, match="steps"):
        gradient_descent(ds, 2, -1)
    with pytest.raises(InvalidInputError, match="at least 1"):
        gradient_descent(ds, 0, 10)
    with pytest.raises(InvalidInputError, match="unknown loss"):
        gradient_descent(ds, 2, 10, loss="hinge")
    with pytest.raises(InvalidInputError, match=r"labels in \{0, 1\}"):
        gradient_descent(ds, 2, 10, loss="logistic")
    with pytest.raises(InvalidInputError, match="diverged"):
        gradient_descent(ds, 4, 200, lr=50.0, random_state=0, trace_every=1)
