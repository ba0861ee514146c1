"""The product as a user installs it: a wheel built from the checkout, installed (not editable)
into a fresh virtual environment, run from an empty folder far from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel; its dependencies are borrowed from this interpreter's
    site-packages (a .pth line) so the test needs no network and no second copy of NumPy."""
    base = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                  "-w", str(base / "dist"), str(ROOT)], cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("corridor-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=base).stdout.strip())
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                      str(wheel)], cwd=base)
    assert installed.returncode == 0, installed.stderr
    return env_dir


def _corridor(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return _run([str(env_dir / "bin" / "python"), "-m", "sim", *args], cwd=cwd, env=env)


def test_the_wheel_carries_its_scenarios_and_seeds(installed: Path, tmp_path: Path) -> None:
    where = _run([str(installed / "bin" / "python"), "-c", "import sim, sim.bundled as b; "
                  "print(sim.__file__); print(b.folder('scenarios')); print(b.folder('seeds'))"], cwd=tmp_path)
    package, scenarios, seeds = where.stdout.split()
    assert str(installed) in package and str(ROOT) not in package  # the wheel's copy, not the checkout
    assert str(ROOT) not in scenarios and str(ROOT) not in seeds
    assert Path(scenarios).joinpath("baseline-2023.yaml").is_file()
    assert Path(seeds).joinpath("reference.yaml").is_file()


def test_an_installed_corridor_lists_and_runs_a_bundled_scenario(installed: Path, tmp_path: Path) -> None:
    listed = _corridor(installed, "scenarios", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    for name in ("baseline-2023", "plan-2024", "targets-2030"):
        assert name in listed.stdout
    ran = _corridor(installed, "run", "baseline-2023", "-r", "2", "--quiet", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "results" / "baseline-2023" / "report.json").is_file()


def test_source_checking_is_on_in_the_installed_product(installed: Path, tmp_path: Path) -> None:
    """A figure citing a reference row that does not exist is refused, so the seeds were found."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline-2023.yaml\n")
    src = _run([str(installed / "bin" / "python"), "-c",
                "import sim.bundled as b; print(b.scenario('baseline-2023'))"], cwd=tmp_path).stdout.strip()
    text = Path(src).read_text().replace("source: s1_025", "source: s9_999", 1)
    assert "s9_999" in text
    bad.write_text(text)
    checked = _corridor(installed, "validate", str(bad), cwd=tmp_path)
    assert checked.returncode == 2
    assert "s9_999" in checked.stderr


def test_version_is_one_figure(installed: Path, tmp_path: Path) -> None:
    shown = _corridor(installed, "--version", cwd=tmp_path)
    import sim

    assert shown.stdout.strip() == f"corridor {sim.__version__}"


def test_the_wheel_carries_the_natural_earth_base_map(installed: Path, tmp_path: Path) -> None:
    """The map's land and borders come from the installed package's data, not the checkout."""
    code = ("import sim.report.basemap as b; c = b.base_map().country_at(108.94, 34.34); "
            "print(c.iso_a2, b.base_map().version)")
    where = _run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path,
                 env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")})
    assert where.returncode == 0, where.stderr
    iso, version = where.stdout.split()
    assert iso == "CN" and version.count(".") >= 1
