"""Experiment design of ``--quick`` (zonocomb/experiments/tasks.py, build_tasks): the documented
subset and the number of runs in every cell (8 seeds on synthetic data, 4 on image tasks)."""
from __future__ import annotations

from collections import Counter

import pytest

from zonocomb.experiments import build_tasks
from zonocomb.experiments.tasks import EXPERIMENTS, QUICK_GD_STEPS

QUICK_RUNS = {"synthetic": 8, "image": 4}      # build_tasks' docstring


def _cells(tasks):
    """Runs per cell: (method, configuration) -> seeds, for the same experiment."""
    return Counter((t.method, t.config) for t in tasks)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_quick_runs_per_cell_are_8_synthetic_and_4_image_seeds_numbered_from_0(experiment):
    tasks = build_tasks(experiment, quick=True)
    per_cell = _cells(tasks)
    assert per_cell
    for (method, config), runs in per_cell.items():
        assert runs == QUICK_RUNS[dict(config)["kind"]], (method, config)
    for (method, config), runs in per_cell.items():
        assert sorted(t.seed for t in tasks if (t.method, t.config) == (method, config)) == list(range(runs))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_quick_gradient_descent_runs_the_quick_steps(experiment):
    for t in build_tasks(experiment, quick=True):
        if t.method == "gd":
            assert t.cfg["steps"] == QUICK_GD_STEPS[t.cfg["kind"]]


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_quick_seeds_override_applies_to_every_cell(experiment):
    assert set(_cells(build_tasks(experiment, quick=True, seeds=3)).values()) == {3}


def test_quick_image_cells_are_the_documented_subset():
    # table-a2 and table-a3 keep d = 8, N = 350 and the smaller widths; figure 2 keeps its
    # Fashion-MNIST d = 16, N = 700 panel; figure 3 table A3's Fashion-MNIST rows.
    def image_cells(experiment):
        return {(t.method, t.cfg["dataset"], t.cfg["d"], t.cfg["N"], t.cfg["m"])
                for t in build_tasks(experiment, quick=True) if t.cfg["kind"] == "image"}
    assert image_cells("table-a2") == {(meth, ds, 8, 350, m) for meth in ("gd", "random_vertex")
                                       for ds in ("mnist", "fashion") for m in (4, 8, 16)}
    assert image_cells("table-a3") == {(meth, ds, 8, 350, m) for meth in ("gd", "mgls")
                                       for ds in ("mnist", "fashion") for m in (4, 8)}
    assert image_cells("figure2") == {(meth, "fashion", 16, 700, m) for meth in ("gd", "random_vertex")
                                      for m in (4, 8, 16)}
    assert image_cells("figure3") == {(meth, "fashion", 8, 350, m) for meth in ("gd", "mgls") for m in (4, 8)}
