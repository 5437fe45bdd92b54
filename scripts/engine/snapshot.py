"""A no-op build in milliseconds: remember that everything was fresh, and the file stats that said so.

Checking that every job is fresh means tracing each script's imports, hashing sources, inputs and outputs
and reading library versions: most of a no-op build's cost. When a full check finds every job fresh, the
engine writes `.cache/fresh.json` with the stat (mtime in ns, size, inode) of every file that check read —
sources, declared inputs, outputs, declarations, the manifest — and of every folder under `scripts/` and
`docs/` (a new module or notebook changes its folder), the library folders (installing or removing a
package changes them) and the runner's settings. The next check stats those paths and, if nothing moved,
skips the full check.

Like git's index, it guards against "racy" files: a file modified within `RACY_SECONDS` of the snapshot
could change again within the same timestamp tick, so such a snapshot is not trusted and the next check is
a full one. Anything that does not match means a full check — the snapshot can only skip work, never decide
that something stale is fresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import site
import sys
import sysconfig
import time

from scripts.engine import paths, runtime
from scripts.engine.filecache import RACY_SECONDS

VERSION = 1


def library_folders() -> list[str]:
    """Where packages are installed: installing, upgrading or removing one changes these folders' stats."""
    return [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if os.path.isdir(p)]


def stat(path: str) -> list[int] | None:
    """The stats that say a file or folder is unchanged: mtime in ns, size, inode (None if it is gone)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _folders(root: pathlib.Path, tops: tuple[str, ...] = ("scripts", "docs", "figures")) -> list[str]:
    out = []
    for top in tops:
        for dirpath, dirnames, _ in os.walk(root / top):
            dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
            out.append(dirpath)
    return out + library_folders()


def _key() -> dict:
    return {"version": VERSION, "python": sys.version, "runtime": runtime.fingerprint_settings()}


def save(path: pathlib.Path, root: pathlib.Path, files: set[str]) -> None:
    """Record that every job was fresh, with the stats of `files` (absolute paths) and of the folders."""
    stats = {p: stat(p) for p in sorted(set(files) | set(_folders(root)))}
    newest = max((s[0] for s in stats.values() if s), default=0) / 1e9
    if time.time() - newest < RACY_SECONDS:
        path.unlink(missing_ok=True)  # racy: a file could still change within its timestamp tick
        return
    paths.atomic_write(path, json.dumps({"key": _key(), "stats": stats}, separators=(",", ":")))


def still_fresh(path: pathlib.Path, root: pathlib.Path) -> bool:
    """True if the last full check found everything fresh and no recorded path has changed since."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if data.get("key") != _key():
        return False
    stats = data["stats"]
    if set(_folders(root)) - set(stats):  # a new folder
        return False
    return all(stat(p) == s for p, s in stats.items())


# -- one job at a time (the engine keeps these in memory for the life of the process, e.g. `mkdocs serve`) ------

def folders_stamp(root: pathlib.Path) -> str:
    """The stats of the code's folders (a new module can change what an import resolves to) and the library
    folders, and the runner's settings, as one id. Not figures/: every build that installs a figure rewrites the
    manifest there, and declarations are compared job by job."""
    stats = {p: stat(p) for p in _folders(root, ("scripts", "docs"))}
    return hashlib.sha256(json.dumps([_key(), stats], sort_keys=True).encode()).hexdigest()


def file_stats(files: list[pathlib.Path]) -> dict[str, list[int] | None] | None:
    """The stats of `files` (folders: of every file under them), or None if one was modified within
    RACY_SECONDS: such stats cannot vouch for the content (see the module docstring)."""
    stats = {str(x): stat(str(x)) for f in files for x in (f, *(f.rglob("*") if f.is_dir() else ()))}
    newest = max((s[0] for s in stats.values() if s), default=0) / 1e9
    return None if time.time() - newest < RACY_SECONDS else stats


def unchanged(stats: dict[str, list[int] | None]) -> bool:
    return all(stat(p) == s for p, s in stats.items())
