"""Checks across a scenario's parts: each dangling reference or disagreement is found with its
own key path, and a consistent scenario has none."""

from __future__ import annotations

import pytest

from sim.scenario.checks import references
from sim.scenario.loading import read_raw
from sim.scenario.schema import Scenario


@pytest.fixture
def data(minimal) -> dict:
    return read_raw(minimal).data


def problems(data: dict) -> dict:
    return dict(references(Scenario.model_validate(data)))


def test_the_minimal_scenario_is_consistent(data):
    assert problems(data) == {}


def test_a_dangling_reference_names_its_path_and_a_near_miss(data):
    data["links"]["ab"]["to"] = "bb"
    data["targets"]["t"]["flows"] = ["ff"]
    found = problems(data)
    assert found[("links", "ab", "to")] == "no node called 'bb'; did you mean 'b'?"
    assert found[("targets", "t", "flows", 0)] == "no flow called 'ff'; did you mean 'f'?"


def test_units_that_depend_on_another_part_must_agree(data):
    data["links"]["gd"]["capacity"] = "4 Mt/yr"
    del data["payload"]["wagon"]
    found = problems(data)
    assert "capacity is in GW" in found[("links", "gd", "capacity")]
    assert found[("fleets", "ferries", "capacity")] == "capacity in wagons needs payload.wagon"


def test_failures_need_a_repair_and_per_km_rates_a_length(data):
    rel = data["links"]["gd"]["reliability"]
    del rel["repair"]
    del data["links"]["gd"]["length"]
    found = problems(data)
    assert found[("links", "gd", "reliability", "repair")] == "random failures need a repair time"
    assert found[("links", "gd", "reliability", "failure_rate")] == "a rate per length needs the link's length"


def test_a_route_must_follow_links_of_its_carrier(data):
    data["flows"]["f"]["routes"] = {"r": {"path": ["a", "c"]}}
    found = problems(data)
    assert found[("flows", "f", "routes", "r", "path", 1)] == "no cargo link from 'a' to 'c'"


def test_the_warm_up_is_shorter_than_the_horizon(data):
    data["simulation"] = {"warmup": "400 d"}
    assert problems(data)[("simulation", "warmup")] == "the warm-up must be shorter than the horizon"


def test_a_fleet_sails_some_link_and_a_fleet_link_has_a_transit(data):
    del data["links"]["bc"]["transit"]
    data["fleets"]["spare"] = dict(data["fleets"]["ferries"])
    found = problems(data)
    assert found[("links", "bc", "transit")] == "a link sailed by a fleet needs a transit time"
    assert found[("fleets", "spare")] == "no link is sailed by this fleet"


def test_a_spin_up_is_at_most_a_year_and_only_event_models_have_a_previous_rate(data):
    data["simulation"] = {"spinup": "400 d"}
    data["flows"]["p"]["previous_rate"] = "0.5 GW"
    data["flows"]["f"]["previous_rate"] = "2 Mt/yr"  # cargo: simulated from -spinup
    found = problems(data)
    assert found[("simulation", "spinup")] == "at most 366 d (the previous year), got '400 d'"
    assert "no spin-up" in found[("flows", "p", "previous_rate")]
    assert ("flows", "f", "previous_rate") not in found
    data["simulation"] = {"spinup": "366 d"}
    del data["flows"]["p"]["previous_rate"]
    assert problems(data) == {}


def test_stores_and_plants_need_a_power_flow_leaving_their_site(data):
    data["nodes"]["g"]["stores"] = {"bat": {"kind": "battery", "power": "1 GW", "energy": "4 GWh",
                                            "round_trip_efficiency": "85 %"}}
    data["expansions"] = {"gas": {"node": "g", "plant": {"fuel": "gas"}, "size": "1 GW", "capex": "1 bnUSD",
                                  "lifetime": "30 yr"}}
    assert problems(data) == {}
    del data["flows"]["p"], data["targets"]["pt"]
    found = problems(data)
    assert found[("nodes", "g", "stores")] == "no power flow leaves 'g': its stores would change nothing"
    assert found[("expansions", "gas", "plant")] == ("node 'g' is not a generation site a power flow leaves: "
                                                     "a plant there would feed nothing")
