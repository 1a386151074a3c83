"""RecessionLP.solve on recession LPs where HiGHS' default dual simplex stops in phase 1
(zonocomb/convex/backends/recession.py, ``HIGHS_ATTEMPTS``). The LPs are saved in
tests/data/recession_lp_failures.npz, as the fast backend saw them during ``zonocomb reproduce
table-a3 --classes mnist=5/9`` (benchmarks/recession_lp_failures.py prints every attempt on them)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zonocomb.convex.backends import RegionData
from zonocomb.convex.backends.recession import RecessionLP

SAVED = Path(__file__).with_name("data") / "recession_lp_failures.npz"


def _saved(k: int) -> tuple[RegionData, np.ndarray]:
    saved = np.load(SAVED)
    data = RegionData(Xbar=saved[f"Xbar{k}"], y=saved[f"y{k}"], v=saved[f"v{k}"], loss="logistic", fit_bias=True)
    return data, saved[f"pattern{k}"]


@pytest.mark.parametrize("k", [0, 2])          # LP 1 still fails every attempt: the cvxpy fallback solves it
@pytest.mark.parametrize("warm", [False, True])
def test_an_lp_the_default_pricing_fails_on_gets_a_recession_direction(k, warm):
    data, pattern = _saved(k)
    got = RecessionLP(data).solve(pattern, warm=warm)
    sigma = 2.0 * data.y - 1.0
    pre = got.W @ data.Xbar.T                                           # w_u·x̄_i, shape (m, N)
    margins = sigma * ((pattern * data.v[:, None] * pre).sum(axis=0) + got.c)
    scale = max(1.0, np.abs(margins).max())
    assert np.allclose(margins, got.margins, atol=1e-9 * scale)
    assert np.all(margins[got.separated] > 0)                           # I is separated (LP 0: I is empty) ...
    assert np.abs(margins[~got.separated]).max() <= 1e-6 * scale        # ... and nothing else moves
    size = np.linalg.norm(got.W, axis=1)[:, None] * np.linalg.norm(data.Xbar, axis=1)[None, :]
    assert np.all(np.where(pattern, pre, -pre) >= -1e-7 * size)         # each w_u stays in its cone
