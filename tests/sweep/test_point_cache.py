"""A sweep point without per-point waste (`sim.sweep.points`): each worker reads a scenario file
once and takes every point from that tree (`sim.scenario.loading.with_overrides`); a point is
exactly the scenario `corridor run --set` of the same overrides gives, and its figures are that
run's, with the same seed; a threshold search's later rounds at a point are the run's figures of
those replication indices."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.run import evaluate
from sim.scenario.loading import read_raw, validate, with_overrides
from sim.sweep.points import ScenarioCache, evaluate_report, summarise

TESTS = Path(__file__).resolve().parents[1]
SCENARIOS = TESTS / "scenarios"
CARGO = SCENARIOS / "sweep_cargo.yaml"
POWER = SCENARIOS / "sweep_power.yaml"
CHILD = SCENARIOS / "child.yaml"  # extends minimal.yaml
HONEST = SCENARIOS / "honest_power.yaml"  # has expansions: --replan builds them

KEPT = ("plan_applied", "built", "targets", "plan")  # what a point keeps of the report, besides the run's


OVERRIDES = [
    (CARGO, ["fleets.ferries.vessels=7"]),
    (CARGO, ["simulation.horizon=120 d", "fleets.ferries.vessels=5", "fleets.ferries.capacity=40 wagon"]),
    (CARGO, ["links.ferry.transit={dist: triangular, low: 10 h, mode: 12 h, high: 30 h}"]),
    (CARGO, ["weather.storms.nodes[0]=alat", "weather.storms.rate=10 /yr"]),
    (CARGO, ["weather.storms=null"]),
    (CARGO, ["+flows.second={carrier: cargo, origin: origin, destination: europe, rate: 1 Mt/yr, "
             "consignment: train}"]),
    (CARGO, ["simulation.precision=5 %", "nodes.aktau.port.berths.ferry.count=1"]),
    (CHILD, ["fleets.ferries.vessels=3", "targets.t.value=1 Mt/yr"]),
    (CHILD, ["links.gd.reliability.units=1"]),
    (POWER, ["links.cable.capacity=2.2 GW", "links.cable.reliability.failure_rate=0.05 /100km/yr"]),
]


@pytest.mark.parametrize(("scenario", "overrides"), OVERRIDES)
def test_overrides_on_the_tree_read_once_give_what_reading_with_set_gives(scenario, overrides):
    base = read_raw(scenario)
    before = copy.deepcopy((base.data, base.origins, base.files, base.replaced))
    got, want = with_overrides(base, overrides), read_raw(scenario, overrides)
    assert (got.data, got.origins, got.files, got.replaced) == (want.data, want.origins, want.files, want.replaced)
    assert validate(got) == validate(want)
    assert (base.data, base.origins, base.files, base.replaced) == before  # the worker's tree is untouched


@pytest.mark.parametrize("overrides", [["fleets.feries.vessels=3"], ["fleets.ferries.vessels=-2"],
                                       ["weather.gales=null"], ["links.ferry.transit.low.x=1"]])
def test_a_bad_point_fails_with_the_message_reading_with_set_gives(overrides):
    def message(read) -> str:
        with pytest.raises(ScenarioError) as err:
            validate(read())
        return str(err.value)

    base = read_raw(CARGO)
    assert message(lambda: with_overrides(base, overrides)) == message(lambda: read_raw(CARGO, overrides))


def test_a_worker_reads_the_file_once_and_again_only_when_it_changes(tmp_path):
    scenario = tmp_path / "s.yaml"
    shutil.copy(CARGO, scenario)
    cache = ScenarioCache(keep=2)
    first = [cache.point(scenario, [f"fleets.ferries.vessels={v}"]).scenario for v in (3, 4, 5, 3)]
    assert cache.reads == 1
    assert [f.fleets["ferries"].vessels.value for f in first] == [3, 4, 5, 3]
    assert cache.point(scenario, ["fleets.ferries.vessels=5"]) is cache.point(scenario, ["fleets.ferries.vessels=5"])
    scenario.write_text(CARGO.read_text().replace("rate: 3 Mt/yr", "rate: 2 Mt/yr"))
    again = cache.point(scenario, ["fleets.ferries.vessels=5"]).scenario
    assert cache.reads == 2 and again.flows["cargo"].rate.value != first[2].flows["cargo"].rate.value
    assert again == validate(read_raw(scenario, ["fleets.ferries.vessels=5"]))


def _kept(data: dict) -> dict:
    return json.loads(json.dumps({k: data[k] for k in KEPT if k in data} | {
        "run": {"seed": data["run"]["seed"], "replications": data["run"]["replications"]}}, default=float))


def test_a_point_has_the_figures_of_corridor_run_with_the_same_overrides_and_seed(tmp_path, cli):
    overrides = ["simulation.horizon=120 d", "fleets.ferries.vessels=6"]
    sets = [a for o in overrides for a in ("--set", o)]
    result = cli("run", CARGO, *sets, "--seed", "9", "-r", "5", "-o", tmp_path / "run")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    point = evaluate_report(CARGO, overrides, 9, 5)
    assert _kept(point) == _kept(report) and point["run"] == {"seed": 9, "replications": 5}
    assert summarise(point) == summarise(report)
    again = evaluate_report(CARGO, overrides, 9, 5)  # the cached scenario and optimiser result
    assert _kept(again) == _kept(point)


@pytest.mark.parametrize(("scenario", "overrides", "with_plan"), [
    (POWER, ["links.cable.capacity=1.8 GW"], False),
    (CHILD, ["fleets.ferries.vessels=4"], False),
    (HONEST, ["links.cable.capacity=1 GW"], True),
])
def test_a_point_equals_evaluate_as_written_and_with_the_plan(scenario, overrides, with_plan):
    point = evaluate_report(scenario, overrides, 3, 4, with_plan=with_plan)
    full = evaluate(scenario, overrides=overrides, seed=3, replications=4, with_plan=with_plan).data
    assert _kept(point) == _kept(full)
    assert point["plan_applied"] is with_plan and ("built" in point) is with_plan


def test_a_later_round_of_a_threshold_search_is_the_run_of_those_replications():
    overrides = ["links.cable.capacity=2.2 GW"]
    for first in (0, 3, 3):  # the second round at 3: the cached scenario and optimiser result
        point = evaluate_report(POWER, overrides, 7, 4, first=first)
        full = evaluate(POWER, overrides=overrides, seed=7, replications=4, first_replication=first).data
        assert _kept(point) == _kept(full)
