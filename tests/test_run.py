"""`corridor run` and `rerun`: bad input writes nothing, a trace only when asked, reruns reproduce."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sim.run import RunReport, run

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
SHORT = ["simulation.horizon=90 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return run(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=4, seed=11,
               out=tmp_path_factory.mktemp("run") / "a")


def test_rerun_reproduces_every_figure(done, tmp_path, cli):
    result = cli("rerun", done.folder, "--out", tmp_path / "again")
    assert result.exit_code == 0, result.output
    assert "identical" in result.output


def test_rerun_notices_a_changed_figure(done, tmp_path, cli):
    tampered = tmp_path / "tampered"
    shutil.copytree(done.folder, tampered)
    data = json.loads((tampered / "report.json").read_text())
    data["targets"][0]["simulated"]["mean"] += 1.0
    (tampered / "report.json").write_text(json.dumps(data))
    result = cli("rerun", tampered, "--out", tmp_path / "again2")
    assert result.exit_code == 1 and "targets[0].simulated.mean" in result.output


def test_bad_input_to_run_writes_nothing(minimal, tmp_path, cli):
    out = tmp_path / "nested" / "report"
    result = cli("run", minimal, "--set", "links.ab.capacity=-3 Mt/yr", "--out", out)
    assert result.exit_code == 2 and "links.ab.capacity" in result.output
    result = cli("run", minimal, "--precision", "150%", "--out", out)
    assert result.exit_code == 2 and "--precision" in result.output
    assert not (tmp_path / "nested").exists()


def test_a_trace_is_streamed_only_when_asked(minimal, tmp_path):
    quiet = run(minimal, overrides=SHORT, replications=1, out=tmp_path / "quiet")
    assert not (quiet.folder / "trace.jsonl").exists()
    traced = run(minimal, overrides=SHORT + ["simulation.trace=true"], replications=1, out=tmp_path / "traced")
    events = [json.loads(line) for line in (traced.folder / "trace.jsonl").read_text().splitlines()]
    arrived = sum(e["t_cargo"] for e in events if e["event"] == "arrived")
    delivered = sum(e["t_cargo"] for e in events if e["event"] == "delivered")
    assert events and 0 < delivered <= arrived
    assert json.loads((traced.folder / "report.json").read_text())["targets"] == \
        json.loads((quiet.folder / "report.json").read_text())["targets"]
