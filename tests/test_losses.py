"""The one loss module (zonocomb.convex.losses): derivatives, and the sweeps' recomputed losses."""
import mpmath
import numpy as np
import pytest

from zonocomb.convex.losses import loss_derivative, loss_derivatives, mean_loss
from zonocomb.experiments import Task, execute
from zonocomb.experiments import runner
from zonocomb.geometry.dataset import Dataset


@pytest.mark.parametrize("loss", ["mse", "logistic", "l1"])
def test_loss_derivative_is_the_derivative_of_the_mean_loss(loss):
    rng = np.random.default_rng(0)
    y = (rng.random(7) < 0.5).astype(float) if loss == "logistic" else rng.standard_normal(7)
    yhat = rng.standard_normal(7) * 3
    g = loss_derivative(loss, yhat, y)
    h = 1e-6
    for i in range(7):
        e = np.zeros(7)
        e[i] = h
        numeric = (mean_loss(loss, yhat + e, y) - mean_loss(loss, yhat - e, y)) / (2 * h)
        assert g[i] / 7 == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    if loss != "l1":
        assert np.array_equal(g, loss_derivatives(loss, yhat, y)[0])


def test_logistic_derivative_keeps_relative_accuracy_at_large_margins():
    t = np.array([10.0, 25.0, 40.0, 700.0])
    g = loss_derivative("logistic", t, np.ones(4))                  # σ(t) − 1 = −σ(−t)
    exact = [-1 / (1 + mpmath.exp(mpmath.mpf(v))) for v in t]
    for got, want in zip(g, exact):
        assert got == pytest.approx(float(want), rel=1e-14, abs=0)
    assert np.all(g < 0)


class _Margins:
    """A stand-in search result whose predictions are the given logits."""

    loss, n_solves, n_steps, seconds = 0.0, 0, 0, 0.0

    def __init__(self, logits):
        self.logits = logits

    def predict(self, X):
        return self.logits


@pytest.mark.parametrize("margins", [[40.0] * 4, [33.0, 40.0, 36.0, 38.0], [0.0, 1.0, 20.0, 40.0]])
def test_sweep_recomputes_the_logistic_loss_without_cancellation(monkeypatch, margins):
    # Margins (2y − 1)·ŷ up to 40, where ℓ = log(1 + e^−40) ≈ 4.2e-18: the form log(1 + e^ŷ) − yŷ
    # cancels to 0 there. Reference: mpmath at 50 digits.
    y = np.array([1.0, 0.0, 1.0, 0.0])
    logits = np.where(y == 1, margins, np.negative(margins))
    ds = Dataset([[float(i)] for i in range(4)], y=y.tolist())
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: ds)
    monkeypatch.setitem(runner.METHODS, "fake", lambda dataset, cfg, rs: _Margins(logits))
    rec = execute(Task.make("t", {"kind": "synthetic", "m": 1, "loss": "logistic"}, "fake", 0))
    assert rec["status"] == "ok", rec.get("error")
    with mpmath.workdps(50):
        exact = sum(mpmath.log1p(mpmath.exp(-mpmath.mpf(t))) for t in margins) / 4
    assert rec["loss_recomputed"] == pytest.approx(float(exact), rel=1e-14, abs=0)
