"""``zonocomb reproduce``: run one of the paper's experiments (appendix H) and report it.

Every (configuration, method, seed) run is a task; finished tasks go to a SQLite file at once and
are skipped when the same command runs again, so an interrupted sweep resumes. Outputs: a markdown
report with our median ± std beside the paper's values, CSV tables, a CSV of every run, and a PNG
in the style of the paper's figures 2 and 3.
"""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from ..errors import InvalidInputError
from ..experiments.cluster import connect_scheduler
from ._common import check_at_least, progress_enabled

#: Largest --seeds: the paper uses 8; more than this many runs per cell is a typo, not a sweep.
MAX_SEEDS = 1000


def register(sub) -> None:
    p = sub.add_parser(
        "reproduce", help="re-run the paper's experiments (tables A1-A3, figures 2-3)",
        description="Run the sweep of one experiment of the paper's appendix H (resumable: finished "
                    "runs are kept in a SQLite file and skipped), then write tables and a figure "
                    "with our numbers beside the paper's.")
    p.add_argument("experiment", choices=["table-a1", "table-a2", "table-a3", "figure2", "figure3"])
    p.add_argument("--quick", action="store_true",
                   help="a subset that runs in minutes (table-a1: the d=4 rows, 8 seeds, gradient "
                        "descent with 20,000 steps instead of the paper's 400,000)")
    p.add_argument("--seeds", type=int, default=None,
                   help=f"runs per configuration and method, 1 to {MAX_SEEDS} (default 8; 4 for quick "
                        "image tasks)")
    p.add_argument("--workers", type=int, default=2,
                   help="local worker processes (default 2; 1 runs in this process; -1 = all cores)")
    p.add_argument("--db", default="results.sqlite", help="SQLite file of finished runs (default results.sqlite)")
    p.add_argument("--out", default="results", help="directory for the report, tables and figure (default results)")
    p.add_argument("--scheduler", default=None,
                   help="run on a Dask distributed cluster at this address (e.g. tcp://host:8786)")
    p.add_argument("--data-dir", default=None,
                   help="directory with the MNIST / Fashion-MNIST IDX files (searched first; "
                        "also $ZONOCOMB_DATA_DIR)")
    p.add_argument("--gd-steps", type=int, default=None,
                   help="gradient descent steps (default: the paper's 400,000 synthetic / 1,000,000 "
                        "image; 20,000 with --quick)")
    p.add_argument("--backend", choices=["ours", "paper", "paper-tight"], default="ours",
                   help="convex solver of GLS, mGLS and random vertex: ours (the fast, KKT-certified "
                        "backend; default), paper (cvxpy + ECOS at its default settings, as in the "
                        "paper) or paper-tight (ECOS at tolerances 1e-9); runs are stored per backend "
                        "and never mixed in one median")
    p.add_argument("--classes", action="append", default=[], metavar="DATASET=A/B",
                   help="class pair of an image dataset, e.g. mnist=5/9 (default: mnist=4/9, "
                        "fashion=2/4 as in appendix H.2.1); repeatable")
    p.add_argument("--order", choices=["largest-first", "cheapest-first"], default="largest-first",
                   help="which runs start first (cheapest-first finishes the most cells early in a "
                        "long sweep that may be stopped and resumed)")
    p.add_argument("--name", default=None,
                   help="file name stem of the report in --out (default: the experiment's name)")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="STORE",
                   help="first copy from this store the finished runs the experiment needs (e.g. the "
                        "tables' stores into a figure's: runs are keyed by configuration, not by "
                        "experiment); the file is only read; repeatable, also with --report-only")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--report-only", action="store_true", help="do not run anything; report what the store holds")
    p.set_defaults(func=run)


def _check_image_data(tasks, data_dir) -> None:
    """Fail before starting workers if an image dataset the sweep needs is missing."""
    from ..datasets.images import locate_files
    for name in sorted({t.cfg["dataset"] for t in tasks if t.cfg["kind"] == "image"}):
        locate_files(name, data_dir)


def parse_classes(values) -> dict:
    """``["mnist=5/9"]`` -> ``{"mnist": (5, 9)}`` (InvalidInputError naming the bad value)."""
    out = {}
    for value in values:
        name, _, pair = value.partition("=")
        parts = pair.split("/")
        if not name or len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise InvalidInputError(f"--classes expects DATASET=A/B (e.g. mnist=5/9), got {value!r}")
        out[name.strip()] = (int(parts[0]), int(parts[1]))
    return out


def _command_line(args) -> str:
    """The command that reproduces this report (options left at their defaults omitted)."""
    parts = ["zonocomb", "reproduce", args.experiment] + (["--quick"] if args.quick else [])
    if args.backend != "ours":
        parts += ["--backend", args.backend]
    for value in args.classes:
        parts += ["--classes", value]
    for flag, value in (("--seeds", args.seeds), ("--gd-steps", args.gd_steps), ("--db", args.db),
                        ("--out", args.out), ("--name", args.name), ("--data-dir", args.data_dir)):
        if value is not None:
            parts += [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def _status_to_stderr(line: str) -> None:
    """A sweep's status line (every few minutes, :func:`zonocomb.experiments.runner.status_line`),
    printed above the progress bar if there is one."""
    from tqdm.auto import tqdm
    tqdm.write(line, file=sys.stderr)


def run(args) -> int:
    from ..experiments.report import check_report_name, write_report
    from ..experiments.runner import in_progress, run_sweep
    from ..experiments.store import RunStore
    from ..experiments.tasks import BACKENDS, build_tasks

    if args.workers == 0 or args.workers < -1:
        raise InvalidInputError(f"--workers must be a positive integer or -1, got {args.workers}")
    if args.seeds is not None and not 1 <= args.seeds <= MAX_SEEDS:
        raise InvalidInputError(f"--seeds must be between 1 and {MAX_SEEDS}, got {args.seeds}")
    check_at_least(args, gd_steps=1)
    if args.name is not None:
        check_report_name(args.name)
    tasks = build_tasks(args.experiment, quick=args.quick, seeds=args.seeds, gd_steps=args.gd_steps,
                        backend=BACKENDS[args.backend], classes=parse_classes(args.classes))
    if args.report_only and not args.imports and not Path(args.db).is_file():
        raise InvalidInputError(f"--report-only: no store at {args.db} (run the sweep first, or give --db)")
    for path in args.imports:
        if not Path(path).is_file():
            raise InvalidInputError(f"--import: no store at {path}")
    command = _command_line(args)
    scheduler = None
    if args.scheduler and not args.report_only:
        scheduler = connect_scheduler(args.scheduler, quiet=args.quiet)
    with RunStore(args.db) as store:
        for path in args.imports:
            print(f"imported {store.import_runs(path, [t.key for t in tasks])} finished runs from {path}")
        if not args.report_only:
            _check_image_data(tasks, args.data_dir)
            where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{args.workers} local worker(s)"
            resuming = len(in_progress(store, tasks))
            print(f"zonocomb reproduce {args.experiment}{' --quick' if args.quick else ''}: "
                  f"{len(tasks)} runs on {where}; store {args.db}"
                  + (f"; {resuming} interrupted run(s) resume from their checkpoints"
                     if resuming and not args.scheduler else ""))
            summary = run_sweep(tasks, store, workers=args.workers, scheduler=scheduler,
                                data_dir=args.data_dir, progress=progress_enabled(args) and not args.no_progress,
                                desc=args.experiment, order=args.order,
                                status=None if args.quiet else _status_to_stderr)
            if scheduler:
                scheduler.close()
            print(f"{summary.n_ok} runs finished now, {summary.n_skipped} were already in the store, "
                  f"{summary.n_failed} failed; {summary.seconds:.1f} s")
        records = store.get([t.key for t in tasks])
        running = in_progress(store, tasks)
    t0 = time.perf_counter()
    paths = write_report(args.experiment, tasks, records, Path(args.out), command=command,
                         name=args.name, in_progress=running)
    print()
    print(paths["text"])
    print(f"\nwrote {paths['markdown']}, {paths['figure']}, {paths['runs']}, "
          f"{', '.join(str(p) for p in paths['tables'].values())} ({time.perf_counter() - t0:.1f} s)")
    missing = sum(1 for r in records if r["status"] != "ok") + len(tasks) - len(records)
    return 0 if missing == 0 else 1
