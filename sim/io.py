"""Writing outputs so that nothing is ever lost.

- A file is written whole or not at all: to a temporary file beside it, flushed to disk, then
  renamed over the old one in one step (`write_text`, `write_bytes`, `atomic_path`).
- A report or sweep folder is built in a staging folder beside it and swapped in whole
  (`staged_folder`). An existing folder is replaced only when it is provably one of ours: empty,
  or holding a `manifest.json` that names corridor. Never a file, a symlink, `.`, `..`, a
  folder of somebody else's, or the folder the command runs in (or one above it).
- Staging folders left by a killed process are removed the next time the same folder is written.
- Files and folders get the permissions the user's umask gives (0644 and 0755 as usual), not the
  private 0600/0700 of temporary files.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.errors import CorridorError

MANIFEST = "manifest.json"
log = logging.getLogger("corridor.io")
_STAGING = re.compile(r"^\.(?P<name>.+)\.(staging|old)-(?P<pid>\d+)(\.[^.]*)?$")


@functools.cache
def umask() -> int:
    """The process's umask (read once: reading it means setting it for an instant)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and an atomic rename."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary file beside `path` for a writer to fill; when the block ends without an
    error it is flushed to disk and renamed over `path` in one step, otherwise it is removed."""
    path = Path(path)
    make_folder(path.parent)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o666 & ~umask())
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.debug("wrote %s", path)


def make_folder(folder: Path) -> None:
    """Create `folder` and its parents; an I/O failure is the user's to fix, with the path named."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CorridorError(f"{folder}: exists and is not a folder") from None
    except OSError as exc:
        raise CorridorError(f"{folder}: cannot create the folder ({exc.strerror})") from None


def is_ours(folder: Path) -> bool:
    """An empty folder, or one whose manifest.json says corridor wrote it."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    if not any(folder.iterdir()):
        return True
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "corridor" in manifest


def check_place(final: Path) -> None:
    """Refuse an output folder by where it is, whatever it holds: `.`, `..`, the working folder or
    one above it."""
    final = Path(final)
    if final.name in ("", ".", ".."):
        raise CorridorError(f"{final}: not an output folder; name a new or corridor-written folder")
    here = Path.cwd().resolve()
    where = final.resolve()
    if where == here or where in here.parents:
        raise CorridorError(f"{final}: is the working folder or one above it; choose a folder inside it")


def check_replaceable(final: Path) -> None:
    """Refuse, with the reason, an output folder that writing there could destroy."""
    final = Path(final)
    if final.is_symlink():
        raise CorridorError(f"{final}: is a symbolic link; corridor replaces only its own folders")
    if final.exists() and not final.is_dir():
        raise CorridorError(f"{final}: exists and is not a folder; choose another output folder")
    check_place(final)
    if final.exists() and not is_ours(final):
        raise CorridorError(f"{final}: exists, is not empty and was not written by corridor (no {MANIFEST} "
                            "of ours); choose another output folder or empty it first")


def remove_stale_staging(final: Path) -> None:
    """Remove staging folders beside `final` whose process is no longer alive."""
    parent = final.parent
    if not parent.is_dir():
        return
    for sibling in parent.iterdir():
        match = _STAGING.match(sibling.name)
        if match is None or match["name"] != final.name or not sibling.is_dir() or sibling.is_symlink():
            continue
        if not _alive(int(match["pid"])):
            shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces `final` whole, on error it goes.

    `final` must be new, empty, or a folder corridor wrote (`check_replaceable`).
    """
    final = Path(final)
    check_replaceable(final)
    make_folder(final.parent)
    remove_stale_staging(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-{os.getpid()}.", dir=final.parent))
    try:
        os.chmod(staging, 0o777 & ~umask())
        yield staging
        check_replaceable(final)  # it may have changed while the run was going on
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    log.info("%s %s", "replaced" if old is not None else "wrote", final)


SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def results_folder(name: str, *parts: str) -> Path:
    """The default output folder of a scenario, `results/<name>/...`; the name must be a slug so
    that the folder stays under `results/`."""
    if not SLUG.fullmatch(name) or ".." in name:
        raise CorridorError(f"scenario name {name!r}: expected a slug (letters, digits, '.', '_', '-'; "
                            "starting with a letter or digit) so that its folder stays under results/")
    return Path("results", name, *parts)


def read_manifest(path: Path, kind: str, remedy: str) -> dict[str, Any]:
    """A resumable folder's manifest (a JSON object), or CorridorError naming the file, what is
    wrong with it and `remedy` (what the user can do)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorridorError(f"{path}: cannot read the {kind}'s manifest ({exc}); {remedy}") from None
    if not isinstance(data, dict):
        raise CorridorError(f"{path}: not a {kind} manifest; {remedy}")
    return data
