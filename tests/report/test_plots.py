"""Report pictures: what each figure plots, read back from the figure (its lines' data, patches'
extents, texts, images and axis limits), is the report's figure."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.replications import Replication, Streams
from sim.report.document import ReportDocument, as_document
from sim.report.plots import (CAP_PERCENT, VERDICT_COLOURS, TimeAxis, all_plots, closure_shares, closures_figure,
                              daily_figure, delivered_figure, gap_figure, png, targets_figure, transit_figure)
from sim.run import Evaluation, evaluate
from sim.weather import Closures

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WARMUP, SPINUP, HORIZON = 10.0, 15.0, 60.0  # days
SHORT = [f"simulation.horizon={HORIZON:g} d", f"simulation.warmup={WARMUP:g} d", f"simulation.spinup={SPINUP:g} d",
         "weather.storms={nodes: [b, c], rate: 40 /yr, duration: 2 d}"]

# One power cable out on days 10-15, a fibre out on days 20-22, another power line never out.
OUTAGES = """
name: plots-outages
description: Two power links and a fibre; a scheduled outage on one cable and one on the fibre.
year: 2030
simulation: {horizon: 40 d, warmup: 5 d, replications: 1, seed: 5}
nodes:
  g1: {kind: generation, country: AZ, lon: 49.8, lat: 40.5, generation: {capacity: 2 GW, capacity_factor: 100 %}}
  d1: {kind: demand, country: RO, lon: 28.6, lat: 44.2}
  g2: {kind: generation, country: AZ, lon: 48.9, lat: 39.9, generation: {capacity: 2 GW, capacity_factor: 100 %}}
  d2: {kind: demand, country: GE, lon: 41.6, lat: 42.2}
  aktau_ls: {kind: landing_station, country: KZ, lon: 51.2, lat: 43.6}
  sumgayit_ls: {kind: landing_station, country: AZ, lon: 49.6, lat: 40.6}
links:
  cable:
    {from: g1, to: d1, mode: hvdc_subsea, carrier: power, capacity: 1 GW, length: 1100 km,
     reliability: {outages: [{start: 10 d, duration: 5 d}]}}
  line: {from: g2, to: d2, mode: hvac_overhead, carrier: power, capacity: 2 GW, length: 100 km}
  fibre:
    {from: aktau_ls, to: sumgayit_ls, mode: fibre, carrier: data, capacity: 400 Tbps, length: 380 km,
     reliability: {outages: [{start: 20 d, duration: 2 d, cause: anchor strike}]}}
flows:
  firm: {carrier: power, origin: g1, destination: d1, rate: 1 GW}
  other: {carrier: power, origin: g2, destination: d2, rate: 1 GW}
  caspian: {carrier: data, origin: aktau_ls, destination: sumgayit_ls, rate: 400 Tbps}
targets:
  firm_cable: {carrier: power, value: 1 GW, flows: [firm]}
  other_line: {carrier: power, value: 1 GW, flows: [other]}
  fibre_firm: {carrier: data, value: 400 Tbps, flows: [caspian], measure: firm}
"""


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=3, seed=7,
                    series="all")  # every replication's series kept, to check the pictures' summaries against


@pytest.fixture(scope="module")
def doc(evaluation: Evaluation) -> ReportDocument:
    return as_document(evaluation.data)


@pytest.fixture(scope="module")
def outages(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportDocument, Evaluation]:
    path = tmp_path_factory.mktemp("outages") / "outages.yaml"
    path.write_text(OUTAGES)
    ev = evaluate(path)
    return as_document(ev.data), ev


def spans(ax: Axes, gid: str) -> list[tuple[float, float]]:
    """The x-extents (days) of the patches marked `gid`."""
    return [(p.get_bbox().x0, p.get_bbox().x1) for p in ax.patches if p.get_gid() == gid]


def texts(ax: Axes, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def time_axes(fig: Figure) -> list[Axes]:
    """The figure's panels over time (a heat map's colour bar is not one)."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel().startswith("day from 1 January")]


def with_bounds(doc: ReportDocument, bound: float, mean: float | None = None) -> ReportDocument:
    """The document with every target's optimiser bound (and simulated mean) at a multiple of its figure."""
    rows = []
    for t in doc.targets:
        update: dict[str, object] = {"optimised": t.optimised.model_copy(update={"max_deliverable": bound * t.target})}
        if mean is not None:
            update["simulated"] = t.simulated.model_copy(
                update={"mean": mean * t.target, "ci95": [0.9 * mean * t.target, 1.1 * mean * t.target]})
        rows.append(t.model_copy(update=update))
    return doc.model_copy(update={"targets": rows})


# --- shares of a target ----------------------------------------------------------------------


def test_the_targets_chart_plots_each_mean_and_bound_as_a_share_of_the_figure(doc):
    assert all(t.optimised.max_deliverable < CAP_PERCENT / 100 * t.target for t in doc.targets)
    ax = targets_figure(doc).axes[0]
    means = [container.lines[0].get_xdata()[0] for container in ax.containers]
    assert means == pytest.approx([100 * t.simulated.mean / t.target for t in doc.targets])
    caps = {cap for container in ax.containers for cap in container.lines[1]}
    bounds = [line.get_xdata()[0] for line in ax.lines if line.get_marker() == "|" and line not in caps]
    assert bounds == pytest.approx([100 * t.optimised.max_deliverable / t.target for t in doc.targets])
    assert not texts(ax, "beyond-cap") and not [line for line in ax.lines if line.get_gid() == "break"]
    assert [to_hex(c.lines[0].get_color()) for c in ax.containers] == [VERDICT_COLOURS[t.judged] for t in doc.targets]
    verdicts = dict.fromkeys(t.judged for t in doc.targets)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        *(f"simulated mean, 95% CI: {v}" for v in verdicts), "optimiser maximum"]


def test_the_gap_chart_sets_each_bound_beside_its_simulated_mean(doc):
    ax = gap_figure(doc).axes[0]
    bound, simulated = ax.containers
    assert [bar.get_width() for bar in simulated] == pytest.approx(
        [100 * t.simulated.mean / t.target for t in doc.targets])
    assert [bar.get_width() for bar in bound] == pytest.approx(
        [100 * t.optimised.max_deliverable / t.target for t in doc.targets])
    assert [label.get_text() for label in ax.get_yticklabels()] == [t.id for t in doc.targets]


def test_a_bound_beyond_the_axis_stops_at_the_cap_with_a_break_and_its_true_value(doc):
    """An oil-like bound at 500% of the figure: the bar ends at the cap, a zig-zag crosses it
    there, and the label says 500% and the value in the target's unit."""
    five = with_bounds(doc, 5.0)
    ax = gap_figure(five).axes[0]
    bound, simulated = ax.containers
    assert [bar.get_width() for bar in bound] == pytest.approx([CAP_PERCENT] * len(doc.targets))
    assert [bar.get_width() for bar in simulated] == pytest.approx(
        [100 * t.simulated.mean / t.target for t in doc.targets])  # under the cap: as it is
    breaks = [line for line in ax.lines if line.get_gid() == "break"]
    assert len(breaks) == len(doc.targets)
    for line, bar in zip(breaks, bound):
        assert np.mean(line.get_xdata()) == pytest.approx(CAP_PERCENT)
        assert min(line.get_ydata()) == pytest.approx(bar.get_y())
        assert max(line.get_ydata()) == pytest.approx(bar.get_y() + bar.get_height())
    assert texts(ax, "beyond-cap") == [f"bound 500% ({5 * t.target:.3g} {t.unit})" for t in doc.targets]
    assert ax.get_xlim()[1] > CAP_PERCENT  # the break and its label are inside the axes

    ax = targets_figure(five).axes[0]
    assert not [line for line in ax.lines if line.get_marker() == "|" and line.get_gid() is None
                and len(line.get_xdata()) == 1 and line.get_xdata()[0] > CAP_PERCENT]
    assert [np.mean(line.get_xdata()) for line in ax.lines if line.get_gid() == "break"] == pytest.approx(
        [CAP_PERCENT] * len(doc.targets))
    assert texts(ax, "beyond-cap") == [f"optimiser maximum 500% ({5 * t.target:.3g} {t.unit})" for t in doc.targets]


def test_a_simulated_mean_beyond_the_axis_is_drawn_at_the_cap_with_its_value(doc):
    ax = targets_figure(with_bounds(doc, 6.0, mean=4.5)).axes[0]
    means = [container.lines[0].get_xdata()[0] for container in ax.containers]
    assert means == pytest.approx([CAP_PERCENT] * len(doc.targets))
    assert texts(ax, "beyond-cap") == [
        f"mean 450% ({4.5 * t.target:.3g} {t.unit}); optimiser maximum 600% ({6 * t.target:.3g} {t.unit})"
        for t in doc.targets]


# --- over time -------------------------------------------------------------------------------


def test_a_daily_series_is_the_mean_across_replications_at_each_days_middle(evaluation):
    result = evaluation.result
    keys = sorted({k for r in result.replications for k in r.series if k.startswith("queue:")})
    assert keys, "the minimal scenario queues at its port"
    ax = daily_figure(result, "queue", "waiting", "Queues").axes[0]
    assert len(ax.lines) == min(len(keys), 8)
    for line, key in zip(ax.lines, keys):
        expected = np.mean([r.series[key] for r in result.replications], axis=0)
        assert line.get_label() == key.split(":", 1)[1]
        assert np.allclose(line.get_ydata(), expected)
        assert np.allclose(line.get_xdata(), np.arange(len(expected)) + 0.5)
    assert daily_figure(result, "no-such-series", "", "") is None


def test_with_more_than_eight_daily_series_the_eight_highest_are_drawn_and_the_title_says_so():
    """Series n00..n09 at levels 0..9 (plus the replication's index): n00 and n01 are left out,
    not the last two by name."""
    reps = [Replication(r, series={f"queue:n{i:02d}": np.full(4, float(i + r)) for i in range(10)}) for r in range(2)]
    result = SimpleNamespace(replications=reps, series=None)  # only the replications are read with the time axis
    ax = daily_figure(result, "queue", "waiting", "Queues", TimeAxis(4.0)).axes[0]  # type: ignore[arg-type]
    assert [line.get_label() for line in ax.lines] == [f"n{i:02d}" for i in range(2, 10)]
    assert [line.get_ydata()[0] for line in ax.lines] == pytest.approx([i + 0.5 for i in range(2, 10)])
    assert "(the 8 highest of 10)" in ax.get_title()


def test_delivered_power_is_replication_zeros_hourly_rate_on_the_days_it_was_measured(evaluation, doc):
    result = evaluation.result
    ax = delivered_figure(doc, result, "power").axes[0]
    delivered, target = ax.lines[0], ax.lines[1]
    hourly = np.sum([result.replications[0].flows[f].hourly for f in result.scenario.targets["pt"].flows], axis=0)
    assert np.array_equal(delivered.get_ydata(), hourly)
    # the record starts when the warm-up ends: hour 240 is drawn at its middle, day 10 + 1/48
    assert np.allclose(delivered.get_xdata(), WARMUP + (np.arange(len(hourly)) + 0.5) / 24)
    assert list(target.get_ydata()) == [1.0, 1.0]
    assert ax.get_ylim()[0] == 0.0
    assert delivered_figure(doc, result, "hydrogen") is None


def test_outages_are_shaded_only_on_the_panels_of_the_targets_whose_links_they_hit(outages):
    """Hand case: the cable of `firm_cable` is out on days 10-15 and the fibre on days 20-22; the
    power panels show only the cable's outage, on its own target, and the data panel only the
    fibre's. Delivery is nil inside the shaded span."""
    doc, ev = outages
    power = delivered_figure(doc, ev.result, "power").axes
    data = delivered_figure(doc, ev.result, "data").axes
    assert [ax.get_title().split(":")[0] for ax in power] == ["firm_cable", "other_line"]
    assert spans(power[0], "outage") == [pytest.approx((10.0, 15.0))]
    assert spans(power[1], "outage") == []
    assert spans(data[0], "outage") == [pytest.approx((20.0, 22.0))]
    line = power[0].lines[0]
    x, y = line.get_xdata(), line.get_ydata()
    assert np.all(y[(x > 10) & (x < 15)] == 0) and np.all(y[(x > 5) & (x < 10)] > 0)


def test_warm_up_and_spin_up_are_shaded_and_labelled_on_every_picture_over_time(evaluation, doc):
    result = evaluation.result
    shares = closure_shares(result.replications, HORIZON * 24)
    figures = {"queues": daily_figure(result, "queue", "waiting", "Queues"),
               "power": delivered_figure(doc, result, "power"),
               "closures": closures_figure(shares, TimeAxis.of(result.scenario))}
    for name, fig in figures.items():
        axes = time_axes(fig)
        assert axes, name
        for ax in axes:
            assert spans(ax, "warm-up") == [pytest.approx((0.0, WARMUP))], name
            assert spans(ax, "spin-up") == [pytest.approx((-SPINUP, 0.0))], name
            assert texts(ax, "warm-up") == ["warm-up"] and texts(ax, "spin-up") == ["spin-up"], name
            labels = {p.get_label() for p in ax.patches}
            assert "warm-up (simulated, not measured)" in labels, name
            assert "spin-up before 1 January (simulated, not recorded)" in labels, name


def test_a_spin_up_longer_than_a_third_of_the_horizon_shows_its_last_part_and_says_how_long():
    time = TimeAxis(horizon_days=60.0, warmup_days=0.0, spinup_days=366.0)
    ax = Figure().add_subplot()
    time.draw(ax)
    assert spans(ax, "spin-up") == [pytest.approx((-20.0, 0.0))]
    assert spans(ax, "warm-up") == []
    assert ax.get_xlim() == pytest.approx((-20.0, 60.0))
    assert [p.get_label() for p in ax.patches] == ["spin-up: the last 20 of its 366 days (simulated, not recorded)"]


def test_every_picture_over_time_shares_one_time_axis(evaluation, doc):
    result = evaluation.result
    figures = [daily_figure(result, "queue", "waiting", "Queues"), delivered_figure(doc, result, "power"),
               closures_figure(closure_shares(result.replications, HORIZON * 24), TimeAxis.of(result.scenario))]
    limits = {ax.get_xlim() for fig in figures for ax in time_axes(fig)}
    assert limits == {(-SPINUP, HORIZON)}
    assert len([ax for fig in figures for ax in time_axes(fig)]) == 3


# --- closures --------------------------------------------------------------------------------


def test_the_closure_heat_map_is_each_ports_closed_share_of_each_day_by_hand():
    """Two replications over 60 hours (days of 24, 24 and 12 hours): port x closed 24+0, 6+18
    and 12+0 hours (shares 1/2, 1/2, 1/2); port y only 3 hours of the short last day in each."""
    reps = [Replication(0, series={"closed:x": np.array([24.0, 6.0, 12.0]), "closed:y": np.array([0.0, 0.0, 3.0])}),
            Replication(1, series={"closed:x": np.array([0.0, 18.0, 0.0]), "closed:y": np.array([0.0, 0.0, 3.0])})]
    shares = closure_shares(reps, 60.0)
    assert list(shares) == ["x", "y"]
    expected = np.array([[0.5, 0.5, 0.5], [0.0, 0.0, 0.25]])
    assert np.allclose(np.array(list(shares.values())), expected)
    fig = closures_figure(shares, TimeAxis(2.5), {"x": "Aktau (KZ)"}, replications=2)
    ax = fig.axes[0]
    (image,) = ax.images
    assert np.allclose(image.get_array(), expected)
    assert image.get_extent() == [0.0, 3.0, 1.5, -0.5]  # a column per day from day 0, a row per port
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Aktau (KZ)", "y"]
    assert image.get_clim() == (0.0, 1.0)
    assert "mean of 2 replications" in fig.axes[1].get_ylabel()
    assert closures_figure({}, TimeAxis(2.5)) is None


def test_the_closure_heat_map_of_a_run_is_its_storms_day_by_day(evaluation):
    """The storms of each replication sampled again from its seed (`sim.weather`), their hours
    in each day counted here, averaged: the heat map's array."""
    result = evaluation.result
    scenario = result.scenario
    horizon = scenario.simulation.horizon.value
    days = int(np.ceil(horizon / 24))
    closed = {nid: np.zeros(days) for nid in ("b", "c")}
    for rep in result.replications:
        sea = Closures.sample(scenario.weather, Streams(result.seed, rep.index), horizon, -SPINUP * 24)
        for nid, acc in closed.items():
            iv = sea.node(nid)
            for d in range(days):
                lo, hi = 24.0 * d, min(24.0 * (d + 1), horizon)
                acc[d] += sum(max(0.0, min(e, hi) - max(s, lo)) for s, e in zip(iv.starts, iv.ends)) / (hi - lo)
    expected = np.array([closed[nid] / len(result.replications) for nid in ("b", "c")])
    assert expected.max() > 0, "storms closed the ports in the run"
    shares = closure_shares(result.replications, horizon)
    (image,) = closures_figure(shares, TimeAxis.of(scenario)).axes[0].images
    assert np.allclose(image.get_array(), expected)


# --- the report's pictures -------------------------------------------------------------------


def test_transit_marks_each_flows_p95(evaluation, doc):
    ax = transit_figure(doc, evaluation.result).axes[0]
    flows = [f for f in doc.flows if f.transit_days]
    marks = [line for line in ax.lines if line.get_marker() == "x"]
    assert [m.get_xdata()[0] for m in marks] == [f.transit_days["p95"] for f in flows]
    assert [label.get_text() for label in ax.get_yticklabels()] == [f.id for f in flows]


def test_all_plots_are_pngs_drawn_the_same_way_every_time(evaluation, doc):
    pictures = all_plots(doc, evaluation.result)
    assert {"targets.png", "gap.png", "queues.png", "closures.png", "power.png", "transit.png"} <= set(pictures)
    assert "data.png" not in pictures and "storage.png" not in pictures
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures.values())
    assert pictures["targets.png"] == png(targets_figure(doc))
    assert all_plots(doc, evaluation.result)["closures.png"] == pictures["closures.png"]
