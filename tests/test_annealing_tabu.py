"""Tests of the oracle-based searches: simulated annealing and tabu search."""
import itertools

import numpy as np
import pytest

from zonocomb.datasets import synthetic
from zonocomb.errors import InvalidInputError
from zonocomb.landscape import landscape
from zonocomb.search import RegionOracle, gls, simulated_annealing, tabu_search


@pytest.fixture(scope="module")
def ds():
    return synthetic(2, 2, 0)


@pytest.fixture(scope="module")
def land(ds):
    return landscape(ds, 2, samples=0, mgls_runs=0, progress=False)


@pytest.mark.parametrize("search,kw", [(simulated_annealing, {"max_steps": 150}),
                                       (tabu_search, {"max_steps": 12})])
def test_deterministic_and_reports_its_own_network(ds, land, search, kw):
    a, b = search(ds, 2, random_state=4, **kw), search(ds, 2, random_state=4, **kw)
    assert np.array_equal(a.pattern, b.pattern) and a.loss == b.loss
    assert [r["loss"] for r in a.trace] == [r["loss"] for r in b.trace]
    oracle = RegionOracle(ds, a.v)
    # the reported loss is that of the returned network (paper eq. 1) and of its vertex's program (3)
    assert oracle.program.network_loss(a.W, a.c) == pytest.approx(a.loss, rel=1e-9, abs=1e-12)
    assert land.losses[land.class_of(a.pattern)] == pytest.approx(a.loss, rel=1e-9, abs=1e-12)
    assert a.loss >= land.global_min - 1e-12
    losses = [r["loss"] for r in a.trace]
    assert all(x >= y for x, y in zip(losses, losses[1:]))
    c = search(ds, 2, random_state=5, **kw)
    assert not np.array_equal(c.pattern, a.pattern) or c.trace != a.trace


def test_tabu_first_step_is_glss_and_it_escapes_local_minima(ds, land):
    starts = [c for c in np.flatnonzero((land.nxt >= 0) & ~land.tie_risk)[:5]]
    for c in starts:
        A = land.pattern(c)
        assert np.array_equal(tabu_search(ds, 2, start=A, max_steps=1).pattern,
                              gls(ds, 2, start=A, max_steps=1).pattern)
    # from a local minimum GLS cannot leave, tabu search goes on and finds something lower
    worst = land.local_minima[np.argmax(land.losses[land.local_minima])]
    r = tabu_search(ds, 2, start=land.pattern(worst), max_steps=20)
    assert r.loss < land.losses[worst] and not r.info["stuck"]


def test_zero_temperature_annealing_only_descends(ds):
    r = simulated_annealing(ds, 2, max_steps=100, t0=0.0, random_state=1)
    oracle = RegionOracle(ds, r.v)
    start = oracle.random_vertex(1)
    assert r.loss <= oracle.loss(start)
    assert r.info["accepted"] <= 100


def test_shared_oracle_reuses_its_cache(ds):
    oracle = RegionOracle(ds, [1.0, -1.0])
    tabu_search(ds, 2, random_state=0, max_steps=3, oracle=oracle)
    solves = oracle.n_solves
    tabu_search(ds, 2, random_state=0, max_steps=3, oracle=oracle)
    assert oracle.n_solves == solves and oracle.n_hits > 0


def test_bad_parameters_are_refused(ds):
    with pytest.raises(InvalidInputError, match="t0"):
        simulated_annealing(ds, 2, t0=-1.0)
    with pytest.raises(InvalidInputError, match="cooling"):
        simulated_annealing(ds, 2, cooling=0.0)
    with pytest.raises(InvalidInputError, match="tenure"):
        tabu_search(ds, 2, tenure=-1)
    with pytest.raises(InvalidInputError, match="units"):
        tabu_search(ds, 3, oracle=RegionOracle(ds, [1.0, -1.0]))
    Z = ds.zonotope()
    bad = next(b for b in itertools.product((0, 1), repeat=ds.N) if not Z.is_vertex(b))
    with pytest.raises(InvalidInputError, match="not a vertex"):
        tabu_search(ds, 2, start=[bad, bad])


@pytest.mark.parametrize("search,kw", [(simulated_annealing, {"max_steps": 60}),
                                       (tabu_search, {"max_steps": 6})])
def test_weight_decay_is_in_the_reported_objective(ds, search, kw, capsys):
    """With alpha, the loss reported is the region programs' objective at the returned network:
    its mean loss plus alpha ||W||^2 (as gls reports it); a bar is drawn only when asked."""
    plain = search(ds, 2, random_state=2, **kw)
    program = RegionOracle(ds, plain.v).program
    assert plain.loss == pytest.approx(program.network_loss(plain.W, plain.c), rel=1e-9, abs=1e-12)
    assert capsys.readouterr().err == ""
    decayed = search(ds, 2, random_state=2, alpha=0.3, progress=True, **kw)
    assert decayed.loss == pytest.approx(program.network_loss(decayed.W, decayed.c)
                                         + 0.3 * np.sum(decayed.W ** 2), rel=1e-9, abs=1e-12)
    assert np.sum(decayed.W ** 2) < np.sum(plain.W ** 2)
    assert "100%" in capsys.readouterr().err
    with pytest.raises(InvalidInputError, match="alpha"):
        search(ds, 2, alpha=-1.0, **kw)
