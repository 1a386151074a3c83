"""GLS steps whose neighbour solves start from the previous vertex's answers, against starting every
solve from the vertex's optimum.

A GLS step solves the neighbours of its vertex (``RegionProgram.sweep``). The default starts the
solve of each move from the point found for the same move from the previous vertex, when it was
solved there and did not improve (``starts``; zonocomb/search/gls.py); the baseline starts every
solve from the vertex's optimum (the sweep with its ``starts`` and ``answers`` dropped, as before
these options existed). Both run the same K GLS steps in this process from the same state, the
baseline first: a checkpoint of a run saved in a sweep's store (by default the first GLS
checkpoint in docs/results/table-a1-full.sqlite: a Table A1 run at (d, m_gen, m) = (16, 16, 32),
late in its walk), or a fresh random start (``--synthetic D M_GEN M SEED``).

Columns, per step: the CPU seconds of each mode (``time.process_time`` between moves), their ratio
(the first step of a resumed search has no previous answers: it is reported, not counted in the
mean), the loss reached in each mode and whether the two took the same move.

Usage: ``python benchmarks/gls_neighbour_starts.py [--store PATH] [--key KEY] [--synthetic D M_GEN M
SEED] [--steps K]``.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from zonocomb.convex import RegionProgram  # noqa: E402
from zonocomb.datasets.synthetic import synthetic  # noqa: E402
from zonocomb.experiments.store import RunStore  # noqa: E402
from zonocomb.search import gls  # noqa: E402
from zonocomb.search.checkpoint import SearchCheckpoint  # noqa: E402


def from_store(path: Path, key: str | None):
    """(dataset, m, loss, checkpoint) of a GLS run's checkpoint in the store at ``path``."""
    with RunStore(path) as store:
        keys = sorted(k for k in store.checkpoint_keys() if k.startswith("gls|"))
        if not keys:
            sys.exit(f"{path}: no GLS checkpoint in this store")
        key = key or keys[0]
        text = store.checkpoint(key)
    if text is None:
        sys.exit(f"{path}: no checkpoint for {key!r} (it has {', '.join(keys)})")
    _, config, seed = key.split("|")
    cfg, seed = json.loads(config), int(seed.removeprefix("seed="))
    if cfg.get("kind") != "synthetic":
        sys.exit(f"{key}: only synthetic problems are supported here")
    state = SearchCheckpoint.from_json(json.loads(text)["search"])
    print(f"{key}: from step {state.n_steps}, loss {state.trace[-1]['loss']:.6g}")
    return synthetic(cfg["d"], cfg["m_gen"], seed), cfg["m"], cfg["loss"], state


def run(dataset, m, loss, state, seed, steps: int, with_starts: bool):
    """CPU seconds per step, the losses and the patterns of ``steps`` GLS moves."""
    clock, losses, patterns = [time.process_time()], [], []

    def record(result):
        clock.append(time.process_time())
        losses.append(result.loss)
        patterns.append(result.pattern.tobytes())
    first = 0 if state is None else state.n_steps
    real = RegionProgram.sweep
    if not with_starts:
        RegionProgram.sweep = lambda self, *args, starts=None, answers=False, **kwargs: real(self, *args, **kwargs)
    try:
        gls(dataset, m, loss=loss, max_steps=first + steps, resume=state,
            random_state=None if state is not None else seed, callback=record)
    finally:
        RegionProgram.sweep = real
    return np.diff(clock), losses, patterns


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / "docs/results/table-a1-full.sqlite")
    parser.add_argument("--key", help="the run's key in the store (default: its first GLS checkpoint)")
    parser.add_argument("--synthetic", nargs=4, type=int, metavar=("D", "M_GEN", "M", "SEED"),
                        help="start afresh on synthetic(D, M_GEN, SEED) with M units instead")
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args(argv)
    if args.synthetic:
        d, m_gen, m, seed = args.synthetic
        dataset, loss, state = synthetic(d, m_gen, seed), "mse", None
    else:
        dataset, m, loss, state = from_store(args.store, args.key)
        seed = None
    base = run(dataset, m, loss, state, seed, args.steps, with_starts=False)
    new = run(dataset, m, loss, state, seed, args.steps, with_starts=True)
    print("| step | vertex's optimum, CPU-s | previous answers, CPU-s | ratio | loss (baseline) | loss (starts) | same move |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    ratios = []
    for k, (tb, lb, pb, tn, ln, pn) in enumerate(zip(*base, *new)):
        ratio = tb / tn if tn > 0 else float("nan")
        if k > 0 or state is None:
            ratios.append(ratio)
        print(f"| {k + 1} | {tb:.2f} | {tn:.2f} | {ratio:.2f}× | {lb:.10g} | {ln:.10g} | {pb == pn} |")
    if ratios:
        print(f"\nmean ratio over steps with previous answers: {np.mean(ratios):.2f}× "
              f"(total {sum(base[0]):.1f} / {sum(new[0]):.1f} CPU-s)")


if __name__ == "__main__":
    main()
