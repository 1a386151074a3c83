"""Search for the weights of a shallow ReLU network over the vertices of Z^m (paper §2, §4.2, §4.3).

``exact_erm`` (Algorithm 1), ``random_vertex`` (§4.2), ``gls`` (Algorithm 2), ``mgls`` (appendix G)
and the ``gradient_descent`` baseline (appendix H), each returning a :class:`SearchResult`;
:data:`METHODS` / :func:`run_method` call them by name (:mod:`zonocomb.search.registry`).
:func:`forward` evaluates a network, :func:`half_output_weights` gives the fixed output weights
of appendix H, :func:`baseline_loss` the loss of ``W = 0``; :func:`check_dataset` is the search
layer's validation of its inputs and :func:`single_threaded_blas` the decorator every search wears.
:class:`RegionOracle`, the cached loss oracle on the vertices of Z^m that graph searches use, and
two such searches, ``simulated_annealing`` and ``tabu_search``. :class:`SearchCheckpoint`: the state
from which an interrupted GLS or mGLS search resumes.
"""
from ._common import baseline_loss, check_dataset, forward, half_output_weights, single_threaded_blas
from .exact_erm import exact_erm
from .gls import gls, mgls
from .gradient_descent import gradient_descent
from .annealing import simulated_annealing
from .checkpoint import SearchCheckpoint
from .oracle import RegionOracle
from .random_vertex import random_vertex
from .registry import ALIASES, METHODS, SearchMethod, get_method, run_method
from .result import SearchResult
from .tabu import tabu_search

__all__ = ["SearchResult", "SearchCheckpoint", "RegionOracle", "simulated_annealing", "tabu_search", "exact_erm", "random_vertex", "gls", "mgls", "gradient_descent",
           "METHODS", "ALIASES", "SearchMethod", "get_method", "run_method", "forward",
           "half_output_weights", "check_dataset", "baseline_loss", "single_threaded_blas"]
