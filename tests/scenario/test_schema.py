"""The scenario models: field types take the units they should, defaults are filled in, and each
model's own consistency rules reject what cannot be meant."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sim.scenario.distributions import Deterministic, Triangular
from sim.scenario.figure import Figure
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Departure, Expansion, Fleet, Flow, Link, Node, Scenario, Weather, figures

NODE = {"kind": "junction", "country": "KZ", "lon": 60, "lat": 45}


def test_field_types_hold_figures_and_distributions_in_canonical_units(minimal):
    s = load_scenario(minimal)
    assert isinstance(s.links["ab"].capacity, Figure) and s.links["ab"].capacity.unit == "train/d"
    assert s.links["ab"].length is not None and s.links["ab"].length.value == 2500
    assert s.fleets["ferries"].load == Deterministic(value=12.0)
    assert isinstance(s.links["bc"].transit, Triangular) and s.links["bc"].transit.mean == pytest.approx(62 / 3)
    assert s.fleets["ferries"].capacity.kind == "wagon"


def test_defaults_are_filled_in(minimal):
    s = load_scenario(minimal)
    assert s.simulation.horizon.value == 8760.0 and s.simulation.warmup.value == 0.0
    assert s.optimiser.solver == "highs" and s.optimiser.discount_rate.value == 0.08
    assert s.targets["pt"].share_of_time.value == 0.95 and s.targets["t"].tolerance.value == 0.0
    assert s.fleets["ferries"].departure.rule == "when_full"


def test_payload_t_is_one_for_tonnes_and_the_table_otherwise(minimal):
    s = load_scenario(minimal)
    assert s.payload_t("t") == 1.0 and s.payload_t("wagon") == 47.0


def test_figures_lists_every_figure_with_its_key_path(minimal):
    found = dict(figures(load_scenario(minimal)))
    assert found[("nodes", "a", "capacity")].source == "s3_059"
    assert found[("links", "bc", "transit")].mean == pytest.approx(62 / 3)
    assert ("weather",) not in found and all(isinstance(p, tuple) for p in found)


def test_a_block_belongs_to_its_kind_of_node():
    with pytest.raises(ValidationError, match="generation: only a generation node"):
        Node.model_validate(NODE | {"generation": {"capacity": "1 GW", "capacity_factor": "30 %"}})


@pytest.mark.parametrize("fields, words", [
    ({"carrier": "power"}, "cannot carry power"),
    ({"fleet": "x", "mode": "rail"}, "only ferry and sea links"),
    ({"capacity": None}, "needs a capacity, or a fleet"),
    ({"mode": "road", "capacity": "3 trains/d"}, "trains per day is a rail capacity"),
])
def test_link_rules(fields, words):
    link = {"from": "a", "to": "b", "mode": "rail", "carrier": "cargo", "capacity": "1 Mt/yr"} | fields
    with pytest.raises(ValidationError, match=words):
        Link.model_validate({k: v for k, v in link.items() if v is not None})


def test_a_departure_rule_needs_its_own_figure():
    with pytest.raises(ValidationError, match="max_wait: needed"):
        Departure.model_validate({})
    with pytest.raises(ValidationError, match="interval: needed"):
        Departure.model_validate({"rule": "schedule"})
    assert Departure.model_validate({"rule": "schedule", "interval": "1 d"}).interval.value == 24


def test_a_fleet_counts_its_capacity_in_load_units():
    fleet = Fleet.model_validate({"kind": "ferry", "vessels": 3, "capacity": "40 TEU", "load": "1 h", "unload": "1 h"})
    assert (fleet.capacity.kind, fleet.capacity.value) == ("teu", 40.0)


def test_weather_takes_one_rate_or_twelve():
    w = Weather.model_validate({"nodes": ["a"], "rate": "6 /yr", "duration": "1 d"})
    assert w.monthly_rates() == [6.0] * 12
    with pytest.raises(ValidationError, match="twelve monthly rates"):
        Weather.model_validate({"nodes": ["a"], "rate": ["1 /yr"] * 11, "duration": "1 d"})


@pytest.mark.parametrize("fields, words", [
    ({"rate": "1 GW"}, "a cargo flow is in Mt/yr"),
    ({"seasonality": [1.0] * 11}, "twelve non-negative"),
    ({"mix": {"train": 0.5, "wagon": 0.4}}, "sum to 1"),
    ({"routes": {"r1": {"path": ["a", "b"], "share": "60 %"}, "r2": {"path": ["a", "b"]}}},
     "every route needs a share"),
])
def test_flow_rules(fields, words):
    flow = {"carrier": "cargo", "origin": "a", "destination": "b", "rate": "1 Mt/yr"} | fields
    with pytest.raises(ValidationError, match=words):
        Flow.model_validate(flow)


def test_an_expansion_adds_to_exactly_one_asset():
    e = Expansion.model_validate({"fleet": "f", "size": 2, "capex": "10 MUSD", "lifetime": "20 yr"})
    assert e.asset() == ("fleet", "f")
    with pytest.raises(ValidationError, match="exactly one of link, node or fleet"):
        Expansion.model_validate({"link": "l", "node": "n", "size": "1 Mt/yr", "capex": "1 MUSD", "lifetime": "1 yr"})
    with pytest.raises(ValidationError, match="a fleet expansion is a number of vessels"):
        Expansion.model_validate({"fleet": "f", "size": "1 Mt/yr", "capex": "1 MUSD", "lifetime": "1 yr"})


def test_unknown_keys_are_errors():
    with pytest.raises(ValidationError, match="Extra inputs"):
        Scenario.model_validate({"name": "x", "description": "y", "year": 2030, "nodes": {}, "nodez": {}})
