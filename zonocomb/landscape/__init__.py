"""The loss landscape on the skeleton of Z^m: exhaustive maps, local minima and GLS basins.

:func:`landscape` solves program (3) at every vertex of Z^m (up to permutations of interchangeable
units) and returns a :class:`Landscape`; :mod:`zonocomb.landscape.plots` draws it.
"""
from .core import DEFAULT_MAX_CLASSES, Estimate, Landscape, check_size, estimate_seconds, landscape

__all__ = ["landscape", "Landscape", "Estimate", "DEFAULT_MAX_CLASSES", "estimate_seconds", "check_size"]
