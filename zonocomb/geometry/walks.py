"""Float random walks on the vertices of Z^m, for benchmarks and tests of the convex backends.

Float: signs are taken in float64 (the walk stops just past a hyperplane, far from ties); use
:class:`zonocomb.geometry.power.ZonotopePower` for exact neighbours.
"""
from __future__ import annotations

import numpy as np

from ..validation import check_random_state

__all__ = ["facet_walk"]


def facet_walk(generators: np.ndarray, m: int, length: int, random_state=None) -> list[np.ndarray]:
    """Activation patterns (m×N bool) along a walk in which each step moves one unit's weights just
    past the nearest hyperplane w·x̄_i = 0 in a random direction, so consecutive patterns differ in
    exactly one (unit, example) entry — the moves greedy local search makes (paper §4.3, alg. 2).
    A zero generator (a bias-free example at the origin) has no hyperplane: its entries stay False.

    ``random_state`` is a seed, a Generator (advanced by the walk) or None
    (:func:`zonocomb.validation.check_random_state`)."""
    rng = check_random_state(random_state)
    W = rng.standard_normal((m, generators.shape[1]))
    patterns = [W @ generators.T > 0]
    while len(patterns) < length:
        u, d = int(rng.integers(m)), rng.standard_normal(generators.shape[1])
        pre, rate = generators @ W[u], generators @ d
        crossed = rate != 0                      # a zero generator (the origin) has no hyperplane
        t = -pre[crossed] / rate[crossed]
        t = np.sort(t[t > 0])
        if t.size < 2:
            continue
        W[u] += 0.5 * (t[0] + t[1]) * d
        new = W @ generators.T > 0
        if np.sum(new != patterns[-1]) == 1:
            patterns.append(new)
    return patterns
