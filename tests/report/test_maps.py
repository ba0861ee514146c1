"""The corridor map: every node at its own longitude and latitude on the shipped Natural Earth base
map (far-east origins in the overview inset), each in its own country, labels apart, link width
by capacity, colour by utilisation, binding rows and the bottleneck marked. Figures are checked by
reading the artists back, not by pixels."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from sim.bundled import folder
from sim.bundled import scenario as bundled
from sim.network import Network, build_network
from sim.report.basemap import Country, base_map
from sim.report.document import as_document
from sim.report.maps import draw_map, far_nodes, link_width, map_figure, positions, report_marks
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BUNDLED = sorted(p.stem for p in folder("scenarios").glob("*.yaml"))


def _network(name: str) -> Network:
    path = bundled(name)
    assert path is not None
    return build_network(load_scenario(path))


@pytest.fixture(scope="module")
def baseline() -> Network:
    return _network("baseline-2023")


@pytest.fixture(scope="module")
def baseline_figure(baseline: Network) -> Iterator[Figure]:
    fig = map_figure(baseline, utilisation=dict.fromkeys(baseline.links, 0.5))
    fig.canvas.draw()
    yield fig
    plt.close(fig)


def _axes(fig: Figure, label: str):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _drawn(ax, prefix: str) -> dict[str, Line2D]:
    return {line.get_label().split(":", 1)[1]: line for line in ax.lines if line.get_label().startswith(prefix)}


def _collections(ax, prefix: str) -> dict[str, LineCollection]:
    return {str(c.get_label()).split(":", 1)[1]: c for c in ax.collections
            if isinstance(c, LineCollection) and str(c.get_label()).startswith(prefix)}


def test_every_node_is_drawn_at_its_own_lon_lat(baseline, baseline_figure):
    """Near nodes on the main map, every node (the far-east origins too) in the overview inset,
    each marker at the node's own coordinates: no node is moved to an edge."""
    nodes = dict(baseline.graph.nodes(data=True))
    main, over = _axes(baseline_figure, "main"), _axes(baseline_figure, "overview")
    far = far_nodes(baseline)
    assert {"china", "dostyk", "altynkol"} <= far and "alat" not in far
    on_main, on_inset = _drawn(main, "node:"), _drawn(over, "node:")
    assert set(on_main) == set(nodes) - far
    assert set(on_inset) == set(nodes)
    for nid, line in itertools.chain(on_main.items(), on_inset.items()):
        assert (line.get_xdata()[0], line.get_ydata()[0]) == (nodes[nid]["lon"], nodes[nid]["lat"])
    for ax, shown in ((main, on_main), (over, on_inset)):
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        assert all(x0 < nodes[n]["lon"] < x1 and y0 < nodes[n]["lat"] < y1 for n in shown)
    assert over.get_xlim()[1] > nodes["china"]["lon"] > main.get_xlim()[1]


def test_links_to_far_nodes_leave_the_main_map_with_an_arrow_and_a_note(baseline, baseline_figure):
    main = _axes(baseline_figure, "main")
    arrows = [line for line in main.lines if line.get_label() == "exit"]
    assert arrows and all(line.get_xdata()[0] == main.get_xlim()[1] for line in arrows)
    notes = [t for t in main.texts if t.get_gid() == "label:exits"]
    assert len(notes) == 1 and f"{len(far_nodes(baseline))} more places" in notes[0].get_text()


def test_a_network_without_a_gap_has_no_inset():
    network = _network("baseline-2023")
    east = [n for n, a in network.graph.nodes(data=True) if a["lon"] > 60]
    network.graph.remove_nodes_from(east)
    for lid in [lid for lid, v in network.links.items() if v.source in east or v.target in east]:
        del network.links[lid]
    assert far_nodes(network) == set()
    fig = map_figure(network)
    assert [a.get_label() for a in fig.axes] == ["main"]
    plt.close(fig)


@pytest.mark.parametrize("name", BUNDLED)
def test_no_node_sits_in_another_country(name):
    """Each node with a country is on that country's land or at sea (ports, landing stations at
    the shore), never inside a neighbour's polygon."""
    network = _network(name)
    base = base_map()
    on_land = 0
    for nid, attrs in network.graph.nodes(data=True):
        found = base.country_at(attrs["lon"], attrs["lat"])
        if found is not None and attrs.get("country"):
            assert found.iso_a2 == attrs["country"], f"{nid} drawn in {found.name}"
            on_land += 1
    assert on_land >= 0.9 * network.graph.number_of_nodes(), "most places are inland, not at sea"


def test_xian_is_in_china_and_baku_in_azerbaijan():
    base = base_map()
    cases = {(108.94, 34.34): "CN", (49.87, 40.41): "AZ", (44.8, 41.72): "GE", (55.19, 45.32): "KZ",
             (35.93, 36.87): "TR", (19.04, 47.5): "HU", (45.41, 39.21): "AZ"}  # Nakhchivan is Azerbaijan
    for (lon, lat), iso in cases.items():
        found = base.country_at(lon, lat)
        assert found is not None and found.iso_a2 == iso, (lon, lat, found)
    assert base.country_at(51.0, 42.0) is None, "the middle of the Caspian is sea"
    assert base.country_at(34.0, 43.3) is None, "the middle of the Black Sea is sea"


def test_country_at_follows_the_even_odd_rule_on_a_hand_case():
    square = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
    hole = ((4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0))
    island = ((20.0, 0.0), (22.0, 0.0), (21.0, 2.0))
    c = Country("Test", "TT", (5.0, 5.0), ((square, hole), (island,)))
    assert c.contains(1, 1) and c.contains(9.9, 5) and c.contains(21, 1)
    assert not c.contains(5, 5) and not c.contains(11, 5) and not c.contains(-0.1, 5) and not c.contains(21.5, 1.9)


def test_the_base_map_is_the_shipped_natural_earth_clip():
    base = base_map()
    assert "Natural Earth" in base.attribution and base.version.count(".") >= 1
    lon0, lat0, lon1, lat1 = base.clip_box
    assert lon0 <= 16 and lon1 >= 110 and lat0 <= 30 and lat1 >= 52  # Budapest to Xi'an
    codes = {c.iso_a2 for c in base.countries}
    assert {"AZ", "GE", "KZ", "TM", "TR", "RO", "HU", "CN", "RU", "IR", "AM"} <= codes
    assert len(base.coastline) > 10


def test_labels_do_not_overlap_on_baseline(baseline, baseline_figure):
    """Renderer extents of every node label (both axes) and the note: pairwise apart, inside the
    figure, and the main map's labels clear of the inset."""
    renderer = baseline_figure.canvas.get_renderer()
    labels: list[Text] = [t for ax in baseline_figure.axes for t in ax.texts if str(t.get_gid()).startswith("label:")]
    main_near = set(baseline.graph) - far_nodes(baseline)
    assert {str(t.get_gid())[6:] for t in labels} >= main_near | far_nodes(baseline)
    boxes = {t.get_gid(): t.get_window_extent(renderer) for t in labels}
    for (a, ba), (b, bb) in itertools.combinations(boxes.items(), 2):
        assert not ba.overlaps(bb), f"labels {a} and {b} overlap"
    fig_box = baseline_figure.bbox
    assert all(fig_box.x0 <= b.x0 and b.x1 <= fig_box.x1 and fig_box.y0 <= b.y0 and b.y1 <= fig_box.y1
               for b in boxes.values())
    inset = _axes(baseline_figure, "overview").get_window_extent(renderer)
    main = _axes(baseline_figure, "main")
    assert not any(t.get_window_extent(renderer).overlaps(inset) for t in main.texts
                   if str(t.get_gid()).startswith("label:"))


def test_width_follows_capacity_and_colour_utilisation():
    network = build_network(load_scenario(SCENARIOS / "minimal.yaml"))
    fig = map_figure(network, utilisation={"ab": 0.9, "bc": 0.1})
    main = _axes(fig, "main")
    links = _collections(main, "link:")
    assert set(links) == set(network.links)
    cmap = plt.get_cmap("RdYlGn_r")
    assert tuple(links["ab"].get_colors()[0]) == pytest.approx(cmap(0.9))
    assert tuple(links["bc"].get_colors()[0]) == pytest.approx(cmap(0.1))
    assert tuple(links["gd"].get_colors()[0]) == pytest.approx(to_rgba("#9a9a9a")), "no utilisation: grey"
    for lid, view in network.links.items():
        biggest = max(v.nameplate for v in network.carrier_links(view.carrier))
        assert links[lid].get_linewidths()[0] == pytest.approx(link_width(view.nameplate, biggest))
    assert link_width(0, 10) == 0.8 and link_width(10, 10) == pytest.approx(4.8)
    assert link_width(2.5, 10) < link_width(5, 10) < link_width(10, 10)
    plt.close(fig)


def test_binding_rows_and_the_bottleneck_are_marked_with_a_legend_entry():
    network = build_network(load_scenario(SCENARIOS / "minimal.yaml"))
    fig = map_figure(network, binding={"fleet:ferries", "node:a", "nonsense:x"},
                     bottleneck=("berth:b:ferry", "b ferry berths"))
    main, over = _axes(fig, "main"), _axes(fig, "overview")
    assert set(_collections(main, "binding:")) == {"bc"}, "every link the binding fleet sails"
    assert set(_drawn(over, "binding:")) == {"a"}, "a is far east: marked in the inset"
    ring = _drawn(main, "bottleneck:")["b"]
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == positions(network)["b"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("binding in the optimiser" in t for t in legend)
    assert any("bottleneck: b ferry berths" in t for t in legend)
    plt.close(fig)


def test_report_marks_are_the_reports_bottleneck_and_binding_rows(runs):
    doc = as_document(runs[0].data)
    marks = report_marks(doc)
    assert doc.bottlenecks is not None
    if doc.bottlenecks.simulation:
        assert marks["bottleneck"] == (doc.bottlenecks.simulation[0].id, doc.bottlenecks.simulation[0].words)
    assert marks["binding"] >= {b.id for b in doc.bottlenecks.optimiser} | doc.binding_links()
    assert marks["utilisation"] == {l.id: l.utilisation for l in doc.links if l.utilisation is not None}
    assert (runs[0].folder / "map.png").read_bytes().startswith(b"\x89PNG")


def test_draw_map_writes_the_png_it_returns_and_draws_the_same_twice(tmp_path):
    network = build_network(load_scenario(SCENARIOS / "minimal.yaml"))
    data = draw_map(network, tmp_path / "map.png", utilisation={"ab": 0.5})
    assert data.startswith(b"\x89PNG") and (tmp_path / "map.png").read_bytes() == data
    assert draw_map(network, utilisation={"ab": 0.5}) == data
