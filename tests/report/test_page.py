"""Self-contained HTML pages: escaped titles and headers, right-aligned numbers, inline pictures."""

from __future__ import annotations

import base64
import re

from sim.report.page import figure, image, markdown_table, page, table


def test_a_page_is_one_document_with_its_title_escaped():
    html = page("A & B <test>", ["<p>one</p>", "<p>two</p>"])
    assert html.startswith("<!doctype html>") and html.endswith("</html>\n")
    assert "<title>A &amp; B &lt;test&gt;</title>" in html
    assert html.index("<p>one</p>") < html.index("<p>two</p>")
    assert "<style>" in html and "http" not in html


def test_a_table_escapes_its_head_and_aligns_numeric_columns():
    html = table(["name", "a<b"], [["x", "1.5"], ["y", "2"]], frozenset({1}))
    assert "<th>a&lt;b</th>" in html
    assert html.count('<td class="num">') == 2 and html.count("<td>") == 2
    assert html.count("<tr>") == 3


def test_pictures_are_inlined_byte_for_byte():
    png = b"\x89PNG\r\n\x1a\n fake"
    src = re.search(r'src="data:image/png;base64,([^"]+)"', image(png, "alt")).group(1)
    assert base64.b64decode(src) == png
    assert "<figcaption class=meta>caption &amp; more</figcaption>" in figure(png, "caption & more")


def test_a_markdown_table_has_its_head_a_rule_and_one_line_per_row():
    assert markdown_table(["a", "b"], [["1", "2"], ["x", "y"]]) == ["| a | b |", "|---|---|", "| 1 | 2 |", "| x | y |"]
    assert markdown_table(["only"], []) == ["| only |", "|---|"]
