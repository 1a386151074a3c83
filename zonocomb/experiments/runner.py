"""Run a sweep of tasks locally (joblib processes) or on a Dask cluster, storing results as they finish.

:func:`execute` runs one :class:`~zonocomb.experiments.tasks.Task` and returns its store record;
:data:`METHODS` maps a task's method name to its call through the registry of
:mod:`zonocomb.search` (:func:`~zonocomb.search.run_method`). :func:`run_sweep` skips the tasks the
store already holds, runs the rest (biggest first), writes each record the moment it arrives, and
shows a tqdm progress bar over the whole sweep. An interrupted sweep (Ctrl-C, a crash, a killed worker) therefore loses only the tasks
in flight; running the same command again resumes it.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..convex.losses import check_loss, mean_loss
from ..errors import InvalidInputError
from ..search import ALIASES, run_method
from ..search import METHODS as SEARCH_METHODS
from .store import RunStore
from .tasks import Task

__all__ = ["METHODS", "build_dataset", "execute", "run_sweep", "SweepSummary"]


def _registered(name: str):
    """The runner's call of the search method ``name``: the task configuration's entries that are
    keywords of the method (``loss``, ``steps``, ``max_steps``, ``lr``, ``mode``, ...) are passed."""
    def call(dataset, config: dict, random_state):
        return run_method(name, dataset, config["m"], random_state=random_state,
                          **{k: v for k, v in config.items() if k != "m"})
    return call


#: Method name -> callable(dataset, config dict, random_state) returning a SearchResult: every
#: name and alias of :data:`zonocomb.search.METHODS` (tests put stand-ins here).
METHODS = {name: _registered(name) for name in (*SEARCH_METHODS, *ALIASES)}


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


def execute(task: Task, data_dir=None) -> dict:
    """Run one task and return its store record (never raises for a failing method).

    The record holds the method's reported mean loss, the loss recomputed from the returned
    network's predictions (an independent check), the training accuracy in percent for
    classification (``𝕀{f(x) > 0}`` against labels 0/1) or None, the convex programs solved, the
    steps, and the method's and the wall seconds. If the method raises an ``Exception`` the record
    has status ``"error"`` and the traceback, and the sweep goes on (``KeyboardInterrupt`` and
    ``SystemExit`` propagate).
    """
    record = {"key": task.key, "experiment": task.experiment, "method": task.method,
              "seed": task.seed, "config": task.cfg}
    start = time.perf_counter()
    try:
        if task.method not in METHODS:
            raise InvalidInputError(f"unknown method {task.method!r}; expected one of {sorted(METHODS)}")
        dataset = build_dataset(task, data_dir)
        result = METHODS[task.method](dataset, task.cfg, task.random_state)
        y = dataset.require_labels()
        pred = result.predict(dataset.X_float)
        loss_name = task.cfg["loss"]
        record.update(
            status="ok", loss=float(result.loss), loss_recomputed=mean_loss(check_loss(loss_name), pred, y),
            accuracy=(100.0 * float(np.mean((pred > 0) == (y == 1))) if loss_name == "logistic" else None),
            n_solves=int(result.n_solves), n_steps=int(result.n_steps), seconds=float(result.seconds))
    except Exception as exc:  # recorded, retried on the next run of the sweep
        record.update(status="error", error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    record["wall_seconds"] = time.perf_counter() - start
    return record


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


def _local_results(todo, workers, data_dir):
    if workers == 1:
        for task in todo:
            yield execute(task, data_dir)
        return
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1,
                        pre_dispatch="2*n_jobs")
    yield from parallel(delayed(execute)(task, data_dir) for task in todo)


def _dask_results(todo, scheduler, data_dir):
    from dask.distributed import Client, as_completed
    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    futures = client.map(execute, todo, data_dir=data_dir, pure=False)
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)
        if own:
            client.close()


def run_sweep(tasks, store: RunStore, workers: int = 1, scheduler=None, data_dir=None,
              progress: bool = True, desc: str = "sweep") -> SweepSummary:
    """Run every task not yet finished in ``store`` and record each result as it arrives.

    Parameters
    ----------
    tasks : iterable of Task
    store : RunStore
        Finished keys are skipped; every new record is committed at once.
    workers : int, default 1
        Local joblib processes (1 runs in this process; -1 uses every core).
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler address (``"tcp://host:8786"``) or a client: the tasks then run on
        that cluster instead (its workers must be able to import zonocomb).
    data_dir : path-like, optional
        Passed to the image-data loader of every task.
    progress : bool
        Show a tqdm bar over the whole sweep (skipped tasks count as done).

    Returns
    -------
    SweepSummary

    Notes
    -----
    Tasks start largest first (by m·N) so that the long ones do not trail at the end. Every
    record is written from this process, so concurrent workers never touch the SQLite file.
    """
    tasks = list(tasks)
    if workers == 0 or workers < -1:
        raise InvalidInputError(f"workers must be a positive integer or -1, got {workers}")
    t0 = time.perf_counter()
    done = store.finished_keys()
    todo = sorted((t for t in tasks if t.key not in done), key=lambda t: -t.cost_hint)
    n_skipped = len(tasks) - len(todo)
    n_ok = n_failed = 0
    bar = _progress(len(tasks), n_skipped, desc, progress)
    results = (_dask_results(todo, scheduler, data_dir) if scheduler is not None
               else _local_results(todo, workers, data_dir))
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
        results.close()
        bar.close()
    return SweepSummary(len(tasks), n_skipped, n_ok, n_failed, time.perf_counter() - t0)
