"""Convex programs of activation regions (paper eq. 3) and their solver backends."""
from .losses import LOSSES
from .problem import RegionProblem
from .region import NeighbourSweep, RegionProgram, RegionSolution, SolveStatus, solve_region

__all__ = ["LOSSES", "NeighbourSweep", "RegionProblem", "RegionProgram", "RegionSolution", "SolveStatus",
           "solve_region"]
