"""Search for the weights of a shallow ReLU network over the vertices of Z^m (paper §2, §4.2, §4.3).

``exact_erm`` (Algorithm 1), ``random_vertex`` (§4.2), ``gls`` (Algorithm 2), ``mgls`` (appendix G)
and the ``gradient_descent`` baseline (appendix H), each returning a :class:`SearchResult`.
"""
from .exact_erm import exact_erm
from .gls import gls, mgls
from .gradient_descent import gradient_descent
from .random_vertex import random_vertex
from .result import SearchResult

__all__ = ["SearchResult", "exact_erm", "random_vertex", "gls", "mgls", "gradient_descent"]
