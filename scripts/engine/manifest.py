"""Fingerprints and the committed manifest: is a figure fresh, and if not, why.

A job's fingerprint is a SHA-256 over the content of its script, every project module the script imports
(traced statically, see `tracing.py`), the engine files that shape every output, its declared inputs, its
parameters and the versions of the libraries it imports. `figures/manifest.json` records, per job, that
fingerprint's parts and the hashes of the outputs it produced. It is committed, so a fresh clone knows
which figures are fresh without running anything, and its diffs say what changed.

We do not use pydoit's file-dependency database for this: doit keys file state on modification times in a
local database, which is neither valid on a fresh clone nor readable in a diff. Figures here have no
dependencies on each other, so doit's task graph would buy nothing either; the manifest is the whole state.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import tempfile
from dataclasses import dataclass
from typing import Any

from scripts.engine.declarations import Job
from scripts.engine.tracing import library_versions, trace

# Engine files whose content shapes every output of a kind (styles, the job protocol).
ENGINE_SOURCES = {
    "figure": ("scripts/engine/job.py", "scripts/engine/style.py"),
    "notebook": ("scripts/engine/notebook.py",),
}
# Libraries that shape every output of a kind even when the script does not import them.
ENGINE_LIBRARIES = {"figure": {"matplotlib"}, "notebook": {"nbclient", "jupytext", "nbformat"}}


_HASHES: dict[tuple[str, int, int], str] = {}


def sha256_file(path: pathlib.Path) -> str:
    """Content hash, remembered for this process by (path, size, mtime): the models' files are inputs of
    many figures, and `mkdocs serve` fingerprints every job on each rebuild."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


def sha256_path(path: pathlib.Path) -> str:
    """Hash of a file, or of every file under a folder (names and contents, in sorted order)."""
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


class InputError(FileNotFoundError):
    """A declared input is missing."""


@dataclass(frozen=True)
class Fingerprint:
    sources: dict[str, str]
    inputs: dict[str, str]
    libraries: dict[str, str]
    params: dict[str, Any]

    @property
    def digest(self) -> str:
        blob = json.dumps(
            {"sources": self.sources, "inputs": self.inputs, "libraries": self.libraries, "params": self.params},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def fingerprint(job: Job, root: pathlib.Path) -> Fingerprint:
    tr = trace(root / job.script, root)
    files = set(tr.files) | {(root / p).resolve() for p in ENGINE_SOURCES[job.kind]}
    sources = {f.relative_to(root.resolve()).as_posix(): sha256_file(f) for f in sorted(files)}
    inputs = {}
    for p in job.inputs:
        if not (root / p).exists():
            raise InputError(
                f"{job.declared_in}: figure {job.id!r} declares input {p}, which does not exist. "
                "Create it (for a model: train it, see README) or fix the path."
            )
        inputs[p.as_posix()] = sha256_path(root / p)
    libraries = library_versions(tr.libraries | ENGINE_LIBRARIES[job.kind])
    return Fingerprint(sources=sources, inputs=inputs, libraries=libraries, params=dict(job.params))


def read_manifest(path: pathlib.Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: the manifest is not valid JSON ({e}); restore it with git or delete it.") from e


def write_if_changed(path: pathlib.Path, data: bytes) -> bool:
    """Write atomically (temp file + rename) and only when the content differs. True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are published
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write_manifest(path: pathlib.Path, manifest: dict[str, dict]) -> bool:
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    return write_if_changed(path, text.encode())


def entry(fp: Fingerprint, outputs: dict[str, str]) -> dict:
    return {"fingerprint": fp.digest, "sources": fp.sources, "inputs": fp.inputs,
            "libraries": fp.libraries, "params": fp.params, "outputs": outputs}


def stale_reasons(job: Job, fp: Fingerprint, recorded: dict | None, root: pathlib.Path,
                  out_dir: pathlib.Path) -> list[str]:
    """Why `job` must be rebuilt; empty when it is fresh."""
    if recorded is None:
        return ["never built"]
    reasons = []
    for out in job.outputs(out_dir):
        rel = out.relative_to(root).as_posix()
        if not out.exists():
            reasons.append(f"output {rel} is missing")
        elif recorded.get("outputs", {}).get(rel) != sha256_file(out):
            reasons.append(f"output {rel} differs from the one recorded (edited by hand?)")
    if recorded.get("fingerprint") != fp.digest:
        for part, noun in (("sources", "source"), ("inputs", "input"), ("libraries", "library")):
            old, new = recorded.get(part, {}), getattr(fp, part)
            for key in sorted(set(old) | set(new)):
                if key not in new:
                    reasons.append(f"{noun} {key} no longer used")
                elif key not in old:
                    reasons.append(f"new {noun} {key}")
                elif old[key] != new[key]:
                    reasons.append(f"{noun} {key} changed")
        if recorded.get("params") != fp.params:
            reasons.append("params changed")
        if not reasons:
            reasons.append("fingerprint changed")
    return reasons
