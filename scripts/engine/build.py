"""The figure engine: find stale jobs, run them in the warm worker, install outputs atomically; verify.

`Engine(root).build()` is what `mkdocs serve`/`build` call before every build and what
`python -m scripts.engine build` runs by hand. It never imports a figure's libraries itself; only the jobs
it runs do, and only when they are stale. Jobs run in children of the warm worker (`worker.py`), up to
`parallel` at once (default: one per core), each with its share of the cores as threads (`runtime.py`).
A failing job is reported with its id and traceback, keeps its last good outputs and manifest entry, and
does not stop the other jobs. One build at a time holds a lock, so two builds started together run one
after the other instead of corrupting each other's files; the lock's holder also clears staging folders
that a killed build left behind.

`Engine.verify()` recomputes figures into `.cache/verify/` and compares them with the committed outputs
(values exactly, images under `normalise.py`'s tolerance), reporting every difference with its figure id:
CI runs it, so a committed figure that does not reproduce fails, not only one whose fingerprint is stale.
"""

from __future__ import annotations

import json
import math
import pathlib
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from filelock import FileLock
from tqdm import tqdm

from scripts.engine import artifacts, filecache, normalise, paths, runtime, snapshot
from scripts.engine.declarations import DeclarationError, Declarations, Job, load_declarations
from scripts.engine.errors import EngineError
from scripts.engine.manifest import (
    Fingerprint,
    entry,
    fingerprint,
    modified_outputs,
    read_manifest,
    sha256_file,
    stale_reasons,
    write_if_changed,
    write_manifest,
)
from scripts.engine.paths import ROOT
from scripts.engine.runner import WarmWorker, WorkerError, preload_for
from scripts.engine.tracing import TraceError

# Fingerprints of jobs whose files have not moved, kept for the life of the process (under `mkdocs serve`, one
# engine builds after every save): after an edit only the jobs that read the edited file are traced and hashed
# again. The rule is snapshot.py's: the stats of every file the fingerprint read, and of the project's and the
# libraries' folders, must match exactly, and stats taken within RACY_SECONDS of a file's change are not kept.
_FINGERPRINTS: dict[tuple[str, str], tuple[Job, str, dict, Fingerprint]] = {}

RUNNERS = {"figure": "scripts.engine.job", "notebook": "scripts.engine.notebook"}


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # id -> message with traceback
    fresh: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each job, from submit to exit
    compute: dict[str, float] = field(default_factory=dict)  # of which the script's compute() and plot()
    errors: list[EngineError] = field(default_factory=list)  # declaration errors: not tied to a built job
    waiting: dict[str, str] = field(default_factory=dict)  # stale artifacts and the figures that wait for them
    cancelled: dict[str, str] = field(default_factory=dict)  # stopped because what they read changed meanwhile

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors


@dataclass
class VerifyReport:
    reproduced: list[str] = field(default_factory=list)
    differ: dict[str, list[str]] = field(default_factory=dict)  # id -> differences, in words
    failed: dict[str, str] = field(default_factory=dict)
    errors: list[EngineError] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # artifacts longer than verify's training budget

    @property
    def ok(self) -> bool:
        return not self.differ and not self.failed and not self.errors


@dataclass
class _Plan:
    todo: list[tuple[Job, Fingerprint]] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    reasons: dict[str, list[str]] = field(default_factory=dict)  # every planned id -> why stale ([] fresh)
    failed: dict[str, str] = field(default_factory=dict)  # cannot even be fingerprinted
    waiting: dict[str, str] = field(default_factory=dict)  # stale artifacts (never trained by a build) and
    # the figures that read them: id -> what to run


class Engine:
    """Figures and notebooks of one project folder (the repository root by default)."""

    def __init__(self, root: pathlib.Path = ROOT, *, parallel: int | None = None):
        self.layout = paths.Layout(pathlib.Path(root).resolve())
        self.root = self.layout.root
        layout = self.layout
        self.figures_dir, self.out_dir, self.docs_dir = layout.figures_dir, layout.out_dir, layout.docs_dir
        self.manifest_path, self.cache_dir = self.layout.manifest, self.layout.cache_dir
        self.parallel = parallel or runtime.cores()
        self.keep_warm = False  # `mkdocs serve` keeps the worker between builds; one-shot builds stop it
        self._worker: WarmWorker | None = None
        self._worker_lock = threading.RLock()  # under serve, a background build and a warm-up may both want one

    # -- reading state -------------------------------------------------------------------------------
    def declarations(self) -> Declarations:
        return load_declarations(self.root, self.figures_dir, self.docs_dir)

    def jobs(self) -> dict[str, Job]:
        """The jobs that can be built (a broken declaration's figures are left out; see declarations())."""
        return self.declarations().jobs

    def status(self, jobs: dict[str, Job] | None = None) -> dict[str, list[str]]:
        """Job id -> reasons it is stale (empty list: fresh)."""
        plan = self._plan(self.jobs() if jobs is None else jobs, read_manifest(self.manifest_path))
        return {**plan.reasons, **{jid: [msg] for jid, msg in plan.failed.items()}}

    def stale_plan(self) -> _Plan:
        """Which jobs a build would run now (`todo`, with their fingerprints), which cannot be traced
        (`failed`) and which wait for training (`waiting`). Reads only: no lock, nothing is built."""
        return self._plan(self.jobs(), read_manifest(self.manifest_path))

    def record(self, figure_id: str) -> dict:
        """What a figure's script computed: its values and verdict records ({} before its first build)."""
        path = self.out_dir / paths.values_name(figure_id)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def values(self, figure_id: str) -> dict[str, str]:
        return self.record(figure_id).get("values", {})

    def verdicts(self, figure_id: str) -> dict[str, dict]:
        return self.record(figure_id).get("verdicts", {})

    def _plan(self, jobs: dict[str, Job], manifest: dict, ids: list[str] | None = None, force: bool = False) -> _Plan:
        """The one staleness loop: which of `jobs` (or `ids`) must run, and why."""
        plan = _Plan()
        full = ids is None and not force
        if full and snapshot.still_fresh(self.layout.fresh_snapshot, self.root):  # nothing moved since all was fresh
            plan.fresh, plan.reasons = list(jobs), {jid: [] for jid in jobs}
            return plan
        folders = snapshot.folders_stamp(self.root)
        read: set[str] = {str(p) for p in self.figures_dir.glob("*.yml")} | {str(self.manifest_path)}
        facts = filecache.use(self.cache_dir)  # hashes and parsed imports of unchanged files, from earlier builds
        resolved: dict = {}  # which dotted names are project files, for this scan
        stale_artifacts: dict[str, Job] = {}
        modified: dict[str, list[str]] = {}  # artifact id -> committed files git can restore: said first
        fix = lambda a: artifacts.how_to_rebuild(a, modified.get(a.id, ()))
        # artifacts first: a figure that reads a stale artifact is stale too, and waits for it
        for jid, job in sorted(jobs.items(), key=lambda kv: kv[1].kind != "artifact"):
            deps = [a for a in stale_artifacts.values() if any(artifacts.covers(a, p) for p in job.inputs)]
            wanted = ids is None or jid in ids
            if not wanted and job.kind != "artifact":  # artifacts are always looked at: others may read them
                continue
            try:
                fp = self._fingerprint(job, resolved, folders)
            except EngineError as e:
                if wanted and deps:  # e.g. its input is not trained yet
                    plan.reasons[jid] = [f"reads {deps[0].output}, from artifact {deps[0].id!r}, which is stale"]
                    plan.waiting[jid] = f"waits for artifact {deps[0].id!r}: {fix(deps[0])}"
                elif wanted:
                    plan.failed[jid] = str(e)
                if job.kind == "artifact":
                    stale_artifacts[jid] = job
                continue
            reasons = stale_reasons(job, fp, manifest.get(jid), self.root, self.out_dir)
            if job.kind == "artifact":
                modified[jid] = modified_outputs(job, fp, manifest.get(jid), self.root)
            if full:
                read.update(str(self.root / f) for f in fp.sources)
                read.update(str(o) for o in job.outputs(self.out_dir))
                for p in job.inputs:
                    q = self.root / p
                    read.update([str(q)] + ([str(x) for x in q.rglob("*")] if q.is_dir() else []))
            reasons += [f"reads {a.output}, from artifact {a.id!r}, which is stale: {fix(a)}"
                        for a in deps]
            if job.kind == "artifact" and reasons:
                stale_artifacts[jid] = job
            if not wanted:
                continue
            plan.reasons[jid] = reasons
            if job.kind == "artifact" and reasons:
                plan.waiting[jid] = (fix(job) if modified[jid] else
                                     f"stale ({'; '.join(reasons[:2])}); a build never trains: {fix(job)}")
            elif deps:
                plan.waiting[jid] = f"waits for artifact {deps[0].id!r}: {fix(deps[0])}"
            elif (force or reasons) and job.kind != "artifact":
                plan.todo.append((job, fp))
            else:
                plan.fresh.append(jid)
        facts.save()
        if full and not plan.failed and not plan.waiting and not any(plan.reasons.values()):
            snapshot.save(self.layout.fresh_snapshot, self.root, read)
        return plan

    def _fingerprint(self, job: Job, resolved: dict, folders: str) -> Fingerprint:
        """`fingerprint(job)`, or the one computed earlier in this process if nothing it read has moved."""
        key = (str(self.root), job.id)
        memo = _FINGERPRINTS.get(key)
        if memo is not None and memo[0] == job and memo[1] == folders and snapshot.unchanged(memo[2]):
            return memo[3]
        fp = fingerprint(job, self.root, resolved)
        stats = snapshot.file_stats([self.root / f for f in fp.sources] + [self.root / p for p in job.inputs])
        if stats is None:
            _FINGERPRINTS.pop(key, None)
        else:
            _FINGERPRINTS[key] = (job, folders, stats, fp)
        return fp

    def _select(self, decl: Declarations, ids: list[str] | None) -> None:
        unknown = sorted(set(ids or []) - set(decl.jobs) - set(decl.unavailable))
        if unknown:
            raise EngineError(f"unknown figure id(s) {unknown}; known: {sorted(decl.jobs)}")

    # -- building --------------------------------------------------------------------------------------
    def build(self, ids: list[str] | None = None, *, force: bool = False, progress: bool = True) -> BuildReport:
        """Rebuild the stale jobs (or `ids`; all of them with `force`). Safe to call concurrently."""
        report = BuildReport()
        with self._locked():
            decl = self.declarations()
            self._select(decl, ids)
            report.errors = list(decl.errors)
            manifest = read_manifest(self.manifest_path)
            plan = self._plan(decl.jobs, manifest, ids, force)
            report.failed.update(plan.failed)
            report.fresh = plan.fresh
            report.waiting = plan.waiting
            for job, fp, staging, error, seconds, cancelled in self._run(plan.todo, self.layout.staging_dir, progress,
                                                                         "figures"):
                report.seconds[job.id] = seconds
                if (staging / "timing.json").exists():
                    report.compute[job.id] = json.loads((staging / "timing.json").read_text())["compute_and_plot"]
                try:
                    if error is None:
                        self._install(job, staging)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
                if error and cancelled:
                    report.cancelled[job.id] = error
                    continue
                if error:
                    report.failed[job.id] = error
                    continue
                self._record(job, fp, manifest)  # after every job: an interruption keeps progress
                report.built.append(job.id)
            if not ids and not decl.errors:  # with a broken declaration we cannot tell removed from unreadable
                self._prune(manifest, decl.jobs)
            self._record_timings(report.seconds, report.compute)
        return report

    def train(self, ids: list[str] | None = None, *, force: bool = False) -> BuildReport:
        """Train the stale artifacts (or `ids`; with `force` even fresh ones), one after another, each with
        its own progress bar. Training holds only the artifact's own lock, so builds go on meanwhile; the
        engine lock is taken to install the result. Figures are not rebuilt here: run `build` next."""
        report = BuildReport()
        decl = self.declarations()
        self._select(decl, ids)
        report.errors = list(decl.errors)
        wanted = [j for j in decl.jobs.values() if j.kind == "artifact" and (ids is None or j.id in ids)]
        not_artifacts = sorted(set(ids or []) - {j.id for j in wanted})
        if not_artifacts:
            raise EngineError(f"{not_artifacts} are not artifacts (declared with `train:`); build figures with "
                              "`python -m scripts.engine build`.")
        self.cache_dir.mkdir(exist_ok=True)
        for job in wanted:
            try:
                fp = fingerprint(job, self.root)
            except EngineError as e:
                report.failed[job.id] = str(e)
                continue
            if not force and not stale_reasons(job, fp, read_manifest(self.manifest_path).get(job.id), self.root,
                                               self.out_dir):
                report.fresh.append(job.id)
                continue
            t0 = time.perf_counter()
            try:
                staging = artifacts.train(job, self.root, self.cache_dir / "artifacts", fp.digest)
            except EngineError as e:
                report.failed[job.id] = str(e)
                continue
            with self._locked():
                if fingerprint(job, self.root).digest != fp.digest:  # the code moved while it trained
                    shutil.rmtree(staging, ignore_errors=True)
                    report.failed[job.id] = (f"artifact {job.id!r}: its training code changed while it trained; the "
                                             "result was discarded. Run it again.")
                    continue
                artifacts.install(job, self.root, staging)
                self._record(job, fp, read_manifest(self.manifest_path))
            report.seconds[job.id] = time.perf_counter() - t0
            report.built.append(job.id)
        return report

    def adopt(self, ids: list[str]) -> list[str]:
        """Record the committed outputs of artifacts as fresh for their current code, without training.
        For code changes that provably do not change what was trained (a refactor, a new option whose default
        is the old behaviour); the manifest entry says `adopted`, so the diff shows it. Returns the ids."""
        with self._locked():
            decl = self.declarations()
            self._select(decl, ids)
            manifest = read_manifest(self.manifest_path)
            for jid in ids:
                job = decl.jobs[jid]
                if job.kind != "artifact":
                    raise EngineError(f"{jid!r} is not an artifact; only trained artifacts can be adopted.")
                if not (self.root / job.output).is_dir():
                    raise EngineError(f"artifact {jid!r} has no output folder {job.output} to adopt; train it.")
                self._record(job, fingerprint(job, self.root), manifest, adopted=True)
        return ids

    def _retrain_and_compare(self, job: Job) -> list[str]:
        """Train `job` from scratch into a scratch copy of the project layout; compare every file."""
        import dataclasses

        scratch = self.layout.verify_dir / "artifacts"
        shutil.rmtree(scratch, ignore_errors=True)
        copy = dataclasses.replace(job, output=pathlib.Path(".cache/verify/artifacts") / job.output)
        try:
            artifacts.install(copy, self.root, artifacts.train(copy, self.root, scratch / "cache"))
        except EngineError as e:
            return [str(e)]
        mine, theirs = self.root / job.output, self.root / copy.output
        names = sorted({p.relative_to(mine).as_posix() for p in mine.rglob("*") if p.is_file()}
                       | {p.relative_to(theirs).as_posix() for p in theirs.rglob("*") if p.is_file()})
        found = []
        for name in names:
            a, b = mine / name, theirs / name
            if not a.exists() or not b.exists():
                found.append(f"{job.output}/{name}: {'not committed' if not a.exists() else 'not produced'}")
            elif a.read_bytes() != b.read_bytes():
                found.append(f"{job.output}/{name}: the retrained file differs")
        shutil.rmtree(scratch, ignore_errors=True)
        return found

    def _record(self, job: Job, fp: Fingerprint, manifest: dict, adopted: bool = False) -> None:
        outputs = {o.relative_to(self.root).as_posix(): sha256_file(o) for o in job.outputs(self.out_dir)}
        manifest[job.id] = {**entry(fp, outputs), **({"adopted": True} if adopted else {})}
        write_manifest(self.manifest_path, manifest)

    def verify(self, ids: list[str] | None = None, *, progress: bool = True, train_under: float = 0.0) -> VerifyReport:
        """Recompute figures (all, or `ids`) into a scratch folder and compare them with the committed ones.
        Artifacts are retrained (and compared file by file) only if expected to take ≤ `train_under` minutes;
        the others are listed in `skipped`. A stale artifact fails verify like a stale figure would."""
        t0 = time.perf_counter()
        report = VerifyReport()
        with self._locked():
            decl = self.declarations()
            self._select(decl, ids)
            report.errors = [e for e in decl.errors if ids is None or set(e.ids) & set(ids)]
            manifest = read_manifest(self.manifest_path)
            plan = self._plan(decl.jobs, manifest, ids, force=True)
            report.failed.update(plan.failed)
            report.failed.update({jid: msg for jid, msg in plan.waiting.items()})
            for job in decl.jobs.values():
                if job.kind != "artifact" or (ids is not None and job.id not in ids) or job.id in plan.waiting:
                    continue
                if job.minutes > train_under:
                    report.skipped.append(job.id)
                    continue
                differences = self._retrain_and_compare(job)
                if differences:
                    report.differ[job.id] = differences
                else:
                    report.reproduced.append(job.id)
            scratch = self.layout.verify_dir
            shutil.rmtree(scratch, ignore_errors=True)
            for job, _, staging, error, _, _ in self._run(plan.todo, scratch, progress, "verify"):
                if error:
                    report.failed[job.id] = error
                    continue
                found = [f"{out.relative_to(self.root).as_posix()}: {d}" for out in job.outputs(self.out_dir)
                         for d in normalise.compare_files(out, staging / out.relative_to(self.out_dir))]
                stale = plan.reasons.get(job.id)
                if found and stale:
                    found.append(f"(the committed figure is also stale: {'; '.join(stale)})")
                if found:
                    report.differ[job.id] = found
                else:
                    report.reproduced.append(job.id)
            shutil.rmtree(scratch, ignore_errors=True)
        report.seconds = time.perf_counter() - t0
        return report

    def warm_up(self) -> None:
        """Start the warm worker now (in the background) with every declared job's libraries, so that the
        first edit under `mkdocs serve` does not wait for torch to import. A live worker is kept as it is (tracing
        every job for its libraries costs a third of a second; a job that needs more restarts it anyway)."""
        with self._worker_lock:
            if self._worker is not None and self._worker.proc.poll() is None:
                return
            try:
                jobs = self.jobs()
                self._worker_for(list(jobs.values()))
            except EngineError:
                pass

    def close(self) -> None:
        with self._worker_lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    # -- helpers ---------------------------------------------------------------------------------------
    def _locked(self) -> FileLock:
        self.cache_dir.mkdir(exist_ok=True)
        lock = FileLock(str(self.layout.lock))
        return _Cleaning(lock, self.layout.staging_dir)

    def _worker_for(self, jobs: list[Job]) -> WarmWorker:
        preload = preload_for(jobs, self.root)
        with self._worker_lock:
            if self._worker is not None and not self._worker.serves(preload):
                self.close()
            if self._worker is None:
                self._worker = WarmWorker(self.root, preload)
            return self._worker

    def _run(self, todo: list[tuple[Job, Fingerprint]], staging_root: pathlib.Path, progress: bool,
             desc: str) -> Iterator[tuple[Job, Fingerprint, pathlib.Path, str | None, float, bool]]:
        """Run jobs in the warm worker, `parallel` at a time; yield each as it finishes (in any order).

        Each runs under its time limit (the worker kills it). A job whose code, inputs or declaration change
        while it runs is cancelled: its result would be stale, and under `serve` the author's next save (or
        the revert of a runaway loop) must not wait for it. It yields the error "stopped"."""
        if not todo:
            return
        staging_root.mkdir(parents=True, exist_ok=True)
        running_max = min(self.parallel, len(todo))
        threads = runtime.threads_per_job(running_max)
        worker = self._worker_for([job for job, _ in todo])
        pending = self._longest_first(todo)
        running: dict[str, _Running] = {}
        bar = tqdm(total=len(todo), desc=desc, unit="job", disable=not progress, file=sys.stderr)
        try:
            while pending or running:
                while pending and len(running) < running_max:
                    job, fp = pending.pop(0)
                    staging = pathlib.Path(tempfile.mkdtemp(dir=staging_root, prefix=job.id.replace(":", "_") + "."))
                    spec = {"id": job.id, "script": job.script.as_posix(), "params": job.params,
                            "widget": job.widget, "shards": job.shards, "verdicts": job.verdicts}
                    watched = [self.root / f for f in fp.sources] + [self.root / job.declared_in]
                    running[job.id] = _Running(job, fp, staging, time.perf_counter(), watched, _stats(watched))
                    worker.submit(job.id, RUNNERS[job.kind], spec, staging, threads, timeout=job.timeout)
                bar.set_postfix_str(", ".join(running))
                try:
                    done = worker.result(timeout=0.5)
                except WorkerError as e:  # the worker itself died: every running job failed with it
                    self.close()
                    for r in running.values():
                        error = f"{r.job.kind} {r.job.id!r} ({r.job.script}) failed: {e}"
                        yield r.job, r.fp, r.staging, error, r.age, False
                    running.clear()
                    worker = self._worker_for([job for job, _ in pending]) if pending else worker
                    continue
                if done is None:
                    for r in running.values():
                        if r.moved is None and (moved := r.moved_file(self.root)):
                            r.moved = moved
                            worker.cancel(r.job.id)
                    continue
                r = running.pop(done.token)
                bar.update()
                error = self._job_error(r, done.returncode, done.stopped)
                yield r.job, r.fp, r.staging, error, r.age, done.stopped == "cancelled"
        finally:
            bar.close()
            if not self.keep_warm:
                self.close()

    def _job_error(self, r: _Running, returncode: int, stopped: str | None = None) -> str | None:
        job, staging = r.job, r.staging
        what = f"{job.kind} {job.id!r} ({job.script})"
        if stopped == "cancelled":
            return (f"{what} was stopped: {r.moved} changed while it ran. The next build runs it with the new code; "
                    "its last good output is kept meanwhile.")
        if stopped == "timeout":
            where = (f"`timeout: {2 * job.timeout:g}` (seconds) to its declaration in {job.declared_in}"
                     if job.kind == "figure" else f"a line `# engine-timeout: {2 * job.timeout:g}` to {job.script}")
            return (f"{what} did not finish within its time limit of {job.timeout:g} s and was stopped; its last "
                    f"good output is kept. If it really needs longer, add {where}.")
        err_file = staging / "error.txt"
        if returncode != 0 or err_file.exists():
            detail = err_file.read_text() if err_file.exists() else f"the job process exited with {returncode}"
            return f"{what} failed; its last good output is kept.\n{detail}"
        missing = [o.name for o in job.outputs(self.out_dir) if not (staging / o.relative_to(self.out_dir)).exists()]
        if missing:
            return f"{what} did not write {missing}."
        for out in job.outputs(self.out_dir):
            size = (staging / out.relative_to(self.out_dir)).stat().st_size / 1e6
            if size > job.max_output_mb:
                raise_to = (f"`max_output_mb: {math.ceil(size)}` in {job.declared_in}" if job.kind == "figure"
                            else "less")
                return (f"{what} wrote {out.name} of {size:.1f} MB, over its limit of {job.max_output_mb:g} MB; "
                        "nothing was installed and its last good output is kept. Plot fewer points (or rasterise a "
                        f"dense layer: `rasterized=True`); if the size is really needed, set {raise_to}.")
        return None

    def _install(self, job: Job, staging: pathlib.Path) -> None:
        """Move a finished job's outputs into place. An output that is the same figure as the installed one
        (normalise.py) keeps the installed bytes, so rebuilding on another machine changes no file."""
        for dst in job.outputs(self.out_dir):
            new = (staging / dst.relative_to(self.out_dir)).read_bytes()
            if dst.exists():
                old = dst.read_bytes()
                canonical = not dst.name.endswith(".svg") or normalise.canonical_svg(old.decode()).encode() == old
                if canonical and normalise.same_figure(old, new, dst.name):
                    continue
            write_if_changed(dst, new)

    def _prune(self, manifest: dict, jobs: dict[str, Job]) -> None:
        """Forget jobs that are no longer declared, and delete their outputs — figure files only: a trained
        model whose declaration went away is left where it is (declare it again, or delete it by hand)."""
        for jid in sorted(set(manifest) - set(jobs)):
            for rel in manifest[jid].get("outputs", {}):
                path = self.root / rel
                if path.is_relative_to(self.out_dir):
                    path.unlink(missing_ok=True)
            del manifest[jid]
        write_manifest(self.manifest_path, manifest)

    def _longest_first(self, todo: list[tuple[Job, Fingerprint]]) -> list[tuple[Job, Fingerprint]]:
        """The jobs by their last recorded wall time, longest first (a job never timed counts as longest), so a
        long job does not start last and run alone while the other worker idles; ties keep their order."""
        path = self.layout.timings
        try:
            walls = {k: v["wall"] for k, v in json.loads(path.read_text()).items()} if path.exists() else {}
        except (ValueError, KeyError, TypeError):  # a damaged cache file only loses the ordering
            walls = {}
        return sorted(todo, key=lambda jf: -walls.get(jf[0].id, math.inf))

    def _record_timings(self, seconds: dict[str, float], compute: dict[str, float]) -> None:
        """.cache/timings.json: each job's last wall time and its compute and plot (read by the benchmarks)."""
        if not seconds:
            return
        path = self.layout.timings
        timings = json.loads(path.read_text()) if path.exists() else {}
        timings.update({k: {"wall": round(v, 3), "compute": round(compute.get(k, float("nan")), 3)}
                        for k, v in seconds.items()})
        write_if_changed(path, (json.dumps(timings, indent=1, sort_keys=True) + "\n").encode())


def _stats(files: list[pathlib.Path]) -> list[list[int] | None]:
    return [snapshot.stat(str(f)) for f in files]


@dataclass
class _Running:
    """A job in the worker: what it reads, as it was when it started (to cancel it if that moves)."""

    job: Job
    fp: Fingerprint
    staging: pathlib.Path
    started: float
    watched: list[pathlib.Path]
    stats: list[list[int] | None]
    moved: str | None = None  # the file whose change cancelled it

    @property
    def age(self) -> float:
        return time.perf_counter() - self.started

    def moved_file(self, root: pathlib.Path) -> str | None:
        for path, now, then in zip(self.watched, _stats(self.watched), self.stats):
            if now != then:
                return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        return None


class _Cleaning:
    """The build lock; whoever takes it first removes staging folders left by a killed build (no other
    build can be using them while we hold the lock)."""

    def __init__(self, lock: FileLock, staging: pathlib.Path):
        self.lock, self.staging = lock, staging

    def __enter__(self):
        self.lock.acquire()
        shutil.rmtree(self.staging, ignore_errors=True)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.staging, ignore_errors=True)
        self.lock.release()


__all__ = ["BuildReport", "DeclarationError", "Engine", "EngineError", "TraceError", "VerifyReport"]
