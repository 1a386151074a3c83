"""Recession LPs on which HiGHS' default dual simplex fails, and which HiGHS settings solve them.

The fast backend decides whether a logistic region's infimum is attained with the recession LP
of :mod:`zonocomb.convex.backends.recession`. When HiGHS fails on it (warm primal simplex, then
the cold attempts of ``HIGHS_ATTEMPTS``), the region is re-solved with the cvxpy reference
backend, with a ``RuntimeWarning``: the answer is right, only slower.
tests/data/recession_lp_failures.npz holds three LPs from ``zonocomb reproduce table-a3 --classes
mnist=5/9`` (d = 8, N = 350, m = 8 and m = 4) on which HiGHS' default dual simplex fails, as the
backend saw them (``Xbar{k}``, ``y{k}``, ``v{k}``, ``pattern{k}`` for k = 0, 1, 2; logistic loss,
output bias fitted); benchmarks/README.md has what was measured on them.

For each LP this script runs ``RecessionLP.solve`` (cold and warm) and then scipy's HiGHS with
other settings, and prints whether each gave an answer that ``RecessionLP.validate`` accepts.

Usage: ``.venv/bin/python benchmarks/recession_lp_failures.py`` (a few seconds).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import linprog

from zonocomb.convex.backends import RegionData
from zonocomb.convex.backends.recession import RecessionLP, RecessionLPFailed

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "recession_lp_failures.npz"
VARIANTS = {
    "dual simplex, Devex pricing": ("highs-ds", dict(presolve=False, simplex_dual_edge_weight_strategy="devex")),
    "dual simplex with presolve": ("highs-ds", dict(presolve=True)),
    "interior point, no presolve": ("highs-ipm", dict(presolve=False)),
}


def outcome(lp: RecessionLP, pattern: np.ndarray, method: str, options: dict) -> str:
    """'valid', or why scipy's HiGHS with these settings gave no valid recession direction."""
    A, bounds = lp._cold_lp(pattern, np.where(pattern, 1.0, -1.0))
    res = linprog(lp.cost, A_ub=A, b_ub=np.zeros(A.shape[0]), bounds=bounds, method=method, options=options)
    if res.status != 0 or res.x is None:
        return res.message
    try:
        lp.validate(pattern, res.x)
    except RecessionLPFailed as exc:
        return f"invalid: {exc}"
    return "valid"


def main() -> None:
    saved = np.load(DATA)
    print("| LP | m | attempt | outcome |\n|---|---|---|---|")
    for k in range(len([name for name in saved.files if name.startswith("pattern")])):
        data = RegionData(Xbar=saved[f"Xbar{k}"], y=saved[f"y{k}"], v=saved[f"v{k}"], loss="logistic",
                          fit_bias=True)
        pattern = saved[f"pattern{k}"]
        for warm in (False, True):
            try:
                RecessionLP(data).solve(pattern, warm=warm)
                answer = "valid"
            except RecessionLPFailed as exc:
                answer = str(exc)
            print(f"| {k} | {data.m} | RecessionLP.solve(warm={warm}) | {answer} |")
        lp = RecessionLP(data)
        for name, (method, options) in VARIANTS.items():
            print(f"| {k} | {data.m} | {name} | {outcome(lp, pattern, method, options)} |")


if __name__ == "__main__":
    main()
