"""The folder a calibration writes, and what makes a calibration the same one (so it may resume).

The folder holds `manifest.json` (corridor's marker), `calibrate.json` (the identity below), the
Optuna journal `study.journal` (every trial asked and told, appended as it happens) and, once the
trials are done, `calibrated.yaml`, `fit.md` and `fit.json`.

- A new calibration never mixes with an earlier one: its folder is created, or an earlier folder
  of corridor's replaced, whole (`sim.io.staged_folder`), holding the two manifests; the journal
  then grows in place, so a calibration stopped at any moment keeps every trial told.
- Running the same command again continues the study in the folder when its identity is the same:
  the backtest file, every scenario file read (with its hash), the observations file, the
  backtest's changes, seed, replications, batch size, the parameters and their ranges, and the
  items scored. Anything else is refused, naming what differs, before any work starts. The number
  of trials and the workers are not part of it: more trials continue the study, and the workers
  never change a result.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import CorridorError
from sim.io import MANIFEST as MARKER
from sim.io import check_place, check_replaceable, read_manifest, staged_folder, write_text
from sim.sweep.folder import marker
from sim.sweep.plan import changes, scenario_sources

if TYPE_CHECKING:
    from sim.backtest.spec import Backtest
    from sim.calibrate.parameters import Parameter

SCHEMA_VERSION = "1.0"
MANIFEST = "calibrate.json"
JOURNAL = "study.journal"
IDENTITY = ("backtest", "scenario", "sources", "observed", "overrides", "seed", "replications", "batch", "sampler",
            "parameters", "items")


def identity(bt: Backtest, params: list[Parameter], *, seed: int, replications: int, batch: int,
             sampler: str) -> dict[str, Any]:
    """Everything that fixes a calibration's trials (see the module docstring)."""
    from sim.scenario.loading import read_raw

    raw = read_raw(bt.scenario_path, bt.overrides)
    return {
        "schema_version": SCHEMA_VERSION,
        "backtest": {"name": bt.name, "file": bt.file, "sha256": _sha256(Path(bt.file))},
        "scenario": {"name": bt.scenario.name, "file": str(bt.scenario_path)},
        "sources": scenario_sources(raw.files, bt.scenario),
        "observed": {"file": bt.observed.file, "sha256": _sha256(Path(bt.observed.file))},
        "overrides": bt.overrides,
        "seed": seed, "replications": replications, "batch": batch, "sampler": sampler,
        "parameters": [p.describe() for p in params],
        "items": [i.ref for i in bt.items if i.scored],
    }


def continues(folder: Path, ident: dict[str, Any]) -> bool:
    """Whether the folder holds this calibration (True: continue it) or may be started fresh
    (False). Refuses (CorridorError, nothing written) a folder it may not write to, or one
    holding a different calibration."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if manifest.is_file() and not folder.is_symlink():
        check_place(folder)
        _check_same(folder, ident)
        return True
    check_replaceable(folder)
    return False


def start(folder: Path, ident: dict[str, Any]) -> None:
    """A fresh folder with the two manifests, swapped in whole (replacing an earlier folder of corridor's)."""
    with staged_folder(folder) as staging:
        write_text(staging / MARKER, json.dumps(marker("calibrate", MANIFEST), indent=1))
        write_text(staging / MANIFEST, json.dumps(ident, indent=1))


def check_unchanged(ident: dict[str, Any]) -> None:
    """Refuse to go on when a file the trials read has changed since the calibration began
    (its later trials would not belong with the earlier ones)."""
    files = [ident["backtest"], ident["observed"], *ident["sources"]]
    changed = [f["file"] for f in files if not Path(f["file"]).is_file() or _sha256(Path(f["file"])) != f["sha256"]]
    if changed:
        raise CorridorError(f"{', '.join(changed)} changed while calibrating: the trials so far used the file as it "
                            "was. Restore it and rerun the same command to continue, or choose another --out "
                            "to start over")


def _check_same(folder: Path, ident: dict[str, Any]) -> None:
    old = read_manifest(folder / MANIFEST, "calibration", "choose another --out, or delete the folder to start over")
    differ = [k for k in IDENTITY if old.get(k) != ident.get(k)]
    if differ:
        files = ("backtest", "observed")
        said = []
        for key in files:  # files: say which changed, not their hashes
            was, now = old.get(key), ident.get(key)
            if key in differ and isinstance(was, dict) and isinstance(now, dict):
                same = was.get("file") == now.get("file")
                said.append(f"{now.get('file')} changed since the calibration began" if same
                            else f"the {key} file was {was.get('file')}, now {now.get('file')}")
        others = [k for k in differ if k not in files]
        what = "; ".join(said + (changes(old, ident, others) if others else []))
        raise CorridorError(f"{folder} holds a different calibration ({', '.join(differ)} differ): {what}. "
                            "Only the same calibration continues there: choose another --out, or delete the "
                            "folder to start over")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
