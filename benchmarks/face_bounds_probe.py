"""Benchmark: the face bounds of GLS neighbours (zonocomb/convex/backends/face_bounds.py) at one
vertex, and GLS's sweep with them (least_sweep) against the full sweep.

At one vertex of a Table A1 GLS run (a synthetic start, or a checkpoint of a store) it prints:
the neighbours the screening test leaves open and the CPU milliseconds per solve of each (from the
vertex's optimum); the compiled bounds of (a sample of) them: CPU milliseconds each, how many
certify, whether each is at most the neighbour's optimum (to the rounding margin), how many exceed
the least loss (GLS need not solve them) or the improvement threshold, the rounds; and then, with
``--steps K``, K GLS steps taken both ways from there (``evaluate`` with and without
``least_only``): CPU seconds per step and whether the moves agree. Findings: benchmarks/README.md
("Face-restricted dual bounds").

Usage: ``python benchmarks/face_bounds_probe.py [--synthetic D M_GEN M SEED | --store PATH [--key
KEY]] [--sample S] [--steps K]`` (default: the first GLS checkpoint of the committed Table A1 store).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from gls_neighbour_starts import from_store  # noqa: E402
from zonocomb.convex.backends.face_bounds import Bounds, FaceBounds  # noqa: E402
from zonocomb.convex.backends.kernel import PackedMoves  # noqa: E402
from zonocomb.datasets.synthetic import synthetic  # noqa: E402
from zonocomb.search.gls import DEFAULT_RTOL, _LocalSearch, gls_choice  # noqa: E402


def add_vertex_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the vertex :func:`search_at` starts from."""
    parser.add_argument("--store", type=Path, default=ROOT / "docs/results/table-a1-full.sqlite")
    parser.add_argument("--key")
    parser.add_argument("--synthetic", nargs=4, type=int, metavar=("D", "M_GEN", "M", "SEED"))


def search_at(args, rng_seed: int = 0) -> _LocalSearch:
    if args.synthetic:
        d, m_gen, m, seed = args.synthetic
        return _LocalSearch("gls", synthetic(d, m_gen, seed), m, "mse", True, "fast", None, None,
                            np.random.default_rng(seed), DEFAULT_RTOL, None)
    dataset, m, loss, state = from_store(args.store, args.key)
    return _LocalSearch("gls", dataset, m, loss, True, "fast", None, None, np.random.default_rng(rng_seed),
                        DEFAULT_RTOL, None, resume=state)


def bounds_at_vertex(search: _LocalSearch, sample: int) -> None:
    kernel, sol = search.program.kernel, search.solution
    unit = search.program.solver_loss_unit()                 # (the kernel's losses are loss / unit)
    W, c = search.program.to_solver_units((sol.W, sol.c))     # (and its points are scaled)
    moves = PackedMoves.pack(search.moves(), search.m, search.dataset.N)
    threshold = search.threshold() / unit
    screened = kernel.sweep(search.pattern, moves, W, c, sol.loss / unit, screen=True, kkt_rtol=1e-9,
                            bound=threshold, solve=False, threads=1)
    open_ = np.flatnonzero(screened.status == "open")
    chosen = np.sort(np.random.default_rng(0).choice(open_, size=min(sample, len(open_)), replace=False))
    solved = kernel.sweep(search.pattern, moves.take(chosen), W, c, sol.loss / unit, screen=False,
                          kkt_rtol=1e-9, threads=1)
    true, least = solved.loss, np.nanmin(solved.loss)
    print(f"vertex at step {search.n_steps}, loss {sol.loss / unit:.6g} (the kernel's units): {len(moves)} neighbours, {len(open_)} open after "
          f"screening; {len(chosen)} sampled: {1e3 * solved.cpu_seconds.mean():.2f} CPU-ms per solve from the "
          f"vertex's optimum, {np.sum(true < threshold)} improve")
    t0 = time.process_time()
    faces = FaceBounds(kernel.data, search.pattern, W, c)
    setup = time.process_time() - t0
    t0 = time.process_time()
    bounds = faces.lower_bounds(moves.take(chosen))
    seconds = time.process_time() - t0
    t0 = time.process_time()
    first = faces.lower_bounds(moves.take(chosen), cutoff=np.inf)
    first_seconds = time.process_time() - t0
    ok = bounds.info > 0
    margin = 1e-9 * sol.loss / unit + 1e-12 * float(np.mean(kernel.y ** 2))
    print(f"  bounds: {1e3 * seconds / len(chosen):.2f} CPU-ms each (set-up {1e3 * setup:.0f} ms per vertex; the "
          f"first model alone {1e3 * first_seconds / len(chosen):.2f}); certified {ok.sum()} "
          f"(not: {dict(Counter(Bounds.reason(c) for c in bounds.info[~ok])) or 'none'}); rounds mean "
          f"{bounds.info[ok].mean():.2f}, max {bounds.info[ok].max()}")
    print(f"  every certified bound at most the optimum + margin ({margin:.1e}): "
          f"{bool(np.all(bounds.lower[ok] <= true[ok] + margin))}, largest excess "
          f"{np.max(bounds.lower[ok] - true[ok]):.2g}")
    print(f"  above the least loss (GLS need not solve them): {np.sum(bounds.lower > least + margin)} of "
          f"{len(chosen)} (true optimum above it: {np.sum(true > least)}); above the threshold: "
          f"{np.sum(bounds.lower > threshold + margin)} (of {np.sum(true >= threshold)})")
    print(f"  the least neighbour among the {min(8, len(chosen))} of least first-model value: "
          f"{int(np.nanargmin(true)) in np.argsort(first.first)[:8].tolist()}")


def gls_steps(args, steps: int) -> None:
    paths, cpu = {}, {}
    for least_only in (False, True):
        search = search_at(args)
        path, t0 = [], time.process_time()
        for _ in range(steps):
            moves = search.moves()
            best = gls_choice(search.solution.loss, search.evaluate(moves, least_only=least_only), search.rtol,
                              search.atol)
            if best is None:
                break
            path.append(moves[best])
            search.move_to(*search.solution_of(moves[best]))
        paths[least_only], cpu[least_only] = path, time.process_time() - t0
    print(f"{len(paths[True])} GLS steps: {cpu[False] / max(1, len(paths[False])):.2f} CPU-s a step with full "
          f"sweeps, {cpu[True] / max(1, len(paths[True])):.2f} with least sweeps ({cpu[False] / cpu[True]:.2f}x); "
          f"same moves: {paths[False] == paths[True]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_vertex_arguments(parser)
    parser.add_argument("--sample", type=int, default=200, help="open neighbours to bound (at most)")
    parser.add_argument("--steps", type=int, default=0, help="GLS steps to time both ways")
    args = parser.parse_args(argv)
    bounds_at_vertex(search_at(args), args.sample)
    if args.steps:
        gls_steps(args, args.steps)


if __name__ == "__main__":
    main()
