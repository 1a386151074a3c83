"""The checked input of a family of region programs (paper eq. 3), validated once.

A :class:`RegionProblem` holds one labelled dataset, the fixed output weights v, the loss, whether
the output bias c is fitted and the weight decay. Constructing it is the one place where these are
checked (docs/design.md §7.4, scikit-learn's rule for ``fit``): the public entry points (the
searches, :class:`~zonocomb.convex.region.RegionProgram`, :func:`~zonocomb.convex.region.solve_region`)
build it at their boundary, and the layers below — :meth:`RegionProgram.from_problem
<zonocomb.convex.region.RegionProgram.from_problem>`, the backends — trust it and do not check again.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError
from ..geometry.dataset import Dataset
from ..validation import check_bool
from .backends import RegionData
from .losses import check_labels, check_loss

__all__ = ["RegionProblem", "check_output_weights"]


class RegionProblem:
    """A labelled dataset, output weights, loss, ``fit_bias`` and ``alpha``, all checked.

    Parameters
    ----------
    dataset, v, loss, fit_bias, alpha
        As in :class:`~zonocomb.convex.region.RegionProgram`: labelled data, fixed finite output
        weights of shape (m,), ``"mse"``/``"logistic"``/``"l1"``, whether c is optimised
        (appendix H) or 0 (section 2), and the weight decay ``alpha`` ‖W‖²_F (smooth losses).
    m : int, optional
        The number of units ``v`` must have.

    Attributes
    ----------
    dataset : Dataset
    y : ndarray of float, shape (N,)
        The labels, finite, in {0, 1} for the logistic loss (read-only).
    v : ndarray of float, shape (m,)
        The output weights (read-only).
    loss : str
    fit_bias : bool
    alpha : float

    Raises
    ------
    InvalidTypeError
        ``dataset`` is not a Dataset, ``v`` holds non-numbers, ``fit_bias`` is not a bool.
    InvalidInputError
        Missing labels, labels outside {0, 1} for the logistic loss (named by index), an unknown
        loss, output weights that are empty, not one-dimensional, not finite or not of length
        ``m``, or a negative or non-finite ``alpha`` (or ``alpha`` > 0 with the l1 loss).

    Notes
    -----
    Cost: O(N + m) checks; the dataset itself was checked when it was built. The object is
    immutable, so holding one is proof that its contents were checked.

    Examples
    --------
    >>> from zonocomb import Dataset
    >>> problem = RegionProblem(Dataset([[0], [1]], y=[0, 1]), v=[1.0, -1.0], loss="logistic")
    >>> problem.m, problem.N, problem.n, problem.y.tolist()
    (2, 2, 2, [0.0, 1.0])
    """

    __slots__ = ("dataset", "y", "v", "loss", "fit_bias", "alpha")

    def __init__(self, dataset, v, loss: str = "mse", fit_bias: bool = True, alpha: float = 0.0,
                 m: int | None = None):
        if not isinstance(dataset, Dataset):
            raise InvalidTypeError(f"dataset must be a zonocomb Dataset, got {type(dataset).__name__}")
        loss = check_loss(loss)
        fit_bias = check_bool(fit_bias, "fit_bias")
        y = np.array(check_labels(loss, dataset.require_labels()), dtype=float)     # (a copy: frozen)
        y.setflags(write=False)
        if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.integer, np.floating)) \
                or not (np.isfinite(alpha) and alpha >= 0):
            raise InvalidInputError(f"alpha (weight decay) must be a finite number >= 0, got {alpha!r}")
        if alpha > 0 and loss == "l1":
            raise InvalidInputError("alpha (weight decay) needs a smooth loss (mse or logistic); the l1 "
                                    "region program is a linear program")
        self._set(dataset, y, check_output_weights(v, m), loss, fit_bias, float(alpha))

    def _set(self, dataset, y, v, loss, fit_bias, alpha) -> None:
        for name, value in zip(self.__slots__, (dataset, y, v, loss, fit_bias, alpha)):
            object.__setattr__(self, name, value)

    def __getstate__(self):
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state) -> None:
        dataset, y, v, *rest = state
        y, v = np.array(y, dtype=float), np.array(v, dtype=float)         # unpickled arrays: frozen again
        y.setflags(write=False)
        v.setflags(write=False)
        self._set(dataset, y, v, *rest)

    def __setattr__(self, name, value):
        raise AttributeError(f"RegionProblem is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return (f"RegionProblem(N={self.N}, n={self.n}, m={self.m}, loss={self.loss!r}, "
                f"fit_bias={self.fit_bias}, alpha={self.alpha})")

    @property
    def m(self) -> int:
        """Number of hidden units (the length of v)."""
        return int(self.v.size)

    @property
    def N(self) -> int:
        """Number of examples."""
        return self.dataset.N

    @property
    def n(self) -> int:
        """Dimension of one unit's weight vector (d + 1 for homogenized data)."""
        return self.dataset.n

    def with_output_weights(self, v, m: int | None = None) -> RegionProblem:
        """The same problem with the output weights ``v`` (only ``v`` is checked).

        Raises
        ------
        InvalidTypeError, InvalidInputError
            As :func:`check_output_weights`.
        """
        other = object.__new__(RegionProblem)
        other._set(self.dataset, self.y, check_output_weights(v, m), self.loss, self.fit_bias, self.alpha)
        return other

    def region_data(self) -> RegionData:
        """The float data of the backends (:class:`~zonocomb.convex.backends.RegionData`), unscaled."""
        return RegionData(Xbar=np.ascontiguousarray(self.dataset.generators_float, dtype=float), y=self.y,
                          v=self.v, loss=self.loss, fit_bias=self.fit_bias, alpha=self.alpha)


def check_output_weights(v, m: int | None = None) -> np.ndarray:
    """Return the output weights ``v`` as a read-only finite 1-D float array (of length ``m`` if given).

    Raises
    ------
    InvalidTypeError
        Entries that are not numbers.
    InvalidInputError
        Empty or not 1-D, a non-finite entry (named by index), or a length other than ``m``.
    """
    try:
        arr = np.array(v, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"output weights v must be numbers, got {v!r}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(f"output weights v must be a non-empty 1-D array, got shape {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InvalidInputError(f"output weight v[{int(bad[0])}] is not finite ({float(arr[bad[0]])!r})")
    if m is not None and arr.size != m:
        raise InvalidInputError(f"output weights v have length {arr.size}, expected {m}")
    arr.setflags(write=False)
    return arr
