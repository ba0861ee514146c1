"""Power targets judged three ways (`sim.targets`): transmission, energy and firm, on hand cases.

A lossless 4 GW cable out for 30 of 1000 hours (availability 0.97) carries 4 GW in 97 % of the
hours whatever the supply behind it, so its transmission capacity is 4 GW at 95 % of hours and
0 at 99 %; fed by 0.5 GW of flat generation it delivers 0.5 GW firm. Two parallel 2 GW cables keep
2 GW with either lost (N-1); a flat flow over a year delivers its power times 8766 hours (pint's
year of 365.25 days, the model's) less its losses.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from sim import targets as judge
from sim.energy.model import simulate_continuous
from sim.network import HOURS_PER_YEAR, Network
from sim.replications import Replication, Streams
from sim.report import document
from sim.run import evaluate
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario
from sim.errors import CorridorError

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
CABLE = SCENARIOS / "framings_cable.yaml"
SCHEMA = json.loads((Path(document.__file__).parent / "schema.json").read_text())
TWH = HOURS_PER_YEAR / 1000  # a mean GW over a year, in TWh


def power(path: Path, *overrides: str) -> tuple[Scenario, Replication]:
    sc = load_scenario(path, list(overrides))
    return sc, simulate_continuous(sc, Network(sc), Streams(sc.simulation.seed, 0), 0, ("power",))


def test_transmission_is_the_cable_capacity_in_the_share_of_hours_whatever_the_supply():
    sc, rep = power(CABLE)
    transfer = np.asarray(rep.flows["export"].transfer, float)
    assert transfer[:500] == pytest.approx(4.0) and transfer[530:] == pytest.approx(4.0)
    assert transfer[500:530] == pytest.approx(0.0)
    t = sc.targets["corridor"]
    assert judge.measure(t, rep) == judge.measure_as("transmission", t, rep) == pytest.approx(4.0)  # 3 % < 5 %
    sc99, rep99 = power(CABLE, "targets.corridor.share_of_time=99 %")
    assert judge.measure(sc99.targets["corridor"], rep99) == 0.0  # 3 % of hours at 0 > 1 %
    assert judge.measure_as("firm", t, rep) == pytest.approx(0.5)  # what the 0.5 GW of generation delivers


def test_transmission_is_the_capacity_left_by_an_earlier_flow_on_the_same_cable():
    sc, rep = power(CABLE, "flows.first={carrier: power, origin: g, destination: d, rate: 1 GW}",
                    "targets.corridor.flows=[first]")
    # `export` comes first in the file: with unlimited supply it takes all 4 GW, nothing is left
    assert judge.measure(sc.targets["corridor"], rep) == 0.0
    sc, rep = power(CABLE, "flows.export.rate=3 GW", "flows.first={carrier: power, origin: g, destination: d, "
                    "rate: 2 GW}", "targets.corridor.flows=[export, first]")
    assert judge.measure(sc.targets["corridor"], rep) == pytest.approx(4.0)  # 3 + 1 GW: the cable, together


def test_n_minus_1_of_two_parallel_cables_is_one_of_them_and_of_one_cable_nothing():
    parallel = ["links.cable.capacity=2 GW", "links.cable.reliability=null",
                "links.twin={from: g, to: d, mode: hvdc_subsea, carrier: power, capacity: 2 GW, length: 1000 km, "
                "loss_per_1000km: 0 %, converter_loss: 0 %}"]
    sc = load_scenario(CABLE, parallel)
    net = Network(sc)
    assert judge.n_minus_1(sc, net, sc.targets["corridor"]) == pytest.approx(2.0)
    sc = load_scenario(CABLE)
    assert judge.n_minus_1(sc, Network(sc), sc.targets["corridor"]) == 0.0
    sc, rep = power(CABLE, *parallel)  # no outages: both cables carry 4 GW in every hour
    assert judge.measure(sc.targets["corridor"], rep) == pytest.approx(4.0)


def test_n_minus_1_with_losses_is_the_worst_remaining_path_less_its_losses():
    sc = load_scenario(CABLE, ["links.cable.capacity=3 GW", "links.cable.loss_per_1000km=2 %",
                               "links.twin={from: g, to: d, mode: hvdc_subsea, carrier: power, capacity: 2 GW, "
                               "length: 1000 km, loss_per_1000km: 5 %, converter_loss: 0 %}"])
    # losing the 3 GW cable leaves the twin: 2 GW in, 5 % lost; losing the twin leaves 3 GW x 0.98
    assert judge.n_minus_1(sc, Network(sc), sc.targets["corridor"]) == pytest.approx(2.0 * 0.95)


def test_energy_of_a_flat_flow_is_its_power_times_the_hours_of_a_year_less_losses():
    # 1 GW flat generation into a 500 km line losing 2 % per 1000 km: 1 % lost
    sc, rep = power(CABLE, "nodes.g.generation.capacity=2 GW", "links.cable.reliability=null",
                    "links.cable.loss_per_1000km=2 %", "links.cable.length=500 km")
    t = sc.targets["corridor"]
    assert judge.measure_as("energy", t, rep) == pytest.approx(1.0 * 0.99 * 8.766, rel=1e-9)
    assert judge.measure_as("energy", t, rep) == pytest.approx(rep.flows["export"].extra["energy_twh"], rel=1e-9)
    # the default figure: 4 GW x 8766 h x 50 % capacity factor x 99 % efficiency
    assert judge.default_energy(sc, Network(sc), t) == pytest.approx(4 * 8.766 * 0.5 * 0.99, rel=1e-12)


def test_firm_is_unchanged_by_the_framings():
    sc, rep = power(SCENARIOS / "energy_chain.yaml")
    t = sc.targets["firm"]
    hourly = np.asarray(rep.flows["export"].hourly)
    by_hand = float(np.quantile(hourly, 0.05, method="lower"))
    assert judge.measure(t, rep) == judge.measure_as("firm", t, rep) == by_hand
    assert judge.measured(sc, rep)["firm:firm"] == judge.measured(sc, rep)["firm"]


def test_an_energy_target_needs_its_energy_and_only_power_targets_have_framings():
    with pytest.raises(CorridorError, match="energy"):
        load_scenario(CABLE, ["targets.corridor.measure=energy"])
    sc = load_scenario(CABLE, ["targets.corridor.measure=energy", "targets.corridor.energy=30 TWh/yr"])
    t = sc.targets["corridor"]
    assert (judge.figure(t), judge.unit(t)) == (30.0, "TWh/yr")
    assert judge.threshold(t) == 30.0
    with pytest.raises(CorridorError, match="only a power target"):
        load_scenario(SCENARIOS / "minimal.yaml", ["targets.t.measure=transmission"])


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate(CABLE, replications=2).data


def test_report_json_judges_each_framing_with_its_own_figure_and_verdict(report):
    jsonschema.validate(report, SCHEMA)
    (t,) = report["targets"]
    assert (t["measure"], t["unit"], t["share_of_time"]) == ("transmission", "GW", 0.95)
    f = t["framings"]
    assert set(f) == {"transmission", "energy", "firm"}
    assert f["transmission"]["mean"] == t["simulated"]["mean"] == pytest.approx(4.0)
    assert (f["transmission"]["verdict"], t["verdict"]) == ("met", "met")  # the top level: its own measure
    assert f["transmission"]["n_minus_1"] == 0.0 and f["transmission"]["n_minus_1_met"] is False
    assert f["firm"]["mean"] == pytest.approx(0.5) and f["firm"]["verdict"] == "not met"
    energy = f["energy"]
    assert energy["unit"] == "TWh/yr" and energy["assumed"] is True
    assert energy["value"] == pytest.approx(4 * 8.766 * 0.5)
    assert energy["mean"] == pytest.approx(0.5 * 0.97 * 8.766)
    assert energy["utilisation"] == pytest.approx(0.5 * 0.97 / 4)
    assert energy["verdict"] == "not met" and energy["p_met"] == 0.0
    rows = document.as_document(report).frames().target_framings.set_index("framing")
    assert rows.loc["transmission", "verdict"] == "met" and rows.loc["firm", "mean"] == pytest.approx(0.5)


def test_the_report_pages_show_the_framings(report):
    from rich.console import Console

    from sim.report.document import as_document
    from sim.report.render import html_report, markdown, summary_table

    doc = as_document(report)
    md = markdown(doc)
    assert "| corridor | energy |" in md and "| corridor | transmission (own) |" in md
    assert "Power targets: transmission, energy, firm" in html_report(doc, {})
    console = Console(width=250, record=True)
    console.print(summary_table(doc))
    text = console.export_text()
    assert "energy" in text and "firm 0.5/4 GW: NOT met" in text


def test_an_energy_target_gets_its_optimiser_bound_as_energy_a_year() -> None:
    """The optimiser bounds a mean power (GW); beside a target measured in TWh a year the report
    sets that bound times 8.766 TWh a GW-year, in the target's unit."""
    from sim.run import evaluate

    sets = ["targets.firm.measure=energy", "targets.firm.energy=20 TWh/yr"]
    gw = evaluate(SCENARIOS / "energy_chain.yaml", replications=1)
    twh = evaluate(SCENARIOS / "energy_chain.yaml", replications=1, overrides=sets)
    (row_gw,) = gw.data["targets"]
    (row_twh,) = twh.data["targets"]
    assert row_twh["unit"] == "TWh/yr" and row_twh["target"] == pytest.approx(20.0)
    assert row_twh["optimised"]["max_deliverable"] == pytest.approx(
        row_gw["optimised"]["max_deliverable"] * HOURS_PER_YEAR / 1000.0, rel=1e-12)
