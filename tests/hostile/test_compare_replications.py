"""Hand-edited per-replication values given to `compare` (issue 13 part 5): a wrong type is
refused with its place named; lists that no longer pair are compared unpaired, not crashed on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FAST, MINIMAL


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good report folder with two replications, made once."""
    from sim.run import run

    folder = tmp_path_factory.mktemp("good") / "r"
    run(MINIMAL, overrides=[FAST[1], FAST[3]], replications=2, out=folder)
    return folder


def copy_with(report: Path, dest: Path, **per_replication: object) -> Path:
    shutil.copytree(report, dest)
    data = json.loads((dest / "report.json").read_text())
    data["per_replication"] |= per_replication
    (dest / "report.json").write_text(json.dumps(data))
    return dest


@pytest.mark.parametrize("table", [{"b": {"calls": ["many", 2.0]}}, ["b"], {"b": {"calls": 3.0}}])
def test_compare_refuses_per_replication_values_of_the_wrong_type(refused, report: Path, workdir: Path,
                                                                   table: object) -> None:
    bad = copy_with(report, workdir / "bad", nodes=table)
    refused("compare", report, bad, place="per_replication")


def test_compare_of_lists_that_no_longer_pair_falls_back_to_welch(corridor, report: Path, workdir: Path) -> None:
    data = json.loads((report / "report.json").read_text())
    calls = data["per_replication"]["nodes"]["b"]["calls"]
    odd = copy_with(report, workdir / "odd", nodes=data["per_replication"]["nodes"] | {
        "b": data["per_replication"]["nodes"]["b"] | {"calls": calls + [calls[0] + 5.0, None]}})
    result = corridor("compare", report, odd, "--format", "md")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("| port b: vessel calls"))
    assert "Welch t" in line
