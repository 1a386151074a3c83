"""The only module that imports pycddlib's exact (GMP rational) interface ``cdd.gmp``.

cddlib's convention, stated once: a row ``[b, a_1, ..., a_n]`` of an H-representation means the
inequality ``b + a·x >= 0`` (an equation ``b + a·x = 0`` when its index is in the linearity set).
A row ``[t, v_1, ..., v_n]`` of a V-representation is a point when ``t = 1`` and a ray when ``t = 0``.

Everything returned is made of plain Python tuples, frozensets and Fractions; no cdd object escapes.
cddlib's ``RuntimeError`` becomes :class:`zonocomb.errors.BackendError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import cdd.gmp as _gmp

from ..errors import BackendError

__all__ = ["LPResult", "solve_lp", "HRepresentation", "convex_hull", "matrix_rank"]


@dataclass(frozen=True)
class LPResult:
    """Outcome of an exact linear program.

    ``status`` is one of ``"optimal"``, ``"infeasible"``, ``"unbounded"``; ``value`` and ``x`` are
    exact (Fractions) when optimal, else None.
    """
    status: str
    value: Fraction | None
    x: tuple[Fraction, ...] | None


_STATUS = {
    _gmp.LPStatusType.OPTIMAL: "optimal",
    _gmp.LPStatusType.INCONSISTENT: "infeasible",
    _gmp.LPStatusType.STRUC_INCONSISTENT: "infeasible",
    _gmp.LPStatusType.DUAL_INCONSISTENT: "unbounded",
    _gmp.LPStatusType.STRUC_DUAL_INCONSISTENT: "unbounded",
    _gmp.LPStatusType.UNBOUNDED: "unbounded",
}


def _rows(rows: Sequence[Sequence]) -> list[list[Fraction]]:
    return [[Fraction(v) for v in r] for r in rows]


def solve_lp(inequalities: Sequence[Sequence], objective: Sequence, maximize: bool = True,
             equalities: Sequence[Sequence] = ()) -> LPResult:
    """Solve ``max/min c0 + c·x`` subject to ``b + A x >= 0`` and ``e + E x = 0``, exactly.

    Parameters
    ----------
    inequalities : rows ``[b, a_1..a_n]`` meaning ``b + a·x >= 0``.
    objective : ``[c0, c_1..c_n]``.
    maximize : bool
    equalities : rows ``[e, e_1..e_n]`` meaning ``e + e·x = 0``.

    Notes
    -----
    cddlib's criss-cross / dual simplex in GMP rationals: exact, no tolerance.
    """
    ineq = _rows(inequalities)
    eqs = _rows(equalities)
    width = len(objective)
    rows = eqs + ineq
    if not rows:
        rows = [[Fraction(1)] + [Fraction(0)] * (width - 1)]  # 1 >= 0: a vacuous constraint
    if any(len(r) != width for r in rows):
        raise BackendError("LP rows and objective have different lengths")
    try:
        mat = _gmp.matrix_from_array(
            rows, lin_set=set(range(len(eqs))), rep_type=_gmp.RepType.INEQUALITY,
            obj_type=_gmp.LPObjType.MAX if maximize else _gmp.LPObjType.MIN,
            obj_func=[Fraction(v) for v in objective])
        lp = _gmp.linprog_from_matrix(mat)
        _gmp.linprog_solve(lp)
    except RuntimeError as exc:  # pragma: no cover - cddlib internal failure
        raise BackendError(f"cddlib failed to solve the linear program: {exc}") from exc
    status = _STATUS.get(lp.status)
    if status is None:
        raise BackendError(f"cddlib returned the undecided LP status {lp.status!r}")
    if status != "optimal":
        return LPResult(status, None, None)
    return LPResult(status, Fraction(lp.obj_value), tuple(Fraction(v) for v in lp.primal_solution))


@dataclass(frozen=True)
class HRepresentation:
    """A polytope as ``{x : b + A x >= 0 (facets), e + E x = 0 (affine hull)}``, exact.

    ``facets[k]`` is ``(b, a)``; ``incidence[k]`` is the frozenset of input-point indices on
    facet k; ``equations`` are ``(e, E_row)`` pairs describing the affine hull.
    """
    facets: tuple[tuple[Fraction, tuple[Fraction, ...]], ...]
    incidence: tuple[frozenset, ...]
    equations: tuple[tuple[Fraction, tuple[Fraction, ...]], ...]


def convex_hull(points: Sequence[Sequence]) -> HRepresentation:
    """Facets of the convex hull of finitely many points (double description, exact).

    Redundant (non-extreme) points are allowed. The incidence of each facet lists the indices of
    the input points lying on it.
    """
    pts = _rows(points)
    if not pts:
        raise BackendError("convex_hull needs at least one point")
    try:
        mat = _gmp.matrix_from_array([[Fraction(1)] + p for p in pts], rep_type=_gmp.RepType.GENERATOR)
        poly = _gmp.polyhedron_from_matrix(mat)
        ineq = _gmp.copy_inequalities(poly)
        incid = _gmp.copy_incidence(poly)
    except RuntimeError as exc:  # pragma: no cover
        raise BackendError(f"cddlib failed to compute a convex hull: {exc}") from exc
    facets, incidence, equations = [], [], []
    lin = set(ineq.lin_set)
    for k, row in enumerate(ineq.array):
        b, a = Fraction(row[0]), tuple(Fraction(v) for v in row[1:])
        if k in lin:
            equations.append((b, a))
        else:
            facets.append((b, a))
            incidence.append(frozenset(incid[k]))
    return HRepresentation(tuple(facets), tuple(incidence), tuple(equations))


def matrix_rank(rows: Sequence[Sequence]) -> int:
    """Exact rank of a rational matrix (cddlib's GMP rank)."""
    if not rows:
        return 0
    try:
        mat = _gmp.matrix_from_array(_rows(rows))
        return int(_gmp.matrix_rank(mat)[2])
    except RuntimeError as exc:  # pragma: no cover
        raise BackendError(f"cddlib failed to compute a rank: {exc}") from exc
