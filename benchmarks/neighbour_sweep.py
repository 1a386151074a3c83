"""All neighbours of a vertex of Z^m: one compiled sweep against solving them one by one.

Problems (paper appendix H): the synthetic regressions of H.1.1, ``synthetic(d, m_gen, seed)``, MSE,
at (d, m_gen, m) ∈ {(8, 8, 16), (16, 8, 64), (16, 16, 128)}, and the Fashion-MNIST pullover/coat
task of H.2.1 at d = 16, N = 700, m = 64, logistic (skipped when the data files are missing);
output weights half ±1, c fitted. For each: a random vertex A of Z^m (Gaussian W, section 4.2),
its optimum, and the moves to all its neighbours (``ZonotopePower.neighbor_moves``, exact; its
time is reported apart, the zonotope caches it per unit barcode for the rest of a search).

Columns:

* ``nbrs``: neighbours of the vertex; ``moves/s``: seconds to list them (exact geometry);
* ``one-by-one ms``: median over a sample of neighbours of ``RegionProgram.solve(B, warm_start)``,
  the per-neighbour path (a solve from the vertex's optimum that sets its work space up from
  scratch), and ``sweep ms``: median over the same sample of a one-neighbour
  ``RegionProgram.sweep`` with GLS's bound (the new path, one thread, Python overhead included);
* ``nbr ms``: median CPU milliseconds per neighbour inside the one-thread GLS-step sweep
  (``NeighbourSweep.neighbour_seconds``: screening, solve and certificate), over all neighbours
  and over those solved;
* ``GLS step 1c / 2c``: wall seconds of one sweep over all neighbours with the bound GLS uses (its
  improvement threshold), on 1 and on 2 threads, and ``2c cpu`` the CPU seconds of the 2-thread
  sweep (both threads: on an idle machine the 2-thread wall time is about half of it, a noisy
  machine's load shows as the gap); ``all / 2c``: the same without a bound (every
  neighbour's loss); ``est. one-by-one``: the sample median times the neighbour count (what a GLS
  step cost before);
* ``screened / bounded / solved``: how the sweep settled the neighbours;
* ``max rel diff``: largest relative difference of the sweep's losses from the cvxpy + ECOS
  reference on a sample of ``--check`` solved or screened neighbours (goal ≤ 1e-6; logistic
  regions whose infimum is not attained are skipped, ECOS stops short on them).

Measured in one process, the baseline (one by one) and the sweep on the same vertex and
neighbours. Usage: ``python benchmarks/neighbour_sweep.py [--quick] [--sample K] [--check K]
[--seed S] [--only K]``; ``--quick`` runs the two smaller synthetic problems only, ``--only K`` problem
K of the list above (0-based, repeatable).
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zonocomb.convex import RegionProgram  # noqa: E402
from zonocomb.datasets.images import image_task  # noqa: E402
from zonocomb.datasets.synthetic import synthetic  # noqa: E402
from zonocomb.errors import ZonocombError  # noqa: E402
from zonocomb.geometry.power import ZonotopePower  # noqa: E402
from zonocomb.search import half_output_weights  # noqa: E402


def problems(quick: bool):
    cases = [("synthetic d=8 m_gen=8", lambda: synthetic(8, 8, 0), 16, "mse"),
             ("synthetic d=16 m_gen=8", lambda: synthetic(16, 8, 0), 64, "mse")]
    if not quick:
        cases.append(("synthetic d=16 m_gen=16", lambda: synthetic(16, 16, 0), 128, "mse"))
        cases.append(("fashion pullover/coat d=16 N=700", lambda: image_task("fashion", d=16, N=700), 64,
                      "logistic"))
    return cases


def moved(A, move):
    B = A.copy()
    B[move[0], list(move[1])] ^= True
    return B


def measure(name, make, m, loss, sample, check, seed, unbounded=True):
    try:
        ds = make()
    except ZonocombError as exc:
        print(f"{name}: skipped ({exc})", file=sys.stderr)
        return None
    rng = np.random.default_rng(seed)
    v = half_output_weights(m)
    prog = RegionProgram(ds, v, loss=loss)
    power = ZonotopePower(ds.zonotope(), m)
    A = power.random_vertex(rng)
    base = prog.solve(A)
    t0 = time.perf_counter()
    moves = power.neighbor_moves(A)
    t_moves = time.perf_counter() - t0
    bound = base.loss - max(1e-9 * base.loss, 1e-13 * float(np.mean((ds.y - ds.y.mean()) ** 2)))
    picks = rng.choice(len(moves), size=min(sample, len(moves)), replace=False)
    one, swept = [], []
    prog.threads = 1
    for k in picks:
        B = moved(A, moves[k])
        t0 = time.perf_counter()
        prog.solve(B, warm_start=base)
        one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        prog.sweep(A, [moves[k]], base, bound=bound)
        swept.append(time.perf_counter() - t0)
    walls, cpu = {}, {}
    for threads in (1, 2):
        prog.threads = threads
        t0, c0 = time.perf_counter(), time.process_time()
        out = prog.sweep(A, moves, base, bound=bound)
        walls[threads], cpu[threads] = time.perf_counter() - t0, time.process_time() - c0
        if threads == 1:
            spent = np.asarray(out.neighbour_seconds)
            solved = np.array([s in ("optimal", "optimal_loss") for s in out.status])
    t0 = time.perf_counter()
    full = prog.sweep(A, moves, base) if unbounded else out
    wall_all = time.perf_counter() - t0 if unbounded else float("nan")
    counts = {s: out.status.count(s) for s in ("screened", "bounded")}
    counts["solved"] = len(moves) - sum(counts.values())
    ref = RegionProgram(ds, v, loss=loss, backend="cvxpy")
    worst = 0.0
    for k in rng.choice(len(moves), size=min(check, len(moves)), replace=False):
        if full.status[k] in ("optimal_unattained", "bounded"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = ref.solve(moved(A, moves[k]))
        if r.status != "optimal":
            continue
        worst = max(worst, abs(full.loss[k] - r.loss) / max(abs(r.loss), 1e-12))
    return dict(name=name, m=m, N=ds.N, nbrs=len(moves), t_moves=t_moves, one=1e3 * np.median(one),
                swept=1e3 * np.median(swept), w1=walls[1], w2=walls[2], wall_all=wall_all, cpu2=cpu[2],
                nbr=1e3 * np.median(spent), nbr_solved=1e3 * np.median(spent[solved]) if solved.any() else np.nan,
                est=np.median(one) * len(moves), worst=worst, **counts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--check", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", type=int, action="append", help="run only problem K (0-based, repeatable)")
    parser.add_argument("--bounded-only", action="store_true",
                        help="skip the sweep without a bound (the 'all 2c' column; the check then samples "
                             "the bounded sweep's solved and screened neighbours)")
    args = parser.parse_args(argv)
    head = (f"{'problem':34} {'m':>4} {'N':>4} {'nbrs':>6} {'moves s':>8} {'one-by-one ms':>13} {'sweep ms':>9} "
            f"{'ratio':>6} {'nbr ms all/solved':>17} {'GLS step 1c':>11} {'2c':>7} {'2c cpu':>7} {'all 2c':>7} {'est. one-by-one':>15} "
            f"{'screened':>8} {'bounded':>7} {'solved':>6} {'max rel diff':>12}")
    print(head)
    for k, (name, make, m, loss) in enumerate(problems(args.quick)):
        if args.only and k not in args.only:
            continue
        r = measure(name, make, m, loss, args.sample, args.check, args.seed, not args.bounded_only)
        if r is None:
            continue
        print(f"{r['name']:34} {r['m']:>4} {r['N']:>4} {r['nbrs']:>6} {r['t_moves']:>8.2f} {r['one']:>13.2f} "
              f"{r['swept']:>9.3f} {r['one'] / r['swept']:>6.1f} {r['nbr']:>8.3f}/{r['nbr_solved']:<8.2f} "
              f"{r['w1']:>11.2f} {r['w2']:>7.2f} {r['cpu2']:>7.2f} "
              f"{r['wall_all']:>7.2f} {r['est']:>15.1f} {r['screened']:>8} {r['bounded']:>7} {r['solved']:>6} "
              f"{r['worst']:>12.1e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
