"""Where figures come from: the reference rows and article paragraphs in `seeds/`.

A figure's `source` is a reference row id (`s1_025`), an article paragraph (`article:P2`), an
observed outcome (`obs:o_baku_port_2022`, or one item of it, `obs:o_baku_port_2022.cargo`, from
`seeds/observed.yaml`: an input taken from an earlier year's outcome), or `assumption` (which
must say why in a `note`). Reports use `describe` to list the sources behind each verdict.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

from sim import bundled

ARTICLE = re.compile(r"^article:P[1-6]$")
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: ten times faster
OBSERVED = re.compile(r"^obs:(?P<row>[A-Za-z0-9_]+)(\.(?P<item>[A-Za-z0-9_]+))?$")


@functools.cache
def _seed(name: str) -> dict[str, dict[str, Any]]:
    """A YAML mapping from `seeds/`; empty when the seeds folder is not beside the package."""
    path = bundled.folder("seeds") / name
    if not path.is_file():
        return {}
    return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}


def reference_rows() -> dict[str, dict[str, Any]]:
    """The reference inputs by short row id (`s1_025`)."""
    return _seed("reference.yaml")


def observed_rows() -> dict[str, set[str]]:
    """The observed outcomes' row ids (`o_baku_port_2022`) with their item ids."""
    rows: Any = _seed("observed.yaml").get("observations") or []
    out: dict[str, set[str]] = {}
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, dict) and "id" in r:
            items = r.get("items") or []
            out[str(r["id"])] = {str(i.get("id")) for i in items if isinstance(i, dict)}
    return out


def check(found: list[tuple[tuple[Any, ...], Any]]) -> list[tuple[tuple[Any, ...], str]]:
    """Problems with the sources of the given (path, figure) pairs."""
    rows = reference_rows()
    out = []
    for path, fig in found:
        source = getattr(fig, "source", None)
        if source is None:
            continue
        if source == "assumption":
            if not getattr(fig, "note", None):
                out.append((path + ("note",), "an assumption needs a note saying why"))
        elif ARTICLE.match(source):
            continue
        elif (m := OBSERVED.match(source)) is not None:
            observed = observed_rows()
            if observed and (m["row"] not in observed or (m["item"] and m["item"] not in observed[m["row"]])):
                out.append((path + ("source",), f"no observed outcome {source!r} in seeds/observed.yaml "
                                                "(expected obs:<row> or obs:<row>.<item>)"))
        elif rows and source not in rows:
            import difflib

            hint = difflib.get_close_matches(source, list(rows), n=1)
            out.append((path + ("source",), f"no reference row {source!r}" +
                        (f"; did you mean {hint[0]!r}?" if hint else
                         " (expected a row id such as s1_025, article:P2, or assumption)")))
    return out


def describe(source: str) -> str:
    """One line saying what a source is, for reports."""
    if source == "assumption":
        return "assumption (see note)"
    if ARTICLE.match(source):
        return f"seed article, paragraph {source.split(':P')[1]}"
    if OBSERVED.match(source):
        return f"observed outcome {source.removeprefix('obs:')} (seeds/observed.yaml)"
    row = reference_rows().get(source)
    if not row:
        return source
    return f"{row['quantity']}: {row['value']} ({row['source'].split(' ; ')[0]})"
