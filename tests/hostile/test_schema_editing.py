"""Editing scenarios through `extends:` and `--set` as a careless user does (issue 13, part 4).

A mistake made in a child file is named at the child's line, not at the parent's; a child that
changes a distribution's `dist` or an entry's `kind` replaces it instead of merging the parent's
keys into it; a new id one typo from an existing one is refused with "did you mean" unless marked
new with `+`; `extends:` takes a bundled scenario's name. Every refusal exits 2 with the file and
line named and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL

from sim.scenario.loading import load_scenario

PARENT = MINIMAL.read_text()


def line_of(text: str, words: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if words in row)


def chain(workdir: Path, child: str, parent: str = PARENT) -> str:
    """p.yaml (the minimal scenario) and c.yaml extending it; returns the child's text."""
    (workdir / "p.yaml").write_text(parent)
    text = "extends: p.yaml\nname: c\n" + child
    (workdir / "c.yaml").write_text(text)
    return text


# (the child's text after extends and name, the words of its mistake's line, what the message says)
CHILD_MISTAKES = {
    "a mode that conflicts with the parent's capacity": (
        "links:\n  ab:\n    mode: ferry\n", "mode: ferry", "links.ab.mode: conflicts with capacity (p.yaml:"),
    "a port turned into a rail terminal": (
        "nodes:\n  b:\n    kind: rail_terminal\n", "b:", "replaced whole"),
    "an exponential repair given triangular's keys with a mistake": (
        "links:\n  gd:\n    reliability:\n      repair: {dist: triangular, low: 9 d, mode: 2 d, high: 3 d}\n",
        "repair:", "links.gd.reliability.repair"),
    "a typo in a fleet id": ("fleets:\n  feries:\n    vessels: 16\n", "feries:", "did you mean 'ferries'"),
    "a new mark on an id that exists": ("fleets:\n  +ferries:\n    vessels: 16\n", "+ferries:",
                                        "drop the + to change it"),
    "a new mark on a field": ("links:\n  ab:\n    +capacity: 3 trains/d\n", "+capacity", "is not one"),
}


@pytest.mark.parametrize("case", list(CHILD_MISTAKES))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_mistake_in_a_child_is_named_at_the_childs_line(refused, workdir: Path, case: str, command: str) -> None:
    child, words, says = CHILD_MISTAKES[case]
    text = chain(workdir, child)
    out = ["--out", "r"] if command == "run" else []
    result = refused(command, "c.yaml", *out, place=f"c.yaml:{line_of(text, words)}: ")
    assert says in result.output, result.output
    assert "p.yaml:" not in result.output.split(f"c.yaml:{line_of(text, words)}")[0]


def test_a_changed_distribution_replaces_the_parents(corridor, workdir: Path) -> None:
    chain(workdir, "links:\n  gd:\n    reliability:\n"
                   "      repair: {dist: triangular, low: 1 d, mode: 2 d, high: 3 d}\n")
    assert corridor("validate", "c.yaml").exit_code == 0
    repair = load_scenario(workdir / "c.yaml").links["gd"].reliability.repair
    assert (repair.name, repair.mean) == ("triangular", 48.0)


def test_a_changed_figure_value_drops_the_parents_source(workdir: Path) -> None:
    chain(workdir, "fleets:\n  ferries:\n    vessels: {value: 20}\n    capacity: {note: still 54}\n")
    fleet = load_scenario(workdir / "c.yaml").fleets["ferries"]
    assert (fleet.vessels.value, fleet.vessels.source) == (20, None)
    assert (fleet.capacity.source, fleet.capacity.note) == ("s2_045", "still 54")  # merged: same value


def test_a_new_fleet_marked_with_a_plus_is_added(corridor, workdir: Path) -> None:
    chain(workdir, "fleets:\n  +feries:\n    kind: ferry\n    vessels: 3\n    capacity: 50 wagons\n    load: 1 h\n"
                   "    unload: 1 h\nlinks:\n  +bc_2: {from: b, to: c, mode: ferry, carrier: cargo, fleet: feries, "
                   "transit: 20 h}\n")
    assert corridor("validate", "c.yaml").exit_code == 0
    s = load_scenario(workdir / "c.yaml")
    assert set(s.fleets) == {"ferries", "feries"} and s.links["bc_2"].fleet == "feries"


def test_the_next_of_a_numbered_series_is_not_a_typo(corridor, workdir: Path) -> None:
    chain(workdir, "links:\n  ab2: {from: a, to: b, mode: rail, carrier: cargo, capacity: 2 trains/d, transit: 3 d}\n")
    assert corridor("validate", "c.yaml").exit_code == 0
    assert load_scenario(workdir / "c.yaml").links["ab2"].capacity.value == 2


def test_a_typo_in_a_set_id_is_refused(refused, workdir: Path) -> None:
    result = refused("validate", MINIMAL, "--set", "fleets.feries.vessels=16",
                     place="--set fleets.feries.vessels=16: fleets.feries")
    assert "did you mean 'ferries'" in result.output and "+fleets.feries" in result.output
    refused("run", MINIMAL, "--out", "r", "--set", "fleets.feries.vessels=16", place="did you mean 'ferries'")


def test_a_set_marked_new_adds_the_entry(corridor, workdir: Path) -> None:
    fleet = "{kind: ferry, vessels: 3, capacity: 50 wagons, load: 1 h, unload: 1 h}"
    link = "{from: b, to: c, mode: ferry, carrier: cargo, fleet: feries, transit: 20 h}"
    result = corridor("validate", MINIMAL, "--set", f"+fleets.feries={fleet}", "--set", f"links.+bc2={link}")
    assert result.exit_code == 0, result.output


def test_a_set_that_breaks_the_parent_is_blamed_on_the_set(refused) -> None:
    refused("validate", MINIMAL, "--set", "links.ab.mode=ferry",
            place="--set links.ab.mode=ferry: links.ab.mode: conflicts with capacity")


def test_extends_takes_a_bundled_name(corridor, workdir: Path) -> None:
    (workdir / "c.yaml").write_text("extends: baseline-2023\nname: mine\n")
    assert corridor("validate", "c.yaml").exit_code == 0
    assert load_scenario(workdir / "c.yaml").nodes  # the baseline's network


def test_a_mistake_over_a_bundled_parent_is_named_in_the_child(refused, workdir: Path) -> None:
    text = "extends: baseline-2023\nname: mine\nfleets:\n  caspian_feries: {vessels: 16}\n"
    (workdir / "c.yaml").write_text(text)
    result = refused("validate", "c.yaml", place="c.yaml:4: fleets.caspian_feries")
    assert "did you mean 'caspian_ferries'" in result.output


def test_a_bundled_name_with_yaml_is_a_file_with_a_hint(refused, workdir: Path) -> None:
    (workdir / "c.yaml").write_text("extends: baseline-2023.yaml\nname: mine\n")
    result = refused("validate", "c.yaml", place="c.yaml:1: extends")
    assert "extends: baseline-2023`" in result.output
