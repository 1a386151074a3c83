"""Experiment sweeps: task design vs the paper's tables, SQLite store, resumable runners, reports."""
from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from zonocomb.errors import InvalidInputError
from zonocomb.experiments import RunStore, Task, build_tasks, execute, run_sweep
from zonocomb.experiments import report, runner
from zonocomb.experiments.tasks import PAPER_GD_STEPS

def _paper_csv(name):
    """A paper table read straight from the package's CSV (csv module only, not load_paper_table)."""
    with (report.PAPER_TABLES_DIR / name).open(newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


# ----- a stand-in method: deterministic, instant, with a known loss ---------------------------------
@dataclass
class FakeResult:
    offset: float
    loss: float
    n_solves: int = 3
    n_steps: int = 2
    seconds: float = 0.0
    y: np.ndarray = None

    def predict(self, X):
        return self.y + self.offset


def fake_method(dataset, cfg, random_state):
    """f = labels + δ with δ depending on (m, random_state): MSE δ², known in advance."""
    delta = 1e-3 * cfg["m"] + 1e-6 * (random_state % 1000)
    return FakeResult(offset=delta, loss=delta ** 2, y=dataset.y)


def tiny_tasks(n_seeds=3, method="fake", experiment="test"):
    cfgs = [{"kind": "synthetic", "d": 2, "m_gen": 2, "N": 6, "m": m, "loss": "mse"} for m in (1, 2)]
    return [Task.make(experiment, c, method, s) for c in cfgs for s in range(n_seeds)]


@pytest.fixture
def fake_methods(monkeypatch):
    calls = []

    def counting(dataset, cfg, rs):
        calls.append(cfg["m"])
        return fake_method(dataset, cfg, rs)
    for name in ("fake", "gd", "random_vertex", "gls", "mgls"):
        monkeypatch.setitem(runner.METHODS, name, counting)
    monkeypatch.setattr(runner, "BATCHED", {})        # gradient descent runs one by one (faked)
    return calls


# ----- tasks ------------------------------------------------------------------------------------
def test_task_keys_are_stable_unique_and_experiment_free():
    a = build_tasks("table-a3")
    b = build_tasks("table-a3")
    assert [t.key for t in a] == [t.key for t in b]
    assert len({t.key for t in a}) == len(a)
    t = Task.make("x", {"m": 2, "kind": "synthetic"}, "gls", 3)
    assert t.key == 'gls|{"kind":"synthetic","m":2}|seed=3'
    assert Task.make("y", {"kind": "synthetic", "m": 2}, "gls", 3).key == t.key
    assert t.random_state == Task.make("y", {"kind": "synthetic", "m": 2}, "gls", 3).random_state
    # table A3's gradient descent runs are table A2's (d=8, N=350): computed once
    a2 = {t.key for t in build_tasks("table-a2") if t.method == "gd"}
    assert {t.key for t in a if t.method == "gd"} <= a2


def test_table_a1_design_matches_the_papers_filled_cells():
    _, rows = _paper_csv("paper_table_a1_synthetic.csv")
    expected = {(m, int(r["d"]), int(r["m_gen"]), int(r["m"]))
                for r in rows for m, col in (("gd", "gd_median_mse"), ("random_vertex", "random_vertex_median_mse"),
                                             ("gls", "gls_median_mse")) if r[col].strip()}
    tasks = build_tasks("table-a1")
    got = {(t.method, t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) for t in tasks}
    assert got == expected
    assert all(t.cfg["N"] == (t.cfg["d"] + 1) * t.cfg["m_gen"] for t in tasks)
    assert {t.cfg["steps"] for t in tasks if t.method == "gd"} == {PAPER_GD_STEPS["synthetic"]}
    assert {t.cfg["max_steps"] for t in tasks if t.method == "gls"} == {1024}


def test_paper_tables_ship_with_the_package_and_can_be_overridden(tmp_path, monkeypatch):
    # the three tables of appendix H (40, 40 and 8 rows) load from the package's own copy; a
    # directory in $ZONOCOMB_REFERENCE_DIR is searched first
    monkeypatch.delenv("ZONOCOMB_REFERENCE_DIR", raising=False)
    for name, n_rows in (("A1", 40), ("A2", 40), ("A3", 8)):
        spec = report.TABLES[name]
        fields, raw = _paper_csv(spec.csv)
        columns, rows = report.load_paper_table(spec)
        assert columns == fields and len(rows) == len(raw) == n_rows
        for r in raw:
            key = tuple(r[k] if k == "dataset" else int(r[k]) for k in spec.keys)
            assert rows[key] == {c: float(v) if v.strip() else None for c, v in r.items() if c not in spec.keys}
    spec = report.TABLES["A3"]
    (tmp_path / spec.csv).write_text("dataset,m,gd_loss\nMNIST,4,0.5\n")
    monkeypatch.setenv("ZONOCOMB_REFERENCE_DIR", str(tmp_path))
    assert report.load_paper_table(spec) == (["dataset", "m", "gd_loss"], {("MNIST", 4): {"gd_loss": 0.5}})


def test_table_a2_a3_design_matches_the_paper():
    _, rows2 = _paper_csv("paper_table_a2_gd_vs_random_vertex.csv")
    label = {"mnist": "MNIST", "fashion": "FASHION MNIST"}
    got2 = {(label[t.cfg["dataset"]], t.cfg["d"], t.cfg["N"], t.cfg["m"]) for t in build_tasks("table-a2")}
    assert got2 == {(r["dataset"], int(r["d"]), int(r["N"]), int(r["m"])) for r in rows2}
    _, rows3 = _paper_csv("paper_table_a3_gd_vs_mgls.csv")
    tasks3 = build_tasks("table-a3")
    assert {(label[t.cfg["dataset"]], t.cfg["m"]) for t in tasks3} == {(r["dataset"], int(r["m"])) for r in rows3}
    assert {(t.cfg["d"], t.cfg["N"]) for t in tasks3} == {(8, 350)}
    assert {t.cfg["loss"] for t in tasks3} == {"logistic"}


def test_quick_table_a1_covers_the_d4_rows_with_8_seeds():
    full = build_tasks("table-a1")
    quick = build_tasks("table-a1", quick=True)
    cells = lambda ts: {(t.method, t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) for t in ts}
    assert cells(quick) == {c for c in cells(full) if c[1] == 4}
    for cell in cells(quick):
        assert sum(1 for t in quick if (t.method, t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]) == cell) == 8
    assert all(t.cfg["steps"] < PAPER_GD_STEPS["synthetic"] for t in quick if t.method == "gd")
    assert all(t.cfg["steps"] == 500 for t in build_tasks("table-a1", quick=True, gd_steps=500)
               if t.method == "gd")


def _cells(tasks):
    out = {}
    for t in tasks:
        out.setdefault((t.method, t.cfg["d"], t.cfg["m_gen"], t.cfg["m"]), set()).add(t.seed)
    return out


def test_full_table_a1_has_87_cells_at_the_papers_run_counts():
    cells = _cells(build_tasks("table-a1"))
    assert len(cells) == 87
    runs = {method: {len(seeds) for (m, *_), seeds in cells.items() if m == method} for method, *_ in cells}
    assert runs == {"gls": {16}, "random_vertex": {16}, "gd": {8}}      # both readings of the paper
    assert sum(len(s) for s in cells.values()) == 15 * 8 + 40 * 16 + 32 * 16
    assert {len(s) for s in _cells(build_tasks("table-a1", seeds=3)).values()} == {3}


def test_backend_is_in_the_key_but_not_in_the_random_state():
    ours = {(t.method, t.config, t.seed): t for t in build_tasks("table-a1", quick=True)}
    paper = build_tasks("table-a1", quick=True, backend="cvxpy")
    assert len(paper) == len(ours)
    for t in paper:
        if t.method == "gd":                                   # no convex programs: the same runs
            assert t.cfg.get("backend") is None and (t.method, t.config, t.seed) in ours
            continue
        assert t.cfg["backend"] == "cvxpy"
        twin = ours[(t.method, tuple(kv for kv in t.config if kv[0] != "backend"), t.seed)]
        assert "backend" not in twin.cfg and twin.key != t.key
        assert twin.random_state == t.random_state              # same start vertex: paired runs
    with pytest.raises(InvalidInputError, match="unknown backend"):
        build_tasks("table-a1", backend="ecos")


def test_classes_of_image_tasks():
    default = build_tasks("table-a3", quick=True)
    assert [t.key for t in build_tasks("table-a3", quick=True, classes={"mnist": (4, 9)})] == \
           [t.key for t in default]                             # the paper's pair keeps the old keys
    five = build_tasks("table-a3", quick=True, classes={"mnist": [5, 9]})
    assert {t.cfg.get("classes") for t in five if t.cfg["dataset"] == "mnist"} == {(5, 9)}
    assert all("classes" not in t.cfg for t in five if t.cfg["dataset"] == "fashion")
    assert not {t.key for t in five if t.cfg["dataset"] == "mnist"} & {t.key for t in default}
    assert {t.group for t in five if t.cfg["dataset"] == "mnist"} == {("image", "mnist", 8, 350, (5, 9))}
    for bad in ({"mnist": (5, 5)}, {"mnist": (5, 10)}, {"cifar": (1, 2)}, {"mnist": "59"}):
        with pytest.raises(InvalidInputError):
            build_tasks("table-a3", quick=True, classes=bad)
    # a pair for a dataset the experiment never loads would change nothing: refused, even the default
    for experiment, pair in (("table-a1", {"mnist": (4, 9)}), ("figure2", {"mnist": (5, 9)}),
                             ("figure3", {"mnist": (5, 9)})):
        with pytest.raises(InvalidInputError, match=f"{experiment} --quick has no task on mnist"):
            build_tasks(experiment, quick=True, classes=pair)
    assert {t.cfg.get("classes") for t in build_tasks("figure2", quick=True, classes={"fashion": (0, 6)})
            if t.cfg["kind"] == "image"} == {(0, 6)}


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "sub/x", "/tmp/x", "a\\b"])
def test_a_report_name_with_a_folder_is_refused_before_any_run(tmp_path, capsys, monkeypatch, name):
    from zonocomb.cli import main
    monkeypatch.setattr(runner, "run_sweep", lambda *a, **k: pytest.fail("the sweep ran"))
    assert main(["reproduce", "table-a1", "--quick", "--db", str(tmp_path / "s.sqlite"), "--out",
                 str(tmp_path / "out"), "--name", name]) == 2
    assert "the report's name must be a file name stem without a folder" in capsys.readouterr().err
    with pytest.raises(InvalidInputError, match="file name stem"):
        report.write_report("table-a1", [], [], tmp_path / "out", name=name)
    assert list(tmp_path.iterdir()) == []


def test_plan_units_batches_gradient_descent_and_keeps_image_cells_together():
    a1 = build_tasks("table-a1", quick=True)
    units = runner.plan_units(a1)
    assert sorted(t.key for u in units for t in u) == sorted(t.key for t in a1)   # each task once
    gd_units = [u for u in units if u[0].method == "gd"]
    assert len(gd_units) == 3                                   # one per (d, m_gen): seeds x widths
    for u in gd_units:
        assert len(u) == 24 and len({t.group for t in u}) == 1
    assert all(len(u) == 1 for u in units if u[0].method != "gd")
    a2 = build_tasks("table-a2")
    for u in runner.plan_units(a2):
        widths, groups = {t.cfg["m"] for t in u}, {t.group for t in u}
        assert len(widths) == 1 and len(groups) == 1 and len({t.method for t in u}) == 1
        if u[0].method == "gd":                                 # split to stay within the limit
            assert len(u) * u[0].cfg["N"] * u[0].cfg["m"] <= runner.GD_BATCH_ELEMENTS or len(u) == 1
        else:
            assert len(u) == 16                                 # every seed of the cell
    costs = [runner.unit_cost(u) / len(u) for u in runner.plan_units(a1, order="cheapest-first")]
    assert costs == sorted(costs)
    costs = [runner.unit_cost(u) for u in runner.plan_units(a1)]
    assert costs == sorted(costs, reverse=True)
    with pytest.raises(InvalidInputError, match="unknown order"):
        runner.plan_units(a1, order="random")


def test_batched_sweep_stores_what_single_runs_give(tmp_path):
    tasks = [t for t in build_tasks("table-a1", quick=True, seeds=2, gd_steps=300)
             if t.method == "gd" and t.cfg["m_gen"] == 2]
    with RunStore(tmp_path / "r.sqlite") as st:
        summary = run_sweep(tasks, st, workers=1, progress=False)
        assert (summary.n_ok, summary.n_failed) == (6, 0)
        stored = {r["key"]: r for r in st.get([t.key for t in tasks])}
    for task in tasks:
        single, rec = execute(task), stored[task.key]
        assert rec["loss"] == pytest.approx(single["loss"], rel=1e-9, abs=1e-15)
        assert rec["loss_recomputed"] == pytest.approx(rec["loss"], rel=1e-9)
        assert rec["n_steps"] == 300 and rec["cpu_seconds"] >= 0 and rec["wall_seconds"] > 0


@pytest.mark.parametrize("kwargs", [{"experiment": "table-a9"}, {"experiment": "table-a1", "seeds": 0},
                                    {"experiment": "table-a1", "gd_steps": -5}])
def test_build_tasks_rejects_bad_arguments(kwargs):
    with pytest.raises(InvalidInputError):
        build_tasks(**kwargs)


# ----- store -----------------------------------------------------------------------------------
def _record(key, status="ok", loss=1.0):
    return {"key": key, "experiment": "e", "method": "gls", "seed": 0, "config": {"m": 1},
            "status": status, "loss": loss, "error": None if status == "ok" else "boom"}


def test_store_put_get_replace_and_errors(tmp_path):
    with RunStore(tmp_path / "sub" / "r.sqlite") as st:
        st.put(_record("a"))
        st.put(_record("b", status="error"))
        assert st.finished_keys() == {"a"}                     # errors are not finished
        st.put(_record("b", loss=2.0))                         # a retry overwrites
        assert st.finished_keys() == {"a", "b"} and st.count() == 2
        assert {r["key"]: r["loss"] for r in st.get(["a", "b", "zz"])} == {"a": 1.0, "b": 2.0}
        with pytest.raises(InvalidInputError, match="unknown run-record fields"):
            st.put({**_record("c"), "colour": "red"})
        with pytest.raises(InvalidInputError, match="required field 'status'"):
            st.put({k: v for k, v in _record("c").items() if k != "status"})
    with RunStore(tmp_path / "sub" / "r.sqlite") as st:        # persisted
        assert st.finished_keys() == {"a", "b"}


def test_store_concurrent_writers(tmp_path):
    path = tmp_path / "r.sqlite"
    shared = RunStore(path)
    other = RunStore(path)                                     # a second connection to the file

    def write(store, prefix):
        for i in range(40):
            store.put(_record(f"{prefix}-{i}", loss=float(i)))
    threads = [threading.Thread(target=write, args=(shared if k % 2 else other, f"t{k}")) for k in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(shared.finished_keys()) == 240 and other.count() == 240
    shared.close()
    other.close()


# ----- runner: resume after an interruption -------------------------------------------------------
def test_interrupted_sweep_resumes_without_loss_or_duplicates(tmp_path, monkeypatch):
    tasks = tiny_tasks(n_seeds=4)                               # 8 tasks
    calls = []

    def interrupt_at_fourth(dataset, cfg, rs):
        calls.append(rs)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return fake_method(dataset, cfg, rs)
    monkeypatch.setitem(runner.METHODS, "fake", interrupt_at_fourth)
    with RunStore(tmp_path / "r.sqlite") as st:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tasks, st, workers=1, progress=False)
        assert len(st.finished_keys()) == 3                     # only the in-flight task is lost
    monkeypatch.setitem(runner.METHODS, "fake", lambda d, c, rs: calls.append(rs) or fake_method(d, c, rs))
    with RunStore(tmp_path / "r.sqlite") as st:
        summary = run_sweep(tasks, st, workers=1, progress=False)
        assert (summary.n_skipped, summary.n_ok, summary.n_failed) == (3, 5, 0)
        rows = st.get([t.key for t in tasks])
        assert sorted(r["key"] for r in rows) == sorted(t.key for t in tasks)
        assert st.count() == len(tasks)
        again = run_sweep(tasks, st, workers=1, progress=False)
        assert (again.n_skipped, again.n_ok) == (8, 0)
    # every task ran exactly once to completion; the interrupted one ran twice
    assert len(calls) == 9 and len(set(calls)) == 8


def test_failed_task_is_recorded_and_retried(tmp_path, monkeypatch):
    tasks = tiny_tasks(n_seeds=1)

    def flaky(dataset, cfg, rs):
        if cfg["m"] == 2:
            raise InvalidInputError("solver fell over")
        return fake_method(dataset, cfg, rs)
    monkeypatch.setitem(runner.METHODS, "fake", flaky)
    with RunStore(tmp_path / "r.sqlite") as st:
        s = run_sweep(tasks, st, workers=1, progress=False)
        assert (s.n_ok, s.n_failed) == (1, 1)
        bad = [r for r in st.get([t.key for t in tasks]) if r["status"] == "error"]
        assert len(bad) == 1 and "solver fell over" in bad[0]["error"]
        monkeypatch.setitem(runner.METHODS, "fake", fake_method)
        s = run_sweep(tasks, st, workers=1, progress=False)
        assert (s.n_skipped, s.n_ok, s.n_failed) == (1, 1, 0)


def test_execute_record_checks_the_returned_network():
    task = tiny_tasks(n_seeds=1)[1]
    runner.METHODS["fake"] = fake_method
    try:
        rec = execute(task)
    finally:
        del runner.METHODS["fake"]
    delta = 1e-3 * 2 + 1e-6 * (task.random_state % 1000)
    assert rec["status"] == "ok" and rec["loss"] == pytest.approx(delta ** 2)
    assert rec["loss_recomputed"] == pytest.approx(delta ** 2, rel=1e-9)   # from predict(), independently
    assert rec["accuracy"] is None and rec["n_solves"] == 3
    assert execute(Task.make("t", {"kind": "synthetic", "d": 2, "m_gen": 1, "N": 3, "m": 1, "loss": "mse"},
                             "no-such-method", 0))["status"] == "error"


def _search_available():
    try:
        from zonocomb.search import random_vertex
        from zonocomb.datasets import synthetic
        random_vertex(synthetic(2, 2, 0), 2, random_state=0)
        return True
    except Exception:
        return False


real_search = pytest.mark.skipif(not _search_available(), reason="zonocomb.search is not usable yet")


def _real_tiny_tasks():
    cfgs = [{"kind": "synthetic", "d": 2, "m_gen": 2, "N": 6, "m": m, "loss": "mse", "mode": "synthetic"}
            for m in (2, 3)]
    return [Task.make("test", c, "random_vertex", s) for c in cfgs for s in range(2)]


@real_search
@pytest.mark.slow
def test_joblib_processes_reproduce_the_sequential_run(tmp_path):
    tasks = _real_tiny_tasks()
    with RunStore(tmp_path / "seq.sqlite") as a, RunStore(tmp_path / "par.sqlite") as b:
        run_sweep(tasks, a, workers=1, progress=False)
        run_sweep(tasks, b, workers=2, progress=False)
        ra = {r["key"]: r for r in a.get([t.key for t in tasks])}
        rb = {r["key"]: r for r in b.get([t.key for t in tasks])}
    assert set(ra) == set(rb) == {t.key for t in tasks}
    for k in ra:
        assert ra[k]["status"] == rb[k]["status"] == "ok"
        assert rb[k]["loss"] == pytest.approx(ra[k]["loss"], rel=1e-9, abs=1e-12)


@real_search
@pytest.mark.slow
def test_dask_local_cluster(tmp_path):
    """Workers in separate processes (as ``dask scheduler`` + ``dask worker`` would run them): the
    units, gradient descent batches included, travel to the workers and back."""
    distributed = pytest.importorskip("dask.distributed")
    tasks = _real_tiny_tasks() + [t for t in build_tasks("table-a1", quick=True, seeds=2, gd_steps=200)
                                  if t.method == "gd" and t.cfg["m_gen"] == 2]
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with RunStore(tmp_path / "r.sqlite") as st:
            summary = run_sweep(tasks, st, scheduler=client, progress=False)
            assert (summary.n_ok, summary.n_failed) == (len(tasks), 0)
            again = run_sweep(tasks, st, scheduler=client, progress=False)
            assert again.n_skipped == len(tasks) and again.n_ok == 0
            recs = st.get([t.key for t in tasks])
    for rec in recs:
        assert rec["loss"] == pytest.approx(execute(next(t for t in tasks if t.key == rec["key"]))["loss"],
                                            rel=1e-9, abs=1e-12)


# ----- report --------------------------------------------------------------------------------------
def _records_for(tasks, tmp_path):
    with RunStore(tmp_path / "r.sqlite") as st:
        run_sweep(tasks, st, workers=1, progress=False)
        return st.get([t.key for t in tasks])


@pytest.mark.parametrize("experiment, table, csv_name", [
    ("table-a1", "A1", "paper_table_a1_synthetic.csv"),
    ("table-a3", "A3", "paper_table_a3_gd_vs_mgls.csv")])
def test_report_columns_follow_the_paper_csv(tmp_path, fake_methods, monkeypatch, experiment, table, csv_name):
    tasks = build_tasks(experiment, quick=True, seeds=3)
    if experiment == "table-a3":     # image tasks: stand in the 8x8 digits for the data
        from zonocomb.datasets import digits_task
        monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: digits_task(d=8, N=350))
    records = _records_for(tasks, tmp_path)
    out = report.write_report(experiment, tasks, records, tmp_path / "out")
    fields, paper_rows = _paper_csv(csv_name)
    spec = report.TABLES[table]
    with open(out["tables"][table], newline="") as fh:
        reader = csv.DictReader(fh)
        columns, rows = reader.fieldnames, list(reader)
    values = [c for c in fields if c not in spec.keys]
    for c in values:                                           # every paper column, ours beside paper
        assert f"ours_{c}" in columns and f"paper_{c}" in columns
    assert len(rows) == len(paper_rows)                        # every row of the paper's table
    for ours, paper in zip(rows, paper_rows):
        assert [ours[k] for k in spec.keys] == [paper[k] for k in spec.keys]
        for c in values:
            assert (float(ours[f"paper_{c}"]) if ours[f"paper_{c}"] else None) == \
                   (float(paper[c]) if paper[c].strip() else None)
    # our medians are the medians of the stored losses
    by_row = {}
    for t in tasks:
        rec = next(r for r in records if r["key"] == t.key)
        by_row.setdefault((spec.row_key(t.cfg), t.method), []).append(rec["loss"])
    for row in rows:
        key = tuple(row[k] if k == "dataset" else int(row[k]) for k in spec.keys)
        for method, prefix in spec.methods.items():
            med_col = spec.columns(method, "loss")[0]
            if (key, method) in by_row:
                assert float(row[f"ours_{med_col}"]) == pytest.approx(np.median(by_row[key, method]))
                assert int(row[f"ours_{prefix}_n"]) == 3
            else:
                assert row[f"ours_{med_col}"] == ""
    text = out["text"]
    assert "not comparable" in text and "20,000 steps" in text   # quick GD is flagged
    assert out["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reproduce_cli_end_to_end_with_stand_in_methods(tmp_path, fake_methods, capsys, monkeypatch):
    from zonocomb.cli import main, reproduce
    monkeypatch.setattr(reproduce, "_check_image_data", lambda tasks, data_dir: None)
    db, out = tmp_path / "r.sqlite", tmp_path / "out"
    argv = ["reproduce", "figure3", "--quick", "--seeds", "2", "--workers", "1", "--db", str(db),
            "--out", str(out), "--no-progress"]
    real_build = runner.build_dataset
    from zonocomb.datasets import digits_task
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: (
        digits_task(d=8, N=350) if task.cfg["kind"] == "image" else real_build(task, data_dir)))
    assert main(argv) == 0
    n_first = len(fake_methods)
    assert main(argv) == 0                                        # resumed: nothing re-run
    assert len(fake_methods) == n_first
    printed = capsys.readouterr().out
    assert "already in the store" in printed and "Table A1" in printed and "Table A3" in printed
    assert (out / "figure3.png").is_file() and (out / "figure3_table_A3.csv").is_file()
    assert "20,000 steps" in (out / "figure3.md").read_text()


def test_two_backends_in_one_store_never_share_a_median(tmp_path, monkeypatch):
    def by_backend(dataset, cfg, rs):                           # the paper backend is 10x worse
        res = fake_method(dataset, cfg, rs)
        scale = 10.0 if cfg.get("backend") == "cvxpy" else 1.0
        return FakeResult(offset=res.offset * scale, loss=res.loss * scale ** 2, y=dataset.y)
    for name in ("gls", "random_vertex"):
        monkeypatch.setitem(runner.METHODS, name, by_backend)
    monkeypatch.setattr(runner, "BATCHED", {})
    monkeypatch.setitem(runner.METHODS, "gd", fake_method)
    ours = build_tasks("table-a1", quick=True, seeds=3)
    paper = build_tasks("table-a1", quick=True, seeds=3, backend="cvxpy")
    with RunStore(tmp_path / "r.sqlite") as st:
        run_sweep(ours, st, progress=False)
        s = run_sweep(paper, st, progress=False)
        assert s.n_skipped == sum(t.method == "gd" for t in paper)   # GD is shared, nothing else
        records = st.get([t.key for t in ours + paper])
    spec = report.TABLES["A1"]
    mine, theirs = report.aggregate(spec, ours, records), report.aggregate(spec, paper, records)
    for row, cells in mine.items():
        for method in ("gls", "random_vertex"):
            if method in cells:
                assert len(cells[method].loss) == len(theirs[row][method].loss) == 3
                assert np.median(theirs[row][method].loss) == pytest.approx(100 * np.median(cells[method].loss))


def test_old_store_gains_the_cpu_seconds_column(tmp_path):
    import sqlite3
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, experiment TEXT NOT NULL, method TEXT NOT NULL, "
                 "seed INTEGER NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, loss REAL, "
                 "loss_recomputed REAL, accuracy REAL, n_solves INTEGER, n_steps INTEGER, seconds REAL, "
                 "wall_seconds REAL, error TEXT, finished_at TEXT NOT NULL)")
    conn.execute("INSERT INTO runs (key, experiment, method, seed, config, status, loss, wall_seconds, "
                 "finished_at) VALUES ('a', 'e', 'gls', 0, '{}', 'ok', 1.0, 2.5, 'then')")
    conn.commit()
    conn.close()
    with RunStore(path) as st:
        st.put({**_record("b"), "cpu_seconds": 1.5, "wall_seconds": 3.0})
        rows = {r["key"]: r for r in st.get(["a", "b"])}
    assert rows["a"]["cpu_seconds"] is None and rows["b"]["cpu_seconds"] == 1.5
    assert report.cpu_seconds(rows["a"]) == 2.5 and report.cpu_seconds(rows["b"]) == 1.5


def test_a_store_with_only_the_required_columns_gains_the_others(tmp_path):
    """The store check accepts a runs table with the required columns only; every column that
    get() reads is then added (NULL for the rows already there)."""
    import sqlite3
    path = tmp_path / "bare.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (key TEXT PRIMARY KEY, experiment TEXT NOT NULL, method TEXT NOT NULL, "
                 "seed INTEGER NOT NULL, config TEXT NOT NULL, status TEXT NOT NULL, finished_at TEXT NOT NULL)")
    conn.execute("INSERT INTO runs VALUES ('a', 'e', 'gls', 0, '{}', 'ok', 'then')")
    conn.commit()
    conn.close()
    with RunStore(path) as st:
        st.put({**_record("b"), "n_steps": 7})
        rows = {r["key"]: r for r in st.get(["a", "b"])}
    assert set(rows["a"]) == set(rows["b"]) and rows["a"]["loss"] is None and rows["a"]["error"] is None
    assert rows["b"]["n_steps"] == 7


def test_cell_cost_table_sums_cpu_seconds(tmp_path):
    tasks = [Task.make("t", {"kind": "synthetic", "d": 4, "m_gen": 2, "N": 10, "m": m, "loss": "mse"}, meth, s)
             for m in (2, 4) for meth in ("gls", "random_vertex") for s in range(2)]
    records = [{"key": t.key, "status": "ok", "loss": 1.0, "accuracy": None,
                "cpu_seconds": 1.0 + t.seed + (10 if t.method == "gls" else 0), "wall_seconds": 99.0}
               for t in tasks if not (t.cfg["m"] == 4 and t.method == "gls" and t.seed == 1)]
    text = report.cell_cost_table(report.TABLES["A1"], tasks, records)
    lines = text.splitlines()
    assert lines[2] == "| 4 | 2 | 2 | 3.0 (2 runs) | 23.0 (2 runs) | 26.0 |"
    assert lines[3] == "| 4 | 2 | 4 | 3.0 (2 runs) | 11.0 (1/2 runs) | 14.0 |"
    assert "**6.0** (4/4 runs)" in lines[4] and "**34.0** (3/4 runs)" in lines[4] and "**40.0 s" in lines[4]


def test_remaining_cost_is_the_cells_median_less_what_runs_in_progress_spent():
    tasks = [Task.make("t", {"kind": "synthetic", "d": 4, "m_gen": 2, "N": 10, "m": m, "loss": "mse"}, "gls", s)
             for m in (2, 4, 8) for s in range(4)]
    cpu = {(2, 0): 10.0, (2, 1): 30.0, (2, 2): 100.0, (4, 0): 7.0}        # (m, seed) -> CPU of a finished run
    records = [{"key": t.key, "status": "ok", "loss": 1.0, "accuracy": None,
                "cpu_seconds": cpu[t.cfg["m"], t.seed], "wall_seconds": 1.0}
               for t in tasks if (t.cfg["m"], t.seed) in cpu]
    records.append({"key": tasks[7].key, "status": "error", "loss": None, "accuracy": None,   # retried: pending
                    "cpu_seconds": 1.0, "wall_seconds": 1.0})
    by = {(t.cfg["m"], t.seed): t.key for t in tasks}
    running = {by[2, 3]: (20.0, None), by[4, 1]: (50.0, None), by[8, 0]: (0.0, None)}   # (just saved)
    text = report.remaining_cost_table(report.TABLES["A1"], tasks, records, running)
    lines = text.splitlines()
    # m = 2: median 30, seed 3 has spent 20 -> 10; m = 4: median 7, seed 1 past it -> 0, seeds 2 and 3 -> 14
    assert lines[2] == "| 4 | 2 | 2 | GLS | 3/4 | 1 | 30 | 10 |"
    assert lines[3] == "| 4 | 2 | 4 | GLS | 1/4 | 1 | 7 | 14 |"
    assert lines[4] == "| 4 | 2 | 8 | GLS | 0/4 | 1 | – | unknown |"
    assert lines[-1] == ("About **24 CPU-seconds (0.0 CPU-hours)** for the 4 pending run(s) of cells with a "
                         "finished run; 4 more run(s) in cells with none have no estimate.")
    done = [{"key": t.key, "status": "ok", "loss": 1.0, "accuracy": None, "cpu_seconds": 1.0, "wall_seconds": 1.0}
            for t in tasks]
    assert report.remaining_cost_table(report.TABLES["A1"], tasks, done, {}) is None


def test_reproduce_report_only_prints_the_committed_report_and_flags(tmp_path, fake_methods, capsys, monkeypatch):
    from zonocomb.cli import main
    db, out = tmp_path / "r.sqlite", tmp_path / "out"
    argv = ["reproduce", "table-a1", "--quick", "--seeds", "2", "--workers", "1", "--db", str(db), "--out",
            str(out), "--name", "a1-test", "--backend", "paper", "--order", "cheapest-first", "--no-progress"]
    assert main(argv) == 0
    committed = (out / "a1-test.md").read_text()
    assert "--backend paper" in committed and "cvxpy + ECOS" in committed and "CPU seconds per cell" in committed
    n_calls = len(fake_methods)
    capsys.readouterr()
    assert main(argv[:-3] + ["--report-only"]) == 0
    assert len(fake_methods) == n_calls                           # nothing ran
    assert committed in capsys.readouterr().out
    assert (out / "a1-test.md").read_text() == committed
    assert main(argv) == 0 and len(fake_methods) == n_calls        # a finished sweep does nothing
    assert "0 runs finished now" in capsys.readouterr().out
    missing = tmp_path / "typo.sqlite"                            # no store there: no empty report
    assert main(["reproduce", "table-a1", "--quick", "--report-only", "--db", str(missing), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no store" in err and "Traceback" not in err and not missing.exists()
    for bad in (["--classes", "mnist=5-9"], ["--classes", "=5/9"], ["--classes", "mnist=5/5"]):
        assert main(["reproduce", "table-a3", "--report-only", "--db", str(db), "--out", str(out)] + bad) == 2
        err = capsys.readouterr().err
        assert "classes" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_figure_imports_the_tables_runs_and_runs_only_the_rest(tmp_path, fake_methods, capsys, monkeypatch):
    """Runs are keyed by configuration, so figure 3's synthetic rows are table A1's: --import
    copies them from the table's store (only read), and the sweep then runs only the others."""
    from zonocomb.cli import main, reproduce
    from zonocomb.datasets import synthetic
    monkeypatch.setattr(reproduce, "_check_image_data", lambda tasks, data_dir: None)
    monkeypatch.setattr(runner, "build_dataset", lambda task, data_dir=None: synthetic(2, 2, 0))
    out = tmp_path / "out"
    a1 = tmp_path / "a1.sqlite"
    common = ["--quick", "--seeds", "1", "--workers", "1", "--out", str(out), "--no-progress"]
    assert main(["reproduce", "table-a1", "--db", str(a1)] + common) == 0
    fig_tasks = build_tasks("figure3", quick=True, seeds=1)
    shared = {t.key for t in fig_tasks} & {t.key for t in build_tasks("table-a1", quick=True, seeds=1)}
    assert len(shared) > 1 and len(shared) < len(fig_tasks)
    failed = sorted(shared)[0]                                    # a failed run is not imported
    with RunStore(a1) as st:
        st.put({**st.get([failed])[0], "status": "error", "error": "planted"})
    shared.discard(failed)
    before = a1.read_bytes()
    fig = tmp_path / "fig3.sqlite"
    capsys.readouterr()
    fake_methods.clear()
    assert main(["reproduce", "figure3", "--db", str(fig), "--import", str(a1)] + common) == 0
    assert f"imported {len(shared)} finished runs" in capsys.readouterr().out
    assert len(fake_methods) == len(fig_tasks) - len(shared)     # only the runs the table lacks
    assert a1.read_bytes() == before                              # the table's store only read
    with RunStore(fig) as st, RunStore(a1) as src:
        ours, theirs = st.get(sorted(shared)), src.get(sorted(shared))
    assert [(r["key"], r["loss"], r["cpu_seconds"]) for r in ours] == \
        [(r["key"], r["loss"], r["cpu_seconds"]) for r in theirs]
    fake_methods.clear()                                          # importing again copies nothing
    assert main(["reproduce", "figure3", "--db", str(fig), "--import", str(a1), "--report-only"] + common) == 0
    assert "imported 0 finished runs" in capsys.readouterr().out and not fake_methods
    assert main(["reproduce", "figure3", "--db", str(fig), "--import", str(tmp_path / "none.sqlite")] + common) == 2
    assert "no store" in capsys.readouterr().err


def _committed_reports():
    results = Path(__file__).resolve().parents[1] / "docs" / "results"
    return sorted(p for p in results.glob("*.md") if p.with_suffix(".sqlite").is_file())


@pytest.mark.slow
@pytest.mark.parametrize("md", _committed_reports(), ids=lambda p: p.name)
def test_committed_store_rebuilds_the_committed_report(md, tmp_path):
    """docs/results/<name>.sqlite is committed with <name>.md: the report is rebuilt from the store."""
    import argparse
    import shlex
    from zonocomb.cli import reproduce
    from zonocomb.experiments.tasks import BACKENDS
    text = md.read_text()
    command = next(line for line in text.splitlines() if line.startswith("Command: `"))[10:-1]
    parser = argparse.ArgumentParser()
    reproduce.register(parser.add_subparsers())
    args = parser.parse_args(shlex.split(command)[1:])
    assert Path(args.db).name == md.with_suffix(".sqlite").name
    tasks = build_tasks(args.experiment, quick=args.quick, seeds=args.seeds, gd_steps=args.gd_steps,
                        backend=BACKENDS[args.backend], classes=reproduce.parse_classes(args.classes))
    import shutil
    shutil.copyfile(md.with_suffix(".sqlite"), tmp_path / "copy.sqlite")   # the committed file stays untouched
    with RunStore(tmp_path / "copy.sqlite") as st:
        records = st.get([t.key for t in tasks])
        running = runner.in_progress(st, tasks)
    out = report.write_report(args.experiment, tasks, records, tmp_path / "out", command=command, name=args.name,
                              in_progress=running)
    assert out["text"] == text


def test_classes_option_selects_the_pair_in_the_tasks():
    from zonocomb.cli.reproduce import parse_classes
    assert parse_classes(["mnist=5/9", "fashion=0/6"]) == {"mnist": (5, 9), "fashion": (0, 6)}
    tasks = build_tasks("table-a3", quick=True, classes=parse_classes(["mnist=5/9"]))
    assert {(t.cfg["dataset"], t.cfg.get("classes")) for t in tasks} == {("mnist", (5, 9)), ("fashion", None)}


@pytest.mark.parametrize("tty, env, flags, shown", [
    (False, {}, [], False),                       # not a terminal
    (True, {}, [], True),
    (True, {"TQDM_DISABLE": "1"}, [], False),
    (True, {"TQDM_DISABLE": "0"}, [], True),
    (True, {}, ["--no-progress"], False),
    (True, {}, ["-q"], False),
])
def test_reproduce_progress_bar_only_on_a_terminal(tmp_path, fake_methods, capsys, monkeypatch, tty, env, flags,
                                                   shown):
    import sys
    from zonocomb.cli import main, reproduce
    monkeypatch.setattr(reproduce, "_check_image_data", lambda tasks, data_dir: None)
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    import tqdm.auto
    bars, real_tqdm = [], tqdm.auto.tqdm

    def recording(*args, **kwargs):                               # every bar drawn or not
        bars.append(not kwargs.get("disable", False))
        return real_tqdm(*args, **kwargs)

    monkeypatch.setattr(tqdm.auto, "tqdm", recording)
    argv = ["reproduce", "table-a1", "--quick", "--seeds", "1", "--workers", "1",
            "--db", str(tmp_path / "r.sqlite"), "--out", str(tmp_path / "out")] + flags
    assert main(argv) == 0
    assert bars == [shown]
    assert ("table-a1:" in capsys.readouterr().err) == shown  # tqdm draws its description on stderr


@pytest.mark.parametrize("quiet", [False, True])
def test_reproduce_prints_status_lines_unless_quiet(tmp_path, fake_methods, capsys, monkeypatch, quiet):
    import time
    from zonocomb.cli import main
    monkeypatch.setattr(runner, "STATUS_SECONDS", 0.005)
    real = runner.METHODS["random_vertex"]
    monkeypatch.setitem(runner.METHODS, "random_vertex", lambda *a: time.sleep(0.01) or real(*a))
    argv = ["reproduce", "table-a1", "--quick", "--seeds", "1", "--workers", "1", "--db", str(tmp_path / "r.sqlite"),
            "--out", str(tmp_path / "out"), "--no-progress"] + (["-q"] if quiet else [])
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert ("runs finished" in err) != quiet
