"""scikit-learn estimators for shallow ReLU networks trained by the search algorithms of zonocomb.

:class:`ZonotopeRegressor` and :class:`ZonotopeClassifier` fit ``f(x) = vᵀ φ(W x̄) + c`` (paper
eq. 24/25) with one of the methods of :mod:`zonocomb.search`: ``"mgls"`` (appendix G), ``"gls"``
(Algorithm 2), ``"random_vertex"`` (section 4.2), ``"exact_erm"`` (Algorithm 1) or
``"gradient_descent"`` (appendix H), by their names in :data:`zonocomb.search.METHODS` (the old
names ``"exact"`` and ``"gd"`` still work, with a DeprecationWarning). They follow scikit-learn's
conventions: ``__init__`` only stores its keyword parameters, ``fit`` validates them and returns
``self``, fitted attributes end in ``_``.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils import check_random_state as sklearn_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .errors import InvalidInputError, InvalidTypeError
from .geometry.dataset import Dataset
from .search import forward, get_method, run_method
from .validation import check_random_state

__all__ = ["ZonotopeRegressor", "ZonotopeClassifier"]



class _ZonotopeNetwork(BaseEstimator):
    """Shared fitting code; subclasses define the loss and how labels become targets."""

    _losses: tuple = ()

    def _validate_params(self) -> None:
        method = get_method(self.method)
        if method.name != self.method:
            warnings.warn(f"method={self.method!r} is deprecated and will be removed in the next release; "
                          f"use method={method.name!r}", DeprecationWarning, stacklevel=4)
        if (isinstance(self.n_units, (bool, np.bool_)) or not isinstance(self.n_units, numbers.Integral)
                or self.n_units < 1):
            raise InvalidInputError(f"n_units must be a positive integer, got {self.n_units!r}")
        if self.max_steps is not None and (
                isinstance(self.max_steps, (bool, np.bool_)) or not isinstance(self.max_steps, numbers.Integral)
                or self.max_steps < 0):
            raise InvalidInputError(f"max_steps must be None or a non-negative integer, got {self.max_steps!r}")
        if self._loss() not in self._losses:
            raise InvalidInputError(
                f"unknown loss {self._loss()!r} for {type(self).__name__}; expected one of {', '.join(self._losses)}")
        if not (isinstance(self.learning_rate, numbers.Real) and np.isfinite(self.learning_rate)
                and self.learning_rate > 0):
            raise InvalidInputError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        if not isinstance(self.fit_bias, (bool, np.bool_)):
            raise InvalidTypeError(f"fit_bias must be a bool, got {self.fit_bias!r}")

    def _search(self, dataset: Dataset, classification: bool):
        # scikit-learn's meaning of random_state (None: numpy's global RandomState), then a Generator
        rng = check_random_state(sklearn_random_state(self.random_state))
        return run_method(self.method, dataset, int(self.n_units), loss=self._loss(), max_steps=self.max_steps,
                          fit_bias=bool(self.fit_bias), random_state=rng, backend=self.backend,
                          lr=float(self.learning_rate), train_output=not classification,
                          max_patterns=self.max_patterns, progress=False)

    def _fit_targets(self, X, targets, classification: bool):
        self._validate_params()
        result = self._search(Dataset(X, y=targets), classification)
        self.result_ = result
        self.W_ = result.W
        self.v_ = result.v
        self.c_ = result.c
        self.pattern_ = result.pattern
        self.loss_ = result.loss
        self.n_iter_ = result.n_steps
        return self

    def _decision(self, X) -> np.ndarray:
        check_is_fitted(self, "result_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        G = np.hstack([X, np.ones((X.shape[0], 1))])
        return forward(G, self.W_, self.v_, self.c_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None and get_method(self.method).stochastic
        return tags


class ZonotopeRegressor(RegressorMixin, _ZonotopeNetwork):
    """Shallow ReLU network regressor trained by combinatorial search over activation regions.

    Parameters
    ----------
    n_units : int, default 8
        Hidden units m.
    method : {"mgls", "gls", "random_vertex", "exact_erm", "gradient_descent"}, default "mgls"
        Search algorithm (:data:`zonocomb.search.METHODS`; ``"exact"`` and ``"gd"`` are deprecated
        names of ``"exact_erm"`` and ``"gradient_descent"``). ``"exact_erm"`` enumerates every vertex of Z^m and
        is only feasible for tiny problems (``max_patterns`` guards it); ``"random_vertex"`` uses
        the alternating synthetic mode of appendix H.1.2 for the MSE loss.
    loss : {"mse", "l1"}, default "mse"
    max_steps : int or None
        Moves of GLS (default 1024) / mGLS (default 2048), or gradient steps of ``"gradient_descent"``
        (default 10000); ignored by the other methods.
    learning_rate : float, default 1e-3
        Step size of ``"gradient_descent"``.
    fit_bias : bool, default True
        Optimise the output bias ``c``.
    backend : str, default "fast"
        Convex backend of :mod:`zonocomb.convex.region`.
    max_patterns : int, default 200000
        Size limit of ``"exact_erm"``.
    random_state : None, int or numpy.random.RandomState
        Seed of the starting vertex, neighbour order or initialisation.

    Attributes
    ----------
    W_ : ndarray of shape (n_units, n_features + 1)
        First-layer weights, last column the unit biases.
    v_ : ndarray of shape (n_units,)
    c_ : float
    pattern_ : ndarray of bool, shape (n_units, n_samples)
        Final vertex of Z^m (activation pattern on the training data).
    loss_ : float
        Final mean training loss.
    n_iter_ : int
        Steps of the search.
    result_ : zonocomb.search.SearchResult
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    >>> reg = ZonotopeRegressor(n_units=2, method="gls", random_state=0).fit(X, np.abs(X[:, 0] - 2))
    >>> bool(reg.loss_ < 1e-8)
    True
    """

    _losses = ("mse", "l1")

    def __init__(self, n_units=8, *, method="mgls", loss="mse", max_steps=None, learning_rate=1e-3,
                 fit_bias=True, backend="fast", max_patterns=200_000, random_state=None):
        self.n_units = n_units
        self.method = method
        self.loss = loss
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.fit_bias = fit_bias
        self.backend = backend
        self.max_patterns = max_patterns
        self.random_state = random_state

    def _loss(self) -> str:
        return self.loss

    def fit(self, X, y):
        """Fit the network to ``(X, y)``; returns ``self``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        return self._fit_targets(X, y, classification=False)

    def predict(self, X) -> np.ndarray:
        """Network outputs ``vᵀ φ(W x̄) + c``."""
        return self._decision(X)


class ZonotopeClassifier(ClassifierMixin, _ZonotopeNetwork):
    """Binary shallow ReLU network classifier (sigmoid cross-entropy, paper appendix H.2.2).

    The two classes (any labels; ``classes_`` in sorted order) are mapped to 0 and 1 and the
    logistic loss ``−y ŷ + log(1 + e^ŷ)`` of the logit ``ŷ = f(x)`` is minimised with ``v`` fixed to
    half +1, half −1 (all combinatorial methods) or frozen likewise for ``"gradient_descent"``.

    Parameters
    ----------
    n_units, method, max_steps, learning_rate, fit_bias, backend, max_patterns, random_state
        As for :class:`ZonotopeRegressor`.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
    W_, v_, c_, pattern_, loss_, n_iter_, result_, n_features_in_
        As for :class:`ZonotopeRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = ZonotopeClassifier(n_units=2, method="random_vertex", random_state=0)
    >>> clf.fit(X, ["no", "no", "yes", "yes"]).predict([[3.0]]).tolist()
    ['yes']
    """

    _losses = ("logistic",)

    def __init__(self, n_units=8, *, method="mgls", max_steps=None, learning_rate=1e-3,
                 fit_bias=True, backend="fast", max_patterns=200_000, random_state=None):
        self.n_units = n_units
        self.method = method
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.fit_bias = fit_bias
        self.backend = backend
        self.max_patterns = max_patterns
        self.random_state = random_state

    def _loss(self) -> str:
        return "logistic"

    def fit(self, X, y):
        """Fit the network to ``(X, y)`` with exactly two classes; returns ``self``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.size != 2:
            raise InvalidInputError(
                "Only binary classification is supported. ZonotopeClassifier needs exactly two "
                f"classes; y has {classes.size} class{'' if classes.size == 1 else 'es'}: {classes.tolist()}")
        self.classes_ = classes
        return self._fit_targets(X, (y == classes[1]).astype(float), classification=True)

    def decision_function(self, X) -> np.ndarray:
        """The logit ``f(x)``; positive values predict ``classes_[1]``."""
        return self._decision(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``[1 − σ(f(x)), σ(f(x))]``."""
        logits = self._decision(X)
        return np.column_stack([expit(-logits), expit(logits)])

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where ``f(x) > 0``, else ``classes_[0]``."""
        positive = self._decision(X) > 0
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
