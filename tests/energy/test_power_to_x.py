"""Power to X: an electrolyser on a generation site makes ammonia from the power the dispatch
leaves unsent there, and the oil machinery carries it. Hand counts on a flat surplus, the
capacity bound and the handoff from the power model against the power flow's own energies, no
surplus giving no product, schema errors, and the bundled scenario end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.energy.liquids import electrolysis, simulate_liquids
from sim.energy.model import reliability, simulate_continuous
from sim.energy.power import simulate_power
from sim.errors import ScenarioError
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Replication, Streams
from sim.scenario.loading import load_scenario
from sim.run import evaluate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def path(scenarios_dir):
    return scenarios_dir / "energy_power_to_x.yaml"


def run(path, *overrides):
    sc = load_scenario(path, list(overrides))
    return sc, simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0)


def test_a_flat_surplus_makes_the_hand_count(path):
    """2 GW flat, 1 GW sent: a 1 GW surplus; 0.5 GW of it at 10 MWh/t is 50 t/h, so over a year
    of 8766 h 0.5 x 8766 x 1000 / 10 = 438,300 t of ammonia, all piped to the terminal."""
    _, rep = run(path)
    rec = rep.flows["nh3"]
    assert rec.arrived == pytest.approx(0.5 * 8766 * 1000 / 10, rel=1e-12)
    assert rec.delivered == pytest.approx(0.4383, rel=1e-12)  # Mt/yr over a year of 8766 h
    assert rec.extra["curtailed_mt"] == 0
    assert rec.extra["electrolyser_intake_twh"] == pytest.approx(0.5 * 8.766, rel=1e-12)
    assert rec.extra["electrolyser_capacity_factor"] == pytest.approx(1.0, rel=1e-12)
    assert rec.extra["surplus_power_twh"] == pytest.approx(1.0 * 8.766, rel=1e-12)
    assert rep.surplus == {}  # the hourly handoff does not leave the replication


def test_a_site_without_power_flows_gives_the_electrolyser_all_its_generation(path):
    """No power flow leaves the site: the electrolyser sees its 2 GW, takes 0.5 GW."""
    _, rep = run(path, "flows.export=null", "targets.ammonia.value=0.4 Mt/yr")
    rec = rep.flows["nh3"]
    assert rec.arrived == pytest.approx(438_300, rel=1e-12)
    assert rec.extra["surplus_power_twh"] == pytest.approx(2 * 8.766, rel=1e-12)


def test_no_surplus_no_product(path):
    """A 2 GW line takes all 2 GW: nothing left, no ammonia."""
    _, rep = run(path, "links.line.capacity=2 GW")
    rec = rep.flows["nh3"]
    assert rec.arrived == 0 and rec.delivered == 0
    assert rec.extra["electrolyser_intake_twh"] == 0 and rec.extra["surplus_power_twh"] == 0
    assert rep.flows["export"].delivered == pytest.approx(2.0)


def test_production_follows_the_surplus_and_never_exceeds_capacity(path):
    """Wind at the site: the surplus handed over is the site's generation less what its flow sent
    (the power flow's own energies), the electrolyser takes it up to 0.5 GW each hour, and the
    tonnes that enter the chain are what that intake makes."""
    sc = load_scenario(path, ["nodes.g.generation.profile=wind", "nodes.g.generation.capacity_factor=40 %",
                              "nodes.g.generation.capacity=3 GW", "simulation.horizon=60 d"])
    net, streams = Network(sc), Streams(sc.simulation.seed, 0)
    n = int(sc.simulation.horizon.value)
    outcome = reliability(sc, net, streams, ["power", "ammonia"])
    rep = Replication(0)
    simulate_power(sc, net, streams, outcome, rep, n, 0)
    surplus = rep.surplus["g"]
    power = rep.flows["export"].extra
    unsent_twh = power["generation_twh"] - power["energy_twh"] - power["lost_to_losses_twh"]
    assert surplus.mean() * HOURS_PER_YEAR / 1000 == pytest.approx(unsent_twh, rel=1e-9)
    assert surplus.min() >= 0 and surplus.max() > 0.5 and (surplus < 0.5).any()  # both sides of capacity
    made = electrolysis(sc, "nh3", surplus)
    assert made.max() <= 0.5 * 1000 / 10 + 1e-9  # t/h at capacity
    assert made == pytest.approx(np.minimum(surplus, 0.5) * 100, rel=1e-12)
    simulate_liquids(sc, net, streams, outcome, rep, sc.simulation.horizon.value, 0.0)
    rec = rep.flows["nh3"]
    assert rec.arrived == pytest.approx(np.minimum(surplus, 0.5).sum() * 100, rel=1e-9)
    assert 0 < rec.extra["electrolyser_capacity_factor"] < 1
    assert rec.extra["electrolyser_capacity_factor"] == pytest.approx(np.minimum(surplus, 0.5).mean() / 0.5)


def test_production_steps_only_where_the_surplus_changes(path):
    """A flat surplus is one rate all year: the liquids model takes no step for its hours."""
    _, flat = run(path)
    _, windy = run(path, "nodes.g.generation.profile=wind", "nodes.g.generation.capacity_factor=40 %")
    assert flat.events < 10 < 1000 < windy.events


@pytest.mark.parametrize(("override", "where", "says"), [
    ("flows.nh3.produced_by=d", "flows.nh3.produced_by", "node 'd' has no electrolyser"),
    ("flows.nh3.produced_by=gg", "flows.nh3.produced_by", "no node called 'gg'"),
    ("flows.export.produced_by=g", "flows.export.produced_by", "only a hydrogen or ammonia flow"),
    ("nodes.g.electrolyser={capacity: 1 GW, efficiency: 65 %, product: hydrogen, energy_per_tonne: 55 MWh/t}",
     "flows.nh3.produced_by", "makes hydrogen, this flow carries ammonia"),
    ("nodes.g.electrolyser.energy_per_tonne=5 MWh/t", "nodes.g.electrolyser.energy_per_tonne",
     "less than the 9.11 MWh/t"),
    ("nodes.g.electrolyser.energy_per_tonne=10 MW", "nodes.g.electrolyser.energy_per_tonne",
     "expected a quantity in MWh/t"),
    ("nodes.d.electrolyser={capacity: 1 GW, efficiency: 65 %, product: ammonia, energy_per_tonne: 10 MWh/t}",
     "nodes.d.electrolyser", "only a node with a generation block"),
    ("flows.nh3.seasonality=[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "flows.nh3.seasonality",
     "follows the site's power hour by hour"),
    ("+flows.nh3b={carrier: ammonia, origin: g, destination: terminal, rate: 0.1 Mt/yr, produced_by: g}",
     "flows.nh3b.produced_by", "already makes flow 'nh3'"),
])
def test_schema_errors_name_the_key_and_what_was_expected(path, override, where, says):
    with pytest.raises(ScenarioError) as err:
        load_scenario(path, [override])
    assert f"{where}: " in str(err.value) and says in str(err.value)


def test_the_bundled_green_ammonia_scenario_runs_end_to_end():
    """Validates, optimises (the nominal rate bounds the flow), simulates three short replications
    that deliver ammonia at Batumi, made from the Mangystau wind the dispatch leaves within what
    1 GW at 10 MWh/t can make, and judges the ammonia target."""
    ev = evaluate(ROOT / "scenarios" / "green-ammonia-2030.yaml", replications=3,
                  overrides=["simulation.horizon=20 d", "simulation.spinup=10 d"])
    flow = next(f for f in ev.data["flows"] if f["id"] == "kz_green_ammonia")
    assert all(d > 0 for d in flow["delivered"]["replications"])
    assert 0 < flow["electrolyser_capacity_factor"] <= 1
    assert flow["produced_mt"] <= 1.0 * 8766 * 1000 / 10 / 1e6 + 1e-12  # 1 GW all year: 0.8766 Mt/yr
    assert flow["electrolyser_intake_twh"] <= flow["surplus_power_twh"] + 1e-9
    target = next(t for t in ev.data["targets"] if t["id"] == "ammonia_export")
    assert target["optimised"]["max_deliverable"] == pytest.approx(0.45)  # the flow's nominal rate
    assert target["verdict"] in ("met", "at risk", "not met")
    assert len(target["simulated"]["replications"]) == 3
