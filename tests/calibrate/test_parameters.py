"""Marking a figure for calibration: the range in canonical units, its domain, round trip through the
resolved scenario, and a trial's overrides setting only the number."""

from __future__ import annotations

import pytest

from sim.calibrate.parameters import find_parameters, overrides
from sim.scenario.figure import parse_figure
from sim.scenario.loading import load_scenario, resolved_yaml


def marked(value: object, low: object, high: object, source: str = "assumption") -> dict[str, object]:
    return {"value": value, "source": source, "note": "why", "calibrate": {"range": [low, high]}}


def test_range_ends_are_converted_like_the_value():
    f = parse_figure(marked("0.6 Mt/yr", "300 kt/yr", "1.2 Mt/yr"), ("mass_rate",))
    assert f.calibrate == pytest.approx((0.3, 1.2))
    s = parse_figure(marked("35 %", "10 %", 0.5), ("fraction",))
    assert s.calibrate == (0.1, 0.5)
    assert parse_figure(marked(13, 8, 20), ("count",)).calibrate == (8.0, 20.0)


@pytest.mark.parametrize(("raw", "kinds", "words"), [
    (marked("50 %", 0.5, 1.5), ("fraction",), "range: must be a share between 0 and 1"),
    (marked("5 t", "-1 t", "10 t"), ("mass",), "range: must be >= 0"),
    (marked("5 t", "10 t", "10 t"), ("mass",), "range: expected low < high"),
    (marked("5 t", "10 t", "2 t"), ("mass",), "range: expected low < high"),
    (marked("5 t", "1 h", "10 t"), ("mass",), "range: expected a quantity in t"),
    (marked(13, 8, 20.5), ("count",), "whole number"),
    (marked(13, 8, 20, source="s2_042"), ("count",), "only an assumption is fitted.*source is s2_042"),
    ({"value": 13, "calibrate": {"range": [8, 20]}}, ("count",), "only an assumption.*no source"),
    ({"value": 13, "source": "assumption", "calibrate": [8, 20]}, ("count",), r"expected \{range: \[low, high\]\}"),
    ({"value": 13, "source": "assumption", "calibrate": {"range": [8]}}, ("count",), "range: expected"),
])
def test_bad_ranges_say_what_is_wrong(raw, kinds, words):
    with pytest.raises(ValueError, match=f"^calibrate: .*{words}"):
        parse_figure(raw, kinds)


def test_marked_figures_round_trip_and_become_overrides(tmp_path, scenario_text):
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text)
    s = load_scenario(path)
    params = find_parameters(s)
    assert [(p.name, p.low, p.high, p.start, p.integer) for p in params] == [
        ("payload.wagon", 30.0, 60.0, 55.0, False), ("fleets.ferries.vessels", 2.0, 6.0, 6.0, True)]
    again = tmp_path / "again.yaml"
    again.write_text(resolved_yaml(s))
    assert load_scenario(again) == s  # the range is written back and reads to the same figure
    sets = overrides(params, {"payload.wagon": 41.23456789, "fleets.ferries.vessels": 3.4})
    assert sets == ["payload.wagon.value=41.2346 t", "fleets.ferries.vessels.value=3"]
    trial = load_scenario(path, sets)
    assert trial.payload["wagon"].value == 41.2346 and trial.fleets["ferries"].vessels.value == 3
    assert trial.payload["wagon"].calibrate == (30.0, 60.0)  # source, note and range kept


def test_a_scenario_without_marks_has_no_parameters(minimal):
    assert find_parameters(load_scenario(minimal)) == []


ROUTES = "scenarios/baseline-2023.yaml"  # kz_export_europe: four routes with shares


def test_a_marked_route_share_leaves_the_rest_to_its_siblings_in_proportion():
    """Route shares sum to 1 in every trial: the fitted one is set, the others keep their ratio."""
    s = load_scenario(ROUTES)
    fid = "kz_export_europe"
    flow = s.flows[fid]
    first, *others = list(flow.routes or {})
    mark = f"flows.{fid}.routes.{first}.share={{value: {flow.routes[first].share.value}, source: assumption, " \
           f"note: why, calibrate: {{range: [0.1, 0.9]}}}}"
    (p,) = [q for q in find_parameters(load_scenario(ROUTES, [mark])) if q.name == f"flows.{fid}.routes.{first}.share"]
    texts = overrides([p], {p.name: 0.25})
    marked_scenario = load_scenario(ROUTES, [mark, *texts])  # validates: the shares sum to 1
    shares = {rid: r.share.value for rid, r in (marked_scenario.flows[fid].routes or {}).items()}
    assert shares[first] == 0.25 and sum(shares.values()) == pytest.approx(1, abs=1e-12)
    before = {rid: flow.routes[rid].share.value for rid in others}
    for a in others:
        for b in others:
            assert shares[a] * before[b] == pytest.approx(shares[b] * before[a])


def test_only_one_route_share_of_a_flow_may_be_marked():
    from sim.errors import CorridorError

    s = load_scenario(ROUTES)
    fid = "kz_export_europe"
    flow = s.flows[fid]
    a, b = list(flow.routes or {})[:2]
    marks = [f"flows.{fid}.routes.{r}.share={{value: {flow.routes[r].share.value}, source: assumption, note: why, "
             f"calibrate: {{range: [0.01, 0.99]}}}}" for r in (a, b)]
    with pytest.raises(CorridorError, match="only one route share of a flow may be fitted"):
        load_scenario(ROUTES, marks)
