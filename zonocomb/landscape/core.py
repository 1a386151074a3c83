"""The loss landscape on the skeleton of Z^m: every vertex solved, local minima, GLS basins.

For fixed output weights v, every vertex A of Z^m (an activation pattern, paper §3 and appendix
A.3.1) has the optimal loss L*(A) of program (3). :func:`landscape` computes L* at every vertex, up
to permutations of units with equal output weight (the classes of :mod:`.classes`, as in
:func:`zonocomb.search.exact_erm`), and from it where greedy local search (paper Algorithm 2,
:func:`zonocomb.search.gls`) goes from every vertex, with its rule (:func:`zonocomb.search.gls.gls_choice`).

Terms used throughout:

* a *stop* is a vertex where GLS stops: no neighbour improves by GLS's margin, or the loss is at
  GLS's floor (``L ≤ atol``). A stop above the floor is a *local minimum* (``gls`` started there
  returns ``info["local_minimum"] = True``); stops at the floor are *floor* vertices (``gls``
  returns ``local_minimum=False, reached_floor=True``). Plateaus are explicit: a stop may have
  neighbours of equal loss within the margin; every vertex of such a plateau is a stop;
* the *basin* of a stop: the vertices from which GLS ends there;
* *reaching the global minimum*: ending at a loss ≤ ``goal`` = L_min + max(rtol·L_min, atol),
  the smallest loss GLS's margin cannot tell apart from the global minimum L_min.
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
from tqdm.auto import tqdm

from ..convex import RegionProblem
from ..convex.region import check_output_weights
from ..errors import InvalidInputError, TooLargeError
from ..files import atomic_write
from ..search import half_output_weights, single_threaded_blas
from ..search.exact_erm import unit_groups
from ..search.gradient_descent import gradient_descent
from ..search.gls import mgls
from ..geometry.power import ZonotopePower
from ..search.oracle import CERTIFIED_STATUSES, RegionOracle
from ..validation import check_int, check_random_state
from .basins import WALK_BLOCK, gls_successors, gls_walks, walk_ends
from .classes import VertexClasses
from ..search.gls import gls_tolerances
from .solve import solve_classes

__all__ = ["landscape", "Landscape", "Estimate", "DEFAULT_MAX_CLASSES", "estimate_seconds", "check_size"]

#: Largest number of vertex classes :func:`landscape` solves unless told otherwise.
DEFAULT_MAX_CLASSES = 300_000


@dataclass(frozen=True)
class Estimate:
    """A success probability estimated by sampling, with the optimality gaps of the runs.

    Attributes
    ----------
    method : str
        ``"gls"``, ``"mgls"``, ``"random_vertex"`` or ``"gd"``.
    label : str
        How the runs were drawn (says "sampled").
    successes, trials : int
        Runs ending at a loss ≤ the landscape's ``goal``, and all runs.
    gaps : numpy.ndarray of float
        Final loss minus the global minimum, per run (the method's own loss; may be −1e-15 or so
        from rounding).
    ends : numpy.ndarray of int
        The class each run ended in (−1: not a vertex, e.g. GD stopped on a boundary).
    """

    method: str
    label: str
    successes: int
    trials: int
    gaps: np.ndarray
    ends: np.ndarray

    @property
    def p(self) -> float:
        return self.successes / self.trials if self.trials else float("nan")

    @property
    def stderr(self) -> float:
        """Binomial standard error sqrt(p(1−p)/n) of :attr:`p`."""
        return math.sqrt(self.p * (1 - self.p) / self.trials) if self.trials else float("nan")


class Landscape:
    """The result of :func:`landscape`; see that function and the module notes for the terms.

    Attributes
    ----------
    classes : VertexClasses
        Canonical members ``classes.reps``, sizes ``classes.counts``, neighbours ``classes.nbr``.
    losses : numpy.ndarray of float, shape (C,)
        L* of each class.
    status : numpy.ndarray of str, shape (C,)
        The solver status of each class (:data:`zonocomb.search.oracle.CERTIFIED_STATUSES`; for the
        logistic loss ``"optimal_loss"`` where the stars certified L* without deciding whether it
        is attained, :attr:`StarSolves.centre_status <zonocomb.convex.region.StarSolves>`).
    nxt : numpy.ndarray of int, shape (C,)
        GLS's next class from each canonical member, −1 at stops.
    ambiguous : numpy.ndarray of bool, shape (C,)
        GLS's least neighbour loss is attained, as the same float, by two different classes: the
        unit order of the member GLS stands on decides (such walks are followed member by member).
    basin : numpy.ndarray of int, shape (C,)
        The stop GLS reaches from each canonical member.
    vertex_ends : dict
        Stop class → number of vertices of Z^m (not classes) from which GLS ends there (exact).
    tie_risk : numpy.ndarray of bool, shape (C,)
        GLS's path from the class meets a step where another neighbour class's loss is within
        GLS's margin of the chosen one: solver rounding (``gls`` solves each neighbour afresh,
        warm-started from where it stands) can make a real ``gls`` run choose otherwise there. On
        the other paths a real run ends where :attr:`basin` says.
    global_min, goal : float
        The least loss L_min and the success threshold (module notes).
    rtol, atol : float
        GLS's margins on this data.
    estimates : dict of str → Estimate
        ``"gls"`` and ``"random_vertex"`` from Gaussian starts, ``"mgls"``, ``"gd"`` from runs.
    seconds : dict of str → float
        Wall times of the phases (``"solve"``, ``"basins"``, ``"sampling"``, ``"total"``).
    n_vertices : int
        |vert Z|^m.
    """

    def __init__(self, *, dataset, v, loss, fit_bias, backend, classes, losses, status, rtol, atol):
        self.dataset, self.v, self.loss_name = dataset, v, loss
        self.fit_bias, self.backend = fit_bias, backend
        self.classes, self.losses, self.status = classes, losses, status
        self.rtol, self.atol = rtol, atol
        self.m = len(v)
        self.n_vertices = classes.V ** self.m
        self.global_min = float(losses.min())
        self.goal = self.global_min + max(rtol * self.global_min, atol)
        self.nxt, self.ambiguous, near_tie = gls_successors(losses, classes.nbr, rtol, atol)
        self.basin, self._later = walk_ends(self.nxt, self.ambiguous)
        self.tie_risk = near_tie | walk_ends(self.nxt, near_tie)[1]
        self._memo: dict = {}                 # vertex bytes -> stop, shared by the walks below
        later = np.flatnonzero(self._later)
        self.basin[later] = self._ends(classes.reps[later])
        self.vertex_ends = self._vertex_ends()
        self.estimates: dict[str, Estimate] = {}
        self.seconds: dict[str, float] = {}

    # ----- GLS --------------------------------------------------------------------------------------
    def _ends(self, rows) -> np.ndarray:
        """GLS's stop from each vertex of ``rows`` (k, m), walked vertex by vertex (memoised)."""
        return gls_walks(self.classes, self.losses, rows, self.rtol, self.atol, self._memo)

    def _vertex_ends(self) -> dict:
        """Exact vertex counts per stop: the class successor where no tie can differ between
        members, a walk from every member otherwise."""
        affected = self.ambiguous | self._later
        ends = np.bincount(self.basin[~affected], weights=self.classes.counts[~affected],
                           minlength=len(self)).astype(np.int64)
        block: list = []
        for c in np.flatnonzero(affected):                 # members walked a block at a time
            block.extend(self.classes.members(self.classes.reps[c]))
            if len(block) >= WALK_BLOCK:
                np.add.at(ends, self._ends(block), 1)
                block = []
        if block:
            np.add.at(ends, self._ends(block), 1)
        return {int(c): int(ends[c]) for c in np.flatnonzero(ends)}

    def gls_path(self, A) -> list[int]:
        """The classes GLS visits from the vertex A ((m, N) pattern), per the landscape's losses."""
        return gls_walks(self.classes, self.losses, self.classes.index_rows([A]), self.rtol, self.atol,
                         paths=True)[1][0]

    def gls_end(self, rows: np.ndarray) -> np.ndarray:
        """The stop GLS reaches from each vertex given as index rows (k, m)."""
        rows = np.asarray(rows, dtype=np.int32)
        ids = self.classes.lookup(rows)
        ends = self.basin[ids].copy()
        canonical = (self.classes.canonical(rows) == rows).all(axis=1)
        walk = np.flatnonzero(~canonical & (self.ambiguous[ids] | self._later[ids]))
        ends[walk] = self._ends(rows[walk])
        return ends

    # ----- summaries --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.losses)

    def key(self, c: int) -> tuple:
        """The node key of class c: its canonical member as a tuple of unit barcodes."""
        return tuple(self.classes.barcodes[j] for j in self.classes.reps[c])

    def pattern(self, c: int) -> np.ndarray:
        """The canonical member of class c as an (m, N) bool pattern."""
        return self.classes.pattern(self.classes.reps[c])

    def class_of(self, A) -> int:
        """The class of the vertex A ((m, N) pattern)."""
        return int(self.classes.lookup(self.classes.index_rows([A]))[0])

    @cached_property
    def stops(self) -> np.ndarray:
        return np.flatnonzero(self.nxt < 0)

    @cached_property
    def local_minima(self) -> np.ndarray:
        """Stops above the floor (``gls`` reports ``local_minimum=True`` there), ascending id."""
        return self.stops[self.losses[self.stops] > self.atol]

    @cached_property
    def floor(self) -> np.ndarray:
        """Stops at the floor, L ≤ atol."""
        return self.stops[self.losses[self.stops] <= self.atol]

    @property
    def p_gls_uniform(self) -> float:
        """Fraction of the vertices of Z^m (uniform) from which GLS ends at loss ≤ ``goal`` (exact)."""
        hit = sum(n for c, n in self.vertex_ends.items() if self.losses[c] <= self.goal)
        return hit / self.n_vertices

    def gls_gaps(self) -> tuple[np.ndarray, np.ndarray]:
        """GLS's optimality gap from a uniform vertex: (gap values, vertex counts), gap ascending."""
        ends = np.array(sorted(self.vertex_ends), dtype=np.int64)
        gaps = self.losses[ends] - self.global_min
        order = np.argsort(gaps, kind="stable")
        return gaps[order], np.array([self.vertex_ends[int(c)] for c in ends[order]])

    def summary(self) -> str:
        """A few lines for people: sizes, minima, success probabilities, GD landings, times."""
        V, C = self.classes.V, len(self)
        lines = [f"vertices of Z: {V}; vertices of Z^{self.m}: {self.n_vertices}; classes solved: {C} "
                 f"(units grouped by output weight: {self.classes.groups})",
                 f"global minimum: {self.global_min:.6g} ({len(self.floor)} floor vertex classes, "
                 f"goal: loss <= {self.goal:.3g})",
                 f"local minima (GLS stops above the floor): {len(self.local_minima)} classes"]
        spectrum = np.sort(self.losses[self.local_minima])
        if spectrum.size:
            shown = ", ".join(f"{x:.4g}" for x in spectrum[:8])
            lines.append(f"  local-minimum losses: {shown}{' ...' if spectrum.size > 8 else ''}")
        risk = int(self.classes.counts[self.tie_risk].sum())
        lines.append(f"P(GLS -> global | uniform start) = {self.p_gls_uniform:.4f} (exact on these losses; "
                     f"{risk / self.n_vertices:.1%} of the vertices have a near-tie on their GLS path)")
        for est in self.estimates.values():
            lines.append(f"P({est.method} -> global) = {est.p:.4f} ± {est.stderr:.4f} "
                         f"({est.label}; {est.successes}/{est.trials})")
        gd = self.estimates.get("gd")
        if gd is not None and gd.trials:
            landed = [int(e) for e in gd.ends if e >= 0]
            basins = sorted({int(self.basin[e]) for e in landed})
            lines.append(f"GD landings: {len(set(landed))} distinct regions, in the basins of "
                         f"{len(basins)} stops; {sum(self.losses[e] <= self.goal for e in landed)} of "
                         f"{gd.trials} landed in a globally optimal region")
        bad = int((~np.isin(self.status, CERTIFIED_STATUSES)).sum())
        lines.append(f"uncertified solves: {bad}; times: " +
                     ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Landscape(classes={len(self)}, vertices={self.n_vertices}, global_min={self.global_min:.4g}, "
                f"local_minima={len(self.local_minima)}, p_gls_uniform={self.p_gls_uniform:.3f})")

    # ----- the graph ----------------------------------------------------------------------------------
    @cached_property
    def graph(self) -> nx.Graph:
        """The class graph as networkx: nodes keyed by :meth:`key` (tuple of unit barcodes).

        Node attributes: ``loss``, ``status``, ``count`` (vertices of Z^m in the class), ``stop``
        (``"local_minimum"``, ``"floor"`` or ``""``), ``gls_next`` and ``basin`` (node keys; the
        node itself at stops), ``basin_vertices`` (at stops: vertices of Z^m ending there),
        ``global`` (loss ≤ goal). Edge attributes, seen from the endpoint ``tail``'s canonical
        member: ``unit`` (the unit that moves), ``flipped`` (the examples whose activation flips)
        and ``moves`` (how many of the tail member's moves reach the other class). Graph
        attributes: the summary numbers. Built on first use: O(C·mD) time and memory.
        """
        G = nx.Graph(loss=self.loss_name, m=self.m, v=str([float(x) for x in self.v]),
                     global_min=self.global_min, goal=self.goal, rtol=self.rtol, atol=self.atol,
                     n_vertices=self.n_vertices, n_classes=len(self),
                     p_gls_uniform=self.p_gls_uniform,
                     **{f"p_{k}": e.p for k, e in self.estimates.items()})
        keys = [self.key(c) for c in range(len(self))]
        for c, k in enumerate(keys):
            stop = "" if self.nxt[c] >= 0 else ("floor" if self.losses[c] <= self.atol else "local_minimum")
            G.add_node(k, loss=float(self.losses[c]), status=str(self.status[c]),
                       count=int(self.classes.counts[c]), stop=stop,
                       gls_next=keys[self.nxt[c]] if self.nxt[c] >= 0 else k,
                       basin=keys[self.basin[c]], basin_vertices=self.vertex_ends.get(c, 0),
                       **{"global": bool(self.losses[c] <= self.goal)})
        D = max(self.classes.D, 1)
        for c in range(len(self)):
            row = self.classes.reps[c]
            for col, t in enumerate(self.classes.nbr[c].tolist()):
                if t <= c:
                    continue
                if G.has_edge(keys[c], keys[t]):
                    G.edges[keys[c], keys[t]]["moves"] += 1
                    continue
                u = col // D
                b = int(self.classes.zpad[row[u], col % D])
                G.add_edge(keys[c], keys[t], tail=keys[c], unit=u,
                           flipped=self.classes.flipped(int(row[u]), b), moves=1)
        return G

    def to_graphml(self, path) -> None:
        """Write :attr:`graph` as GraphML (atomically), in the conventions of ``zonocomb skeleton``:
        node ids and node-valued attributes are the barcodes with units separated by ``|``
        ("0110|1001"), and ``unit`` and ``flipped`` are 1-based ("4" or "4,7")."""
        def name(k):
            return "|".join("".join(str(b) for b in row) for row in k)
        G = nx.relabel_nodes(self.graph, {k: name(k) for k in self.graph.nodes})
        for _, data in G.nodes(data=True):
            data["gls_next"], data["basin"] = name(data["gls_next"]), name(data["basin"])
        for _, _, data in G.edges(data=True):
            data["tail"] = name(data["tail"])
            data["unit"] += 1
            data["flipped"] = ",".join(str(i + 1) for i in data["flipped"])
        with atomic_write(path, "wb") as fh:
            nx.write_graphml(G, fh)


def _progress_enabled(progress) -> bool:
    """``progress``, or for None: stderr is a terminal and TQDM_DISABLE is unset (or "", "0", "false", "no")."""
    if progress is None:
        disabled = os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")
        return sys.stderr.isatty() and not disabled
    return bool(progress)


def estimate_seconds(dataset, v, loss="mse", fit_bias=True, backend="fast", stars=8, random_state=0):
    """Seconds per class as :func:`landscape` solves them: ``stars`` random vertices of Z^m, each
    with up to 7 of its neighbours (about a greedy centre's claim), in one
    :meth:`RegionProgram.solve_stars <zonocomb.convex.region.RegionProgram.solve_stars>` call, over
    the number of programs solved (for size checks; cost: that call and the exact neighbour lists)."""
    oracle = RegionOracle(dataset, v, loss=loss, fit_bias=fit_bias, backend=backend)
    rng = check_random_state(random_state)
    patterns, moves, sizes = [], [], []
    for _ in range(stars):
        A = oracle.random_vertex(rng)
        claim = oracle.moves(A)[:7]
        patterns.append(A)
        moves += claim
        sizes.append(len(claim))
    t0 = time.perf_counter()
    oracle.program.solve_stars(np.array(patterns), moves, sizes)
    return (time.perf_counter() - t0) / (len(patterns) + len(moves))


def check_size(dataset, m, v=None, loss="mse", fit_bias=True, backend="fast", reduce=True,
               max_classes=DEFAULT_MAX_CLASSES, n_jobs=None) -> int:
    """The number of classes :func:`landscape` would solve; TooLargeError above ``max_classes``.

    Nothing is solved unless the answer is a refusal, whose message gives |vert Z^m|, the class
    count and a time estimate from a few timed solves (:func:`estimate_seconds`).
    """
    m = check_int(m, "m (number of units)", 1)
    v = half_output_weights(m) if v is None else check_output_weights(v, m)
    V = dataset.zonotope().num_vertices()
    groups = unit_groups(v) if reduce else [[u] for u in range(m)]
    count = VertexClasses.count(V, groups)
    if count <= check_int(max_classes, "max_classes", 1):
        return count
    from joblib import effective_n_jobs
    workers = effective_n_jobs(n_jobs)
    per = estimate_seconds(dataset, v, loss, fit_bias, backend)
    raise TooLargeError(
        f"the landscape of Z^{m} has {V ** m} vertices ({V} vertices of Z) in {count} classes of "
        f"interchangeable units (groups {groups}), more than max_classes={max_classes}; estimated "
        f"time ≈ {_duration(count * per / workers)} at {per * 1e3:.3f} ms per class on {workers} "
        f"worker(s) (and {count * m * 4 * 8 / 2 ** 20:.0f} MiB or more of neighbour tables)")


def _duration(secs: float) -> str:
    for unit, size in (("years", 3.15e7), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if secs >= size:
            return f"{secs / size:.3g} {unit}"
    return f"{secs:.3g} s"


@single_threaded_blas
def landscape(dataset, m, v=None, loss="mse", fit_bias=True, backend="fast", reduce=True, rtol=1e-9,
              atol=None, samples=2000, mgls_runs=32, gd_runs=0, gd_steps=20_000, gd_lr=1e-3,
              random_state=0, n_jobs=None, max_classes=DEFAULT_MAX_CLASSES, progress=None,
              chunk_size=None) -> Landscape:
    """Solve program (3) at every vertex of Z^m and map where GLS goes from each (paper §4.3.1).

    Parameters
    ----------
    dataset : Dataset
        Labelled data.
    m : int
        Number of hidden units.
    v : array-like of shape (m,), optional
        Fixed output weights; default ⌈m/2⌉ entries +1, then −1 (appendix H, as ``gls``).
    loss : {"mse", "logistic", "l1"}
    fit_bias : bool, default True
        Optimise the output bias c (appendix H).
    backend : str, default "fast"
        Backend of :class:`~zonocomb.convex.region.RegionProgram`.
    reduce : bool, default True
        Solve one vertex per class of interchangeable units (equal ``v_u``); False solves the full
        product vert(Z)^m (for checks).
    rtol, atol : float
        GLS's margins (as in :func:`zonocomb.search.gls`; ``atol=None`` is its default).
    samples : int, default 2000
        Gaussian random starts (the paper's initialisation) for the sampled ``"gls"`` and
        ``"random_vertex"`` estimates (no solves: the landscape answers).
    mgls_runs : int, default 32
        Runs of :func:`zonocomb.search.mgls` from Gaussian starts (real solves).
    gd_runs : int, default 0
        Runs of :func:`zonocomb.search.gradient_descent` with v frozen (appendix H.2.2; needs the
        default ``v``), each mapped to the region where it ends.
    gd_steps : int, gd_lr : float
        Steps and learning rate of each GD run.
    random_state : None, int or Generator, default 0
        Seeds every sampled estimate.
    n_jobs : int or None
        joblib workers for the solves (None: joblib's default, 1 outside a ``parallel_config``).
    max_classes : int
        Refuse (TooLargeError, before any solve) when more classes would be solved.
    progress : bool or None
        tqdm bar; None shows it on a terminal unless TQDM_DISABLE is set.
    chunk_size : int, optional
        Classes per joblib task (default C/64 within [64, 4000]).

    Returns
    -------
    Landscape

    Raises
    ------
    TooLargeError
        More than ``max_classes`` classes (the message gives the vertex and class counts and an
        estimated time from a few timed solves), or Z itself too large to enumerate.
    InvalidInputError, InvalidTypeError
        Bad dataset, loss, sizes, ``v`` or options; ``gd_runs > 0`` with a non-default ``v``.

    Notes
    -----
    Cost: Π_g C(V + k_g − 1, k_g) region solves (V = |vert Z|, groups of k_g interchangeable
    units): a greedy dominating set of centres solved one by one, every other class in one
    compiled neighbour sweep from its centre's optimum (:mod:`.solve`); the GLS
    basins cost O(C·mD) array work (D = largest degree of Z) plus walks where float ties between
    classes make GLS depend on the unit order (:mod:`.basins`). Exact: the vertex sets, class sizes
    and the graph; floating point: the losses (certified by the backend) and everything derived.

    References
    ----------
    Paper section 3 (zonotope power), section 4.3.1 and Algorithm 2 (GLS), appendix G (mGLS),
    appendix H (initialisation, output weights).
    """
    t_start = time.perf_counter()
    m = check_int(m, "m (number of units)", 1)
    problem = RegionProblem(dataset, half_output_weights(m) if v is None else v, loss=loss, fit_bias=fit_bias,
                            m=m)                                   # checked once (docs/design.md §7.4)
    v = problem.v
    rtol, atol = gls_tolerances(problem.y, loss, fit_bias, rtol, atol)
    samples = check_int(samples, "samples", 0)
    mgls_runs = check_int(mgls_runs, "mgls_runs", 0)
    gd_runs = check_int(gd_runs, "gd_runs", 0)
    gd_steps = check_int(gd_steps, "gd_steps", 0)
    if not isinstance(reduce, (bool, np.bool_)):
        raise InvalidInputError(f"reduce must be a bool, got {reduce!r}")
    if gd_runs and not np.array_equal(v, half_output_weights(m)):
        raise InvalidInputError("gd_runs > 0 needs the default v (gradient descent with a frozen "
                                "output layer uses half +1, half -1, appendix H.2.2)")
    count = check_size(dataset, m, v, loss, fit_bias, backend, reduce, max_classes, n_jobs)
    Z = dataset.zonotope()
    barcodes = Z.vertices()
    index = {b: j for j, b in enumerate(barcodes)}
    skeleton = Z.skeleton()
    adjacency = [[index[nb] for nb in skeleton.neighbors(b)] for b in barcodes]
    classes = VertexClasses(barcodes, adjacency, v, reduce=bool(reduce))
    t0 = time.perf_counter()
    with tqdm(total=count, desc=f"landscape m={m}", unit="class", disable=not _progress_enabled(progress),
              dynamic_ncols=True) as bar:
        losses, status = solve_classes(problem, backend, classes, n_jobs, bar,
                                       chunk_size)
    t1 = time.perf_counter()
    result = Landscape(dataset=dataset, v=v, loss=loss, fit_bias=fit_bias, backend=backend,
                       classes=classes, losses=losses, status=status, rtol=rtol, atol=atol)
    t2 = time.perf_counter()
    _sample(result, Z, check_random_state(random_state), samples, mgls_runs, gd_runs, gd_steps, gd_lr)
    t3 = time.perf_counter()
    result.seconds = {"solve": t1 - t0, "basins": t2 - t1, "sampling": t3 - t2, "total": t3 - t_start}
    return result


def _sample(result: Landscape, zonotope, rng, samples, mgls_runs, gd_runs, gd_steps, gd_lr) -> None:
    """The sampled estimates of :attr:`Landscape.estimates` (see :func:`landscape`)."""
    ds, m, cls = result.dataset, result.m, result.classes
    if samples:
        power = ZonotopePower(zonotope, m)
        rows = cls.index_rows([power.random_vertex(rng) for _ in range(samples)])
        here = cls.lookup(rows)
        ends = result.gls_end(rows)
        label = f"sampled: {samples} Gaussian starts"
        for name, at in (("gls", ends), ("random_vertex", here)):
            gaps = result.losses[at] - result.global_min
            result.estimates[name] = Estimate(name, label, int((result.losses[at] <= result.goal).sum()),
                                              samples, gaps, at)
    runs = {"mgls": mgls_runs, "gd": gd_runs}
    for name, n in runs.items():
        if not n:
            continue
        seeds = rng.integers(0, 2 ** 31 - 1, size=n)
        losses, ends = [], []
        for seed in seeds.tolist():
            if name == "mgls":
                res = mgls(ds, m, loss=result.loss_name, random_state=seed, fit_bias=result.fit_bias,
                           backend=result.backend, v=result.v, rtol=result.rtol, atol=result.atol)
            else:
                res = gradient_descent(ds, m, gd_steps, lr=gd_lr, loss=result.loss_name,
                                       train_output=False, fit_bias=result.fit_bias, random_state=seed)
            losses.append(res.loss)
            try:
                ends.append(result.class_of(res.pattern))
            except InvalidInputError:            # GD stopped exactly on a boundary
                ends.append(-1)
        losses = np.array(losses)
        label = (f"sampled: {n} runs from Gaussian starts" if name == "mgls" else
                 f"sampled: {n} runs of {gd_steps} steps, lr {gd_lr}, Glorot start, v frozen")
        result.estimates[name] = Estimate(name, label, int((losses <= result.goal).sum()), n,
                                          losses - result.global_min, np.array(ends))
