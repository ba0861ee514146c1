"""The pictures' fixed layout (`sim.report.plots._fit`, no `tight_layout` pass) and the map's label
search in arrays: every text drawn inside the figure, tick labels and legends beside their
panel and off any other, stacked panels apart; the label search's scores and candidates by hand."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.report.document import ReportDocument, as_document
from sim.report.maps import PLACE_RINGS, PLACE_STEP_PX, _candidates, _crowding
from sim.report.plots import (TimeAxis, closure_shares, closures_figure, daily_figure, delivered_figure, gap_figure,
                              png, port_labels, targets_figure, transit_figure)
from sim.run import Evaluation, evaluate

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHORT = ["simulation.horizon=60 d", "simulation.warmup=10 d", "simulation.spinup=15 d",
         "weather.storms={nodes: [b, c], rate: 40 /yr, duration: 2 d}"]  # ports closed: a heat map to draw


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(SCENARIOS / "minimal.yaml", overrides=SHORT, replications=3, seed=3)


@pytest.fixture(scope="module")
def figures(evaluation: Evaluation) -> dict[str, Figure]:
    doc = as_document(evaluation.data)
    result = evaluation.result
    time = TimeAxis.of(result.scenario)
    shares = closure_shares(result.series if result.series is not None else result.replications,
                            result.scenario.simulation.horizon.value)
    power = [t for t in doc.targets if t.carrier == "power"]
    assert power, "the minimal scenario has a power target"
    stacked: ReportDocument = doc.model_copy(update={"targets": power * 3})  # three panels, one above the other
    drawn = {"targets": targets_figure(doc), "gap": gap_figure(doc),
             "queues": daily_figure(result, "queue", "consignments waiting", "Queues", time),
             "closures": closures_figure(shares, time, port_labels(result.scenario, shares), 3),
             "power": delivered_figure(stacked, result, "power", time), "transit": transit_figure(doc, result)}
    for name, fig in drawn.items():
        assert fig is not None, name
        png(fig)  # drawn as the report draws it: the texts take their places
    return {name: fig for name, fig in drawn.items() if fig is not None}


def _texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text the figure draws: titles, labels, tick labels (of ticks inside
    the axis' limits: the others are not drawn), legends, notes."""
    hidden: set[int] = set()
    for ax in fig.axes:
        for axis, (lo, hi) in ((ax.xaxis, sorted(ax.get_xlim())), (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in axis.get_major_ticks():
                if not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def test_every_text_is_inside_the_figure(figures):
    for name, fig in figures.items():
        renderer = fig.canvas.get_renderer()
        page = fig.bbox
        for t in _texts(fig):
            box = t.get_window_extent(renderer)
            assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, (name, t.get_text(), box, page)
            assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, (name, t.get_text(), box, page)


def test_tick_labels_and_legends_sit_beside_their_panel_and_off_every_other(figures):
    """y tick labels left of their panel, x tick labels and the x label below it, the title above
    it, a legend placed outside right of it; none of them over another panel."""
    for name, fig in figures.items():
        renderer = fig.canvas.get_renderer()
        panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_subplotspec() is not None
                  and ax.get_label() != "<colorbar>"]
        frames = {ax: ax.get_window_extent(renderer) for ax in panels}
        for ax in panels:
            own = frames[ax]
            drawn = {id(t) for t in _texts(fig)}
            ylabels = [t for t in ax.get_yticklabels() if id(t) in drawn]
            xlabels = [t for t in ax.get_xticklabels() if id(t) in drawn]
            beside = ylabels + xlabels + [ax.xaxis.label, ax.yaxis.label, ax.title]
            assert all(t.get_window_extent(renderer).x1 <= own.x0 + 1 for t in ylabels), name
            assert all(t.get_window_extent(renderer).y1 <= own.y0 + 1 for t in xlabels + [ax.xaxis.label]), name
            assert ax.title.get_window_extent(renderer).y0 >= own.y1 - 1, name
            legend = ax.get_legend()
            if legend is not None and legend.get_bbox_to_anchor().x0 > own.x1 - 1:  # placed outside right
                assert legend.get_window_extent(renderer).x0 >= own.x1, name
                beside.append(legend)
            for other, frame in frames.items():
                if other is ax:
                    continue
                for t in beside:
                    if t.get_visible() and (not isinstance(t, Text) or t.get_text()):
                        assert not t.get_window_extent(renderer).overlaps(frame), (name, t)


def test_stacked_panels_keep_their_titles_clear_of_the_panel_above(figures):
    fig = figures["power"]
    renderer = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3
    for upper, lower in itertools.pairwise(panels):
        drawn = {id(t) for t in _texts(fig)}
        above = [upper.xaxis.label, *(t for t in upper.get_xticklabels() if id(t) in drawn)]
        title = lower.title.get_window_extent(renderer)
        assert all(not t.get_window_extent(renderer).overlaps(title) for t in above if t.get_text())
        assert title.y1 <= min(t.get_window_extent(renderer).y0 for t in above if t.get_text())


def test_crowding_is_the_area_each_box_covers_by_hand():
    """A 10x10 box at the origin against a box overlapping it by 4x5 and one 1 apart (covered
    once grown by a pad of 2: 1 x 10); a box far away covers nothing."""
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [100.0, 100.0, 110.0, 110.0]])
    others = np.array([[6.0, 5.0, 20.0, 30.0], [-5.0, 0.0, -1.0, 10.0]])
    assert _crowding(boxes, others, 0.0).tolist() == [4.0 * 5.0, 0.0]
    # grown by 2: x -2..12, y -2..12 covers 6..12 x 5..12 of the first (6 x 7) and -2..-1 x 0..10 of the second
    assert _crowding(boxes, others, 2.0).tolist() == [6.0 * 7.0 + 1.0 * 10.0, 0.0]
    assert _crowding(boxes, np.zeros((0, 4)), 2.0).tolist() == [0.0, 0.0]


def test_candidates_start_at_the_nodes_corners_then_ring_out():
    w, h, g = 30.0, 10.0, 3.0
    spots = _candidates(w, h)
    assert len(spots) == 6 + 3 * 8 + (PLACE_RINGS - 3) * 16
    assert spots[:4].tolist() == [[g, g], [g, -h - g], [-w - g, g], [-w - g, -h - g]]
    # ring 1, direction 0 (east): the label's left edge just right of the ring point, centred on it
    assert spots[6].tolist() == pytest.approx([PLACE_STEP_PX + g, -h / 2])
    # ring 1, direction 2 (north): centred above the ring point
    assert spots[8].tolist() == pytest.approx([-w / 2, PLACE_STEP_PX + g])
    reach = np.hypot(spots[:, 0] + w / 2, spots[:, 1] + h / 2)  # label centre to the node
    assert reach.max() <= PLACE_RINGS * PLACE_STEP_PX + w + h


def test_a_long_run_draws_each_days_range_not_every_hour() -> None:
    """Over more than two years the hourly delivery is drawn as each day's range and mean: the
    band spans the day's least and most, the line is the day's mean (hand-made hours)."""
    import numpy as np

    from support import SCENARIOS

    from sim.report.document import ReportDocument
    from sim.report.plots import HOURLY_LINE_MAX_H, delivered_figure
    from sim.run import evaluate

    ev = evaluate(SCENARIOS / "energy_chain.yaml", replications=1, overrides=["simulation.horizon=1100 d"])
    rep = ev.result.replications[0]
    hours = rep.flows["export"].hourly
    assert hours is not None and len(hours) > HOURLY_LINE_MAX_H
    fig = delivered_figure(ReportDocument.model_validate(ev.data), ev.result, "power")
    assert fig is not None
    ax = fig.axes[0]
    (band,) = [c for c in ax.collections if c.get_label().endswith("each day's range")]
    mean_line = next(line for line in ax.get_lines() if line.get_label() == "daily mean")
    days = hours[: len(hours) // 24 * 24].reshape(-1, 24)
    np.testing.assert_allclose(mean_line.get_ydata(), days.mean(axis=1), rtol=1e-6)
    top = band.get_paths()[0].vertices[:, 1]
    assert top.max() == np.float32(days.max()) or np.isclose(top.max(), days.max())
    assert len(mean_line.get_xdata()) == len(days)
