"""The keys of the completed cargo model as a careless user writes them (a fleet's deck and home,
a flow's batch and empties, an assumed time's calibration scale): every bad value is refused with
exit 2, the file, line and key path named, and nothing written (`validate` and `run`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL

TEXT = MINIMAL.read_text()
FLEET = "    load: 12 h\n    unload: 12 h\nflows:\n"
FLOW = "  f: {carrier: cargo, origin: a, destination: c, rate: 2.8 Mt/yr, consignment: train}\n"


def with_fleet(line: str) -> str:
    """The minimal scenario with one more line in fleet `ferries`."""
    assert FLEET in TEXT
    return TEXT.replace(FLEET, f"    load: 12 h\n    unload: 12 h\n{line}\nflows:\n", 1)


def with_flow(keys: str) -> str:
    """The minimal scenario with keys added to flow f (written as a block, one key a line)."""
    assert FLOW in TEXT
    block = "  f:\n    carrier: cargo\n    origin: a\n    destination: c\n    rate: 2.8 Mt/yr\n" + keys
    return TEXT.replace(FLOW, block, 1)


def line_of(text: str, words: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if words in row)


# case -> (scenario text, the words on the named line, the key path named, words the message holds)
CASES: dict[str, tuple[str, str, str, str]] = {
    "a deck figure in the wrong unit": (with_fleet("    deck: {truck: 50 wagon}"), "deck:",
                                        "fleets.ferries.deck", "truck: expected a number of trucks"),
    "a deck in a unit without a payload": (with_fleet("    deck: {truck: 50 truck}"), "deck:",
                                           "fleets.ferries.deck.truck", "capacity in trucks needs payload.truck"),
    "a home port the fleet never calls at": (with_fleet("    home: a"), "home:", "fleets.ferries.home",
                                             "'a' is not a port this fleet's links call at"),
    "an owner that is not text": (with_fleet("    owner: {x: 1}"), "owner:", "fleets.ferries.owner", "owner"),
    "a batch of none": (with_flow("    consignment: train\n    batch: 0\n"), "batch:", "flows.f.batch",
                        "greater than or equal to 1"),
    "a batch of a million": (with_flow("    consignment: train\n    batch: 1000000\n"), "batch:",
                             "flows.f.batch", "less than or equal to 1000"),
    "empties as text": (with_flow("    empties: sometimes\n"), "empties:", "flows.f.empties", "empties"),
    "empties counted by a target": (with_flow("    empties: true\n"), "flows: [f]", "targets.t.flows[0]",
                                    "moves empties, which a cargo target does not count"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_fleet_or_flow_key_is_refused_at_its_line(refused, workdir: Path, case: str) -> None:
    text, words, path, message = CASES[case]
    (workdir / "s.yaml").write_text(text)
    result = refused("validate", "s.yaml", place=f"s.yaml:{line_of(text, words)}: {path}")
    assert message in result.output


SCALED = "    load: {dist: triangular, low: 8 h, mode: 12 h, high: 16 h, source: %s, note: why, %s}\n"


@pytest.mark.parametrize(("source", "extra", "message"), [
    ("s2_045", "calibrate: {scale: [0.5, 2]}", "only an assumption is fitted"),
    ("assumption", "calibrate: {scale: [2, 0.5]}", "expected low < high"),
    ("assumption", "scale: 3, calibrate: {scale: [0.5, 2]}", "outside its calibrate range"),
    ("assumption", "scale: -1", "scale: expected a positive number"),
])
def test_a_bad_time_scale_is_refused_at_its_line(refused, workdir: Path, source: str, extra: str,
                                                 message: str) -> None:
    text = TEXT.replace("    load: 12 h\n", SCALED % (source, extra), 1)
    (workdir / "s.yaml").write_text(text)
    result = refused("validate", "s.yaml", place=f"s.yaml:{line_of(text, '    load: {')}: fleets.ferries.load")
    assert message in result.output


def test_run_refuses_a_bad_deck_before_writing(refused, workdir: Path) -> None:
    (workdir / "s.yaml").write_text(with_fleet("    deck: {truck: 50 wagon}"))
    refused("run", "s.yaml", "-r", "1", "--out", "out", place="fleets.ferries")
    assert not (workdir / "out").exists()
