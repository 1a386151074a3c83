"""Quality of GLS and mGLS on the synthetic problems of paper appendix H.1 (issue 3's quality goal).

For (d, m_gen, m) in {(4, 2, 8), (4, 4, 16)} and 8 seeds each, draw the dataset of appendix H.1.1
(N = (d+1)·m_gen Gaussian points labelled by a Gaussian ReLU network with m_gen units), run GLS
(T = 1024) and mGLS (T = 2048) with v = half ±1 and c optimised (appendix H.1.2), and print the
median final MSE next to the paper's Table A1 (which lists GLS only), with the median wall time,
convex solves and steps per run.

Usage: ``.venv/bin/python benchmarks/search_quality.py [--seeds 8] [--backend fast] [--jobs 1]``
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from joblib import Parallel, delayed

from zonocomb.datasets.synthetic import synthetic
from zonocomb.experiments.report import TABLES, load_paper_table
from zonocomb.search import gls, mgls

CONFIGS = [(4, 2, 8), (4, 4, 16)]
# Harder cells of Table A1 (fewer units per generating unit), printed with --extended.
EXTENDED = [(4, 2, 2), (4, 2, 4), (4, 4, 4), (4, 4, 8), (8, 4, 8), (8, 8, 16)]


def run_one(method: str, d: int, m_gen: int, m: int, seed: int, backend: str) -> dict:
    ds = synthetic(d, m_gen, seed)
    fn = gls if method == "gls" else mgls
    steps = 1024 if method == "gls" else 2048
    t = time.perf_counter()
    res = fn(ds, m, max_steps=steps, random_state=seed, backend=backend)
    direct = float(np.mean((res.predict(ds.X_float) - ds.y) ** 2))
    return {"method": method, "d": d, "m_gen": m_gen, "m": m, "seed": seed, "loss": res.loss,
            "direct": direct,
            "seconds": time.perf_counter() - t, "n_solves": res.n_solves, "n_steps": res.n_steps,
            "local_min": res.info["local_minimum"], "floor": res.info["reached_floor"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--backend", default="fast")
    parser.add_argument("--jobs", type=int, default=1, help="parallel runs (joblib)")
    parser.add_argument("--verbose", action="store_true", help="print every run")
    parser.add_argument("--extended", action="store_true",
                        help=f"also run the harder cells {EXTENDED} of Table A1")
    args = parser.parse_args(argv)
    configs = CONFIGS + (EXTENDED if args.extended else [])
    jobs = [(method, d, mg, m, seed) for d, mg, m in configs for method in ("gls", "mgls")
            for seed in range(args.seeds)]
    rows = []
    for r in Parallel(n_jobs=args.jobs, return_as="generator")(
            delayed(run_one)(*job, args.backend) for job in jobs):
        rows.append(r)
        if args.verbose:
            print(r, flush=True)
    paper = load_paper_table(TABLES["A1"])[1]                     # (d, m_gen, m) -> the paper's row
    print(f"Synthetic data of appendix H.1, {args.seeds} seeds per cell, backend={args.backend!r}\n")
    header = (f"{'d':>2} {'m_gen':>5} {'m':>3}  {'method':<6} {'median MSE':>11} {'direct':>10} {'max MSE':>10} "
              f"{'paper GLS median':>16} {'<=paper':>7} {'floor/locmin/T':>14} {'sec/run':>8} "
              f"{'max sec':>8} {'solves/run':>10} {'steps/run':>9}")
    print(header)
    print("-" * len(header))
    for d, mg, m in configs:
        ref = paper.get((d, mg, m), {})
        ref_med = ref["gls_median_mse"] if ref.get("gls_median_mse") is not None else float("nan")
        for method in ("gls", "mgls"):
            sel = [r for r in rows if (r["d"], r["m_gen"], r["m"], r["method"]) == (d, mg, m, method)]
            losses = np.array([r["loss"] for r in sel])
            secs = np.array([r["seconds"] for r in sel])
            med = float(np.median(losses))
            direct = float(np.median([r["direct"] for r in sel]))
            stops = (f"{sum(r['floor'] for r in sel)}/"
                     f"{sum(r['local_min'] and not r['floor'] for r in sel)}/"
                     f"{sum(not r['local_min'] and not r['floor'] for r in sel)}")
            print(f"{d:>2} {mg:>5} {m:>3}  {method:<6} {med:>11.3e} {direct:>10.2e} {losses.max():>10.2e} "
                  f"{ref_med:>16.3e} {'yes' if med <= ref_med else 'no':>7} {stops:>14} "
                  f"{np.median(secs):>8.2f} {secs.max():>8.2f} "
                  f"{np.median([r['n_solves'] for r in sel]):>10.0f} "
                  f"{np.median([r['n_steps'] for r in sel]):>9.0f}")
    print("\nmedian MSE: the loss reported by the search (optimum of program (3) at the final vertex);"
          " direct: median MSE of the returned network f(x) = v·relu(W x̄) + c evaluated on the data.")
    print("floor/locmin/T: runs that stopped at the loss floor (MSE <= 1e-13·Var y, numerically 0) /"
          " at a local minimum above it / at the step limit T.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
