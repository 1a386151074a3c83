"""zonocomb: exact combinatorial geometry for the optimization of shallow ReLU networks.

Re-exports the public API; nothing else lives here.
"""
from .errors import (BackendError, InvalidInputError, InvalidTypeError, NotInGeneralPositionError,
                     SolverError, TooLargeError, ZonocombError)
from .geometry.dataset import Dataset

__version__ = "0.1.0"
