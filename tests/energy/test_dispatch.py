"""Dispatch: the path rule on a chain against hand computation, the LP against networkx
max-flow on a bridge, and the path rule against the LP where the rule is exact."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.energy.dispatch import dispatch_lp, element_capacities, fill_paths
from sim.energy.paths import Element, Path, greedy_is_exact
from sim.energy.reliability import Outcome


def _random_hours(rng, keys, n, scale=10.0):
    return {k: rng.uniform(0, scale, n) for k in keys}


def _chain():
    a, b, c = Element("link:a", 4.0, 0.9), Element("node:b", 3.0), Element("link:c", 2.5, 0.8)
    return {"f": [Path("f", "g", (a, b, c))]}


@pytest.mark.parametrize("solve", [fill_paths, dispatch_lp], ids=["paths", "lp"])
def test_a_chain_delivers_the_least_of_rate_supply_and_each_element_after_its_losses(solve):
    paths = _chain()
    caps = {"link:a": np.array([4.0, 4.0, 1.0, 4.0]), "node:b": np.full(4, 3.0), "link:c": np.full(4, 2.5)}
    supply = {"g": np.array([10.0, 2.0, 10.0, 10.0])}
    rate = {"f": 1.5}
    got = solve(paths, rate, caps, supply, 4)
    expected = [min(1.5, s * 0.72, a * 0.72, 3.0 * 0.8, 2.5 * 0.8)
                for s, a in zip(supply["g"], caps["link:a"])]
    assert got.delivered["f"] == pytest.approx(expected)
    assert got.sent["f"] == pytest.approx(np.array(expected) / 0.72)
    assert got.usage["link:c"] == pytest.approx(np.array(expected) / 0.8)  # power entering c
    assert got.open_supply["f"] == pytest.approx(supply["g"])
    assert got.method == ("lp" if solve is dispatch_lp else "paths")


def test_lp_matches_networkx_max_flow_on_a_bridge():
    """s -> a, s -> b, a -> b, a -> t, b -> t: paths cross, so the path rule is not exact."""
    el = {k: Element(f"link:{k}", 1.0) for k in ("sa", "sb", "ab", "at", "bt")}
    paths = {"f": [Path("f", "s", (el["sa"], el["at"])), Path("f", "s", (el["sb"], el["bt"])),
                   Path("f", "s", (el["sa"], el["ab"], el["bt"]))]}
    assert not greedy_is_exact(paths)
    rng = np.random.default_rng(1)
    n = 40
    caps = _random_hours(rng, [e.key for e in el.values()], n)
    got = dispatch_lp(paths, {"f": 100.0}, caps, {"s": np.full(n, np.inf)}, n)
    for h in range(n):
        g = nx.DiGraph()
        for k in el:
            g.add_edge(k[0], k[1], capacity=caps[f"link:{k}"][h])
        assert got.delivered["f"][h] == pytest.approx(nx.maximum_flow_value(g, "s", "t"), abs=1e-6)


def test_path_rule_equals_the_lp_on_parallel_cables_with_losses():
    """A shared line, two parallel cables with different losses, a shared line again; two
    flows from two generators, the second using what the first leaves."""
    up, down = Element("link:up", 1.0, 0.99), Element("link:down", 1.0, 0.98)
    c1, c2 = Element("link:c1", 1.0, 0.95), Element("link:c2", 1.0, 0.90)
    other = Element("link:other", 1.0, 0.97)
    paths = {"f": [Path("f", "g", (up, c1, down)), Path("f", "g", (up, c2, down))],
             "h": [Path("h", "k", (other, down))]}
    assert greedy_is_exact(paths)
    rng = np.random.default_rng(2)
    n = 60
    caps = _random_hours(rng, ["link:up", "link:down", "link:c1", "link:c2", "link:other"], n)
    supply = {"g": rng.uniform(0, 12, n), "k": rng.uniform(0, 5, n)}
    rates = {"f": 6.0, "h": 3.0}
    a = fill_paths(paths, rates, caps, supply, n)
    b = dispatch_lp(paths, rates, caps, supply, n)
    for f in rates:
        assert a.delivered[f] == pytest.approx(b.delivered[f], abs=1e-6)
        assert a.sent[f] == pytest.approx(b.sent[f], abs=1e-6)  # the cheaper cable first
    for key in caps:
        assert np.all(a.usage[key] <= caps[key] + 1e-9)


def test_a_later_flow_gets_what_the_earlier_ones_leave():
    shared = Element("link:shared", 3.0)
    paths = {"first": [Path("first", "g", (shared,))], "second": [Path("second", "g", (shared,))]}
    supply = {"g": np.array([10.0, 2.5])}
    got = fill_paths(paths, {"first": 2.0, "second": 2.0}, {"link:shared": np.full(2, 3.0)}, supply, 2)
    assert got.delivered["first"] == pytest.approx([2.0, 2.0])
    assert got.delivered["second"] == pytest.approx([1.0, 0.5])  # the cable, then the supply binds
    assert got.open_supply["second"] == pytest.approx([8.0, 0.5])


def test_elements_without_outages_have_their_capacity_every_hour():
    paths = _chain()
    caps, full = element_capacities(paths, Outcome(horizon=5.0), 5)
    assert set(caps) == set(full) == {"link:a", "node:b", "link:c"}
    assert caps["node:b"] == pytest.approx(np.full(5, 3.0)) and full["link:c"] == pytest.approx(np.full(5, 2.5))
