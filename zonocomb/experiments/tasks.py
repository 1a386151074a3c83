"""The experimental design of the paper's appendix H as a list of independent tasks.

A :class:`Task` is one run: (experiment, configuration, method, seed). The configuration holds
everything that determines the result — the problem (synthetic d, m_gen or image dataset, classes,
d, N), the width m, the loss and the method's parameters (steps, learning rate, ...). Its
:attr:`Task.key` is a stable string built from the configuration, method and seed only (not the
experiment name), so a run shared by two experiments (table A3's gradient descent rows are table
A2's; the figures reuse table rows) is computed once.

Seeds. For synthetic problems seed s draws the dataset (``synthetic(d, m_gen, s)``), so the
methods and widths of one seed see the same data; for image tasks the data are fixed (the paper
"always chose the same examples") and the seed only moves the initialisation. The method's own
random state is derived from the key (:attr:`Task.random_state`), so every run is reproducible
from its task alone.

Backends. The convex programs of GLS, mGLS and random vertex are solved by the ``"fast"`` backend
unless the configuration names another (``"backend": "ecos-defaults"`` for ``reproduce --backend
paper``, cvxpy + ECOS at its default settings as in the paper; ``"cvxpy"`` for ``--backend
paper-tight``, ECOS at tolerances 1e-9). The backend is part of the key, so runs of two backends are stored
in separate rows and never share a median, but not of the random state: seed s starts from the
same vertex under both backends, and the two can be compared run by run.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..errors import InvalidInputError

__all__ = ["Task", "EXPERIMENTS", "METHOD_LABELS", "PAPER_GD_STEPS", "QUICK_GD_STEPS", "PAPER_RUNS",
           "BACKENDS", "A1_GROUPS", "build_tasks", "overparameterization"]

#: Experiment names accepted by :func:`build_tasks` (and ``zonocomb reproduce``).
EXPERIMENTS = ("table-a1", "table-a2", "table-a3", "figure2", "figure3")

METHOD_LABELS = {"gd": "gradient descent", "random_vertex": "random vertex", "gls": "GLS",
                 "mgls": "mGLS"}

#: Appendix H.1.2 / H.2.2: batch gradient descent steps in the paper.
PAPER_GD_STEPS = {"synthetic": 400_000, "image": 1_000_000}
#: Gradient descent steps of ``--quick`` runs (far fewer than the paper; reports say so).
QUICK_GD_STEPS = {"synthetic": 20_000, "image": 20_000}
#: Runs per (configuration, method) at the paper's scale. The table A1 caption says 16 for GLS
#: and 8 for the rest, H.1.3 and H.2.3 say 16 for random vertex and 8 for the rest: 16 for both
#: GLS and random vertex covers both readings.
PAPER_RUNS = {"gd": 8, "random_vertex": 16, "gls": 16, "mgls": 8}
QUICK_SEEDS = {"synthetic": 8, "image": 4}
#: ``reproduce --backend`` choices -> the convex backend of GLS, mGLS and random vertex.
BACKENDS = {"ours": "fast", "paper": "ecos-defaults", "paper-tight": "cvxpy"}

# Table A1 (appendix H.1.3): (d, m_gen) groups; widths m = factor·m_gen for factors
# 1, 1.5, 2, 4, 8. Gradient descent ran at factors 1, 1.5, 2 in the groups marked True, random
# vertex at all five, GLS at 1, 2, 4, 8.
A1_GROUPS = ((4, 2, True), (4, 4, True), (4, 8, True), (8, 4, True), (8, 8, True),
             (8, 16, False), (16, 8, False), (16, 16, False))
_A1_FACTORS = {"gd": (1, 1.5, 2), "random_vertex": (1, 1.5, 2, 4, 8), "gls": (1, 2, 4, 8)}
# Tables A2 / A3 (appendix H.2.3).
_A2_WIDTHS = (4, 8, 16, 32, 64)
_A3_WIDTHS = (4, 8, 16, 32)


@dataclass(frozen=True)
class Task:
    """One run of one method on one problem with one seed.

    Attributes
    ----------
    experiment : str
        The experiment that asked for the run (a label only; not part of :attr:`key`).
    config : tuple of (str, value) pairs
        Sorted items of the configuration dict (see :attr:`cfg`).
    method : str
        ``"gd"``, ``"random_vertex"``, ``"gls"`` or ``"mgls"``.
    seed : int
        Run index: draws the synthetic dataset and (through :attr:`random_state`) the method.
    """

    experiment: str
    config: tuple
    method: str
    seed: int

    @classmethod
    def make(cls, experiment: str, config: dict, method: str, seed: int) -> "Task":
        return cls(experiment, tuple(sorted(config.items())), method, int(seed))

    @property
    def cfg(self) -> dict:
        """The configuration as a dict (a fresh copy)."""
        return dict(self.config)

    @property
    def key(self) -> str:
        """Stable identifier: method, canonical JSON of the configuration, seed."""
        return f"{self.method}|{json.dumps(self.cfg, sort_keys=True, separators=(',', ':'))}|seed={self.seed}"

    @property
    def random_state(self) -> int:
        """The method's seed: the first 8 bytes of SHA-256(key), as a non-negative int, where the
        key is taken without a ``backend`` entry (both backends start from the same vertex)."""
        cfg = {k: v for k, v in self.cfg.items() if k != "backend"}
        key = Task(self.experiment, tuple(sorted(cfg.items())), self.method, self.seed).key
        return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1

    @property
    def group(self) -> tuple:
        """The problem this run belongs to, without the width: ("synthetic", d, m_gen) or
        ("image", dataset, d, N, classes) (classes None for the paper's default pair)."""
        c = self.cfg
        if c["kind"] == "synthetic":
            return ("synthetic", c["d"], c["m_gen"])
        return ("image", c["dataset"], c["d"], c["N"], c.get("classes"))

    @property
    def cost_hint(self) -> float:
        """Rough seconds of the run on one core of the development machine, used only to order a
        sweep (a scheduling heuristic, not a measurement).

        Gradient descent: ``steps × (18 µs + 2.7 ns · m·N)`` (``benchmarks/gd_batch.py``, one run
        at a time). Convex methods, per region program: ``s = 0.4 ms · (m·N / 1152)^1.1``, at least
        50 µs, with the fast backend (``benchmarks/region_solve.py``: 0.44 ms at N = 72, m = 16; a GLS step at
        (d, m_gen, m) = (16, 16, 128) took about 3 minutes), 100 times more with cvxpy; random
        vertex solves about 5 programs, GLS and mGLS about N/4 steps of m·N/4 neighbours.
        """
        c = self.cfg
        size = float(c["m"] * c["N"])
        if self.method == "gd":
            return c["steps"] * (18e-6 + 2.7e-9 * size)
        solve = max(5e-5, 4e-4 * (size / 1152) ** 1.1) * (1.0 if c.get("backend", "fast") == "fast" else 100.0)
        if self.method in ("gls", "mgls"):
            return (c["N"] / 4) * (size / 4) * solve
        return 5 * solve


def overparameterization(cfg: dict) -> float:
    """The overparameterization factor m(d+1)/N of figures 2 and 3 (= m/m_gen on synthetic data)."""
    return cfg["m"] * (cfg["d"] + 1) / cfg["N"]


def _method_params(kind: str, method: str, gd_steps: int | None, quick: bool, backend: str) -> dict:
    loss = "mse" if kind == "synthetic" else "logistic"
    solver = {} if backend == "fast" else {"backend": backend}     # "fast" keeps the keys of old stores
    if method == "gd":
        steps = gd_steps if gd_steps is not None else (QUICK_GD_STEPS if quick else PAPER_GD_STEPS)[kind]
        return {"loss": loss, "steps": int(steps), "lr": 1e-3, "train_output": kind == "synthetic"}
    if method == "random_vertex":
        return {"loss": loss, "mode": "synthetic" if kind == "synthetic" else "classification", **solver}
    if method == "gls":
        return {"loss": loss, "max_steps": 1024, **solver}
    if method == "mgls":
        return {"loss": loss, "max_steps": 2048, **solver}
    raise InvalidInputError(f"unknown method {method!r}; expected one of {sorted(METHOD_LABELS)}")


def _runs(method: str, kind: str, seeds: int | None, quick: bool) -> int:
    if seeds is not None:
        return seeds
    return QUICK_SEEDS[kind] if quick else PAPER_RUNS[method]


def _synthetic_tasks(experiment, groups, methods, seeds, gd_steps, quick, backend, classes):
    tasks = []
    for d, m_gen, has_gd in groups:
        for method in methods:
            if method == "gd" and not has_gd:
                continue
            for factor in _A1_FACTORS[method]:
                m = int(factor * m_gen)
                cfg = {"kind": "synthetic", "d": d, "m_gen": m_gen, "N": (d + 1) * m_gen, "m": m,
                       **_method_params("synthetic", method, gd_steps, quick, backend)}
                tasks += [Task.make(experiment, cfg, method, s)
                          for s in range(_runs(method, "synthetic", seeds, quick))]
    return tasks


def _image_tasks(experiment, datasets, dims, sizes, widths, methods, seeds, gd_steps, quick, backend,
                 classes):
    tasks = []
    for name in datasets:
        pair = {"classes": classes[name]} if name in classes else {}
        for d in dims:
            for N in sizes:
                for method in methods:
                    for m in widths:
                        cfg = {"kind": "image", "dataset": name, "d": d, "N": N, "m": m, **pair,
                               **_method_params("image", method, gd_steps, quick, backend)}
                        tasks += [Task.make(experiment, cfg, method, s)
                                  for s in range(_runs(method, "image", seeds, quick))]
    return tasks


def _check_classes(classes) -> dict:
    """``{dataset: (a, b)}`` with the paper's default pairs left out (their keys stay as before)."""
    from ..datasets.images import DEFAULT_CLASSES, check_classes
    out = {}
    for name, pair in dict(classes or {}).items():
        if name not in DEFAULT_CLASSES:
            raise InvalidInputError(f"unknown image dataset {name!r} in classes; expected one of "
                                    f"{sorted(DEFAULT_CLASSES)}")
        pair = check_classes(pair)
        if pair != DEFAULT_CLASSES[name]:
            out[name] = pair
    return out


def build_tasks(experiment: str, quick: bool = False, seeds: int | None = None,
                gd_steps: int | None = None, backend: str = "fast", classes=None) -> list[Task]:
    """All tasks of one experiment of appendix H.

    Parameters
    ----------
    experiment : {"table-a1", "table-a2", "table-a3", "figure2", "figure3"}
        table-a1: synthetic data, every (d, m_gen, m, method) cell the paper's table A1 fills.
        table-a2: MNIST 4/9 and Fashion-MNIST 2/4, d ∈ {8, 16}, N ∈ {350, 700}, m ∈ {4..64},
        gradient descent and random vertex. table-a3: d = 8, N = 350, m ∈ {4..32}, gradient
        descent and mGLS. figure2: table A1's d=8, m_gen=8 rows and table A2's Fashion-MNIST
        d=16, N=700 rows (gradient descent, random vertex). figure3: table A1's d=4, m_gen=2 rows
        (gradient descent, GLS) and table A3's Fashion-MNIST rows (gradient descent, mGLS).
    quick : bool
        A subset that runs in minutes: table-a1 keeps the d = 4 rows; image experiments keep
        d = 8, N = 350 (figure 2: its d=16, N=700 panel) and the smaller widths; gradient descent
        runs :data:`QUICK_GD_STEPS` steps; image tasks use 4 seeds.
    seeds : int, optional
        Runs per (configuration, method); default :data:`PAPER_RUNS` (16 for GLS and random
        vertex, 8 for gradient descent and mGLS; the paper's table A1 caption and section H.1.3
        disagree on which method had 16), or with ``quick`` 8 (4 for image tasks).
    gd_steps : int, optional
        Overrides the number of gradient descent steps.
    backend : {"fast", "ecos-defaults", "cvxpy"}, default "fast"
        Convex backend of GLS, mGLS and random vertex (stored in the configuration unless
        "fast"; see the module docstring).
    classes : dict, optional
        ``{"mnist": (5, 9)}``: the class pair of an image dataset (default: appendix H.2.1's,
        MNIST 4/9 and Fashion-MNIST pullover/coat); stored in the configuration unless default.
        A dataset the experiment does not use is refused.

    Returns
    -------
    list of Task
        Unique tasks (by key), in a deterministic order.
    """
    if experiment not in EXPERIMENTS:
        raise InvalidInputError(f"unknown experiment {experiment!r}; expected one of {list(EXPERIMENTS)}")
    if seeds is not None and (isinstance(seeds, bool) or int(seeds) != seeds or seeds < 1):
        raise InvalidInputError(f"seeds must be a positive integer, got {seeds!r}")
    if gd_steps is not None and (isinstance(gd_steps, bool) or int(gd_steps) != gd_steps or gd_steps < 1):
        raise InvalidInputError(f"gd_steps must be a positive integer, got {gd_steps!r}")
    if backend not in BACKENDS.values():
        raise InvalidInputError(f"unknown backend {backend!r}; expected one of {sorted(BACKENDS.values())}")
    args = dict(seeds=seeds, gd_steps=gd_steps, quick=quick, backend=backend, classes=_check_classes(classes))
    if experiment == "table-a1":
        groups = [g for g in A1_GROUPS if g[0] == 4] if quick else list(A1_GROUPS)
        tasks = _synthetic_tasks(experiment, groups, ("gd", "random_vertex", "gls"), **args)
    elif experiment == "table-a2":
        dims, sizes, widths = ((8,), (350,), (4, 8, 16)) if quick else ((8, 16), (350, 700), _A2_WIDTHS)
        tasks = _image_tasks(experiment, ("mnist", "fashion"), dims, sizes, widths,
                             ("gd", "random_vertex"), **args)
    elif experiment == "table-a3":
        widths = (4, 8) if quick else _A3_WIDTHS
        tasks = _image_tasks(experiment, ("mnist", "fashion"), (8,), (350,), widths,
                             ("gd", "mgls"), **args)
    elif experiment == "figure2":
        tasks = _synthetic_tasks(experiment, [(8, 8, True)], ("gd", "random_vertex"), **args)
        widths = (4, 8, 16) if quick else _A2_WIDTHS
        tasks += _image_tasks(experiment, ("fashion",), (16,), (700,), widths,
                              ("gd", "random_vertex"), **args)
    else:  # figure3
        tasks = _synthetic_tasks(experiment, [(4, 2, True)], ("gd", "gls"), **args)
        widths = (4, 8) if quick else _A3_WIDTHS
        tasks += _image_tasks(experiment, ("fashion",), (8,), (350,), widths, ("gd", "mgls"), **args)
    unused = sorted(set(dict(classes or {})) - {t.cfg["dataset"] for t in tasks if t.cfg["kind"] == "image"})
    if unused:
        raise InvalidInputError(f"{experiment}{' --quick' if quick else ''} has no task on {', '.join(unused)}, "
                                "so a class pair for it would change nothing")
    unique = {}
    for t in tasks:
        unique.setdefault(t.key, t)
    return list(unique.values())
