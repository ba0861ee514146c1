"""Atomic writes: a reader never sees half a file, and a failed write leaves nothing behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sim.errors import CorridorError
from sim.io import MANIFEST, atomic_path, results_folder, staged_folder, umask, write_text


def test_write_text_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.md"
    write_text(target, "first")
    write_text(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.md"]


def test_a_failed_writer_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_staged_folder_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with staged_folder(final) as stage:
        (stage / "a.txt").write_text("a")
        assert not final.exists()
    assert (final / "a.txt").read_text() == "a"
    with pytest.raises(KeyError), staged_folder(tmp_path / "broken") as stage:
        (stage / "b.txt").write_text("b")
        raise KeyError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _fill(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thesis.docx").write_text("years of work")


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_folders_are_never_output_folders(tmp_path: Path, monkeypatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CorridorError, match="not an output folder"), staged_folder(Path(name)):
        pass


def test_a_foreign_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    _fill(tmp_path / "mine")
    with pytest.raises(CorridorError, match="not written by corridor"), staged_folder(tmp_path / "mine"):
        pass
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_a_file_and_a_symlink_are_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    _fill(tmp_path / "real")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for name, reason in (("file", "not a folder"), ("link", "symbolic link")):
        with pytest.raises(CorridorError, match=reason), staged_folder(tmp_path / name):
            pass
    assert (tmp_path / "real" / "thesis.docx").exists() and (tmp_path / "file").read_text() == "x"


def test_the_working_folder_and_its_parents_are_refused(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "manifest.json").write_text('{"corridor": "0.1"}')
    monkeypatch.chdir(work)
    for target in (work, tmp_path / "a"):
        with pytest.raises(CorridorError, match="working folder"), staged_folder(target):
            pass


def test_our_own_folder_is_replaced_whole(tmp_path: Path) -> None:
    final = tmp_path / "run"
    with staged_folder(final) as stage:
        (stage / MANIFEST).write_text('{"corridor": "0.2.0"}')
        (stage / "old.csv").write_text("old")
    with staged_folder(final) as stage:
        (stage / MANIFEST).write_text('{"corridor": "0.2.0"}')
    assert sorted(p.name for p in final.iterdir()) == [MANIFEST]


def test_a_killed_run_s_staging_folder_is_cleaned_next_time(tmp_path: Path) -> None:
    stale = tmp_path / ".run.staging-999999999.abc"
    stale.mkdir()
    other = tmp_path / ".other.staging-999999999.abc"
    other.mkdir()
    with staged_folder(tmp_path / "run"):
        pass
    assert not stale.exists()
    assert other.exists()  # another folder's staging is not ours to judge


def test_outputs_get_the_umask_s_permissions(tmp_path: Path) -> None:
    with staged_folder(tmp_path / "run") as stage:
        write_text(stage / "report.md", "x")
    mask = umask()
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "run" / "report.md").stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize("name", ["/etc", ".", "..", "../up", "a/b", "", "-x", "x" * 101])
def test_a_scenario_name_that_is_not_a_slug_has_no_default_folder(name: str) -> None:
    with pytest.raises(CorridorError, match="slug"):
        results_folder(name)


def test_a_slug_stays_under_results() -> None:
    assert results_folder("plan-2024", "sweep") == Path("results/plan-2024/sweep")
