"""Whole-landscape solve speed: :func:`zonocomb.landscape.landscape` against a naive loop.

For each case (a synthetic problem of appendix H.1.1 and a number of units m, v half ±1) the
script times, in the same process:

* naive: ``solve_region(dataset, pattern, v)`` (a new RegionProgram, cold start) at the canonical
  member of every vertex class, i.e. the same vertices the landscape solves;
* landscape: ``landscape(...)``'s solve phase (one RegionOracle per chunk, every class warm-started
  from its parent along a spanning tree of the skeleton), with 1 and with 2 joblib workers;

and prints certified solves per second, the whole-landscape wall time (solves, basins and the
sampled estimates with their defaults off) and the speed-up over the naive loop, plus the largest
loss difference between the two (relative to the loss of W = 0).

Usage: ``nice -n 19 .venv/bin/python benchmarks/landscape.py [--cases 2,2,2 2,2,3]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from zonocomb.convex.region import solve_region
from zonocomb.datasets import synthetic
from zonocomb.landscape import landscape
from zonocomb.search._common import baseline_loss, half_output_weights


def run_case(d: int, m_gen: int, m: int, seed: int = 0) -> None:
    ds = synthetic(d, m_gen, seed)
    v = half_output_weights(m)
    rows = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        land = landscape(ds, m, samples=0, mgls_runs=0, progress=False, n_jobs=jobs)
        rows[jobs] = (land, time.perf_counter() - t0)
    land = rows[1][0]
    C = len(land)
    t0 = time.perf_counter()
    naive = np.array([solve_region(ds, land.pattern(c), v).loss for c in range(C)])
    t_naive = time.perf_counter() - t0
    scale = baseline_loss(ds.y, "mse", True)
    diff = np.abs(naive - land.losses).max() / scale
    print(f"{d:>2} {m_gen:>5} {m:>2} {land.n_vertices:>9} {C:>8} {C / t_naive:>10.0f} "
          + " ".join(f"{C / r[0].seconds['solve']:>10.0f} {r[1]:>8.2f} {t_naive / r[0].seconds['solve']:>7.1f}x"
                     for r in (rows[1], rows[2]))
          + f" {t_naive:>8.2f} {diff:>9.1e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["2,2,2", "2,2,3"],
                        help="d,m_gen,m triples (default: 2,2,2 2,2,3)")
    args = parser.parse_args(argv)
    print(f"{'d':>2} {'m_gen':>5} {'m':>2} {'|vert Z^m|':>9} {'classes':>8} {'naive/s':>10} "
          f"{'1 job/s':>10} {'total s':>8} {'speedup':>8} {'2 jobs/s':>10} {'total s':>8} {'speedup':>8} "
          f"{'naive s':>8} {'max |dL|':>9}")
    for case in args.cases:
        run_case(*(int(x) for x in case.split(",")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
