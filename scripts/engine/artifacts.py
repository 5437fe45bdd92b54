"""Trained artifacts: models the build trains, fingerprinted like figures, committed, never trained implicitly.

An artifact is declared in `figures/*.yml` with `train:` (see declarations.py). Its training script defines

    def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None

which writes the artifact's files into `out_dir` (a fresh folder) and may keep resumable state in
`cache_dir` (`.cache/artifacts/<id>/`, never committed): an interrupted training picks up from there.

How it fits the engine (build.py):
- **Fingerprint.** The training script and every project module it imports (traced, syntax trees, as for a
  figure), its params, its declared inputs, the libraries it imports and the runner's kernel settings. The
  output folder's files are recorded in the manifest like a figure's outputs.
- **Dependants.** A figure whose `inputs` name the artifact's folder (or anything inside it) is stale while
  the artifact is stale, with the reason and the command that fixes it.
- **Never implicit.** `build` and `mkdocs serve` do not train: they report a stale artifact with its
  expected time and `python -m scripts.engine train ID`, leave its dependants as they are, and build the rest.
  `check` fails on it. `verify` skips artifacts unless `--train-under MINUTES` admits them.
- **Atomic.** Training writes into a sibling folder; only a finished run replaces the committed one.
- **Threads.** An artifact declares its thread count (default 1) instead of taking the machine's cores, so
  its bits do not depend on the machine; two 1-thread artifacts can train side by side on two cores.

Run as `python -m scripts.engine.artifacts SPEC_JSON OUT_DIR CACHE_DIR` by `train()`, in a process of its own
with the runner's environment (`runtime.job_environment`), its progress bar on the terminal.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from scripts.engine import runtime
from scripts.engine.declarations import Job
from scripts.engine.errors import EngineError
from scripts.engine.manifest import how_to_restore


class ArtifactError(EngineError):
    """Training an artifact failed, or a figure waits for a stale one."""


def covers(artifact: Job, path: pathlib.Path) -> bool:
    """Does a declared input `path` read (part of) the artifact's output folder?"""
    out = artifact.output.as_posix().rstrip("/")
    p = path.as_posix().rstrip("/")
    return p == out or p.startswith(out + "/") or out.startswith(p + "/")


def how_to_rebuild(job: Job, modified: Sequence[str] = ()) -> str:
    """`modified`: committed files that differ from what was trained, for unchanged code (manifest.py,
    `modified_outputs`); then git restores them, and retraining is only the second option."""
    if modified:
        return how_to_restore(job, list(modified))
    return f"python -m scripts.engine train {job.id} (about {job.minutes:g} min on 2 cores)"


def train(job: Job, root: pathlib.Path, cache_root: pathlib.Path, digest: str = "") -> pathlib.Path:
    """Train `job` into a fresh sibling folder of its output and return that folder; raises ArtifactError on
    failure (the folder is removed; the committed one is never touched here). Holds the artifact's own lock,
    so one artifact trains once at a time, while other builds go on. `digest`: the artifact's fingerprint; a
    cache folder left by a training of other code or params is emptied first, so resuming never mixes the two."""
    from filelock import FileLock

    dest = root / job.output
    dest.parent.mkdir(parents=True, exist_ok=True)
    cache = cache_root / job.id
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache_root / f"{job.id}.lock")):
        stamp = cache_root / f"{job.id}.fingerprint"
        if digest and (not stamp.exists() or stamp.read_text() != digest):
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            stamp.write_text(digest)
        staging = pathlib.Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.new."))
        spec = {"id": job.id, "script": job.script.as_posix(), "params": job.params, "threads": job.threads}
        try:
            proc = subprocess.run([sys.executable, "-m", "scripts.engine.artifacts", json.dumps(spec), str(staging),
                                   str(cache)], cwd=root, env=runtime.job_environment(str(root)))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArtifactError(f"artifact {job.id!r} ({job.script}) failed (exit {proc.returncode}); the committed "
                                f"{job.output} is unchanged, and training resumes from {cache.relative_to(root)} "
                                "when you run it again.", where=str(job.declared_in))
    staging.chmod(0o755)
    return staging


def install(job: Job, root: pathlib.Path, staging: pathlib.Path) -> None:
    """Replace the artifact's folder with a trained one (two renames; the old folder is then removed)."""
    dest = root / job.output
    old = dest.with_name(f".{dest.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        os.replace(dest, old)
    os.replace(staging, dest)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str]) -> int:
    import importlib

    spec, out_dir, cache_dir = json.loads(argv[0]), pathlib.Path(argv[1]), pathlib.Path(argv[2])
    runtime.apply_in_job(int(spec["threads"]))
    module = importlib.import_module(pathlib.Path(spec["script"]).with_suffix("").as_posix().replace("/", "."))
    if not callable(getattr(module, "build_artifact", None)):
        print(f"{spec['script']} must define build_artifact(params, out_dir, cache_dir); see "
              "scripts/engine/artifacts.py", file=sys.stderr)
        return 2
    try:
        module.build_artifact(dict(spec["params"]), out_dir, cache_dir)
    except KeyboardInterrupt:  # Ctrl-C: the engine says it in one line; its last saved state resumes
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
