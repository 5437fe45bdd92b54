"""The engine as MkDocs sees it: build before each site build, publish outputs, render shortcodes.

`scripts/hooks.py` forwards MkDocs events here; this module is tested without MkDocs running.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pathlib

from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from scripts.engine import callouts, shortcodes
from scripts.engine.build import Engine
from scripts.engine.declarations import DeclarationError, Job

MATHJAX_SKIP = ("sre/", "-full", "speech", "node-main", "latest.js")


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

    # -- events ----------------------------------------------------------------------------------------
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
                if path.is_file() and not any(s in rel for s in MATHJAX_SKIP):
                    files.append(File.generated(config, f"assets/mathjax/{rel}", abs_src_path=str(path)))
        return files

    def render_page(self, markdown: str, page) -> str:
        text, errors = shortcodes.render(markdown, page.url, _Catalog(self))
        errors += callouts.check(markdown)
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
