"""Command-line conventions (`sim.progress`, `sim.cli`): progress as periodic log lines when stderr
is not a terminal, `-v` for INFO lines, `-q` for none; files a colleague can read (0644 and
0755 under umask 022)."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support import FAST, MINIMAL, ROOT
from typer.testing import CliRunner

from sim.cli import app
from sim.progress import EVERY_S, Lines

LINE = re.compile(r"^\d\d:\d\d:\d\d (?P<level>[A-Z]+) (?P<logger>corridor[.\w]*): (?P<message>.*)$")


def stderr_lines(*args: object) -> list[re.Match[str]]:
    """Run `corridor ARGS` in-process with stderr captured (not a terminal); its log lines."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    matched = [LINE.match(line) for line in lines]
    assert all(matched), f"a stderr line that is not a log line: {lines}"
    return [m for m in matched if m is not None]


RUN = ["run", MINIMAL, *FAST[:-1], "4"]  # four replications


def test_piped_progress_is_periodic_log_lines_and_nothing_else_by_default(tmp_path):
    lines = stderr_lines(*RUN, "-o", tmp_path / "out")
    assert [m["message"].split(",")[0] for m in lines] == [
        "replications 0/4 (0%)", "replications 1/4 (25%)", "replications 2/4 (50%)",
        "replications 3/4 (75%)", "replications 4/4 (100%)"]
    assert {(m["level"], m["logger"]) for m in lines} == {("INFO", "corridor.progress")}


def test_verbose_adds_the_run_s_stages_and_quiet_shows_nothing(tmp_path):
    lines = stderr_lines("-v", *RUN, "-o", tmp_path / "out")
    said = {m["logger"]: m["message"] for m in lines if m["logger"] != "corridor.progress"}
    assert said["corridor.run"] == f"report written to {tmp_path / 'out'}"
    lps = re.match(r"optimiser: (\d+) LPs solved with highs", said["corridor.optimiser"])
    assert lps is not None and int(lps[1]) >= 1
    assert said["corridor.io"] == f"wrote {tmp_path / 'out'}"
    assert any(m["message"].startswith("simulating minimal as written: 4 replications") for m in lines)
    assert not any(m["level"] == "DEBUG" for m in lines)
    assert any(m["level"] == "DEBUG" for m in stderr_lines("-vv", "optimise", MINIMAL, "-o", tmp_path / "o"))
    assert stderr_lines("-q", *RUN, "-o", tmp_path / "out") == []


@pytest.fixture
def progress_records():
    """Records of the `corridor.progress` logger, as a test reads them."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("corridor.progress")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_line_every_tenth_of_the_count_and_every_30_s_between(progress_records):
    now = [0.0]
    lines = Lines("points", 200, 0, lambda: now[0])
    for done in range(1, 201):
        now[0] += 0.1
        lines.tick(done)
    said = [r.getMessage().split(",")[0] for r in progress_records]
    assert said == [f"points {20 * i}/200 ({10 * i}%)" for i in range(11)]
    progress_records.clear()
    now[0] += EVERY_S + 1  # half a minute with no tenth passed: one line to say it still runs
    lines.total = 1000
    lines.tick(201)
    lines.tick(202)
    assert [r.getMessage().split(",")[0] for r in progress_records] == ["points 201/1000 (20%)"]


def test_an_open_ended_count_logs_at_start_and_every_30_s(progress_records):
    now = [0.0]
    lines = Lines("probes", None, 0, lambda: now[0])
    for done in range(1, 10):
        now[0] += 10.0
        lines.tick(done)
    assert [r.getMessage().split(",")[0] for r in progress_records] == ["probes 0", "probes 3", "probes 6", "probes 9"]


@pytest.mark.slow
def test_a_piped_run_under_umask_022_writes_0644_files_in_0755_folders(tmp_path):
    """The real command in its own process: umask 022, stderr a pipe."""
    out = tmp_path / "shared" / "run"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(MINIMAL), *FAST, "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr
    assert "INFO corridor.progress: replications 1/1 (100%)" in done.stderr
    modes = {p.relative_to(tmp_path): stat.S_IMODE(p.stat().st_mode) for p in [out.parent, out, *out.rglob("*")]}
    assert modes[Path("shared")] == modes[Path("shared/run")] == 0o755
    files = {p: m for p, m in modes.items() if (tmp_path / p).is_file()}
    assert len(files) > 10 and set(files.values()) == {0o644}, files
