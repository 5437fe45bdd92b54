"""The engine as MkDocs sees it: build before each site build, publish outputs, render shortcodes.

`scripts/hooks.py` forwards MkDocs events here; this module is tested without MkDocs running.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import pathlib
import posixpath
import re
import threading
import traceback
from collections.abc import Callable

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from scripts.engine import callouts, citations, claims, preflight, rendercache, series, shortcodes, sources
from scripts.engine import paths
from scripts.engine.build import Engine
from scripts.engine.declarations import Job
from scripts.engine.errors import EngineError

MATHJAX_SKIP = ("sre/", "-full", "speech", "node-main", "latest.js", "adaptors/")
MATHJAX_BUNDLE = "tex-svg.js"  # the one combined component the pages load; the other top-level ones (7 MB) are unused


def _mathjax_file_wanted(rel: str) -> bool:
    if "/" not in rel:
        return rel == MATHJAX_BUNDLE
    return not any(s in rel for s in MATHJAX_SKIP)


def mathjax_dir() -> pathlib.Path | None:
    """MathJax 3 as shipped by the pinned `django-static-mathjax` wheel (no CDN, no npm)."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return path if path.is_dir() else None


def _survives(fallback: Callable):
    """Under `mkdocs serve`, an unexpected error in a handler must not abort the build: MkDocs would then hold
    every request ("the server will appear stuck") until the file is fixed. So there it is logged once, with
    the innermost project `file:line`, and the handler returns `fallback(self, *args)` (its input as it came,
    or a page that says what broke). A one-shot build raises as before, so `--strict` still fails."""
    def wrap(method):
        @functools.wraps(method)
        def handler(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except PluginError:
                raise  # preflight's own verdict on a strict build
            except Exception as e:
                if not self.serving:
                    raise
                self.last_error = _one_line(e)
                self.log.error(f"{self.last_error} (the preview goes on without it; fix the file and save)")
                return fallback(self, *args, **kwargs)
        return handler
    return wrap


def _one_line(e: BaseException) -> str:
    """`file:line: message` at the innermost frame in the project (not in a library), for an error log line."""
    if isinstance(e, EngineError):
        return str(e)
    root = str(paths.ROOT) + os.sep
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename.startswith(root)]
    where = f"{os.path.relpath(frames[-1].filename, paths.ROOT)}:{frames[-1].lineno}: " if frames else ""
    return f"{where}{type(e).__name__}: {e}"


def _page_broken(self: "SiteBridge", markdown: str, page) -> str:
    return (f'!!! failure "This page could not be rendered"\n    `{self.last_error}`\n\n' + markdown)


class SiteBridge:
    def __init__(self, root: pathlib.Path, log: logging.Logger | logging.LoggerAdapter):
        self.engine = Engine(root)
        self.log = log
        self._jobs: dict[str, Job] = {}
        self._failed: set[str] = set()
        self._engine_errors: list[str] = []  # this build's engine problems, each once: declarations, jobs
        self._unavailable: dict[str, str] = {}  # figure id -> the declaration error that makes it unbuildable
        self._values: dict[str, dict] = {}  # figure id -> its {id}.json, read once per build
        self._bib = citations.Bibliography(root / citations.BIB_FILE)
        self._bib_error: str | None = None
        self.serving = False  # set by the `startup` event under `mkdocs serve`
        self._server = None  # MkDocs' live-reload server, under serve
        self._bg: threading.Thread | None = None  # the background figure build, under serve
        self._bg_ids: set[str] = set()
        self._bg_lock = threading.Lock()
        self._gave_up: dict[str, tuple[str, str]] = {}  # failed job -> (its fingerprint digest, the error)
        self._updating: set[str] = set()
        self._warmed = False
        self._closing = False  # the server is stopping: a background build's end is news to nobody
        self.last_error = ""  # the last error a handler survived under serve (see _survives)
        self.dirty = False  # `--dirty` / `--dirtyreload`: MkDocs rebuilds only some pages
        self._left_out: set[str] = set()  # posts too broken to build, left out of a serve preview
        self.start_build()

    # -- events ----------------------------------------------------------------------------------------
    def start_build(self) -> None:
        """A new build: its own view of the render cache (the set of files, hence every key, may differ)."""
        self.renders = rendercache.RenderCache(self.engine.cache_dir / rendercache.FOLDER)

    @_survives(lambda self, *a, **k: None)
    def configure(self, config) -> None:
        """mkdocs-jupyter's cache folder, relative to mkdocs.yml rather than to wherever mkdocs was started."""
        jupyter = config.plugins.get("mkdocs-jupyter")
        if jupyter is not None and not os.path.isabs(jupyter.config["cache_dir"]):
            jupyter.config["cache_dir"] = os.path.join(os.path.dirname(config.config_file_path),
                                                       jupyter.config["cache_dir"])

    @_survives(lambda self, *a, **k: None)
    def cache_templates(self, config) -> None:
        rendercache.wrap_theme(config.theme, self.engine.cache_dir / rendercache.TEMPLATES_FOLDER)

    @_survives(lambda self, *a, **k: None)
    def cache_search(self, config, files) -> None:
        search = config.plugins.get("material/search")
        if search is not None and getattr(search, "search_index", None) is not None:
            self.renders.wrap_search(search.search_index, dict(search.config), config, files)

    @_survives(lambda self, *a, **k: None)
    def cache_readtime(self, html: str, page, config) -> None:
        """Set a post's reading time from the cache before the blog plugin computes it (an explicit
        `readtime:` in the front matter is left alone)."""
        blog = config.plugins.get("material/blog")
        post_config = getattr(page, "config", None)
        if blog is None or not blog.config.post_readtime or post_config is None or post_config.readtime:
            return
        if page in blog.blog.posts:
            post_config.readtime = self.renders.readtime(html, blog.config.post_readtime_words_per_minute)

    @_survives(lambda self, *a, **k: None)
    def cache_render(self, page, config, files) -> None:
        self.renders.wrap_page(page, config, files)

    @_survives(lambda self, *a, **k: None)
    def cache_excerpt(self, page, config, files) -> None:
        excerpt = getattr(page, "excerpt", None)  # set by the blog plugin on posts
        if excerpt is not None:
            self.renders.wrap_excerpt(excerpt, config, files)

    @_survives(lambda self, *a, **k: None)
    def finish_build(self) -> None:
        self.renders.finish(partial=self.dirty)
        self.log.debug(f"render cache: {self.renders.summary()}")

    @_survives(lambda self, *a, **k: None)
    def load_bibliography(self) -> None:
        """(Re)parse docs/references.bib when it changed since the last build."""
        self._bib_error = None
        if self._bib.fresh() and self._bib.digest:
            return
        try:
            self._bib = citations.Bibliography.load(self.engine.root / citations.BIB_FILE,
                                                    citations.BIB_FILE.as_posix(),
                                                    cache=self.engine.root / ".cache" / "bibliography.json")
        except citations.BibliographyError as e:
            self._bib = citations.Bibliography(self.engine.root / citations.BIB_FILE)
            self._bib_error = str(e)

    @_survives(lambda self, *a, **k: None)
    def preflight(self, config) -> None:
        """Check every source before MkDocs empties the site directory; raise one error listing every problem.

        Front matter of posts and the bibliography are always checked (the blog plugin would fail on them
        anyway, with a worse message). Page content — shortcodes, citations, callouts, images — is checked here
        in strict mode; otherwise `render_page` logs it and the page shows the mistake in place.

        Under `mkdocs serve` (not strict) a failed build would freeze the preview — MkDocs holds every request
        until a build succeeds — so there a broken post is logged and left out, and the rest stays live."""
        docs = pathlib.Path(config.docs_dir)
        prefix = os.path.relpath(docs, self.engine.root).replace(os.sep, "/")
        rules, post_dir = _blog_rules(config, docs)
        problems: list[str] = [self._bib_error] if self._bib_error else []
        if config.strict:  # a failed figure or a broken declaration stops a strict build before site/ is touched
            problems += self._engine_errors
        self._left_out = set()
        lenient = self.serving and not config.strict
        generated = frozenset(paths.published(p.name) for job in self._jobs.values() if job.kind == "figure"
                              for p in job.outputs(self.engine.out_dir))
        for path in sorted(docs.rglob("*.md")):
            rel = path.relative_to(docs).as_posix()
            display, text = f"{prefix}/{rel}", path.read_text(encoding="utf-8")
            found: list[preflight.Problem] = []
            if post_dir is not None and rel.startswith(post_dir + "/"):
                found += preflight.check_post(display, text, rules)
                if found and lenient:
                    self._left_out.add(rel)
            if config.strict:
                source, _ = preflight.split_front_matter(display, text)
                found += preflight.check_images(display, source.body, source.body_line, posixpath.dirname(rel),
                                                docs, generated)
                found += preflight.check_quotations(display, source.body, source.body_line)
                found += [preflight.Problem(display, source.body_line + e.line - 1, e.message)
                          for e in self._render(source.body, rel)[1]]
            problems += [str(p) for p in sorted(found, key=lambda p: p.line)]
        if problems and lenient:
            for problem in problems:
                self.log.error(problem)
            if self._left_out:
                self.log.error(f"left out of the preview until fixed: {', '.join(sorted(self._left_out))}")
        elif problems:
            raise PluginError("the site was not built (the last build is left as it was):\n  "
                              + "\n  ".join(dict.fromkeys(problems)))

    def _render(self, markdown: str, page_url: str) -> tuple[str, list[shortcodes.ShortcodeError]]:
        """Citations, then shortcodes (citations keep the page's line numbers), and the callout check."""
        text, errors = citations.render(markdown, self._bib)
        text, more = shortcodes.render(text, page_url, _Catalog(self))
        more = [e for e in more if not self._about_unavailable(e.message)]  # its declaration error says it once
        return text, errors + more + callouts.check(markdown)

    def _about_unavailable(self, message: str) -> bool:
        return any(f'"{fid}"' in message or f'"{fid}.' in message for fid in self._unavailable)

    @_survives(lambda self, *a, **k: None)
    def build_figures(self) -> None:
        """Rebuild stale jobs. With FIGURES_BUILD=0 (publishing, where torch is not installed) nothing is
        computed: the committed outputs are used as they are, and CI has already checked they are fresh.

        Never raises: every problem is an EngineError, logged once (a syntax error in a module ten figures
        import is one error with its file:line, not ten), and kept for `preflight`, which stops a strict
        build with them before site/ is touched. A broken declaration makes only its own figures unavailable.

        Under `serve` the jobs run in the background (`_start_background`): MkDocs holds every request until
        a build ends, so a build that waited for a slow or runaway job would freeze the preview. The site is
        built at once with the last good figures (their pages say they are being recomputed), and rebuilt
        when the jobs end."""
        self._failed, self._values, self._engine_errors, self._unavailable = set(), {}, [], {}
        self._updating = set()
        self.engine.keep_warm = self.serving
        report = None
        try:
            decl = self.engine.declarations()
            self._jobs = decl.jobs
            self._unavailable = {fid: str(e) for fid, e in decl.unavailable.items()}
            self._engine_errors += [str(e) for e in decl.errors]
            if os.environ.get("FIGURES_BUILD", "1") == "0":
                self.log.info("FIGURES_BUILD=0: publishing the committed figures without checking them")
                return
            report = self._start_background() if self.serving else self.engine.build()
        except EngineError as e:
            self._engine_errors.append(str(e))
        self._engine_errors += self._log_report(report)

    def _log_report(self, report) -> list[str]:
        """Log what a build did; return its error messages, each once with every figure it failed."""
        if report is None:
            for message in self._engine_errors:
                self.log.error(message)
            return []
        errors: list[str] = []
        by_message: dict[str, list[str]] = {}
        for jid, message in report.failed.items():
            self._failed.add(jid)
            by_message.setdefault(message, []).append(jid)
        for message, ids in by_message.items():
            kept = f" (figures {', '.join(sorted(ids))} keep their last good version)" if len(ids) > 1 else ""
            errors.append(message + kept)
        for message in self._engine_errors + errors:
            self.log.error(message)
        for jid, message in report.cancelled.items():
            self._failed.add(jid)  # its page says "out of date" until the next build, which runs it again
            self.log.info(message)
        for jid, message in report.waiting.items():
            self.log.warning(f"{jid}: {message}")  # the committed version is published meanwhile
        if report.built:
            self.log.info(f"rebuilt {len(report.built)} figure job(s): " + ", ".join(
                f"{jid} ({report.seconds[jid]:.1f} s, compute and plot {report.compute[jid]:.1f} s)"
                if jid in report.compute else jid for jid in report.built))
        return errors

    def _start_background(self):
        """Under serve: start the stale jobs in a thread unless one is running; return what is known now (jobs
        that cannot even be traced, artifacts waiting for training). A job that failed is not run again until
        what it reads changes (its fingerprint), or every rebuild would run it again."""
        with self._bg_lock:
            busy = self._bg is not None and self._bg.is_alive()
            gave_up = dict(self._gave_up)
        if busy:
            self._updating = set(self._bg_ids)
            self._failed = {jid for jid in gave_up}
            return None
        plan = self.engine.stale_plan()
        todo = {job.id: fp.digest for job, fp in plan.todo}
        self._failed = {jid for jid, (digest, _) in gave_up.items() if todo.get(jid) == digest}
        run = {jid: d for jid, d in todo.items() if jid not in self._failed}
        if run:
            self._updating = set(run)
            self._bg_ids = set(run)
            self._bg = threading.Thread(target=self._background, args=(run,), name="figures", daemon=True)
            self._bg.start()
        elif self._bg is None or not self._warmed:
            self._warmed = True
            threading.Thread(target=self.engine.warm_up, daemon=True).start()  # torch & co. before the first edit
        from scripts.engine.build import BuildReport
        return BuildReport(failed=dict(plan.failed), waiting=dict(plan.waiting))

    def _background(self, run: dict[str, str]) -> None:
        """The thread: build `run` (id -> fingerprint digest at the start), remember failures, log, then ask
        MkDocs for a rebuild so the pages show the new figures."""
        try:
            report = self.engine.build(list(run))
        except EngineError as e:
            self.log.error(str(e))
            report = None
        except Exception as e:  # a bug of ours must not kill the preview either
            self.log.error(f"the figure build failed: {_one_line(e)}")
            report = None
        if self._closing:
            return
        with self._bg_lock:
            for jid in run:
                self._gave_up.pop(jid, None)
            for jid, message in (report.failed.items() if report else ()):
                self._gave_up[jid] = (run.get(jid, ""), message)
        if report is not None:
            self._engine_errors = []
            self._log_report(report)
        self.engine.warm_up()
        self._want_rebuild()

    def shutdown(self) -> None:
        """The server stops (Ctrl-C): stop the worker and any job it runs, quietly."""
        self._closing = True
        self.engine.close()

    def _want_rebuild(self) -> None:
        """Ask MkDocs' live-reload server for a site build (as its own file watcher does)."""
        server = self._server
        cond = getattr(server, "_rebuild_cond", None)
        if cond is None:
            return
        with cond:
            server._want_rebuild = True
            cond.notify_all()

    @_survives(lambda self, files, config: files)
    def add_files(self, files: Files, config) -> Files:
        for rel in self._left_out:
            f = files.get_file_from_path(rel)
            if f is not None:
                files.remove(f)
        out = self.engine.out_dir
        for job in self._jobs.values():
            if job.kind == "figure":
                for path in job.outputs(out):  # images, widget data, and the values and verdicts (JSON)
                    if path.exists():
                        files.append(File.generated(config, paths.published(path.name), abs_src_path=str(path)))
            elif job.kind == "notebook":  # render the executed notebook in place of its source (mkdocs-jupyter's File)
                executed = self.engine.output_path(job)
                src_uri = job.script.relative_to("docs").as_posix()
                f = files.get_file_from_path(src_uri)
                if f is not None and executed.exists():
                    f.abs_src_path = str(executed)
                elif f is not None:
                    self.log.warning(f"{job.script}: no executed copy yet; the page shows the code without outputs")
        posts = {f.src_uri: f.content_string for f in files if f.is_documentation_page()
                 if f.src_uri.startswith("posts/") and f.src_uri.endswith(".md")}
        files.append(File.generated(config, "open-questions.md", content=callouts.open_questions_page(posts)))
        pages = {f.src_uri: f.content_string for f in files
                 if f.is_documentation_page() and f.src_uri.endswith(".md")}
        figure_ids = [jid for jid, job in self._jobs.items() if job.kind == "figure"]
        files.append(File.generated(config, claims.PAGE, content=claims.claims_page(
            pages, self.engine.verdicts, figure_ids)))
        try:
            self._series = series.load(config.extra, set(pages))
        except series.SeriesError as e:
            self._series = []
            self.log.error(str(e))
        self._titles = series.titles_of(pages)
        self._site = (config.site_url or "", config.site_name, config.site_author or config.site_name)
        scripts = [job.script for job in self._jobs.values() if job.kind == "figure"]
        cache = self.engine.cache_dir / "source-pages.json"
        for uri, content in sources.cached_pages(self.engine.root, scripts, cache).items():
            files.append(File.generated(config, uri, content=content))
        mj = mathjax_dir()
        if mj is None:
            self.log.error("MathJax is missing: install the pinned requirements (django-static-mathjax).")
        else:
            for path in sorted(mj.rglob("*")):
                rel = path.relative_to(mj).as_posix()
                if path.is_file() and _mathjax_file_wanted(rel):
                    files.append(File.generated(config, f"assets/mathjax/{rel}", abs_src_path=str(path)))
        return files

    @_survives(_page_broken)
    def render_page(self, markdown: str, page) -> str:
        if page.file.src_uri.startswith("posts/") and getattr(self, "_site", None):
            site_url, site_name, author = self._site
            markdown = series.decorate(markdown, page.file.src_uri, meta=page.meta, all_series=self._series,
                                       titles=self._titles, site_url=site_url, page_url=page.url,
                                       site_name=site_name, author=author)
        text, errors = self._render(markdown, page.url)
        offset = _body_offset(page.file.content_string, markdown) if errors else 0
        for err in errors:
            self.log.error(f"{page.file.src_path}:{err.line + offset}: {err.message}")
        return text

    def watched_paths(self) -> list[tuple[pathlib.Path, bool, Callable[[str], bool] | None]]:
        """(path, recursive, wanted) to watch under serve: the code (`*.py` under scripts/, so a new script is
        seen), the declarations folder (`*.yml` directly in figures/, so a new declaration is seen without a
        restart) and the inputs. `wanted(file)` says which changed files trigger a build (None: all): never the
        engine's own writes — figures/manifest.json, figures/out/, __pycache__/ — or every build that rebuilt a
        figure would trigger a second one."""
        root = self.engine.root
        figures = self.engine.figures_dir
        watched = [(root / "scripts", True, _is_source), (figures, False, lambda f: _is_declaration(f, figures))]
        watched += [(root / p, True, None) for job in self._jobs.values() for p in job.inputs]
        seen, out = set(), []
        for path, recursive, wanted in watched:
            if path.exists() and path not in seen:
                seen.add(path)
                out.append((path, recursive, wanted))
        return sorted(out, key=lambda w: str(w[0]))

    def watch(self, server) -> None:
        """Register `watched_paths` with MkDocs' live-reload server (the `on_serve` event)."""
        self._server = server
        for path, recursive, wanted in self.watched_paths():
            watch_filtered(server, path, recursive, wanted)


def _is_source(path: str) -> bool:
    return path.endswith(".py") and "__pycache__" not in pathlib.PurePath(path).parts


def _is_declaration(path: str, figures_dir: pathlib.Path) -> bool:
    p = pathlib.PurePath(path)
    return p.suffix == ".yml" and not p.name.startswith(".") and str(p.parent) == str(figures_dir)


_WRITES = frozenset({"created", "modified", "deleted", "moved", "closed"})  # watchdog's event types that change a file


def watch_filtered(server, path: pathlib.Path, recursive: bool, wanted: Callable[[str], bool] | None) -> None:
    """`server.watch(path)`, but a build is triggered only by changed files that are `wanted`.

    MkDocs' `watch` has no filter, so this schedules a handler that triggers a build the way MkDocs' handler
    does. The handler runs on an observer of our own, watchdog's native one (inotify on Linux): MkDocs' polls
    every 0.5 s, which an author editing a figure's script would wait for on every save. If a future MkDocs
    lacks those internals, it falls back to `server.watch` (correct, but a build writing the manifest then
    triggers one more)."""
    cond = getattr(server, "_rebuild_cond", None)
    if wanted is None or cond is None or getattr(server, "observer", None) is None or not hasattr(server, "_want_rebuild"):
        server.watch(str(path), recursive=recursive)
        return
    import watchdog.events
    import watchdog.observers

    observer = getattr(server, "_figures_observer", None)
    if observer is None:
        observer = server._figures_observer = watchdog.observers.Observer()
        observer.daemon = True
        observer.start()

    def on_any_event(event) -> None:
        if event.is_directory or event.event_type not in _WRITES:  # inotify also reports reads: opened, closed_no_write
            return
        files = [event.src_path, getattr(event, "dest_path", "") or ""]
        if any(f and wanted(os.fsdecode(f)) for f in files):
            with cond:
                server._want_rebuild = True
                cond.notify_all()

    handler = watchdog.events.FileSystemEventHandler()
    handler.on_any_event = on_any_event  # type: ignore[method-assign]
    observer.schedule(handler, str(path), recursive=recursive)


def _blog_rules(config, docs: pathlib.Path) -> tuple[preflight.BlogRules, str | None]:
    """The blog plugin's settings that posts must satisfy, and its posts folder (None: no blog)."""
    blog = config.plugins.get("material/blog")
    if blog is None:
        return preflight.BlogRules(), None
    c = blog.config
    post_dir = posixpath.normpath(c.post_dir.format(blog=c.blog_dir))
    authors = None
    authors_file = docs / posixpath.normpath(c.authors_file.format(blog=c.blog_dir))
    if c.authors and authors_file.exists():
        data = yaml.safe_load(authors_file.read_text(encoding="utf-8")) or {}
        authors = frozenset((data.get("authors") or {}).keys())
    return preflight.BlogRules(tuple(c.categories_allowed or ()), authors,
                               c.post_excerpt_separator if c.post_excerpt == "required" else None), post_dir


def _body_offset(source: str, body: str) -> int:
    """Lines of the source file before the body MkDocs hands to hooks (front matter is stripped)."""
    lead = len(body) - len(body.lstrip("\n"))
    start = source.find(body.lstrip("\n")[:200])
    return max(0, source[:start].count("\n") - lead) if start >= 0 else 0


class _Catalog:
    """Adapts the bridge's per-build state to `shortcodes.Catalog`."""

    def __init__(self, bridge: SiteBridge):
        self.bridge = bridge

    def job(self, figure_id: str) -> Job | None:
        job = self.bridge._jobs.get(figure_id)
        return job if job is not None and job.kind == "figure" else None

    def _record(self, figure_id: str) -> dict:
        cache = self.bridge._values  # per build: each figure's JSON is read once
        if figure_id not in cache:
            cache[figure_id] = self.bridge.engine.record(figure_id)
        return cache[figure_id]

    def values(self, figure_id: str) -> dict[str, str]:
        return self._record(figure_id).get("values", {})

    def image_url(self, figure_id: str, theme: str, page_url: str) -> str:
        return get_relative_url(paths.published(paths.image_name(figure_id, theme)), page_url)

    def image_size(self, figure_id: str) -> tuple[int, int] | None:
        """The light image's size in CSS px (SVG pt x 4/3), so the page reserves its box before a lazy load."""
        path = self.bridge.engine.out_dir / paths.image_name(figure_id, "light")
        if not path.exists():
            return None
        m = re.search(rb'<svg[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"', path.read_bytes()[:2000])
        return (round(float(m.group(1)) * 4 / 3), round(float(m.group(2)) * 4 / 3)) if m else None

    def data_url(self, figure_id: str, page_url: str) -> str:
        return get_relative_url(paths.published(paths.data_name(figure_id)), page_url)

    def failed(self, figure_id: str) -> bool:
        return figure_id in self.bridge._failed

    def updating(self, figure_id: str) -> bool:
        return figure_id in self.bridge._updating

    def verdicts(self, figure_id: str) -> dict[str, dict]:
        return self._record(figure_id).get("verdicts", {})

    def tables(self, figure_id: str) -> dict[str, dict]:
        return self._record(figure_id).get("tables", {})

    def source_url(self, script: pathlib.Path, page_url: str) -> str:
        return get_relative_url(sources.page_url(script), page_url)

    def values_url(self, figure_id: str, page_url: str) -> str:
        return get_relative_url(paths.published(paths.values_name(figure_id)), page_url)

    def claims_url(self, page_url: str) -> str:
        return get_relative_url(claims.PAGE.removesuffix(".md") + "/", page_url)
