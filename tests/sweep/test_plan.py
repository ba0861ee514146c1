"""Planning: typos in a varied path refused before any point runs; the manifest a resume checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.errors import CorridorError
from sim.sweep.designs import parse_vary
from sim.sweep.plan import MANIFEST, check_same, file_sha256, plan_sweep

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


def test_a_plan_has_the_scenario_seed_and_unique_points():
    plan = plan_sweep(MINIMAL, [parse_vary("fleets.ferries.vessels=2..4")], seed=5)
    assert (plan.name, plan.seed, plan.sha256) == ("minimal", 5, file_sha256(MINIMAL))
    assert [p.as_set() for p in plan.points] == [[f"fleets.ferries.vessels={v}"] for v in (2, 3, 4)]
    assert plan.targets == {"t": "2.8 Mt/yr", "pt": "1 GW firm in 95% of hours"}
    manifest = plan.manifest()
    assert manifest["seed"] == 5 and manifest["unit"] is None and len(manifest["points"]) == 3
    assert plan_sweep(MINIMAL, [parse_vary("fleets.ferries.vessels=2..4")]).seed == 2024  # the scenario's


@pytest.mark.parametrize("vary, message", [
    ("fleets.ferrys.vessels=1..3", "no 'ferrys' in fleets; did you mean 'ferries'"),
    ("links.gdd.capacity=1 GW, 2 GW", "did you mean 'gd'"),
    ("fleets.ferries.vesels=1..3", "--vary fleets.ferries.vesels"),
])
def test_bad_paths_are_refused_before_any_point_runs(vary, message):
    with pytest.raises(CorridorError, match=message):
        plan_sweep(MINIMAL, [parse_vary(vary)])


def test_a_resume_must_find_the_same_sweep(tmp_path):
    manifest = plan_sweep(MINIMAL, [parse_vary("fleets.ferries.vessels=2..4")]).manifest()
    check_same(tmp_path, manifest)  # nothing there yet: any sweep may start
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    check_same(tmp_path, manifest)
    with pytest.raises(CorridorError, match=r"different sweep \(seed differ\)"):
        check_same(tmp_path, {**manifest, "seed": 1})
