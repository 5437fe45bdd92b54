"""The engine as MkDocs sees it: build before each site build, publish outputs, render shortcodes.

`scripts/hooks.py` forwards MkDocs events here; this module is tested without MkDocs running.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pathlib
import posixpath

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from scripts.engine import callouts, citations, preflight, shortcodes
from scripts.engine.build import Engine
from scripts.engine.declarations import DeclarationError, Job

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


class SiteBridge:
    def __init__(self, root: pathlib.Path, log: logging.Logger | logging.LoggerAdapter):
        self.engine = Engine(root)
        self.log = log
        self._jobs: dict[str, Job] = {}
        self._failed: set[str] = set()
        self._values: dict[str, dict[str, str]] = {}
        self._bib = citations.Bibliography(root / citations.BIB_FILE)
        self._bib_error: str | None = None
        self.serving = False  # set by the `startup` event under `mkdocs serve`
        self._left_out: set[str] = set()  # posts too broken to build, left out of a serve preview

    # -- events ----------------------------------------------------------------------------------------
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
        self._left_out = set()
        lenient = self.serving and not config.strict
        generated = frozenset(f"figures/{p.name}" for job in self._jobs.values() if job.kind == "figure"
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
        return text, errors + more + callouts.check(markdown)

    def build_figures(self) -> None:
        """Rebuild stale jobs. With FIGURES_BUILD=0 (publishing, where torch is not installed) nothing is
        computed: the committed outputs are used as they are, and CI has already checked they are fresh."""
        self._failed, self._values = set(), {}
        try:
            self._jobs = self.engine.jobs()
            if os.environ.get("FIGURES_BUILD", "1") == "0":
                self.log.info("FIGURES_BUILD=0: publishing the committed figures without checking them")
                return
            report = self.engine.build()
        except (DeclarationError, KeyError, ValueError) as e:
            self._jobs = {}
            self.log.error(str(e))
            return
        for jid, message in report.failed.items():
            self._failed.add(jid)
            self.log.error(message)
        if report.built:
            self.log.info(f"rebuilt {len(report.built)} figure job(s): {', '.join(report.built)}")

    def add_files(self, files: Files, config) -> Files:
        for rel in self._left_out:
            f = files.get_file_from_path(rel)
            if f is not None:
                files.remove(f)
        out = self.engine.out_dir
        for job in self._jobs.values():
            if job.kind == "figure":
                for path in [p for p in job.outputs(out) if not p.name.endswith(f"{job.id}.json")]:
                    if path.exists():
                        files.append(File.generated(config, f"figures/{path.name}", abs_src_path=str(path)))
            else:  # render the executed notebook in place of its source (the File is mkdocs-jupyter's wrapper)
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
        mj = mathjax_dir()
        if mj is None:
            self.log.error("MathJax is missing: install the pinned requirements (django-static-mathjax).")
        else:
            for path in sorted(mj.rglob("*")):
                rel = path.relative_to(mj).as_posix()
                if path.is_file() and _mathjax_file_wanted(rel):
                    files.append(File.generated(config, f"assets/mathjax/{rel}", abs_src_path=str(path)))
        return files

    def render_page(self, markdown: str, page) -> str:
        text, errors = self._render(markdown, page.url)
        offset = _body_offset(page.file.content_string, markdown) if errors else 0
        for err in errors:
            self.log.error(f"{page.file.src_path}:{err.line + offset}: {err.message}")
        return text

    def watched_paths(self) -> list[pathlib.Path]:
        root = self.engine.root
        paths = [root / "scripts", *sorted(self.engine.figures_dir.glob("*.yml"))]
        for job in self._jobs.values():
            paths.extend(root / p for p in job.inputs)
        return sorted({p for p in paths if p.exists()})


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

    def values(self, figure_id: str) -> dict[str, str]:
        cache = self.bridge._values
        if figure_id not in cache:
            cache[figure_id] = self.bridge.engine.values(figure_id)
        return cache[figure_id]

    def image_url(self, figure_id: str, theme: str, page_url: str) -> str:
        return get_relative_url(f"figures/{figure_id}.{theme}.svg", page_url)

    def data_url(self, figure_id: str, page_url: str) -> str:
        return get_relative_url(f"figures/{figure_id}.data.json", page_url)

    def failed(self, figure_id: str) -> bool:
        return figure_id in self.bridge._failed
