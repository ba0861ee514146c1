"""Gap attribution: exact Shapley values on hand-made games, the scenario transforms that switch
each cause off, and an end-to-end case where one cause (a scheduled cable outage) alone explains
the simulated gap."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SCENARIOS

from sim.attribution import (CAUSES, PROMPT_DEPARTURE, UNLIMITED_BERTHS, attribute, coalitions,
                             present_causes, shapley, switch_off)
from sim.errors import CorridorError
from sim.scenario.checks import MAX_SPINUP_H
from sim.scenario.loading import load_scenario

PLAYERS = ("a", "b", "c")


def table(players: tuple[str, ...], v: Callable[[frozenset[str]], float]) -> dict[frozenset[str], float]:
    return {s: v(s) for s in coalitions(players)}


def test_coalitions_are_every_subset_once() -> None:
    found = coalitions(PLAYERS)
    assert len(found) == 8 and len(set(found)) == 8
    assert found[0] == frozenset() and found[-1] == frozenset(PLAYERS)


def test_an_additive_game_gives_each_cause_its_own_contribution() -> None:
    own = {"a": 1.5, "b": -0.25, "c": 4.0}
    phi = shapley(PLAYERS, table(PLAYERS, lambda s: 10.0 + sum(own[p] for p in s)))
    assert phi == pytest.approx(own)


def test_a_pure_interaction_is_split_equally() -> None:
    # only switching off a and b together gains anything (6): each gets half, c nothing
    phi = shapley(PLAYERS, table(PLAYERS, lambda s: 6.0 if {"a", "b"} <= s else 0.0))
    assert phi == pytest.approx({"a": 3.0, "b": 3.0, "c": 0.0})


def test_a_hand_computed_game() -> None:
    # v(a)=1, v(b)=2, v(ab)=6: a gets (1 + (6-2))/2 = 2.5, b gets (2 + (6-1))/2 = 3.5
    v = {frozenset(): 0.0, frozenset("a"): 1.0, frozenset("b"): 2.0, frozenset("ab"): 6.0}
    assert shapley(("a", "b"), v) == pytest.approx({"a": 2.5, "b": 3.5})


def test_no_players_no_shares() -> None:
    assert shapley((), {frozenset(): 3.0}) == {}


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=16, max_size=16))
def test_shares_add_up_to_the_whole_gap(values: list[float]) -> None:
    players = ("a", "b", "c", "d")
    v = dict(zip(coalitions(players), values, strict=True))
    phi = shapley(players, v)
    assert math.fsum(phi.values()) == pytest.approx(v[frozenset(players)] - v[frozenset()], abs=1e-6)


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=4, max_size=4))
def test_symmetric_causes_get_equal_shares(by_size: list[float]) -> None:
    # v depends on a and b only through how many of them are off: a and b are interchangeable
    players = ("a", "b", "c")
    v = {s: by_size[len(s & {"a", "b"})] + (by_size[3] if "c" in s else 0.0) for s in coalitions(players)}
    phi = shapley(players, v)
    assert phi["a"] == pytest.approx(phi["b"], abs=1e-9)
    assert phi["c"] == pytest.approx(by_size[3], abs=1e-9)  # a dummy-plus-constant cause: its own effect


# --- the transforms ----------------------------------------------------------------------------


def test_each_cause_is_switched_off_in_a_copy() -> None:
    s = load_scenario(SCENARIOS / "energy_grid.yaml")
    assert present_causes(s) == ["storms", "outages", "losses"]
    off = switch_off(s, CAUSES)
    assert present_causes(off) == []
    assert not off.weather
    assert all(l.reliability is None and l.loss_per_1000km is None and l.converter_loss is None
               for l in off.links.values())
    assert all(n.reliability is None for n in off.nodes.values())
    # the original is untouched
    assert s.weather and s.links["cable"].reliability is not None


def test_storms_off_keeps_outages_but_drops_their_weather() -> None:
    s = load_scenario(SCENARIOS / "energy_grid.yaml")
    off = switch_off(s, ["storms"])
    before, after = s.links["cable"].reliability, off.links["cable"].reliability
    assert before is not None and before.weather == "black_sea"
    assert after is not None and after.weather is None and after.failure_rate == before.failure_rate


def test_cargo_causes_and_their_transforms() -> None:
    s = load_scenario(SCENARIOS / "minimal.yaml")
    assert {"departures", "queues", "spinup"} <= set(present_causes(s))
    off = switch_off(s, ["departures", "queues", "spinup"])
    assert off.fleets["ferries"].departure == PROMPT_DEPARTURE
    assert off.nodes["b"].port is not None and off.nodes["b"].port.berths["ferry"].count.value == UNLIMITED_BERTHS
    assert off.simulation.spinup.value == MAX_SPINUP_H
    assert s.simulation.spinup.value == 0 and s.nodes["b"].port.berths["ferry"].count.value == 1  # type: ignore[union-attr]


# --- end to end ----------------------------------------------------------------------------------

def test_a_storm_alone_explains_the_gap() -> None:
    """Cargo on a ferry at about the fleet's capacity behind a port storms close: the storms take
    the whole simulated gap; the berths (never short) and a lossy power line elsewhere take
    nothing; with every cause off the simulation comes back to the bound (within 5%: whole
    voyages in a 50-day window)."""
    from sim.optimiser.optimise import optimise

    s = load_scenario(SCENARIOS / "gaps_storm.yaml")
    assert present_causes(s) == ["queues", "storms", "losses"]
    a = attribute(s, optimise(s, n_minus_1=False), replications=4)
    gap = a.targets["cargo"]
    assert gap.bound is not None and gap.residual is not None
    for cause in ("queues", "losses"):
        lo, hi = gap.causes_ci95[cause]
        assert lo <= 0.0 <= hi and abs(gap.causes[cause]) < 1e-9
    assert gap.causes_ci95["storms"][0] > 0  # a real cost, not noise
    assert gap.causes["storms"] == pytest.approx(gap.all_off - gap.simulated, rel=1e-9)
    assert abs(gap.residual) < 0.05 * gap.bound
    assert gap.bound - sum(gap.causes.values()) - gap.residual == pytest.approx(gap.simulated)
    # and the power line's losses are the power target's whole gap
    power = a.targets["power"]
    assert power.causes["losses"] == pytest.approx(0.1, rel=1e-6)
    assert power.causes["storms"] == 0.0 and power.causes["queues"] == 0.0


def test_a_scheduled_outage_alone_explains_the_gap() -> None:
    """A 1 GW cable fully out for 5 of the 35 measured days: the outage costs exactly 5/35 GW, the
    storms elsewhere and the losses on another link cost the target nothing. (The optimiser
    counts scheduled outages in its bound, so there the residual is negative: the bound already
    took the outage off.)"""
    from sim.optimiser.optimise import optimise

    s = load_scenario(SCENARIOS / "gaps_outage.yaml")
    assert set(present_causes(s)) == {"storms", "outages", "losses"}
    plan = optimise(s, n_minus_1=False)
    ticks: list[tuple[int, int]] = []
    a = attribute(s, plan, replications=2, seed=5, progress=lambda done, total: ticks.append((done, total)))
    assert ticks[-1] == (8 * 2, 8 * 2)
    gap = a.targets["firm_link"]
    assert gap.coalitions == 8
    lost = 1.0 * 5 / 35
    assert gap.simulated == pytest.approx(1.0 - lost, rel=1e-6)
    assert gap.all_off == pytest.approx(1.0, rel=1e-6)
    assert gap.causes["outages"] == pytest.approx(lost, rel=1e-6)
    assert gap.causes["storms"] == pytest.approx(0.0, abs=1e-9)
    assert gap.causes["losses"] == pytest.approx(0.0, abs=1e-9)
    assert gap.bound is not None and gap.residual is not None
    assert gap.residual == pytest.approx(gap.bound - gap.all_off)
    assert gap.bound - sum(gap.causes.values()) - gap.residual == pytest.approx(gap.simulated)
    # the losses belong to the other target
    other = a.targets["lossy"]
    assert other.causes["losses"] > 0 and other.causes["outages"] == pytest.approx(0.0, abs=1e-9)


def test_refuses_a_scenario_without_targets() -> None:
    s = load_scenario(SCENARIOS / "minimal.yaml")
    bare = s.model_copy(update={"targets": {}})
    with pytest.raises(CorridorError, match="targets"):
        attribute(bare, None, replications=1)  # type: ignore[arg-type]


def test_refuses_zero_replications() -> None:
    s = load_scenario(SCENARIOS / "minimal.yaml")
    with pytest.raises(CorridorError, match="replications"):
        attribute(s, None, replications=0)  # type: ignore[arg-type]


def test_every_subset_listed_by_size() -> None:
    players = ("a", "b", "c", "d")
    sizes = [len(s) for s in coalitions(players)]
    assert sizes == sorted(sizes)
    assert sum(1 for s in coalitions(players) if len(s) == 2) == len(list(combinations(players, 2)))


def test_the_waterfall_falls_from_the_bound_to_the_simulated_mean() -> None:
    from matplotlib.patches import Rectangle

    from sim.report.document import Gap
    from sim.report.plots import waterfall_figure

    gap = Gap(bound=10.0, bound_kind="max_together", simulated=6.0, simulated_ci95=[5.5, 6.5], all_off=9.0,
              causes={"storms": 2.5, "queues": 0.5}, causes_ci95={"storms": [2.0, 3.0], "queues": [0.4, 0.6]},
              residual=1.0, coalitions=4, replications=3, seed=1, unit="Mt/yr")
    ax = waterfall_figure("t", gap).axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 5  # bound, two causes, residual, simulated
    assert bars[0].get_height() == pytest.approx(10.0) and bars[-1].get_height() == pytest.approx(6.0)
    tops = [b.get_y() + b.get_height() for b in bars[1:4]]  # each step ends where the next starts
    assert tops == pytest.approx([7.5, 7.0, 6.0])
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "simulated"


def test_workers_do_not_change_the_figures() -> None:
    from sim.optimiser.optimise import optimise

    s = load_scenario(SCENARIOS / "gaps_storm.yaml")
    plan = optimise(s, n_minus_1=False)
    one = attribute(s, plan, replications=2, workers=1)
    two = attribute(s, plan, replications=2, workers=2)
    assert one.to_dict() == two.to_dict()


# --- the command line ------------------------------------------------------------------------------


def test_corridor_gaps_writes_its_folder(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "g"
    result = CliRunner().invoke(app, ["gaps", str(SCENARIOS / "gaps_outage.yaml"), "-r", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"gaps.json", "gaps.md", "manifest.json", "gap-firm_link.png",
                                               "gap-lossy.png"}
    data = json.loads((out / "gaps.json").read_text())
    assert data["causes"] == ["storms", "outages", "losses"]
    assert data["targets"]["firm_link"]["causes"]["outages"] == pytest.approx(5 / 35, rel=1e-6)
    assert len(data["coalitions"]["firm_link"]) == 8
    assert "| firm_link | GW |" in (out / "gaps.md").read_text()
    assert "outages" in result.output and "firm_link" in result.output
    # written by corridor: a second run may replace it
    again = CliRunner().invoke(app, ["gaps", str(SCENARIOS / "gaps_outage.yaml"), "-r", "1", "--out", str(out), "-q"])
    assert again.exit_code == 0, again.output


def test_run_with_gaps_puts_them_in_the_report_and_rerun_repeats_them(tmp_path: Path) -> None:
    import json

    import jsonschema

    from sim.report import document
    from sim.run import rerun, run

    folder = tmp_path / "r"
    report = run(SCENARIOS / "gaps_outage.yaml", replications=1, out=folder, gaps=1)
    rows = {t["id"]: t for t in report.data["targets"]}
    gap = rows["firm_link"]["gap"]
    assert gap["causes"]["outages"] == pytest.approx(5 / 35, rel=1e-6) and gap["coalitions"] == 8
    # the run's own simulation and the attribution's none-off coalition are the same replications
    assert gap["simulated"] == pytest.approx(rows["firm_link"]["simulated"]["mean"])
    on_disk = json.loads((folder / "report.json").read_text())
    schema = json.loads((Path(document.__file__).parent / "schema.json").read_text())
    jsonschema.validate(on_disk, schema)
    on_disk["targets"][0]["gap"]["causes"]["outages"] = "a lot"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(on_disk, schema)
    on_disk = json.loads((folder / "report.json").read_text())
    assert on_disk["targets"][0]["gap"] == report.data["targets"][0]["gap"]
    assert (folder / "gap-firm_link.png").is_file() and (folder / "gap-lossy.png").is_file()
    md = (folder / "report.md").read_text()
    assert "## Gaps: from the optimiser's bound to the simulation" in md
    assert "gap-firm_link.png" not in md and "Gaps" in (folder / "report.html").read_text()
    assert json.loads((folder / "manifest.json").read_text())["gaps"] == 1
    _, differences = rerun(folder, out=tmp_path / "again")
    assert differences == []

