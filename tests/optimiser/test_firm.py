"""The firm-power plan (sim.optimiser.firm) on cases solved by hand."""

from __future__ import annotations

import json
import math
import pathlib

import jsonschema
import numpy as np
import pytest

from sim.energy.paths import Element, Path
from sim.network import HOURS_PER_YEAR
from sim.optimiser.firm import Asset, exempt_hours, plan_firm

DAYS = 2
N = 24 * DAYS
SUN = np.tile(np.r_[np.ones(12), np.zeros(12)], DAYS)  # 12 h of full output, 12 h of none
CABLE = Element("link:cable", 1.0, 1.0)
PATHS = {"export": [Path("export", "site", (CABLE,))]}
RATES = {"export": 1.0}
CAPS = {"link:cable": np.full(N, 1.0)}
CF = {"site": SUN}
RTE = 0.81  # 0.9 each way


def assets(plant_fuel: float) -> list[Asset]:
    return [Asset("solar", "generation", "site", existing=3.0),
            Asset("battery", "store", "site", size=2.0, annual_cost=100.0, hours=12.0, rte=RTE),
            Asset("gas", "plant", "site", size=2.0, annual_cost=60.0, fuel_cost=plant_fuel)]


def test_a_battery_carries_the_day_into_the_night() -> None:
    """Night needs 12 GWh out, 12/0.9 GWh stored, charged over 12 h at 0.9: 1.2346 GW of charging
    power, which sets the size (50 MUSD/yr a GW); gas (30 a GW plus 12 GWh a night at 50 USD/MWh
    = 219 MUSD/yr) costs more."""
    plan = plan_firm(PATHS, RATES, CAPS, CF, assets(50.0), figure=1.0, share_of_time=1.0)
    charge = 12.0 / 0.9 / 12.0 / 0.9
    assert plan.status == "optimal"
    assert plan.built["battery"] == pytest.approx(charge, rel=1e-6)
    assert plan.built["gas"] == pytest.approx(0.0, abs=1e-9)
    assert plan.investment_musd_yr == pytest.approx(50.0 * charge, rel=1e-6)
    assert plan.delivered == pytest.approx(np.ones(N), abs=1e-7)


def test_cheap_fuel_makes_the_plant_cheaper() -> None:
    """With free fuel 1 GW of gas (30 MUSD/yr) beats the battery (61.7)."""
    plan = plan_firm(PATHS, RATES, CAPS, CF, assets(0.0), figure=1.0, share_of_time=1.0)
    assert plan.built["gas"] == pytest.approx(1.0, rel=1e-6)
    assert plan.built["battery"] == pytest.approx(0.0, abs=1e-9)
    assert plan.cost_musd_yr == pytest.approx(30.0, rel=1e-6)


def test_fuel_is_costed_a_year() -> None:
    """Gas alone (no battery candidate): 1 GW for 30 MUSD/yr plus 12 GWh a night, 365.25 nights
    (the model's year), at 50 USD/MWh = 219.15 MUSD/yr."""
    only_gas = [a for a in assets(50.0) if a.id != "battery"]
    plan = plan_firm(PATHS, RATES, CAPS, CF, only_gas, figure=1.0, share_of_time=1.0)
    assert plan.fuel_musd_yr == pytest.approx(50.0 * 12_000 * HOURS_PER_YEAR / 24 / 1e6, rel=1e-6)
    assert plan.investment_musd_yr == pytest.approx(30.0, rel=1e-6)


def test_exempt_hours_are_the_shortest() -> None:
    """At 50 % of hours the nights are exempt: nothing is built."""
    mask = exempt_hours(PATHS, RATES, CAPS, {"site": 3.0 * SUN}, 1.0, 0.5)
    assert mask.sum() == N // 2 and not mask[SUN > 0].any()
    plan = plan_firm(PATHS, RATES, CAPS, CF, assets(50.0), figure=1.0, share_of_time=0.5)
    assert plan.exempt_hours == N // 2
    assert plan.cost_musd_yr == pytest.approx(0.0, abs=1e-3)


def test_a_project_is_all_or_nothing() -> None:
    """A 2 GW battery project at 100 MUSD/yr is taken whole (gas at 219 costs more)."""
    project = [Asset("solar", "generation", "site", existing=3.0),
               Asset("battery", "store", "site", size=2.0, annual_cost=100.0, hours=12.0, rte=RTE, project=True),
               Asset("gas", "plant", "site", size=2.0, annual_cost=60.0, fuel_cost=50.0)]
    plan = plan_firm(PATHS, RATES, CAPS, CF, project, figure=1.0, share_of_time=1.0)
    assert plan.built["battery"] == pytest.approx(2.0)
    assert plan.investment_musd_yr == pytest.approx(100.0)


def test_more_transmission_when_the_cable_limits() -> None:
    """A 0.5 GW cable with a 1 GW upgrade candidate: the firm 1 GW needs 0.5 GW more cable
    (linear cost: half the candidate's 40 MUSD/yr) and the battery as before."""
    caps = {"link:cable": np.full(N, 0.5)}
    upgrade = [*assets(50.0), Asset("cable_plus", "element", "link:cable", size=1.0, annual_cost=40.0)]
    plan = plan_firm(PATHS, RATES, caps, CF, upgrade, figure=1.0, share_of_time=1.0)
    assert plan.built["cable_plus"] == pytest.approx(0.5, rel=1e-6)
    assert math.isclose(plan.investment_musd_yr, 20.0 + 50.0 * 12.0 / 0.9 / 12.0 / 0.9, rel_tol=1e-6)


def test_out_of_reach_says_how_short() -> None:
    """Without a battery or gas, the nights cannot be served: 24 of 48 hours short by 1 GW, 12 GWh
    a night, 365.25 nights a year; the shortfall is costed at the value of lost load."""
    only_sun = [Asset("solar", "generation", "site", existing=3.0)]
    plan = plan_firm(PATHS, RATES, CAPS, CF, only_sun, figure=1.0, share_of_time=1.0)
    assert plan.status == "optimal"
    assert plan.short_hours == N // 2
    assert plan.short_gwh_yr == pytest.approx(12.0 * HOURS_PER_YEAR / 24, rel=1e-6)
    assert plan.cost_musd_yr == pytest.approx(0.0, abs=1e-9)


def test_a_run_plans_firm_power_and_the_simulation_judges_it() -> None:
    """The cheap gas turbine, sized to the 1 GW export (lossless line), makes the export firm in
    every hour of every simulated year, not only the LP's weather year; without the flag the
    report has no firm section."""
    from support import SCENARIOS

    from sim.report import document
    from sim.report.document import ReportDocument
    from sim.report.render import markdown
    from sim.run import evaluate

    ev = evaluate(SCENARIOS / "firm_solar.yaml", replications=3)
    (row,) = ev.data["firm_supply"]
    assert row["status"] == "optimal" and row["short_hours"] == 0
    assert set(row["built"]) == {"gas"} and row["built"]["gas"] == pytest.approx(1.0, rel=1e-6)
    assert row["simulated"]["p_met"] == 1.0 and row["simulated"]["verdict"] == "met"
    assert row["simulated"]["firm_mean"] == pytest.approx(1.0, rel=1e-6)
    jsonschema.validate(ev.data, json.loads((pathlib.Path(document.__file__).parent / "schema.json").read_text()))
    assert "## Firm power" in markdown(ReportDocument.model_validate(ev.data))
    plain = evaluate(SCENARIOS / "firm_solar.yaml", replications=1, overrides=["optimiser.firm_supply=false"])
    assert "firm_supply" not in plain.data


def test_a_gw_expansion_at_a_site_is_generation_only_where_the_plan_builds_generation() -> None:
    """`apply_plan` adds a GW expansion at a generation site to its generation, or to the node's
    own capacity when it has one: the firm plan counts it as generation only in the first case."""
    from support import SCENARIOS

    from sim.optimiser.firm import _assets
    from sim.scenario.loading import load_scenario

    more = "expansions.farm={node: sun, size: 1 GW, capex: 1 bnUSD, lifetime: 25 yr}"
    plain = load_scenario(SCENARIOS / "firm_solar.yaml", [more])
    assert [a.kind for a in _assets(plain, {"sun"}, {"link:line"}) if a.id == "farm"] == ["generation"]
    capped = load_scenario(SCENARIOS / "firm_solar.yaml", [more, "nodes.sun.capacity=3 GW"])
    assert [a.kind for a in _assets(capped, {"sun"}, {"link:line"}) if a.id == "farm"] == []


@pytest.mark.parametrize("design, message", [
    ("soc_min=60 %", r"initial .50 %. must lie between soc_min .60 %."),
    ("soc_max=20 %", r"initial .50 %. must lie between"),
])
def test_a_store_design_the_plan_could_not_build_is_refused_with_its_key_path(design: str, message: str) -> None:
    """A store an expansion builds has the limits a written store has, checked when the file is
    read (before, the plan's `Store` refused it halfway through a run, an internal error)."""
    from support import SCENARIOS

    from sim.errors import CorridorError
    from sim.scenario.loading import load_scenario

    with pytest.raises(CorridorError, match=r"expansions\.battery\.store[\s\S]*" + message):
        load_scenario(SCENARIOS / "firm_solar.yaml", [f"expansions.battery.store.{design}"])
    built = load_scenario(SCENARIOS / "firm_solar.yaml", ["expansions.battery.store.soc_min=60 %",
                                                          "expansions.battery.store.initial=70 %"])
    assert built.expansions["battery"].store is not None and built.expansions["battery"].store.initial.value == 0.7
