"""Exact rational arithmetic: parsing to Fraction and exact linear algebra (:mod:`.rational`),
filtered exact sign tests (:mod:`.predicates`), and the cddlib wrapper (exact LPs, convex hulls,
ranks), whose public names are exported here."""
from ._cdd import HRepresentation, LPResult, convex_hull, matrix_rank, solve_lp

__all__ = ["LPResult", "solve_lp", "HRepresentation", "convex_hull", "matrix_rank"]
