"""Building the optimiser's plan, asked for carelessly: `run --with-plan` and `sweep --replan` on a
scenario with nothing to build, a sweep file's `replan` that is not a yes or no, `--replan` with
`--find`, and a resume that would mix points simulated as written with points built by the plan.
Each is refused (exit 2, the place named, the disk unchanged)."""

from __future__ import annotations

from support import MINIMAL, SCENARIOS

HONEST = SCENARIOS / "honest_power.yaml"


def test_with_plan_on_a_scenario_without_candidates(refused):
    result = refused("run", MINIMAL, "--with-plan", "-o", "r", place="--with-plan")
    assert "no expansions" in result.output


def test_replan_on_a_scenario_without_candidates(refused):
    result = refused("sweep", MINIMAL, "--vary", "fleets.ferries.vessels=8,9", "--replan", "-o", "s", "-q",
                     place="--replan")
    assert "no expansions" in result.output


def test_a_sweep_file_replan_that_is_not_yes_or_no(refused, workdir):
    (workdir / "s.yaml").write_text(f"scenario: {HONEST}\nvary:\n  links.cable.capacity: [1 GW]\nreplan: often\n")
    refused("sweep", "--file", workdir / "s.yaml", "-q", place="replan")


def test_replan_with_find(refused):
    refused("sweep", HONEST, "--vary", "links.cable.capacity=1 GW..2 GW", "--find", "links.cable.capacity",
            "--target", "firm", "--replan", "-o", "f", place="--replan")


def test_resume_with_a_different_replan_choice(corridor, refused, workdir):
    args = ["sweep", HONEST, "--vary", "links.cable.capacity=1 GW, 2 GW", "-r", "1", "--workers", "1", "-o", "s",
            "-q"]
    assert corridor(*args).exit_code == 0
    result = refused(*args, "--replan", "--resume", place="--replan")
    assert "different sweep" in result.output and "cannot be mixed" in result.output
    assert corridor(*args, "--resume").exit_code == 0  # the same choice continues
    assert corridor(*args, "--replan").exit_code == 0  # a fresh sweep (no --resume) starts over with the plan
    result = refused(*args, "--resume", place="--replan")
    assert "with --replan" in result.output
