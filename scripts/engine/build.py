"""The figure engine: find stale jobs, run each in its own process, install outputs atomically.

`Engine(root).build()` is what `mkdocs serve`/`build` call before every build and what
`python -m scripts.engine build` runs by hand. It never imports a figure's libraries itself; only the jobs
it runs do, and only when they are stale. A failing job is reported with its id and traceback, keeps its
last good outputs and manifest entry, and does not stop the other jobs. One build at a time holds a lock,
so two builds started together run one after the other instead of corrupting each other's files.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from filelock import FileLock
from tqdm import tqdm

from scripts.engine.declarations import Job, load_jobs
from scripts.engine.manifest import (
    InputError, entry, fingerprint, read_manifest, sha256_file, stale_reasons, write_if_changed, write_manifest,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
_RUNNERS = {"figure": "scripts.engine.job", "notebook": "scripts.engine.notebook"}


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # id -> message with traceback
    fresh: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


class Engine:
    """Figures and notebooks of one project folder (the repository root by default)."""

    def __init__(self, root: pathlib.Path = ROOT):
        self.root = pathlib.Path(root).resolve()
        self.figures_dir = self.root / "figures"
        self.out_dir = self.figures_dir / "out"
        self.manifest_path = self.figures_dir / "manifest.json"
        self.docs_dir = self.root / "docs"
        self.cache_dir = self.root / ".cache"

    # -- reading state -------------------------------------------------------------------------------
    def jobs(self) -> dict[str, Job]:
        return load_jobs(self.root, self.figures_dir, self.docs_dir)

    def status(self, jobs: dict[str, Job] | None = None) -> dict[str, list[str]]:
        """Job id -> reasons it is stale (empty list: fresh)."""
        jobs = self.jobs() if jobs is None else jobs
        manifest = read_manifest(self.manifest_path)
        out = {}
        for jid, job in jobs.items():
            try:
                fp = fingerprint(job, self.root)
            except InputError as e:
                out[jid] = [str(e)]
                continue
            out[jid] = stale_reasons(job, fp, manifest.get(jid), self.root, self.out_dir)
        return out

    def values(self, figure_id: str) -> dict[str, str]:
        path = self.out_dir / f"{figure_id}.json"
        return json.loads(path.read_text())["values"] if path.exists() else {}

    def output_path(self, job: Job) -> pathlib.Path:
        return job.outputs(self.out_dir)[0]

    # -- building --------------------------------------------------------------------------------------
    def build(self, ids: list[str] | None = None, *, force: bool = False, progress: bool = True) -> BuildReport:
        """Rebuild the stale jobs (or `ids`; all of them with `force`). Safe to call concurrently."""
        self.cache_dir.mkdir(exist_ok=True)
        report = BuildReport()
        with FileLock(str(self.cache_dir / "engine.lock")):
            jobs = self.jobs()
            unknown = sorted(set(ids or []) - set(jobs))
            if unknown:
                raise KeyError(f"unknown figure id(s) {unknown}; known: {sorted(jobs)}")
            manifest = read_manifest(self.manifest_path)
            todo: list[tuple[Job, object]] = []
            for jid, job in jobs.items():
                if ids and jid not in ids:
                    continue
                try:
                    fp = fingerprint(job, self.root)
                except InputError as e:
                    report.failed[jid] = str(e)
                    continue
                if force or stale_reasons(job, fp, manifest.get(jid), self.root, self.out_dir):
                    todo.append((job, fp))
                else:
                    report.fresh.append(jid)
            bar = tqdm(todo, desc="figures", unit="job", disable=not progress or not todo, file=sys.stderr)
            for job, fp in bar:
                bar.set_postfix_str(job.id)
                t0 = time.perf_counter()
                error = self._run(job)
                report.seconds[job.id] = time.perf_counter() - t0
                if error:
                    report.failed[job.id] = error
                    continue
                outputs = {o.relative_to(self.root).as_posix(): sha256_file(o) for o in job.outputs(self.out_dir)}
                manifest[job.id] = entry(fp, outputs)
                write_manifest(self.manifest_path, manifest)  # after every job: an interruption keeps progress
                report.built.append(job.id)
            if not ids:
                self._prune(manifest, jobs)
            self._record_timings(report.seconds)
        return report

    def _run(self, job: Job) -> str | None:
        """Run one job in a fresh process; install its outputs. Returns an error message or None."""
        staging_root = self.cache_dir / "staging"
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(dir=staging_root, prefix=job.id.replace(":", "_") + "."))
        try:
            spec = {"id": job.id, "script": job.script.as_posix(), "params": job.params, "widget": job.widget}
            env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1",
                   "PYTHONPATH": str(self.root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            proc = subprocess.run([sys.executable, "-m", _RUNNERS[job.kind], json.dumps(spec), str(staging)],
                                  cwd=self.root, env=env, stdin=subprocess.DEVNULL)
            err_file = staging / "error.txt"
            if proc.returncode != 0 or err_file.exists():
                detail = err_file.read_text() if err_file.exists() else f"the job process exited with {proc.returncode}"
                return f"{job.kind} {job.id!r} ({job.script}) failed; its last good output is kept.\n{detail}"
            staged = [staging / o.relative_to(self.out_dir) for o in job.outputs(self.out_dir)]
            missing = [s.name for s in staged if not s.exists()]
            if missing:
                return f"{job.kind} {job.id!r} ({job.script}) did not write {missing}."
            for src, dst in zip(staged, job.outputs(self.out_dir)):
                write_if_changed(dst, src.read_bytes())
            return None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _prune(self, manifest: dict, jobs: dict[str, Job]) -> None:
        """Forget jobs that are no longer declared, and delete their outputs."""
        for jid in sorted(set(manifest) - set(jobs)):
            for rel in manifest[jid].get("outputs", {}):
                (self.root / rel).unlink(missing_ok=True)
            del manifest[jid]
        write_manifest(self.manifest_path, manifest)

    def _record_timings(self, seconds: dict[str, float]) -> None:
        if not seconds:
            return
        path = self.cache_dir / "timings.json"
        timings = json.loads(path.read_text()) if path.exists() else {}
        timings.update({k: round(v, 3) for k, v in seconds.items()})
        write_if_changed(path, (json.dumps(timings, indent=1, sort_keys=True) + "\n").encode())
