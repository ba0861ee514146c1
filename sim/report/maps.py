"""The corridor map: nodes at their longitude and latitude on Natural Earth's land, seas and borders.

Base map. `sim/report/data/naturalearth.json` is a clip of Natural Earth's 1:10m countries
(public domain; version and attribution inside the file) for lon 15..120 °E, lat 25..58 °N, cut
once by `scripts/naturalearth_clip.py` and shipped in the wheel; nothing is downloaded. It is
read with `json` and drawn with matplotlib: the sea is the axes' background, every country a
filled polygon whose edges are the borders, the coastline one line on top (the Caspian is sea
because Natural Earth leaves it out of every country).

Projection. Plate carrée with the aspect 1/cos(mid-latitude), so the data coordinates are
longitude and latitude and every node is drawn at its own.

Extent. The main map frames the nodes west of the first gap in longitude wider than
`FAR_GAP_DEG` (Central Europe to the Caspian's east shore). Nodes east of that gap (Kazakhstan's
east, the China origin) stay at their true coordinates in an overview inset, set in the main
map's emptiest corner, that shows the whole network with the main map's frame; on the main map
the links running east end in an arrowhead on the frame with a note saying where they go.

Links. Width grows with √(capacity / the largest link of the same carrier) (units differ between
carriers); colour is simulated utilisation (0-1, red is busy) when given, else the carrier's;
dotted when not built. The optimiser's binding rows are outlined in black (a link, or every link
of a binding fleet; a binding node or berth gets a black square); the simulation's bottleneck
(report.json `bottlenecks.simulation[0]`) gets a red halo or a red ring. Ids are the capacity-row
ids the report uses: a link id, `node:N`, `berth:N:KIND`, `generation:N`, `fleet:F`.

Labels. Placed one at a time, in the order drawn, by a greedy search in display pixels: a label
is tried first at its node's four corners, then on rings of growing radius around the node (8,
then 16 directions a ring), and takes the first spot inside the axes that overlaps no label
already placed, no kept-out box (the sea and place names, the overview inset) and no node's
marker. Pure arithmetic on the renderer's text extents, every candidate of a label scored at once
in arrays, so the picture is deterministic and costs a few milliseconds (adjustText's force
simulation took over a second). Links, nodes and land are added without growing the axes' data
limits: the frame is set explicitly (`_frame`). A label with no free spot
within `PLACE_RINGS` rings stays at its least-crowded candidate; any pair still overlapping is
then pushed apart, and a thin leader line joins a label that moved to its node.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from sim.io import write_bytes
from sim.report.basemap import Extent, Point, base_map, draw_land
from sim.network import Network
from sim.report.plots import CARRIER_COLOURS, PNG_COMPRESSION, new_figure

if TYPE_CHECKING:
    from sim.report.document import ReportDocument


FAR_GAP_DEG = 15.0  # a gap in longitude wider than this sends the nodes east of it to the inset
PAD_DEG = (3.0, 3.5, 1.6, 2.2)  # main map margins around its nodes: west, east, south, north
MIN_SPAN_DEG = (16.0, 8.0)  # the main map shows at least this much longitude and latitude
INSET_WIDTH = 0.40  # the overview inset's width as a share of the main map's
LABEL_WRAP = 24  # characters per label line
PLACE_STEP_PX = 7.0  # radius step between candidate rings around a node, display pixels
PLACE_RINGS = 40  # rings tried before a label takes its least-crowded candidate
PLACE_GAP_PX = 2.0  # clearance kept between a label and anything it must not cover
BOTTLENECK = "#d62728"


# Base map ------------------------------------------------------------------------------------

def far_nodes(network: Network) -> set[str]:
    """Nodes east of the first gap in longitude wider than FAR_GAP_DEG that has at least half the
    nodes west of it (none without such a gap): the corridor keeps a readable scale and the far
    origins go to the inset."""
    lons = sorted(a["lon"] for _, a in network.graph.nodes(data=True))
    half = lons[(len(lons) - 1) // 2]
    cut = next((a for a, b in zip(lons, lons[1:]) if b - a > FAR_GAP_DEG and a >= half), None)
    return set() if cut is None else {n for n, a in network.graph.nodes(data=True) if a["lon"] > cut}


def positions(network: Network) -> dict[str, Point]:
    """Every node's (lon, lat): where it is drawn, on the main map or in the inset."""
    return {n: (float(a["lon"]), float(a["lat"])) for n, a in network.graph.nodes(data=True)}


def _extent(points: Iterable[Point], pad: tuple[float, float, float, float]) -> Extent:
    pts = list(points)
    x0, x1 = min(p[0] for p in pts) - pad[0], max(p[0] for p in pts) + pad[1]
    y0, y1 = min(p[1] for p in pts) - pad[2], max(p[1] for p in pts) + pad[3]
    grow_x, grow_y = max(MIN_SPAN_DEG[0] - (x1 - x0), 0) / 2, max(MIN_SPAN_DEG[1] - (y1 - y0), 0) / 2
    return x0 - grow_x, x1 + grow_x, y0 - grow_y, y1 + grow_y


def _aspect(extent: Extent) -> float:
    return 1 / math.cos(math.radians((extent[2] + extent[3]) / 2))


def extents(network: Network) -> tuple[Extent, Extent | None]:
    """The main map's extent and the overview inset's (None when every node fits the main map)."""
    pos, far = positions(network), far_nodes(network)
    main = _extent([p for n, p in pos.items() if n not in far], PAD_DEG)
    if not far:
        return main, None
    return main, _extent(pos.values(), (2.0, 3.0, 2.0, 2.5))



@dataclass(frozen=True)
class Marked:
    """Map elements a capacity-row id names: links, and nodes (a node, berth or generation row)."""

    links: frozenset[str]
    nodes: frozenset[str]


def marked(network: Network, ids: Iterable[str]) -> Marked:
    """The links and nodes the row ids name (`link`, `node:N`, `berth:N:K`, `generation:N`,
    `fleet:F` = every link the fleet sails); unknown ids name nothing."""
    links: set[str] = set()
    nodes: set[str] = set()
    for rid in ids:
        kind, _, rest = rid.partition(":")
        if rid in network.links:
            links.add(rid)
        elif kind in ("node", "berth", "generation") and rest.split(":")[0] in network.graph:
            nodes.add(rest.split(":")[0])
        elif kind == "fleet":
            links |= {lid for lid, v in network.links.items() if v.fleet == rest}
    return Marked(frozenset(links), frozenset(nodes))


def report_marks(doc: ReportDocument) -> dict[str, Any]:
    """draw_map's keyword arguments for a report: simulated utilisation by link, the optimiser's
    binding rows (every target's), and the simulation's bottleneck with its words."""
    binding = set(doc.binding_links())
    bottleneck: tuple[str, str] | None = None
    if doc.bottlenecks is not None:
        binding |= {b.id for b in doc.bottlenecks.optimiser}
        if doc.bottlenecks.simulation:
            top = doc.bottlenecks.simulation[0]
            bottleneck = (top.id, top.words)
    return {"utilisation": {l.id: l.utilisation for l in doc.links if l.utilisation is not None},
            "binding": frozenset(binding), "bottleneck": bottleneck}



def draw_map(network: Network, path: Path | None = None, *, utilisation: Mapping[str, float] | None = None,
             binding: Iterable[str] = frozenset(), bottleneck: tuple[str, str] | None = None,
             title: str | None = None) -> bytes:
    """The map as PNG bytes (also written to `path` when given); see `map_figure`."""
    fig = map_figure(network, utilisation=utilisation, binding=binding, bottleneck=bottleneck, title=title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": PNG_COMPRESSION})  # no tight_layout: the labels
    data = buf.getvalue()  # were placed for this layout
    if path is not None:
        write_bytes(Path(path), data)
    return data


def draw_report_map(network: Network, doc: ReportDocument, title: str | None = None) -> bytes:
    """The report's map: utilisation, binding rows and the bottleneck read from report.json."""
    return draw_map(network, title=title, **report_marks(doc))


def map_figure(network: Network, *, utilisation: Mapping[str, float] | None = None,
               binding: Iterable[str] = frozenset(), bottleneck: tuple[str, str] | None = None,
               title: str | None = None) -> Figure:
    """The map figure: the main map (axes 0) and, with far-east nodes, the overview inset
    (axes labelled "overview"); `bottleneck` is (row id, words)."""
    main_ext, over_ext = extents(network)
    width = 12.0
    map_w, left, bottom_in, top_in = 0.80, 0.06, 0.95, 0.4  # shares of the width; inches
    map_h_in = width * map_w * (main_ext[3] - main_ext[2]) * _aspect(main_ext) / (main_ext[1] - main_ext[0])
    height = map_h_in + bottom_in + top_in
    fig = new_figure(width, height, dpi=110)
    ax = fig.add_axes((left, bottom_in / height, map_w, map_h_in / height))
    ax.set_label("main")
    places = draw_land(ax, main_ext)
    _frame(ax, main_ext)
    ax.apply_aspect()
    bind, hot = marked(network, binding), marked(network, [bottleneck[0]] if bottleneck else [])
    cmap = colormaps["RdYlGn_r"]
    _links(ax, network, utilisation, bind, hot, cmap)
    far = far_nodes(network)
    pos = positions(network)
    near = [n for n in pos if n not in far]
    _nodes(ax, network, near, bind, hot)
    texts = [_label(ax, network, n) for n in near]
    anchors = [pos[n] for n in near]
    exits = _exits(ax, network, main_ext, far)
    if exits is not None:
        texts.append(exits[0])
        anchors.append(exits[1])
    inset: Axes | None = None
    if over_ext is not None:
        inset = _inset(fig, ax, main_ext, over_ext, pos)
        draw_land(inset, over_ext, names=False)
        _frame(inset, over_ext)
        _links(inset, network, utilisation, bind, hot, cmap, thin=True)
        _nodes(inset, network, list(pos), bind, hot, size=3)
        inset.add_patch(Rectangle((main_ext[0], main_ext[2]), main_ext[1] - main_ext[0], main_ext[3] - main_ext[2],
                                  fill=False, ec="#444", lw=0.8, ls="--", zorder=6))
        inset.set_title("the whole network (dashed: the main map)", fontsize=7, pad=2)
        inset_texts = [_label(inset, network, n, fontsize=6) for n in sorted(far)]
        _place(inset, inset_texts, [pos[n] for n in sorted(far)], [])
    _place(ax, texts, anchors, places, avoid=[inset] if inset is not None else [])
    _legend(fig, ax, network, utilisation, cmap, bind, hot, bottleneck)
    ax.set_title(title or f"{network.scenario.name}: the corridor network", fontsize=10, loc="left")
    base = base_map()
    fig.text(0.995, 0.005, f"Base map: Natural Earth {base.version} 1:10m (public domain)", fontsize=6,
             color="#777", ha="right", va="bottom")
    return fig


def _frame(ax: Axes, extent: Extent) -> None:
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(_aspect(extent), adjustable="box")
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}°E")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}°N")
    ax.grid(color="white", lw=0.4, alpha=0.6)


def _links(ax: Axes, network: Network, utilisation: Mapping[str, float] | None, bind: Marked, hot: Marked,
           cmap: Any, *, thin: bool = False) -> None:
    """One line per link, wider ones first so parallel thin ones stay visible on top."""
    pos = positions(network)
    biggest = {c: max((v.nameplate for v in network.carrier_links(c)), default=1.0) or 1.0 for c in CARRIER_COLOURS}
    offsets = {c: i * 0.06 for i, c in enumerate(CARRIER_COLOURS)}  # parallel carriers side by side
    scale = 0.4 if thin else 1.0
    for lid, view in sorted(network.links.items(), key=lambda kv: -kv[1].nameplate / biggest[kv[1].carrier]):
        (ax_, ay), (bx, by) = pos[view.source], pos[view.target]
        off = offsets[view.carrier]
        seg = [(ax_ + off, ay + off), (bx + off, by + off)]
        width = scale * link_width(view.nameplate, biggest[view.carrier])
        colour: Any
        if utilisation is None:
            colour = CARRIER_COLOURS[view.carrier]
        elif lid in utilisation:
            colour = cmap(min(max(utilisation[lid], 0.0), 1.0))
        else:
            colour = "#9a9a9a"
        if lid in hot.links:
            ax.add_collection(LineCollection([seg], colors=BOTTLENECK, linewidths=width + 7 * scale, alpha=0.45,
                                             zorder=2, label=f"bottleneck:{lid}"), autolim=False)
        if lid in bind.links:
            ax.add_collection(LineCollection([seg], colors="black", linewidths=width + 2.5 * scale, zorder=2.5,
                                             label=f"binding:{lid}"), autolim=False)
        ax.add_collection(LineCollection([seg], colors=[colour], linewidths=width,
                                         linestyles="dotted" if view.nameplate == 0 else "solid", zorder=3,
                                         label=f"link:{lid}"), autolim=False)  # the frame is set: no limits to grow


def link_width(nameplate: float, biggest: float) -> float:
    """Line width in points: 0.8 for an unbuilt link to 4.8 for the largest of its carrier."""
    return 0.8 + 4.0 * math.sqrt(max(nameplate, 0.0) / biggest)


def _nodes(ax: Axes, network: Network, nodes: Sequence[str], bind: Marked, hot: Marked, size: float = 5) -> None:
    pos = positions(network)
    for nid in nodes:
        x, y = pos[nid]
        if nid in hot.nodes:
            _mark(ax, x, y, "o", ms=size * 3.2, mfc="none", mec=BOTTLENECK, mew=2.2, zorder=4,
                  label=f"bottleneck:{nid}")
        if nid in bind.nodes:
            _mark(ax, x, y, "s", ms=size * 2.2, mfc="none", mec="black", mew=1.4, zorder=4, label=f"binding:{nid}")
        _mark(ax, x, y, "o", color="white", mec="#333", ms=size, zorder=4.5, label=f"node:{nid}")


def _mark(ax: Axes, x: float, y: float, marker: str, **style: Any) -> None:
    """One marker at (x, y) as a Line2D added directly: what `ax.plot(x, y, marker)` draws, without
    its per-call property cycling (a tenth of the map's CPU with ~100 markers), nor the data limits
    `add_line` grows (the map's frame is set before)."""
    ax.add_artist(Line2D([x], [y], marker=marker, linestyle="none", **style))


def _label(ax: Axes, network: Network, nid: str, fontsize: float = 6.5) -> Text:
    attrs = network.graph.nodes[nid]
    name = (attrs.get("name") or nid).split(" (")[0]
    x, y = positions(network)[nid]
    text = ax.text(x, y, textwrap.fill(name, LABEL_WRAP), fontsize=fontsize, ha="left", va="bottom", zorder=5,
                   bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    text.set_gid(f"label:{nid}")
    return text


def _exits(ax: Axes, network: Network, extent: Extent, far: set[str]) -> tuple[Text, Point] | None:
    """Arrowheads where links to far nodes leave the main map's east edge, and a note naming them."""
    pos = positions(network)
    crossings: list[Point] = []
    for view in network.links.values():
        ends = {view.source, view.target}
        if len(ends & far) != 1:
            continue
        (x0, y0), (x1, y1) = sorted((pos[view.source], pos[view.target]))  # west end first
        if x1 <= extent[1] or x0 >= extent[1]:
            continue
        y = y0 + (y1 - y0) * (extent[1] - x0) / (x1 - x0)
        if extent[2] < y < extent[3]:
            crossings.append((extent[1], y))
    if not crossings:
        return None
    for x, y in sorted(set(crossings)):
        _mark(ax, x, y, ">", color="#333", ms=6, clip_on=False, zorder=6, label="exit")
    y_mid = sum(y for _, y in crossings) / len(crossings)
    places = f"{len(far)} more place" + ("s" if len(far) > 1 else "")
    note = ax.text(extent[1] - 0.3, y_mid, f"on east to {places} (see the inset) →", fontsize=6.5,
                   ha="right", va="bottom", zorder=5, style="italic",
                   bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    note.set_gid("label:exits")
    return note, (extent[1], y_mid)


def _inset(fig: Figure, ax: Axes, main: Extent, over: Extent, pos: Mapping[str, Point]) -> Axes:
    """The overview axes, in the corner of the main map holding the fewest nodes."""
    box = ax.get_position()
    w = box.width * INSET_WIDTH
    fig_w, fig_h = fig.get_size_inches()
    h = w * fig_w * (over[3] - over[2]) * _aspect(over) / (over[1] - over[0]) / fig_h + 0.02
    corners = {"lower left": (box.x0, box.y0), "lower right": (box.x1 - w, box.y0),
               "upper left": (box.x0, box.y1 - h), "upper right": (box.x1 - w, box.y1 - h)}

    def crowd(corner: tuple[float, float]) -> int:
        fx0, fy0 = (corner[0] - box.x0) / box.width, (corner[1] - box.y0) / box.height
        fx1, fy1 = fx0 + w / box.width, fy0 + h / box.height
        lon0, lon1 = main[0] + fx0 * (main[1] - main[0]), main[0] + fx1 * (main[1] - main[0])
        lat0, lat1 = main[2] + fy0 * (main[3] - main[2]), main[2] + fy1 * (main[3] - main[2])
        return sum(lon0 - 3 <= x <= lon1 + 3 and lat0 - 1.5 <= y <= lat1 + 1.5 for x, y in pos.values())

    x, y = min(corners.values(), key=crowd)
    inset = fig.add_axes((x + 0.004, y + 0.006, w - 0.008, h - 0.012))
    inset.set_label("overview")
    for side in inset.spines.values():
        side.set_edgecolor("#444")
    inset.tick_params(labelleft=False, labelbottom=False, length=0)
    return inset


def _place(ax: Axes, texts: list[Text], anchors: Sequence[Point], places: Sequence[Text],
           avoid: Sequence[Axes | None] = ()) -> None:
    """Move labels off each other, off the place names and off `avoid`; leader lines to moved ones."""
    if not texts:
        return
    fig = ax.get_figure()
    assert fig is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    keep_out = [t.get_window_extent(renderer) for t in places]
    keep_out += [a.get_window_extent(renderer).expanded(1.02, 1.04) for a in avoid if a is not None]
    _greedy(ax, texts, anchors, keep_out, renderer)
    _separate(ax, texts, keep_out[len(places):], renderer)
    for text, (x, y) in zip(texts, anchors):
        _leader(ax, text, (x, y), renderer)


def _ring_directions() -> tuple[np.ndarray, np.ndarray]:
    """Every ring point's offset from its node (x and y, display pixels), ring by ring (8
    directions, 16 from the fourth ring), in the order `_candidates` tries them."""
    cos, sin, radius = [], [], []
    for ring in range(1, PLACE_RINGS + 1):
        n = 8 if ring < 4 else 16
        for k in range(n):
            a = 2 * math.pi * k / n
            cos.append(math.cos(a))
            sin.append(math.sin(a))
            radius.append(ring * PLACE_STEP_PX)
    r = np.array(radius)
    return r * np.array(cos), r * np.array(sin)


RING_X, RING_Y = _ring_directions()


def _candidates(w: float, h: float) -> np.ndarray:
    """Lower-left corners of a w x h label relative to its node, nearest first (one row each):
    the node's four corners, then rings of growing radius (8 directions, 16 from the fourth ring)."""
    g = 3.0
    first = np.array([(g, g), (g, -h - g), (-w - g, g), (-w - g, -h - g), (-w / 2, g + 2), (-w / 2, -h - g - 2)])
    # the label's nearest edge at the ring point: to the right, left, above or below it
    x0 = np.where(RING_X > 1e-9, RING_X + g, np.where(RING_X < -1e-9, RING_X - w - g, -w / 2))
    y0 = np.where(RING_Y > 1e-9, RING_Y + g, np.where(RING_Y < -1e-9, RING_Y - h - g, -h / 2))
    return np.concatenate([first, np.column_stack([x0, y0])])


def _crowding(boxes: np.ndarray, others: np.ndarray, pad: float) -> np.ndarray:
    """For each box (x0, y0, x1, y1 a row), the area of `others` it covers, grown by `pad`."""
    if not len(others):
        return np.zeros(len(boxes))
    b, o = boxes[:, None, :], others[None, :, :]
    dx = np.minimum(b[..., 2] + pad, o[..., 2]) - np.maximum(b[..., 0] - pad, o[..., 0])
    dy = np.minimum(b[..., 3] + pad, o[..., 3]) - np.maximum(b[..., 1] - pad, o[..., 1])
    return np.sum(np.maximum(dx, 0.0) * np.maximum(dy, 0.0), axis=1)


def _greedy(ax: Axes, texts: list[Text], anchors: Sequence[Point], keep_out: Sequence[Bbox], renderer: Any) -> None:
    """Each label in turn at the first candidate spot inside the axes clear of the labels placed,
    `keep_out` and the node markers (see the module's Labels paragraph); the candidates scored
    together, in arrays."""
    inv = ax.transData.inverted()
    frame = ax.get_window_extent(renderer)
    pad = PLACE_GAP_PX
    blocked: list[tuple[float, float, float, float]] = [(b.x0, b.y0, b.x1, b.y1) for b in keep_out]
    shown = [ax.transData.transform(a) for a in anchors]
    markers = [(x - 3.0, y - 3.0, x + 3.0, y + 3.0) for x, y in shown
               if frame.x0 <= x <= frame.x1 and frame.y0 <= y <= frame.y1]

    for text, (ox, oy) in zip(texts, shown):
        box = text.get_window_extent(renderer)
        px, py = ax.transData.transform(text.get_position())
        off_x, off_y = box.x0 - px, box.y0 - py  # the extent's corner relative to the text's position
        w, h = box.width, box.height
        own = (ox - 3.0, oy - 3.0, ox + 3.0, oy + 3.0)
        reach = PLACE_RINGS * PLACE_STEP_PX + w + h + 2 * pad  # no candidate box reaches further
        others = np.array([o for o in blocked + [m for m in markers if m != own]
                           if o[2] > ox - reach and o[0] < ox + reach and o[3] > oy - reach and o[1] < oy + reach]
                          ).reshape(-1, 4)
        corners = _candidates(w, h) + (ox, oy)
        inside = ((corners[:, 0] >= frame.x0 + pad) & (corners[:, 1] >= frame.y0 + pad)
                  & (corners[:, 0] + w <= frame.x1 - pad) & (corners[:, 1] + h <= frame.y1 - pad))
        corners = corners[inside]
        if not len(corners):  # no candidate inside the axes: leave the label where it was drawn
            blocked.append((box.x0, box.y0, box.x1, box.y1))
            continue
        score = _crowding(np.column_stack([corners, corners + (w, h)]), others, pad)
        free = np.flatnonzero(score == 0.0)
        x0, y0 = corners[free[0] if len(free) else int(np.argmin(score))]  # the first clear, else least crowded
        text.set_position(tuple(inv.transform((x0 - off_x, y0 - off_y))))
        blocked.append((float(x0), float(y0), float(x0 + w), float(y0 + h)))


def _separate(ax: Axes, texts: list[Text], keep_out: Sequence[Bbox], renderer: Any, rounds: int = 200) -> None:
    """Push apart, deterministically, any labels the greedy placement left overlapping (or left on a kept-out
    box): the later of a pair moves up or down by the overlap, towards the roomier side."""
    inv = ax.transData.inverted()
    frame = ax.get_window_extent(renderer)
    for _ in range(rounds):
        boxes = [t.get_window_extent(renderer) for t in texts]
        moved = False
        for j, b in enumerate(boxes):
            hit = next((a for i, a in enumerate(boxes) if i < j and a.overlaps(b)), None)
            hit = hit or next((k for k in keep_out if k.overlaps(b)), None)
            if hit is None:
                continue
            up = hit.y1 - b.y0 + 1.5
            down = b.y1 - hit.y0 + 1.5
            dy = up if (b.y1 + up < frame.y1 and (up <= down or b.y0 - down < frame.y0)) else -down
            x, y = ax.transData.transform(texts[j].get_position())
            texts[j].set_position(tuple(inv.transform((x, y + dy))))
            moved = True
            break
        if not moved:
            return


def _leader(ax: Axes, text: Text, anchor: Point, renderer: Any) -> None:
    """A thin line from the node to the nearest point of its label's box, when they are apart."""
    box = text.get_window_extent(renderer)
    ox, oy = ax.transData.transform(anchor)
    nx, ny = min(max(ox, box.x0), box.x1), min(max(oy, box.y0), box.y1)
    if math.hypot(nx - ox, ny - oy) < 6:
        return
    (lx, ly) = ax.transData.inverted().transform((nx, ny))
    ax.add_artist(Line2D([anchor[0], lx], [anchor[1], ly], color="#333", lw=0.6, zorder=4.2, label="leader"))


def _legend(fig: Figure, ax: Axes, network: Network, utilisation: Mapping[str, float] | None, cmap: Any,
            bind: Marked, hot: Marked, bottleneck: tuple[str, str] | None) -> None:
    handles: list[Line2D] = []
    if utilisation is None:
        handles += [Line2D([], [], color=hue, lw=3, label=c) for c, hue in CARRIER_COLOURS.items()
                    if network.carrier_links(c)]
    else:
        handles.append(Line2D([], [], color="#9a9a9a", lw=3, label="not simulated"))
    handles.append(Line2D([], [], color="#888", lw=1.2, ls="dotted", label="not built (0 capacity)"))
    handles.append(Line2D([], [], color="#555", lw=0.8, label="thin ... thick: √(capacity / largest of its carrier)"))
    if bind.links or bind.nodes:
        handles.append(Line2D([], [], color="black", lw=4,
                              label="binding in the optimiser (outline; square at a node)"))
    if bottleneck is not None and (hot.links or hot.nodes):
        handles.append(Line2D([], [], color=BOTTLENECK, lw=7, alpha=0.45,
                              label=f"simulation's bottleneck: {bottleneck[1]} (halo; ring at a node)"))
    box = ax.get_position()
    below = 0.3 / fig.get_size_inches()[1]  # clear of the longitude labels
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(box.x0, box.y0 - below), ncol=3, fontsize=7,
               frameon=False)
    if utilisation is not None:
        cax = fig.add_axes((box.x1 + 0.012, box.y0 + box.height * 0.15, 0.012, box.height * 0.7))
        sm = ScalarMappable(cmap=cmap, norm=Normalize(0, 1))
        fig.colorbar(sm, cax=cax, label="simulated utilisation")
        cax.tick_params(labelsize=7)
