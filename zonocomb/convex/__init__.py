"""Convex programs of activation regions (paper eq. 3) and their solver backends."""
from .losses import LOSSES
from .region import RegionProgram, RegionSolution, solve_region

__all__ = ["LOSSES", "RegionProgram", "RegionSolution", "solve_region"]
