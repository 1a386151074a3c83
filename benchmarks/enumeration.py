"""Exact vertex enumeration and lazy neighbours of zonotopes: timings on this machine.

Table 1 (issue 2's goals: N = 24, d = 3 exact in < 1 s; N = 100, d = 3, 323,600 vertices, exact in
< 30 s). Random integer points in [−1000, 1000]^d, homogenized, resampled until in general position
(checked exactly), so the vertex count must equal the closed form 2·Σ_{i<n} C(N−1, i), n = d+1.

* fast exact: :func:`zonocomb.geometry.chambers.chambers_exact` (rays of the arrangement, exact
  integer signs, no LP);
* float: :func:`zonocomb.geometry.chambers.chambers_float` (same algorithm in float64);
* baseline: :func:`zonocomb.geometry.chambers.chambers_baseline` (incremental insertion, one exact
  cddlib LP per (cell, hyperplane)); run only up to ``--baseline-max`` generators. Beyond that the
  table prints an estimate marked "est.": the baseline's LP count Σ_{i<N} c_i (c_i = chambers of the
  first i hyperplanes, closed form) times the seconds per LP measured on the largest run.

Table 2: :meth:`Zonotope.neighbors` (the walls of one chamber, exact, one float LP per call) on the
paper-sized problems N = 72, d = 8 (synthetic, appendix H.1.1) and N = 350, d = 8 (8×8 digits 4 vs 9,
PCA-whitened), on random vertices and along a random walk on the skeleton (the access pattern of
greedy local search), against the straightforward method: one exact LP per parallel class (timed on
at most 80 classes and extrapolated, marked "est.").

Table 3: exact general-position test (:func:`zonocomb.geometry.position.general_position_witness`).

Usage: ``python benchmarks/enumeration.py [--quick] [--baseline-max N] [--seed S]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zonocomb.datasets import digits_task, synthetic  # noqa: E402
from zonocomb.geometry.chambers import (chamber_interior_point, chambers_baseline,  # noqa: E402
                                        chambers_exact, chambers_float, integer_generators)
from zonocomb.geometry.position import general_position_witness  # noqa: E402
from zonocomb.geometry.zonotope import closed_form_vertex_count  # noqa: E402


def points(N: int, d: int, rng) -> np.ndarray:
    while True:
        X = np.hstack([rng.integers(-1000, 1001, size=(N, d)), np.ones((N, 1), dtype=np.int64)])
        if general_position_witness(X.tolist()) is None:
            return X


def timed(f, *args):
    t = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t


def baseline_lp_count(N: int, n: int) -> int:
    """LPs of the incremental baseline on generic data: one per cell present before each insertion."""
    return 2 + sum(closed_form_vertex_count(i, n) for i in range(1, N))


def enumeration_table(sizes, baseline_max: int, rng) -> None:
    print("Table 1: exact vertex enumeration (random integer points in general position)")
    head = f"{'N':>4} {'d':>2} {'#vertices':>10} {'closed form':>11} {'fast exact s':>12} " \
           f"{'float s':>8} {'baseline s':>12} {'ratio':>10}"
    print(head)
    print("-" * len(head))
    sec_per_lp = None
    for N, d in sizes:
        X = points(N, d, rng)
        C, t_exact = timed(chambers_exact, X)
        F, t_float = timed(chambers_float, X.astype(float))
        assert np.array_equal(C, F), "float and exact enumerations differ"
        expected = closed_form_vertex_count(N, d + 1)
        assert len(C) == expected
        if N <= baseline_max:
            B, t_base = timed(chambers_baseline, X)
            assert np.array_equal(B, C), "baseline and exact enumerations differ"
            sec_per_lp = t_base / baseline_lp_count(N, d + 1)
            base, ratio = f"{t_base:12.2f}", f"{t_base / t_exact:10.0f}"
        elif sec_per_lp is not None:
            est = sec_per_lp * baseline_lp_count(N, d + 1)
            base, ratio = f"{est:8.0f} est.", f"{est / t_exact:6.0f} est."
        else:
            base, ratio = f"{'not run':>12}", f"{'-':>10}"
        print(f"{N:>4} {d:>2} {len(C):>10} {expected:>11} {t_exact:12.3f} {t_float:8.3f} {base} {ratio}")
    print()


LP_CLASSES = 80


def flip(b, members):
    out = list(b)
    for i in members:
        out[i] = 1 - out[i]
    return tuple(out)


def neighbors_table(n_random: int, n_walk: int, rng) -> None:
    print("Table 2: Zonotope.neighbors(b), exact (ms per call; cached calls are dict lookups)")
    head = f"{'problem':<22} {'N':>4} {'n':>2} {'mean deg':>8} {'random ms':>10} {'walk ms':>8} " \
           f"{'cached ms':>9} {'per-class LP ms':>15}"
    print(head)
    print("-" * len(head))
    for name, ds in (("synthetic H.1.1 d=8", synthetic(8, 8, seed=0)), ("digits 4/9 PCA d=8", digits_task())):
        Z = ds.zonotope()
        starts = [Z.pattern_of(rng.standard_normal(Z.n)) for _ in range(n_random)]
        t = time.perf_counter()
        degrees = [len(Z.neighbors(b)) for b in starts]
        t_random = (time.perf_counter() - t) / n_random
        b, t_walk, steps = starts[0], 0.0, 0
        asked = set(starts)                     # barcodes whose neighbours Z has cached
        while steps < n_walk:
            nbrs = Z.neighbors(b)
            b = nbrs[rng.integers(len(nbrs))]
            if b in asked:
                continue
            asked.add(b)
            t = time.perf_counter()
            Z.neighbors(b)
            t_walk += time.perf_counter() - t
            steps += 1
        t = time.perf_counter()
        for b in starts:
            Z.neighbors(b)
        t_cached = (time.perf_counter() - t) / n_random
        # straightforward: one exact LP per parallel class (is the flipped pattern a vertex?); on
        # more than LP_CLASSES classes it is timed on the first LP_CLASSES and extrapolated
        gens, b = integer_generators(Z.generators), starts[0]
        classes = Z.parallel_classes[:LP_CLASSES]
        t = time.perf_counter()
        slow = []
        for members in classes:
            nb = flip(b, members)
            if chamber_interior_point(gens, [2 * v - 1 for v in nb]) is not None:
                slow.append(nb)
        t_lp = (time.perf_counter() - t) * len(Z.parallel_classes) / len(classes)
        lp = f"{t_lp * 1e3:15.0f}"
        if len(classes) == len(Z.parallel_classes):
            assert sorted(slow) == Z.neighbors(b)
        else:
            lp = f"{t_lp * 1e3:10.0f} est."
            assert set(slow) == {nb for nb in Z.neighbors(b) if any(nb[i] != b[i] for m in classes for i in m)}
        print(f"{name:<22} {Z.N:>4} {Z.n:>2} {np.mean(degrees):8.1f} {t_random * 1e3:10.1f} "
              f"{t_walk / n_walk * 1e3:8.1f} {t_cached * 1e3:9.3f} {lp}")
    print()


def position_table(sizes, rng) -> None:
    print("Table 3: exact general-position test")
    head = f"{'N':>4} {'n':>2} {'data':<16} {'(n-1)-subsets':>13} {'seconds':>8} {'verdict':>10}"
    print(head)
    print("-" * len(head))
    for N, n, kind in sizes:
        if kind == "int [-1000,1000]":
            X = np.hstack([rng.integers(-1000, 1001, size=(N, n - 1)), np.ones((N, 1), dtype=np.int64)]).tolist()
        else:
            X = np.hstack([rng.standard_normal((N, n - 1)), np.ones((N, 1))])
        w, t = timed(general_position_witness, X)
        print(f"{N:>4} {n:>2} {kind:<16} {math.comb(N, n - 1):>13} {t:8.2f} {'general' if w is None else str(w):>10}")
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes only")
    parser.add_argument("--baseline-max", type=int, default=24,
                        help="largest N for which the LP baseline is run (default 24)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    if args.quick:
        sizes = [(8, 2), (12, 3), (24, 3), (40, 3)]
    else:
        sizes = [(8, 2), (12, 3), (16, 3), (24, 3), (30, 4), (50, 3), (100, 3), (40, 5)]
    enumeration_table(sizes, args.baseline_max, rng)
    neighbors_table(5 if args.quick else 20, 5 if args.quick else 20, rng)
    position_table([(100, 4, "int [-1000,1000]"), (100, 4, "float N(0,1)")] +
                   ([] if args.quick else [(100, 5, "int [-1000,1000]"), (100, 5, "float N(0,1)")]), rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
