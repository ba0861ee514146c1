"""The hostile-input suite: the command line used as a careless or hostile user would.

Every case asserts the promises of README "How it is checked": a refused command exits 2 with
the place named and changes nothing on disk; nothing ends in a traceback or exit 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from pathlib import Path

import pytest
from support import snapshot
from typer.testing import CliRunner

Result = Any  # typer.testing's result
Invoke = Callable[..., Result]


@pytest.fixture
def corridor() -> Invoke:
    """Run `corridor ARGS...` in-process; a traceback or exit 1 fails the test at once."""
    from sim.cli import app

    runner = CliRunner()

    def invoke(*args: object) -> Result:
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code not in (1,), f"exit 1 (internal error):\n{result.output}"
        assert "Traceback" not in result.output, result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder for the command, with a user's earlier work in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.docx").write_text("years of work")
    return tmp_path


@pytest.fixture
def refused(corridor: Invoke, workdir: Path) -> Callable[..., Result]:
    """Assert a command is refused with exit 2, the message naming `place`, and the disk unchanged."""

    def check(*args: object, place: str | None = None) -> Result:
        before = snapshot(workdir)
        result = corridor(*args)
        assert result.exit_code == 2, f"exit {result.exit_code}, expected 2:\n{result.output}"
        if place is not None:
            assert place in result.output, f"{place!r} not named in:\n{result.output}"
        assert snapshot(workdir) == before, "a refused command changed the disk"
        return result

    return check
