"""The command line is a thin layer: verbs exist, exit codes follow the contract."""

import subprocess
import sys

from sim import bundled


def test_python_dash_m_sim_is_the_corridor_command():
    result = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for verb in ("run", "optimise", "compare", "sweep", "validate", "scenarios", "show"):
        assert verb in result.stdout


def test_validate_ok(cli, minimal):
    result = cli("validate", minimal)
    assert result.exit_code == 0 and "ok" in result.output


def test_show_writes_a_png_map(cli, minimal, tmp_path):
    result = cli("show", minimal, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    png = (tmp_path / "map.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert "cargo" in result.output and "power" in result.output


def test_missing_file_is_bad_input(cli, tmp_path):
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "cannot read" in result.output


def test_bundled_scenarios_are_listed(cli):
    names = sorted(p.stem for p in bundled.scenarios())
    result = cli("scenarios")
    assert result.exit_code == 0
    assert all(name in result.output for name in names)



def test_a_message_without_a_place_has_no_stray_separator(cli, minimal):
    result = cli("optimise", minimal, "--solver", "gurobi")
    assert result.exit_code == 2
    assert "'gurobi' is not one of 'highs', 'cbc'" in result.output
    assert ": :" not in result.output


def test_markup_in_a_message_is_printed_as_text(cli, tmp_path):
    result = cli("validate", tmp_path / "[/x]missing.yaml")
    assert result.exit_code == 2
    assert "[/x]missing.yaml" in result.output


def test_version_and_short_help(cli):
    from sim import __version__

    assert cli("--version").output.strip() == f"corridor {__version__}"
    assert "Usage:" in cli("-h").output


def test_only_the_corridor_program_freezes_the_garbage_collectors_heap(cli, minimal, tmp_path):
    """`corridor run` keeps the collector off what it imported (`sim.cli.imported`); a command
    called in a longer-lived process (this test runner) freezes nothing, or what it held would
    never be collected."""
    import gc

    before = gc.get_freeze_count()
    assert cli("run", minimal, "-r", "1", "-q", "--no-plots", "--out", tmp_path / "a").exit_code == 0
    assert gc.get_freeze_count() == before
    code = ("import gc, sys\n"
            "from sim.cli import main\n"
            "sys.argv = ['corridor', *sys.argv[1:]]\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(gc.get_freeze_count())\n")
    done = subprocess.run([sys.executable, "-c", code, "run", str(minimal), "-r", "1", "-q", "--no-plots",
                           "--out", str(tmp_path / "b")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 10_000  # the imported heap
