"""Hostile verdict settings: a required probability outside (0, 1] or not a share is refused with
its key path (and line, in a file), before anything is written."""

from __future__ import annotations

import pytest
from support import FAST, MINIMAL


@pytest.mark.parametrize(("setting", "place"), [
    ("verdicts.probability=0", "verdicts.probability"),
    ("verdicts.probability=-10 %", "verdicts.probability"),
    ("verdicts.probability=1.5", "verdicts.probability"),
    ("targets.t.probability=150 %", "targets.t.probability"),
    ("targets.t.probability=2 GW", "targets.t.probability"),
    ("targets.t.probability=likely", "targets.t.probability"),
    ("targets.t.probability=[0.9]", "targets.t.probability"),
    ("verdicts.chance=0.9", "verdicts.chance"),
])
def test_a_probability_that_is_not_a_share_in_0_1_is_refused(refused, setting, place):
    refused("run", MINIMAL, *FAST, "--set", setting, "-o", "out", place=place)


def test_a_bad_probability_in_a_file_names_its_line(refused, workdir):
    (workdir / "child.yaml").write_text(f"extends: {MINIMAL}\nverdicts:\n  probability: 0 %\n"
                                        "targets:\n  t: {probability: true}\n")
    result = refused("run", "child.yaml", *FAST, "-o", "out", place="child.yaml:3: verdicts.probability")
    assert "child.yaml:5: targets.t.probability" in result.output
