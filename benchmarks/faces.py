"""f-vectors of zonotopes: flats (no vertex list) against cddlib's exact convex hull of the vertices.

Random integer generators in [−1000, 1000]^n (the rows of a homogenized data set when the last
coordinate is kept 1), resampled until in general position, so both counts must equal the closed
form f_k = 2·C(N,k)·Σ_{i<n−k} C(N−k−1, i).

* flats: :func:`zonocomb.geometry.flats.face_counts` (what :meth:`Zonotope.f_vector` uses);
* hull: :func:`zonocomb.geometry.faces.f_vector`, cddlib's GMP double description of the vertex
  points plus the top-down face enumeration (what :meth:`Zonotope.face_lattice` uses), run only
  while it takes less than ``--hull-max`` seconds per instance (later rows print "skipped").

Both run in the same process, one after the other, on the same generators; the ratio is hull / flats.

Usage: ``python benchmarks/faces.py [--quick] [--hull-max S] [--seed S]``
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zonocomb.geometry.faces import f_vector  # noqa: E402
from zonocomb.geometry.flats import face_counts  # noqa: E402
from zonocomb.geometry.position import in_general_position  # noqa: E402
from zonocomb.geometry.zonotope import Zonotope  # noqa: E402


def closed_form(N: int, n: int) -> tuple[int, ...]:
    return tuple(2 * math.comb(N, k) * sum(math.comb(N - k - 1, i) for i in range(n - k)) for k in range(n))


def generic_generators(N: int, n: int, rng) -> list[list[int]]:
    while True:
        G = rng.integers(-1000, 1001, size=(N, n)).tolist()
        if in_general_position(G):
            return G


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the small sizes only")
    parser.add_argument("--hull-max", type=float, default=30.0,
                        help="skip the hull once one instance took longer than this (s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    sizes = [(10, 4), (12, 4), (16, 4)]
    if not args.quick:
        sizes += [(20, 4), (100, 4), (20, 6), (30, 6)]
    print(f"{'N':>4s} {'n':>2s} {'f-vector':44s} {'closed form':>11s} {'flats s':>8s} {'hull s':>8s} {'ratio':>7s}")
    hull_ok = True
    for N, n in sizes:
        G = generic_generators(N, n, rng)
        t0 = time.perf_counter()
        fv = face_counts(G)
        t_flats = time.perf_counter() - t0
        hull = "skipped"
        ratio = ""
        if hull_ok:
            t0 = time.perf_counter()
            fv_hull = f_vector(G, Zonotope(G).vertices())
            t_hull = time.perf_counter() - t0
            if fv_hull != fv:
                raise SystemExit(f"mismatch at N={N}, n={n}: flats {fv}, hull {fv_hull}")
            hull, ratio = f"{t_hull:8.3f}", f"{t_hull / t_flats:7.0f}"
            hull_ok = t_hull < args.hull_max
        ok = "yes" if fv == closed_form(N, n) else "NO"
        print(f"{N:4d} {n:2d} {str(fv):44s} {ok:>11s} {t_flats:8.3f} {hull:>8s} {ratio:>7s}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
