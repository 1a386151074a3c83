"""Tables and figures of a sweep, beside the paper's own numbers (appendix H, figures 2 and 3).

For every row of the paper's tables A1, A2, A3 (transcribed in ``paper_tables/*.csv`` beside this
module, installed as package data; docs/data.md) the report puts our median and standard
deviation (numpy's, ddof = 0) over the finished runs next to the paper's values, as markdown and
CSV; CSV columns are the paper CSV's columns prefixed with ``ours_`` and ``paper_`` (plus
``ours_<method>_n``, the runs behind each median). Figures follow figures 2 and 3: loss
(synthetic, log scale) or training accuracy (image tasks) against the overparameterization factor
m(d+1)/N, one line per method, our median with its interquartile band and the paper's median
dashed.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from ..files import atomic_write
from .tasks import METHOD_LABELS, PAPER_GD_STEPS, Task, overparameterization

__all__ = ["cpu_seconds", "TableSpec", "TABLES", "EXPERIMENT_TABLES", "PAPER_TABLES_DIR", "REFERENCE_DIRS",
           "load_paper_table", "aggregate", "table_rows", "write_report"]

#: The paper's tables A1-A3 as CSV files, installed with the package.
PAPER_TABLES_DIR = Path(__file__).resolve().with_name("paper_tables")
#: Where the paper's CSV tables are looked for (after ``$ZONOCOMB_REFERENCE_DIR``).
REFERENCE_DIRS: list[Path] = [PAPER_TABLES_DIR]

_DATASET_LABELS = {"mnist": "MNIST", "fashion": "FASHION MNIST"}


@dataclass(frozen=True)
class TableSpec:
    """How one of the paper's tables maps to our runs.

    ``keys`` are the paper CSV's key columns (matched against a run's configuration; the column
    ``dataset`` holds "MNIST" / "FASHION MNIST"), ``fixed`` are configuration values the table
    implies, ``methods`` maps our method names to the paper CSV's column prefixes, and
    ``metrics`` maps "loss" / "acc" to the (median, std) column templates.
    """

    name: str
    csv: str
    kind: str
    keys: tuple
    methods: dict
    metrics: dict
    fixed: dict

    def columns(self, method: str, metric: str) -> tuple[str, str]:
        med, std = self.metrics[metric]
        p = self.methods[method]
        return med.format(p=p), std.format(p=p)

    def row_key(self, cfg: dict) -> tuple | None:
        """The paper row a configuration belongs to, or None if it is not of this table."""
        if cfg["kind"] != self.kind or any(cfg.get(k) != v for k, v in self.fixed.items()):
            return None
        return tuple(_DATASET_LABELS[cfg["dataset"]] if k == "dataset" else cfg[k] for k in self.keys)


_IMAGE_METRICS = {"loss": ("{p}_loss", "{p}_loss_std"), "acc": ("{p}_acc", "{p}_acc_std")}
TABLES = {
    "A1": TableSpec("A1", "paper_table_a1_synthetic.csv", "synthetic", ("d", "m_gen", "m"),
                    {"gd": "gd", "random_vertex": "random_vertex", "gls": "gls"},
                    {"loss": ("{p}_median_mse", "{p}_std")}, {}),
    "A2": TableSpec("A2", "paper_table_a2_gd_vs_random_vertex.csv", "image", ("dataset", "d", "N", "m"),
                    {"gd": "gd", "random_vertex": "rv"}, _IMAGE_METRICS, {}),
    "A3": TableSpec("A3", "paper_table_a3_gd_vs_mgls.csv", "image", ("dataset", "m"),
                    {"gd": "gd", "mgls": "mgls"}, _IMAGE_METRICS, {"d": 8, "N": 350}),
}
#: The paper tables each experiment is compared with.
EXPERIMENT_TABLES = {"table-a1": ("A1",), "table-a2": ("A2",), "table-a3": ("A3",),
                     "figure2": ("A1", "A2"), "figure3": ("A1", "A3")}


# ----- the paper's numbers ------------------------------------------------------------------------
def _reference_dirs() -> list[Path]:
    env = os.environ.get("ZONOCOMB_REFERENCE_DIR", "")
    return [Path(p) for p in env.split(os.pathsep) if p] + list(REFERENCE_DIRS)


def load_paper_table(spec: TableSpec) -> tuple[list[str], dict[tuple, dict]] | None:
    """The paper CSV of ``spec``: (its columns, {row key: {column: float or None}}), or None when
    the file is in none of the reference directories."""
    path = next((d / spec.csv for d in _reference_dirs() if (d / spec.csv).is_file()), None)
    if path is None:
        return None
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = {}
        for raw in reader:
            key = tuple(raw[k] if k == "dataset" else int(raw[k]) for k in spec.keys)
            rows[key] = {c: (float(v) if v.strip() else None) for c, v in raw.items() if c not in spec.keys}
    return columns, rows


# ----- our numbers ---------------------------------------------------------------------------------
@dataclass
class Cell:
    """Our runs of one (paper row, method): values per metric, runs planned and failed, and the
    CPU seconds of the finished runs (wall seconds for records that predate CPU timing)."""

    planned: int = 0
    failed: int = 0
    loss: list = field(default_factory=list)
    acc: list = field(default_factory=list)
    cpu: list = field(default_factory=list)

    def stats(self, metric: str) -> tuple[float | None, float | None, int]:
        vals = np.asarray(self.loss if metric == "loss" else self.acc, dtype=float)
        if vals.size == 0:
            return None, None, 0
        return float(np.median(vals)), float(np.std(vals)), int(vals.size)


def aggregate(spec: TableSpec, tasks, records) -> dict[tuple, dict[str, Cell]]:
    """Group the finished records of ``tasks`` by (paper row, method) for table ``spec``."""
    by_key = {r["key"]: r for r in records}
    cells: dict[tuple, dict[str, Cell]] = {}
    for t in tasks:
        cfg = t.cfg
        row = spec.row_key(cfg)
        if row is None or t.method not in spec.methods:
            continue
        cell = cells.setdefault(row, {}).setdefault(t.method, Cell())
        cell.planned += 1
        rec = by_key.get(t.key)
        if rec is None:
            continue
        if rec["status"] != "ok":
            cell.failed += 1
            continue
        cell.loss.append(rec["loss"])
        cell.cpu.append(cpu_seconds(rec))
        if rec.get("accuracy") is not None:
            cell.acc.append(rec["accuracy"])
    return cells


def cpu_seconds(record: dict) -> float:
    """A store record's CPU seconds (its wall seconds where the record has none)."""
    value = record.get("cpu_seconds")
    return float(record["wall_seconds"] if value is None else value)


def table_rows(spec: TableSpec, tasks, records, all_paper_rows: bool = True) -> tuple[list[str], list[dict]]:
    """CSV columns and rows: the paper's key columns, then per method and metric ``ours_*`` and
    ``paper_*`` (median, std) and ``ours_<method>_n``. Rows: every paper row when
    ``all_paper_rows``, else only those with planned runs (plus rows the paper lacks)."""
    paper = load_paper_table(spec)
    paper_rows = paper[1] if paper else {}
    cells = aggregate(spec, tasks, records)
    keys = list(paper_rows) if all_paper_rows else [k for k in paper_rows if k in cells]
    keys += [k for k in sorted(cells) if k not in paper_rows]
    columns = list(spec.keys)
    for method, p in spec.methods.items():
        for metric in spec.metrics:
            med, std = spec.columns(method, metric)
            columns += [f"ours_{med}", f"ours_{std}"]
        columns.append(f"ours_{p}_n")
        for metric in spec.metrics:
            med, std = spec.columns(method, metric)
            columns += [f"paper_{med}", f"paper_{std}"]
    rows = []
    for key in keys:
        row = dict(zip(spec.keys, key))
        for method, p in spec.methods.items():
            cell = cells.get(key, {}).get(method)
            for metric in spec.metrics:
                med, std = spec.columns(method, metric)
                m, s, n = cell.stats(metric) if cell else (None, None, 0)
                row[f"ours_{med}"], row[f"ours_{std}"] = m, s
                row[f"paper_{med}"] = paper_rows.get(key, {}).get(med)
                row[f"paper_{std}"] = paper_rows.get(key, {}).get(std)
            row[f"ours_{p}_n"] = cell.stats("loss")[2] if cell else 0
            row[f"_{method}_cell"] = cell
        rows.append(row)
    return columns, rows


# ----- formatting --------------------------------------------------------------------------------
def _fmt(value, metric: str) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if metric == "acc" else f"{value:.2e}"


def _fmt_std(value, metric: str) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if metric == "acc" else f"{value:.1e}"


def _our_cell(row, spec, method, metric) -> str:
    cell = row[f"_{method}_cell"]
    if cell is None:
        return "not run" if row[f"paper_{spec.columns(method, metric)[0]}"] is not None else "–"
    med, std = spec.columns(method, metric)
    m, s, n = cell.stats(metric)
    note = f"{n}/{cell.planned}" if n != cell.planned else f"{n}"
    if cell.failed:
        note += f", {cell.failed} failed"
    if m is None:
        return f"pending ({note})"
    return f"{_fmt(m, metric)} ± {_fmt_std(s, metric)} (n={note})"


def _paper_cell(row, spec, method, metric) -> str:
    med, std = spec.columns(method, metric)
    if row[f"paper_{med}"] is None:
        return "–"
    return f"{_fmt(row[f'paper_{med}'], metric)} ± {_fmt_std(row[f'paper_{std}'], metric)}"


def markdown_table(spec: TableSpec, rows: list[dict]) -> str:
    """A markdown table: key columns, then per method and metric "ours" beside "paper"."""
    metric_names = {"loss": "MSE" if spec.kind == "synthetic" else "loss", "acc": "acc %"}
    head = list(spec.keys)
    for method in spec.methods:
        for metric in spec.metrics:
            label = f"{METHOD_LABELS[method]} {metric_names[metric]}"
            head += [f"{label} (ours)", f"{label} (paper)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [str(row[k]) for k in spec.keys]
        for method in spec.methods:
            for metric in spec.metrics:
                cells += [_our_cell(row, spec, method, metric), _paper_cell(row, spec, method, metric)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with atomic_write(path, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


def _notes(tasks, records) -> list[str]:
    notes = []
    steps = {}
    for t in tasks:
        c = t.cfg
        if t.method == "gd":
            steps.setdefault(c["kind"], set()).add(c["steps"])
    for kind, used in sorted(steps.items()):
        paper = PAPER_GD_STEPS[kind]
        if used != {paper}:
            notes.append(f"**Gradient descent ran {', '.join(f'{s:,}' for s in sorted(used))} steps on "
                         f"{kind} problems, the paper {paper:,}**: our GD numbers are not comparable "
                         "to the paper's GD column.")
        else:
            notes.append(f"Gradient descent ran the paper's {paper:,} steps on {kind} problems "
                         "(full batch, learning rate 1e-3, Glorot initialisation).")
    runs = {}
    for t in tasks:
        runs.setdefault(t.method, set()).add(t.seed)
    counts = ", ".join(f"{METHOD_LABELS[m]} {len(s)}" for m, s in runs.items())
    notes.append(f"Runs per (configuration, method): {counts} (the paper: 16 for GLS in table A1's "
                 "caption, 16 for random vertex in H.1.3 and H.2.3, 8 for the rest). Standard "
                 "deviations are numpy's (ddof = 0). Synthetic problems: seed s draws the dataset, "
                 "shared by all methods and widths; image tasks: fixed data, the seed moves the "
                 "initialisation only.")
    backends = sorted({t.cfg.get("backend", "fast") for t in tasks if t.method != "gd"})
    if backends:
        labels = {"fast": "ours (the fast backend: active set, every answer KKT-certified)",
                  "ecos-defaults": "the paper's, cvxpy + ECOS at its default settings (`--backend paper`)",
                  "cvxpy": "cvxpy + ECOS at tolerances 1e-9 (`--backend paper-tight`)"}
        notes.append("Convex programs of GLS, mGLS and random vertex solved by "
                     + " and ".join(labels.get(b, b) for b in backends) + ".")
    pairs = sorted({(t.cfg["dataset"], tuple(t.cfg["classes"])) for t in tasks
                    if t.cfg["kind"] == "image" and t.cfg.get("classes") is not None})
    if pairs:
        notes.append("Class pairs other than appendix H.2.1's: "
                     + ", ".join(f"{_DATASET_LABELS[n]} {a}/{b}" for n, (a, b) in pairs) + ".")
    ok = [r for r in records if r["status"] == "ok"]
    failed = [r for r in records if r["status"] != "ok"]
    missing = len(tasks) - len(records)
    if missing:
        notes.append(f"{missing} of {len(tasks)} runs are not finished (re-run the command to resume).")
    if failed:
        notes.append(f"{len(failed)} runs failed (retried on re-run); first error: "
                     f"{failed[0]['error'].splitlines()[0]}")
    gaps = [abs(r["loss"] - r["loss_recomputed"]) / max(1.0, abs(r["loss"])) for r in ok
            if r.get("loss_recomputed") is not None]
    if gaps:
        notes.append(f"Reported loss vs loss recomputed from the returned network: largest relative "
                     f"gap {max(gaps):.1e} over {len(gaps)} runs.")
    return notes


def _cost_table(tasks, records) -> str:
    methods = {t.key: t.method for t in tasks}
    lines = ["| method | runs | median seconds | max seconds | median convex solves | median steps |",
             "|---|---|---|---|---|---|"]
    for method in METHOD_LABELS:
        recs = [r for r in records if methods.get(r["key"]) == method and r["status"] == "ok"]
        if not recs:
            continue
        sec = [r["wall_seconds"] for r in recs]
        lines.append(f"| {METHOD_LABELS[method]} | {len(recs)} | {np.median(sec):.2f} | {max(sec):.2f} | "
                     f"{np.median([r['n_solves'] for r in recs]):.0f} | "
                     f"{np.median([r['n_steps'] for r in recs]):.0f} |")
    return "\n".join(lines)


def run_problem(cfg: dict) -> str:
    """A run's problem in words: its data and width."""
    if cfg["kind"] == "synthetic":
        return f"synthetic d = {cfg['d']}, m_gen = {cfg['m_gen']}, m = {cfg['m']}"
    return f"{cfg['dataset']} d = {cfg['d']}, N = {cfg['N']}, m = {cfg['m']}"


#: The moves over which the report and the status line average a run's recent seconds per step.
RECENT_STEPS = 10


def steps_so_far(task: Task, state) -> str:
    """The steps of a run saved mid-way (its SearchCheckpoint ``state``), of its budget if it has
    one, and the seconds a step took over its last ``RECENT_STEPS`` moves (the trace's wall
    seconds: how fast it goes now, late steps of a walk often costing more than early ones)."""
    budget = task.cfg.get("max_steps")
    text = f"{state.n_steps:,}" + (f" of {budget:,}" if budget else "")
    trace = state.trace
    if len(trace) > 1:
        back = min(RECENT_STEPS, len(trace) - 1)
        text += f" ({(trace[-1]['seconds'] - trace[-1 - back]['seconds']) / back:.3g} s a step lately)"
    return text


def _in_progress_table(tasks, in_progress: dict) -> str:
    """Markdown rows of the runs saved mid-way: key → (CPU seconds so far, SearchCheckpoint)."""
    by_key = {t.key: t for t in tasks}
    lines = ["| method | problem | seed | step | loss | CPU seconds so far |", "|---|---|---|---|---|---|"]
    for key, (cpu, state) in sorted(in_progress.items()):
        task = by_key[key]
        lines.append(f"| {METHOD_LABELS[task.method]} | {run_problem(task.cfg)} | {task.seed} | "
                     f"{steps_so_far(task, state)} | {state.trace[-1]['loss']:.3g} | {cpu:,.0f} |")
    return "\n".join(lines)


def cell_cost_table(spec: TableSpec, tasks, records) -> str:
    """Markdown table of the measured cost: CPU seconds per paper row and method (sum over the
    finished runs, with their count), per method in total, and the grand total."""
    cells = aggregate(spec, tasks, records)
    methods = [m for m in spec.methods if any(m in c for c in cells.values())]
    head = list(spec.keys) + [METHOD_LABELS[m] for m in methods] + ["row total"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    totals = {m: [0.0, 0, 0] for m in methods}
    for key in sorted(cells):
        row, row_total = [str(k) for k in key], 0.0
        for m in methods:
            cell = cells[key].get(m)
            if cell is None:
                row.append("–")
                continue
            cpu = float(sum(cell.cpu))
            row_total += cpu
            totals[m][0] += cpu
            totals[m][1] += len(cell.cpu)
            totals[m][2] += cell.planned
            done = f"{len(cell.cpu)}" if len(cell.cpu) == cell.planned else f"{len(cell.cpu)}/{cell.planned}"
            row.append(f"{cpu:,.1f} ({done} runs)" if cell.cpu else f"not finished (0/{cell.planned})")
        lines.append("| " + " | ".join(row + [f"{row_total:,.1f}"]) + " |")
    grand = sum(t[0] for t in totals.values())
    total_row = ["**total**"] + [""] * (len(spec.keys) - 1)
    total_row += [f"**{t[0]:,.1f}** ({t[1]}/{t[2]} runs)" for t in totals.values()]
    lines.append("| " + " | ".join(total_row + [f"**{grand:,.1f} s = {grand / 3600:.2f} CPU-hours**"]) + " |")
    return "\n".join(lines)


def remaining_cost_table(spec: TableSpec, tasks, records, in_progress: dict) -> str | None:
    """Markdown estimate of the CPU seconds still to run, per (paper row, method) with runs not
    finished, or None when every run of ``spec``'s cells has finished.

    A pending run is estimated at the median CPU seconds of its cell's finished runs (the median,
    so that runs made before a change of the code weigh less), less what it has spent so far if
    it is in progress (``in_progress``: key → (CPU seconds so far, checkpoint), as for
    :func:`write_report`), and at least 0. Cells with no finished run have no estimate; the total
    says how many runs they hold.
    """
    spent = {key: cpu for key, (cpu, _state) in in_progress.items()}
    pending: dict[tuple, list[str]] = {}
    finished = {r["key"] for r in records if r["status"] == "ok"}
    for t in tasks:
        row = spec.row_key(t.cfg)
        if row is not None and t.method in spec.methods and t.key not in finished:
            pending.setdefault((row, t.method), []).append(t.key)
    if not pending:
        return None
    cells = aggregate(spec, tasks, records)
    head = list(spec.keys) + ["method", "finished", "in progress", "median CPU-s of a finished run",
                              "estimated CPU-s left"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    total, unknown = 0.0, 0
    for (row, method), keys in sorted(pending.items()):
        cell = cells[row][method]
        running = sum(key in spent for key in keys)
        if cell.cpu:
            typical = float(np.median(cell.cpu))
            left = float(sum(max(typical - spent.get(key, 0.0), 0.0) for key in keys))
            total += left
            cost = [f"{typical:,.0f}", f"{left:,.0f}"]
        else:
            unknown += len(keys)
            cost = ["–", "unknown"]
        lines.append("| " + " | ".join([str(k) for k in row] + [METHOD_LABELS[method],
                                                                 f"{len(cell.cpu)}/{cell.planned}", str(running)]
                                        + cost) + " |")
    runs = sum(len(v) for v in pending.values())
    summary = (f"About **{total:,.0f} CPU-seconds ({total / 3600:.1f} CPU-hours)** for the {runs - unknown} "
               f"pending run(s) of cells with a finished run")
    summary += f"; {unknown} more run(s) in cells with none have no estimate." if unknown else "."
    return "\n".join(lines) + "\n\n" + summary


# ----- figures ---------------------------------------------------------------------------------
_COLORS = {"gd": "tab:blue", "random_vertex": "tab:orange", "gls": "tab:green", "mgls": "tab:red"}
_FLOOR = 1e-20  # losses below (numerically zero) are drawn at this value on the log axis


def _panel_title(group: tuple) -> str:
    if group[0] == "synthetic":
        return f"synthetic, d = {group[1]}, m_gen = {group[2]}"
    name = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}[group[1]]
    pair = {"mnist": "4/9", "fashion": "pullover/coat"}[group[1]] if group[4] is None else "{}/{}".format(*group[4])
    return f"{name} {pair}, d = {group[2]}, N = {group[3]}"


def plot_figure(experiment: str, tasks, records, path: Path) -> Path:
    """PNG in the style of figures 2 and 3: one panel per problem group, one line per method.

    Synthetic panels show the final MSE (log scale), image panels the training accuracy (%),
    against the overparameterization factor m(d+1)/N. Solid: our median with the interquartile
    band; dashed with open markers: the paper's median (tables A1–A3). A median of a cell with
    runs still to finish is labelled with its finished and planned runs ("6/16 runs").
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_key = {r["key"]: r for r in records if r["status"] == "ok"}
    groups = list(dict.fromkeys(t.group for t in tasks))
    tables = [TABLES[name] for name in EXPERIMENT_TABLES[experiment]]
    ncols = min(len(groups), 3)
    nrows = -(-len(groups) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 4.0 * nrows), squeeze=False)
    for ax, group in zip(axes.flat, groups):
        synthetic = group[0] == "synthetic"
        metric = "loss" if synthetic else "acc"
        spec = next(s for s in tables if s.kind == group[0])
        paper = load_paper_table(spec)
        gtasks = [t for t in tasks if t.group == group]
        clipped = False
        for method in [m for m in METHOD_LABELS if any(t.method == m for t in gtasks)]:
            xs, med, lo, hi, pxs, pys, partial = [], [], [], [], [], [], []
            for m in sorted({t.cfg["m"] for t in gtasks if t.method == method}):
                mt = [t for t in gtasks if t.method == method and t.cfg["m"] == m]
                x = overparameterization(mt[0].cfg)
                vals = [by_key[t.key]["loss" if synthetic else "accuracy"] for t in mt if t.key in by_key]
                if vals:
                    clipped |= synthetic and min(vals) < _FLOOR
                    vals = np.maximum(vals, _FLOOR) if synthetic else np.asarray(vals)
                    xs.append(x)
                    med.append(np.median(vals))
                    lo.append(np.percentile(vals, 25))
                    hi.append(np.percentile(vals, 75))
                    if len(vals) < len(mt):
                        partial.append((x, med[-1], f"{len(vals)}/{len(mt)} runs"))
                row = spec.row_key(mt[0].cfg)
                if paper and row in paper[1] and method in spec.methods:
                    value = paper[1][row].get(spec.columns(method, metric)[0])
                    if value is not None:
                        pxs.append(x)
                        pys.append(max(value, _FLOOR) if synthetic else value)
            color = _COLORS[method]
            if xs:
                ax.plot(xs, med, "o-", color=color, label=f"{METHOD_LABELS[method]} (ours)")
                ax.fill_between(xs, lo, hi, color=color, alpha=0.15, linewidth=0)
            for x, y, text in partial:
                ax.annotate(text, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7, color=color)
            if pxs:
                ax.plot(pxs, pys, "o--", color=color, mfc="none", alpha=0.8,
                        label=f"{METHOD_LABELS[method]} (paper)")
        ax.set_xscale("log", base=2)
        factors = sorted({overparameterization(t.cfg) for t in gtasks})
        ax.set_xticks(factors, [f"{f:.3g}" for f in factors])
        ax.minorticks_off()
        if synthetic:
            ax.set_yscale("log")
            if clipped:
                ax.text(0.98, 0.98, f"values < {_FLOOR:.0e} drawn at {_FLOOR:.0e}", fontsize=7,
                        transform=ax.transAxes, color="0.35", ha="right", va="top")
        ax.set_xlabel("overparameterization factor m(d+1)/N")
        ax.set_ylabel("final training MSE" if synthetic else "training accuracy (%)")
        ax.set_title(_panel_title(group))
        ax.grid(True, which="major", alpha=0.3)
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    fig.suptitle(f"zonocomb reproduce {experiment}: our median (band: 25–75 %) and the paper's median",
                 fontsize=11)
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center",
               ncol=min(len(handles), 4), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.06 + 0.04 * (len(handles) > 4), 1, 1))
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, dpi=110, format="png")
    plt.close(fig)
    return path


# ----- the whole report ------------------------------------------------------------------------
def check_report_name(name: str) -> str:
    """``name`` if it can stem the report's files in their folder: not empty, not ``.`` or ``..``,
    no folder part (InvalidInputError otherwise)."""
    if not isinstance(name, str) or name in ("", ".", "..") or Path(name).name != name or "\\" in name:
        raise InvalidInputError(f"the report's name must be a file name stem without a folder, got {name!r}")
    return name


def write_report(experiment: str, tasks: list[Task], records: list[dict], out_dir, command: str = "",
                 name: str | None = None, in_progress: dict | None = None) -> dict:
    """Write ``<name>.md``, one ``<name>_table_<A1|A2|A3>.csv`` per paper table, ``<name>_runs.csv``
    (every finished run) and ``<name>.png`` into ``out_dir`` (``name`` defaults to the experiment).

    The markdown holds the notes, each paper table with our medians beside the paper's, the cost
    per run, the measured CPU seconds per cell and method (:func:`cell_cost_table`), while runs are
    pending an estimate of the CPU seconds still to run (:func:`remaining_cost_table`) and, given
    ``in_progress`` (:func:`zonocomb.experiments.runner.in_progress`: the runs saved mid-way), their
    steps so far. It is a function of the records and those checkpoints only, so the same store
    always gives the same text.

    Returns a dict of the written paths (``markdown``, ``figure``, ``runs``, ``tables``) and the
    markdown text (``text``).

    Raises
    ------
    InvalidInputError
        An unknown experiment, or a ``name`` :func:`check_report_name` refuses.
    """
    name = experiment if name is None else check_report_name(name)
    if experiment not in EXPERIMENT_TABLES:
        raise InvalidInputError(f"unknown experiment {experiment!r}; expected one of {list(EXPERIMENT_TABLES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = {t.key for t in tasks}
    records = [r for r in records if r["key"] in keys]
    parts = [f"# zonocomb reproduce {experiment}" + (f" ({name})" if name != experiment else ""), ""]
    if command:
        parts += [f"Command: `{command}`", ""]
    parts += [f"- {n}" for n in _notes(tasks, records)] + [""]
    table_paths = {}
    for table in EXPERIMENT_TABLES[experiment]:
        spec = TABLES[table]
        columns, rows = table_rows(spec, tasks, records, all_paper_rows=experiment.startswith("table"))
        if not rows:
            continue
        csv_path = out / f"{name}_table_{table}.csv"
        _write_csv(csv_path, columns, rows)
        table_paths[table] = csv_path
        found = load_paper_table(spec) is not None
        parts += [f"## Table {table}" + ("" if found else f" (paper values unavailable: {spec.csv} not found)"),
                  "", markdown_table(spec, rows), ""]
    parts += ["## Cost per run", "", _cost_table(tasks, records), ""]
    for table in EXPERIMENT_TABLES[experiment]:
        spec = TABLES[table]
        if any(spec.row_key(t.cfg) is not None for t in tasks):
            parts += [f"## Measured cost, table {table}: CPU seconds per cell and method", "",
                      "Sum over the finished runs (batched gradient descent: each run is charged "
                      "its share of the batch).", "", cell_cost_table(spec, tasks, records), ""]
    in_progress = {k: v for k, v in (in_progress or {}).items() if k in keys}
    for table in EXPERIMENT_TABLES[experiment]:
        estimate = remaining_cost_table(TABLES[table], tasks, records, in_progress)
        if estimate is not None:
            parts += [f"## Cost still to run, table {table} (an estimate)", "",
                      "Each pending run is taken to cost the median CPU seconds of its cell's finished "
                      "runs, less what it has spent so far if it is in progress.", "", estimate, ""]
    if in_progress:
        parts += ["## Runs in progress", "",
                  f"{len(in_progress)} run(s) saved mid-way in the store (their checkpoints), which the "
                  "sweep's command resumes:", "", _in_progress_table(tasks, in_progress), ""]
    figure = plot_figure(experiment, tasks, records, out / f"{name}.png")
    parts += [f"![{name}]({figure.name})", ""]
    runs_path = out / f"{name}_runs.csv"
    run_cols = ["key", "method", "seed", "status", "loss", "loss_recomputed", "accuracy", "n_solves",
                "n_steps", "seconds", "wall_seconds", "cpu_seconds"]
    # configuration columns are prefixed (the config's "loss" is the loss function's name)
    cfg_cols = sorted({k for r in records for k in r["config"]})
    rows = [{**{f"cfg_{k}": v for k, v in r["config"].items()}, **r}
            for r in sorted(records, key=lambda r: r["key"])]
    _write_csv(runs_path, [f"cfg_{k}" for k in cfg_cols] + run_cols, rows)
    text = "\n".join(parts)
    md_path = out / f"{name}.md"
    with atomic_write(md_path) as fh:
        fh.write(text)
    return {"markdown": md_path, "figure": figure, "runs": runs_path, "tables": table_paths, "text": text}
