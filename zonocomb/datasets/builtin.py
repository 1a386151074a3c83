"""Small built-in datasets for demonstrations.

The paper's figure 1 shows five training examples in R² in general position, but gives no
coordinates. :func:`figure1_dataset` is *our* choice of such a dataset (small integers, no three
points collinear), labelled by a two-unit ReLU network so that it is fitted exactly by m = 2.
"""
from __future__ import annotations

from ..geometry.dataset import Dataset

__all__ = ["FIGURE1_POINTS", "figure1_network", "figure1_dataset"]

#: The five examples (ours; the paper's figure 1 does not state its coordinates).
FIGURE1_POINTS = ((1, 0), (3, 1), (1, 3), (4, 4), (-1, 2))


def figure1_network(x1, x2):
    """The labelling network g(x) = φ(x₁ − x₂ + 1) − φ(x₁ + x₂ − 4), φ the ReLU (exact on ints
    and Fractions)."""
    return max(x1 - x2 + 1, 0) - max(x1 + x2 - 4, 0)


def figure1_dataset() -> Dataset:
    """A 5-example dataset in R² in general position, in the spirit of the paper's figure 1.

    The coordinates are ours (the paper gives none): (1,0), (3,1), (1,3), (4,4), (−1,2); no three
    are collinear, so the homogenized examples x̄ᵢ = (xᵢ, 1) are in general position in R³ and
    the zonotope Σ [0, x̄ᵢ] has 2·(1 + 4 + 6) = 22 vertices (appendix A.3). Labels are the
    integers g(xᵢ) = (2, 3, 0, −3, 0) of :func:`figure1_network`, a ReLU network with two units.

    Examples
    --------
    >>> ds = figure1_dataset()
    >>> ds.N, ds.d, [int(v) for v in ds.y_exact]
    (5, 2, [2, 3, 0, -3, 0])

    References
    ----------
    Paper section 3, figure 1.
    """
    y = [figure1_network(x1, x2) for x1, x2 in FIGURE1_POINTS]
    return Dataset([list(p) for p in FIGURE1_POINTS], y=y)
