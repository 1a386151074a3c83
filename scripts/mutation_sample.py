"""A mutation score estimated from a seeded random sample of one package's mutants (mutmut).

A full ``make mutate PKG=...`` run of a large package takes hours of a shared core
(docs/testing.md); this script measures a uniform random sample of its mutants instead and prints
the sample's score with a 95 % Wilson score interval. The estimate is of the package's score, not
the score itself: the full-package runs stay the record.

1. lists the package's mutants with ``mutmut results --all True`` (they exist once a ``mutmut run``
   has generated them, e.g. an interrupted ``make mutate``),
2. picks ``--sample`` of them, uniformly without replacement, with ``random.Random(--seed)`` from
   the sorted names (the same code and seed give the same sample),
3. runs ``nice -n 19 mutmut run --max-children 1 <names>`` (unless ``--score-only``), which
   re-runs each named mutant, checked before or not,
4. prints the killed count (killed or timeout; "no tests" and "survived" count as not killed, as
   in mutmut's own score), the score, its 95 % interval, and the names not killed.

::

    .venv/bin/python scripts/mutation_sample.py geometry --sample 150 --seed 16
    .venv/bin/python scripts/mutation_sample.py geometry --sample 150 --seed 16 --score-only

Exit status 0 after a measurement, 2 for a bad argument or a package without generated mutants.
"""
from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = ROOT / ".venv" / "bin" / "mutmut"
KILLED = {"killed", "timeout"}
UNCHECKED = {"not checked", "skipped"}


def mutant_statuses() -> dict[str, str]:
    """Every generated mutant's name and mutmut status (``mutmut results --all True``)."""
    out = subprocess.run([str(MUTMUT), "results", "--all", "True"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    statuses = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name.startswith("zonocomb."):
            statuses[name] = status
    return statuses


def pick(names: list[str], size: int, seed: int) -> list[str]:
    """``size`` of ``names`` (all if fewer), uniformly without replacement, seeded, sorted."""
    ordered = sorted(names)
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


def wilson_interval(killed: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion killed/n (95 % for the default z)."""
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at k = 0 (k = n) the lower (upper) end is 0 (1) exactly; rounding would leave 1e-17
    return (0.0 if killed == 0 else centre - half), (1.0 if killed == n else centre + half)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package", help="a package of zonocomb in mutmut's scope, e.g. geometry")
    parser.add_argument("--sample", type=int, default=150, help="mutants to measure (default 150)")
    parser.add_argument("--seed", type=int, default=16, help="seed of the sample (default 16)")
    parser.add_argument("--score-only", action="store_true",
                        help="do not run mutmut; score the sample from the cached verdicts")
    args = parser.parse_args(argv)
    if args.sample < 1:
        parser.error(f"--sample must be at least 1, got {args.sample}")
    prefix = f"zonocomb.{args.package}."
    names = [name for name in mutant_statuses() if name.startswith(prefix)]
    if not names:
        print(f"mutation_sample.py: no mutants of zonocomb.{args.package} in mutants/; run "
              f"`make mutate PKG={args.package}` once to generate them (it may be stopped)", file=sys.stderr)
        return 2
    sample = pick(names, args.sample, args.seed)
    if not args.score_only:
        subprocess.run(["nice", "-n", "19", str(MUTMUT), "run", "--max-children", "1", *sample], cwd=ROOT,
                       check=False)
    statuses = mutant_statuses()
    checked = [name for name in sample if statuses.get(name, "not checked") not in UNCHECKED]
    if not checked:
        print("no mutant of the sample has been checked yet")
        return 0
    killed = sum(statuses[name] in KILLED for name in checked)
    low, high = wilson_interval(killed, len(checked))
    print(f"zonocomb.{args.package}: sample of {len(sample)} of {len(names)} mutants (seed {args.seed}), "
          f"{len(checked)} checked, {killed} killed: {100 * killed / len(checked):.1f} % "
          f"(95 % interval {100 * low:.1f} – {100 * high:.1f} %, a sample estimate)")
    for name in checked:
        if statuses[name] not in KILLED:
            print(f"  {statuses[name]}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
