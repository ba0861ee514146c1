"""Paths: a flow's elements in order, parallel cables as separate paths, converter stations as
elements, and when the priority path rule is exact (chains, parallel cables) or not (a bridge)."""

from __future__ import annotations

import math
from pathlib import Path as FilePath

import pytest

from sim.energy.paths import Element, Path, flow_paths, greedy_is_exact, node_elements
from sim.errors import CorridorError
from sim.network import Network
from sim.scenario.loading import load_scenario

SCENARIOS = FilePath(__file__).resolve().parents[1] / "scenarios"


def test_a_chain_is_one_path_of_its_links_from_a_generation_site():
    sc = load_scenario(SCENARIOS / "energy_chain.yaml")
    [path] = flow_paths(sc, Network(sc), "export")
    assert [e.key for e in path.elements] == ["link:l1", "link:l2", "link:l3"]
    e1, e2, e3 = 1 - 0.02 * 0.5, (1 - 0.03) * 0.99 ** 2, 1 - 0.05 * 0.2
    assert path.efficiency == pytest.approx(e1 * e2 * e3)
    assert path.gains == pytest.approx([e1 * e2 * e3, e2 * e3, e3])


def test_a_converter_station_with_a_capacity_is_an_element_of_every_path_through_it():
    sc = load_scenario(SCENARIOS / "energy_grid.yaml")
    net = Network(sc)
    [path] = flow_paths(sc, net, "wind")
    assert [e.key for e in path.elements] == ["link:wind_hub", "node:hub", "link:cable"]
    assert node_elements(sc, net, "hub", "power") == [Element("node:hub", 4.0)]
    assert node_elements(sc, net, "constanta", "power") == []  # neither limits nor fails


def test_a_failing_node_without_capacity_is_as_large_as_the_links_leaving_it():
    sc = load_scenario(SCENARIOS / "energy_chain.yaml",
                       ["nodes.s1.reliability={failure_rate: 1 /yr, repair: 1 d}"])
    net = Network(sc)
    assert node_elements(sc, net, "s1", "power") == [Element("node:s1", 3.6)]  # l2 leaves s1
    [path] = flow_paths(sc, net, "export")
    assert [e.key for e in path.elements] == ["link:l1", "node:s1", "link:l2", "link:l3"]


def test_parallel_cables_are_separate_paths_and_the_path_rule_is_exact_on_them():
    sc = load_scenario(SCENARIOS / "energy_grid.yaml")
    paths = flow_paths(sc, Network(sc), "data")
    assert sorted(p.elements[0].key for p in paths) == ["link:fibre", "link:fibre_reserve"]
    assert greedy_is_exact({"data": paths})


def test_paths_are_sorted_most_efficient_first():
    sc = load_scenario(SCENARIOS / "energy_chain.yaml",
                       ["links.l2b={from: s1, to: s2, mode: hvdc_subsea, carrier: power, capacity: 1 GW, "
                        "length: 1000 km, loss_per_1000km: 1 %}"])
    paths = flow_paths(sc, Network(sc), "export")
    assert [p.elements[1].key for p in paths] == ["link:l2b", "link:l2"]  # 1 % lossy before 3 % + converters
    assert paths[0].efficiency > paths[1].efficiency


def test_a_flow_with_no_path_is_a_user_error():
    with pytest.raises(CorridorError, match="flows.back: no power path"):  # validation refuses it now
        sc = load_scenario(SCENARIOS / "energy_chain.yaml",
                           ["flows.back={carrier: power, origin: d, destination: s1, rate: 1 GW}"])
        flow_paths(sc, Network(sc), "back")


def test_the_path_rule_is_not_exact_when_paths_cross_or_another_flow_shares_a_branch():
    el = {k: Element(f"link:{k}", 1.0) for k in ("sa", "sb", "ab", "at", "bt")}
    bridge = {"f": [Path("f", "s", (el["sa"], el["at"])), Path("f", "s", (el["sb"], el["bt"])),
                    Path("f", "s", (el["sa"], el["ab"], el["bt"]))]}
    assert not greedy_is_exact(bridge)
    parallel = {"f": [Path("f", "s", (el["sa"],)), Path("f", "s", (el["sb"],))]}
    assert greedy_is_exact(parallel)
    assert not greedy_is_exact(parallel | {"g": [Path("g", "s", (el["sb"],))]})  # g uses f's branch
    assert greedy_is_exact({"f": [Path("f", "s", (el["sa"],))], "g": [Path("g", "s", (el["sa"],))]})


def test_efficiency_is_the_product_of_the_elements():
    p = Path("f", "s", (Element("link:a", 1.0, 0.5), Element("node:b", 2.0), Element("link:c", 1.0, 0.8)))
    assert p.efficiency == pytest.approx(0.4)
    assert p.gains == pytest.approx([0.4, 0.8, 0.8])
    assert [e.id for e in p.elements] == ["a", "b", "c"]
    assert math.isclose(Path("f", "s", ()).efficiency, 1.0)


def test_the_power_entering_each_element_is_what_the_elements_before_it_let_through():
    p = Path("f", "s", (Element("link:a", 1.0, 0.5), Element("node:b", 2.0), Element("link:c", 1.0, 0.8)))
    assert p.entering == [1.0, 0.5, 0.5]
    assert [i * g for i, g in zip(p.entering, p.gains)] == pytest.approx([p.efficiency] * 3)
