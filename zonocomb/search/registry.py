"""The search methods by name: the one table the estimators, ``zonocomb fit`` and the sweeps use.

A method's name is the :attr:`SearchResult.method <zonocomb.search.SearchResult.method>` it
returns: ``"exact_erm"`` (Algorithm 1), ``"random_vertex"`` (§4.2), ``"gls"`` (Algorithm 2),
``"mgls"`` (appendix G), ``"gradient_descent"`` (appendix H), and the two searches written on
:class:`~zonocomb.search.RegionOracle`, ``"simulated_annealing"`` and ``"tabu_search"``. ``"exact"``
and ``"gd"`` are the older names of ``"exact_erm"`` and ``"gradient_descent"`` and are accepted as
aliases (:data:`ALIASES`).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..errors import InvalidInputError
from ..geometry.dataset import Dataset
from ._common import half_output_weights
from .exact_erm import exact_erm
from .gls import gls, mgls
from .gradient_descent import gradient_descent
from .annealing import simulated_annealing
from .random_vertex import random_vertex
from .result import SearchResult
from .tabu import tabu_search

__all__ = ["SearchMethod", "METHODS", "ALIASES", "get_method", "run_method"]


@dataclass(frozen=True)
class SearchMethod:
    """One search algorithm of :mod:`zonocomb.search` and how to call it by name.

    Attributes
    ----------
    name : str
        Registry key, equal to the ``method`` of the :class:`SearchResult` it returns.
    function : callable
        ``function(dataset, m, **keywords)``, or ``function(dataset, v, **keywords)`` when
        ``fixed_output`` is set.
    steps : str or None
        The function's keyword for the step budget (``"max_steps"``, ``"steps"``), None if it has
        none.
    defaults : mapping
        Keyword values :func:`run_method` uses when the caller gives none; a callable value is
        called with the loss name.
    fixed_output : bool
        The function takes the output weights ``v`` instead of ``m``: :func:`run_method` passes
        the half +1 / half −1 vector of appendix H (:func:`~zonocomb.search.half_output_weights`).
    stochastic : bool
        The result depends on ``random_state``.
    """

    name: str
    function: Callable[..., SearchResult]
    steps: str | None = None
    defaults: Mapping[str, object] = field(default_factory=dict)
    fixed_output: bool = False
    stochastic: bool = True

    @property
    def keywords(self) -> frozenset:
        """The keyword arguments ``function`` accepts (all but its first two parameters)."""
        return frozenset(list(inspect.signature(self.function).parameters)[2:])


def _random_vertex_mode(loss: str) -> str:
    # the alternating mode of appendix H.1.2 solves least squares, so it goes with the MSE only
    return "synthetic" if loss == "mse" else "classification"


#: name → :class:`SearchMethod`, in the order the methods are listed to users
METHODS: Mapping[str, SearchMethod] = MappingProxyType({
    "mgls": SearchMethod("mgls", mgls, steps="max_steps", defaults={"max_steps": 2048}),
    "gls": SearchMethod("gls", gls, steps="max_steps", defaults={"max_steps": 1024}),
    "random_vertex": SearchMethod("random_vertex", random_vertex, defaults={"mode": _random_vertex_mode}),
    "exact_erm": SearchMethod("exact_erm", exact_erm, fixed_output=True, stochastic=False),
    "gradient_descent": SearchMethod("gradient_descent", gradient_descent, steps="steps",
                                     defaults={"steps": 10_000, "lr": 1e-3}),
    "simulated_annealing": SearchMethod("simulated_annealing", simulated_annealing, steps="max_steps",
                                        defaults={"max_steps": 2000}),
    "tabu_search": SearchMethod("tabu_search", tabu_search, steps="max_steps", defaults={"max_steps": 100}),
})

#: older name → registry name (accepted everywhere a method is named)
ALIASES: Mapping[str, str] = MappingProxyType({"exact": "exact_erm", "gd": "gradient_descent"})


def get_method(name: str) -> SearchMethod:
    """The :class:`SearchMethod` called ``name`` (a registry name or an alias).

    Raises
    ------
    InvalidInputError
        Unknown name (the message lists the registry names).

    Examples
    --------
    >>> get_method("gd").name
    'gradient_descent'
    """
    key = ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in METHODS:
        raise InvalidInputError(f"unknown method {name!r}; expected one of {', '.join(METHODS)} "
                                f"(or the old names {', '.join(ALIASES)})")
    return METHODS[key]


def run_method(name: str, dataset: Dataset, m: int, /, *, loss: str = "mse", max_steps: int | None = None,
               **keywords: Any) -> SearchResult:
    """Run the search method ``name`` with ``m`` hidden units on ``dataset``.

    Parameters
    ----------
    name : str
        A registry name or alias (:func:`get_method`).
    dataset : Dataset
        Labelled training data.
    m : int
        Hidden units.
    loss : {"mse", "logistic", "l1"}
    max_steps : int or None
        The step budget, passed as the method's own keyword (:attr:`SearchMethod.steps`); None
        takes the registry default. Ignored by methods without one.
    **keywords
        Further keywords of the methods (``random_state``, ``backend``, ``fit_bias``, ``lr``,
        ``mode``, ``progress``, ...). Those the method does not accept are ignored, so one call
        serves every method (e.g. ``backend`` for gradient descent, ``lr`` for GLS).

    Returns
    -------
    SearchResult
        With ``result.method == get_method(name).name``.

    Raises
    ------
    InvalidInputError, InvalidTypeError
        Unknown method, or what the method itself raises for bad arguments.
    """
    method = get_method(name)
    if method.steps is not None and max_steps is not None:
        keywords[method.steps] = max_steps
    for key, value in method.defaults.items():
        if keywords.get(key) is None:
            keywords[key] = value(loss) if callable(value) else value
    accepted = method.keywords
    kwargs = {k: v for k, v in keywords.items() if k in accepted}
    first = half_output_weights(m) if method.fixed_output else m
    return method.function(dataset, first, loss=loss, **kwargs)
