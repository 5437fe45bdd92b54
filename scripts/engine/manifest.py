"""Fingerprints and the committed manifest: is a figure fresh, and if not, why.

A job's fingerprint is a SHA-256 over the code of its script, every project module the script imports
(traced statically, see `tracing.py`), the engine files that shape every output, its declared inputs, its
parameters, the versions of the libraries it imports and the runner's numerical settings (`runtime.py`).

*Code* means the syntax tree, not the bytes: a Python file is hashed as `ast.dump` of its parsed tree with
docstrings removed, so comments, blank lines, formatting and docstrings change nothing and re-run nothing,
while any change to what runs (a name, a constant, an operator, an import) does. Two exceptions hash bytes:
a notebook page's own file (its Markdown cells are comments to Python, but they are the page's text) and
any file that is not Python. A script that prints its own `__doc__` would need its docstring hashed; none
does, and the trade is worth it. `figures/manifest.json` records, per job, that
fingerprint's parts and the hashes of the outputs it produced. It is committed, so a fresh clone knows
which figures are fresh without running anything, and its diffs say what changed.

We do not use pydoit's file-dependency database for this: doit keys file state on modification times in a
local database, which is neither valid on a fresh clone nor readable in a diff. Figures here have no
dependencies on each other, so doit's task graph would buy nothing either; the manifest is the whole state.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pathlib
from dataclasses import asdict, dataclass
from typing import Any

from scripts.engine import filecache, paths, runtime
from scripts.engine.declarations import Job
from scripts.engine.errors import EngineError
from scripts.engine.tracing import TraceError, library_versions, trace

# The rule: a job's fingerprint hashes the code of everything that can change its bytes: its script and every
# project module it imports (traced, so engine modules a script imports, such as style.py, api.py and paths.py,
# count like any other), plus these engine files, which write every output of a kind without being imported by
# it. Their code hash is the output format's version: no constant to remember to bump. Code goes where it
# belongs; if a change restales every figure, the rebuild reproduces the same bytes (`verify`).
ENGINE_SOURCES = {
    "figure": ("scripts/engine/job.py", "scripts/engine/style.py", "scripts/engine/normalise.py"),
    "notebook": ("scripts/engine/notebook.py",),
    "artifact": (),  # artifacts.py only starts the training and moves folders: what shapes a model is its own code
}
# Libraries that shape every output of a kind even when the script does not import them.
ENGINE_LIBRARIES = {"figure": {"matplotlib"}, "notebook": {"nbclient", "jupytext", "nbformat"}, "artifact": set()}


def _sha256(path: pathlib.Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def sha256_file(path: pathlib.Path) -> str:
    """Content hash, remembered on disk by the file's stat (`filecache.py`): the models' files are inputs of
    many figures, and every site build fingerprints every job."""
    path = pathlib.Path(os.path.abspath(path))  # not resolve(): a syscall per path component
    return filecache.current().get(path, "sha256", lambda: _sha256(path))


def sha256_path(path: pathlib.Path) -> str:
    """Hash of a file, or of every file under a folder (names and contents, in sorted order)."""
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f.relative_to(path).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def code_hash(path: pathlib.Path) -> str:
    """Hash of what a Python file runs: its syntax tree without docstrings, positions or comments
    (remembered on disk by the file's stat, `filecache.py`: parsing is most of a no-op build's checking)."""
    path = pathlib.Path(os.path.abspath(path))
    return filecache.current().get(path, "ast", lambda: _code_hash(path))


def _code_hash(path: pathlib.Path) -> str:
    source = path.read_bytes()
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise TraceError(f"the file does not parse: {e.msg}", where=f"{os.path.relpath(path)}:{e.lineno}") from e
    dump = ast.dump(_strip_docstrings(tree), annotate_fields=False, include_attributes=False)
    return "ast:" + hashlib.sha256(dump.encode()).hexdigest()


class InputError(EngineError):
    """A declared input is missing."""


@dataclass(frozen=True)
class Fingerprint:
    sources: dict[str, str]
    inputs: dict[str, str]
    libraries: dict[str, str]
    params: dict[str, Any]
    runtime: dict[str, str]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


def fingerprint(job: Job, root: pathlib.Path, resolved: dict | None = None) -> Fingerprint:
    """`resolved`: the module-name memo of one scan (`tracing.trace`), shared by all jobs of a plan."""
    tr = trace(root / job.script, root, resolved)
    files = set(tr.files) | {(root / p).resolve() for p in ENGINE_SOURCES[job.kind]}
    entry_file = (root / job.script).resolve()
    sources = {f.relative_to(root.resolve()).as_posix():
               sha256_file(f) if f.suffix != ".py" or (job.kind == "notebook" and f == entry_file) else code_hash(f)
               for f in sorted(files)}
    inputs = {}
    for p in job.inputs:
        if not (root / p).exists():
            raise InputError(
                f"figure {job.id!r} declares input {p}, which does not exist. "
                "Create it (for a model: train it, see README) or fix the path.", where=str(job.declared_in),
            )
        inputs[p.as_posix()] = sha256_path(root / p)
    libraries = library_versions(tr.libraries | ENGINE_LIBRARIES[job.kind])
    params = dict(job.params)
    if job.kind == "artifact":  # its thread count decides its bits (artifacts.py)
        params["__threads__"] = job.threads
    if job.verdicts:  # a claim's wording and rule shape the published record: part of what the job computes
        params["__verdicts__"] = job.verdicts
    return Fingerprint(sources=sources, inputs=inputs, libraries=libraries, params=params,
                       runtime=runtime.fingerprint_settings())


def read_manifest(path: pathlib.Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise EngineError(f"the manifest is not valid JSON ({e}); restore it with git or delete it.",
                          where=f"{path}:{e.lineno}") from e


def write_if_changed(path: pathlib.Path, data: bytes) -> bool:
    """Write atomically (temp file + rename) and only when the content differs. True if written."""
    if path.exists() and path.read_bytes() == data:
        return False
    paths.atomic_write(path, data)
    return True


def write_manifest(path: pathlib.Path, manifest: dict[str, dict]) -> bool:
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    return write_if_changed(path, text.encode())


def entry(fp: Fingerprint, outputs: dict[str, str]) -> dict:
    return {"fingerprint": fp.digest, **asdict(fp), "outputs": outputs}


def modified_outputs(job: Job, fp: Fingerprint, recorded: dict | None, root: pathlib.Path) -> list[str]:
    """Committed outputs whose bytes are not those the manifest records while the code, inputs and params
    that made them are unchanged: a file edited by hand or corrupted (a truncated checkpoint), which git can
    give back as built. Empty when the fingerprint changed too: then only rebuilding helps. An artifact's
    recorded file that is gone counts; a figure's missing output is simply rebuilt."""
    if recorded is None or recorded.get("fingerprint") != fp.digest:
        return []
    found = []
    for rel, digest in sorted(recorded.get("outputs", {}).items()):
        path = root / rel
        if (path.is_file() and sha256_file(path) != digest) or (not path.exists() and job.kind == "artifact"):
            found.append(rel)
    return found


def how_to_restore(job: Job, files: list[str]) -> str:
    """The fix for `modified_outputs`: git first (instant, and the very bits that were built; retraining takes
    minutes to hours), rebuilding second."""
    names, (it, verb) = ", ".join(files), (("it", "does") if len(files) == 1 else ("them", "do"))
    record = paths.Layout(pathlib.Path(".")).manifest.as_posix()
    if job.kind == "artifact":
        return (f"{names} {verb} not match what was trained ({record}) — restore {it} with "
                f"`git checkout {job.output.as_posix()}`; retraining (`python -m scripts.engine train {job.id}`, "
                f"about {job.minutes:g} min) is the second option")
    return (f"{names} {verb} not match what the build wrote ({record}; edited by hand?) — restore {it} with "
            f"`git checkout {' '.join(files)}`, or rebuild: `python -m scripts.engine build {job.id}`")


def stale_reasons(job: Job, fp: Fingerprint, recorded: dict | None, root: pathlib.Path,
                  out_dir: pathlib.Path) -> list[str]:
    """Why `job` must be rebuilt; empty when it is fresh. Committed files that only need restoring from git
    come first, as one reason that says so."""
    if recorded is None:
        return ["never built"]
    modified = modified_outputs(job, fp, recorded, root)
    reasons = [how_to_restore(job, modified)] if modified else []
    if job.kind == "artifact":  # a folder: a recorded file that is gone is as stale as a changed one
        have = {o.relative_to(root).as_posix() for o in job.outputs(out_dir)}
        gone = set(recorded.get("outputs", {})) - have - set(modified)
        reasons += [f"output {rel} is missing" for rel in sorted(gone)]
    for out in job.outputs(out_dir):
        rel = out.relative_to(root).as_posix()
        if rel in modified:
            continue
        if not out.exists():
            reasons.append(f"output {rel} is missing")
        elif recorded.get("outputs", {}).get(rel) != sha256_file(out):
            reasons.append(f"output {rel} differs from the one recorded (edited by hand?)")
    if recorded.get("fingerprint") != fp.digest:
        for part, noun in (("sources", "source"), ("inputs", "input"), ("libraries", "library"),
                           ("runtime", "runner setting")):
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
