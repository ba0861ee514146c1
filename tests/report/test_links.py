"""Clickable sources in report.html (`sim.report.page`): a source whose description holds a web
address is a link opening in a new tab without access to the report; nothing else becomes one."""

from __future__ import annotations

from html.parser import HTMLParser

from sim.report.page import linked, source_link
from sim.scenario.sources import describe, reference_rows


class Anchors(HTMLParser):
    """Every <a> of a page: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open, self._text = dict(attrs), ""

    def handle_data(self, data):
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.found.append((self._open, self._text))
            self._open = None


def anchors(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = Anchors()
    parser.feed(html)
    return parser.found


def test_each_url_in_a_description_is_a_link_and_the_rest_stays_text():
    text = "Ferries: 13 (https://example.org/a?x=1&y=2); see https://example.org/b. <b>not bold</b>"
    html = linked(text)
    found = anchors(html)
    assert [(a["href"], t) for a, t in found] == [("https://example.org/a?x=1&y=2", "https://example.org/a?x=1&y=2"),
                                                  ("https://example.org/b", "https://example.org/b")]
    assert all(a["target"] == "_blank" and "noopener" in (a["rel"] or "").split() for a, _ in found)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html and "(<a " in html and "</a>); see" in html


def test_a_source_id_links_to_its_first_address_when_it_has_one():
    description = describe("s3_059")  # a reference row with two addresses
    first = reference_rows()["s3_059"]["source"].split()[0]
    assert first.startswith("https://") and first in description
    [(attrs, text)] = anchors(source_link("s3_059", description))
    assert attrs["href"] == first and text == "s3_059" and attrs["target"] == "_blank"
    assert anchors(source_link("assumption", describe("assumption"))) == []
    assert source_link('"><script>', "no address") == "<code>&quot;&gt;&lt;script&gt;</code>"


def test_the_report_s_sources_section_lists_its_sources_as_links(runs):
    page = (runs[0].folder / "report.html").read_text()
    section = page.split("<h2>Sources behind the verdicts</h2>", 1)[1]
    found = anchors(section)
    ids = {text for _, text in found}
    with_url = {sid for sid, text in runs[0].data["sources"].items() if "http" in text}
    assert with_url and with_url <= ids
    assert all(a["target"] == "_blank" and "noopener" in (a["rel"] or "").split() for a, _ in found)
    assert all((a["href"] or "").startswith(("https://", "http://")) for a, _ in found)
