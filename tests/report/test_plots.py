"""Report pictures: what each figure plots, read back from the figure, is the report's figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.report.document import ReportDocument, as_document
from sim.report.plots import (all_plots, daily_figure, delivered_figure, gap_figure, png, targets_figure,
                              transit_figure)
from sim.run import Evaluation, evaluate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHORT = ["simulation.horizon=60 d", "simulation.warmup=10 d"]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=3, seed=7)


@pytest.fixture(scope="module")
def doc(evaluation: Evaluation) -> ReportDocument:
    return as_document(evaluation.data)


def test_the_targets_chart_plots_each_mean_and_bound_as_a_share_of_the_figure(doc):
    ax = targets_figure(doc).axes[0]
    means = [container.lines[0].get_xdata()[0] for container in ax.containers]
    assert means == pytest.approx([100 * t.simulated.mean / t.target for t in doc.targets])
    caps = {cap for container in ax.containers for cap in container.lines[1]}
    bounds = [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "|" and line not in caps]
    assert bounds == pytest.approx([100 * min(t.optimised.max_deliverable / t.target, 3) for t in doc.targets])


def test_the_gap_chart_sets_each_bound_beside_its_simulated_mean(doc):
    ax = gap_figure(doc).axes[0]
    bound, simulated = ax.containers
    assert [bar.get_width() for bar in simulated] == pytest.approx(
        [100 * t.simulated.mean / t.target for t in doc.targets])
    assert [bar.get_width() for bar in bound] == pytest.approx(
        [100 * min(t.optimised.max_deliverable, 3 * t.target) / t.target for t in doc.targets])
    assert [label.get_text() for label in ax.get_yticklabels()] == [t.id for t in doc.targets]


def test_a_daily_series_is_the_mean_across_replications(evaluation):
    result = evaluation.result
    keys = sorted({k for r in result.replications for k in r.series if k.startswith("queue:")})
    assert keys, "the minimal scenario queues at its port"
    ax = daily_figure(result, "queue", "waiting", "Queues").axes[0]
    assert len(ax.lines) == min(len(keys), 8)
    for line, key in zip(ax.lines, keys):
        expected = np.mean([r.series[key] for r in result.replications], axis=0)
        assert line.get_label() == key.split(":", 1)[1]
        assert np.allclose(line.get_ydata(), expected)
    assert daily_figure(result, "no-such-series", "", "") is None


def test_delivered_power_is_replication_zeros_hourly_rate(evaluation, doc):
    result = evaluation.result
    fig = delivered_figure(doc, result, "power")
    ax = fig.axes[0]
    delivered, target = ax.lines[0], ax.lines[1]
    hourly = np.sum([result.replications[0].flows[f].hourly for f in result.scenario.targets["pt"].flows], axis=0)
    assert np.array_equal(delivered.get_ydata(), hourly)
    assert list(target.get_ydata()) == [1.0, 1.0]
    assert delivered_figure(doc, result, "hydrogen") is None


def test_transit_marks_each_flows_p95(evaluation, doc):
    ax = transit_figure(doc, evaluation.result).axes[0]
    flows = [f for f in doc.flows if f.transit_days]
    marks = [line for line in ax.lines if line.get_marker() == "x"]
    assert [m.get_xdata()[0] for m in marks] == [f.transit_days["p95"] for f in flows]
    assert [label.get_text() for label in ax.get_yticklabels()] == [f.id for f in flows]


def test_all_plots_are_pngs_drawn_the_same_way_every_time(evaluation, doc):
    pictures = all_plots(doc, evaluation.result)
    assert {"targets.png", "gap.png", "queues.png", "power.png", "transit.png"} <= set(pictures)
    assert "data.png" not in pictures and "storage.png" not in pictures
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures.values())
    assert pictures["targets.png"] == png(targets_figure(doc))


def test_daily_series_shade_the_warm_up_and_name_a_spin_up(evaluation):
    """Days count from 1 January: the warm-up (simulated, not measured) is shaded; a spin-up is
    before the axis, so nothing is shaded for it and the label says it is not shown."""
    result = evaluation.result
    ax = daily_figure(result, "queue", "waiting", "Queues", warmup_days=10.0).axes[0]
    assert [p.get_label() for p in ax.patches] == ["warm-up (not measured)"]
    assert ax.get_xlabel() == "day from 1 January"
    ax = daily_figure(result, "queue", "waiting", "Queues", warmup_days=0.0, spinup_days=60.0).axes[0]
    assert not ax.patches
    assert "60-day spin-up before it, not shown" in ax.get_xlabel()
