"""Helpers shared by test modules (importable as `support`: pytest puts tests/ on the path)."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
MINIMAL = SCENARIOS / "minimal.yaml"
FAST = ["--set", "simulation.horizon=40 d", "--set", "simulation.warmup=5 d", "-r", "1"]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder below `folder` with a hash of its bytes (folders and links marked)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a YAML document (mappings by key, lists by index), the root first."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from key_paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from key_paths(v, prefix + (i,))


def optimiser_scenario(name: str, *overrides: str) -> Any:
    """tests/scenarios/optimiser_<name>.yaml with `overrides` applied (a validated Scenario)."""
    from sim.scenario.loading import load_scenario

    return load_scenario(SCENARIOS / f"optimiser_{name}.yaml", list(overrides))


@contextmanager
def browser_page(chromium: str, url: str) -> Iterator[tuple[Any, list[str]]]:
    """A headless Chromium page at `url` (no network, no first-run), and the console and page
    errors it reports; the browser closes when the block ends."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        try:
            yield page, errors
        finally:
            browser.close()
