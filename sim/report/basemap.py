"""The base map under the corridor: Natural Earth's land, borders, coastline and seas, shipped.

`sim/report/data/naturalearth.json` is a clip of Natural Earth's 1:10m Admin 0 countries (public
domain; attribution and version inside the file) for lon 15..120 °E, lat 25..58 °N, cut once by
`scripts/naturalearth_clip.py` and shipped in the wheel: nothing is downloaded. It is read with
`json` (`base_map`, once per process) and drawn with matplotlib (`draw_land`): the sea is the
axes' background, every country a filled polygon whose edges are the borders, the coastline one
line on top. The Caspian is sea because Natural Earth leaves it out of every country; lakes are
not in the clip. `BaseMap.country_at` finds the country under a point (even-odd ray casting over
each polygon's rings), which the tests use to check that every place sits in its own country.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.text import Text

Point = tuple[float, float]
Ring = tuple[Point, ...]
Extent = tuple[float, float, float, float]  # lon min, lon max, lat min, lat max

SEA, LAND, BORDER, COAST = "#dbe9f6", "#f4f1ea", "#b5ad9c", "#6f93b8"
SEA_LABELS = {"Caspian Sea": (51.0, 42.0), "Black Sea": (33.5, 42.5), "Mediterranean Sea": (30.0, 34.0),
              "Aral Sea": (59.5, 45.2), "Persian Gulf": (51.5, 27.0)}


@dataclass(frozen=True)
class Country:
    """A country of the base map: its polygons, each an exterior ring followed by its holes."""

    name: str
    iso_a2: str | None
    label: Point
    polygons: tuple[tuple[Ring, ...], ...]

    def contains(self, lon: float, lat: float) -> bool:
        """Whether the point is on this country's land (even-odd rule: inside the exterior, not
        in a hole)."""
        return any(sum(_crosses(lon, lat, ring) for ring in rings) % 2 == 1 for rings in self.polygons)


@dataclass(frozen=True)
class BaseMap:
    countries: tuple[Country, ...]
    coastline: tuple[Ring, ...]
    attribution: str
    version: str
    clip_box: tuple[float, float, float, float]  # lon min, lat min, lon max, lat max

    def country_at(self, lon: float, lat: float) -> Country | None:
        """The country whose land holds the point; None at sea or outside the clip."""
        return next((c for c in self.countries if c.contains(lon, lat)), None)


def _crosses(x: float, y: float, ring: Ring) -> bool:
    """Whether a ray from (x, y) towards +x crosses `ring` an odd number of times."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _ring(coords: Sequence[Sequence[float]]) -> Ring:
    return tuple((float(x), float(y)) for x, y in coords)


@cache
def base_map() -> BaseMap:
    """The shipped Natural Earth clip (read once per process)."""
    text = resources.files("sim.report.data").joinpath("naturalearth.json").read_text(encoding="utf-8")
    data = json.loads(text)
    countries: list[Country] = []
    coast: list[Ring] = []
    for f in data["features"]:
        props, geometry = f["properties"], f["geometry"]
        if props["kind"] == "country":
            polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            countries.append(Country(props["name"], props.get("iso_a2"), (props["label"][0], props["label"][1]),
                                     tuple(tuple(_ring(r) for r in p) for p in polys)))
        elif props["kind"] == "coastline":
            lines = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
            coast.extend(_ring(line) for line in lines)
    box = data["source"]["clip_box"]
    return BaseMap(tuple(countries), tuple(coast), data["attribution"], data["source"]["version"],
                   (box[0], box[1], box[2], box[3]))


def draw_land(ax: Axes, extent: Extent, *, names: bool = True) -> list[Text]:
    """Sea, land, borders and coastline within `extent`; returns the place-name texts drawn
    (countries and seas), which labels of nodes should avoid."""
    base = base_map()
    ax.set_facecolor(SEA)
    x0, x1, y0, y1 = extent
    outlines, holes, coast = _bounded()
    # the caller frames the axes: the collections need not grow its data limits (a pass over every vertex)
    ax.add_collection(PolyCollection(_within(outlines, extent), facecolors=LAND, edgecolors=BORDER, linewidths=0.5,
                                     zorder=0.5), autolim=False)
    if inside := _within(holes, extent):
        ax.add_collection(PolyCollection(inside, facecolors=SEA, edgecolors=COAST, linewidths=0.5, zorder=0.6),
                          autolim=False)
    ax.add_collection(LineCollection(_within(coast, extent), colors=COAST, linewidths=0.7, zorder=0.7), autolim=False)
    texts: list[Text] = []
    if not names:
        return texts
    for c in base.countries:
        lon, lat = c.label
        if x0 + 1 < lon < x1 - 1 and y0 + 0.5 < lat < y1 - 0.5:
            texts.append(ax.text(lon, lat, c.name.upper(), fontsize=6.5, color="#a39c8c", ha="center",
                                 va="center", zorder=0.8))
    for sea, (lon, lat) in SEA_LABELS.items():
        if x0 + 1 < lon < x1 - 1 and y0 + 0.5 < lat < y1 - 0.5:
            texts.append(ax.text(lon, lat, sea, fontsize=7, color="#5f88b0", style="italic", ha="center",
                                 va="center", zorder=0.8))
    return texts


Bounded = tuple[tuple[Ring, Extent], ...]  # rings with their lon min, lon max, lat min, lat max


@cache
def _bounded() -> tuple[Bounded, Bounded, Bounded]:
    """The base map's country outlines, holes and coastline, each ring with its extent (once per
    process: the main map and the inset draw from the same)."""
    def bounds(rings: Sequence[Ring]) -> Bounded:
        return tuple((r, (min(x for x, _ in r), max(x for x, _ in r), min(y for _, y in r), max(y for _, y in r)))
                     for r in rings)

    base = base_map()
    return (bounds([ring for c in base.countries for p in c.polygons for ring in p[:1]]),
            bounds([ring for c in base.countries for p in c.polygons for ring in p[1:]]),
            bounds(base.coastline))


def _within(rings: Bounded, extent: Extent) -> list[Ring]:
    """The rings that reach into `extent`."""
    return [r for r, (x0, x1, y0, y1) in rings
            if x0 <= extent[1] and x1 >= extent[0] and y0 <= extent[3] and y1 >= extent[2]]
