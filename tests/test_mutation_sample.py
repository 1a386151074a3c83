"""scripts/mutation_sample.py: the seeded sample of mutants and the 95 % Wilson interval of its score
(docs/testing.md). mutmut itself is not run here."""
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "mutation_sample.py"
if not SCRIPT.exists():     # mutmut copies the package and the tests only (mutants/), not scripts/
    pytest.skip("scripts/ is not beside the tests", allow_module_level=True)
_spec = importlib.util.spec_from_file_location("mutation_sample", SCRIPT)
mutation_sample = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutation_sample)
Z = 1.959964


@pytest.mark.parametrize("n", [1, 10, 150])
def test_wilson_interval_has_its_closed_form_at_the_ends_and_is_symmetric(n):
    """0 of n: [0, z²/(n + z²)]; n of n: [n/(n + z²), 1]; k and n − k mirror each other; the
    interval contains k/n and narrows as n grows."""
    assert mutation_sample.wilson_interval(0, n) == pytest.approx((0.0, Z * Z / (n + Z * Z)))
    assert mutation_sample.wilson_interval(n, n) == pytest.approx((n / (n + Z * Z), 1.0))
    for k in range(n + 1):
        low, high = mutation_sample.wilson_interval(k, n)
        mirror = mutation_sample.wilson_interval(n - k, n)
        assert low <= k / n <= high
        assert (low, high) == pytest.approx((1 - mirror[1], 1 - mirror[0]))
    wide, narrow = mutation_sample.wilson_interval(9, 10), mutation_sample.wilson_interval(90 * n, 100 * n)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_sample_is_seeded_distinct_and_sorted():
    names = [f"zonocomb.geometry.f__mutmut_{k}" for k in range(500)]
    one = mutation_sample.pick(reversed(names), 150, 16)
    assert one == mutation_sample.pick(names, 150, 16) == sorted(set(one)) and len(one) == 150
    assert set(one) <= set(names) and one != mutation_sample.pick(names, 150, 17)
    assert mutation_sample.pick(names[:20], 150, 16) == sorted(names[:20])
