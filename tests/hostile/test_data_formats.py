"""`--format parquet|netcdf` used carelessly: refused with the option named, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL


@pytest.mark.parametrize("fmt", ["xml", "parquet,netcdf", "NETCDF", ""])
def test_run_refuses_an_unknown_format(refused, fmt: str) -> None:
    refused("run", MINIMAL, "--out", "r", "--format", fmt, place="--format")


def test_compare_parquet_without_out_is_refused(refused, workdir: Path) -> None:
    (workdir / "a").mkdir()
    (workdir / "b").mkdir()
    refused("compare", "a", "b", "--format", "parquet", place="--out")


def test_compare_refuses_an_unknown_format(refused) -> None:
    refused("compare", "a", "b", "--format", "netcdf", "--out", "c.nc", place="--format")
