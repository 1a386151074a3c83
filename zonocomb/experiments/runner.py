"""Run a sweep of tasks locally (joblib processes) or on a Dask cluster, storing results as they finish.

:func:`execute` runs one :class:`~zonocomb.experiments.tasks.Task` and returns its store record;
:data:`METHODS` maps a task's method name to its call through the registry of
:mod:`zonocomb.search` (:func:`~zonocomb.search.run_method`). :func:`plan_units` groups the tasks
into units of work: the gradient descent runs that share a dataset shape become one batched
descent (:func:`zonocomb.search.gradient_descent.gradient_descent_batch`, run by
:func:`execute_batch`), and the other runs of one image task (seeds of one cell) stay together, so
that a worker loads and whitens that dataset once. :func:`run_sweep` skips the tasks the store
already holds, runs the rest unit by unit (largest or cheapest first), writes each record the
moment it arrives, and shows a tqdm progress bar over the whole sweep. An interrupted sweep
(Ctrl-C, a crash, a killed worker) therefore loses only the units in flight; running the same
command again resumes it. Runs of the local searches (GLS, mGLS: the methods whose calls are
``resumable``) save a checkpoint into the store every :data:`CHECKPOINT_SECONDS` (local workers
only), and an interrupted one resumes from it: such a run loses at most that much work and the
move in progress.
"""
from __future__ import annotations

import json
import threading
import time
import traceback
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..convex.losses import mean_loss
from ..errors import CheckpointError, InvalidInputError
from ..lifetime import end_with_parent
from ..search import ALIASES, SearchCheckpoint, get_method, run_method
from ..search import METHODS as SEARCH_METHODS
from .store import RunStore
from .tasks import Task

__all__ = ["unit_cost", "METHODS", "ORDERS", "build_dataset", "execute", "execute_batch", "execute_unit",
           "in_progress", "plan_units", "run_sweep", "SweepSummary"]


def _registered(name: str):
    """The runner's call of the search method ``name``: the task configuration's entries that are
    keywords of the method (``loss``, ``steps``, ``max_steps``, ``lr``, ``mode``, ...) are passed,
    and ``extra`` keywords. ``call.resumable``: the method takes ``resume`` and ``checkpoint``
    (:mod:`zonocomb.search.checkpoint`)."""
    def call(dataset, config: dict, random_state, **extra):
        return run_method(name, dataset, config["m"], random_state=random_state,
                          **{k: v for k, v in config.items() if k != "m"}, **extra)
    call.resumable = {"resume", "checkpoint"} <= get_method(name).keywords
    return call


#: Method name -> callable(dataset, config dict, random_state) returning a SearchResult: every
#: name and alias of :data:`zonocomb.search.METHODS` (tests put stand-ins here).
METHODS = {name: _registered(name) for name in (*SEARCH_METHODS, *ALIASES)}


#: Wall seconds between two checkpoints of a run.
CHECKPOINT_SECONDS = 60.0
#: Wall seconds between two status lines of a running sweep (:func:`run_sweep`'s ``status``).
STATUS_SECONDS = 600.0


class _Checkpoints:
    """Saves the search checkpoints of the run ``key`` into ``store``, at most one every
    :data:`CHECKPOINT_SECONDS`, with the CPU and wall seconds the run has spent so far: those of
    this sitting, since ``started`` (``(time.perf_counter(), time.process_time())`` when it began),
    and of earlier ones (``prior_cpu``, ``prior_wall``)."""

    def __init__(self, store, key: str, started: tuple[float, float], prior_cpu: float = 0.0,
                 prior_wall: float = 0.0):
        self.store, self.key = store, key
        self.wall0, self.cpu0 = started[0] - prior_wall, started[1] - prior_cpu
        self.last = time.perf_counter()

    def cpu_seconds(self) -> float:
        return time.process_time() - self.cpu0

    def wall_seconds(self) -> float:
        return time.perf_counter() - self.wall0

    def __call__(self, state: SearchCheckpoint) -> None:
        if time.perf_counter() - self.last < CHECKPOINT_SECONDS:
            return
        self.store.save_checkpoint(self.key, json.dumps({"cpu_seconds": self.cpu_seconds(),
                                                         "wall_seconds": self.wall_seconds(),
                                                         "search": state.to_json()}))
        self.last = time.perf_counter()


def _saved(store, key: str):
    """(cpu seconds, wall seconds, SearchCheckpoint) saved for the run ``key``, or None (no
    checkpoint, or one that cannot be read: the run then starts again)."""
    text = store.checkpoint(key)
    if text is None:
        return None
    try:
        data = json.loads(text)
        return float(data["cpu_seconds"]), float(data["wall_seconds"]), SearchCheckpoint.from_json(data["search"])
    except (ValueError, KeyError, TypeError, CheckpointError):
        return None


def status_line(store, tasks) -> str:
    """One line on a sweep's state: the runs of ``tasks`` finished in ``store``, and the runs
    saved mid-way (:func:`in_progress`) with their step and loss."""
    from .report import run_problem, steps_so_far       # (workers never import the report)
    by_key = {t.key: t for t in tasks}
    done = len(store.finished_keys() & set(by_key))
    line = f"{time.strftime('%H:%M:%S')}: {done:,} of {len(tasks):,} runs finished"
    running = [(by_key[key], state) for key, (_, state) in in_progress(store, tasks).items()]
    if running:
        line += "; in progress: " + "; ".join(
            f"{task.method} {run_problem(task.cfg)} seed {task.seed} at step {steps_so_far(task, state)}, "
            f"loss {state.trace[-1]['loss']:.3g}" for task, state in running)
    return line


class _StatusThread(threading.Thread):
    """Calls ``emit(status_line(store, tasks))`` every :data:`STATUS_SECONDS` until stopped."""

    def __init__(self, store, tasks, emit):
        super().__init__(daemon=True)
        self.store, self.tasks, self.emit = store, tasks, emit
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(STATUS_SECONDS):
            try:
                self.emit(status_line(self.store, self.tasks))
            except Exception:  # noqa: BLE001 - a status line must never stop the sweep
                pass


def in_progress(store, tasks) -> dict:
    """The runs of ``tasks`` saved mid-way in ``store`` and not finished: key → (CPU seconds so
    far, :class:`SearchCheckpoint`), from their readable checkpoints (what the sweep resumes)."""
    keys = store.checkpoint_keys() & {t.key for t in tasks} - store.finished_keys()
    found = {}
    for key in sorted(keys):
        saved = _saved(store, key)
        if saved is not None:
            found[key] = (saved[0], saved[2])
    return found


@lru_cache(maxsize=4)
def _store_at(path: str):
    return RunStore(path)


def _checkpoint_store(checkpoints):
    """The RunStore that keeps checkpoints: ``checkpoints`` itself, or the store at that path
    (opened once per worker process), or None."""
    if checkpoints is None or isinstance(checkpoints, RunStore):
        return checkpoints
    return _store_at(str(checkpoints))


def _gd_batch(datasets, c, random_states, widths):
    from ..search.gradient_descent import gradient_descent_batch
    return gradient_descent_batch(list(zip(datasets, widths, random_states)), steps=c["steps"],
                                  lr=c["lr"], loss=c["loss"], train_output=c["train_output"])


#: Methods whose runs of one batch key run together: name -> callable(datasets, shared config,
#: random states, widths) returning one SearchResult or Exception per run.
BATCHED = {"gd": _gd_batch}


@lru_cache(maxsize=32)
def _dataset(spec: tuple, data_dir):
    spec = dict(spec)
    if spec["kind"] == "synthetic":
        from ..datasets.synthetic import synthetic
        return synthetic(spec["d"], spec["m_gen"], spec["seed"])
    if spec["kind"] == "image":
        from ..datasets.images import image_task
        return image_task(spec["dataset"], classes=spec.get("classes"), d=spec["d"], N=spec["N"],
                          data_dir=data_dir)
    raise InvalidInputError(f"unknown problem kind {spec['kind']!r} (expected 'synthetic' or 'image')")


def build_dataset(task: Task, data_dir=None):
    """The Dataset of a task (cached per process): ``synthetic(d, m_gen, seed)`` for synthetic
    problems, ``image_task(dataset, d=d, N=N)`` for image problems."""
    c = task.cfg
    if c["kind"] == "synthetic":
        spec = {"kind": "synthetic", "d": c["d"], "m_gen": c["m_gen"], "seed": task.seed}
    else:
        spec = {k: c[k] for k in ("kind", "dataset", "d", "N")}
        if c.get("classes") is not None:
            spec["classes"] = tuple(c["classes"])
    return _dataset(tuple(sorted(spec.items())), None if data_dir is None else str(data_dir))


def _base_record(task: Task) -> dict:
    return {"key": task.key, "experiment": task.experiment, "method": task.method,
            "seed": task.seed, "config": task.cfg}


def _finish_record(record: dict, task: Task, dataset, result) -> dict:
    """Fill ``record`` from a method's result: the reported loss, the loss recomputed from the
    returned network's predictions, accuracy, solves, steps and the method's seconds."""
    y = dataset.require_labels()
    pred = result.predict(dataset.X_float)
    loss_name = task.cfg["loss"]
    record.update(
        status="ok", loss=float(result.loss), loss_recomputed=mean_loss(loss_name, pred, y),
        accuracy=(100.0 * float(np.mean((pred > 0) == (y == 1))) if loss_name == "logistic" else None),
        n_solves=int(result.n_solves), n_steps=int(result.n_steps), seconds=float(result.seconds))
    return record


def _failed(record: dict, exc: BaseException) -> dict:
    record.update(status="error", error=f"{type(exc).__name__}: {exc}\n"
                  + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return record


def execute(task: Task, data_dir=None, checkpoints=None) -> dict:
    """Run one task and return its store record (never raises for a failing method).

    The record holds the method's reported mean loss, the loss recomputed from the returned
    network's predictions (an independent check), the training accuracy in percent for
    classification (``𝕀{f(x) > 0}`` against labels 0/1) or None, the convex programs solved, the
    steps, the method's seconds, and the wall and CPU seconds of the whole task (CPU: this
    process's, ``time.process_time``). If the method raises an ``Exception`` the record has status
    ``"error"`` and the traceback, and the sweep goes on (``KeyboardInterrupt`` and ``SystemExit``
    propagate).

    With ``checkpoints`` (a :class:`RunStore`, or its path) a run of a method whose call is
    ``resumable`` (:func:`_registered`: GLS and mGLS) saves a checkpoint there every
    :data:`CHECKPOINT_SECONDS` and, if the store holds one for the task, resumes from it (:mod:`zonocomb.search.checkpoint` says what the resumed run shares with
    an uninterrupted one); its seconds then include those spent before the interruption. A
    checkpoint that cannot be resumed (damaged, or of another problem: the code changed) is
    ignored and the run starts again. A run that resumed and then failed drops its checkpoint, so
    that the next attempt starts afresh (one that failed without resuming keeps the checkpoints it
    saved, and the next attempt resumes from the last).
    """
    record = _base_record(task)
    start, cpu = time.perf_counter(), time.process_time()
    saver = store = saved = None
    try:
        if task.method not in METHODS:
            raise InvalidInputError(f"unknown method {task.method!r}; expected one of {sorted(METHODS)}")
        dataset = build_dataset(task, data_dir)
        call = METHODS[task.method]
        store = _checkpoint_store(checkpoints) if getattr(call, "resumable", False) else None
        if store is None:
            result = call(dataset, task.cfg, task.random_state)
        else:
            saved = _saved(store, task.key)
            saver = _Checkpoints(store, task.key, (start, cpu), *(saved[:2] if saved else ()))
            try:
                result = call(dataset, task.cfg, task.random_state, resume=None if saved is None else saved[2],
                              checkpoint=saver)
            except CheckpointError:
                if saved is None:
                    raise
                saved, saver = None, _Checkpoints(store, task.key, (start, cpu))
                result = call(dataset, task.cfg, task.random_state, resume=None, checkpoint=saver)
        _finish_record(record, task, dataset, result)
    except Exception as exc:  # recorded, retried on the next run of the sweep
        _failed(record, exc)
        if saved is not None:
            store.drop_checkpoint(task.key)
    record["wall_seconds"] = time.perf_counter() - start if saver is None else saver.wall_seconds()
    record["cpu_seconds"] = time.process_time() - cpu if saver is None else saver.cpu_seconds()
    return record


def _batch_key(task: Task):
    """Tasks with equal keys form one batched gradient descent; None: the task runs alone.

    Synthetic problems batch seeds × widths (one group shares N and n; the arrays are small and
    call overhead dominates, so padding to the largest width costs little); image problems batch
    the seeds of one width (one shared dataset; large arrays, where padding would cost flops).
    """
    c = task.cfg
    if task.method not in BATCHED:
        return None
    return (task.method, task.group, c["steps"], c["lr"], c["loss"], c["train_output"],
            c["m"] if c["kind"] == "image" else None)


#: Largest batch of gradient descent runs, in elements of one stacked (runs, N, width) array:
#: 2^16 float64 (512 KiB, within L2 cache). Larger stacks were slower than one run at a time
#: (MNIST d = 16, N = 700, m = 64, 8 runs: 0.73x; ``benchmarks/gd_batch.py``).
GD_BATCH_ELEMENTS = 2 ** 16


def _chunks(tasks: list) -> list[list]:
    """Split one batch key's tasks (sorted by width) into batches of at most
    :data:`GD_BATCH_ELEMENTS` stacked elements (at least one run each)."""
    out: list[list] = []
    for task in sorted(tasks, key=lambda t: t.cfg["m"]):
        c = task.cfg
        if out and (len(out[-1]) + 1) * c["N"] * c["m"] <= GD_BATCH_ELEMENTS:
            out[-1].append(task)
        else:
            out.append([task])
    return out


def execute_batch(tasks, data_dir=None) -> list[dict]:
    """Run tasks of one :func:`_batch_key` together (gradient descent: one batched descent).

    Each record is what :func:`execute` would store for the task, up to rounding (the batched
    descent computes the same steps from the same initialisation); wall and CPU seconds are the
    batch's divided by the number of runs. A task whose descent diverged gets an error record;
    if the batch itself fails, every task does.
    """
    tasks = list(tasks)
    keys = {_batch_key(t) for t in tasks}
    if None in keys or len(keys) != 1:
        raise InvalidInputError("execute_batch needs gradient descent tasks of one batch key")
    if len(tasks) == 1:                           # the unbatched loop is faster for a single run
        return [execute(tasks[0], data_dir)]
    records = [_base_record(t) for t in tasks]
    start, cpu = time.perf_counter(), time.process_time()
    try:
        datasets = [build_dataset(t, data_dir) for t in tasks]
        results = BATCHED[tasks[0].method](datasets, tasks[0].cfg, [t.random_state for t in tasks],
                                           [t.cfg["m"] for t in tasks])
        for record, task, ds, result in zip(records, tasks, datasets, results):
            if isinstance(result, Exception):
                _failed(record, result)
            else:
                _finish_record(record, task, ds, result)
    except Exception as exc:
        for record in records:
            _failed(record, exc)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    for record in records:
        record["wall_seconds"], record["cpu_seconds"] = wall / len(tasks), cpu / len(tasks)
    return records


def execute_unit(unit, data_dir=None, checkpoints=None) -> list[dict]:
    """The records of one unit of :func:`plan_units` (a batch, or tasks run one after another;
    ``checkpoints`` as in :func:`execute`)."""
    end_with_parent()  # a local worker process must not outlive a killed sweep
    unit = list(unit)
    if _batch_key(unit[0]) is not None:
        return execute_batch(unit, data_dir)
    return [execute(task, data_dir, checkpoints) for task in unit]


#: Orders in which :func:`run_sweep` starts the units.
ORDERS = ("largest-first", "cheapest-first")


def _unit_key(task: Task):
    batch = _batch_key(task)
    if batch is not None:
        return ("batch",) + batch
    if task.cfg["kind"] == "image":              # the seeds of one cell share the whitened data
        return ("cell", task.method, task.group, task.config)
    return ("run", task.key)


def unit_cost(unit) -> float:
    """Scheduling estimate of a unit: the tasks' cost hints; a batch costs about its largest run
    plus a tenth of each other one (its runs share one loop's call overhead)."""
    hints = sorted((t.cost_hint for t in unit), reverse=True)
    if _batch_key(unit[0]) is not None:
        return hints[0] + 0.1 * sum(hints[1:])
    return float(sum(hints))


def plan_units(tasks, order: str = "largest-first") -> list[list[Task]]:
    """Group ``tasks`` into units of work and order them.

    A unit is a gradient descent batch (see :func:`execute_batch`; split so that a stacked array
    has at most :data:`GD_BATCH_ELEMENTS` elements), the runs of one method and
    configuration on one image task (its seeds: one dataset load), or a single run. ``order``
    ``"largest-first"`` starts the units of largest estimated cost first (parallel sweeps: no long
    unit trails at the end); ``"cheapest-first"`` starts the units of smallest estimated cost *per
    run* first, so that a long sweep that may be stopped and resumed finishes as many runs, and
    cells, as possible early (a gradient descent batch of 24 runs counts as cheap as its runs
    are). Ties keep the order of ``tasks``.
    """
    if order not in ORDERS:
        raise InvalidInputError(f"unknown order {order!r}; expected one of {list(ORDERS)}")
    groups: dict = {}
    for task in tasks:
        groups.setdefault(_unit_key(task), []).append(task)
    units = [unit for group in groups.values()
             for unit in (_chunks(group) if _batch_key(group[0]) is not None else [group])]
    if order == "largest-first":
        return sorted(units, key=lambda unit: -unit_cost(unit))       # stable: ties keep order
    return sorted(units, key=lambda unit: unit_cost(unit) / len(unit))


@dataclass(frozen=True)
class SweepSummary:
    """What one call of :func:`run_sweep` did."""

    n_tasks: int      #: tasks in the sweep
    n_skipped: int    #: already finished in the store before the call
    n_ok: int         #: finished now
    n_failed: int     #: raised now (stored with status 'error'; retried next time)
    seconds: float    #: wall time of the call


def _progress(total: int, initial: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit="run", disable=not enabled,
                dynamic_ncols=True)


def _local_results(units, workers, data_dir, store):
    if workers == 1:                      # record by record, so that an interruption loses one run
        for unit in units:
            if _batch_key(unit[0]) is not None:
                yield from execute_batch(unit, data_dir)
            else:
                for task in unit:
                    yield execute(task, data_dir, store)
        return
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1,
                        pre_dispatch="2*n_jobs")
    for records in parallel(delayed(execute_unit)(unit, data_dir, str(store.path)) for unit in units):
        yield from records


def _dask_results(units, scheduler, data_dir):
    from dask.distributed import Client, as_completed
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    futures = client.map(execute_unit, units, data_dir=data_dir, pure=False)
    try:
        for future in as_completed(futures):
            yield from future.result()
    finally:
        client.cancel(futures)
        if own:
            client.close()


def run_sweep(tasks, store: RunStore, workers: int = 1, scheduler=None, data_dir=None,
              progress: bool = False, desc: str = "sweep", order: str = "largest-first",
              status=None) -> SweepSummary:
    """Run every task not yet finished in ``store`` and record each result as it arrives.

    Parameters
    ----------
    tasks : iterable of Task
    store : RunStore
        Finished keys are skipped; every new record is committed at once.
    workers : int, default 1
        Local joblib processes (1 runs in this process; -1 uses every core).
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or a client: the units then run on
        that cluster instead (its workers must be able to import zonocomb and read the image
        data; one thread per worker process, ``dask worker --nthreads 1``, lets each process load
        a dataset once).
    data_dir : path-like, optional
        Passed to the image-data loader of every task.
    progress : bool, default False
        Show a tqdm bar over the whole sweep (skipped tasks count as done). ``zonocomb
        reproduce`` asks for it only on a terminal, without ``-q`` or ``TQDM_DISABLE``.
    order : {"largest-first", "cheapest-first"}
        Which units start first (:func:`plan_units`).
    status : callable, optional
        ``status(line)`` every :data:`STATUS_SECONDS` while the sweep runs, with
        :func:`status_line` (runs finished, runs in progress with their steps): progress for a
        sweep whose runs take hours, where the bar moves once a run. Called from another thread;
        its errors are ignored.

    Returns
    -------
    SweepSummary

    Notes
    -----
    The unfinished tasks are grouped by :func:`plan_units` (gradient descent batches, image
    cells). Every record is written from this process; local workers write only the checkpoints
    of their runs (:func:`execute`), each in its own short transaction (the store allows
    several processes). Runs on a Dask cluster save no checkpoints (its workers need not see
    the store's file): an interrupted one starts again. When every task is finished, nothing is started (no worker pool, no cluster
    connection).
    """
    tasks = list(tasks)
    if workers == 0 or workers < -1:
        raise InvalidInputError(f"workers must be a positive integer or -1, got {workers}")
    t0 = time.perf_counter()
    done = store.finished_keys()
    units = plan_units([t for t in tasks if t.key not in done], order)
    n_skipped = len(tasks) - sum(len(u) for u in units)
    n_ok = n_failed = 0
    if not units:
        return SweepSummary(len(tasks), n_skipped, 0, 0, time.perf_counter() - t0)
    bar = _progress(len(tasks), n_skipped, desc, progress)
    results = (_dask_results(units, scheduler, data_dir) if scheduler is not None
               else _local_results(units, workers, data_dir, store))
    reporter = None if status is None else _StatusThread(store, tasks, status)
    if reporter is not None:
        reporter.start()
    try:
        for record in results:
            store.put(record)
            if record["status"] == "ok":
                n_ok += 1
            else:
                n_failed += 1
                bar.write(f"task failed (will be retried on re-run): {record['key']}: "
                          f"{record['error'].splitlines()[0]}")
            bar.update(1)
    finally:
        if reporter is not None:
            reporter.stopped.set()
            reporter.join()
        results.close()
        bar.close()
    return SweepSummary(len(tasks), n_skipped, n_ok, n_failed, time.perf_counter() - t0)
