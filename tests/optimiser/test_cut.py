"""The minimum cut by networkx on hand-made corridors: its value is the LP's max deliverable and
it names the links (or the node) that limit the flow."""

from __future__ import annotations

import pytest

from sim.network import Network
from sim.optimiser.cut import min_cut
from sim.optimiser.model import Corridor
from sim.scenario.schema import Scenario


def corridor(links: dict[str, tuple[str, str, float]], node_caps: dict[str, float] | None = None) -> Corridor:
    node_caps = node_caps or {}
    names = sorted({n for a, b, _ in links.values() for n in (a, b)})
    data = {
        "name": "cut", "description": "hand-made cut", "year": 2030,
        "nodes": {n: {"kind": "junction", "country": "KZ", "lon": 60 + i, "lat": 45,
                      **({"capacity": f"{node_caps[n]} Mt/yr"} if n in node_caps else {})}
                  for i, n in enumerate(names)},
        "links": {lid: {"from": a, "to": b, "mode": "rail", "carrier": "cargo", "capacity": f"{c} Mt/yr"}
                  for lid, (a, b, c) in links.items()},
        "flows": {"f": {"carrier": "cargo", "origin": "s", "destination": "t", "rate": "1 Mt/yr",
                        "consignment": "t"}},
        "targets": {"goal": {"carrier": "cargo", "value": "1 Mt/yr", "flows": ["f"]}},
    }
    return Corridor(Network(Scenario.model_validate(data)), routing="free")


def test_two_paths_each_limited_by_their_narrowest_link():
    m = corridor({"s1": ("s", "a", 5), "a1": ("a", "t", 2), "s2": ("s", "b", 1), "b1": ("b", "t", 4)})
    value, links, nodes = min_cut(m, m.targets()[0])
    assert value == pytest.approx(3.0) and links == ["a1", "s2"] and nodes == []


def test_a_node_limit_is_named_as_the_node():
    m = corridor({"sa": ("s", "a", 5), "at": ("a", "t", 5)}, {"a": 2})
    value, links, nodes = min_cut(m, m.targets()[0])
    assert value == pytest.approx(2.0) and links == [] and nodes == ["a"]
