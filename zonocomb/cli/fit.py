"""``zonocomb fit FILE.csv``: train a shallow ReLU network by a search over activation regions."""
from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

from ..errors import CheckpointError, InvalidInputError, TooLargeError
from ..files import atomic_write, check_writable
from ..geometry.dataset import Dataset
from ..search import ALIASES, METHODS, SearchCheckpoint, get_method, run_method
from ..search.rounds import run_in_rounds
from ..validation import check_random_state
from ._common import barcode_string, check_at_least, check_positive_seconds, progress_enabled


def register(sub) -> None:
    p = sub.add_parser("fit", help="train a shallow ReLU network (mGLS, GLS, random vertex, exact ERM, GD, "
                                   "simulated annealing, tabu search)",
                       description="Fit f(x) = v·relu(W x̄) + c to a labelled CSV (last column = label) "
                                   "with a search over the vertices of Z^m (paper §2, §4.2, §4.3, app. G/H).")
    p.add_argument("file", help="CSV file, one example per row, the label in the last column")
    p.add_argument("--method", choices=[*METHODS, *ALIASES], default="mgls", metavar="METHOD",
                   help=f"search algorithm: {', '.join(METHODS)} (default mgls; "
                        f"{' and '.join(ALIASES)} are the old names of {' and '.join(ALIASES.values())})")
    p.add_argument("--units", type=int, default=8, help="hidden units m (default 8)")
    p.add_argument("--loss", choices=["mse", "logistic", "l1"], default="mse", help="loss (default mse)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--max-steps", type=int, default=None,
                   help="moves of gls/mgls/tabu_search (default 1024/2048/100), proposals of "
                        "simulated_annealing (default 2000) or gradient steps of gradient_descent "
                        "(default 10000)")
    p.add_argument("--max-time", type=float, default=None, metavar="SECONDS",
                   help="gls/mgls: stop (with a warning) before a move that would end after "
                        "this many seconds (default: no limit)")
    p.add_argument("--checkpoint", metavar="STATE.json",
                   help="gls/mgls: keep the search's state in this file (written every "
                        f"{CHECKPOINT_SECONDS:g} s, when the search ends and when it is interrupted); "
                        "if the file exists, go on from it (--seed is then the checkpoint's; "
                        "--max-steps and --max-time count the moves and seconds before it too)")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate of gradient_descent (default 1e-3)")
    p.add_argument("--backend", default="fast", help="convex backend: fast or cvxpy (default fast)")
    p.add_argument("--bias-free", action="store_true", help="units without biases (generators x_i, app. E)")
    p.add_argument("--out", metavar="NET.json",
                   help="write the network as JSON (the folder must exist; checked before fitting)")
    p.add_argument("--json", action="store_true",
                   help="print the summary and the network as one JSON object instead of text")
    p.set_defaults(func=run)


#: Seconds between two writes of ``--checkpoint``.
CHECKPOINT_SECONDS = 60.0


class _CheckpointFile:
    """Keeps the latest :class:`SearchCheckpoint` of a search and writes it to ``path``
    (atomically) at most every :data:`CHECKPOINT_SECONDS`, and on :meth:`flush`."""

    def __init__(self, path):
        self.path, self.latest, self.written, self.last = path, None, True, time.perf_counter()

    def __call__(self, state: SearchCheckpoint) -> None:
        self.latest, self.written = state, False
        if time.perf_counter() - self.last >= CHECKPOINT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.written:
            with atomic_write(self.path) as fh:
                fh.write(self.latest.to_json())
            self.written, self.last = True, time.perf_counter()


def _resume_from(path):
    """The checkpoint in ``path``, or None when there is no such file (a new search)."""
    path = Path(path)
    if not path.exists():
        return None
    if not path.is_file():
        raise InvalidInputError(f"--checkpoint {path} is not a file")
    try:
        return SearchCheckpoint.from_json(path.read_bytes().decode("utf-8", errors="replace"))
    except CheckpointError as exc:
        raise CheckpointError(f"--checkpoint {path}: {exc}") from None


def _fit(ds: Dataset, args):
    check_at_least(args, units=1, max_steps=0, seed=0)
    check_positive_seconds(args.max_time, "--max-time")
    if get_method(args.method).name in ("gls", "mgls"):
        return _local_search(ds, args)
    if args.checkpoint is not None:
        raise InvalidInputError(f"--checkpoint applies to gls and mgls, not {args.method}")
    return run_method(args.method, ds, args.units, loss=args.loss, max_steps=args.max_steps,
                      random_state=args.seed, backend=args.backend, lr=args.lr,
                      train_output=(args.loss == "mse"), progress=progress_enabled(args))


def _local_search(ds: Dataset, args):
    """GLS / mGLS under zonocomb.search.rounds: --max-time, --checkpoint and a progress bar over
    the moves."""
    from tqdm.auto import tqdm
    name = get_method(args.method).name
    budget = args.max_steps if args.max_steps is not None else get_method(name).defaults["max_steps"]
    saver, resume, announced = None, None, []
    if args.checkpoint is not None:
        check_writable(args.checkpoint, "checkpoint file")
        resume, saver = _resume_from(args.checkpoint), _CheckpointFile(args.checkpoint)
    with tqdm(total=budget, initial=0 if resume is None else min(resume.n_steps, budget),
              desc=f"zonocomb fit ({name})", unit="move", disable=not progress_enabled(args),
              dynamic_ncols=True) as bar:
        def on_round(result, moves: int, seconds: float) -> bool:
            if resume is not None and not announced:     # the search took the checkpoint: say so once
                tqdm.write(f"resumed from {args.checkpoint} after {resume.n_steps} moves "
                           f"(loss {resume.trace[-1]['loss']:.6g})", file=sys.stderr)
                announced.append(True)
            bar.update(result.n_steps - bar.n)
            bar.set_postfix(loss=f"{result.loss:.4g}", refresh=False)
            return False

        try:
            outcome = run_in_rounds(args.method, ds, args.units, max_steps=args.max_steps, max_time=args.max_time,
                                    on_round=on_round, loss=args.loss, random_state=check_random_state(args.seed),
                                    backend=args.backend, resume=resume, checkpoint=saver)
        except CheckpointError as exc:
            raise CheckpointError(f"--checkpoint {args.checkpoint}: {exc}") from None
        finally:
            if saver is not None:
                saver.flush()
    if outcome.stopped == "max_time":
        warnings.warn(f"stopped by --max-time {args.max_time:g} after {outcome.result.n_steps} moves, before a local minimum")
    return outcome.result


def kernel_memory(m: int, n: int, N: int, loss: str, workspaces: int) -> int:
    """Bytes of work space the compiled region solver allocates for m units, n weights per unit
    and N examples: per workspace (one per sweep thread) its two Gram matrices of (m n + 1)²
    doubles, the 2 m n N doubles of its per-example blocks (3 m n N for the logistic loss) and about
    6 m N doubles of per-example state (zonocomb/convex/backends/_region_kernel.c, ``ctx_new``);
    the terms of lower order (n N, m n², N) are left out."""
    per_example = (3 if loss == "logistic" else 2) * m * n * N + 6 * m * N
    return 8 * workspaces * (2 * (m * n + 1) ** 2 + per_example)


def attainment_check_memory(m: int, n: int, N: int) -> int:
    """Bytes the fast backend's attainment check of a logistic answer allocates at its peak
    (zonocomb/convex/backends/attainment.py), an upper estimate: with K = m n + 1, the N × K
    matrix A and the (N + K) × K matrix Mᵀ (at most n multipliers per unit are positive, an NNLS
    solution in R^n), the rows of G before and after stacking (K × K each), the normal matrix
    M Mᵀ and its Cholesky factor: 8 (2 N K + 5 K²). It runs after a solve, in the calling thread."""
    K = m * n + 1
    return 8 * (2 * N * K + 5 * K * K)


def solver_memory(m: int, n: int, N: int, loss: str, workspaces: int) -> int:
    """Bytes a fit's region solves allocate: :func:`kernel_memory`, and for the logistic loss
    also :func:`attainment_check_memory`."""
    check = attainment_check_memory(m, n, N) if loss == "logistic" else 0
    return kernel_memory(m, n, N, loss, workspaces) + check


def _check_size(m: int, ds: Dataset, loss: str) -> None:
    """Refuse a fit whose region programs the compiled solver cannot take (its int indices) or
    whose solves' memory (:func:`solver_memory`, one kernel workspace per thread of a neighbour
    sweep) exceeds half of this machine's memory."""
    from ..convex.backends.kernel import default_threads, fits
    problem = f"--units {m} on {ds.N} examples in R^{ds.d} gives region programs of {m * ds.n} weights"
    if not fits(m, ds.n, ds.N):
        raise TooLargeError(f"{problem}; the region solver takes m n N, (m n + 1)^2 and m n^2 below "
                            f"2^31 - 1 (m n = {m * ds.n})")
    threads = default_threads()
    need = solver_memory(m, ds.n, ds.N, loss, threads)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > memory // 2:
        raise TooLargeError(
            f"{problem}, whose solver allocates about {need / 2 ** 30:.3g} GiB ({threads} thread(s), each "
            f"two ({m * ds.n} + 1)^2 Gram matrices and {m * ds.n} x {ds.N} blocks); this machine has "
            f"{memory / 2 ** 30:.3g} GiB")


def _network(result, args) -> dict:
    return {"method": result.method, "seed": args.seed, "loss_name": args.loss, "loss": result.loss,
            "units": result.m, "homogenize": result.homogenize, "W": result.W.tolist(),
            "v": [float(x) for x in result.v], "c": result.c,
            "pattern": [barcode_string(row) for row in result.pattern],
            "n_solves": result.n_solves, "n_steps": result.n_steps, "seconds": result.seconds}


def run(args) -> int:
    path = Path(args.file)
    if path.suffix not in (".csv", ".txt"):
        raise InvalidInputError(f"{path}: expected a .csv file with the label in the last column")
    if args.out:
        check_writable(args.out, "network file")
    ds = Dataset.from_csv(path, label_column=-1, homogenize=not args.bias_free)
    if args.units >= 1 and get_method(args.method).name != "gradient_descent":
        _check_size(args.units, ds, args.loss)
    result = _fit(ds, args)
    net = _network(result, args)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(json.dumps(net, indent=1) + "\n")
    if args.json:
        summary = {"examples": ds.N, "dimension": ds.d, "out": args.out, "network": net}
        if args.loss == "logistic":
            summary["training_accuracy"] = result.accuracy(ds.X_float, ds.y)
        print(json.dumps(summary, indent=1))
        return 0
    print(f"method: {result.method}   units: {result.m}   examples: {ds.N}   dimension: {ds.d}")
    print(f"final {args.loss} loss: {result.loss:.6g}")
    if args.loss == "logistic":
        print(f"training accuracy: {100 * result.accuracy(ds.X_float, ds.y):.2f}%")
    print(f"convex programs solved: {result.n_solves}")
    print(f"steps: {result.n_steps}")
    print(f"time: {result.seconds:.3f} s")
    if args.out:
        print(f"wrote the network to {args.out}")
    return 0
