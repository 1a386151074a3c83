"""Exact empirical risk minimisation over all vertices of Z^m (paper Algorithm 1, Arora et al. 2016).

For fixed output weights ``v``, the training loss of ``f(x) = vᵀ φ(W x̄) + c`` is minimised by
solving the convex program (3) of every activation region, i.e. of every vertex of the zonotope
power Z^m (section 3, appendix A.3.1), and keeping the best. Units with the same output weight are
interchangeable (permuting them permutes the rows of W without changing f), so within each group
of equal ``v_u`` only multisets of vertices of Z are enumerated, not ordered tuples. The
enumeration moves the last unit fastest, and each run of patterns that differ from its first in
one unit's row is swept from the first's optimum, all runs of a chunk in one compiled call
(``_sweep_runs``).
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np
from numpy.typing import ArrayLike
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ..certify.problem import ExactProgram
from ..certify.region import CertificateError, certify_program, check_exact_loss
from ..convex.backends import backend_spec
from ..convex.problem import RegionProblem, check_output_weights
from ..convex.region import RegionProgram
from ..errors import InvalidInputError, TooLargeError
from ..geometry.dataset import Dataset
from ..geometry.zonotope import closed_form_vertex_count
from ..lifetime import end_with_parent
from ..validation import check_int
from ._common import single_threaded_blas
from .result import SearchResult

__all__ = ["exact_erm", "count_vertex_multisets", "verify_exact_erm", "vertex_multisets", "unit_groups"]

DEFAULT_MAX_PATTERNS = 200_000


def unit_groups(v: np.ndarray) -> list[list[int]]:
    """Indices of the units grouped by equal output weight, groups in order of first appearance."""
    groups: dict[float, list[int]] = {}
    for u, value in enumerate(v.tolist()):
        groups.setdefault(value, []).append(u)
    return list(groups.values())


def count_vertex_multisets(num_vertices: int, v: ArrayLike) -> int:
    """Number of patterns :func:`exact_erm` solves: ``Π_g C(V + k_g − 1, k_g)`` over the groups of
    ``k_g`` units sharing an output weight, for a zonotope with ``V = num_vertices`` vertices."""
    return _count(unit_groups(check_output_weights(v)), num_vertices)


def _count(groups, num_vertices: int) -> int:
    return math.prod(math.comb(num_vertices + len(g) - 1, len(g)) for g in groups)


def _refuse(count: int, num_vertices: int, m: int, groups, max_patterns: int) -> None:
    if count > max_patterns:
        raise TooLargeError(
            f"exact ERM would solve {count} convex programs ({num_vertices} vertices of Z, "
            f"m = {m} units in {len(groups)} groups of equal output weight), more than "
            f"max_patterns = {max_patterns}")


def vertex_multisets(groups: list[list[int]], num_vertices: int):
    """Every pattern exact ERM solves, as tuples of per-unit vertex indices (unit order): within
    each group of units (:func:`unit_groups`) a multiset of the ``num_vertices`` vertices of Z
    (nondecreasing indices), the last unit changing fastest; their number is
    :func:`count_vertex_multisets`."""
    m = sum(len(g) for g in groups)
    per_group = [itertools.combinations_with_replacement(range(num_vertices), len(g)) for g in groups]
    for choice in itertools.product(*per_group):
        idx = [0] * m
        for g, combo in zip(groups, choice):
            for u, j in zip(g, combo):
                idx[u] = j
        yield tuple(idx)


def _solve_chunk(problem, backend, vertices, chunk, v_exact=None):
    """Solve program (3) for each pattern of ``chunk``; return the losses and the best solution.

    Without ``v_exact`` the patterns are solved in runs (:func:`_sweep_runs`). With ``v_exact``
    (the output weights as given, for ``certify="exact"``) each pattern is solved on its own and
    its float solution turned into an exact certificate (:func:`zonocomb.certify.certify_exact`),
    and those replace the float losses and solutions.
    """
    end_with_parent()  # a joblib worker must not outlive a killed caller
    program = RegionProgram.from_problem(problem, backend)
    if v_exact is None:
        return _sweep_runs(program, vertices, chunk)
    exact = ExactProgram(problem.dataset, vertices[:1].repeat(problem.m, 0), v_exact, loss=problem.loss,
                         fit_bias=problem.fit_bias)
    losses = []
    best = None
    for idx in chunk:
        A = vertices[list(idx)]
        sol = certify_program(exact.with_pattern(A), program.solve(A))
        losses.append(sol)
        if best is None or sol.loss < best[1].loss:
            best = (idx, sol)
    return losses, best


def _sweep_runs(program, vertices, chunk):
    """Float optima of the patterns of ``chunk``, in runs: the enumeration changes the last unit
    fastest, so the patterns that follow a run's first pattern and differ from it in one unit's
    row only are that pattern's moves, and the whole chunk is one
    :meth:`RegionProgram.solve_stars <zonocomb.convex.region.RegionProgram.solve_stars>` (each
    run's first pattern solved from the cold start, its moves swept from its optimum; the
    screening and warm start hold for any change of one unit's pattern, an edge of Z or not).
    Returns the losses and (pattern, solution) of the least one (the first on ties): its run's
    first pattern solved again, and for a move one more sweep of that move from that optimum; its
    loss is reported as the stars evaluated it, the value among the losses."""
    firsts, moves, sizes = [], [], []
    k = 0
    while k < len(chunk):
        first = chunk[k]
        j = k + 1
        while j < len(chunk):
            moved = [u for u, (a, b) in enumerate(zip(first, chunk[j])) if a != b]
            if len(moved) != 1:
                break
            u = moved[0]
            moves.append((u, np.flatnonzero(vertices[first[u]] != vertices[chunk[j][u]])))
            j += 1
        firsts.append(k)
        sizes.append(j - k - 1)
        k = j
    patterns = vertices[np.array([chunk[k] for k in firsts])]
    out = program.solve_stars(patterns, moves, sizes)
    losses = np.empty(len(chunk))
    for s, k in enumerate(firsts):
        losses[k] = out.centre_loss[s]
        losses[k + 1:k + 1 + sizes[s]] = out.loss[out.ptr[s]:out.ptr[s + 1]]
    index = int(np.argmin(losses))
    s = int(np.searchsorted(firsts, index, side="right")) - 1
    A = patterns[s]
    best = program.solve(A)
    if index > firsts[s]:
        move = moves[out.ptr[s] + index - firsts[s] - 1]
        best = program.sweep(A, [move], best, solutions=True).solutions[0]
    return losses.tolist(), (chunk[index], dataclasses.replace(best, loss=float(losses[index])))


def _chunks(iterable, size):
    it = iter(iterable)
    while True:
        block = list(itertools.islice(it, size))
        if not block:
            return
        yield block


@single_threaded_blas
def exact_erm(dataset: Dataset, v: ArrayLike, loss: str = "mse", fit_bias: bool = True, backend: str = "fast",
              n_jobs: int | None = None, max_patterns: int = DEFAULT_MAX_PATTERNS, progress: bool = False,
              parallel_backend: str | None = None, chunk_size: int | None = None,
              certify: str | None = None) -> SearchResult:
    """Global minimum of the training loss for fixed output weights ``v`` (paper Algorithm 1).

    Parameters
    ----------
    dataset : Dataset
        Labelled training data.
    v : array-like of shape (m,)
        Fixed output weights; m = len(v) units.
    loss : {"mse", "logistic", "l1"}
    fit_bias : bool, default True
        Optimise the output bias ``c`` as well (appendix H); False fixes ``c = 0`` (section 2).
    backend : str, default "fast"
        Convex backend of :class:`zonocomb.convex.region.RegionProgram`.
    n_jobs : int or None
        joblib workers. None follows joblib's default (1 outside a ``joblib.parallel_config``
        block, so ``with joblib.parallel_config(backend="dask"): exact_erm(...)`` runs on a Dask
        cluster).
    max_patterns : int, default 200000
        Refuse (TooLargeError) when more patterns would have to be solved.
    progress : bool, default False
        Show a tqdm progress bar (on stderr).
    parallel_backend : str or None
        Passed to ``joblib.Parallel(backend=...)``; None uses the active ``parallel_config``.
    chunk_size : int, optional
        Patterns per joblib task (default: about 32 tasks, at most 500 patterns each).
    certify : {None, "exact"}, default None
        ``"exact"`` (MSE and L1; the logistic optimum is transcendental and has no exact
        certificate): certify every vertex class exactly. Each region's float optimum is
        the hint of :func:`zonocomb.certify.certify_exact`, which returns that class's exact
        optimum with a KKT certificate; the global minimum is the least of these exact values.
        This ships the full certificate (every class's exact optimum), not a lower-bound
        certificate; its cost is measured in ``benchmarks/exact_certificates.py``.

    Returns
    -------
    SearchResult
        ``method="exact_erm"``; ``loss`` is the smallest optimum of (3) over all enumerated vertices
        (first one in enumeration order on ties) and ``certificate`` maps each enumerated pattern
        (tuple of the m unit barcodes) to its optimal loss. With ``certify="exact"``:
        ``certificate`` maps each pattern to its
        :class:`~zonocomb.certify.region.ExactRegionOptimum`, ``info["exact_loss"]`` is the global
        minimum as a Fraction, ``info["exact_optimum"]`` the minimiser's certificate, and ``loss``,
        ``W``, ``c`` are its float images; :func:`verify_exact_erm` re-checks
        the whole certificate.

    Raises
    ------
    TooLargeError
        The number of vertex multisets exceeds ``max_patterns`` (the message gives the count).
        Checked before any vertex is listed: when the closed-form bound 2·Σ_{i<n} C(N−1, i) on
        |vert Z| already keeps the count within ``max_patterns`` nothing more is needed; otherwise
        the exact |vert Z| is taken from :meth:`Zonotope.num_vertices` (the closed form itself in
        general position), and when that count is beyond the zonotope's own limits the bound is
        reported.
    InvalidInputError, InvalidTypeError
        Bad dataset, loss or ``v``; an unknown ``certify``, or ``certify="exact"`` with a loss that
        has no exact certificate (logistic: transcendental optimum).

    Notes
    -----
    With V = |vert Z| = O(N^d) vertices (general position: 2 Σ_{i<d+1} C(N−1, i)) and groups of
    k_g units sharing an output weight, ``Π_g C(V + k_g − 1, k_g)`` convex programs are solved; for
    m = 1 this is polynomial in N at fixed d. Vertices of Z are enumerated exactly by
    :meth:`zonocomb.geometry.zonotope.Zonotope.vertices`.

    References
    ----------
    Paper section 2, Algorithm 1 and eq. (3); Arora et al. (2016).
    """
    problem = RegionProblem(dataset, v, loss=loss, fit_bias=fit_bias)      # checked once, for every chunk
    backend = backend_spec(backend, loss)
    v_given, v = v, problem.v
    max_patterns = check_int(max_patterns, "max_patterns", 1)
    if certify not in (None, "exact"):
        raise InvalidInputError(f"certify must be None or 'exact', got {certify!r}")
    if certify:
        check_exact_loss(loss)
    start = time.perf_counter()
    groups = unit_groups(v)
    Z = dataset.zonotope()
    # Before listing any vertex: the closed form 2·Σ_{i<n} C(N−1, i) bounds |vert Z| (with equality
    # in general position); only when that bound is too large is the exact count needed.
    bound = closed_form_vertex_count(dataset.N, dataset.n)
    if _count(groups, bound) > max_patterns:
        try:
            num_vertices = Z.num_vertices()
        except TooLargeError:  # the exact count would itself take an enumeration beyond its limit
            raise TooLargeError(
                f"exact ERM would solve up to {_count(groups, bound)} convex programs (Z has up to "
                f"2·Σ_(i<{dataset.n}) C({dataset.N - 1}, i) = {bound} vertices, exactly that many in "
                f"general position; m = {len(v)} units), more than max_patterns = {max_patterns}") from None
        _refuse(_count(groups, num_vertices), num_vertices, len(v), groups, max_patterns)
    barcodes = Z.vertices()
    vertices = np.array(barcodes, dtype=bool).reshape(len(barcodes), dataset.N)
    count = _count(groups, len(barcodes))
    size = chunk_size or max(1, min(500, math.ceil(count / 32)))
    parallel = Parallel(n_jobs=n_jobs, backend=parallel_backend, return_as="generator")
    tasks = (delayed(_solve_chunk)(problem, backend, vertices, chunk, certify and v_given)
             for chunk in _chunks(vertex_multisets(groups, len(barcodes)), size))
    certificate: dict = {}
    best = None
    trace = []
    order = vertex_multisets(groups, len(barcodes))
    with tqdm(total=count, desc="exact ERM", unit="pattern", disable=not progress) as bar:
        for step, (losses, chunk_best) in enumerate(parallel(tasks), start=1):
            for value in losses:
                idx = next(order)
                certificate[tuple(barcodes[j] for j in idx)] = value
            if best is None or chunk_best[1].loss < best[1].loss:
                best = chunk_best
            trace.append({"step": step, "loss": float(best[1].loss), "n_solves": len(certificate),
                          "seconds": time.perf_counter() - start})
            bar.update(len(losses))
    idx, sol = best
    info = {"num_vertices": len(barcodes), "unit_groups": groups}
    if certify:
        info.update(exact_loss=sol.loss, exact_optimum=sol)
    return SearchResult(loss=float(sol.loss), pattern=vertices[list(idx)], W=np.array(sol.W, dtype=float),
                        v=v, c=float(sol.c), trace=trace, n_solves=count, n_steps=count,
                        seconds=time.perf_counter() - start, method="exact_erm",
                        homogenize=dataset.homogenize, loss_name=loss, certificate=certificate, info=info)


def verify_exact_erm(result: SearchResult, dataset: Dataset) -> None:
    """Check that ``result`` certifies the global minimum of the training loss, exactly.

    The vertices of Z are enumerated again (exact engine); the certificate must hold one exact
    region optimum for every pattern exact ERM has to cover (every multiset of vertices within each
    group of units of equal output weight), each must pass
    :meth:`~zonocomb.certify.region.ExactRegionOptimum.verify`, and ``info["exact_loss"]`` must be
    the least of their losses. Cost: one exact KKT check per pattern.

    Raises
    ------
    CertificateError
        Naming the first pattern or value that fails.
    """
    exact = result.info.get("exact_loss")
    if exact is None or result.certificate is None:
        raise CertificateError("the result carries no exact certificate (run exact_erm with certify='exact')")
    barcodes = dataset.zonotope().vertices()
    groups = unit_groups(check_output_weights(result.v))
    values = []
    for idx in vertex_multisets(groups, len(barcodes)):
        key = tuple(barcodes[j] for j in idx)
        cert = result.certificate.get(key)
        if cert is None:
            raise CertificateError(f"the certificate misses the pattern {key}")
        if cert.dataset != dataset or tuple(map(tuple, cert.pattern)) != tuple(tuple(map(bool, b)) for b in key):
            raise CertificateError(f"the certificate of pattern {key} is for another dataset or pattern")
        cert.verify()
        values.append(cert.loss)
    if min(values) != exact:
        raise CertificateError(f"the reported minimum {exact} is not the least certified optimum {min(values)}")
