"""Solver backends for the region program (paper eq. 3): a small plug-in registry.

A backend is a class constructed once per problem family from a :class:`RegionData` (the float
data matrices, labels, output weights, loss) and called per activation pattern:
``backend.solve(pattern, warm_start) -> BackendResult``. Backends return the minimiser (W, c) and a
status; the mean loss and the tight set are computed from (W, c) by :mod:`zonocomb.convex.region`,
identically for every backend.

Registered backends (imported lazily, on first use):

``"cvxpy"`` (alias ``"reference"``)
    cvxpy + ECOS (the solver the paper used, appendix H.2.2) at tolerances 1e-9, with fallbacks;
    the project's reference for cross-checks; all losses.
``"ecos-defaults"``
    cvxpy + ECOS at its default settings, as the paper states its solver; all losses.
``"fast"``
    Structure-exploiting solvers: a block active-set method on the product of the activation
    cones for ``"mse"`` and ``"logistic"`` (cold MSE solves start from an interior-point method),
    every answer checked against the KKT conditions with the reference as fallback; HiGHS'
    simplex for the LP of ``"l1"``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import Enum

import numpy as np

from ...errors import InvalidInputError

__all__ = ["SolveStatus", "RegionData", "BackendResult", "BackendSpec", "BACKENDS", "backend_spec", "get_backend"]


class SolveStatus(str, Enum):
    """How the optimum of a region program was obtained (compares equal to its string value).

    ``OPTIMAL``: converged, and (fast backend) KKT-certified; for the logistic loss with the fast
    backend also the infimum is attained (decided in floating point, see
    :mod:`zonocomb.convex.backends.fast`). ``OPTIMAL_INACCURATE``: the
    reference solver's own reduced-accuracy status (a warning is issued). ``OPTIMAL_FALLBACK``: the
    fast backend could not certify its answer and the reference solver produced it (a warning is
    issued). ``OPTIMAL_UNATTAINED``: logistic, the infimum is not attained; the point lies far
    along a recession direction, within 4.3e-18 of the infimum. In a neighbour sweep also
    ``SCREENED`` (the vertex's own optimum, certified by the dual test), ``BOUNDED`` (abandoned:
    a certified lower bound exceeds the bound) and ``DOMINATED`` (abandoned by a sweep that needs
    only the least loss: a certified lower bound exceeds the least loss found), and for the logistic loss without weight decay
    ``OPTIMAL_LOSS``: solved in a compiled sweep or stars call that kept no solution, the loss
    KKT-certified optimal but whether the infimum is attained not decided (``solve`` decides it).
    Failures raise
    :class:`~zonocomb.errors.SolverError` instead of returning a status.
    """

    OPTIMAL = "optimal"
    OPTIMAL_INACCURATE = "optimal_inaccurate"
    OPTIMAL_FALLBACK = "optimal_fallback"
    OPTIMAL_UNATTAINED = "optimal_unattained"
    OPTIMAL_LOSS = "optimal_loss"
    SCREENED = "screened"
    BOUNDED = "bounded"
    DOMINATED = "dominated"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RegionData:
    """Float data of a family of region programs sharing dataset, output weights and loss.

    The backends trust it: it is built from a checked
    :class:`~zonocomb.convex.problem.RegionProblem` (:meth:`RegionProblem.region_data
    <zonocomb.convex.problem.RegionProblem.region_data>`, rescaled by
    :class:`~zonocomb.convex.region.RegionProgram`), and not checked again.

    Attributes
    ----------
    Xbar : ndarray, shape (N, n)
        Generators x̄_i (homogenized examples), ``Dataset.generators_float``.
    y : ndarray, shape (N,)
        Labels (validated for the loss).
    v : ndarray, shape (m,)
        Fixed output weights.
    loss : str
        ``"mse"``, ``"logistic"`` or ``"l1"``.
    fit_bias : bool
        Whether the output bias c is optimised (appendix H) or fixed at 0 (section 2).
    alpha : float
        Weight decay: ``alpha`` ‖W‖²_F is added to the mean loss (0: the program of eq. 3).
    """

    Xbar: np.ndarray
    y: np.ndarray
    v: np.ndarray
    loss: str
    fit_bias: bool
    alpha: float = 0.0

    @property
    def m(self) -> int:
        return int(self.v.size)

    @property
    def N(self) -> int:
        return int(self.Xbar.shape[0])

    @property
    def n(self) -> int:
        return int(self.Xbar.shape[1])


@dataclass(frozen=True)
class BackendResult:
    """What a backend returns for one pattern: the minimiser, a status and an iteration count.

    ``status`` is a :class:`SolveStatus` (``OPTIMAL``, ``OPTIMAL_INACCURATE``,
    ``OPTIMAL_FALLBACK`` or ``OPTIMAL_UNATTAINED``). Failures raise
    :class:`zonocomb.errors.SolverError` instead.
    """

    W: np.ndarray
    c: float
    status: SolveStatus
    n_iter: int = 0


@dataclass(frozen=True)
class BackendSpec:
    """Registry entry: where the backend class lives and which losses it can solve."""

    name: str
    module: str
    cls: str
    losses: frozenset
    description: str

    def load(self) -> type:
        """The backend class (its module is imported on first use)."""
        return getattr(importlib.import_module(f"{__name__}.{self.module}"), self.cls)


BACKENDS = {
    "cvxpy": BackendSpec("cvxpy", "reference", "CvxpyBackend", frozenset({"mse", "logistic", "l1"}),
                         "cvxpy + ECOS at tolerances 1e-9, rebuilt per pattern (the reference)"),
    "ecos-defaults": BackendSpec("ecos-defaults", "reference", "EcosDefaultsBackend",
                                 frozenset({"mse", "logistic", "l1"}),
                                 "cvxpy + ECOS at its default settings, rebuilt per pattern (the paper's solver)"),
    "fast": BackendSpec("fast", "fast", "FastBackend", frozenset({"mse", "logistic", "l1"}),
                        "block active set on the cones, KKT-checked (mse, logistic); HiGHS simplex (l1)"),
}
_ALIASES = {"reference": "cvxpy"}


def backend_spec(name: object, loss: str | None = None) -> BackendSpec:
    """The registry entry of backend ``name``; checks that it supports ``loss`` when given.

    Raises
    ------
    InvalidInputError
        Unknown backend name, or a loss the backend cannot solve.
    """
    key = _ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in BACKENDS:
        known = ", ".join(sorted(set(BACKENDS) | set(_ALIASES)))
        raise InvalidInputError(f"unknown backend {name!r}; expected one of {known}")
    spec = BACKENDS[key]
    if loss is not None and loss not in spec.losses:
        raise InvalidInputError(f"backend {spec.name!r} cannot solve loss {loss!r}")
    return spec


def get_backend(name: object, loss: str | None = None) -> type:
    """The backend class registered as ``name`` (imported on first use).

    Raises
    ------
    InvalidInputError
        As :func:`backend_spec`.
    """
    return backend_spec(name, loss).load()
