"""Where figures come from: reference rows, article paragraphs and assumptions with a note."""

from __future__ import annotations

from sim.scenario import sources
from sim.scenario.figure import Figure


def fig(source: str | None, note: str | None = None) -> Figure:
    return Figure(1.0, "t", "mass", "1 t", source, note)


def test_known_rows_articles_and_explained_assumptions_pass():
    row = next(iter(sources.reference_rows()))
    found = [(("a",), fig(row)), (("b",), fig("article:P2")), (("c",), fig("assumption", "why")), (("d",), fig(None))]
    assert sources.check(found) == []


def test_an_assumption_needs_a_note_and_an_unknown_row_is_named():
    problems = dict(sources.check([(("a",), fig("assumption")), (("b",), fig("s1_0255"))]))
    assert problems[("a", "note")] == "an assumption needs a note saying why"
    assert "no reference row 's1_0255'" in problems[("b", "source")]
    assert sources.check([(("c",), fig("article:P9"))]) != []  # the article has paragraphs 1 to 6


def test_describe_says_what_a_source_is():
    assert sources.describe("article:P3") == "seed article, paragraph 3"
    assert sources.describe("assumption") == "assumption (see note)"
    row_id, row = next(iter(sources.reference_rows().items()))
    assert sources.describe(row_id).startswith(f"{row['quantity']}: {row['value']}")
    assert sources.describe("nowhere") == "nowhere"


def test_an_observed_outcome_is_a_source_by_row_or_item():
    good = [(("a",), fig("obs:o_baku_port_2022")), (("b",), fig("obs:o_baku_port_2022.cargo"))]
    assert sources.check(good) == []
    bad = [(("a",), fig("obs:o_baku_port_2099")), (("b",), fig("obs:o_baku_port_2022.tonnes"))]
    problems = dict(sources.check(bad))
    assert "no observed outcome 'obs:o_baku_port_2099'" in problems[("a", "source")]
    assert "no observed outcome 'obs:o_baku_port_2022.tonnes'" in problems[("b", "source")]
    described = sources.describe("obs:o_baku_port_2022.cargo")
    assert described == "observed outcome o_baku_port_2022.cargo (seeds/observed.yaml)"
