"""The unit contract of RecessionLP.reuse (zonocomb/convex/backends/recession.py): a direction
θ* = (W, c) found for another pattern is accepted only if it is a recession direction of the new
region (paper eq. 3 with the logistic loss): in the cone K, σ_i (Jθ*)_i ≥ MARGIN_RTOL on the
examples it separates and |σ_i (Jθ*)_i| ≤ DRIFT_RTOL max(1, max_i |σ_i (Jθ*)_i|) on the kept ones.
A direction that drifts on a kept example (moves its prediction, in either direction) is refused."""
from __future__ import annotations

import numpy as np
import pytest

from zonocomb.convex.backends import RegionData
from zonocomb.convex.backends.recession import RecessionLP


def _lp(x, y, fit_bias=False):
    """One unit, v = 1, on homogenized scalar examples x̄_i = (x_i, 1)."""
    x = np.asarray(x, dtype=float)
    Xbar = np.column_stack([x, np.ones_like(x)])
    return RecessionLP(RegionData(Xbar, np.asarray(y, dtype=float), np.array([1.0]), "logistic", fit_bias))


SLOPE = np.array([[1.0, 0.0]])           # w·x̄ = x: in the cone of the pattern {x > 0}


def test_a_clean_direction_is_accepted_with_its_separated_set():
    x, y = [-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1]
    lp = _lp(x, y)
    got = lp.reuse(np.array([[xi > 0 for xi in x]]), SLOPE, 0.0)
    assert got is not None
    assert got.separated.tolist() == [False, False, True, True]
    np.testing.assert_array_equal(got.margins, [0.0, 0.0, 1.0, 2.0])   # σ_i (Jθ*)_i, exact here


@pytest.mark.parametrize("label", [1, 0])
def test_a_direction_drifting_on_a_kept_example_is_refused(label):
    # x = 1/4 is active: θ* moves its prediction by 1/4 per unit step, below the separation margin
    # 1/2 (so it is not in I) and far above the drift tolerance: toward its label (label 1) or away
    # from it (label 0, the loss grows without bound). Neither is a recession direction with this I.
    x, y = [-2.0, -1.0, 0.25, 1.0, 2.0], [0, 0, label, 1, 1]
    lp = _lp(x, y)
    assert lp.reuse(np.array([[xi > 0 for xi in x]]), SLOPE, 0.0) is None


@pytest.mark.parametrize("label", [1, 0])
def test_drift_within_the_documented_tolerance_is_kept(label):
    # |σ_i (Jθ*)_i| = 1e-9 ≤ DRIFT_RTOL · max(1, 2): rounding-level, the example is kept (not in I).
    x, y = [-2.0, -1.0, 1e-9, 1.0, 2.0], [0, 0, label, 1, 1]
    got = _lp(x, y).reuse(np.array([[xi > 0 for xi in x]]), SLOPE, 0.0)
    assert got is not None and got.separated.tolist() == [False, False, False, True, True]


def test_the_output_bias_direction_drifts_on_every_example_of_the_other_class():
    # θ* = (W = 0, c = 1) raises every prediction: a recession direction only when every label is 1.
    x = [-2.0, -1.0, 1.0, 2.0]
    A = np.array([[xi > 0 for xi in x]])
    ok = _lp(x, [1, 1, 1, 1], fit_bias=True).reuse(A, np.zeros((1, 2)), 1.0)
    assert ok is not None and ok.separated.all()
    assert _lp(x, [1, 1, 0, 1], fit_bias=True).reuse(A, np.zeros((1, 2)), 1.0) is None


def test_silencing_the_highs_banner_leaves_stdout_and_stderr_where_they_were(capfd):
    # _silent_highs points file descriptor 1 at /dev/null while HiGHS prints its banner, then
    # puts it back: later output on fd 1 and fd 2 reaches their own destinations
    import os
    from zonocomb.convex.backends.recession import _silent_highs
    _silent_highs()
    os.write(1, b"out after\n")
    os.write(2, b"err after\n")
    captured = capfd.readouterr()
    assert captured.out == "out after\n" and captured.err == "err after\n"
