"""Output folders: a report replaces only a folder corridor wrote (issue 14, severe case 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import FAST, MINIMAL


@pytest.mark.parametrize("out", [".", "..", "notes", "notes/thesis.docx", "link-to-notes"])
def test_run_never_replaces_what_is_not_its_own(refused, workdir: Path, out: str) -> None:
    (workdir / "link-to-notes").symlink_to(workdir / "notes")
    refused("run", MINIMAL, *FAST, "--out", out, place=out)
    assert (workdir / "notes" / "thesis.docx").read_text() == "years of work"


def test_run_refuses_the_working_folder_by_its_full_path(refused, workdir: Path) -> None:
    refused("run", MINIMAL, *FAST, "--out", workdir, place="working folder")


@pytest.mark.parametrize("name", [".", "..", "/tmp", "../outside", "a/b", "-dash", "two words", "x" * 101])
def test_a_scenario_name_cannot_steer_the_default_folder(refused, workdir: Path, name: str) -> None:
    refused("run", MINIMAL, *FAST, "--set", f"name={name}", place="name")
    assert not (workdir / "results").exists()


def test_run_replaces_its_own_report_whole(corridor, workdir: Path) -> None:
    first = corridor("run", MINIMAL, *FAST, "--out", "r", "-q")
    assert first.exit_code == 0, first.output
    (workdir / "r" / "stray.txt").write_text("left by an older version")
    again = corridor("run", MINIMAL, *FAST, "--out", "r", "-q")
    assert again.exit_code == 0, again.output
    assert not (workdir / "r" / "stray.txt").exists()
    assert (workdir / "r" / "report.json").is_file()
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []


def test_the_default_folder_is_under_results(corridor, workdir: Path) -> None:
    result = corridor("run", MINIMAL, *FAST, "-q")
    assert result.exit_code == 0, result.output
    assert (workdir / "results" / "minimal" / "report.json").is_file()


def test_show_does_not_write_through_a_file(refused, workdir: Path) -> None:
    refused("show", MINIMAL, "--out", "notes/thesis.docx", place="thesis.docx")


@pytest.mark.parametrize("command", ["run", "show", "optimise"])
def test_an_output_folder_below_a_file_is_refused(refused, workdir: Path, command: str) -> None:
    refused(command, MINIMAL, "--out", "notes/thesis.docx/sub", place="thesis.docx")


@pytest.mark.parametrize("bad", ["[/x]", "a b", "-lead", "x" * 101, "[bold]red"])
def test_an_id_that_is_not_plain_text_is_refused(refused, workdir: Path, bad: str) -> None:
    """Ids end up in tables, pictures and file names: `show` once crashed on a link called [/x]."""
    text = MINIMAL.read_text().replace("\n  gd:\n", f"\n  {bad!r}:\n".replace("'", '"'))
    assert bad in text
    (workdir / "bad.yaml").write_text(text)
    refused("validate", workdir / "bad.yaml", place="is not an id")
    refused("show", workdir / "bad.yaml", "--out", "m", place="is not an id")
