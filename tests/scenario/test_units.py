import pytest

from sim.scenario import units


@pytest.mark.parametrize("text, kind, expected", [
    ("4 GW", "power", 4.0),
    ("4000 MW", "power", 4.0),
    ("1.5 Mt/yr", "mass_rate", 1.5),
    ("1500 kt/yr", "mass_rate", 1.5),
    ("400 Tbps", "data_rate", 400.0),
    ("0.4 Pbps", "data_rate", 400.0),
    ("20 h", "duration", 20.0),
    ("2 d", "duration", 48.0),
    ("380 km", "length", 380.0),
    ("3 %", "fraction", 0.03),
    ("28 trains/d", "train_rate", 28.0),
    ("2 bnUSD", "money", 2000.0),
])
def test_parses_to_canonical(text, kind, expected):
    assert units.to_canonical(text, kind) == pytest.approx(expected)


def test_per_hundred_km_means_per_hundred_km():
    # 0.1 failures per 100 km per year is 0.001 per km per year, not 0.001 km/yr
    assert units.to_canonical("0.1 /100km/yr", "frequency_per_length") == pytest.approx(0.001)
    assert units.to_canonical("0.1 /100 km/yr", "frequency_per_length") == pytest.approx(0.001)


def test_kilotonne_is_mass_and_knot_is_speed():
    assert units.to_canonical("500 kt", "mass") == 500_000
    assert units.to_canonical("10 kn", "speed") == pytest.approx(18.52)


@pytest.mark.parametrize("text, kind", [("4 GW", "mass_rate"), ("400 Tbps", "power"),
                                        ("20 km", "duration"), ("5 wagons", "mass")])
def test_wrong_dimension_names_both(text, kind):
    with pytest.raises(ValueError, match="expected a quantity in"):
        units.to_canonical(text, kind)


@pytest.mark.parametrize("text", ["", "four GW", "4 parsecs/fortnight/zorg", "GW GW", "1e999999 t", "nan t"])
def test_garbage_is_a_value_error(text):
    with pytest.raises(ValueError):
        units.to_canonical(text, "mass")
