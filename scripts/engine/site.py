"""The engine as the `figures` MkDocs plugin sees it: one method per MkDocs event, each delegating to the module
that does the job — build figures here, `publish` files, render `pages`, check the site (`sitecheck`), run jobs
in the background under serve (`serve`), reuse conversions (`rendercache`). Tested without MkDocs running.

Under `mkdocs serve` no handler may abort a build (MkDocs would then hold every request until the file is
fixed): `_survives` logs the error once, with the innermost project `file:line`, and goes on.
"""

from __future__ import annotations

import functools
import logging
import os
import pathlib
import traceback
from collections.abc import Callable

from mkdocs.exceptions import PluginError

from scripts.engine import glossary, internals, ledger, pages, preflight, publish, rendercache, serve, sitecheck
from scripts.engine.build import BuildReport, Engine
from scripts.engine.errors import EngineError


def _survives(fallback: Callable):
    """Under serve, an unexpected error in a handler is logged and the handler returns `fallback(self, *args)`
    (its input as it came, or a page that says what broke). A one-shot build raises, so `--strict` fails."""
    def wrap(method):
        @functools.wraps(method)
        def handler(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except PluginError:
                raise  # the site check's own verdict on a strict build
            except Exception as e:
                if not self.serving:
                    raise
                self.last_error = self.one_line(e)
                self.log.error(f"{self.last_error} (the preview goes on without it; fix the file and save)")
                return fallback(self, *args, **kwargs)
        return handler
    return wrap


_nothing = lambda self, *a, **k: None


def reason(message: str) -> str:
    """The line of a job's error a reader of its page needs: the `file:line: message` the engine wrote, or a
    traceback's last line with the script's own frame."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if "Traceback (most recent call last):" not in lines:
        return lines[-1] if len(lines) > 1 and "failed; its last good output is kept" in lines[0] else lines[0]
    ours = [line for line in lines if line.startswith('File "') and "/scripts/" in line
            and "site-packages" not in line and ", line " in line]  # the project's frames, not a library's
    if not ours:
        return lines[-1]
    where = "scripts/" + ours[-1].split('"')[1].rsplit("/scripts/", 1)[1]
    return f"{where}:{ours[-1].split(', line ')[1].split(',')[0]}: {lines[-1]}"


def _page_broken(self: Site, markdown: str, page) -> str:
    return f'!!! failure "This page could not be rendered"\n    `{self.last_error}`\n\n' + markdown


class Site:
    def __init__(self, root: pathlib.Path, log: logging.Logger | logging.LoggerAdapter, *, build: bool = True,
                 serving: bool = False, dirty: bool = False):
        self.engine = Engine(root)
        self.log = log
        self.build = build  # False (FIGURES_BUILD=0, publishing without torch): compute nothing
        self.publish = False  # a build for publishing (SITE_PUBLISH=1): a strict one checks site_url too
        self.serving = serving
        self.dirty = dirty  # `--dirty` / `--dirtyreload`: MkDocs rebuilds only some pages
        self.jobs: dict = {}
        self.failed: dict[str, str] = {}  # figure id -> why its last build failed (one line, for its page)
        self.updating: set[str] = set()
        self.values: dict[str, dict] = {}  # figure id -> its {id}.json, read once per build
        self.ledger: ledger.Ledger | None = None  # the verdicts' history (ledger.py), read once per build
        self._engine_errors: list[str] = []  # this build's engine problems, each once: declarations, jobs
        self._unavailable: dict[str, str] = {}  # figure id -> the declaration error that makes it unbuildable
        self._left_out: set[str] = set()  # posts too broken to build, left out of a serve preview
        self.last_error = ""  # the last error a handler survived under serve (see _survives)
        self.renderer = pages.Renderer(self)
        self.background = serve.Background(self.engine, log, self.one_line)
        self._watcher = serve.Watcher()
        self.renders = rendercache.RenderCache(self.engine.layout.render_cache)

    def one_line(self, e: BaseException) -> str:
        """`file:line: message` at the innermost frame in the project (not in a library), for an error log line."""
        if isinstance(e, EngineError):
            return str(e)
        root = str(self.engine.root) + os.sep
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(root)]
        where = f"{os.path.relpath(frames[-1].filename, self.engine.root)}:{frames[-1].lineno}: " if frames else ""
        return f"{where}{type(e).__name__}: {e}"

    def about_unavailable(self, message: str) -> bool:
        return any(f'"{fid}"' in message or f'"{fid}.' in message for fid in self._unavailable)

    # -- events ----------------------------------------------------------------------------------------
    @_survives(_nothing)
    def on_config(self, config) -> None:
        internals.anchor_jupyter_cache(config)
        rendercache.wrap_theme(config.theme, self.engine.layout.templates_cache)

    def on_pre_build(self, config) -> None:
        # A new view of the render cache: the set of files, hence every key, may differ
        self.renders = rendercache.RenderCache(self.engine.layout.render_cache)
        self.build_figures()
        self._load_bibliography()
        self.check(config)  # raises before MkDocs empties site/: a failed build leaves the last one in place

    @_survives(lambda self, files, config: files)
    def on_files(self, files, config):
        try:
            self.ledger = ledger.build(self.engine.root, cache=self.engine.layout.ledger_cache)
        except ledger.LedgerError as e:
            if not self.serving:
                raise
            # Under serve a malformed backfill must not take the Claims page with it: say so, show no history.
            self.log.error(f"{e} (the preview goes on without the claims' history; fix the file and save)")
            self.ledger = ledger.Ledger({}, note=f"history unavailable while {ledger.BACKFILL} is malformed")
        try:
            terms = glossary.load(self.engine.root, {f.src_uri for f in files if f.src_uri.endswith(".md")})
        except glossary.GlossaryError as e:
            if not self.serving:
                raise
            self.log.error(f"{e} (the preview goes on without the glossary; fix the file and save)")
            terms = {}
        self.renderer.glossary = terms
        self.renderer.files = files
        self.renderer.load_series(publish.add_files(files, config, self.engine, self.jobs, self._left_out, self.log,
                                                    self.ledger, terms), config, self.log,
                                  frozenset(self._left_out))
        return files

    @_survives(_page_broken)
    def on_page_markdown(self, markdown: str, page) -> str:
        return self.renderer.render_page(markdown, page, self.log)

    @_survives(_nothing)
    def on_pre_page(self, page, config, files) -> None:
        self.renders.wrap_page(page, config, files)

    @_survives(_nothing)
    def on_page_content(self, page, config, files) -> None:
        excerpt = getattr(page, "excerpt", None)  # the blog plugin made it in on_page_markdown
        if excerpt is not None:
            self.renders.wrap_excerpt(excerpt, config, files)

    @_survives(_nothing)
    def on_post_build(self) -> None:
        self.renders.finish(partial=self.dirty)
        self.log.debug(f"render cache: {self.renders.summary()}")

    def on_serve(self, server) -> None:
        """Watch the code, the declarations and the inputs (`serve.watched_paths`)."""
        self.background.server = server
        for path, recursive, wanted in self.watched_paths():
            self._watcher.watch(server, path, recursive, wanted)

    def on_shutdown(self) -> None:
        """The server stops (Ctrl-C): stop the worker and any job it runs, quietly."""
        self.background.closing = True
        self.engine.close()

    def watched_paths(self):
        return serve.watched_paths(self.engine, self.jobs.values())

    # -- figures ---------------------------------------------------------------------------------------
    @_survives(_nothing)
    def build_figures(self) -> None:
        """Rebuild stale jobs; with `build` off (publishing, where torch is not installed) nothing is computed:
        the committed outputs are used as they are, and CI has already checked they are fresh.

        Never raises: every problem is an EngineError, logged once (a syntax error in a module ten figures
        import is one error with its file:line, not ten), and kept for `check`, which stops a strict build
        with them before site/ is touched. A broken declaration makes only its own figures unavailable.
        Under `serve` the jobs run in the background (serve.Background); their pages say they are being
        recomputed, and the site is rebuilt when they end."""
        self.failed, self.values, self._engine_errors, self._unavailable = {}, {}, [], {}
        self.updating = set()
        self.engine.keep_warm = self.serving
        report = None
        try:
            decl = self.engine.declarations()
            self.jobs = decl.jobs
            self._unavailable = {fid: str(e) for fid, e in decl.unavailable.items()}
            self._engine_errors += [str(e) for e in decl.errors]
            if not self.build:
                self.log.info("FIGURES_BUILD=0: publishing the committed figures without checking them")
                return
            if self.serving:
                report, self.updating, self.failed = self.background.start(self._background_done)
            else:
                report = self.engine.build()
        except EngineError as e:
            self._engine_errors.append(str(e))
        self._engine_errors += self._log_report(report)

    def _background_done(self, report: BuildReport) -> None:
        self._engine_errors = []
        self._log_report(report)

    def _log_report(self, report: BuildReport | None) -> list[str]:
        """Log what a build did; return its error messages, each once with every figure it failed."""
        if report is None:
            for message in self._engine_errors:
                self.log.error(message)
            return []
        errors: list[str] = []
        by_message: dict[str, list[str]] = {}
        for jid, message in report.failed.items():
            self.failed[jid] = reason(message)
            by_message.setdefault(message, []).append(jid)
        for message, ids in by_message.items():
            kept = f" (figures {', '.join(sorted(ids))} keep their last good version)" if len(ids) > 1 else ""
            errors.append(message + kept)
        for message in self._engine_errors + errors:
            self.log.error(message)
        for jid, message in report.cancelled.items():
            self.failed[jid] = "it was stopped because its code changed while it ran"  # the next build runs it
            self.log.info(message)
        for jid, message in report.waiting.items():
            self.log.warning(f"{jid}: {message}")  # the committed version is published meanwhile
        if report.built:
            self.log.info(f"rebuilt {len(report.built)} figure job(s): " + ", ".join(
                f"{jid} ({report.seconds[jid]:.1f} s, compute and plot {report.compute[jid]:.1f} s)"
                if jid in report.compute else jid for jid in report.built))
        return errors

    # -- checks ----------------------------------------------------------------------------------------
    @_survives(_nothing)
    def _load_bibliography(self) -> None:
        self.renderer.load_bibliography()

    @_survives(_nothing)
    def check(self, config) -> None:
        """sitecheck.problems, before MkDocs empties the site directory. Under `mkdocs serve` (not strict) a
        failed build would freeze the preview, so there a broken post is logged and left out instead."""
        bib_error = self.renderer.bib_error
        found = [bib_error] if bib_error else []
        if config.strict:  # a failed figure or a broken declaration stops a strict build before site/ is touched
            found += self._engine_errors
        lenient = self.serving and not config.strict
        self._left_out = set()
        figures = [job for job in self.jobs.values() if job.kind == "figure"]
        if config.strict and self.publish:
            found += [str(p) for p in preflight.check_site_url(config.site_url, "mkdocs.yml")]
            found += [str(p) for p in preflight.check_repo_url(config.repo_url, "mkdocs.yml")]
        found += sitecheck.problems(config, self.engine.root, figures, self.engine.out_dir,
                                    lambda body, rel: self.renderer.render(body, rel)[1],
                                    self._left_out if lenient else None)
        if found and lenient:
            for problem in found:
                self.log.error(problem)
            if self._left_out:
                self.log.error(f"left out of the preview until fixed: {', '.join(sorted(self._left_out))}")
        elif found:
            raise PluginError("the site was not built (the last build is left as it was):\n  "
                              + "\n  ".join(dict.fromkeys(found)))
