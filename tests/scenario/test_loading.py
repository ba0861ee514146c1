"""The loader: extends, overrides, and every class of bad input named by file, key path and line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.loading import load_scenario, read_raw, resolved_yaml
from support import key_paths


def test_minimal_loads_with_sources_kept(minimal):
    s = load_scenario(minimal)
    cap = s.nodes["a"].capacity
    assert (cap.value, cap.unit, cap.source) == (28, "train/d", "s3_059")
    assert s.targets["t"].value.source == "article:P2"
    assert s.fleets["ferries"].vessels.value == 13


def test_extends_merges_deeply_and_null_deletes(scenarios_dir):
    child = load_scenario(scenarios_dir / "child.yaml")
    assert child.name == "child"
    assert child.fleets["ferries"].vessels.value == 20
    assert child.fleets["ferries"].capacity.value == 54  # kept from the parent
    assert "pt" not in child.targets and "t" in child.targets


def test_overrides_take_units_and_replace_the_source(minimal):
    s = load_scenario(minimal, ["links.gd.capacity=4000 MW", "fleets.ferries.vessels=9"])
    assert s.links["gd"].capacity.value == pytest.approx(4.0)
    assert s.fleets["ferries"].vessels.value == 9 and s.fleets["ferries"].vessels.source is None


def test_resolved_scenario_loads_to_the_same_scenario(minimal, tmp_path):
    s = load_scenario(minimal)
    path = tmp_path / "resolved.yaml"
    path.write_text(resolved_yaml(s))
    again = load_scenario(path)
    assert again.model_dump() == s.model_dump()


def _write(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def _edit(minimal: Path, old: str, new: str) -> str:
    text = minimal.read_text()
    assert old in text
    return text.replace(old, new, 1)


# (edit to the minimal scenario, the key path and the words the message must contain)
BAD = {
    "unknown key": (("capacity: 20 trains/d", "capcity: 20 trains/d"), "links.ab.capcity", "did you mean 'capacity'"),
    "wrong unit": (("rate: 2.8 Mt/yr, consignment", "rate: 2.8 GW, consignment"), "flows.f.rate", "Mt/yr"),
    "dimension": (("length: 2500 km", "length: 2500 h"), "links.ab.length", "expected a quantity in km"),
    "dangling reference": (("to: b, mode: rail", "to: q, mode: rail"), "links.ab.to", "no node called 'q'"),
    "negative capacity": (("capacity: 1 GW", "capacity: -1 GW"), "links.gd.capacity", "must be >= 0"),
    "bad source": (("source: s2_045", "source: s2_0455"), "fleets.ferries.capacity.source", "no reference row"),
    "bad literal": (("mode: rail", "mode: rial"), "links.ab.mode", "did you mean 'rail'"),
    "dangling target flow": (("flows: [f]", "flows: [ff]"), "targets.t.flows[0]", "no flow called 'ff'"),
    "model rule": (("carrier: cargo, fleet", "carrier: power, fleet"), "links.bc.carrier", "cannot carry power"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_file_path_and_line(case, minimal, tmp_path, cli):
    (old, new), key_path, words = BAD[case]
    text = _edit(minimal, old, new)
    path = _write(tmp_path, text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if new in row)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert any(p.path and key_path == str(p).split(": ")[1] and p.line == line and words in p.message
               for p in info.value.problems), str(info.value)
    result = cli("validate", path)
    assert result.exit_code == 2
    assert f"{path}:{line}: {key_path}: " in result.output and words in result.output


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\xff\xfe", "binary"),
    (bytes(range(128, 256)), "not UTF-8"),
    (b"name: [unclosed\n  x: 1\n", "malformed YAML"),
    (b"- a\n- b\n", "expected a mapping"),
    (b"name: x\nname: y\n", "duplicate key"),
    (b"a: &x {b: 1}\nc:\n  <<: *x\n", "merge keys"),
])
def test_unreadable_files_exit_2_with_a_message(content, words, tmp_path, cli):
    path = _write(tmp_path, content)
    result = cli("validate", path)
    assert result.exit_code == 2
    assert str(path) in result.output and words in result.output


def test_malformed_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "name: x\ndescription: y\nnodes: {a: [1, 2}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].line == 3


def test_extends_loop_and_missing_parent(tmp_path):
    _write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError, match="extends loops"):
        load_scenario(tmp_path / "a.yaml")
    _write(tmp_path, "extends: nowhere.yaml\nname: c\n", "c.yaml")
    with pytest.raises(ScenarioError, match="no scenario file 'nowhere.yaml'"):
        load_scenario(tmp_path / "c.yaml")


def test_errors_in_a_parent_name_the_parent_file(scenarios_dir, tmp_path):
    parent = _write(tmp_path, (scenarios_dir / "minimal.yaml").read_text().replace("lat: 45,", "lat: 95,"),
                    "minimal.yaml")
    child = _write(tmp_path, (scenarios_dir / "child.yaml").read_text(), "child.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(parent) in str(info.value) and "nodes.a.lat" in str(info.value)


@pytest.mark.parametrize("override, words", [
    ("links.ab.capacity", "PATH=VALUE"),
    ("linkz.ab.capacity=3", "did you mean 'links'"),
    ("links.gd.capacity=4 Mt/yr", "capacity is in GW"),
])
def test_bad_overrides_exit_2(override, words, minimal, cli):
    result = cli("validate", minimal, "--set", override)
    assert result.exit_code == 2 and words in result.output and "--set" in result.output


def test_all_problems_are_listed_not_just_the_first(minimal, tmp_path):
    text = _edit(minimal, "to: b, mode: rail", "to: q, mode: rail")
    text = text.replace("destination: c", "destination: z")
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    assert len(info.value.problems) >= 2


# --- property: random edits never crash the loader with anything but a ScenarioError --------



SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["4 GW", "-3 Mt/yr", "0 h", "1e308 t", "12 trains/d", "nan GW", "3 %", "200 %",
                     "triangular", "a", "b", "ferries", "exponential", "1 /100km/yr", "inf h"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["dist", "mean", "value", "source", "x"]),
                                                 inner, max_size=3)), max_leaves=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_raise_only_scenario_errors(data, minimal):
    raw = read_raw(minimal).data
    paths = [p for p in key_paths(raw) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        node = raw
        for part in path[:-1]:
            node = node[part]
        if not isinstance(node, (dict, list)):
            continue
        if data.draw(st.booleans()) and isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = data.draw(VALUES)
        paths = [p for p in key_paths(raw) if p]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edited.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True))
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.problems and all(p.message for p in exc.problems)


def test_override_fills_a_section_the_file_leaves_to_defaults(minimal):
    s = load_scenario(minimal, ["simulation.replications=3", "optimiser.solver=cbc"])
    assert s.simulation.replications == 3 and s.optimiser.solver == "cbc"


def test_override_with_null_deletes_like_extends(minimal):
    s = load_scenario(minimal, ["targets.pt=null"])
    assert "pt" not in s.targets and "t" in s.targets
