"""Gradient descent's definition (paper appendix H.1.2 / H.2.2, the module docstring of
zonocomb/search/gradient_descent.py): the Glorot-uniform limits per layer shape, exactly, and the
rule that the ReLU derivative at 0 is 0."""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb import Dataset
from zonocomb.search import gradient_descent, half_output_weights
from zonocomb.search.gradient_descent import glorot_init, gradient_descent_batch

SHAPES = [(1, 1), (3, 7), (16, 2), (64, 8)]          # (m, d)


@pytest.mark.parametrize("m, d", SHAPES)
def test_glorot_draws_are_uniform_on_the_documented_limits_per_layer(m, d):
    # W[:, :d] ~ U(−a, a), a = sqrt(6/(d + m)); v ~ U(−b, b), b = sqrt(6/(m + 1)), drawn in that
    # order from the given generator; the bias column and c start at 0. The same stream drawn by
    # numpy's own uniform sampler on the documented limits must give the very same floats.
    seed = 1000 + 10 * m + d
    W, v, c = glorot_init(m, d, d + 1, np.random.default_rng(seed))
    ref = np.random.default_rng(seed)
    np.testing.assert_array_equal(W[:, :d], ref.uniform(-np.sqrt(6.0 / (d + m)), np.sqrt(6.0 / (d + m)), (m, d)))
    np.testing.assert_array_equal(v, ref.uniform(-np.sqrt(6.0 / (m + 1)), np.sqrt(6.0 / (m + 1)), m))
    assert W.shape == (m, d + 1) and np.all(W[:, d] == 0.0) and c == 0.0


def test_glorot_limits_are_attained_not_just_respected():
    # Many draws on one shape fill U(−a, a): the extreme draws come within 0.1 % of ±a (a looser
    # or tighter limit would show here even without reproducing the random stream).
    m, d = 100, 100
    W, _, _ = glorot_init(m, d, d, np.random.default_rng(7))
    a = np.sqrt(6.0 / (d + m))
    assert np.abs(W).max() <= a
    assert W.max() > a * (1 - 1e-3) and W.min() < -a * (1 - 1e-3)
    _, v, _ = glorot_init(4000, 1, 1, np.random.default_rng(8))
    b = np.sqrt(6.0 / 4001)
    assert np.abs(v).max() <= b and v.max() > b * (1 - 1e-2) and v.min() < -b * (1 - 1e-2)


def test_zero_steps_return_the_glorot_initialisation_and_frozen_outputs():
    ds = Dataset(np.arange(12.0).reshape(6, 2), y=[0, 1, 0, 1, 1, 0])
    res = gradient_descent(ds, 4, steps=0, random_state=3, train_output=False, loss="logistic")
    W, v, c = glorot_init(4, 2, 3, np.random.default_rng(3), train_output=False)
    np.testing.assert_array_equal(res.W, W)
    np.testing.assert_array_equal(res.v, half_output_weights(4))
    assert res.c == c == 0.0


def _kink_datasets(label_at_kink):
    # Homogenized data: x̄ = (x, 1), and the units' biases start at 0, so the example x = 0 has
    # preactivation exactly 0 on every unit at the first step.
    x = [[0.0], [1.0], [-2.0], [3.0]]
    return Dataset(x, y=[label_at_kink, 1.0, 0.5, -1.0])


@pytest.mark.parametrize("loss", ["mse", "l1"])
def test_relu_derivative_at_zero_is_zero(loss):
    # With φ'(0) = 0 an example whose preactivation is exactly 0 does not enter the first-layer
    # gradient, so the first step's W cannot depend on its label (v and c do).
    a = gradient_descent(_kink_datasets(5.0), 3, steps=1, lr=0.1, loss=loss, random_state=0)
    b = gradient_descent(_kink_datasets(-7.0), 3, steps=1, lr=0.1, loss=loss, random_state=0)
    np.testing.assert_array_equal(a.W, b.W)
    assert a.c != b.c                                            # the label did reach the output
    # ... and the step did move W (the other examples are active on some unit)
    W0, _, _ = glorot_init(3, 1, 2, np.random.default_rng(0))
    assert not np.array_equal(a.W, W0)


def test_relu_derivative_at_zero_is_zero_in_the_batched_descent():
    runs = [(_kink_datasets(5.0), 3, 0), (_kink_datasets(-7.0), 3, 0)]
    a, b = gradient_descent_batch(runs, steps=1, lr=0.1)
    np.testing.assert_array_equal(a.W, b.W)
    assert a.c != b.c
