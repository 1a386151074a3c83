"""The set-cover reduction to single bias-free ReLU regression and its variants (paper appendix E).

Coordinates of R^d, d = M + 2, are laid out as: index 0 is e_γ, index 1 is e_1 and index 2 + i is
e_{T_i}. Examples are listed as x_γ, x_1, x_{T_1}, ..., x_{T_M}, then x_u for u in the universe's
order. Everything is exact (Fractions); losses are mean squared errors (eq. 16) of
f_w(x) = φ(w·x) with output weight 1 and no output bias.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from numbers import Rational
from typing import Sequence

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, NotInGeneralPositionError
from ..exact.rational import to_fraction
from ..geometry.dataset import Dataset
from ..geometry.position import general_position_witness
from ..validation import UNSET, check_random_state, renamed_parameter
from .exact_loss import single_relu_loss

__all__ = [
    "SetCoverInstance", "DiscontinuityWitness", "set_cover_to_relu", "cover_weights", "minimum_cover_size",
    "general_position_variant", "general_position_cover_weights", "perturb_discontinuity", "relu_mse",
]

#: Grid resolution of the exact "uniform" draws of theorem E.1 (see general_position_variant).
NOISE_GRID = 2 ** 32
#: How many fresh noise draws general_position_variant tries before giving up.
MAX_DRAWS = 20


@dataclass(frozen=True)
class SetCoverInstance:
    """A set-cover instance together with its ReLU regression dataset.

    Attributes
    ----------
    dataset : Dataset
        Bias-free labelled dataset (``homogenize=False``), examples ordered x_γ, x_1, x_{T_i}, x_u.
    gamma : Fraction
        γ = 1/(100 M²) (appendix E.1).
    universe : tuple
        The elements of U, in the order of the x_u examples.
    subsets : tuple of frozenset
        T_1, ..., T_M.
    eta : tuple of tuple of Fraction or None
        For the general-position variant (theorem E.1), the noise η_u subtracted from each x_u.
    delta1, delta2 : Fraction or None
        The noise bounds of theorem E.1, when ``eta`` is set.
    """
    dataset: Dataset
    gamma: Fraction
    universe: tuple
    subsets: tuple
    eta: tuple | None = None
    delta1: Fraction | None = None
    delta2: Fraction | None = None

    @property
    def M(self) -> int:
        return len(self.subsets)

    @property
    def d(self) -> int:
        return len(self.subsets) + 2

    def index_of_subset(self, i: int) -> int:
        """Example index of x_{T_i}."""
        return 2 + i

    def index_of_element(self, k: int) -> int:
        """Example index of x_u for the k-th element of the universe."""
        return 2 + len(self.subsets) + k


@dataclass(frozen=True)
class DiscontinuityWitness:
    """The perturbed dataset of appendix E.2 with its witnesses.

    Attributes
    ----------
    instance : SetCoverInstance
        The perturbed instance (x'_u = x_u + ε e_T; everything else unchanged).
    T : int
        Index of the subset whose coordinate is perturbed.
    eps : Fraction
    weights : tuple of Fraction
        w_γ = γ, w_1 = 1, w_T = -1/ε, others 0: loss γ²/N on the perturbed dataset.
    loss : Fraction
        The exact loss of ``weights`` on the perturbed dataset (= γ²/N).
    unperturbed_weights : tuple of Fraction or None
        w_γ = 2, w_1 = γ, w_{T_i} = -1 (i ≠ T), w_T = -3: the same activation pattern, realised
        on the unperturbed dataset (last paragraph of appendix E.2). None when the subsets do not
        cover U (an uncovered x_u = e_1 is then active under these weights).
    """
    instance: SetCoverInstance
    T: int
    eps: Fraction
    weights: tuple
    loss: Fraction
    unperturbed_weights: tuple


def relu_mse(dataset: Dataset, w: Sequence) -> Fraction:
    """Exact mean squared error (1/N) Σ (φ(w·x_i) - y_i)² of a single ReLU (eq. 16).

    The dataset's generators are used, so for a homogenized dataset ``w`` includes the bias.
    """
    return single_relu_loss(dataset, w, "mse")


def _normalise_universe(universe) -> tuple:
    if isinstance(universe, (set, frozenset)):
        try:
            items = tuple(sorted(universe))
        except TypeError:
            raise InvalidTypeError("a set-valued universe must have mutually comparable elements "
                                   "(pass a list to fix the order)") from None
    else:
        try:
            items = tuple(universe)
        except TypeError:
            raise InvalidTypeError(f"universe must be an iterable of elements, got {type(universe).__name__}") from None
    if not items:
        raise InvalidInputError("the universe is empty; a set-cover instance needs at least one element")
    if len(set(items)) != len(items):
        raise InvalidInputError("the universe lists an element twice")
    return items


def set_cover_to_relu(universe, subsets) -> SetCoverInstance:
    """Goel et al.'s reduction of set cover to a single bias-free ReLU (appendix E.1, eqs. 12-15).

    Parameters
    ----------
    universe : iterable of hashable
        The set U (a list fixes the order of the x_u; a set is sorted).
    subsets : sequence of iterables
        T_1, ..., T_M, each a subset of U. Subsets may be empty or repeated. They need not cover
        U: then no cover exists, and an uncovered u gives x_u = x_1 with label 0 instead of 1.

    Returns
    -------
    SetCoverInstance
        d = M + 2, γ = 1/(100 M²), N = |U| + M + 2 examples
        (e_γ, γ), (e_1, 1), (e_γ + e_{T_i}, γ) and (e_1 + Σ_{T_i ∋ u} e_{T_i}, 0).

    Raises
    ------
    InvalidInputError
        Empty universe, no subsets, repeated universe elements, or a subset containing an element
        outside the universe.

    Examples
    --------
    >>> inst = set_cover_to_relu([1, 2], [[1], [2], [1, 2]])
    >>> inst.gamma, inst.dataset.N, inst.dataset.d
    (Fraction(1, 900), 7, 5)

    References
    ----------
    Paper appendix E.1; Goel et al. (2020), theorem 8.
    """
    U = _normalise_universe(universe)
    try:
        T = tuple(frozenset(s) for s in subsets)
    except TypeError:
        raise InvalidTypeError("subsets must be a sequence of iterables of universe elements") from None
    if not T:
        raise InvalidInputError("no subsets given; the reduction needs M >= 1 (γ = 0.01/M²)")
    members = set(U)
    for i, s in enumerate(T):
        extra = s - members
        if extra:
            raise InvalidInputError(f"subset {i} contains {sorted(map(repr, extra))}, not in the universe")
    M = len(T)
    d = M + 2
    gamma = Fraction(1, 100 * M * M)

    def unit(*idx):
        row = [Fraction(0)] * d
        for j in idx:
            row[j] += 1
        return row

    X = [unit(0), unit(1)] + [unit(0, 2 + i) for i in range(M)]
    y = [gamma, Fraction(1)] + [gamma] * M
    for u in U:
        X.append(unit(1, *[2 + i for i, s in enumerate(T) if u in s]))
        y.append(Fraction(0))
    return SetCoverInstance(Dataset(X, y=y, homogenize=False), gamma, U, T)


def _check_cover(instance: SetCoverInstance, cover) -> tuple[int, ...]:
    try:
        idx = tuple(int(i) for i in cover)
    except (TypeError, ValueError):
        raise InvalidTypeError("cover must be an iterable of subset indices") from None
    M = instance.M
    for i in idx:
        if not 0 <= i < M:
            raise InvalidInputError(f"cover index {i} is out of range for {M} subsets")
    if len(set(idx)) != len(idx):
        raise InvalidInputError("cover lists a subset index twice")
    covered = set().union(*(instance.subsets[i] for i in idx)) if idx else set()
    missing = [u for u in instance.universe if u not in covered]
    if missing:
        raise InvalidInputError(f"the chosen subsets {list(idx)} do not cover {missing!r}")
    return idx


def _weights(instance: SetCoverInstance, w_gamma, w_one, chosen: dict) -> tuple[Fraction, ...]:
    w = [Fraction(0)] * instance.d
    w[0], w[1] = Fraction(w_gamma), Fraction(w_one)
    for i, value in chosen.items():
        w[2 + i] = Fraction(value)
    return tuple(w)


def cover_weights(instance: SetCoverInstance, cover) -> tuple[tuple[Fraction, ...], Fraction]:
    """Weights of a set cover on the original reduction dataset and their exact loss t γ²/N.

    w_γ = γ, w_1 = 1, w_{T_i} = -1 for T_i in the cover, all else 0 (appendix E.1).

    Parameters
    ----------
    instance : SetCoverInstance
        From :func:`set_cover_to_relu` (not the general-position variant).
    cover : iterable of int
        Indices of the chosen subsets; they must cover the universe.

    Returns
    -------
    (w, loss) : tuple of Fraction, Fraction
        ``loss`` is computed by evaluating eq. (16) exactly; it equals t γ²/N, t = len(cover).

    Raises
    ------
    InvalidInputError
        Out-of-range or repeated indices, subsets that do not cover U, or a general-position
        instance (use :func:`general_position_cover_weights`).
    """
    if instance.eta is not None:
        raise InvalidInputError("this is a general-position variant; use general_position_cover_weights")
    idx = _check_cover(instance, cover)
    w = _weights(instance, instance.gamma, 1, {i: -1 for i in idx})
    return w, relu_mse(instance.dataset, w)


def minimum_cover_size(instance: SetCoverInstance) -> int | None:
    """Size of a smallest set cover (brute force over subcollections), or None if U is not covered.

    Notes
    -----
    Exponential in M; meant for the tiny instances of the cross-checks.
    """
    U = set(instance.universe)
    for t in range(instance.M + 1):
        for combo in combinations(range(instance.M), t):
            if set().union(*(instance.subsets[i] for i in combo)) >= U:
                return t
    return None


def general_position_variant(instance: SetCoverInstance, delta1, delta2, random_state=None, *,
                             rng=UNSET) -> SetCoverInstance:
    """Theorem E.1's dataset: x'_u = x_u - η_u with η_u uniform on [δ1, δ2]^d, certified generic.

    Parameters
    ----------
    instance : SetCoverInstance
        The original reduction (:func:`set_cover_to_relu`).
    delta1, delta2 : rational
        Noise bounds with 0 < δ1 < δ2 < 1/(2d), checked exactly.
    random_state : numpy.random.Generator, int or None
        Source of randomness (:func:`zonocomb.validation.check_random_state`).
    rng
        Deprecated old name of ``random_state``.

    Returns
    -------
    SetCoverInstance
        Same labels, universe and subsets; ``eta``, ``delta1``, ``delta2`` set; the examples are in
        general linear position (no ≤ d of them are linearly dependent), verified exactly by
        :func:`zonocomb.geometry.position.general_position_witness`.

    Raises
    ------
    InvalidInputError
        Bounds violating 0 < δ1 < δ2 < 1/(2d), or an instance that is already perturbed.
    NotInGeneralPositionError
        If ``MAX_DRAWS`` independent draws all fail the exact certificate (probability ~0).

    Notes
    -----
    Each coordinate of η_u is δ1 + (δ2 - δ1)·k/2^32 with k uniform in {0, ..., 2^32}: an exact
    rational version of the uniform distribution (the grid is far finer than any degeneracy the
    certificate could miss; a draw that is not generic is rejected and redrawn, which is the
    probability-one statement of lemma E.2 made exact).

    References
    ----------
    Paper theorem E.1 and lemma E.2 (appendix E.3).
    """
    if instance.eta is not None:
        raise InvalidInputError("the instance is already a general-position variant")
    d1 = to_fraction(delta1, where="delta1")
    d2 = to_fraction(delta2, where="delta2")
    d = instance.d
    bound = Fraction(1, 2 * d)
    if not (0 < d1 < d2 < bound):
        raise InvalidInputError(f"need 0 < delta1 < delta2 < 1/(2d) = {bound}, got delta1={d1}, delta2={d2}")
    gen = check_random_state(renamed_parameter(random_state, rng, "random_state", "rng"))
    X = instance.dataset.X_exact
    first_u = instance.index_of_element(0)
    for _ in range(MAX_DRAWS):
        ks = gen.integers(0, NOISE_GRID, size=(len(instance.universe), d), endpoint=True)
        eta = tuple(tuple(d1 + (d2 - d1) * Fraction(int(k), NOISE_GRID) for k in row) for row in ks)
        rows = list(X[:first_u]) + [tuple(a - b for a, b in zip(X[first_u + k], e)) for k, e in enumerate(eta)]
        if general_position_witness(rows) is None:
            ds = Dataset(rows, y=instance.dataset.y_exact, homogenize=False)
            return SetCoverInstance(ds, instance.gamma, instance.universe, instance.subsets, eta, d1, d2)
    raise NotInGeneralPositionError(f"{MAX_DRAWS} noise draws all failed the exact general-position certificate")


def general_position_cover_weights(gp_instance: SetCoverInstance, cover) -> tuple[tuple[Fraction, ...], Fraction]:
    """Lemma E.3's weights for a cover on the general-position variant and their exact loss t γ²/N.

    w_1 = 1, w_γ = γ, w_{T_i} = -2 for T_i in the cover, all else 0.

    Raises
    ------
    InvalidInputError
        The instance is not a general-position variant, or ``cover`` is not a cover.
    """
    if gp_instance.eta is None:
        raise InvalidInputError("not a general-position variant; use cover_weights for the original dataset")
    idx = _check_cover(gp_instance, cover)
    w = _weights(gp_instance, gp_instance.gamma, 1, {i: -2 for i in idx})
    return w, relu_mse(gp_instance.dataset, w)


def perturb_discontinuity(instance: SetCoverInstance, T: int, eps) -> DiscontinuityWitness:
    """Appendix E.2: x'_u = x_u + ε e_T for every u makes the optimum ≤ γ²/N whatever the cover.

    Parameters
    ----------
    instance : SetCoverInstance
        The original reduction (:func:`set_cover_to_relu`).
    T : int
        Index of the subset whose coordinate receives the perturbation.
    eps : rational with 0 < eps < 1/γ

    Returns
    -------
    DiscontinuityWitness
        The perturbed instance, the witness w (w_γ = γ, w_1 = 1, w_T = -1/ε, the largest value the
        paper allows) with its exact loss γ²/N, and weights realising the same activation pattern
        on the unperturbed dataset.

    Raises
    ------
    InvalidInputError
        ε ≤ 0, T out of range, or a general-position instance.

    References
    ----------
    Paper appendix E.2.
    """
    if instance.eta is not None:
        raise InvalidInputError("perturb_discontinuity applies to the original reduction, not its variant")
    eps = to_fraction(eps, where="eps")
    if not 0 < eps < 1 / instance.gamma:
        raise InvalidInputError(f"eps must satisfy 0 < eps < 1/gamma = {1 / instance.gamma} (so that "
                                f"w_T = -1/eps switches x_T off), got {eps}")
    if isinstance(T, bool) or not isinstance(T, (int, np.integer, Rational)) or not 0 <= int(T) < instance.M:
        raise InvalidInputError(f"T must be a subset index in 0..{instance.M - 1}, got {T!r}")
    T = int(T)
    X = [list(r) for r in instance.dataset.X_exact]
    for k in range(len(instance.universe)):
        X[instance.index_of_element(k)][2 + T] += eps
    ds = Dataset(X, y=instance.dataset.y_exact, homogenize=False)
    perturbed = SetCoverInstance(ds, instance.gamma, instance.universe, instance.subsets)
    w = _weights(instance, instance.gamma, 1, {T: -1 / eps})
    w0 = None
    if minimum_cover_size(instance) is not None:
        others = {i: -1 for i in range(instance.M) if i != T}
        others[T] = -3
        w0 = _weights(instance, 2, instance.gamma, others)
    return DiscontinuityWitness(perturbed, T, eps, w, relu_mse(ds, w), w0)
