"""The documented contracts of zonocomb/experiments that mutation testing found unchecked (issue 16).

Each test names the property it checks: the paper's experimental design (appendix H) as
``build_tasks`` lays it out, the keys and seeds of a task, the cost estimates that order a sweep,
the records the runner stores, the store's behaviour, and the report beside the paper's CSVs. No
sweep runs here: methods are stand-ins (as in tests/test_experiments.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass

import numpy as np
import pytest

from zonocomb.errors import BackendError, InvalidInputError
from zonocomb.experiments import RunStore, Task, build_tasks, execute, run_sweep
from zonocomb.experiments import report, runner
from zonocomb.experiments.store import COLUMNS
from zonocomb.experiments.tasks import PAPER_GD_STEPS, overparameterization
from zonocomb.geometry.dataset import Dataset


def _cells(tasks):
    """Seeds per cell: (method, configuration) -> sorted seeds."""
    out = {}
    for t in tasks:
        out.setdefault((t.method, t.config), []).append(t.seed)
    return {k: sorted(v) for k, v in out.items()}


def _synthetic(m=2, method="gls", seed=0, **extra):
    cfg = {"kind": "synthetic", "d": 2, "m_gen": 2, "N": 6, "m": m, "loss": "mse", **extra}
    return Task.make("t", cfg, method, seed)


# ----- the design of appendix H ---------------------------------------------------------------------
def test_training_settings_are_appendix_hs():
    # H.1.2 / H.2.2: batch gradient descent at learning rate 1e-3 for 400,000 steps (synthetic,
    # every parameter trained) or one million steps (images, output layer frozen); GLS T = 1024,
    # mGLS T = 2048; MSE on synthetic data, the logistic loss on the image tasks.
    assert PAPER_GD_STEPS == {"synthetic": 400_000, "image": 1_000_000}
    tasks = build_tasks("table-a1") + build_tasks("table-a2") + build_tasks("table-a3")
    for t in tasks:
        c = t.cfg
        synthetic = c["kind"] == "synthetic"
        assert c["loss"] == ("mse" if synthetic else "logistic")
        if t.method == "gd":
            assert (c["steps"], c["lr"], c["train_output"]) == (PAPER_GD_STEPS[c["kind"]], 1e-3, synthetic)
            assert isinstance(c["steps"], int)
        elif t.method == "random_vertex":
            assert c["mode"] == ("synthetic" if synthetic else "classification")
        else:
            assert c["max_steps"] == {"gls": 1024, "mgls": 2048}[t.method]
        assert "backend" not in c
    assert {t.method for t in tasks} == {"gd", "random_vertex", "gls", "mgls"}


def test_full_image_tables_have_the_papers_cells_and_run_counts():
    # H.2.3: random vertex 16 runs, gradient descent and mGLS 8, seeds numbered from 0
    a2, a3 = _cells(build_tasks("table-a2")), _cells(build_tasks("table-a3"))
    assert len(a2) == 2 * 2 * 2 * 5 * 2 and len(a3) == 2 * 4 * 2
    for cells in (a2, a3):
        for (method, _), seeds in cells.items():
            assert seeds == list(range({"gd": 8, "random_vertex": 16, "mgls": 8}[method]))
    assert {len(s) for s in _cells(build_tasks("table-a2", seeds=5)).values()} == {5}


def test_figures_reuse_the_table_runs():
    # figure 2 = table A1's d = 8, m_gen = 8 rows and table A2's Fashion-MNIST d = 16, N = 700 rows
    # (gd, random vertex); figure 3 = table A1's d = 4, m_gen = 2 rows (gd, GLS) and table A3's
    # Fashion-MNIST rows (gd, mGLS): the same keys, so a shared store computes them once.
    keys = lambda ts: {t.key for t in ts}
    a1, a2, a3 = build_tasks("table-a1"), build_tasks("table-a2"), build_tasks("table-a3")
    fig2 = {t.key for t in a1 if t.method in ("gd", "random_vertex") and (t.cfg["d"], t.cfg["m_gen"]) == (8, 8)}
    fig2 |= {t.key for t in a2 if (t.cfg["dataset"], t.cfg["d"], t.cfg["N"]) == ("fashion", 16, 700)}
    assert keys(build_tasks("figure2")) == fig2
    fig3 = {t.key for t in a1 if t.method in ("gd", "gls") and (t.cfg["d"], t.cfg["m_gen"]) == (4, 2)}
    fig3 |= {t.key for t in a3 if t.cfg["dataset"] == "fashion"}
    assert keys(build_tasks("figure3")) == fig3
    quick2 = build_tasks("figure2", quick=True)
    synthetic = {(t.method, t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) for t in quick2 if t.cfg["kind"] == "synthetic"}
    assert synthetic == {(meth, 8, 8, m) for meth, ms in (("gd", (8, 12, 16)), ("random_vertex", (8, 12, 16, 32, 64)))
                         for m in ms}


def test_random_state_is_the_sha256_prefix_of_the_key_without_backend():
    # Task.random_state: the first 8 bytes of SHA-256(key), big-endian, as a non-negative int
    for task in build_tasks("table-a3", quick=True, backend="cvxpy")[:40]:
        plain = {k: v for k, v in task.cfg.items() if k != "backend"}
        key = f"{task.method}|{json.dumps(plain, sort_keys=True, separators=(',', ':'))}|seed={task.seed}"
        expected = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1
        assert task.random_state == expected and 0 <= expected < 2 ** 63
    quick = build_tasks("table-a1", quick=True)
    assert len({t.random_state for t in quick}) == len(quick)


def test_group_is_the_problem_without_the_width():
    a1 = build_tasks("table-a1", quick=True)
    assert {t.group for t in a1} == {("synthetic", 4, m_gen) for m_gen in (2, 4, 8)}
    a3 = build_tasks("table-a3", quick=True)
    assert {t.group for t in a3} == {("image", "mnist", 8, 350, None), ("image", "fashion", 8, 350, None)}


def test_backend_other_than_fast_is_stored_for_every_convex_method():
    for backend in ("ecos-defaults", "cvxpy"):
        for experiment in ("table-a1", "table-a3"):
            for t in build_tasks(experiment, quick=True, backend=backend):
                assert t.cfg.get("backend") == (None if t.method == "gd" else backend)


def test_overparameterization_factor_is_m_over_m_gen_on_synthetic_data():
    for t in build_tasks("table-a1"):
        assert overparameterization(t.cfg) == pytest.approx(t.cfg["m"] / t.cfg["m_gen"], rel=1e-12)
    assert overparameterization({"m": 16, "d": 8, "N": 350}) == pytest.approx(16 * 9 / 350)


def test_cost_hint_is_the_documented_formula():
    # gradient descent: steps x (18 us + 2.7 ns m N); a region program with the fast backend
    # 0.4 ms (m N / 1152)^1.1 (at least 50 us), 100 times more with cvxpy; random vertex 5
    # programs, GLS / mGLS N/4 steps of m N / 4 neighbours
    gd = Task.make("t", {"kind": "synthetic", "d": 8, "m_gen": 16, "N": 144, "m": 8, "steps": 1000,
                         "lr": 1e-3, "loss": "mse", "train_output": True}, "gd", 0)
    assert gd.cost_hint == pytest.approx(1000 * (18e-6 + 2.7e-9 * 1152), rel=1e-12)
    cfg = {"kind": "synthetic", "d": 8, "m_gen": 16, "N": 144, "m": 8, "loss": "mse"}
    rv = Task.make("t", cfg, "random_vertex", 0)
    assert rv.cost_hint == pytest.approx(5 * 4e-4, rel=1e-12)
    for method in ("gls", "mgls"):
        assert Task.make("t", cfg, method, 0).cost_hint == pytest.approx(36 * 288 * 4e-4, rel=1e-12)
    big = Task.make("t", {**cfg, "m": 16}, "random_vertex", 0)
    assert big.cost_hint == pytest.approx(5 * 4e-4 * 2 ** 1.1, rel=1e-12)
    for backend in ("cvxpy", "ecos-defaults"):
        assert Task.make("t", {**cfg, "backend": backend}, "random_vertex", 0).cost_hint == \
               pytest.approx(100 * rv.cost_hint, rel=1e-12)
    tiny = _synthetic(m=2, method="random_vertex")                       # m N = 12: the 50 us floor
    assert tiny.cost_hint == pytest.approx(5 * 5e-5, rel=1e-12)
    assert _synthetic(m=2, method="gls").cost_hint == pytest.approx(1.5 * 3 * 5e-5, rel=1e-12)


def test_build_tasks_errors_name_the_argument_and_value():
    cases = [({"experiment": "table-a9"}, "unknown experiment 'table-a9'"),
             ({"experiment": "table-a1", "seeds": True}, "seeds must be a positive integer, got True"),
             ({"experiment": "table-a1", "seeds": 2.5}, "seeds must be a positive integer, got 2.5"),
             ({"experiment": "table-a1", "seeds": 0}, "seeds must be a positive integer, got 0"),
             ({"experiment": "table-a1", "gd_steps": True}, "gd_steps must be a positive integer, got True"),
             ({"experiment": "table-a1", "gd_steps": 2.5}, "gd_steps must be a positive integer, got 2.5"),
             ({"experiment": "table-a1", "gd_steps": 0}, "gd_steps must be a positive integer, got 0"),
             ({"experiment": "table-a1", "backend": "ecos"}, "unknown backend 'ecos'; expected one of"),
             ({"experiment": "table-a3", "classes": {"cifar": (1, 2)}}, "unknown image dataset 'cifar' in classes")]
    for kwargs, message in cases:
        with pytest.raises(InvalidInputError, match=re.escape(message)):
            build_tasks(**kwargs)
    assert {len(s) for s in _cells(build_tasks("table-a1", quick=True, seeds=1, gd_steps=1)).values()} == {1}


# ----- the runner ---------------------------------------------------------------------------------
@dataclass
class _Result:
    """A stand-in SearchResult with fixed predictions."""

    pred: np.ndarray
    loss: float = 0.25
    n_solves: int = 7
    n_steps: int = 5
    seconds: float = 0.125

    def predict(self, X):
        return self.pred


def test_execute_record_holds_the_methods_numbers_and_the_training_accuracy(monkeypatch):
    # accuracy = 100 mean(1{f(x) > 0} == 1{y = 1}) for the logistic loss; an output of exactly 0
    # counts as class 0; the recomputed loss is the mean logistic loss of the predictions
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    pred = np.array([1.0, 0.0, -1.0, -1.0, 2.0])
    ds = Dataset([[float(i)] for i in range(5)], y=y.tolist())
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: ds)
    monkeypatch.setitem(runner.METHODS, "fake", lambda dataset, cfg, rs: _Result(pred))
    task = _synthetic(method="fake", loss="logistic")
    rec = execute(task)
    assert rec["status"] == "ok" and rec["accuracy"] == pytest.approx(80.0)
    assert rec["loss_recomputed"] == pytest.approx(np.mean(np.logaddexp(0.0, pred) - y * pred), rel=1e-12)
    assert (rec["loss"], rec["n_solves"], rec["n_steps"], rec["seconds"]) == (0.25, 7, 5, 0.125)
    assert (rec["key"], rec["experiment"], rec["method"], rec["seed"], rec["config"]) == \
           (task.key, "t", "fake", 0, task.cfg)
    assert 0 <= rec["cpu_seconds"] < 60 and 0 <= rec["wall_seconds"] < 60


def test_execute_passes_the_tasks_dataset_config_and_random_state(monkeypatch):
    seen = []
    monkeypatch.setitem(runner.METHODS, "fake", lambda dataset, cfg, rs: seen.append((dataset, cfg, rs))
                        or _Result(dataset.y.astype(float)))
    task = _synthetic(method="fake", seed=3)
    execute(task)
    (dataset, cfg, rs), = seen
    from zonocomb.datasets.synthetic import synthetic
    assert np.array_equal(dataset.X_float, synthetic(2, 2, 3).X_float) and cfg == task.cfg
    assert rs == task.random_state


def test_a_failed_record_starts_with_the_error_and_keeps_the_traceback(monkeypatch):
    def broken(dataset, cfg, rs):
        raise InvalidInputError("solver fell over")
    monkeypatch.setitem(runner.METHODS, "fake", broken)
    rec = execute(_synthetic(method="fake"))
    lines = rec["error"].splitlines()
    assert rec["status"] == "error" and lines[0] == "InvalidInputError: solver fell over"
    assert lines[1].startswith("Traceback") and "in broken" in rec["error"]
    assert lines[-1].endswith("InvalidInputError: solver fell over")               # the traceback's own end
    rec = execute(_synthetic(method="no-such-method"))
    assert rec["error"].startswith("InvalidInputError: unknown method 'no-such-method'; expected one of [")


def test_registered_methods_get_the_width_and_the_configurations_keywords(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "run_method", lambda name, ds, m, **kw: calls.append((name, ds, m, kw)))
    runner.METHODS["gls"]("DS", {"m": 4, "loss": "mse", "max_steps": 9}, random_state=11)
    runner.METHODS["random_vertex"]("DS", {"m": 6, "mode": "synthetic"}, 12)
    assert calls == [("gls", "DS", 4, {"random_state": 11, "loss": "mse", "max_steps": 9}),
                     ("random_vertex", "DS", 6, {"random_state": 12, "mode": "synthetic"})]


def test_batched_gradient_descent_gets_the_shared_settings(monkeypatch):
    import importlib
    gd = importlib.import_module("zonocomb.search.gradient_descent")
    calls = []
    monkeypatch.setattr(gd, "gradient_descent_batch", lambda runs, **kw: calls.append((runs, kw)) or ["r"])
    assert runner.BATCHED["gd"](["A", "B"], {"steps": 9, "lr": 0.5, "loss": "mse", "train_output": False},
                                [1, 2], [3, 4]) == ["r"]
    assert calls == [([("A", 3, 1), ("B", 4, 2)], {"steps": 9, "lr": 0.5, "loss": "mse", "train_output": False})]


def test_build_dataset_of_each_kind(monkeypatch):
    import zonocomb.datasets.images as images
    runner._dataset.cache_clear()
    seen = []
    monkeypatch.setattr(images, "image_task", lambda name, classes=None, d=8, N=350, data_dir=None:
                        seen.append((name, classes, d, N, data_dir)) or len(seen))
    base = {"kind": "image", "dataset": "mnist", "d": 8, "N": 351, "m": 4, "loss": "logistic"}
    assert runner.build_dataset(Task.make("t", base, "gd", 0), "/data") == 1
    assert runner.build_dataset(Task.make("t", {**base, "m": 8}, "mgls", 5), "/data") == 1      # cached
    assert runner.build_dataset(Task.make("t", {**base, "classes": [5, 9]}, "gd", 0)) == 2
    assert seen == [("mnist", None, 8, 351, "/data"), ("mnist", (5, 9), 8, 351, None)]
    runner._dataset.cache_clear()
    a, b = (runner.build_dataset(_synthetic(seed=s)) for s in (0, 1))
    assert not np.array_equal(a.y, b.y)                                   # seed s draws the data
    with pytest.raises(InvalidInputError, match="unknown problem kind 'tabular'"):
        runner.build_dataset(Task.make("t", {"kind": "tabular", "dataset": "x", "d": 1, "N": 2}, "gd", 0))


def _gd(m, seed=0, N=64, d=2, kind="synthetic"):
    cfg = {"kind": kind, "d": d, "m_gen": 2, "N": N, "m": m, "steps": 10, "lr": 1e-3, "loss": "mse",
           "train_output": True}
    if kind == "image":
        cfg = {**{k: v for k, v in cfg.items() if k != "m_gen"}, "dataset": "mnist", "loss": "logistic",
               "train_output": False}
    return Task.make("t", cfg, "gd", seed)


def test_gradient_descent_batches_are_filled_up_to_the_element_limit():
    # runs of N m = 4096 elements: exactly GD_BATCH_ELEMENTS / 4096 = 16 per batch
    limit = runner.GD_BATCH_ELEMENTS
    assert limit == 2 ** 16
    tasks = [_gd(64, s) for s in range(40)]
    units = runner.plan_units(tasks)
    assert sorted(len(u) for u in units) == [8, 16, 16]
    # mixed widths: sorted by width, each batch as large as the limit allows
    tasks = [_gd(m, s) for m in (16, 128, 32) for s in range(12)]
    chunks = runner._chunks(tasks)
    widths = [t.cfg["m"] for c in chunks for t in c]
    assert widths == sorted(widths) and sorted(map(id, sum(chunks, []))) == sorted(map(id, tasks))
    for prev, nxt in zip(chunks, chunks[1:]):
        assert len(prev) * 64 * prev[-1].cfg["m"] <= limit < (len(prev) + 1) * 64 * nxt[0].cfg["m"]
    assert [len(c) for c in runner._chunks([_gd(2048, s) for s in range(3)])] == [1, 1, 1]


def test_batch_keys_separate_what_cannot_share_a_descent():
    key = runner._batch_key
    assert key(_synthetic()) is None                                     # not gradient descent
    assert key(_gd(4, 0)) == key(_gd(8, 3))                              # synthetic: seeds x widths
    assert key(_gd(4, 0, kind="image")) == key(_gd(4, 3, kind="image"))  # image: seeds of a width
    assert key(_gd(4, 0, kind="image")) != key(_gd(8, 0, kind="image"))
    assert key(_gd(4, 0, kind="image")) != key(_gd(4, 0, N=32, kind="image"))
    assert key(_gd(4, 0, d=2)) != key(_gd(4, 0, d=3))
    base = _gd(4).cfg
    for change in ({"steps": 11}, {"lr": 0.1}, {"loss": "l1"}, {"train_output": False}, {"m_gen": 3}):
        assert key(Task.make("t", {**base, **change}, "gd", 0)) != key(_gd(4))


def test_unit_cost_of_a_batch_is_its_largest_run_plus_a_tenth_of_the_rest():
    batch = [_gd(m) for m in (4, 8, 16)]
    hints = sorted(t.cost_hint for t in batch)
    assert runner.unit_cost(batch) == pytest.approx(hints[2] + 0.1 * (hints[0] + hints[1]), rel=1e-12)
    single = [_synthetic(m=m, method="gls") for m in (2, 3)]
    assert runner.unit_cost(single) == pytest.approx(sum(t.cost_hint for t in single), rel=1e-12)


def test_plan_units_keeps_the_order_of_tasks_on_ties():
    tasks = [_synthetic(seed=s) for s in range(6)]                        # equal costs
    for order in ("largest-first", "cheapest-first"):
        assert [u[0].seed for u in runner.plan_units(tasks, order)] == list(range(6))
    mixed = [_synthetic(m=2, seed=0), _synthetic(m=64, seed=0), _synthetic(m=8, seed=0)]
    assert [u[0].cfg["m"] for u in runner.plan_units(mixed)] == [64, 8, 2]
    assert [u[0].cfg["m"] for u in runner.plan_units(mixed, "cheapest-first")] == [2, 8, 64]
    # per run: a batch of 24 cheap runs goes before one run that costs less than the batch
    batch = [_gd(4, s, N=6) for s in range(24)]
    gls = _synthetic(m=2, method="gls")
    assert runner.unit_cost(batch) > gls.cost_hint > runner.unit_cost(batch) / 24
    assert [len(u) for u in runner.plan_units([gls] + batch, "cheapest-first")] == [24, 1]


def test_execute_batch_contract(monkeypatch):
    with pytest.raises(InvalidInputError, match="execute_batch needs gradient descent tasks of one batch key"):
        runner.execute_batch([_gd(4), _gd(4, d=3)])
    with pytest.raises(InvalidInputError, match="one batch key"):
        runner.execute_batch([_synthetic(), _synthetic(seed=1)])
    tasks = [_gd(4, s, N=6) for s in range(3)]
    calls = []

    def batch(datasets, c, states, widths):
        calls.append((c, states, widths))
        return [_Result(ds.y.astype(float)) if i != 1 else BackendError("diverged")
                for i, ds in enumerate(datasets)]
    monkeypatch.setitem(runner.BATCHED, "gd", batch)
    records = runner.execute_batch(tasks)
    assert calls == [(tasks[0].cfg, [t.random_state for t in tasks], [4, 4, 4])]
    assert [r["key"] for r in records] == [t.key for t in tasks]
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert records[1]["error"].splitlines()[0] == "BackendError: diverged"
    assert records[0]["loss_recomputed"] == 0.0 and records[0]["n_steps"] == 5
    assert len({(r["wall_seconds"], r["cpu_seconds"]) for r in records}) == 1    # the batch's share

    def broken(*args):
        raise BackendError("out of memory")
    monkeypatch.setitem(runner.BATCHED, "gd", broken)
    assert {r["error"].splitlines()[0] for r in runner.execute_batch(tasks)} == {"BackendError: out of memory"}
    # one task runs unbatched, as execute would
    monkeypatch.setitem(runner.METHODS, "gd", lambda ds, c, rs: _Result(ds.y.astype(float)))
    (single,) = runner.execute_unit([tasks[0]])
    assert single["status"] == "ok" and single["key"] == tasks[0].key


def test_run_sweep_rejects_bad_worker_counts_and_reports_failures(tmp_path, monkeypatch, capsys):
    tasks = [_synthetic(method="fake", seed=s) for s in range(3)]
    with RunStore(tmp_path / "r.sqlite") as st:
        for workers in (0, -2):
            with pytest.raises(InvalidInputError, match=f"workers must be a positive integer or -1, got {workers}"):
                run_sweep(tasks, st, workers=workers)

        def half(dataset, cfg, rs):
            if rs == tasks[1].random_state:
                raise InvalidInputError("boom")
            return _Result(dataset.y.astype(float))
        monkeypatch.setitem(runner.METHODS, "fake", half)
        s = run_sweep(tasks, st, workers=1)
        assert (s.n_tasks, s.n_skipped, s.n_ok, s.n_failed) == (3, 0, 2, 1) and 0 <= s.seconds < 60
        out = capsys.readouterr().out
        assert f"task failed (will be retried on re-run): {tasks[1].key}: InvalidInputError: boom" in out
        monkeypatch.setitem(runner.METHODS, "fake", lambda d, c, rs: _Result(d.y.astype(float)))
        s = run_sweep(tasks, st, workers=1)              # only the failed run is left
        assert (s.n_tasks, s.n_skipped, s.n_ok, s.n_failed) == (3, 2, 1, 0)
        s = run_sweep(tasks, st, workers=-1)             # -1 (every core) is allowed
        assert (s.n_tasks, s.n_skipped, s.n_ok, s.n_failed) == (3, 3, 0, 0)


# ----- the store ----------------------------------------------------------------------------------
def _rec(key, experiment="e", status="ok", **extra):
    return {"key": key, "experiment": experiment, "method": "gls", "seed": 0, "config": {"m": 1, "a": 2},
            "status": status, "loss": 1.0, **extra}


def test_store_get_returns_every_key_however_many_are_asked(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as st:
        for i in range(1203):
            st.put(_rec(f"k{i:04d}"))
        keys = [f"k{i:04d}" for i in range(1203)]
        assert sorted(r["key"] for r in st.get(keys + ["absent"])) == keys
        assert st.count() == 1203 and st.get([]) == []


def test_store_rows_filter_by_experiment_in_key_order(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as st:
        for key, experiment in (("c", "x"), ("a", "y"), ("b", "x")):
            st.put(_rec(key, experiment))
        assert [r["key"] for r in st.rows()] == ["a", "b", "c"]
        assert [r["key"] for r in st.rows("x")] == ["b", "c"]
        assert st.rows("z") == []
        row = st.rows("y")[0]
        assert row["config"] == {"m": 1, "a": 2} and set(row) == set(COLUMNS)


def test_store_records_config_as_sorted_json_and_finished_at_in_utc(tmp_path):
    path = tmp_path / "r.sqlite"
    with RunStore(path) as st:
        st.put(_rec("a"))
        st.put(_rec("b", config='{"raw": 1}', finished_at="then"))
    conn = sqlite3.connect(path)
    rows = dict(conn.execute("SELECT key, config FROM runs").fetchall())
    stamps = dict(conn.execute("SELECT key, finished_at FROM runs").fetchall())
    conn.close()
    assert rows == {"a": '{"a": 2, "m": 1}', "b": '{"raw": 1}'}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamps["a"]) and stamps["b"] == "then"


def test_store_refuses_incomplete_records_naming_the_field(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as st:
        for field in ("key", "experiment", "method", "seed", "config", "status"):
            with pytest.raises(InvalidInputError, match=f"run record lacks the required field '{field}'"):
                st.put({k: v for k, v in _rec("a").items() if k != field})
            with pytest.raises(InvalidInputError, match=f"required field '{field}'"):
                st.put({**_rec("a"), field: None})
        st.put({**_rec("a"), "seed": 0})                                   # 0 is a value, not missing
        assert st.count() == 1


def test_a_rejected_put_leaves_no_transaction_open(tmp_path):
    with RunStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(sqlite3.IntegrityError):
            st.put(_rec("bad", status="unknown"))                           # the schema's CHECK
        st.put(_rec("good"))
        assert st.finished_keys() == {"good"}
    with RunStore(tmp_path / "r.sqlite") as st:                             # committed, persisted
        assert st.finished_keys() == {"good"} and st.count() == 1


def test_store_file_uses_the_wal_journal_and_refuses_extra_tables(tmp_path):
    path = tmp_path / "r.sqlite"
    with RunStore(path) as st:
        st.put(_rec("a"))
        st.save_checkpoint("b", "state")
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("CREATE TABLE notes (t TEXT)")
        conn.commit()
        conn.close()
    before = path.read_bytes()
    with pytest.raises(InvalidInputError, match=r"^\S+ is another program's SQLite database \(tables: checkpoints, notes, runs\), "
                                                r"not a zonocomb run store; refusing to modify it$"):
        RunStore(path)
    assert path.read_bytes() == before



# ----- the report ---------------------------------------------------------------------------------
def _image_records(tasks, missing=(), failed=(), gap=0.0):
    """Records of image tasks with known numbers: loss 0.1 (seed + 1) (m / 4), accuracy 90 + 2 seed,
    the recomputed loss off by ``gap``."""
    records = []
    for t in tasks:
        if t.key in missing:
            continue
        loss = 0.1 * (t.seed + 1) * t.cfg["m"] / 4
        rec = {"key": t.key, "experiment": t.experiment, "method": t.method, "seed": t.seed, "config": t.cfg,
               "status": "ok", "loss": loss, "loss_recomputed": loss + gap, "accuracy": 90.0 + 2 * t.seed,
               "n_solves": 10 + t.seed, "n_steps": 20 + t.seed, "seconds": 1.0, "wall_seconds": 2.0 + t.seed,
               "cpu_seconds": 1.5 + t.seed}
        if t.key in failed:
            rec = {**rec, "status": "error", "error": "BackendError: diverged\nTraceback ..."}
        records.append(rec)
    return records


def _paper_rows(name):
    import csv
    with (report.PAPER_TABLES_DIR / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_image_table_markdown_puts_our_median_beside_the_papers():
    tasks = build_tasks("table-a3", quick=True, seeds=3)
    cell = [t for t in tasks if t.method == "mgls" and t.cfg["dataset"] == "fashion" and t.cfg["m"] == 8]
    gone = [t for t in tasks if t.method == "gd" and t.cfg["dataset"] == "fashion" and t.cfg["m"] == 4]
    records = _image_records(tasks, missing={cell[2].key} | {t.key for t in gone[1:]},
                             failed={cell[0].key} | {gone[0].key})
    spec = report.TABLES["A3"]
    columns, rows = report.table_rows(spec, tasks, records)
    lines = report.markdown_table(spec, rows).splitlines()
    assert lines[0] == ("| dataset | m | gradient descent loss (ours) | gradient descent loss (paper) | "
                        "gradient descent acc % (ours) | gradient descent acc % (paper) | mGLS loss (ours) | "
                        "mGLS loss (paper) | mGLS acc % (ours) | mGLS acc % (paper) |")
    assert lines[1] == "|" + "---|" * 10
    paper = {(r["dataset"], int(r["m"])): r for r in _paper_rows(spec.csv)}
    assert len(lines) == 2 + len(paper)
    by_row = {tuple(line.split(" | ")[:2]): line.split(" | ") for line in lines[2:]}
    p = paper["MNIST", 4]
    mnist4 = by_row["| MNIST", "4"]
    # losses 0.1, 0.2, 0.3: median 0.2, numpy's std 0.0816; accuracies 90, 92, 94
    assert mnist4[2] == "2.00e-01 ± 8.2e-02 (n=3)"
    assert mnist4[3] == f"{float(p['gd_loss']):.2e} ± {float(p['gd_loss_std']):.1e}"
    assert mnist4[4] == "92.0 ± 1.63 (n=3)"
    assert mnist4[5] == f"{float(p['gd_acc']):.1f} ± {float(p['gd_acc_std']):.2f}"
    fashion8 = by_row["| FASHION MNIST", "8"]
    assert fashion8[6] == "4.00e-01 ± 0.0e+00 (n=1/3, 1 failed)"                    # one run left of three
    assert fashion8[8] == "92.0 ± 0.00 (n=1/3, 1 failed)"
    fashion4 = by_row["| FASHION MNIST", "4"]
    assert fashion4[2] == "pending (0/3, 1 failed)" and fashion4[4] == "pending (0/3, 1 failed)"
    mnist32 = by_row["| MNIST", "32"]
    assert mnist32[2] == "not run" and mnist32[3] != "–"
    # the CSV: our medians and counts, the paper's values
    row = next(r for r in rows if (r["dataset"], r["m"]) == ("MNIST", 4))
    assert (row["ours_gd_acc"], row["ours_gd_n"]) == (92.0, 3)
    assert row["ours_gd_acc_std"] == pytest.approx(np.std([90, 92, 94]))
    assert row["paper_mgls_acc_std"] == float(p["mgls_acc_std"])
    assert next(r for r in rows if (r["dataset"], r["m"]) == ("FASHION MNIST", 4))["ours_gd_n"] == 0
    assert columns[:2] == ["dataset", "m"] and "ours_mgls_n" in columns


def test_paper_cell_without_a_value_and_our_cell_without_runs_are_dashes():
    spec = report.TABLES["A1"]
    tasks = [t for t in build_tasks("table-a1", quick=True, seeds=1) if (t.cfg["m_gen"], t.cfg["m"]) == (2, 3)]
    records = [{"key": t.key, "status": "ok", "loss": 1e-3, "accuracy": None, "wall_seconds": 1.0} for t in tasks]
    _, rows = report.table_rows(spec, tasks, records, all_paper_rows=False)
    assert [(r["d"], r["m_gen"], r["m"]) for r in rows] == [(4, 2, 3)]
    cells = report.markdown_table(spec, rows).splitlines()[2].split(" | ")
    assert cells[3:] == ["1.00e-03 ± 0.0e+00 (n=1)", cells[4], "1.00e-03 ± 0.0e+00 (n=1)", cells[6], "–", "– |"]
    assert report.markdown_table(spec, rows).splitlines()[0].count(" MSE (ours)") == 3


def test_report_notes_say_what_differs_from_the_paper(tmp_path):
    tasks = build_tasks("table-a3", quick=True, seeds=2, backend="ecos-defaults", classes={"mnist": (5, 9)},
                        gd_steps=PAPER_GD_STEPS["image"])
    gd = [t for t in tasks if t.method == "gd"]
    records = _image_records(tasks, missing={gd[0].key}, failed={gd[1].key, gd[2].key}, gap=1e-3)
    text = report.write_report("table-a3", tasks, records, tmp_path, command="zonocomb reproduce x")["text"]
    notes = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    assert notes[0] == ("Gradient descent ran the paper's 1,000,000 steps on image problems (full batch, "
                        "learning rate 1e-3, Glorot initialisation).")
    assert notes[1].startswith("Runs per (configuration, method): gradient descent 2, mGLS 2 (the paper: 16 for GLS")
    assert notes[2] == ("Convex programs of GLS, mGLS and random vertex solved by the paper's, cvxpy + ECOS at its "
                        "default settings (`--backend paper`).")
    assert notes[3] == "Class pairs other than appendix H.2.1's: MNIST 5/9."
    assert notes[4] == f"1 of {len(tasks)} runs are not finished (re-run the command to resume)."
    assert notes[5] == "2 runs failed (retried on re-run); first error: BackendError: diverged"
    n_ok = len(tasks) - 3
    assert notes[6] == ("Reported loss vs loss recomputed from the returned network: largest relative gap "
                        f"1.0e-03 over {n_ok} runs.")
    lines = text.splitlines()
    at = lines.index("Command: `zonocomb reproduce x`")           # a paragraph of its own, after the title
    assert len(notes) == 7 and lines[at - 2].startswith("# ") and lines[at - 1] == lines[at + 1] == ""
    quick = build_tasks("table-a3", quick=True, seeds=1)
    text = report.write_report("table-a3", quick, _image_records(quick), tmp_path)["text"]
    assert ("**Gradient descent ran 20,000 steps on image problems, the paper 1,000,000**: our GD numbers are not "
            "comparable to the paper's GD column.") in text
    assert "solved by ours (the fast backend: active set, every answer KKT-certified)." in text
    assert "Class pairs" not in text and "not finished" not in text and "failed" not in text
    assert "Command:" not in text
    both = quick + build_tasks("table-a3", quick=True, seeds=1, backend="cvxpy")
    text = report.write_report("table-a3", both, _image_records(both), tmp_path)["text"]
    assert ("solved by cvxpy + ECOS at tolerances 1e-9 (`--backend paper-tight`) and ours (the fast backend: "
            "active set, every answer KKT-certified).") in text


def test_report_notes_list_every_step_count_backend_and_class_pair():
    tasks = build_tasks("table-a3", quick=True, seeds=1, gd_steps=300, classes={"mnist": (5, 9), "fashion": (0, 6)})
    tasks += build_tasks("table-a3", quick=True, seeds=1, gd_steps=5000, classes={"mnist": (5, 9), "fashion": (0, 6)})
    tasks.append(Task.make("t", {**tasks[-1].cfg, "max_steps": 2048, "backend": "reference"}, "mgls", 0))
    notes = report._notes(tasks, [])
    assert notes[0] == ("**Gradient descent ran 300, 5,000 steps on image problems, the paper 1,000,000**: our GD "
                        "numbers are not comparable to the paper's GD column.")
    assert notes[2] == ("Convex programs of GLS, mGLS and random vertex solved by ours (the fast backend: active set, "
                        "every answer KKT-certified) and reference.")
    assert notes[3] == "Class pairs other than appendix H.2.1's: FASHION MNIST 0/6, MNIST 5/9."


def test_cost_tables_sum_and_take_medians_of_the_finished_runs():
    tasks = build_tasks("table-a3", quick=True, seeds=3)
    unfinished = [t for t in tasks if t.method == "mgls" and t.cfg["dataset"] == "mnist" and t.cfg["m"] == 8]
    records = _image_records(tasks, failed={t.key for t in unfinished})
    lines = report._cost_table(tasks, records).splitlines()
    assert lines[:2] == ["| method | runs | median seconds | max seconds | median convex solves | median steps |",
                         "|---|---|---|---|---|---|"]
    assert lines[2] == "| gradient descent | 12 | 3.00 | 4.00 | 11 | 21 |"           # wall 2, 3, 4 s
    assert lines[3] == "| mGLS | 9 | 3.00 | 4.00 | 11 | 21 |" and len(lines) == 4
    lines = report.cell_cost_table(report.TABLES["A3"], tasks, records).splitlines()
    assert lines[0] == "| dataset | m | gradient descent | mGLS | row total |"
    body = lines[2:-1]
    assert [line.split(" | ")[:2] for line in body] == [["| FASHION MNIST", "4"], ["| FASHION MNIST", "8"],
                                                        ["| MNIST", "4"], ["| MNIST", "8"]]
    assert body[3] == "| MNIST | 8 | 7.5 (3 runs) | not finished (0/3) | 7.5 |"      # cpu 1.5 + 2.5 + 3.5
    assert body[0] == "| FASHION MNIST | 4 | 7.5 (3 runs) | 7.5 (3 runs) | 15.0 |"
    assert lines[-1] == ("| **total** |  | **30.0** (12/12 runs) | **22.5** (9/12 runs) | "
                         "**52.5 s = 0.01 CPU-hours** |")


def test_cell_cost_rows_are_in_the_papers_numeric_order():
    tasks = [t for t in build_tasks("table-a2", seeds=1) if t.cfg["dataset"] == "mnist" and t.cfg["m"] in (4, 16)]
    lines = report.cell_cost_table(report.TABLES["A2"], tasks, _image_records(tasks)).splitlines()[2:-1]
    assert [tuple(line.split(" | ")[1:4]) for line in lines] == [
        (d, N, m) for d in ("8", "16") for N in ("350", "700") for m in ("4", "16")]


def test_paper_tables_are_read_from_the_first_directory_that_has_them(tmp_path, monkeypatch):
    import os
    spec = report.TABLES["A3"]
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (second / spec.csv).write_text("dataset,m,gd_loss,gd_acc\nMNIST,4,0.5, \nFASHION MNIST,8,,97\n")
    monkeypatch.setenv("ZONOCOMB_REFERENCE_DIR", os.pathsep.join([str(first), "", str(second)]))
    assert report.load_paper_table(spec) == (["dataset", "m", "gd_loss", "gd_acc"],
                                             {("MNIST", 4): {"gd_loss": 0.5, "gd_acc": None},
                                              ("FASHION MNIST", 8): {"gd_loss": None, "gd_acc": 97.0}})
    monkeypatch.setenv("ZONOCOMB_REFERENCE_DIR", str(first))
    monkeypatch.setattr(report, "REFERENCE_DIRS", [])
    assert report.load_paper_table(spec) is None


def test_row_key_maps_a_configuration_to_its_paper_row():
    a2, a3, a1 = report.TABLES["A2"], report.TABLES["A3"], report.TABLES["A1"]
    cfg = {"kind": "image", "dataset": "fashion", "d": 8, "N": 350, "m": 16}
    assert a2.row_key(cfg) == ("FASHION MNIST", 8, 350, 16) and a3.row_key(cfg) == ("FASHION MNIST", 16)
    assert a3.row_key({**cfg, "d": 16}) is None and a3.row_key({**cfg, "N": 700}) is None
    assert a1.row_key(cfg) is None and a2.row_key({"kind": "synthetic", "d": 4, "m_gen": 2, "m": 2}) is None
    assert a1.row_key({"kind": "synthetic", "d": 4, "m_gen": 2, "m": 3, "N": 10}) == (4, 2, 3)
    assert a2.columns("random_vertex", "acc") == ("rv_acc", "rv_acc_std")
    assert a1.columns("gls", "loss") == ("gls_median_mse", "gls_std")


def test_panel_titles_name_the_problem():
    assert report._panel_title(("synthetic", 4, 2)) == "synthetic, d = 4, m_gen = 2"
    assert report._panel_title(("image", "mnist", 8, 350, None)) == "MNIST 4/9, d = 8, N = 350"
    assert report._panel_title(("image", "fashion", 16, 700, None)) == "Fashion-MNIST pullover/coat, d = 16, N = 700"
    assert report._panel_title(("image", "fashion", 8, 350, (0, 6))) == "Fashion-MNIST 0/6, d = 8, N = 350"
    assert report._panel_title(("image", "mnist", 8, 350, (5, 9))) == "MNIST 5/9, d = 8, N = 350"


def _figure(monkeypatch, experiment, tasks, records, path):
    """Draw with report.plot_figure and return the matplotlib figure it closed."""
    import matplotlib.pyplot as plt
    closed, real_close = [], plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: closed.append(fig) or real_close(fig))
    assert report.plot_figure(experiment, tasks, records, path) == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (fig,) = closed
    return fig


def test_figure_shows_our_medians_and_bands_beside_the_papers_medians(tmp_path, monkeypatch):
    # figures 2 and 3: one panel per problem; x the overparameterization factor m(d+1)/N on a
    # log2 axis; synthetic: final MSE on a log axis (values below 1e-20 drawn at 1e-20), images:
    # training accuracy; solid line our median with the 25-75 % band, dashed the paper's median
    tasks = build_tasks("figure3", quick=True, seeds=3)
    records = _image_records([t for t in tasks if t.cfg["kind"] == "image"])
    for t in tasks:
        if t.cfg["kind"] == "synthetic":
            loss = 0.0 if t.seed == 0 else 10.0 ** -(t.seed + t.cfg["m"])
            records.append({"key": t.key, "status": "ok", "loss": loss, "accuracy": None})
    fig = _figure(monkeypatch, "figure3", tasks, records, tmp_path / "f.png")
    synthetic, image = [ax for ax in fig.axes if ax.get_visible()]
    assert synthetic.get_title() == "synthetic, d = 4, m_gen = 2"
    assert image.get_title() == "Fashion-MNIST pullover/coat, d = 8, N = 350"
    assert (synthetic.get_yscale(), image.get_yscale(), synthetic.get_xscale()) == ("log", "linear", "log")
    assert synthetic.get_ylabel() == "final training MSE" and image.get_ylabel() == "training accuracy (%)"
    assert synthetic.get_xlabel() == image.get_xlabel() == "overparameterization factor m(d+1)/N"
    assert [tx.get_text() for tx in synthetic.texts] == ["values < 1e-20 drawn at 1e-20"] and not image.texts
    lines = {ln.get_label(): ln for ln in synthetic.get_lines()}
    assert list(lines) == ["gradient descent (ours)", "gradient descent (paper)", "GLS (ours)", "GLS (paper)"]
    paper = {(int(r["d"]), int(r["m_gen"]), int(r["m"])): r for r in _paper_rows("paper_table_a1_synthetic.csv")}
    for method, widths, col in (("gd", (2, 3, 4), "gd_median_mse"), ("gls", (2, 4, 8, 16), "gls_median_mse")):
        label = report.METHOD_LABELS[method]
        ours, theirs = lines[f"{label} (ours)"], lines[f"{label} (paper)"]
        assert list(ours.get_xdata()) == [m / 2 for m in widths] == list(theirs.get_xdata())
        # seeds 0, 1, 2: losses 0 (drawn at 1e-20), 1e-(1+m), 1e-(2+m): the median is 1e-(2+m)
        assert np.allclose(ours.get_ydata(), [10.0 ** -(2 + m) for m in widths], rtol=1e-12)
        assert np.allclose(theirs.get_ydata(), [max(float(paper[4, 2, m][col]), 1e-20) for m in widths])
        assert (ours.get_linestyle(), theirs.get_linestyle()) == ("-", "--") and theirs.get_markerfacecolor() == "none"
    # one colour per method: its median, its band and the paper's median; methods differ
    from matplotlib.colors import to_rgb
    colours = [to_rgb(lines[f"{label} (ours)"].get_color()) for label in ("gradient descent", "GLS")]
    for label, colour, band in zip(("gradient descent", "GLS"), colours, synthetic.collections):
        assert to_rgb(lines[f"{label} (paper)"].get_color()) == colour == tuple(band.get_facecolor()[0][:3])
    assert colours[0] != colours[1]
    band = synthetic.collections[0].get_paths()[0].vertices                       # gradient descent's band
    assert band[:, 1].max() == pytest.approx(np.percentile([1e-20, 1e-3, 1e-4], 75), rel=1e-12)   # m = 2
    assert band[:, 1].min() == pytest.approx(np.percentile([1e-20, 1e-5, 1e-6], 25), rel=1e-12)   # m = 4
    assert len(synthetic.collections) == 2
    acc = {ln.get_label(): ln for ln in image.get_lines()}
    assert list(acc) == ["gradient descent (ours)", "gradient descent (paper)", "mGLS (ours)", "mGLS (paper)"]
    assert list(acc["mGLS (ours)"].get_ydata()) == [92.0, 92.0]                  # accuracies 90, 92, 94
    assert list(acc["mGLS (ours)"].get_xdata()) == pytest.approx([4 * 9 / 350, 8 * 9 / 350])
    a3 = {int(r["m"]): float(r["mgls_acc"]) for r in _paper_rows("paper_table_a3_gd_vs_mgls.csv")
          if r["dataset"] == "FASHION MNIST"}
    assert list(acc["mGLS (paper)"].get_ydata()) == [a3[4], a3[8]]
    assert [t.get_text() for t in synthetic.get_xticklabels()] == ["1", "1.5", "2", "4", "8"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["gradient descent (ours)", "gradient descent (paper)", "GLS (ours)", "GLS (paper)",
                      "mGLS (ours)", "mGLS (paper)"]
    assert fig.get_suptitle() == ("zonocomb reproduce figure3: our median (band: 25–75 %) and the "
                                        "paper's median")


def test_figure_labels_the_medians_of_cells_with_runs_still_to_finish(tmp_path, monkeypatch):
    # a long sweep's figure is drawn while cells are partial: their medians say how many of the
    # planned runs they rest on, next to the point, in the method's colour; full cells say nothing
    tasks = [t for t in build_tasks("figure3", quick=True, seeds=3) if t.cfg["kind"] == "synthetic"]
    records = [{"key": t.key, "status": "ok", "loss": 10.0 ** -(t.seed + t.cfg["m"]), "accuracy": None}
               for t in tasks if not (t.method == "gls" and t.cfg["m"] == 4 and t.seed == 2)
               and not (t.method == "gd" and t.cfg["m"] == 3 and t.seed > 0)]
    fig = _figure(monkeypatch, "figure3", tasks, records, tmp_path / "f.png")
    (ax,) = [a for a in fig.axes if a.get_visible()]
    labels = {(tx.get_text(), tx.xy, tx.get_color()) for tx in ax.texts if tx.get_text().endswith("runs")}
    from matplotlib.colors import to_hex
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    gls, gd = to_hex(lines["GLS (ours)"].get_color()), to_hex(lines["gradient descent (ours)"].get_color())
    assert {(text, xy, to_hex(colour)) for text, xy, colour in labels} == {
        ("2/3 runs", (4 / 2, np.median([1e-4, 1e-5])), gls),
        ("1/3 runs", (3 / 2, 1e-3), gd)}


def test_figure_grid_hides_the_panels_it_does_not_need(tmp_path, monkeypatch):
    tasks = [t for t in build_tasks("table-a1", seeds=1)
             if 16 not in (t.cfg["d"], t.cfg["m_gen"]) and t.method == "gls"]
    groups = list(dict.fromkeys(t.group for t in tasks))
    assert len(groups) == 5                                                     # 3 columns, 2 rows
    fig = _figure(monkeypatch, "table-a1", tasks, [], tmp_path / "f.png")
    assert len(fig.axes) == 6 and [ax.get_visible() for ax in fig.axes] == [True] * 5 + [False]
    assert [ax.get_title() for ax in fig.axes[:5]] == [report._panel_title(g) for g in groups]
    for ax in fig.axes[:5]:                                                     # no runs: the paper only
        assert [ln.get_label() for ln in ax.get_lines()] == ["GLS (paper)"] and not ax.collections


def test_write_report_files_and_sections(tmp_path):
    tasks = build_tasks("figure3", quick=True, seeds=2)
    image = [t for t in tasks if t.cfg["kind"] == "image"]
    stray = {"key": "elsewhere", "status": "ok", "loss": 1.0, "config": {"zz": 1}}
    out = report.write_report("figure3", image, _image_records(image) + [stray], tmp_path / "o", name="mine")
    text = out["text"]
    assert text.splitlines()[0] == "# zonocomb reproduce figure3 (mine)"
    assert out["markdown"] == tmp_path / "o" / "mine.md" and out["markdown"].read_text() == text
    assert out["figure"] == tmp_path / "o" / "mine.png" and "![mine](mine.png)" in text
    assert set(out["tables"]) == {"A3"} and out["tables"]["A3"].name == "mine_table_A3.csv"
    assert "## Table A1" not in text and "## Table A3\n" in text                # no A1 rows planned
    assert "## Measured cost, table A3: CPU seconds per cell and method" in text
    assert "table A1: CPU" not in text and "## Cost per run" in text
    # the figures' tables list only the rows with planned runs: Fashion-MNIST m = 4, 8
    assert [line.split(" | ")[:2] for line in text.split("## Table A3\n\n")[1].splitlines()[2:4]] == \
           [["| FASHION MNIST", "4"], ["| FASHION MNIST", "8"]]
    import csv
    with out["runs"].open(newline="") as fh:
        rows = list(csv.reader(fh))
    cfg_cols = sorted({k for t in image for k in t.cfg})
    assert rows[0] == [f"cfg_{k}" for k in cfg_cols] + [
        "key", "method", "seed", "status", "loss", "loss_recomputed", "accuracy", "n_solves", "n_steps", "seconds",
        "wall_seconds", "cpu_seconds"]
    assert [r[len(cfg_cols)] for r in rows[1:]] == sorted(t.key for t in image)  # the tasks' runs, by key
    first = next(t for t in image if t.key == rows[1][len(cfg_cols)])
    assert rows[1][cfg_cols.index("loss")] == "logistic" and rows[1][-4] == str(20 + first.seed)
    with pytest.raises(InvalidInputError, match=r"unknown experiment 'table-a9'; expected one of \['table-a1'"):
        report.write_report("table-a9", image, [], tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_report_says_when_the_papers_table_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("ZONOCOMB_REFERENCE_DIR", raising=False)
    monkeypatch.setattr(report, "REFERENCE_DIRS", [])
    tasks = build_tasks("table-a3", quick=True, seeds=1)
    text = report.write_report("table-a3", tasks, _image_records(tasks), tmp_path)["text"]
    assert "## Table A3 (paper values unavailable: paper_table_a3_gd_vs_mgls.csv not found)" in text
    table = text.split("## Table A3")[1].split("## Cost per run")[0]
    assert "not run" not in table and table.count("(n=1)") == 16                # our 8 rows, 2 metrics x 2


# ----- the scheduler connection -------------------------------------------------------------------
def test_connect_scheduler_turns_each_failure_into_one_named_error(monkeypatch, capsys):
    import sys
    from zonocomb.experiments.cluster import connect_scheduler
    distributed = pytest.importorskip("dask.distributed")
    calls = []

    class FakeClient:
        dashboard_link = "http://host:8787/status"

        def __init__(self, address, timeout):
            calls.append((address, timeout))
            if address in failures:
                raise failures[address]

    failures = {"bad": ValueError("no scheme"), "peer": MemoryError(), "far": OSError(""),
                "slow": TimeoutError("timed out")}
    monkeypatch.setattr(distributed, "Client", FakeClient)
    client = connect_scheduler("tcp://host:8786")
    assert isinstance(client, FakeClient) and calls[-1] == ("tcp://host:8786", 5.0)
    assert capsys.readouterr().out == "Dask scheduler tcp://host:8786: dashboard http://host:8787/status\n"
    connect_scheduler("tcp://host:8786", timeout=1.5, quiet=True)
    assert calls[-1] == ("tcp://host:8786", 1.5) and capsys.readouterr().out == ""
    with pytest.raises(InvalidInputError, match=r"^--scheduler 'bad' is not a Dask scheduler address \(no scheme\)$"):
        connect_scheduler("bad")
    with pytest.raises(BackendError, match="^peer answered, but not as a Dask scheduler$"):
        connect_scheduler("peer")
    with pytest.raises(BackendError, match="^cannot reach the Dask scheduler at far within 2.5 s: OSError$"):
        connect_scheduler("far", timeout=2.5)
    with pytest.raises(BackendError, match="^cannot reach the Dask scheduler at slow within 5 s: timed out$"):
        connect_scheduler("slow")
    monkeypatch.setitem(sys.modules, "dask.distributed", None)                 # the extra not installed
    with pytest.raises(InvalidInputError,
                       match=r"^--scheduler needs dask.distributed: pip install 'zonocomb\[distributed\]'$"):
        connect_scheduler("tcp://host:8786")


class _Clock:
    """Stands in for the time module in runner: each call advances by a fixed step."""

    def __init__(self, wall_step, cpu_step):
        self.wall, self.cpu, self.wall_step, self.cpu_step = 0.0, 0.0, wall_step, cpu_step

    def perf_counter(self):
        self.wall += self.wall_step
        return self.wall

    def process_time(self):
        self.cpu += self.cpu_step
        return self.cpu


def test_records_carry_wall_and_cpu_seconds_and_a_batch_shares_them(monkeypatch):
    monkeypatch.setattr(runner, "time", _Clock(6.0, 3.0))
    monkeypatch.setitem(runner.METHODS, "fake", lambda ds, c, rs: _Result(ds.y.astype(float)))
    rec = execute(_synthetic(method="fake"))
    assert (rec["wall_seconds"], rec["cpu_seconds"]) == (6.0, 3.0)
    monkeypatch.setitem(runner.BATCHED, "gd", lambda datasets, c, states, widths: [_Result(d.y.astype(float))
                                                                                  for d in datasets])
    records = runner.execute_batch([_gd(4, s, N=6) for s in range(3)])
    assert [(r["wall_seconds"], r["cpu_seconds"]) for r in records] == [(2.0, 1.0)] * 3


def test_the_data_directory_reaches_every_dataset_load(tmp_path, monkeypatch):
    seen = []
    real = runner.build_dataset
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: seen.append(data_dir) or real(task))
    monkeypatch.setitem(runner.METHODS, "fake", lambda ds, c, rs: _Result(ds.y.astype(float)))
    monkeypatch.setitem(runner.METHODS, "gd", lambda ds, c, rs: _Result(ds.y.astype(float)))
    monkeypatch.setitem(runner.BATCHED, "gd", lambda datasets, c, states, widths: [_Result(d.y.astype(float))
                                                                                  for d in datasets])
    tasks = [_synthetic(method="fake")] + [_gd(4, s, N=6) for s in range(2)] + [_gd(8, 0, N=6, d=3)]
    with RunStore(tmp_path / "r.sqlite") as st:
        summary = run_sweep(tasks, st, data_dir="/images")
    assert summary.n_ok == 4 and seen == ["/images"] * 4
    seen.clear()
    runner.execute_unit(tasks[1:3], "/other")
    runner.execute_unit(tasks[:1], "/third")
    assert seen == ["/other", "/other", "/third"]


# ----- sweeps: progress, interruptions, workers ---------------------------------------------------
def test_progress_bar_counts_every_task_and_starts_at_the_skipped_ones(tmp_path, monkeypatch):
    import tqdm.auto
    bars = []

    class Recorder:
        def __init__(self, **kwargs):
            self.kwargs, self.updates, self.closed = kwargs, 0, False
            bars.append(self)

        def update(self, n):
            self.updates += n

        def write(self, text):
            pass

        def close(self):
            self.closed = True

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    monkeypatch.setitem(runner.METHODS, "fake", lambda ds, c, rs: _Result(ds.y.astype(float)))
    tasks = [_synthetic(method="fake", seed=s) for s in range(4)]
    with RunStore(tmp_path / "r.sqlite") as st:
        run_sweep(tasks[:1], st)
        run_sweep(tasks, st, progress=True, desc="table-x")
    first, second = bars
    assert first.kwargs["disable"] is True and second.kwargs["disable"] is False
    assert (second.kwargs["total"], second.kwargs["initial"], second.kwargs["desc"]) == (4, 1, "table-x")
    assert second.kwargs["unit"] == "run" and second.updates == 3 and second.closed


def _image_cell(method="mgls", seeds=4):
    cfg = {"kind": "image", "dataset": "mnist", "d": 1, "N": 4, "m": 2, "loss": "logistic"}
    return [Task.make("t", cfg, method, s) for s in range(seeds)]


def test_an_interrupted_sweep_keeps_the_finished_seeds_of_an_image_cell(tmp_path, monkeypatch):
    # the seeds of one image cell form one unit, but a sweep in this process writes run by run
    tasks = _image_cell()
    assert [len(u) for u in runner.plan_units(tasks)] == [4]
    ds = Dataset([[0.0], [1.0], [2.0], [3.0]], y=[0, 1, 0, 1])
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: ds)
    calls = []

    def third_interrupts(dataset, cfg, rs):
        calls.append(rs)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return _Result(dataset.y.astype(float))
    monkeypatch.setitem(runner.METHODS, "mgls", third_interrupts)
    with RunStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tasks, st, workers=1)
        assert st.count() == 2 and len(st.finished_keys()) == 2


def test_workers_is_the_number_of_joblib_processes(tmp_path, monkeypatch):
    import joblib
    asked = []

    class InProcess:                                   # joblib's interface, run here
        def __init__(self, n_jobs=None, **kwargs):
            asked.append(n_jobs)

        def __call__(self, calls):
            return (f(*args, **kwargs) for f, args, kwargs in calls)

    monkeypatch.setattr(joblib, "Parallel", InProcess)
    monkeypatch.setitem(runner.METHODS, "fake", lambda ds, c, rs: _Result(ds.y.astype(float)))
    tasks = [_synthetic(method="fake", seed=s) for s in range(3)]
    for workers in (3, -1):
        with RunStore(tmp_path / f"r{workers}.sqlite") as st:
            assert run_sweep(tasks, st, workers=workers).n_ok == 3 and len(st.finished_keys()) == 3
    assert asked == [3, -1]


def test_a_cluster_sweep_sends_the_data_directory_cancels_its_futures_and_closes_its_own_client(tmp_path, monkeypatch):
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.setitem(runner.METHODS, "fake", lambda ds, c, rs: _Result(ds.y.astype(float)))
    clients = []

    class Future:
        def __init__(self, unit, data_dir):
            self.unit, self.data_dir = unit, data_dir

        def result(self):
            if any(t.seed == 2 for t in self.unit):
                raise KeyboardInterrupt
            return runner.execute_unit(self.unit, self.data_dir)

    class FakeClient(distributed.Client):              # no scheduler: units run here
        def __init__(self, address=None):
            self.address, self.cancelled, self.closed = address, None, False
            clients.append(self)

        def map(self, func, units, data_dir=None, pure=True):
            assert func is runner.execute_unit
            self.futures = [Future(u, data_dir) for u in units]
            return self.futures

        def cancel(self, futures):
            self.cancelled = futures

        def close(self):
            self.closed = True

        def __del__(self):
            pass

    monkeypatch.setattr(distributed, "Client", FakeClient)
    monkeypatch.setattr(distributed, "as_completed", iter)
    tasks = [_synthetic(method="fake", seed=s) for s in (0, 1)]
    with RunStore(tmp_path / "r.sqlite") as st:
        assert run_sweep(tasks, st, scheduler="tcp://cluster:8786", data_dir=tmp_path / "images").n_ok == 2
        (own,) = clients
        assert own.address == "tcp://cluster:8786" and own.closed and own.cancelled == own.futures
        assert [f.data_dir for f in own.futures] == [tmp_path / "images"] * len(own.futures)
        given = FakeClient()
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tasks + [_synthetic(method="fake", seed=2)], st, scheduler=given)
        assert given.cancelled == given.futures and not given.closed          # the caller's client stays open


def test_importing_from_a_missing_store_names_it(tmp_path):
    missing = tmp_path / "none.sqlite"
    with RunStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(InvalidInputError, match=rf"^no run store at {re.escape(str(missing))} to import from$"):
            st.import_runs(missing, ["k"])
    assert not missing.exists()
