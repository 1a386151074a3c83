"""Ablation (issue 13): the same runs of GLS, mGLS and random vertex with each convex backend.

``zonocomb reproduce ... --backend`` keys every run by its backend, and seed s starts from the same
vertex under each. This script reads the stores of one experiment run with several backends and
prints, per cell of the paper's table, our median under each backend beside the paper's median,
and how often the backends' runs of the same seed end at different outcomes: losses that differ
by more than a factor of 2 where the larger is above 1e-8 (the ≈ 0 losses, 1e-30 against 1e-12,
are one outcome: the loss floor within each solver's accuracy). Nothing is run.

Usage::

    .venv/bin/python benchmarks/backend_ablation.py table-a1 \\
        ecos-defaults=docs/results/table-a1-ecos-defaults.sqlite \\
        cvxpy=docs/results/table-a1-ecos-tight.sqlite fast=docs/results/table-a1-full.sqlite
    .venv/bin/python benchmarks/backend_ablation.py table-a3 \\
        ecos-defaults=docs/results/table-a3-ecos-defaults.sqlite fast=docs/results/table-a3-quick.sqlite

Each ``BACKEND=STORE`` names a registered backend (``fast``, ``cvxpy`` for ``--backend
paper-tight``, ``ecos-defaults`` for ``--backend paper``) and the store holding its ``--quick``
runs (a store may hold more: only the ``--quick`` keys of that backend are read).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from zonocomb.experiments.report import TABLES, EXPERIMENT_TABLES, load_paper_table
from zonocomb.experiments.store import RunStore
from zonocomb.experiments.tasks import build_tasks

CONVEX = ("gls", "mgls", "random_vertex")
#: Losses below this are the loss floor for every backend (ECOS stops at 1e-11 to 1e-16 there).
FLOOR = 1e-8


def _records(experiment, backend, path):
    """{(paper row, method, seed): record} of the --quick runs of ``backend`` in the store."""
    tasks = [t for t in build_tasks(experiment, quick=True, backend=backend) if t.method in CONVEX]
    spec = TABLES[EXPERIMENT_TABLES[experiment][0]]
    with RunStore(path) as st:
        found = {r["key"]: r for r in st.get([t.key for t in tasks]) if r["status"] == "ok"}
    return spec, {(spec.row_key(t.cfg), t.method, t.seed): found[t.key] for t in tasks if t.key in found}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("experiment", choices=["table-a1", "table-a3"])
    parser.add_argument("stores", nargs="+", metavar="BACKEND=STORE")
    args = parser.parse_args(argv)
    runs = {}
    for item in args.stores:
        backend, _, path = item.partition("=")
        if not path:
            parser.error(f"expected BACKEND=STORE, got {item!r}")
        spec, runs[backend] = _records(args.experiment, backend, path)
    _, paper = load_paper_table(spec) or ([], {})
    names = list(runs)
    cells = sorted({(row, method) for recs in runs.values() for row, method, _ in recs})
    metric = "loss"
    print("| method | " + " | ".join(spec.keys) + " | " + " | ".join(f"{b} (n)" for b in names)
          + " | paper | seeds with different outcomes |")
    print("|" + "---|" * (len(spec.keys) + len(names) + 3))
    for row, method in cells:
        meds, per_seed = [], []
        for b in names:
            vals = {s: r[metric] for (rw, mt, s), r in runs[b].items() if (rw, mt) == (row, method)}
            per_seed.append(vals)
            meds.append(f"{np.median(list(vals.values())):.2g} ({len(vals)})" if vals else "–")
        common = set.intersection(*(set(v) for v in per_seed)) if per_seed else set()
        apart = sum(max(v[s] for v in per_seed) > max(FLOOR, 2 * min(v[s] for v in per_seed)) for s in common)
        ref = paper.get(row, {}).get(spec.columns(method, metric)[0])
        print(f"| {method} | " + " | ".join(str(k) for k in row) + " | " + " | ".join(meds)
              + f" | {'–' if ref is None else f'{ref:.2g}'} | {apart} of {len(common)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
