"""Ablation: is the paper's GLS column the loss of GLS's *starting* vertex? (issue 13)

Table A1's GLS medians in the paper are high at m ≤ 2 m_gen (0.83 at (d, m_gen, m) = (4, 2, 2),
18.5 at (16, 8, 8)) while ours reach ≈ 0 there. This script computes, for every GLS cell of table
A1 and the sweep's seeds, the optimum of program (3) at GLS's random starting vertex (Gaussian
first-layer weights, v half +1 / half −1, c optimised; the vertex that
``zonocomb reproduce table-a1`` starts from, one fast-backend solve each), and prints its median
beside the paper's GLS median, our GLS median (from a store of the sweep, if given) and our
random-vertex median: if the paper's GLS column is close to the start-vertex column, the paper's
GLS behaves as if it rarely left its starting vertex.

Usage: ``nice -n 19 .venv/bin/python benchmarks/gls_start_vertex.py [--seeds 16]
[--store docs/results/table-a1-full.sqlite] [--max-size 20000]`` (cells with m·N above
``--max-size`` are skipped; the largest, (16, 16, 128), needs about 0.1 s per solve).
"""
from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from zonocomb.convex import RegionProgram
from zonocomb.experiments.report import TABLES, load_paper_table
from zonocomb.experiments.runner import build_dataset
from zonocomb.experiments.store import RunStore
from zonocomb.experiments.tasks import build_tasks
from zonocomb.geometry.power import ZonotopePower
from zonocomb.search import half_output_weights
from zonocomb.validation import check_random_state


def start_loss(task) -> float:
    """Optimum of program (3) at the random vertex gls() starts from for this task."""
    ds = build_dataset(task)
    m = task.cfg["m"]
    A = ZonotopePower(ds.zonotope(), m).random_vertex(check_random_state(task.random_state))
    return RegionProgram(ds, half_output_weights(m), loss="mse").solve(A).loss


def stored_medians(path) -> dict:
    if path is None or not Path(path).is_file():
        return {}
    out: dict = {}
    with RunStore(path) as store:
        for r in store.rows():
            c = r["config"]
            if r["status"] == "ok" and r["method"] in ("gls", "random_vertex") and "backend" not in c:
                out.setdefault((r["method"], c["d"], c["m_gen"], c["m"]), []).append(r["loss"])
    return {k: float(np.median(v)) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--store", default=None, help="a table-a1 store for our GLS / random-vertex medians")
    parser.add_argument("--max-size", type=int, default=20000)
    parser.add_argument("--csv", default=None, help="also write the table as CSV")
    args = parser.parse_args()
    paper = load_paper_table(TABLES["A1"])
    paper_rows = paper[1] if paper else {}
    ours = stored_medians(args.store)
    tasks = [t for t in build_tasks("table-a1", seeds=args.seeds) if t.method == "gls"]
    cells = sorted({(t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) for t in tasks})
    header = ["d", "m_gen", "m", "start_vertex_median", "paper_gls_median", "our_gls_median",
              "our_random_vertex_median", "paper_random_vertex_median", "seeds", "seconds"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rows = []
    for d, m_gen, m in cells:
        if m * (d + 1) * m_gen > args.max_size:
            continue
        chosen = [t for t in tasks if (t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) == (d, m_gen, m)]
        t0 = time.process_time()
        losses = [start_loss(t) for t in chosen]
        p = paper_rows.get((d, m_gen, m), {})
        row = [d, m_gen, m, float(np.median(losses)), p.get("gls_median_mse"), ours.get(("gls", d, m_gen, m)),
               ours.get(("random_vertex", d, m_gen, m)), p.get("random_vertex_median_mse"), len(losses),
               time.process_time() - t0]
        rows.append(row)
        fmt = [str(x) if i < 3 or i == 8 else ("–" if x is None else f"{x:.2g}") for i, x in enumerate(row[:9])]
        print("| " + " | ".join(fmt + [f"{row[9]:.1f}"]) + " |", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)


if __name__ == "__main__":
    main()
