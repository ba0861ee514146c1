"""A point's record and the durable log: what a record keeps, failures as records, and resuming
after a kill that cut the last line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sim.sweep.designs import Point
from sim.sweep.points import (WARM_UP_MODULES, PointLog, PointRecord, PointTask, TargetSummary, finished_ids,
                              read_log, record_at, run_point)


def _record(pid: str, n: int) -> PointRecord:
    return PointRecord(pid, n, {"a.b": str(n)}, 7, "ok", None, 10,
                       {"t": TargetSummary(float(n), 0.0, 1.0, 0.5, True, None, "x;y")}, {"plan.cost": 2.0})


def _report(scenario: Path, overrides: list[str], seed: int, replications: int | None) -> dict:
    if "a.b=bad" in overrides:
        raise RuntimeError("solver failed")
    return {"targets": [{"id": "t", "simulated": {"mean": 3, "ci95": [2, 4], "p_met": 0.25, "replications": [1.0] * 8},
                         "optimised": {"max_deliverable": 5, "binding": ["ab", "bc"]}, "met": False}],
            "plan": {"feasible": True, "cost": 12}, "run": {"seed": seed, "replications": 8}}


def test_a_point_keeps_the_summary_not_the_replications():
    task = PointTask("x.yaml", ("base=1",), Point((("a.b", "2"),)), 3, 42, None)
    rec = run_point(task, _report)
    assert (rec.id, rec.index, rec.overrides, rec.seed, rec.status, rec.error) == (task.point.id, 3, {"a.b": "2"},
                                                                                   42, "ok", None)
    assert rec.replications == 8  # the number the point ran, not the None it was asked for
    assert rec.targets == {"t": TargetSummary(3.0, 2.0, 4.0, 0.25, False, 5.0, "ab;bc")}
    assert rec.figures == {"plan.feasible": True, "plan.cost": 12.0}


def test_a_failing_point_becomes_a_record_with_its_error():
    task = PointTask("x.yaml", (), Point((("a.b", "bad"),)), 0, 42, 6)
    rec = run_point(task, _report)
    assert rec.status == "failed" and rec.error == "RuntimeError: solver failed"
    assert rec.targets == {} and rec.replications == 6


def test_a_record_survives_its_json_line():
    rec = _record("a", 1)
    rec.asked = 12
    assert PointRecord.from_dict(__import__("json").loads(rec.to_json())) == rec


def test_resume_cuts_a_truncated_last_line_and_keeps_the_first_record(tmp_path):
    path = tmp_path / "points.jsonl"
    lines = [_record(pid, n).to_json() for pid, n in (("a", 1), ("b", 2), ("a", 3), ("c", 4))]
    path.write_text("\n".join(lines[:3]) + "\n" + lines[3][:20])  # killed while writing c
    with PointLog(path, resume=True) as log:
        log.append(_record("d", 5))
    assert path.read_text().count("\n") == 4 and path.read_text().endswith("\n")
    assert [(r.id, r.index) for _, r in read_log(path)] == [("a", 1), ("b", 2), ("a", 3), ("d", 5)]
    offsets = finished_ids(path)
    assert set(offsets) == {"a", "b", "d"}
    with open(path, "rb") as fh:
        assert record_at(fh, offsets["a"]).index == 1  # the first record of a point wins


def test_without_resume_the_log_starts_empty(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text(_record("a", 1).to_json() + "\n")
    PointLog(path, resume=False).close()
    assert path.read_bytes() == b"" and list(read_log(path)) == []
    assert list(read_log(tmp_path / "none.jsonl")) == []


def test_unreadable_lines_are_skipped(tmp_path):
    path = tmp_path / "points.jsonl"
    path.write_text("not json\n[1, 2]\n{\"no\": \"id\"}\n" + _record("a", 1).to_json() + "\n")
    assert [r.id for _, r in read_log(path)] == ["a"]


def test_warm_up_names_real_modules():
    assert all(importlib.util.find_spec(name) is not None for name in WARM_UP_MODULES)
