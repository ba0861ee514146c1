"""Malformed report folders and report files given to `rerun` and `compare` (issue 14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import FAST, MINIMAL


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good report folder, made once."""
    from sim.run import run

    folder = tmp_path_factory.mktemp("good") / "r"
    run(MINIMAL, overrides=[FAST[1], FAST[3]], replications=1, out=folder)
    return folder


def _copy(report: Path, workdir: Path) -> Path:
    dest = workdir / "r"
    shutil.copytree(report, dest)
    return dest


MANIFEST_EDITS = {
    "no seed": lambda m: m.pop("seed"),
    "negative seed": lambda m: m.update(seed=-1),
    "text seed": lambda m: m.update(seed="one"),
    "zero replications": lambda m: m.update(replications=0),
    "a billion replications": lambda m: m.update(replications=10**9),
    "unknown solver": lambda m: m.update(solver="gurobi"),
}


@pytest.mark.parametrize("edit", list(MANIFEST_EDITS))
def test_rerun_refuses_a_bad_manifest(refused, report: Path, workdir: Path, edit: str) -> None:
    folder = _copy(report, workdir)
    manifest = json.loads((folder / "manifest.json").read_text())
    MANIFEST_EDITS[edit](manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    refused("rerun", folder, place="manifest.json")


@pytest.mark.parametrize(("name", "content"), [
    ("manifest.json", "{not json"), ("manifest.json", "[1, 2]"), ("manifest.json", "\xff\xfe"),
    ("report.json", "null"), ("report.json", ""),
])
def test_rerun_refuses_unreadable_files(refused, report: Path, workdir: Path, name: str, content: str) -> None:
    folder = _copy(report, workdir)
    (folder / name).write_bytes(content.encode("latin-1"))
    refused("rerun", folder, place=name)


@pytest.mark.parametrize("missing", ["manifest.json", "report.json", "scenario.resolved.yaml"])
def test_rerun_refuses_an_incomplete_folder(refused, report: Path, workdir: Path, missing: str) -> None:
    folder = _copy(report, workdir)
    (folder / missing).unlink()
    refused("rerun", folder, place=missing)


@pytest.mark.parametrize("content", ["{not json", "[]", "{}", '{"schema_version": 999}', "null", "\x00\x01",
                                     '{"schema_version": 1, "targets": "many"}'])
def test_compare_refuses_a_malformed_report(refused, report: Path, workdir: Path, content: str) -> None:
    bad = workdir / "bad.json"
    bad.write_bytes(content.encode("latin-1"))
    refused("compare", report, bad, place="bad.json")


def test_compare_refuses_a_folder_without_a_report(refused, report: Path, workdir: Path) -> None:
    refused("compare", report, workdir / "notes", place="notes")


def test_compare_of_a_report_with_itself_writes_nothing_when_refused(refused, report: Path) -> None:
    refused("compare", report, place="two or more")
