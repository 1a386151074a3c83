"""Whole-landscape solve speed: :func:`zonocomb.landscape.landscape` against a naive loop.

For each case (a synthetic problem of appendix H.1.1 and a number of units m, v half ±1) the
script times, in the same process:

* naive: ``solve_region(dataset, pattern, v, check_vertex=False)`` (a new RegionProgram, cold start,
  no vertex check: the landscape does none either) at the canonical member of every vertex class,
  i.e. the same vertices the landscape solves;
* landscape: ``landscape(...)``'s solve phase (a greedy dominating set of centres, each solved on
  its own, and every other class in one ``RegionProgram.sweep`` from its centre's optimum,
  zonocomb/landscape/solve.py), with 1 and with 2 joblib workers;

and prints, each the best of three runs: certified solves per second (classes over the naive loop's
time, or over the landscape's solve phase); the speed-ups over the naive loop of the solve phase
(``solve``: the same outputs, every class's loss), of its CPU time in this process (``cpu``, one
worker; steadier than wall time on a shared machine) and of the whole ``landscape`` call
(``whole``: zonotope, classes, solves and basins; the sampled estimates off); the wall times; and
the largest loss difference between the naive loop and the landscape (relative to the loss of
W = 0). The joblib pool is started before any timing.

Usage: ``nice -n 19 .venv/bin/python benchmarks/landscape.py [--cases 2,2,2 2,2,3 | --study | --compare]``

``--study`` instead prints the README's landscape study: for synthetic problems (appendix H.1.1,
seed 0) at overparameterisation factors m/m_gen = 1..4 and for a set-cover reduction dataset
(appendix E.1, one bias-free unit), the vertex and class counts, local minima, P(GLS -> global)
(exact over uniform starts, and sampled from Gaussian starts), P(random vertex in a global region),
mGLS, simulated annealing and tabu search success rates from Gaussian starts, where gradient
descent lands, and the times.

``--compare`` prints the README's comparison of the four graph searches on exhaustive landscapes:
GLS, mGLS, simulated annealing and tabu search (``zonocomb.search.run_method``, registry budgets)
from the same 32 Gaussian starts each (seed k gives each method the same start vertex), scored
against the landscape's global minimum: successes, the distribution of the optimality gap and the
region programs solved per run.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from zonocomb.convex.region import solve_region
from zonocomb.datasets import synthetic
from zonocomb.landscape import landscape
from zonocomb.search import RegionOracle, get_method, run_method, simulated_annealing, tabu_search
from zonocomb.search import baseline_loss, half_output_weights
from zonocomb.theory.reductions import set_cover_to_relu


def _best(repeats, run):
    """The run with the least wall time of ``repeats``: (its result, wall s, CPU s of this process)."""
    best = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = run()
        w, c = time.perf_counter() - w0, time.process_time() - c0
        if best is None or w < best[1]:
            best = (out, w, c)
    return best


def run_case(d: int, m_gen: int, m: int, seed: int = 0, repeats: int = 3) -> None:
    ds = synthetic(d, m_gen, seed)
    v = half_output_weights(m)
    rows = {jobs: _best(repeats, lambda: landscape(ds, m, samples=0, mgls_runs=0, progress=False,
                                                   n_jobs=jobs))
            for jobs in (1, 2)}
    land = rows[1][0]
    C = len(land)
    patterns = [land.pattern(c) for c in range(C)]
    naive, t_naive, cpu_naive = _best(repeats, lambda: np.array([solve_region(ds, A, v, check_vertex=False).loss
                                                               for A in patterns]))
    scale = baseline_loss(ds.y, "mse", True)
    diff = max(np.abs(naive - r[0].losses).max() for r in rows.values()) / scale
    one, two = rows[1][0], rows[2][0]
    print(f"{d:>2} {m_gen:>5} {m:>2} {land.n_vertices:>9} {C:>8} {C / t_naive:>8.0f} "
          f"{C / one.seconds['solve']:>8.0f} {t_naive / one.seconds['solve']:>6.1f}x "
          f"{cpu_naive / rows[1][2]:>6.1f}x {t_naive / rows[1][1]:>6.1f}x "
          f"{C / two.seconds['solve']:>8.0f} {t_naive / two.seconds['solve']:>6.1f}x {t_naive / rows[2][1]:>6.1f}x "
          f"{t_naive:>7.2f} {rows[1][1]:>7.2f} {rows[2][1]:>7.2f} {diff:>8.1e}", flush=True)


STUDY = [(1, 2, f) for f in (1, 2, 3, 4)] + [(3, 1, f) for f in (1, 2, 3, 4)] + \
        [(4, 1, f) for f in (1, 2, 3, 4)] + [(2, 2, f) for f in (1, 2)] + [(1, 3, f) for f in (1, 2)]
SET_COVER = ([1, 2, 3, 4, 5], [[1, 2], [3, 4], [5], [1, 3, 5], [2, 4], [1, 2, 3]])


def _searches(ds, m, land, v, fit_bias, runs, seed):
    """Success fractions of simulated annealing and tabu search from Gaussian starts."""
    oracle = RegionOracle(ds, v, fit_bias=fit_bias)
    out = {}
    for name, search, kw in (("annealing", simulated_annealing, {"max_steps": 300}),
                             ("tabu", tabu_search, {"max_steps": 25})):
        hits = sum(search(ds, m, random_state=seed + k, oracle=oracle, **kw).loss <= land.goal
                   for k in range(runs))
        out[name] = f"{hits}/{runs}"
    return out


def _study_row(label, ds, m, v=None, fit_bias=True, runs=16, gd_runs=8, gd_steps=50_000):
    t0 = time.perf_counter()
    land = landscape(ds, m, v=v, fit_bias=fit_bias, samples=4000, mgls_runs=runs, gd_runs=gd_runs,
                     gd_steps=gd_steps, progress=False, random_state=0)
    t1 = time.perf_counter()
    other = _searches(ds, m, land, land.v, fit_bias, runs, 1000)
    t2 = time.perf_counter()
    e = land.estimates
    gd = e["gd"]
    landed = [int(c) for c in gd.ends if c >= 0]
    in_global = sum(land.losses[c] <= land.goal for c in landed)
    basin_global = sum(land.losses[land.basin[c]] <= land.goal for c in landed)
    print(f"| {label} | {m} | {land.n_vertices} | {len(land)} | {len(land.local_minima)} | "
          f"{land.p_gls_uniform:.3f} | {e['gls'].p:.3f} ± {e['gls'].stderr:.3f} | "
          f"{e['random_vertex'].p:.3f} ± {e['random_vertex'].stderr:.3f} | "
          f"{e['mgls'].successes}/{e['mgls'].trials} | {other['annealing']} | {other['tabu']} | "
          f"{in_global}/{gd.trials} in, {basin_global}/{gd.trials} basin; {len(set(landed))} regions | "
          f"{land.seconds['solve']:.1f} + {t1 - t0 - land.seconds['solve']:.1f} + {t2 - t1:.1f} |",
          flush=True)


def study() -> None:
    print("| problem | m | vertices of Z^m | classes | local minima | P(GLS), uniform (exact) | "
          "P(GLS), Gaussian | P(random vertex in global region) | mGLS | annealing | tabu | "
          "GD (8 runs of 50k steps: in a global region, in its GLS basin; distinct regions) | seconds (solve + "
          "rest + SA/tabu) |")
    print("|" + "---|" * 13)
    for d, m_gen, factor in STUDY:
        ds = synthetic(d, m_gen, 0)
        _study_row(f"synthetic d={d}, m_gen={m_gen} (N={ds.N}), factor {factor}", ds, factor * m_gen)
    inst = set_cover_to_relu(*SET_COVER)
    _study_row(f"set cover, 5 elements, 6 subsets (N={inst.dataset.N}, d={inst.dataset.d}, bias-free)",
               inst.dataset, 1, v=[1.0], fit_bias=False)


COMPARE = [(1, 2, 2), (2, 2, 2), (1, 3, 3), (2, 2, 4)]


def _compare_rows(label, ds, m, v=None, fit_bias=True, runs=32):
    """GLS, mGLS, simulated annealing and tabu search from the same ``runs`` Gaussian starts (seed
    k gives every method the same start vertex), scored on the exhaustive landscape."""
    land = landscape(ds, m, v=v, fit_bias=fit_bias, samples=0, mgls_runs=0, progress=False)
    scale = baseline_loss(ds.y, land.loss_name, fit_bias)
    for name in ("gls", "mgls", "simulated_annealing", "tabu_search"):
        t0 = time.perf_counter()
        results = [run_method(name, ds, m, v=land.v, fit_bias=fit_bias, random_state=k) for k in range(runs)]
        seconds = (time.perf_counter() - t0) / runs
        loss = np.array([r.loss for r in results])
        gaps = np.maximum(loss - land.global_min, 0.0) / scale
        budget = get_method(name).defaults.get("max_steps")
        print(f"| {label} | {m} | {len(land)} | {len(land.local_minima)} | {name} ({budget} steps) | "
              f"{int((loss <= land.goal).sum())}/{runs} | {np.median(gaps):.2g} / {np.quantile(gaps, 0.9):.2g} / "
              f"{gaps.max():.2g} | {np.mean([r.n_solves for r in results]):.0f} | {seconds:.2f} |", flush=True)


def compare() -> None:
    print("| problem | m | classes | local minima | method (budget) | reached the global minimum | "
          "gap / loss of W = 0: median / 90 % / max | region solves per run | seconds per run |")
    print("|" + "---|" * 9)
    for d, m_gen, m in COMPARE:
        ds = synthetic(d, m_gen, 0)
        _compare_rows(f"synthetic d={d}, m_gen={m_gen} (N={ds.N})", ds, m)
    inst = set_cover_to_relu(*SET_COVER)
    _compare_rows(f"set cover (N={inst.dataset.N}, d={inst.dataset.d}, bias-free)", inst.dataset, 1, v=[1.0],
                  fit_bias=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["2,2,2", "2,2,3"],
                        help="d,m_gen,m triples (default: 2,2,2 2,2,3)")
    parser.add_argument("--study", action="store_true", help="print the README's landscape study")
    parser.add_argument("--compare", action="store_true",
                        help="print the README's comparison of GLS, mGLS, annealing and tabu search")
    args = parser.parse_args(argv)
    if args.study:
        study()
        return 0
    if args.compare:
        compare()
        return 0
    landscape(synthetic(1, 2, 0), 1, samples=0, mgls_runs=0, progress=False, n_jobs=2)  # start the pool
    print(f"{'d':>2} {'m_gen':>5} {'m':>2} {'|vert Z^m|':>9} {'classes':>8} {'naive/s':>8} "
          f"{'1 job/s':>8} {'solve':>7} {'cpu':>7} {'whole':>7} {'2 jobs/s':>8} {'solve':>7} {'whole':>7} "
          f"{'naive s':>7} {'1 job s':>7} {'2 jobs s':>7} {'max |dL|':>8}")
    for case in args.cases:
        run_case(*(int(x) for x in case.split(",")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
