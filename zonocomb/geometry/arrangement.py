"""The central hyperplane arrangement {w : w·x_i = 0} in parameter space (paper appendix A.1).

:class:`HyperplaneArrangement` gives its chambers (the activation regions of one ReLU unit) and its
covectors (all faces of the polyhedral complex R of appendix A.2). :class:`ChamberWalls` finds the
walls (facets) of one chamber, exactly and without one linear program per hyperplane; the zonotope's
lazy 1-skeleton (:meth:`zonocomb.geometry.zonotope.Zonotope.neighbors`) is built on it, since the
walls of a chamber are the edges of the dual zonotope at the corresponding vertex (appendix A.3).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInputError
from ..exact.predicates import TINY, rounding_factor
from ..exact.rational import nullspace, to_fraction_matrix, transpose
from .chambers import (chamber_interior_point, chambers_exact, integer_generators,
                       parallel_classes)
from .dataset import Dataset
from .flats import covectors_from_flats
from .position import SignFilter, column_basis

__all__ = ["HyperplaneArrangement", "ChamberWalls", "NotAChamberError"]

# Float tolerances of ChamberWalls. Each one only decides which float proposal is handed to an
# exact check (or which exact method runs), never an answer: a wrong guess costs time, not truth.
#: smallest margin t of the margin LP (unit normals, |w_k| <= 1) taken as an interior-point proposal
MIN_MARGIN = 1e-12
#: smallest Farkas-LP weight y_P counted in the proposed positive dependency
MIN_FARKAS_WEIGHT = 1e-12
#: relative gap between the first and second hyperplane hit along a ray for the first to be proposed
#: as a facet (closer hits are ties: the ray may leave through a lower-dimensional face)
HIT_GAP = 1e-9
#: NNLS residual above which a normal is taken to lie outside the cone of the facets found so far
CONE_RESIDUAL = 1e-9
#: smallest NNLS coefficient kept in a proposed redundancy support
MIN_SUPPORT_WEIGHT = 1e-12
#: singular-value tolerance of the rank test that completes a support to a basis
RANK_TOL = 1e-9
#: float coefficients μ_q >= −COEFFICIENT_SLACK make a normal a candidate for the exact redundancy test
COEFFICIENT_SLACK = 1e-9


class NotAChamberError(InvalidInputError):
    """A sign vector given as a chamber is not one (its open cone is empty)."""


def _lcm_integer_point(point: Sequence[Fraction]) -> list[int]:
    den = 1
    for v in point:
        den = den * v.denominator // math.gcd(den, v.denominator)
    return [int(v * den) for v in point]


def _round_int(v: np.ndarray, bits: int = 40) -> list[int]:
    scale = float(np.max(np.abs(v))) or 1.0
    return [int(round(x / scale * 2.0 ** bits)) for x in v]


def _dot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b))


def _nonnegative_solutions(A: list[list[int]], S: list[int], cand: list[int]) -> list[bool]:
    """For each P in ``cand``: is a_P = Σ_{q∈S} μ_q a_q with all μ_q >= 0? (S a basis; exact).

    Fraction-free Gauss–Jordan elimination of [a_S columns | a_P columns] in Python integers: after
    step k the left block of the processed rows is p_k·I with p_k the current pivot, every division
    by the previous pivot is exact, and at the end the right block is p·μ. False for every P when
    the a_q turn out to be dependent.
    """
    r = len(S)
    M = np.array([[A[q][i] for q in S] + [A[P][i] for P in cand] for i in range(r)], dtype=object)
    prev = 1
    for k in range(r):
        nz = [i for i in range(k, r) if M[i, k] != 0]
        if not nz:
            return [False] * len(cand)
        if nz[0] != k:
            M[[k, nz[0]]] = M[[nz[0], k]]
        p = M[k, k]
        others = [i for i in range(r) if i != k]
        if others:
            M[others] = (M[others] * p - np.multiply.outer(M[others, k], M[k])) // prev
        prev = p
    sign = 1 if prev > 0 else -1
    right = M[:, r:]
    return [all(sign * v >= 0 for v in right[:, c]) for c in range(len(cand))]


def _margin_lp(Ah: np.ndarray, on: np.ndarray | None = None) -> np.ndarray | None:
    """A float proposal of a point w with Â w > 0 (and on·w = 0 when ``on`` is given), or None.

    The LP max t subject to Â w >= t, |w_k| <= 1, t <= 1 (and on·w = 0), solved by HiGHS; its
    solution w is returned when the margin t exceeds :data:`MIN_MARGIN`. Callers check the signs
    of a rounded w exactly.
    """
    from scipy.optimize import linprog
    K, r = Ah.shape
    equal = {} if on is None else {"A_eq": np.r_[on, 0.0][None, :], "b_eq": [0.0]}
    res = linprog(np.r_[np.zeros(r), -1.0], A_ub=np.hstack([-Ah, np.ones((K, 1))]), b_ub=np.zeros(K),
                  bounds=[(-1, 1)] * r + [(None, 1)], method="highs", **equal)
    if res.status == 0 and res.x[-1] > MIN_MARGIN:
        return res.x[:r]
    return None


def _verified_nonnegative(B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """For each column c of C, True when the solution μ of B μ = c is certified strictly positive.

    B (r×r) and C hold the float64 values of exact vectors (each entry correctly rounded); the
    enclosure is rigorous (Rump's verification of a linear system): with R ≈ B⁻¹ and α >= ‖I − RB‖∞,
    α < 1, the exact solution satisfies ‖μ − μ̃‖∞ <= ‖|R|·|c − Bμ̃|‖∞ / (1 − α). Every float product
    carries the bound 2(r+3)·2^−53·(absolute values) for its rounding and the input conversion.
    False means "not certified" (near-singular B, or some μ_q close to 0), never "negative".
    """
    r = B.shape[0]
    c1 = rounding_factor(r + 3)
    try:
        R = np.linalg.inv(B)
    except np.linalg.LinAlgError:
        return np.zeros(C.shape[1], dtype=bool)
    absR, absB, eye = np.abs(R), np.abs(B), np.eye(r)
    E = np.abs(eye - R @ B) + c1 * (eye + absR @ absB)
    alpha = E.sum(axis=1).max() * (1 + c1)
    if not alpha < 0.5:
        return np.zeros(C.shape[1], dtype=bool)
    mu = R @ C
    res = np.abs(C - B @ mu) + c1 * (np.abs(C) + absB @ np.abs(mu)) + TINY
    delta = (absR @ res).max(axis=0) * (1 + c1) / (1 - alpha)
    return (mu - delta > 0).all(axis=0)


class ChamberWalls:
    """Walls (facets) of chambers of a fixed central arrangement, exact.

    Parameters
    ----------
    normals : list of list of int
        Pairwise non-parallel, nonzero integer normals a_1..a_K (one per parallel class).
    seed : int
        Seed of the fixed random shooting directions (the result does not depend on it).

    Notes
    -----
    For a chamber C = {w : σ_P a_P·w > 0} (a full-dimensional cone whose constraints are pairwise
    non-parallel, so every irredundant one is a facet) each P is decided by an exact certificate:

    * facet: a point h with σ_P a_P·h = 0 and σ_Q a_Q·h > 0 for all Q ≠ P (h lies in the relative
      interior of the facet), checked with exact integer signs;
    * redundant: σ_P a_P = Σ_{q∈S} μ_q σ_q a_q with μ >= 0 over other normals S (then the face
      on H_P lies in at least two hyperplanes, so it is not a facet), checked by fraction-free
      elimination.

    The certificates are found in floating point. One float LP (HiGHS) gives a central interior
    point w; shooting from w along −a_P for every P and along fixed random directions, the first
    hyperplane hit is a facet. Then for each remaining P non-negative least squares over the facets
    found so far either gives a redundancy support S (one basis S is reused for every P it covers)
    or a residual ρ with a_Q·ρ <= 0 on all found facets and a_P·ρ > 0, so shooting along −ρ must
    hit a facet not found yet. Only hyperplanes that neither certificate settles get a float LP for
    a wall point and then, if still undecided, one exact cddlib LP (is the chamber with σ_P flipped
    nonempty?). So there is no LP per hyperplane in the usual case: one float LP per chamber.
    A redundancy support is checked by a verified float solve (:func:`_verified_nonnegative`); the
    exact fraction-free elimination runs only for the hyperplanes it cannot certify (a coefficient
    μ_q at or near 0, or an ill-conditioned basis), on generic data for none.
    """

    def __init__(self, normals: list[list[int]], seed: int = 0):
        cols = column_basis(normals)
        self.A = [[row[c] for c in cols] for row in normals]
        self.K, self.r = len(self.A), len(cols)
        self.filter = SignFilter(self.A)
        Af = self.filter.Af
        self.Ahat = Af / np.linalg.norm(Af, axis=1)[:, None]
        D = np.random.default_rng(seed).standard_normal((4 * self.r + 16, self.r))
        self.D = D / np.linalg.norm(D, axis=1)[:, None]

    def is_chamber(self, sigma: Sequence[int]) -> bool:
        """Whether the open cone {w : σ_P a_P·w > 0 for all P} is nonempty, exactly.

        A float margin LP (HiGHS) proposes a point, accepted after an exact sign check; otherwise a
        float Farkas LP (y >= 0, Σ y = 1, Σ y_P σ_P â_P = 0) proposes a support S, accepted when the
        exact null space of {σ_P a_P : P ∈ S} is one vector with entries of one strict sign (a
        positive dependency: no w can be positive on all of them). If neither certificate holds,
        one exact cddlib LP decides.
        """
        from scipy.optimize import linprog
        sigma = np.asarray(sigma)
        if self.r == 1:
            return True
        K, r = self.K, self.r
        Ah = self.Ahat * sigma[:, None]
        w = _margin_lp(Ah)
        if w is not None and (self.filter.signs([_round_int(w)])[:, 0] * sigma > 0).all():
            return True
        A = [[int(s) * v for v in row] for s, row in zip(sigma, self.A)]
        res = linprog(np.zeros(K), A_eq=np.vstack([Ah.T, np.ones((1, K))]), b_eq=np.r_[np.zeros(r), 1.0],
                      bounds=[(0, None)] * K, method="highs")
        support = np.flatnonzero(res.x > MIN_FARKAS_WEIGHT) if res.status == 0 else []
        if len(support):
            basis = nullspace(transpose([A[P] for P in support]))
            if len(basis) == 1 and (all(v > 0 for v in basis[0]) or all(v < 0 for v in basis[0])):
                return False
        return chamber_interior_point(A, [1] * K) is not None

    def walls(self, sigma: Sequence[int]) -> list[int]:
        """Indices P of the normals whose hyperplane carries a facet of the chamber σ.

        Parameters
        ----------
        sigma : sequence of ±1, length K
            The chamber {w : σ_P a_P·w > 0}.

        Raises
        ------
        NotAChamberError
            If that open cone is empty.
        """
        sigma = np.asarray(sigma)
        if self.r == 1:                       # one class: the chamber is a half-space
            if self.K != 1:                   # parallel normals: not one per class
                raise InvalidInputError("normals of a rank-1 arrangement must form one class")
            return [0]
        ctx = _Chamber(self, sigma)
        facets = ctx.shoot(np.vstack([-ctx.Ah, self.D]))
        for P in ctx.redundancy(facets):
            if ctx.is_facet(P):
                facets.add(P)
        return sorted(facets)


class _Chamber:
    """One chamber {w : σ_P a_P·w > 0} during :meth:`ChamberWalls.walls`."""

    def __init__(self, walls: ChamberWalls, sigma: np.ndarray):
        self.K, self.r = walls.K, walls.r
        self.sigma = sigma
        self.filter = walls.filter
        self.A = [[int(s) * v for v in row] for s, row in zip(sigma, walls.A)]
        self.Ah = walls.Ahat * sigma[:, None]
        self.w_int, self.w = self._interior()
        self.slack = self.Ah @ self.w

    def signs(self, points) -> np.ndarray:
        """Exact signs of σ_P a_P·h for every P (rows) and point h (columns)."""
        return self.filter.signs(points) * self.sigma[:, None].astype(np.int8)

    def _interior(self):
        w = _margin_lp(self.Ah)
        if w is not None:
            w_int = _round_int(w)
            if (self.signs([w_int]) > 0).all():
                return w_int, w
        point = chamber_interior_point(self.A, [1] * self.K)
        if point is None:
            raise NotAChamberError("the sign vector is not a chamber of the arrangement (empty cone)")
        w = np.array([float(v) for v in point])
        return _lcm_integer_point(point), w / np.linalg.norm(w)

    def shoot(self, dirs: np.ndarray) -> set:
        """Certified facets among the first hyperplanes hit from w along the rows of ``dirs``."""
        rates = self.Ah @ dirs.T
        with np.errstate(divide="ignore", invalid="ignore"):
            T = np.where(rates < 0, self.slack[:, None] / -rates, np.inf)
        cols = np.arange(T.shape[1])
        first = np.argmin(T, axis=0)
        t1 = T[first, cols]
        T[first, cols] = np.inf
        ok = np.isfinite(t1) & (T.min(axis=0) > t1 * (1 + HIT_GAP))
        cand: dict[int, int] = {}
        for j in np.flatnonzero(ok):
            cand.setdefault(int(first[j]), int(j))
        points, names = [], []
        for Q, j in cand.items():
            d = _round_int(dirs[j])
            ad, aw = _dot(self.A[Q], d), _dot(self.A[Q], self.w_int)
            if ad < 0:
                # w + t d with t = aw / (−ad) > 0, scaled by −ad > 0: exactly on H_Q
                points.append([-ad * a + aw * b for a, b in zip(self.w_int, d)])
                names.append(Q)
        if not points:
            return set()
        signs = self.signs(points)
        return {Q for c, Q in enumerate(names)
                if signs[Q, c] == 0 and (np.delete(signs[:, c], Q) > 0).all()}

    def redundancy(self, facets: set) -> list[int]:
        """Grow ``facets`` and certify the other hyperplanes redundant; return those left undecided."""
        from scipy.optimize import nnls
        Ah, r = self.Ah, self.r
        U = [P for P in range(self.K) if P not in facets]
        undecided = []
        while U:
            P0 = U[0]
            F = sorted(facets)
            if F:
                mu, residual = nnls(Ah[F].T, Ah[P0])
            else:
                mu, residual = np.zeros(0), 1.0
            if residual > CONE_RESIDUAL:
                # a_P0 is outside the cone of the found facets: −ρ points away from P0 only
                rho = Ah[P0] - Ah[F].T @ mu if F else Ah[P0]
                new = self.shoot(-rho[None, :]) - facets
                if new:
                    facets |= new
                    U = [P for P in U if P not in new]
                else:
                    undecided.append(P0)
                    U = U[1:]
                continue
            S = [F[i] for i in np.argsort(-mu) if mu[i] > MIN_SUPPORT_WEIGHT]
            for q in F:                              # complete the support to a basis
                if len(S) == r:
                    break
                if q not in S and np.linalg.matrix_rank(Ah[S + [q]], tol=RANK_TOL) == len(S) + 1:
                    S.append(q)
            cand = [P0]
            if len(S) == r:
                try:
                    MU = np.linalg.solve(Ah[S].T, Ah[U].T)
                    cand = [P for P, ok in zip(U, (MU >= -COEFFICIENT_SLACK).all(axis=0)) if ok or P == P0]
                except np.linalg.LinAlgError:
                    pass
            done = self.certify_redundant(S, cand) if len(S) == r else set()
            if P0 not in done:
                undecided.append(P0)
            U = [P for P in U if P not in done and P != P0]
        return undecided

    def certify_redundant(self, S: list[int], cand: list[int]) -> set:
        """The P in ``cand`` proven to satisfy σ_P a_P = Σ_{q∈S} μ_q σ_q a_q with μ >= 0, exactly.

        A verified float solve settles the strictly positive cases; the rest (μ_q near 0, or an
        ill-conditioned basis) go through exact fraction-free elimination.
        """
        Af = self.filter.Af * self.sigma[:, None]
        sure = _verified_nonnegative(Af[S].T, Af[cand].T)
        done = {P for P, ok in zip(cand, sure) if ok}
        rest = [P for P, ok in zip(cand, sure) if not ok]
        if rest:
            done |= {P for P, ok in zip(rest, _nonnegative_solutions(self.A, S, rest)) if ok}
        return done

    def is_facet(self, P: int) -> bool:
        """Decide one hyperplane: a float LP for a wall point (checked exactly), else an exact LP."""
        K = self.K
        w = _margin_lp(np.delete(self.Ah, P, axis=0), on=self.Ah[P])
        if w is not None:
            h = _round_int(w)
            aa, ah = _dot(self.A[P], self.A[P]), _dot(self.A[P], h)
            h = [aa * x - ah * a for x, a in zip(h, self.A[P])]      # exact projection onto H_P
            col = self.signs([h])[:, 0]
            if (np.delete(col, P) > 0).all():
                return True
        flipped = [1] * K
        flipped[P] = -1
        return chamber_interior_point(self.A, flipped) is not None


class HyperplaneArrangement:
    """The central arrangement of the hyperplanes {w : w·x_i = 0} in Q^n (paper appendix A.1).

    Parameters
    ----------
    normals : array-like of shape (N, n), or a Dataset
        Rational normals x_i, nonzero; a :class:`~zonocomb.geometry.dataset.Dataset` gives its
        generators x̄_i, as :meth:`Dataset.arrangement` does.

    Attributes
    ----------
    normals : tuple of tuple of Fraction
    n_hyperplanes : int
        N (parallel normals count separately; they give the same hyperplane).
    dim : int
        n, the dimension of the ambient space.

    Raises
    ------
    InvalidInputError
        Bad input, or a zero normal (it defines no hyperplane).

    Examples
    --------
    >>> H = HyperplaneArrangement([[1, 0], [0, 1], [1, 1]])
    >>> len(H.chambers()), H.chambers()[0]
    (6, (-1, -1, -1))
    """

    def __init__(self, normals: ArrayLike):
        if isinstance(normals, Dataset):
            normals = normals.generators_exact
        rows = to_fraction_matrix(normals, name="normals")
        self._normals = tuple(tuple(r) for r in rows)
        self._int = integer_generators(rows, name="normals")
        self._chambers: np.ndarray | None = None
        self._walls: ChamberWalls | None = None

    @property
    def normals(self) -> tuple[tuple[Fraction, ...], ...]:
        return self._normals

    @property
    def n_hyperplanes(self) -> int:
        return len(self._normals)

    @property
    def dim(self) -> int:
        return len(self._normals[0])

    def __repr__(self) -> str:
        return f"HyperplaneArrangement(n_hyperplanes={self.n_hyperplanes}, dim={self.dim})"

    def _chamber_array(self) -> np.ndarray:
        if self._chambers is None:
            self._chambers = chambers_exact(self._int)
        return self._chambers

    def chambers(self) -> list[tuple[int, ...]]:
        """All chambers as sign vectors in {−1, +1}^N (sign of w·x_i on the chamber), exact.

        Sorted lexicographically. Computed by :func:`zonocomb.geometry.chambers.chambers_exact`.
        """
        return [tuple(row) for row in (2 * self._chamber_array().astype(np.int64) - 1).tolist()]

    def num_chambers(self) -> int:
        """Number of chambers (exact enumeration)."""
        return len(self._chamber_array())

    def covectors(self) -> list[tuple[int, ...]]:
        """All faces of the arrangement as sign vectors in {−1, 0, +1}^N, small instances only.

        The covector of a face F is sign(w·x_i) for w in its relative interior (appendix A.2); the
        faces of the arrangement are dual to the nonempty faces of the zonotope Σ [0, x_i] and have
        the same covectors (the whole zonotope gives the zero covector of the face {w : w·x_i = 0
        for all i}). Computed from the flats of the normals
        (:func:`zonocomb.geometry.flats.covectors_from_flats`), exactly. Sorted lexicographically.
        """
        return covectors_from_flats(self._normals)

    def walls(self, signs: Sequence[int]) -> list[int]:
        """Indices i whose hyperplane carries a facet (wall) of the chamber with these signs, exact.

        Parameters
        ----------
        signs : sequence of ±1, length N

        Returns
        -------
        list of int
            Sorted; parallel normals share their hyperplane, so all of them are listed together.

        Raises
        ------
        InvalidInputError
            Wrong length or entries; NotAChamberError if the sign vector is not a chamber.
        """
        signs = list(signs)
        if len(signs) != self.n_hyperplanes or any(s not in (1, -1) for s in signs):
            raise InvalidInputError(
                f"a chamber is a sequence of {self.n_hyperplanes} signs ±1, got {signs!r}")
        reps, class_of, flip = parallel_classes(self._int)
        sigma = {}
        for i, (c, f) in enumerate(zip(class_of.tolist(), flip.tolist())):
            s = -signs[i] if f else signs[i]
            if sigma.setdefault(c, s) != s:
                raise NotAChamberError(
                    f"hyperplane {i} is parallel to an earlier one but gets the inconsistent sign {signs[i]}")
        if self._walls is None:
            self._walls = ChamberWalls(reps)
        wall_classes = set(self._walls.walls([sigma[c] for c in range(len(reps))]))
        return [i for i, c in enumerate(class_of.tolist()) if c in wall_classes]
