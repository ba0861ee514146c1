"""A figure from a scenario file: its value in the canonical unit, its text, source and bound."""

from __future__ import annotations

import pytest

from sim.scenario.figure import Figure, fraction, parse_figure


def test_a_quantity_becomes_its_canonical_unit_and_keeps_its_text():
    f = parse_figure("1.5 kt/d", ("mass_rate",))
    assert f == Figure(pytest.approx(1.5 * 365.25 / 1000), "Mt/yr", "mass_rate", "1.5 kt/d")


def test_the_first_kind_that_fits_is_taken():
    assert parse_figure("2 GW", ("mass_rate", "power")).kind == "power"
    assert parse_figure("20 trains/d", ("mass_rate", "train_rate")).unit == "train/d"


def test_a_mapping_carries_source_and_note_and_writes_back_as_one():
    f = parse_figure({"value": "15 %", "source": "assumption", "note": "why"}, ("fraction",))
    assert (f.value, f.source, f.note) == (0.15, "assumption", "why")
    assert f.to_spec() == {"value": "15 %", "source": "assumption", "note": "why"}
    assert parse_figure("15 %", ("fraction",)).to_spec() == "15 %"


def test_counts_are_whole_numbers():
    assert parse_figure(13, ("count",)).to_spec() == 13
    with pytest.raises(ValueError, match="whole number"):
        parse_figure(2.5, ("count",))


@pytest.mark.parametrize("raw, kinds, minimum, words", [
    ("0 h", ("duration",), "positive", "must be > 0"),
    ("-1 t", ("mass",), "nonneg", "must be >= 0"),
    ("150 %", ("fraction",), "nonneg", "between 0 and 1"),
    ("3 km", ("mass_rate", "power"), "nonneg", "expected a quantity in Mt/yr or GW"),
    ("3 km", ("duration",), "nonneg", "expected a quantity in h"),
    ({"value": "1 t", "sauce": "x"}, ("mass",), "nonneg", "unknown key(s): sauce"),
    ({"value": "1 t", "source": 3}, ("mass",), "nonneg", "row id"),
    (True, ("mass",), "nonneg", "expected a quantity"),
    ("inf t", ("mass",), "nonneg", "finite"),
])
def test_bad_figures_say_what_is_wrong(raw, kinds, minimum, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_figure(raw, kinds, minimum)


def test_a_negative_figure_is_allowed_without_a_bound():
    assert parse_figure("-2 h", ("duration",), None).value == -2.0


def test_fraction_defaults_are_shares():
    assert fraction(0.95, "95 %") == parse_figure("95 %", ("fraction",))
