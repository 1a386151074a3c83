"""Batched against one-by-one gradient descent on the batches the sweeps run (appendix H budgets).

``zonocomb reproduce`` runs the gradient descent tasks that share a dataset shape as one batched
descent (:func:`zonocomb.search.gradient_descent.gradient_descent_batch`): synthetic problems
batch seeds × widths (table A1: 8 seeds × m ∈ {m_gen, 1.5 m_gen, 2 m_gen}), image problems batch
the 8 seeds of one width (tables A2 and A3), split so that a stacked array has at most
``GD_BATCH_ELEMENTS`` entries (``zonocomb/experiments/runner.py``; the "stack" column shows the
runs per batch, and ``--no-split`` times the whole 8-seed stacks that the limit avoids). For each
such batch this script times the runs one by
one with :func:`~zonocomb.search.gradient_descent.gradient_descent` and then as one batch, in the
same process, alternating the two for several rounds; the speedup is the median over rounds of
(one-by-one seconds / batched seconds), so a slow spell of the shared machine hits both or
neither. It also prints the largest relative difference of the final losses (rounding only).

The seconds are per ``--steps`` steps; the sweeps run 400,000 (synthetic) and 1,000,000 (image)
steps, so a sweep's gradient descent cost is the "batched s/run" column times steps/--steps.

Usage: ``nice -n 19 .venv/bin/python benchmarks/gd_batch.py [--steps 2000] [--rounds 3]``
(image rows need the MNIST training files; they are skipped without them).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from zonocomb.datasets.synthetic import synthetic
from zonocomb.experiments.runner import GD_BATCH_ELEMENTS
from zonocomb.search import gradient_descent
from zonocomb.search.gradient_descent import gradient_descent_batch


def synthetic_case(d: int, m_gen: int):
    runs = [(synthetic(d, m_gen, s), m, 100 * s + m) for s in range(8)
            for m in (m_gen, int(1.5 * m_gen), 2 * m_gen)]
    return f"synthetic d={d} m_gen={m_gen}: 8 seeds x 3 widths", runs, dict(loss="mse", train_output=True)


def image_case(d: int, N: int, m: int):
    from zonocomb.datasets.images import DataNotFoundError, image_task
    try:
        ds = image_task("mnist", d=d, N=N)
    except DataNotFoundError:
        return None
    runs = [(ds, m, s) for s in range(8)]
    return f"MNIST 4/9 d={d} N={N} m={m}: 8 seeds", runs, dict(loss="logistic", train_output=False)


def stack_size(runs, split: bool) -> int:
    """Runs per batch as the runner plans them (all of them without the split)."""
    N, M = runs[0][0].N, max(m for _, m, _ in runs)
    return max(1, min(len(runs), GD_BATCH_ELEMENTS // (N * M))) if split else len(runs)


def time_case(runs, kwargs, steps: int, rounds: int, stack: int):
    ratios, single_t, batch_t = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        singles = [gradient_descent(ds, m, steps, random_state=rs, **kwargs) for ds, m, rs in runs]
        t1 = time.perf_counter()
        batched = [r for k in range(0, len(runs), stack)
                   for r in (gradient_descent_batch(runs[k:k + stack], steps, **kwargs) if stack > 1 else
                             [gradient_descent(ds, m, steps, random_state=rs, **kwargs)
                              for ds, m, rs in runs[k:k + stack]])]
        t2 = time.perf_counter()
        single_t.append(t1 - t0)
        batch_t.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    diff = max(abs(b.loss - s.loss) / max(abs(s.loss), 1e-300) for b, s in zip(batched, singles))
    n = len(runs)
    return np.median(single_t) / n, np.median(batch_t) / n, float(np.median(ratios)), diff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-split", action="store_true", help="stack all runs of a case at once")
    args = parser.parse_args()
    cases = [synthetic_case(4, 2), synthetic_case(4, 8), synthetic_case(8, 8),
             image_case(8, 350, 4), image_case(8, 350, 16), image_case(8, 350, 32),
             image_case(8, 350, 64), image_case(16, 700, 16), image_case(16, 700, 64)]
    print(f"{args.steps} steps per run, median of {args.rounds} paired rounds, same process")
    print("| batch | runs | stack | one-by-one s/run | batched s/run | speedup | max rel. loss diff |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        if case is None:
            print("| MNIST rows skipped: training files not found | | | | | | |")
            continue
        label, runs, kwargs = case
        stack = stack_size(runs, not args.no_split)
        single, batched, ratio, diff = time_case(runs, kwargs, args.steps, args.rounds, stack)
        print(f"| {label} | {len(runs)} | {stack} | {single:.3f} | {batched:.3f} | {ratio:.2f}x | "
              f"{diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
