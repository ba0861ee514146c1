"""Background port traffic as a careless user writes it: every bad entry is refused with exit 2,
the file, line and key path named, and nothing written (`validate` and `run`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL

TEXT = MINIMAL.read_text()
BERTH = "        ferry: {count: 1, service: {dist: triangular, low: 6 h, mode: 8 h, high: 12 h}}\n"
ENTRY = {"berth": "ferry", "rate": "0.8 Mt/yr", "call": "5000 t", "direction": "out"}
PATH = "nodes.b.port.traffic.grain_export"


def scenario(**changes: str) -> str:
    """The minimal scenario with one background entry at port b, its keys changed by `changes`
    (one key a line, so each problem has a line of its own)."""
    entry = ENTRY | changes
    block = "      traffic:\n        grain_export:\n" + "".join(f"          {k}: {v}\n" for k, v in entry.items())
    assert BERTH in TEXT
    return TEXT.replace(BERTH, BERTH + block, 1)


def line_of(text: str, words: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if words in row)


# case -> (changed keys, the key on whose line the problem is named, words the message must hold)
CASES: dict[str, tuple[dict[str, str], str, str]] = {
    "a berth kind the port lacks": ({"berth": "grain"}, "berth", "port 'b' has no grain berth (it has: ferry)"),
    "a berth kind nobody has": ({"berth": "silo"}, "berth", "berth"),
    "a negative rate": ({"rate": "-0.8 Mt/yr"}, "rate", "must be >= 0"),
    "a rate in gigawatts": ({"rate": "1 GW"}, "rate", "rate"),
    "a rate that is not a number": ({"rate": ".nan"}, "rate", "rate"),
    "a call of 0 t": ({"call": "0 t"}, "call", "must be > 0"),
    "a call in hours": ({"call": "5 h"}, "call", "call"),
    "no direction": ({"direction": "sideways"}, "direction", "direction"),
    "eleven seasonal factors": ({"seasonality": "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"}, "seasonality",
                                "expected twelve non-negative monthly factors"),
    "a negative seasonal factor": ({"seasonality": "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1]"}, "seasonality",
                                   "expected twelve non-negative monthly factors"),
    "a yard dwell without a yard": ({"yard_dwell": "2 d"}, "yard_dwell", "port 'b' has no yard"),
    "a negative yard dwell": ({"yard_dwell": "-2 d"}, "yard_dwell", "yard_dwell"),
    "a misspelt key": ({"rat": "1 Mt/yr"}, "rat", "rat"),
    "a billion calls a year": ({"rate": "1000 Mt/yr", "call": "1 t"}, "rate", "1,000,000,000 calls a year"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_traffic_entry_is_refused_at_its_line(refused, workdir: Path, case: str) -> None:
    changes, key, words = CASES[case]
    text = scenario(**changes)
    (workdir / "s.yaml").write_text(text)
    result = refused("validate", "s.yaml", place=f"s.yaml:{line_of(text, f'          {key}: ')}: {PATH}.{key}")
    assert words in result.output


@pytest.mark.parametrize("case", ["a berth kind the port lacks", "a negative rate", "a call of 0 t"])
def test_run_refuses_a_bad_traffic_entry(refused, workdir: Path, case: str) -> None:
    changes, key, _ = CASES[case]
    text = scenario(**changes)
    (workdir / "s.yaml").write_text(text)
    refused("run", "s.yaml", "--out", "r", place=f"s.yaml:{line_of(text, f'          {key}: ')}: {PATH}.{key}")


def test_a_bad_override_of_an_entry_is_refused(refused) -> None:
    refused("validate", MINIMAL, "--set", "nodes.b.port.traffic={x: {berth: dry, rate: 1 Mt/yr, call: 1 t, "
            "direction: in}}", place="nodes.b.port.traffic.x.berth: port 'b' has no dry berth")


def test_a_good_entry_is_accepted(corridor, workdir: Path) -> None:
    (workdir / "s.yaml").write_text(scenario(seasonality="[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]",
                                             description="grain for Iran"))
    result = corridor("validate", "s.yaml")
    assert result.exit_code == 0, result.output
