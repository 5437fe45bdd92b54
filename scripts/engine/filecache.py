"""What the engine has already computed about a file, remembered on disk between processes.

Every `mkdocs build` and every rebuild under `mkdocs serve` fingerprints every job: it parses each project
module (for its imports and for its syntax-tree hash) and hashes every declared input (the models) and every
output. A no-op build would spend most of its time redoing that for files that have not changed since the
last build. So the results are kept in `.cache/file-facts.json` (ignored by git), keyed by the file's path
and its `stat` (size, mtime_ns, inode, ctime_ns, as git's index does): any write to a file, or replacing it
by a rename, changes the key, and the fact is computed again. A cache file that is missing, unreadable or of
another format version is simply rebuilt; it never decides anything a fresh computation would not.

A file modified less than `RACY_SECONDS` before the cache is saved is not saved ("racily clean", git's
term): a second write within the filesystem's timestamp granularity could keep size and mtime, and such a
fact is recomputed next time instead of trusted.
"""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections.abc import Callable

from scripts.engine import paths

VERSION = 1
RACY_SECONDS = 2.0  # git's racy-clean window; snapshot.py uses it too
NAME = "file-facts.json"


def _key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]


class FileFacts:
    """Facts (a string per kind: "sha256", "ast", "imports"...) about files, valid while their stat is."""

    def __init__(self, path: pathlib.Path | None):
        self.path = path
        self._facts: dict[str, list] = {}  # absolute path -> [key, {kind: fact}]
        self._dirty = False
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version") == VERSION:
                    self._facts = data["files"]
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self._facts = {}

    def get(self, path: pathlib.Path, kind: str, compute: Callable[[], object]):
        """`compute()` for this file, or what it returned last time the file had the same stat."""
        st = path.stat()
        name, key = str(path), _key(st)
        rec = self._facts.get(name)
        if rec is None or rec[0] != key:
            rec = self._facts[name] = [key, {}]
        if kind not in rec[1]:
            rec[1][kind] = compute()
            self._dirty = True
        return rec[1][kind]

    def save(self) -> None:
        """Write the cache (atomically) if anything was added; facts about racily clean files are left out."""
        if self.path is None or not self._dirty:
            return
        cutoff = time.time_ns() - int(RACY_SECONDS * 1e9)
        files = {k: v for k, v in self._facts.items() if v[0][1] < cutoff}
        try:
            paths.atomic_write(self.path, json.dumps({"version": VERSION, "files": files}, separators=(",", ":")))
            self._dirty = False
        except OSError:  # a read-only checkout: the cache is an optimisation, never a requirement
            pass


_NONE = FileFacts(None)
_current: FileFacts = _NONE


def current() -> FileFacts:
    """The cache of the build in progress (an in-memory one outside a build)."""
    return _current


def use(cache_dir: pathlib.Path | None) -> FileFacts:
    """Make the cache in `cache_dir` current (None: an in-memory cache only) and return it. The same project
    again (`mkdocs serve`) keeps the facts in memory: they are keyed by stat, so they cannot go stale."""
    global _current
    path = cache_dir / NAME if cache_dir is not None else None
    if path is None or _current.path != path:
        _current = FileFacts(path)
    return _current
