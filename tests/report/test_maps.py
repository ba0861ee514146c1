"""The corridor map: every node placed at its longitude and latitude (far ones at the edge), one
line per link, binding links outlined."""

from __future__ import annotations

from pathlib import Path

from matplotlib.collections import LineCollection

from sim.bundled import scenario as bundled
from sim.network import build_network
from sim.report.maps import FAR_GAP_DEG, draw_map, map_figure, positions
from sim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_every_node_is_placed_at_its_lon_lat_or_at_the_eastern_edge():
    path = bundled("baseline-2023")
    assert path is not None
    network = build_network(load_scenario(path))
    pos, far = positions(network)
    nodes = dict(network.graph.nodes(data=True))
    assert set(pos) == set(nodes)
    assert far, "the China origin is far east of the corridor"
    edge = max(x for x, _ in pos.values())
    for nid, (x, y) in pos.items():
        assert y == nodes[nid]["lat"]
        if nid in far:
            assert x == edge < nodes[nid]["lon"] - FAR_GAP_DEG + 4.0
        else:
            assert x == nodes[nid]["lon"]


def test_the_map_draws_a_marker_per_node_and_a_line_per_link():
    network = build_network(load_scenario(SCENARIOS / "minimal.yaml"))
    pos, far = positions(network)
    ax = map_figure(network, binding={"ab"}).axes[0]
    markers = {(line.get_xdata()[0], line.get_ydata()[0]) for line in ax.lines if line.get_marker() in ("o", ">")}
    assert markers == set(pos.values())
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(lines) == len(network.links) + 1, "one line per link and an outline for the binding one"


def test_draw_map_writes_the_png_it_returns(tmp_path):
    network = build_network(load_scenario(SCENARIOS / "minimal.yaml"))
    data = draw_map(network, tmp_path / "map.png", utilisation={"ab": 0.5})
    assert data.startswith(b"\x89PNG") and (tmp_path / "map.png").read_bytes() == data
