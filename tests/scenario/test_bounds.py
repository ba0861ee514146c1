"""The bounds of scenario input, at their edges: the node budget, the depth, the measured window,
the slug rule shared with the output folders, and one replication bound for every layer."""

from __future__ import annotations

import importlib

import pytest

from sim.errors import CorridorError, ScenarioError
from sim.io import results_folder
from sim.scenario import loading, schema
from sim.scenario.loading import load_scenario


def test_one_replication_bound_for_the_schema_the_simulator_and_the_command_line():
    cli, simulate = importlib.import_module("sim.cli"), importlib.import_module("sim.simulate")
    config = importlib.import_module("sim.sweep.config")
    assert schema.MAX_REPLICATIONS == simulate.MAX_REPLICATIONS == cli.MAX_REPLICATIONS == 10_000
    assert config.MAX_REPLICATIONS is schema.MAX_REPLICATIONS


def test_an_alias_counts_the_nodes_it_stands_for():
    budget = loading._Budget()
    loading._compose("a: &x [1, 2]\nb: *x\n", "f", budget)
    assert budget.used == 1 + (1 + 3) + (1 + 3)  # the mapping, each key, the list and its copy


def test_the_node_budget_is_exact_at_its_edge():
    items = loading.MAX_NODES - 1  # the list itself is one node
    loading._compose("[" + "1," * items + "]", "f", loading._Budget())
    with pytest.raises(ScenarioError, match="more than 50,000 YAML nodes"):
        loading._compose("[" + "1," * (items + 1) + "]", "f", loading._Budget())


def test_the_depth_is_exact_at_its_edge():
    depth = loading.MAX_DEPTH
    loading._compose("[" * depth + "]" * depth, "f", loading._Budget())
    with pytest.raises(ScenarioError, match="nested more than 64 levels"):
        loading._compose("[" * (depth + 1) + "]" * (depth + 1), "f", loading._Budget())


@pytest.mark.parametrize(("horizon", "warmup", "ok"), [
    ("14 d", "7 d", True), ("14 d", "7.01 d", False), ("7 d", "0 d", True), ("6.9 d", "0 d", False),
    ("100 d", "50 d", True), ("100 d", "50.1 d", False), ("100 d", "99.99 d", False), ("100 yr", "0 d", True),
    ("100.1 yr", "0 d", False),
])
def test_the_measured_window_must_be_a_week_and_half_the_horizon(minimal, horizon, warmup, ok):
    overrides = [f"simulation.horizon={horizon}", f"simulation.warmup={warmup}"]
    if ok:
        load_scenario(minimal, overrides)
    else:
        with pytest.raises(ScenarioError, match=r"simulation\.(warmup|horizon)"):
            load_scenario(minimal, overrides)


@pytest.mark.parametrize("name", ["baseline-2023", "a.b_c-1", "x" * 100, "x" * 101, ".", "..", "a..b", "-a",
                                  "a/b", "a b", "", "é", "[/x]"])
def test_a_scenario_name_follows_the_results_folder_rule(minimal, name):
    try:
        results_folder(name)
        folder_ok = True
    except CorridorError:
        folder_ok = False
    try:
        load_scenario(minimal, [f"name='{name}'"])
        name_ok = True
    except ScenarioError:
        name_ok = False
    assert name_ok == folder_ok
