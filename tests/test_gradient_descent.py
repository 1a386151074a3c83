"""Batch gradient descent baseline (paper appendix H): analytic gradients against finite differences,
Glorot initialisation, frozen parameters, reproducibility, bad input, and the batched descent against
the unbatched one."""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.datasets.synthetic import synthetic
from zonocomb.errors import InvalidInputError
from zonocomb.search import gradient_descent
from zonocomb.convex.losses import mean_loss
from zonocomb.search import forward, half_output_weights
from zonocomb.search.gradient_descent import glorot_init, gradient_descent_batch


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


# ----- the batched descent equals the unbatched one ---------------------------------------------------
def _assert_same_run(batched, single, rtol=1e-9):
    assert not isinstance(batched, Exception)
    scale = max(1.0, np.abs(single.W).max())
    np.testing.assert_allclose(batched.W, single.W, rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(batched.v, single.v, rtol=0, atol=rtol * max(1.0, np.abs(single.v).max()))
    assert batched.c == pytest.approx(single.c, rel=rtol, abs=rtol)
    assert batched.loss == pytest.approx(single.loss, rel=rtol, abs=1e-15)
    assert [r["step"] for r in batched.trace] == [r["step"] for r in single.trace]
    np.testing.assert_allclose([r["loss"] for r in batched.trace], [r["loss"] for r in single.trace],
                               rtol=rtol, atol=1e-15)
    assert np.array_equal(batched.pattern, single.pattern)
    assert batched.n_steps == single.n_steps and batched.n_solves == 0


def test_batch_equals_unbatched_on_synthetic_seeds_and_widths():
    # table A1's batching: seeds (different datasets of one shape) x widths m_gen, 1.5 m_gen, 2 m_gen
    runs = [(synthetic(4, 4, seed=s), m, 1000 * s + m) for s in range(3) for m in (4, 6, 8)]
    batched = gradient_descent_batch(runs, 3000, lr=1e-3)
    for (ds, m, rs), b in zip(runs, batched):
        single = gradient_descent(ds, m, 3000, lr=1e-3, random_state=rs)
        _assert_same_run(b, single)
        assert b.W.shape == (m, ds.n) and b.v.shape == (m,)


def test_batch_equals_unbatched_on_a_shared_classification_dataset():
    # table A2/A3's batching: seeds of one width on one image task (v frozen, logistic loss)
    from zonocomb.datasets import digits_task
    ds = digits_task(d=8, N=120)
    runs = [(ds, m, rs) for m in (3, 6) for rs in (5, 6, 7)]
    batched = gradient_descent_batch(runs, 2000, lr=1e-2, loss="logistic", train_output=False)
    for (_, m, rs), b in zip(runs, batched):
        single = gradient_descent(ds, m, 2000, lr=1e-2, loss="logistic", train_output=False, random_state=rs)
        _assert_same_run(b, single)
        assert b.v.tolist() == half_output_weights(m).tolist()


def test_batch_equals_unbatched_without_bias_and_without_homogenizing():
    ds = Dataset([[1, 0], [0, 1], [1, 1], [2, -1]], y=[1, 0, 2, 1], homogenize=False)
    runs = [(ds, 2, 0), (ds, 3, 1)]
    batched = gradient_descent_batch(runs, 500, lr=1e-2, fit_bias=False, loss="l1")
    for (_, m, rs), b in zip(runs, batched):
        _assert_same_run(b, gradient_descent(ds, m, 500, lr=1e-2, fit_bias=False, loss="l1", random_state=rs))
        assert b.c == 0.0


def test_a_diverging_run_fails_alone():
    calm = synthetic(2, 2, seed=1)
    wild = Dataset(100 * calm.X_float, y=1e4 * calm.y)               # same shape, explodes at lr = 1e-2
    runs = [(calm, 4, 0), (wild, 4, 0), (calm, 2, 3)]
    batched = gradient_descent_batch(runs, 300, lr=1e-2, trace_every=1)
    with pytest.raises(InvalidInputError, match="diverged") as single_error:
        gradient_descent(wild, 4, 300, lr=1e-2, random_state=0, trace_every=1)
    assert isinstance(batched[1], InvalidInputError) and str(batched[1]) == str(single_error.value)
    _assert_same_run(batched[0], gradient_descent(calm, 4, 300, lr=1e-2, random_state=0, trace_every=1))
    _assert_same_run(batched[2], gradient_descent(calm, 2, 300, lr=1e-2, random_state=3, trace_every=1))


def test_batch_bad_inputs():
    with pytest.raises(InvalidInputError, match="at least one run"):
        gradient_descent_batch([], 10)
    with pytest.raises(InvalidInputError, match="one shape"):
        gradient_descent_batch([(synthetic(2, 2, seed=0), 2, 0), (synthetic(2, 3, seed=0), 2, 0)], 10)
    with pytest.raises(InvalidInputError, match="at least 1"):
        gradient_descent_batch([(synthetic(2, 2, seed=0), 0, 0)], 10)
    with pytest.raises(InvalidInputError, match="lr"):
        gradient_descent_batch([(synthetic(2, 2, seed=0), 2, 0)], 10, lr=-1.0)
