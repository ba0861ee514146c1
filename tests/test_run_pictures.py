"""`corridor run`'s pictures: drawn in a worker process they are the very bytes drawn here, and they
land in the folder with the rest; skipped (`--no-plots`), the folder has no PNG, report.html says
so and still renders, and every figure is the one a run with pictures gives, with 1 or 2 workers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sim.report.render import PLOTS_SKIPPED, PictureJob, drawing, picture_job
from sim.run import RunReport, evaluate, run
from support import browser_page

MINIMAL = Path(__file__).resolve().parent / "scenarios" / "minimal.yaml"
SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]
ARGS: dict[str, Any] = {"overrides": SHORT, "replications": 3, "seed": 5}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunReport]:
    root = tmp_path_factory.mktemp("pictures")
    return {"drawn": run(MINIMAL, **ARGS, out=root / "drawn"),
            "skipped": run(MINIMAL, **ARGS, plots=False, out=root / "skipped"),
            "two workers": run(MINIMAL, **ARGS, workers=2, out=root / "two")}


def _figures(report: RunReport) -> dict[str, Any]:
    """report.json without the wall-clock times, which differ between any two runs."""
    data = json.loads((report.folder / "report.json").read_text())
    data["run"].pop("simulate_wall_s", None)
    data["run"].pop("wall_s", None)
    return data


def test_without_plots_the_folder_has_no_picture_and_the_page_says_so(runs):
    folder = runs["skipped"].folder
    assert not list(folder.glob("*.png"))
    page = (folder / "report.html").read_text()
    assert "<img" not in page and PLOTS_SKIPPED in page
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert json.loads((folder / "manifest.json").read_text())["plots"] is False
    drawn = runs["drawn"].folder
    assert PLOTS_SKIPPED not in (drawn / "report.html").read_text()
    assert "plots" not in json.loads((drawn / "manifest.json").read_text())
    assert {p.name for p in drawn.iterdir()} - {p.name for p in folder.iterdir()} == \
        {p.name for p in drawn.glob("*.png")}, "only the pictures are missing"


def test_the_figures_do_not_depend_on_pictures_or_workers(runs):
    drawn = _figures(runs["drawn"])
    assert drawn == _figures(runs["skipped"])
    assert drawn == _figures(runs["two workers"])
    assert (runs["drawn"].folder / "report.md").read_text() == (runs["skipped"].folder / "report.md").read_text()


def test_pictures_drawn_in_the_worker_are_the_ones_drawn_here(runs):
    folder = runs["drawn"].folder
    ev = evaluate(MINIMAL, **ARGS)
    job = picture_job(json.loads((folder / "report.json").read_text()), scenario=ev.scenario,
                      planned=ev.simulated, result=ev.result)
    here = job.draw()
    assert {"map.png", "targets.png"} <= set(here)
    assert here == {p.name: p.read_bytes() for p in folder.glob("*.png")}
    with drawing(job) as pictures:
        assert pictures() == here
    two = {p.name: p.read_bytes() for p in runs["two workers"].folder.glob("*.png")}
    assert two == here


def test_a_picture_that_fails_fails_the_run_and_leaves_no_folder(tmp_path, monkeypatch):
    def broken(self: PictureJob) -> dict[str, bytes]:
        raise ValueError("no ink")

    monkeypatch.setattr(PictureJob, "draw", broken)  # the forked worker inherits it
    out = tmp_path / "report"
    with pytest.raises(Exception, match="no ink|set-up"):
        run(MINIMAL, **ARGS, out=out)
    assert not out.exists() and not list(tmp_path.iterdir()), "no folder, no staging left"


def test_rerun_repeats_a_run_without_pictures(runs, tmp_path, cli):
    result = cli("rerun", runs["skipped"].folder, "--out", tmp_path / "again")
    assert result.exit_code == 0 and "identical" in result.output, result.output
    assert not list((tmp_path / "again").glob("*.png"))


def test_the_command_line_skips_pictures_with_no_plots(minimal, tmp_path, cli):
    out = tmp_path / "cli"
    result = cli("run", minimal, *[a for s in SHORT for a in ("--set", s)], "-r", "2", "--no-plots", "-q",
                 "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and not list(out.glob("*.png"))


def test_a_page_without_pictures_renders_in_a_browser(runs):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (make test installs it where apt-get can)")
    with browser_page(chromium, (runs["skipped"].folder / "report.html").as_uri()) as (page, errors):
        images = page.evaluate("document.images.length")
        tables = page.evaluate("document.querySelectorAll('table').length")
        text = page.inner_text("body")
    assert errors == [] and images == 0
    assert tables >= 3 and PLOTS_SKIPPED in text
