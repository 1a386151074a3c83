"""zonocomb: exact combinatorial geometry for the optimization of shallow ReLU networks.

Re-exports the public API; nothing else lives here.
"""
from .errors import (BackendError, CheckpointError, InvalidInputError, InvalidTypeError,
                     NotInGeneralPositionError, SolverError, TooLargeError, ZonocombError)
from .geometry.dataset import Dataset
from .geometry.arrangement import HyperplaneArrangement
from .geometry.zonotope import Zonotope, combinatorially_equivalent
from .geometry.power import ZonotopePower
from .convex import RegionProgram, RegionSolution, solve_region
from .datasets import digits_task, figure1_dataset, image_task, synthetic
from .search import SearchCheckpoint, SearchResult, exact_erm, gls, gradient_descent, mgls, random_vertex
from .estimators import ZonotopeClassifier, ZonotopeRegressor
from .theory import InterpolatingNetwork, construct_interpolant, perturbation_radius
from .certify import certify_exact

__version__ = "0.1.0"

__all__ = [
    "ZonocombError", "InvalidInputError", "InvalidTypeError", "NotInGeneralPositionError",
    "TooLargeError", "BackendError", "SolverError", "CheckpointError",
    "Dataset", "HyperplaneArrangement", "Zonotope", "ZonotopePower", "combinatorially_equivalent",
    "RegionProgram", "RegionSolution", "solve_region",
    "synthetic", "figure1_dataset", "image_task", "digits_task",
    "SearchResult", "SearchCheckpoint", "exact_erm", "random_vertex", "gls", "mgls", "gradient_descent",
    "ZonotopeRegressor", "ZonotopeClassifier",
    "InterpolatingNetwork", "construct_interpolant", "perturbation_radius",
    "certify_exact",
]
