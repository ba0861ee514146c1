"""Self-contained HTML pages (report.html, sweep.html, compare's HTML): one stylesheet, tables,
pictures inlined as base64 PNG, so a page opens anywhere without a network or its folder; and the
Markdown table every `.md` page uses.

Cell text is HTML: callers escape what they did not write themselves (`html.escape`). Text that
names web pages (a source's description) goes through `linked`, which escapes it and makes each
URL a link opening in a new tab (`rel=noopener`); `source_link` makes a source id a link to the
first URL of its description. Links are the only `http` in a page: nothing is loaded from them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from html import escape

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1000px;margin:2em auto;
padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.6em 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.3em .5em;text-align:left}th{background:#f6f6f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}.met{color:#17803d;font-weight:600}
.unmet{color:#c0262d;font-weight:600}.risk{color:#a35200;font-weight:600}.met,.unmet,.risk{white-space:nowrap}
img{max-width:100%;height:auto;display:block;margin:.5em 0}
code{background:#f4f4f4;padding:0 .2em}
.meta{color:#666;font-size:.85em}@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}
img{page-break-inside:avoid}}
"""


def page(title: str, body: Iterable[str]) -> str:
    """A whole HTML document: `title` (plain text) in the head, the `body` parts one per line."""
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table: `head` as plain text, `rows` as HTML cells; columns in `numeric` align right."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


URL = re.compile(r"https?://[^\s<>\"';)]+[^\s<>\"';),.]")  # a web address in running text
VERDICT_CLASS = {"met": "met", "at risk": "risk", "not met": "unmet"}
VERDICT_TEXT = {"met": "met", "at risk": "at risk", "not met": "NOT met"}


def verdict(v: str) -> str:
    """A target's verdict ("met", "at risk", "not met") as a coloured span."""
    return f'<span class="{VERDICT_CLASS[v]}">{VERDICT_TEXT[v]}</span>'


def link(url: str, text: str) -> str:
    """A link to `url` showing `text` (plain), opened in a new tab without access to this page."""
    return f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">{escape(text)}</a>'


def linked(text: str) -> str:
    """Plain `text` as HTML with each URL in it a link."""
    out, end = [], 0
    for m in URL.finditer(text):
        out += [escape(text[end:m.start()]), link(m.group(), m.group())]
        end = m.end()
    return "".join(out) + escape(text[end:])


def source_link(sid: str, description: str) -> str:
    """A source id as code, a link to the first URL in its description when it has one."""
    m = URL.search(description)
    code = f"<code>{escape(sid)}</code>"
    if m is None:
        return code
    return (f'<a href="{escape(m.group())}" target="_blank" rel="noopener noreferrer">{code}</a>')


def markdown_table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table's lines: the head, the rule under it, one line per row (cells as given)."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def image(png: bytes, alt: str) -> str:
    """A PNG inlined as a data URI."""
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def figure(png: bytes, caption: str) -> str:
    """A PNG inlined with its caption below it."""
    return f"<figure>{image(png, caption)}<figcaption class=meta>{escape(caption)}</figcaption></figure>"
