"""How good can a random vertex be? The best loss inside one random activation region.

The random-vertex method (paper section 4.2, appendix H.1.2) draws W from a standard Gaussian,
keeps its activation pattern A, and alternates the convex program (3) over (W, c) given v with
least squares over (v, c) given W. Inside the region of A the output weights only matter through
their signs (the region is a cone, so |v_u| is absorbed by w_u), so no method that stays in that
region can go below

    min over s ∈ {−1, +1}^m of the optimum of program (3) with v = s,

which this script computes by brute force (2^m region programs, fast backend, each answer
KKT-certified) for the region that :func:`zonocomb.search.random_vertex` draws with the same seed,
and prints it beside random_vertex's own loss and the paper's median (Table A1). Where that
lower bound is far above the paper's median, the paper's random-vertex numbers cannot have come
from the optimum of a single random region.

Usage: ``.venv/bin/python benchmarks/random_vertex_region.py [--cells 4,4,4 8,8,16] [--seeds 3]``
(2^16 programs take about a minute on this machine.)
"""
from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np

from zonocomb.convex import RegionProgram
from zonocomb.datasets.synthetic import synthetic
from zonocomb.experiments.report import TABLES, load_paper_table
from zonocomb.search import random_vertex


def best_over_signs(dataset, pattern: np.ndarray) -> float:
    """min over s ∈ {±1}^m of the region optimum with v = s (fast backend, exhaustive)."""
    m = pattern.shape[0]
    return min(RegionProgram(dataset, np.array(signs)).solve(pattern).loss
               for signs in itertools.product((1.0, -1.0), repeat=m))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["4,4,4", "4,8,8", "8,8,16"],
                        help="d,m_gen,m triples (default: 4,4,4 4,8,8 8,8,16)")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    paper = {key: row["random_vertex_median_mse"] for key, row in load_paper_table(TABLES["A1"])[1].items()}
    print(f"{'d':>2} {'m_gen':>5} {'m':>3} {'seed':>4} {'random vertex':>13} {'best in region':>14} "
          f"{'paper median':>12} {'seconds':>8}")
    for cell in args.cells:
        d, m_gen, m = (int(x) for x in cell.split(","))
        for seed in range(args.seeds):
            dataset = synthetic(d, m_gen, seed)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                rv = random_vertex(dataset, m, random_state=seed)
                best = best_over_signs(dataset, rv.pattern)
            median = paper.get((d, m_gen, m))
            print(f"{d:2d} {m_gen:5d} {m:3d} {seed:4d} {rv.loss:13.3g} {best:14.3g} "
                  f"{'–' if median is None else format(median, '.3g'):>12} {time.perf_counter() - t0:8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
