"""Under `mkdocs serve`: figure jobs in a background thread, and the files whose change rebuilds the site.

MkDocs holds every request until a build ends, so a build that waited for a slow or runaway job would freeze
the preview: the site is built at once with the last good figures and rebuilt when the jobs end.
"""

from __future__ import annotations

import os
import pathlib
import threading
from collections.abc import Callable

from scripts.engine import internals
from scripts.engine.build import BuildReport, Engine
from scripts.engine.errors import EngineError


class Background:
    """The figure jobs of a serve session, one batch at a time in a thread."""

    def __init__(self, engine: Engine, log, one_line: Callable[[BaseException], str]):
        self.engine, self.log, self._one_line = engine, log, one_line
        self.server = None  # MkDocs' live-reload server (the `on_serve` event)
        self.closing = False  # the server is stopping: a batch's end is news to nobody
        self._thread: threading.Thread | None = None
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._gave_up: dict[str, tuple[str, str]] = {}  # failed job -> (its fingerprint digest, the error)
        self._warmed = False

    def start(self, on_report: Callable[[BuildReport], None]) -> tuple[BuildReport, set[str], dict[str, str]]:
        """Start the stale jobs unless a batch is running. Returns what is known now (jobs that cannot even be
        traced, artifacts waiting for training), the jobs being recomputed, and those that failed: a job that
        failed is not run again until what it reads changes (its fingerprint), or every rebuild would run it."""
        with self._lock:
            busy = self._thread is not None and self._thread.is_alive()
            gave_up = dict(self._gave_up)
        if busy:
            return BuildReport(), set(self._ids), {jid: msg for jid, (_, msg) in gave_up.items()}
        plan = self.engine.stale_plan()
        todo = {job.id: fp.digest for job, fp in plan.todo}
        failed = {jid: msg for jid, (digest, msg) in gave_up.items() if todo.get(jid) == digest}
        run = {jid: d for jid, d in todo.items() if jid not in failed}
        if run:
            self._ids = set(run)
            self._thread = threading.Thread(target=self._run, args=(run, on_report), name="figures", daemon=True)
            self._thread.start()
        elif self._thread is None or not self._warmed:
            self._warmed = True
            threading.Thread(target=self.engine.warm_up, daemon=True).start()  # torch & co. before the first edit
        return BuildReport(failed=dict(plan.failed), waiting=dict(plan.waiting)), set(run), failed

    def _run(self, run: dict[str, str], on_report: Callable[[BuildReport], None]) -> None:
        """Build `run` (id -> fingerprint digest at the start), remember failures, report, then ask MkDocs for a
        rebuild so the pages show the new figures."""
        try:
            report = self.engine.build(list(run))
        except EngineError as e:
            self.log.error(str(e))
            report = None
        except Exception as e:  # a bug of ours must not kill the preview either
            self.log.error(f"the figure build failed: {self._one_line(e)}")
            report = None
        if self.closing:
            return
        with self._lock:
            for jid in run:
                self._gave_up.pop(jid, None)
            for jid, message in (report.failed.items() if report else ()):
                self._gave_up[jid] = (run.get(jid, ""), message)
        if report is not None:
            on_report(report)
        self.engine.warm_up()
        internals.request_rebuild(self.server)


def watched_paths(engine: Engine, jobs) -> list[tuple[pathlib.Path, bool, Callable[[str], bool] | None]]:
    """(path, recursive, wanted) to watch under serve: the code (`*.py` under scripts/, so a new script is
    seen), the declarations folder (`*.yml` directly in figures/, so a new declaration is seen without a
    restart), the ledger's backfill (figures/ledger/*.yml: the verdicts' history on the pages) and the inputs.
    `wanted(file)` says which changed files trigger a build (None: all): never the
    engine's own writes — figures/manifest.json, figures/out/, __pycache__/ — or every build that rebuilt a
    figure would trigger a second one."""
    figures = engine.figures_dir
    watched = [(engine.root / "scripts", True, _is_source), (figures, False, lambda f: _is_declaration(f, figures)),
               (figures / "ledger", False, lambda f: f.endswith(".yml"))]
    watched += [(engine.root / p, True, None) for job in jobs for p in job.inputs]
    unique = {w[0]: w for w in reversed(watched) if w[0].exists()}  # reversed: the first of a path wins
    return sorted(unique.values(), key=lambda w: str(w[0]))


def _is_source(path: str) -> bool:
    return path.endswith(".py") and "__pycache__" not in pathlib.PurePath(path).parts


def _is_declaration(path: str, figures_dir: pathlib.Path) -> bool:
    p = pathlib.PurePath(path)
    return p.suffix == ".yml" and not p.name.startswith(".") and str(p.parent) == str(figures_dir)


_WRITES = frozenset({"created", "modified", "deleted", "moved", "closed"})  # watchdog's event types that change a file


class Watcher:
    """`server.watch(path)`, but a build is triggered only by changed files that are `wanted`.

    MkDocs' `watch` has no filter, so this schedules a handler that asks for a build the way MkDocs' handler
    does, on an observer of our own, watchdog's native one (inotify on Linux): MkDocs' polls every 0.5 s, which
    an author editing a figure's script would wait for on every save. Without that way to ask
    (internals.can_request_rebuild) it falls back to `server.watch` (correct, but a build writing the manifest
    then triggers one more)."""

    def __init__(self):
        self._observer = None

    def watch(self, server, path: pathlib.Path, recursive: bool, wanted: Callable[[str], bool] | None) -> None:
        if wanted is None or not internals.can_request_rebuild(server):
            server.watch(str(path), recursive=recursive)
            return
        import watchdog.events
        import watchdog.observers

        if self._observer is None:
            self._observer = watchdog.observers.Observer()
            self._observer.daemon = True
            self._observer.start()

        def on_any_event(event) -> None:
            if event.is_directory or event.event_type not in _WRITES:  # inotify also reports opened, closed_no_write
                return
            files = [event.src_path, getattr(event, "dest_path", "") or ""]
            if any(f and wanted(os.fsdecode(f)) for f in files):
                internals.request_rebuild(server)

        handler = watchdog.events.FileSystemEventHandler()
        handler.on_any_event = on_any_event  # type: ignore[method-assign]
        self._observer.schedule(handler, str(path), recursive=recursive)
