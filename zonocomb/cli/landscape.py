"""``zonocomb landscape FILE.csv --units m``: the loss on every vertex of Z^m, minima and GLS basins."""
from __future__ import annotations

from pathlib import Path

from ..errors import InvalidInputError
from ..files import check_writable
from ..geometry.dataset import Dataset
from ..landscape import DEFAULT_MAX_CLASSES, check_size, landscape
from ._common import check_at_least, progress_enabled


def register(sub) -> None:
    p = sub.add_parser("landscape", help="solve every vertex of Z^m: local minima, GLS basins, success rates",
                       description="Solve the region program (paper eq. 3) at every vertex of Z^m "
                                   "(up to permutations of units with equal output weight) and report "
                                   "local minima, GLS basins, P(GLS/mGLS/random vertex -> global "
                                   "minimum) and where gradient descent lands (paper §4.3.1).")
    p.add_argument("file", help="CSV file, one example per row, the label in the last column")
    p.add_argument("--units", required=True, metavar="M[,M2,...]",
                   help="hidden units m; several (comma-separated) give a sweep and a success plot")
    p.add_argument("--loss", choices=["mse", "logistic", "l1"], default="mse", help="loss (default mse)")
    p.add_argument("--bias-free", action="store_true", help="units without biases (generators x_i, app. E)")
    p.add_argument("--backend", default="fast", help="convex backend (default fast)")
    p.add_argument("--samples", type=int, default=2000,
                   help="Gaussian starts for the sampled GLS / random-vertex estimates (default 2000)")
    p.add_argument("--mgls-runs", type=int, default=32, help="mGLS runs (default 32)")
    p.add_argument("--gd-runs", type=int, default=0, help="gradient-descent runs, v frozen (default 0)")
    p.add_argument("--gd-steps", type=int, default=20000, help="steps per GD run (default 20000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled estimates (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="joblib workers for the solves (default 1)")
    p.add_argument("--max-classes", type=int, default=DEFAULT_MAX_CLASSES,
                   help=f"refuse larger landscapes (default {DEFAULT_MAX_CLASSES})")
    p.add_argument("--graphml", metavar="OUT", help="write the class graph with all attributes as GraphML")
    p.add_argument("--plot", metavar="OUT.png", help="draw minima vs basin size, the skeleton, success vs m")
    p.set_defaults(func=run)


def _units(text: str) -> list[int]:
    try:
        units = [int(t) for t in text.split(",")]
    except ValueError:
        raise InvalidInputError(f"--units must be integers separated by commas, got {text!r}") from None
    if any(m < 1 for m in units):
        raise InvalidInputError(f"--units must be at least 1, got {text!r}")
    if len(set(units)) != len(units):
        raise InvalidInputError(f"--units lists a width twice: {text!r}")
    return units


def _graphml_path(path: str, m: int, sweep: int) -> Path:
    """OUT itself, or OUT_m{m}.graphml for each m of a sweep."""
    out = Path(path)
    return out.with_name(f"{out.stem}_m{m}{out.suffix or '.graphml'}") if sweep > 1 else out


def run(args) -> int:
    path = Path(args.file)
    if path.suffix not in (".csv", ".txt"):
        raise InvalidInputError(f"{path}: expected a .csv file with the label in the last column")
    if args.jobs == 0 or args.jobs < -1:
        raise InvalidInputError(f"--jobs must be a positive integer or -1, got {args.jobs}")
    units = _units(args.units)
    check_at_least(args, samples=0, mgls_runs=0, gd_runs=0, gd_steps=0, seed=0, max_classes=1)
    graphml = {m: _graphml_path(args.graphml, m, len(units)) for m in units} if args.graphml else {}
    for out in graphml.values():
        check_writable(out, "GraphML file")
    if args.plot:
        check_writable(args.plot, "plot")
    ds = Dataset.from_csv(path, label_column=-1, homogenize=not args.bias_free)
    for m in units:                        # refuse a sweep before any of it is solved
        check_size(ds, m, loss=args.loss, backend=args.backend, max_classes=args.max_classes,
                   n_jobs=args.jobs)
    lands = []
    for m in units:
        land = landscape(ds, m, loss=args.loss, backend=args.backend, samples=args.samples,
                         mgls_runs=args.mgls_runs, gd_runs=args.gd_runs, gd_steps=args.gd_steps,
                         random_state=args.seed, n_jobs=args.jobs, max_classes=args.max_classes,
                         progress=progress_enabled(args))
        lands.append(land)
        print(f"== m = {m} (examples: {ds.N}, dimension: {ds.d}, loss: {args.loss})")
        print(land.summary())
        if m in graphml:
            land.to_graphml(graphml[m])
            if not args.quiet:
                print(f"wrote {len(land)} classes and {land.graph.number_of_edges()} edges to {graphml[m]}")
    if args.plot:
        from ..landscape.plots import landscape_figure
        landscape_figure(lands, out=args.plot)
        if not args.quiet:
            print(f"wrote {args.plot}")
    return 0
