"""Map pictures of the corridor: nodes at their lon/lat, links coloured by carrier or utilisation."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from sim.io import write_bytes
from sim.network import Network
from sim.report.plots import CARRIER_COLOURS, png

# Schematic coastlines (hand-traced, about 0.3 degree accuracy) so readers can place the ports.
_SEAS = {
    "Caspian Sea": [(47.0, 45.6), (48.5, 46.2), (49.5, 46.6), (51.0, 47.0), (53.0, 46.8), (53.2, 45.3),
                    (51.3, 44.6), (50.3, 44.5), (51.2, 43.2), (52.7, 42.5), (52.9, 41.5), (53.0, 40.6),
                    (53.9, 40.0), (53.9, 37.3), (51.5, 36.8), (50.0, 37.4), (49.0, 38.0), (48.9, 38.9),
                    (49.3, 39.5), (49.5, 40.2), (50.3, 40.4), (49.5, 40.6), (49.0, 41.3), (48.4, 41.9),
                    (47.7, 42.9), (47.5, 43.5), (47.1, 44.2), (46.7, 44.7)],
    "Black Sea": [(27.6, 42.4), (28.0, 43.5), (28.7, 44.3), (29.7, 45.2), (30.7, 46.5), (31.8, 46.6),
                  (33.5, 46.0), (32.5, 45.4), (33.6, 44.4), (35.3, 44.9), (36.5, 45.2), (37.5, 44.7),
                  (38.5, 44.3), (39.7, 43.6), (40.9, 43.0), (41.6, 42.0), (41.5, 41.5), (40.3, 41.0),
                  (38.4, 40.9), (36.5, 41.3), (35.0, 42.0), (33.3, 42.0), (31.2, 41.1), (29.1, 41.2),
                  (28.0, 41.6)],
}


FAR_GAP_DEG = 15.0  # a gap in longitude wider than this puts the nodes east of it off the map
FAR_MARGIN_DEG = 4.0  # ...drawn this far east of the last node before the gap


def positions(network: Network) -> tuple[dict[str, tuple[float, float]], set[str]]:
    """Map positions (lon, lat) by node, and the nodes drawn off the map: nodes east of a gap of
    more than 15 degrees of longitude (the China origin) are drawn at the map's eastern edge so
    the corridor itself keeps a readable scale."""
    g = network.graph
    lons = sorted({a["lon"] for _, a in g.nodes(data=True)})
    cut = next((a + FAR_MARGIN_DEG for a, b in zip(lons, lons[1:]) if b - a > FAR_GAP_DEG), None)
    pos: dict[str, tuple[float, float]] = {}
    far: set[str] = set()
    for nid, a in g.nodes(data=True):
        if cut is not None and a["lon"] > cut:
            pos[nid], far = (cut, a["lat"]), far | {nid}
        else:
            pos[nid] = (a["lon"], a["lat"])
    return pos, far


def draw_map(network: Network, path: Path | None = None, *, utilisation: dict[str, float] | None = None,
             binding: set[str] | frozenset[str] = frozenset(), title: str | None = None) -> bytes:
    """The map as PNG bytes (also written to `path` when given); see `map_figure`."""
    data = png(map_figure(network, utilisation=utilisation, binding=binding, title=title), dpi=None)
    if path is not None:
        write_bytes(Path(path), data)
    return data


def map_figure(network: Network, *, utilisation: dict[str, float] | None = None,
               binding: set[str] | frozenset[str] = frozenset(), title: str | None = None) -> Figure:
    """Draw the network; links coloured by carrier, or by utilisation (0-1) when given.

    Line width grows with capacity relative to the largest link of the same carrier; binding
    links are outlined in black.
    """
    g = network.graph
    pos, far = positions(network)
    fig, ax = plt.subplots(figsize=(12, 7.5), dpi=110)
    for sea, pts in _SEAS.items():
        xs, ys = zip(*pts)
        ax.fill(xs, ys, color="#dbe9f6", zorder=0)
        ax.text(sum(xs) / len(xs), sum(ys) / len(ys), sea, color="#7fa6c9", fontsize=8,
                ha="center", style="italic", zorder=1)
    biggest = {c: max((v.nameplate for v in network.carrier_links(c)), default=1.0) or 1.0
               for c in CARRIER_COLOURS}
    cmap = plt.get_cmap("RdYlGn_r")
    offsets = {c: i * 0.06 for i, c in enumerate(CARRIER_COLOURS)}  # separate parallel carriers
    for lid, view in network.links.items():
        (ax_, ay), (bx, by) = pos[view.source], pos[view.target]
        off = offsets[view.carrier]
        seg = [(ax_ + off, ay + off), (bx + off, by + off)]
        width = 0.8 + 4.0 * (view.nameplate / biggest[view.carrier]) ** 0.5
        colour: str | tuple[float, float, float, float]
        if utilisation is not None:
            colour = cmap(min(max(utilisation.get(lid, 0.0), 0.0), 1.0))
        else:
            colour = CARRIER_COLOURS[view.carrier]
        style = "dotted" if view.nameplate == 0 else "solid"
        if lid in binding:
            ax.add_collection(LineCollection([seg], colors="black", linewidths=width + 3, zorder=2))
        ax.add_collection(LineCollection([seg], colors=[colour], linewidths=width, linestyles=style,
                                         zorder=3))
    for nid, attrs in g.nodes(data=True):
        x, y = pos[nid]
        label = (attrs.get("name") or nid).split(" (")[0]
        if nid in far:
            label = f"→ {label} ({attrs['lon']:.0f}°E, off the map)"
        ax.plot(x, y, ">" if nid in far else "o", color="white", mec="#333", ms=5, zorder=4)
        ax.annotate(label, (x, y), fontsize=6.5, xytext=(3, 3), textcoords="offset points", zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6})
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_aspect(1.3)
    ax.autoscale()
    ax.grid(color="#eee", lw=0.5)
    if utilisation is not None:
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
        fig.colorbar(sm, ax=ax, shrink=0.6, label="utilisation (binding links outlined)")
    else:
        for c, hue in CARRIER_COLOURS.items():
            if network.carrier_links(c):
                ax.plot([], [], color=hue, lw=3, label=c)
        ax.plot([], [], color="#888", lw=2, ls="dotted", label="not built (0 capacity)")
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_title(title or f"{network.scenario.name}: the corridor network "
                 "(width ∝ √capacity within a carrier)", fontsize=10)
    return fig
