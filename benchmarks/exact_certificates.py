"""Cost of exact certificates (zonocomb.certify) against the float solves they start from.

Part 1, per region: for N ∈ {10, 20, 40} examples in d = 2 and m ∈ {1, 2, 4} units (v = ±1
alternating, output bias fitted, MSE), random activation patterns (the pattern of a standard
Gaussian W, section 4.2) are solved by the fast float backend (``RegionProgram.solve``) and then
certified exactly from that answer (:func:`zonocomb.certify.certify_program`, which includes
reading the hint). Two kinds of data:

* ``grid``: examples and labels on the grid (1/100) Z (a planted ReLU network plus noise, rounded),
  so the exact arithmetic runs on small integers;
* ``float``: the same data unrounded, i.e. binary64 numbers read exactly (denominators up to 2^52
  and beyond), the worst case for rational arithmetic.

The float and exact blocks alternate over ``--rounds`` rounds (default 3) with fresh programs;
the table gives the median per-region CPU time of each (``time.process_time``: the machine is
shared, and CPU time is what a preempted process does not accumulate) and the median of the paired
per-round ratios exact/float (same process, back to back), the active-set steps taken beyond the
hint (0 when the float tight set was the optimal face), and the largest |exact − float| loss
difference.

Part 2, exact ERM: CPU time of ``exact_erm(certify="exact")`` against the float ``exact_erm`` on
the figure-1 demo data (m = 2, v = (1, −1)) and on the set-cover reduction dataset of appendix E.1
for U = {1..4}, T = {{1,2},{3},{3,4},{1,4}} (m = 1, bias-free output, v = 1).

Usage: ``python benchmarks/exact_certificates.py [--quick] [--rounds R] [--seed S] [--plot FILE]``
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zonocomb import Dataset, exact_erm, figure1_dataset  # noqa: E402
from zonocomb.certify.problem import ExactProgram  # noqa: E402
from zonocomb.certify.region import certify_program  # noqa: E402
from zonocomb.convex import RegionProgram  # noqa: E402
from zonocomb.theory.reductions import set_cover_to_relu  # noqa: E402

D = 2


def make_data(N: int, rng, grid: bool) -> Dataset:
    X = rng.standard_normal((N, D))
    Xbar = np.hstack([X, np.ones((N, 1))])
    W = rng.standard_normal((3, D + 1))
    y = np.maximum(Xbar @ W.T, 0.0) @ np.array([1.0, -1.0, 1.0]) + 0.1 * rng.standard_normal(N)
    if grid:
        return Dataset([[f"{round(x * 100)}/100" for x in row] for row in X],
                       y=[f"{round(t * 100)}/100" for t in y])
    return Dataset(X, y=y)


def random_patterns(ds: Dataset, m: int, count: int, rng) -> list[np.ndarray]:
    G = ds.generators_float
    return [(rng.standard_normal((m, ds.n)) @ G.T) > 0 for _ in range(count)]


def region_row(N, m, kind, rounds, count, rng):
    ds = make_data(N, rng, grid=(kind == "grid"))
    v = [1 if u % 2 == 0 else -1 for u in range(m)]
    patterns = random_patterns(ds, m, count, rng)
    exact = ExactProgram(ds, patterns[0], v)
    t_float, t_exact, ratios = [], [], []
    steps, worst = 0, 0.0
    for r in range(rounds):
        program = RegionProgram(ds, [float(x) for x in v])
        t0 = time.process_time()
        sols = [program.solve(A) for A in patterns]
        tf = (time.process_time() - t0) / count
        t0 = time.process_time()
        certs = [certify_program(exact.with_pattern(A), sol) for A, sol in zip(patterns, sols)]
        te = (time.process_time() - t0) / count
        t_float.append(tf)
        t_exact.append(te)
        ratios.append(te / tf)
        if r == 0:
            steps = sum(c.steps for c in certs)
            worst = max(abs(float(c.loss) - s.loss) for c, s in zip(certs, sols))
    return dict(N=N, m=m, kind=kind, float_us=1e6 * statistics.median(t_float),
                exact_us=1e6 * statistics.median(t_exact), ratio=statistics.median(ratios), steps=steps,
                count=count, worst=worst)


def erm_row(name, ds, v, fit_bias, rounds):
    t_float, t_exact, ratios = [], [], []
    for _ in range(rounds):
        t0 = time.process_time()
        flt = exact_erm(ds, v, fit_bias=fit_bias, progress=False, n_jobs=1)
        tf = time.process_time() - t0
        t0 = time.process_time()
        ex = exact_erm(ds, v, fit_bias=fit_bias, progress=False, n_jobs=1, certify="exact")
        te = time.process_time() - t0
        t_float.append(tf)
        t_exact.append(te)
        ratios.append(te / tf)
    return dict(name=name, patterns=flt.n_solves, float_s=statistics.median(t_float),
                exact_s=statistics.median(t_exact), ratio=statistics.median(ratios),
                exact_loss=ex.info["exact_loss"], float_loss=flt.loss)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer patterns and rounds")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", metavar="FILE", help="write a plot of the ratios (png)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    rounds = 1 if args.quick else args.rounds
    count = 10 if args.quick else 40
    rows = []
    print(f"Per region (d = {D}, MSE, fitted bias; {count} random patterns, median of {rounds} rounds)")
    print(f"{'data':<6} {'N':>3} {'m':>2} {'float us':>9} {'exact us':>9} {'exact/float':>11} "
          f"{'walk steps':>10} {'max |dL|':>9}")
    for kind in ("grid", "float"):
        for N in (10, 20, 40):
            for m in (1, 2, 4):
                row = region_row(N, m, kind, rounds, count, rng)
                rows.append(row)
                print(f"{kind:<6} {N:>3} {m:>2} {row['float_us']:>9.0f} {row['exact_us']:>9.0f} "
                      f"{row['ratio']:>11.1f} {row['steps']:>10} {row['worst']:>9.1e}", flush=True)
    print("\nexact_erm (all vertex classes certified exactly) against the float exact_erm")
    print(f"{'dataset':<22} {'patterns':>8} {'float s':>8} {'exact s':>8} {'ratio':>6}  exact minimum")
    cover = set_cover_to_relu([1, 2, 3, 4], [[1, 2], [3], [3, 4], [1, 4]])
    for name, ds, v, fit_bias in (("figure 1 demo, m=2", figure1_dataset(), [1, -1], True),
                                  ("set cover (E.1), m=1", cover.dataset, [1], False)):
        r = erm_row(name, ds, v, fit_bias, rounds)
        print(f"{name:<22} {r['patterns']:>8} {r['float_s']:>8.2f} {r['exact_s']:>8.2f} {r['ratio']:>6.1f}  "
              f"{r['exact_loss']} (float {r['float_loss']:.6g})", flush=True)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for kind, style in (("grid", "-o"), ("float", "--s")):
            for m in (1, 2, 4):
                pts = [(r["N"], r["ratio"]) for r in rows if r["kind"] == kind and r["m"] == m]
                ax.plot(*zip(*pts), style, label=f"{kind} data, m={m}")
        ax.axhline(20, color="gray", lw=0.8)
        ax.set(xlabel="N", ylabel="exact certificate / float solve (CPU time)", yscale="log",
               title="Cost of an exact region certificate")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
