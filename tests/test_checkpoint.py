"""Checkpoints of GLS and mGLS (zonocomb.search.checkpoint) and the sweeps that resume from them.

The oracle is the uninterrupted search: a search resumed from any of its checkpoints must visit
the same vertices, in the same order, and end with the same network up to rounding."""
from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from zonocomb.datasets.synthetic import synthetic
from zonocomb.errors import CheckpointError, InvalidInputError
from zonocomb.experiments import RunStore, Task, execute, run_sweep
from zonocomb.experiments import report, runner
from zonocomb.search import SearchCheckpoint, gls, mgls

SEARCHES = {"gls": (gls, 25), "mgls": (mgls, 60)}


def _logistic(ds):
    """The same inputs with coin-flip labels (no few-unit network separates them)."""
    return ds.with_labels((np.random.default_rng(7).random(ds.N) < 0.5).astype(float))


PROBLEMS = {"mse": lambda seed: synthetic(8, 8, seed), "logistic": lambda seed: _logistic(synthetic(8, 8, seed))}
UNITS = {"mse": 8, "logistic": 4}


def _run(name, ds, m=8, **kw):
    """A search with its checkpoint after every move: (result, checkpoints)."""
    search, steps = SEARCHES[name]
    states = []
    kw.setdefault("max_steps", steps)
    kw.setdefault("random_state", 5)
    loss = "logistic" if set(np.unique(ds.y)) <= {0.0, 1.0} else "mse"
    return search(ds, m, loss=loss, checkpoint=states.append, **kw), states


def _same_search(resumed, resumed_states, full, full_states, start):
    """The resumed search visited the uninterrupted one's vertices, ended at its network (to
    rounding; for the logistic loss also along the same recession rays) and solved about as many
    programs (it re-solves the few patterns the interrupted one had cached)."""
    assert resumed.n_steps == full.n_steps
    assert resumed.info["stopped"] == full.info["stopped"]
    assert [s.n_steps for s in resumed_states] == [s.n_steps for s in full_states[start:]]
    for a, b in zip(resumed_states, full_states[start:]):
        assert np.array_equal(a.pattern, b.pattern)
    assert np.array_equal(resumed.pattern, full.pattern)
    assert resumed.loss == pytest.approx(full.loss, rel=1e-9, abs=1e-12)
    assert [r["step"] for r in resumed.trace] == [r["step"] for r in full.trace]
    assert np.allclose([r["loss"] for r in resumed.trace], [r["loss"] for r in full.trace], rtol=1e-9, atol=1e-12)
    scale = max(1.0, float(np.abs(full.W).max()))
    assert np.abs(resumed.W - full.W).max() <= 1e-8 * scale
    assert abs(resumed.n_solves - full.n_solves) <= 3


@pytest.mark.parametrize("name", sorted(SEARCHES))
@pytest.mark.parametrize("loss", sorted(PROBLEMS))
@pytest.mark.parametrize("seed", [0, 1])
def test_a_resumed_search_visits_the_uninterrupted_searchs_vertices(name, loss, seed):
    ds, m = PROBLEMS[loss](seed), UNITS[loss]
    full, states = _run(name, ds, m)
    assert full.n_steps >= 5, "the instance should take several moves"
    assert len(states) == full.n_steps
    for k in sorted({0, 1, len(states) // 2, len(states) - 1}):
        state = SearchCheckpoint.from_json(states[k].to_json())
        later = []
        resumed = SEARCHES[name][0](ds, m, loss=loss, max_steps=SEARCHES[name][1], random_state=12345,
                                    resume=state, checkpoint=later.append)
        _same_search(resumed, later, full, states, k + 1)


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_a_search_stopped_by_its_callback_goes_on_from_its_last_checkpoint(name):
    ds = synthetic(8, 8, 2)
    full, states = _run(name, ds)
    stop_at = max(2, full.n_steps // 3)
    part, part_states = _run(name, ds, callback=lambda r: r.n_steps >= stop_at)
    assert part.info["stopped"] == "callback" and part.n_steps == stop_at
    later = []
    rest = SEARCHES[name][0](ds, 8, max_steps=SEARCHES[name][1], resume=part_states[-1], checkpoint=later.append)
    _same_search(rest, later, full, states, stop_at)


def test_the_step_budget_and_the_clock_count_the_steps_and_seconds_before_the_checkpoint():
    ds = synthetic(8, 8, 0)
    full, states = _run("gls", ds)
    state = states[9]                                            # after 10 moves
    more = gls(ds, 8, max_steps=12, resume=state)
    assert more.n_steps == 12 and more.info["stopped"] == "max_steps" and len(more.trace) == 13
    assert more.seconds >= state.seconds
    none = gls(ds, 8, max_steps=10, resume=state)
    assert none.n_steps == 10 and none.info["stopped"] == "max_steps"
    assert np.array_equal(none.pattern, state.pattern) and np.array_equal(none.W, state.W)
    old = dataclasses.replace(state, seconds=1e6)                # a day's search, out of a 10 s budget
    late = gls(ds, 8, max_steps=25, max_time=10.0, resume=old)
    assert late.info["stopped"] == "max_time" and late.n_steps == 10
    # GLS stops before a step it expects to end after max_time, expecting the last step's
    # seconds: a resumed search reads them from the trace (it expected 0 s and stepped on)
    slow = [dict(row) for row in state.trace]
    for k, row in enumerate(slow):
        row["seconds"] = 100.0 * k                              # 100 s a move
    slow_state = dataclasses.replace(state, trace=tuple(slow), seconds=slow[-1]["seconds"])
    near = gls(ds, 8, max_steps=25, max_time=slow[-1]["seconds"] + 50.0, resume=slow_state)
    assert near.info["stopped"] == "max_time" and near.n_steps == 10


def test_json_reads_back_exactly():
    ds = _logistic(synthetic(8, 8, 1))
    _, states = _run("mgls", ds)
    for state in states[:: 7]:
        again = SearchCheckpoint.from_json(state.to_json())
        for f in dataclasses.fields(SearchCheckpoint):
            a, b = getattr(state, f.name), getattr(again, f.name)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b)
                assert a.tobytes() == b.tobytes()
            else:
                assert a == b, f.name
        assert again.to_json() == state.to_json()


def test_a_checkpoint_of_another_search_or_problem_is_refused():
    ds = synthetic(8, 8, 0)
    _, states = _run("gls", ds)
    state = states[3]
    with pytest.raises(CheckpointError, match="of a gls search, not mgls"):
        mgls(ds, 8, resume=state)
    for other in ({"dataset": synthetic(8, 8, 1)}, {"m": 6}, {"rtol": 1e-6}, {"fit_bias": False},
                  {"alpha": 1e-3}, {"v": np.r_[np.ones(5), -np.ones(3)]}, {"loss": "l1"}):
        kw = {"dataset": ds, "m": 8, **other}
        with pytest.raises(CheckpointError, match="another search problem"):
            gls(kw.pop("dataset"), kw.pop("m"), resume=state, **kw)
    with pytest.raises(InvalidInputError, match="start or resume"):
        gls(ds, 8, resume=state, start=state.pattern)
    with pytest.raises(InvalidInputError, match="must be a SearchCheckpoint"):
        gls(ds, 8, resume=state.to_json())


def test_a_tampered_checkpoint_is_refused():
    ds = synthetic(8, 8, 0)
    _, states = _run("mgls", ds)
    state = states[4]
    data = json.loads(state.to_json())
    bad_texts = [state.to_json()[:-10], "[]", json.dumps({**data, "format": 2}),
                 json.dumps({k: v for k, v in data.items() if k != "W"}),
                 json.dumps({**data, "pattern": {**data["pattern"], "shape": [8, 73]}}),
                 json.dumps({**data, "pattern": {**data["pattern"], "bits": "not base64!"}}),
                 json.dumps({**data, "W": [1.0, 2.0]})]
    for text in bad_texts:
        with pytest.raises(CheckpointError, match="not a zonocomb search checkpoint"):
            SearchCheckpoint.from_json(text)
    with pytest.raises(CheckpointError, match="trace has"):
        mgls(ds, 8, resume=dataclasses.replace(state, trace=state.trace[:-1]))
    row = state.pattern.copy()
    row[0] = ~row[0] if not row[0].all() else row[0]             # the complement of a vertex row ...
    row[0, : ds.N // 2] = True                                  # ... half of it overwritten: no vertex
    with pytest.raises(CheckpointError, match="not a vertex"):
        mgls(ds, 8, resume=dataclasses.replace(state, pattern=row))
    with pytest.raises(CheckpointError, match="unusable"):
        mgls(ds, 8, resume=dataclasses.replace(state, W=np.full_like(state.W, np.nan)))
    with pytest.raises(CheckpointError, match="random state"):
        mgls(ds, 8, resume=dataclasses.replace(state, rng_state={"bit_generator": "MT19937"}))


def test_a_checkpoint_with_a_malformed_recession_ray_is_refused_before_the_search_goes_on():
    """The ray (θ_I, θ*) is handed to the solver, which starts later solves from it: one of other
    shapes crashed the next solve (a ValueError deep in the backend, the run failing at every
    resumption), a NaN one was taken silently."""
    ds = synthetic(8, 8, 0)
    _, states = _run("gls", ds)
    state = states[2]
    m, n = state.W.shape
    good = np.ones((m, n))
    for ray in [((None, None), (np.ones((1, 1)), 0.0)), ((None, None), (np.full((m, n), np.nan), 0.0)),
                ((np.ones((1, 1)), 0.0), (good, 0.0)), ((good, np.inf), (good, 0.0)), ((None, None), "ray")]:
        with pytest.raises(CheckpointError, match="unusable"):
            gls(ds, 8, max_steps=25, resume=dataclasses.replace(state, recession=ray))


def test_an_inconsistent_checkpoint_text_is_refused_when_read():
    """Counters below zero and traces that are not one row per step (with its loss) are refused by
    from_json (zonocomb fit prints the last row's loss before it resumes)."""
    ds = synthetic(8, 8, 0)
    _, states = _run("gls", ds)
    data = json.loads(states[3].to_json())
    bad = [{"trace": [], "n_steps": -1}, {"n_solves": -5},
           {"trace": [{"step": r["step"]} for r in data["trace"]]},
           {"trace": list(reversed(data["trace"]))},
           {"trace": data["trace"][:-1]}]
    for change in bad:
        with pytest.raises(CheckpointError, match="the checkpoint's"):
            SearchCheckpoint.from_json(json.dumps({**data, **change}))
    assert SearchCheckpoint.from_json(json.dumps(data)).n_steps == 4


# ----- the sweeps ----------------------------------------------------------------------------------
def _gls_task(seed=0, steps=20, method="gls"):
    cfg = {"kind": "synthetic", "d": 8, "m_gen": 8, "N": 72, "m": 8, "loss": "mse", "max_steps": steps}
    return Task.make("test", cfg, method, seed)


class Interrupted(BaseException):
    """Stands for Ctrl-C or the end of a session (not an Exception: execute lets it through)."""


def _interrupt_after(store, saves, monkeypatch):
    """Make ``store`` raise Interrupted right after its ``saves``-th checkpoint is written."""
    real = store.save_checkpoint
    count = [0]

    def save(key, state):
        real(key, state)
        count[0] += 1
        if count[0] == saves:
            raise Interrupted
    monkeypatch.setattr(store, "save_checkpoint", save)


@pytest.mark.parametrize("method", ["gls", "mgls"])
def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path, monkeypatch, method):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)      # a checkpoint after every move
    task = _gls_task(method=method)
    with RunStore(tmp_path / "plain.sqlite") as plain:
        whole = execute(task, checkpoints=plain)
        assert plain.checkpoint_keys() == {task.key}                  # execute saves; put deletes
        plain.put(whole)
        assert plain.checkpoint_keys() == set()
    assert whole["status"] == "ok" and whole["n_steps"] >= 6
    with RunStore(tmp_path / "cut.sqlite") as store:
        _interrupt_after(store, 4, monkeypatch)
        with pytest.raises(Interrupted):
            execute(task, checkpoints=store)
        saved = json.loads(store.checkpoint(task.key))
        assert SearchCheckpoint.from_json(saved["search"]).n_steps == 4
        monkeypatch.undo()
        monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
        calls = []
        real_from_json = SearchCheckpoint.from_json
        monkeypatch.setattr(SearchCheckpoint, "from_json",
                            classmethod(lambda cls, text: calls.append(1) or real_from_json(text)))
        again = execute(task, checkpoints=store)
        assert calls, "the run did not read its checkpoint"
        store.put(again)
        assert store.checkpoint_keys() == set()
    assert again["status"] == "ok"
    assert again["loss"] == pytest.approx(whole["loss"], rel=1e-9)
    assert again["n_steps"] == whole["n_steps"]
    assert again["cpu_seconds"] >= saved["cpu_seconds"] and again["wall_seconds"] >= saved["wall_seconds"]


class Failing(Exception):
    """A failure of the search (an Exception: execute records it and goes on)."""


def test_a_run_that_fails_after_resuming_starts_afresh_next_time(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    task = _gls_task(seed=2)
    real_save = runner._Checkpoints.__call__
    saves = []

    def failing_save(self, state):                               # the search fails at its 3rd move
        real_save(self, state)
        saves.append(state.n_steps)
        if len(saves) % 3 == 0:
            raise Failing("solver trouble")
    with RunStore(tmp_path / "r.sqlite") as store:
        monkeypatch.setattr(runner._Checkpoints, "__call__", failing_save)
        first = execute(task, checkpoints=store)                 # fresh: its checkpoints stay
        assert first["status"] == "error" and "solver trouble" in first["error"]
        assert SearchCheckpoint.from_json(json.loads(store.checkpoint(task.key))["search"]).n_steps == 3
        second = execute(task, checkpoints=store)                # resumed from step 3, fails again
        assert second["status"] == "error" and saves[3:] == [4, 5, 6]
        assert store.checkpoint_keys() == set()                  # dropped: the next one starts afresh
        monkeypatch.setattr(runner._Checkpoints, "__call__", real_save)
        third = execute(task, checkpoints=store)
        plain = execute(task)
    assert third["status"] == "ok" and third["n_steps"] == plain["n_steps"]
    assert third["loss"] == pytest.approx(plain["loss"], rel=1e-12)


def test_the_report_lists_the_runs_in_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    tasks = [_gls_task(seed=s) for s in (0, 1)]
    with RunStore(tmp_path / "r.sqlite") as store:
        _interrupt_after(store, 4, monkeypatch)
        with pytest.raises(Interrupted):
            execute(tasks[0], checkpoints=store)
        monkeypatch.undo()
        store.save_checkpoint(tasks[1].key, "{damaged")                # not resumable: not listed
        running = runner.in_progress(store, tasks)
        assert list(running) == [tasks[0].key]
        cpu, state = running[tasks[0].key]
        assert state.n_steps == 4 and cpu > 0.0
        text = report.write_report("table-a1", tasks, [], tmp_path / "out", in_progress=running)["text"]
        assert "## Runs in progress" in text
        rate = (state.trace[4]["seconds"] - state.trace[0]["seconds"]) / 4        # (4 moves < RECENT_STEPS)
        assert (f"| GLS | synthetic d = 8, m_gen = 8, m = 8 | 0 | 4 of 20 ({rate:.3g} s a step lately) | "
                f"{state.trace[-1]['loss']:.3g} |") in text
        assert runner.in_progress(store, tasks[1:]) == {}                # only the tasks asked about
        store.put(execute(tasks[0], checkpoints=store))                  # finished: no longer in progress
        assert runner.in_progress(store, tasks) == {}
        records = store.get([t.key for t in tasks])
    assert "Runs in progress" not in report.write_report("table-a1", tasks, records, tmp_path / "out",
                                                         in_progress={})["text"]


def test_steps_so_far_give_the_budget_and_the_recent_seconds_a_step():
    from types import SimpleNamespace
    seconds = [0.0, 1.0, 2.0, 3.0, 4.0] + [4.0 + 3.0 * k for k in range(1, 13)]   # 1 s, then 3 s a step
    state = SimpleNamespace(n_steps=len(seconds) - 1, trace=[{"seconds": t} for t in seconds])
    task = _gls_task(seed=0, steps=40)
    assert report.steps_so_far(task, state) == "16 of 40 (3 s a step lately)"       # the last 10 moves
    state.trace = state.trace[:3]
    state.n_steps = 2
    assert report.steps_so_far(task, state) == "2 of 40 (1 s a step lately)"
    state.trace, state.n_steps = state.trace[:1], 0
    assert report.steps_so_far(task, state) == "0 of 40"                           # no move yet


def test_a_sweep_reports_its_state_while_it_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    tasks = [_gls_task(seed=s, steps=12) for s in (0, 1, 2)]
    with RunStore(tmp_path / "r.sqlite") as store:
        _interrupt_after(store, 4, monkeypatch)
        with pytest.raises(Interrupted):
            execute(tasks[0], checkpoints=store)
        monkeypatch.undo()
        store.put(execute(tasks[2]))
        state = runner.in_progress(store, tasks)[tasks[0].key][1]
        line = runner.status_line(store, tasks)
        assert "1 of 3 runs finished" in line
        rate = (state.trace[4]["seconds"] - state.trace[0]["seconds"]) / 4
        assert (f"in progress: gls synthetic d = 8, m_gen = 8, m = 8 seed 0 at step 4 of 12 "
                f"({rate:.3g} s a step lately), loss {state.trace[-1]['loss']:.3g}") in line
        # while a sweep runs: lines every STATUS_SECONDS, none after it returns; a failing
        # receiver does not stop the sweep
        monkeypatch.setattr(runner, "STATUS_SECONDS", 0.01)
        real, lines = runner.METHODS["gls"], []

        def slow(*args, **kwargs):
            time.sleep(0.3)
            return real(*args, **kwargs)
        slow.resumable = True
        monkeypatch.setitem(runner.METHODS, "gls", slow)

        def receive(line):
            lines.append(line)
            raise RuntimeError("a broken terminal")
        summary = runner.run_sweep(tasks, store, status=receive)
        count = len(lines)
        time.sleep(0.1)
    assert summary.n_ok == 2 and count == len(lines) >= 2
    assert all("runs finished" in line for line in lines)


def test_a_checkpoint_that_cannot_be_resumed_is_ignored(tmp_path, monkeypatch):
    task = _gls_task(seed=1)
    with RunStore(tmp_path / "r.sqlite") as store:
        whole = execute(task)
        store.save_checkpoint(task.key, "{damaged")
        damaged = execute(task, checkpoints=store)
        assert damaged["status"] == "ok" and damaged["loss"] == pytest.approx(whole["loss"], rel=1e-12)
        # a checkpoint of another problem (seed 0's data) under this run's key: refused, run again
        monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
        other = _gls_task(seed=0)
        with RunStore(tmp_path / "o.sqlite") as elsewhere:
            execute(other, checkpoints=elsewhere)
            store.save_checkpoint(task.key, elsewhere.checkpoint(other.key))
        foreign = execute(task, checkpoints=store)
        assert foreign["status"] == "ok" and foreign["n_steps"] == whole["n_steps"]
        assert foreign["loss"] == pytest.approx(whole["loss"], rel=1e-12)


def test_local_workers_resume_from_the_stores_checkpoints(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    tasks = [_gls_task(seed=s, steps=12) for s in (0, 1)]
    path = tmp_path / "r.sqlite"
    with RunStore(path) as store:
        _interrupt_after(store, 3, monkeypatch)
        with pytest.raises(Interrupted):
            execute(tasks[0], checkpoints=store)
        monkeypatch.undo()
        assert store.checkpoint_keys() == {tasks[0].key}
        saved = json.loads(store.checkpoint(tasks[0].key))        # a million CPU-s before: shows it was read
        store.save_checkpoint(tasks[0].key, json.dumps({**saved, "cpu_seconds": 1e6}))
        summary = run_sweep(tasks, store, workers=2)
        assert summary.n_ok == 2 and store.checkpoint_keys() == set()
        rows = {r["key"]: r for r in store.get([t.key for t in tasks])}
    assert rows[tasks[0].key]["cpu_seconds"] >= 1e6 > rows[tasks[1].key]["cpu_seconds"]
    for t in tasks:
        alone = execute(t)
        assert rows[t.key]["n_steps"] == alone["n_steps"]
        assert rows[t.key]["loss"] == pytest.approx(alone["loss"], rel=1e-9)


def test_the_store_keeps_checkpoints_until_the_run_finishes(tmp_path):
    path = tmp_path / "r.sqlite"
    rec = {"key": "k", "experiment": "e", "method": "gls", "seed": 0, "config": {"m": 1}, "loss": 1.0}
    with RunStore(path) as st:
        assert st.checkpoint("k") is None
        st.save_checkpoint("k", "one")
        st.save_checkpoint("k", "two")
        st.save_checkpoint("j", "three")
        assert st.checkpoint("k") == "two" and st.checkpoint_keys() == {"k", "j"}
        st.put({**rec, "status": "error", "error": "boom"})          # failed: retried, from its checkpoint
        assert st.checkpoint("k") == "two"
        st.put({**rec, "status": "ok"})
        assert st.checkpoint("k") is None and st.checkpoint("j") == "three"
        with pytest.raises(InvalidInputError, match="str key and a str state"):
            st.save_checkpoint("k", {"not": "text"})
    with RunStore(path) as st:                                         # reopened: still ours
        assert st.checkpoint_keys() == {"j"} and st.finished_keys() == {"k"}


def _tables(path):
    import sqlite3
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_a_store_gains_its_checkpoints_table_only_with_a_checkpoint(tmp_path):
    """Opening a store (to report on it, or a sweep with nothing left to run) leaves a store
    without checkpoints as it was: no new table in the committed stores, which zonocomb before
    checkpoints would refuse as another program's database."""
    import hashlib
    import shutil
    from pathlib import Path
    results = Path(__file__).resolve().parents[1] / "docs" / "results"
    for name in ("table-a2-full.sqlite", "table-a1-full.sqlite"):   # no checkpoints table; an emptied one
        copy = tmp_path / name
        shutil.copyfile(results / name, copy)
        tables, before = _tables(copy), hashlib.sha256(copy.read_bytes()).hexdigest()
        with RunStore(copy) as st:
            keys = st.finished_keys()
            unfinished = st.checkpoint_keys()
            assert not unfinished & keys and st.checkpoint(next(iter(keys))) is None
            assert "checkpoints" in tables or not unfinished
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == before and _tables(copy) == tables
    path = tmp_path / "r.sqlite"
    rec = {"key": "k", "experiment": "e", "method": "gls", "seed": 0, "config": {"m": 1}, "status": "ok"}
    with RunStore(path) as st:
        st.put(rec)
    assert _tables(path) == {"runs"}
    with RunStore(path) as st:
        st.save_checkpoint("j", "state")
        st.put({**rec, "key": "j"})
        assert st.checkpoint_keys() == set()
    assert _tables(path) == {"runs", "checkpoints"}
    with RunStore(path) as st:                                         # still ours
        assert st.finished_keys() == {"k", "j"}


def test_the_seconds_of_a_checkpointed_run_count_its_dataset_as_a_plain_runs_do(tmp_path, monkeypatch):
    """execute's wall and CPU seconds start before the dataset is built, with or without a store
    of checkpoints (they counted only the search's with one)."""
    real = runner.build_dataset

    def slow_build(task, data_dir=None):
        t0 = time.process_time()
        while time.process_time() - t0 < 0.4:                       # 0.4 CPU-s of building
            pass
        return real(task, data_dir)
    monkeypatch.setattr(runner, "build_dataset", slow_build)
    task = _gls_task(steps=1)
    with RunStore(tmp_path / "r.sqlite") as store:
        for record in (execute(task), execute(task, checkpoints=store)):
            assert record["status"] == "ok"
            assert record["cpu_seconds"] >= 0.4 and record["wall_seconds"] >= 0.4 + record["seconds"]


# ----- zonocomb fit --checkpoint -------------------------------------------------------------------
def _fit_json(capsys, *argv):
    from zonocomb.cli import main
    code = main(["fit", *argv, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out)["network"] if code == 0 else None), out.err


@pytest.mark.parametrize("method", ["gls", "mgls"])
def test_fit_goes_on_from_its_checkpoint_file(tmp_path, capsys, method):
    csv = tmp_path / "d.csv"
    synthetic(8, 8, 0).to_csv(csv)
    state = tmp_path / "state.json"
    common = [str(csv), "--method", method, "--units", "8", "--seed", "4"]
    code, whole, _ = _fit_json(capsys, *common, "--max-steps", "12")
    assert code == 0 and whole["n_steps"] == 12
    code, first, err = _fit_json(capsys, *common, "--max-steps", "5", "--checkpoint", str(state))
    assert code == 0 and first["n_steps"] == 5 and "resumed" not in err
    assert SearchCheckpoint.from_json(state.read_text()).n_steps == 5      # written when the search ended
    code, rest, err = _fit_json(capsys, str(csv), "--method", method, "--units", "8", "--seed", "99",
                                "--max-steps", "12", "--checkpoint", str(state))
    assert code == 0 and "resumed from" in err and "after 5 moves" in err
    assert rest["n_steps"] == 12 and rest["pattern"] == whole["pattern"]
    assert rest["loss"] == pytest.approx(whole["loss"], rel=1e-9)
    assert SearchCheckpoint.from_json(state.read_text()).n_steps == 12


def test_fit_writes_its_checkpoint_when_interrupted(tmp_path, capsys, monkeypatch):
    from zonocomb.cli import fit as fit_cli
    from zonocomb.cli import main
    csv = tmp_path / "d.csv"
    synthetic(8, 8, 1).to_csv(csv)
    state = tmp_path / "state.json"
    real = fit_cli._CheckpointFile.__call__

    def interrupt_at_third(self, checkpoint):
        real(self, checkpoint)
        if checkpoint.n_steps == 3:
            raise KeyboardInterrupt
    monkeypatch.setattr(fit_cli._CheckpointFile, "__call__", interrupt_at_third)
    assert main(["fit", str(csv), "--method", "gls", "--units", "8", "--checkpoint", str(state)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert SearchCheckpoint.from_json(state.read_text()).n_steps == 3    # CHECKPOINT_SECONDS had not passed


def test_fit_refuses_a_checkpoint_it_cannot_resume(tmp_path, capsys):
    from zonocomb.cli import main
    csv = tmp_path / "d.csv"
    synthetic(8, 8, 0).to_csv(csv)
    state = tmp_path / "state.json"
    assert main(["fit", str(csv), "--method", "gls", "--units", "8", "--max-steps", "2", "--checkpoint", str(state)]) == 0
    capsys.readouterr()
    cases = [(["--units", "6"], "another search problem"), (["--method", "mgls"], "of a gls search, not mgls"),
             (["--method", "random_vertex"], "--checkpoint applies to gls and mgls")]
    for extra, message in cases:
        argv = ["fit", str(csv), "--method", "gls", "--units", "8", "--checkpoint", str(state), *extra]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    good = json.loads(state.read_text())
    state.write_text(json.dumps({**good, "trace": [], "n_steps": 0}))
    assert main(["fit", str(csv), "--method", "gls", "--units", "8", "--checkpoint", str(state)]) == 2
    err = capsys.readouterr().err
    assert "trace has 0 rows" in err and "Traceback" not in err and "internal error" not in err
    assert main(["fit", str(csv), "--method", "gls", "--units", "8", "--checkpoint", ""]) == 2
    assert "checkpoint file" in capsys.readouterr().err
    for junk in (b"\x00\xff binary", b"{}", b""):
        state.write_bytes(junk)
        assert main(["fit", str(csv), "--method", "gls", "--units", "8", "--checkpoint", str(state)]) == 2
        assert "not a zonocomb search checkpoint" in capsys.readouterr().err
    assert main(["fit", str(csv), "--method", "gls", "--checkpoint", str(tmp_path)]) == 2


def _write_runs_and_checkpoints(path, n):
    with RunStore(path) as st:
        for i in range(n):
            st.put({"key": f"k{i}", "experiment": "e", "method": "gls", "seed": 0,
                    "config": {"m": 1, "pad": "x" * 3000}, "status": "ok", "loss": 1.0})
            st.save_checkpoint(f"c{i % 7}", "y" * 20000)


def test_a_store_opens_while_another_process_writes_it(tmp_path):
    """Workers open the sweep's store while the parent puts rows and other workers save
    checkpoints: the inspection of an existing file must see a consistent state (with an
    immutable read it saw pages mid-checkpoint and called the store damaged, 55 of 600 opens)."""
    import multiprocessing

    path = tmp_path / "r.sqlite"
    RunStore(path).close()
    writer = multiprocessing.get_context("fork").Process(target=_write_runs_and_checkpoints, args=(path, 1500))
    writer.start()
    opened = 0
    try:
        while writer.is_alive() or opened == 0:
            RunStore(path).close()
            opened += 1
    finally:
        writer.join()
    assert writer.exitcode == 0 and opened >= 20
    with RunStore(path) as st:
        assert len(st.finished_keys()) == 1500 and len(st.checkpoint_keys()) == 7
