"""Capacities in carrier units, checked against hand computations from the scenario's figures."""

from pathlib import Path

import pytest

from sim.network import FLEET_BERTHS, HOURS_PER_YEAR, Network, availability, build_network, flow_unit, sailing
from sim.scenario.figure import Figure
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Reliability


@pytest.fixture
def net(minimal):
    return build_network(load_scenario(minimal))


def test_trains_per_day_become_mt_per_year(net):
    assert net.node_capacity("a") == pytest.approx(28 * 1200 * 365.25 / 1e6)
    assert net.links["ab"].capacity == pytest.approx(20 * 1200 * 365.25 / 1e6)


def test_ferry_capacity_from_fleet_size_voyage_and_round_trip(net):
    crossing = (18 + 20 + 24) / 3  # triangular mean, hours
    cycle = 12 + 12 + 2 * crossing
    voyage_t = 54 * 47
    expected = 13 * HOURS_PER_YEAR / cycle * voyage_t / 1e6
    assert net.links["bc"].capacity == pytest.approx(expected)
    assert net.vessel_hours_per_mt("bc") * net.links["bc"].capacity == pytest.approx(net.fleet_hours("ferries"))


def test_power_efficiency_is_line_and_two_converters(net):
    assert net.links["gd"].efficiency == pytest.approx((1 - 0.03 * 1.1) * 0.99**2)


def test_availability_of_a_bipole_is_per_pole_mu_over_lambda_plus_mu(net):
    lam_per_pole = 0.001 * 1100 / 2  # per km per year x km, shared by two poles
    mu = HOURS_PER_YEAR / (60 * 24)  # repairs per year
    assert net.links["gd"].availability == pytest.approx(mu / (lam_per_pole + mu))
    assert net.links["gd"].firm == pytest.approx(1.0 * mu / (lam_per_pole + mu))


def test_graph_has_every_link_as_a_keyed_edge(net):
    assert {k for _, _, k in net.graph.edges(keys=True)} == {"ab", "bc", "gd"}
    assert net.graph.nodes["b"]["kind"] == "port"


def test_background_flow_reduces_usable_capacity(minimal):
    s = load_scenario(minimal, ["links.gd.background=0.25 GW"])
    view = build_network(s).links["gd"]
    assert (view.nameplate, view.capacity) == (pytest.approx(1.0), pytest.approx(0.75))


def test_a_fleet_uses_the_first_berth_kind_its_port_has():
    net = Network(load_scenario(Path(__file__).parent / "scenarios" / "optimiser_nodes.yaml"))
    assert net.berth_kind("pa", FLEET_BERTHS["roro"]) == "ferry"  # no ro-ro berth: the ferry one
    assert net.berth_kind("pa", FLEET_BERTHS["tanker"]) is None
    assert net.berth_kind("cn", FLEET_BERTHS["ferry"]) is None  # not a port


def test_trains_per_day_count_in_mt_per_year_and_other_units_keep_their_own():
    assert flow_unit(Figure(28, "train/d", "train_rate", "28 trains/d")) == "Mt/yr"
    assert flow_unit(Figure(4, "GW", "power", "4 GW")) == "GW"


def test_only_a_link_sailed_by_a_fleet_has_a_sailing(net, minimal):
    s = load_scenario(minimal)
    fid, transit = sailing(s.links["bc"])
    assert fid == "ferries" and transit.mean > 0
    with pytest.raises(ValueError, match="not sailed"):
        sailing(s.links["ab"])


def test_availability_of_one_unit_is_mu_over_lambda_plus_mu_less_maintenance():
    rel = Reliability.model_validate({"failure_rate": "2 /yr", "repair": "876.6 h",
                                      "maintenance": {"every": "100 d", "duration": "5 d", "share": "50 %"}})
    assert availability(rel, None) == pytest.approx(1 / (1 + 2 * 876.6 / HOURS_PER_YEAR) * (1 - 0.5 * 5 / 100))
    assert availability(None, None) == 1.0
