"""The folder a sweep (or a threshold search) writes: checked before anything is written, started
fresh in one step, continued only when it holds the same sweep.

- A new sweep never mixes with an earlier one: its folder is created, or an earlier folder of
  corridor's replaced, whole (`sim.io.staged_folder`), holding the sweep's manifests and an empty
  log. Points are then appended to that log in place, so a sweep stopped at any moment leaves a
  valid log that `--resume` continues.
- A folder that is not provably corridor's (a user's non-empty folder, a file, a symbolic link,
  `.`, `..`, the working folder) is never written to: refused before any work starts.
- `--resume` continues a folder only if its manifest names the same sweep (`plan.check_same`);
  a resume with nothing to continue starts fresh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.io import MANIFEST as MARKER
from sim.io import check_place, check_replaceable, staged_folder, write_text
from sim.sweep.plan import IDENTITY, check_same
from sim.sweep.points import LOG


def marker(kind: str, manifest: str) -> dict[str, Any]:
    """`manifest.json`: what makes the folder provably corridor's (`sim.io.is_ours`)."""
    from sim import __version__

    return {"corridor": __version__, "kind": kind, "manifest": manifest}


def continues(folder: Path, resume: bool, identity: dict[str, Any], manifest: str,
              keys: tuple[str, ...] = IDENTITY) -> bool:
    """Whether the run continues the sweep already in `folder` (True) or starts it fresh (False).
    Refuses (CorridorError, nothing written) a folder it may not write to, or a resume of a
    different sweep."""
    folder = Path(folder)
    if resume and (folder / manifest).is_file() and not folder.is_symlink():
        check_place(folder)
        check_same(folder, identity, manifest, keys)
        return True
    check_replaceable(folder)
    return False


def start(folder: Path, continuing: bool, kind: str, manifest: str, identity: dict[str, Any]) -> None:
    """Write the folder's manifests: in place when continuing, else as a fresh folder swapped in whole
    (replacing an earlier folder of corridor's) with an empty log."""
    files = {MARKER: json.dumps(marker(kind, manifest), indent=1), manifest: json.dumps(identity, indent=1)}
    if continuing:
        for name, text in files.items():
            write_text(folder / name, text)
        return
    with staged_folder(folder) as staging:
        for name, text in files.items():
            write_text(staging / name, text)
        (staging / LOG).write_bytes(b"")
