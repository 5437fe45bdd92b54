"""What the engine adds to the site's files: figure outputs, executed notebooks in place of their sources, the
generated pages (open questions, claims, the source views) and the site's own copy of MathJax."""

from __future__ import annotations

import importlib.util
import pathlib

from mkdocs.structure.files import File, Files

from scripts.engine import callouts, claims, glossary, internals, ledger, paths, series, sources
from scripts.engine.build import Engine

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


def _pages(files: Files) -> dict[str, str]:
    return {f.src_uri: f.content_string for f in files if f.is_documentation_page() and f.src_uri.endswith(".md")}


def with_provenance(fid: str, records: dict[str, dict], history: ledger.Ledger,
                    papers: dict[str, str] | None = None) -> dict[str, dict]:
    """Verdict records with their one line of history (ledger.py): whether the rule moved after a result; and
    the paper's own number where the declaration quotes one (`paper:`, for the reader, never computed)."""
    papers = papers or {}
    return {key: {**rec, "provenance": history.get(f"{fid}.{key}").provenance(),
                  **({"paper": papers[key]} if key in papers else {})} for key, rec in records.items()}


def add_files(files: Files, config, engine: Engine, jobs: dict, left_out: set[str], log,
              history: ledger.Ledger, terms: dict | None = None) -> dict[str, str]:
    """Remove from `files` the posts left out of a serve preview, add everything the engine publishes; return
    the Markdown pages (source URI -> text) with the open-questions page, which the series links read."""
    for rel in left_out:
        f = files.get_file_from_path(rel)
        if f is not None:
            files.remove(f)
    figures = [job for job in jobs.values() if job.kind == "figure"]
    for job in figures:
        for path in job.outputs(engine.out_dir):  # images, widget data, and the values and verdicts (JSON)
            if path.exists():
                files.append(File.generated(config, paths.published(path.name), abs_src_path=str(path)))
    for job in jobs.values():
        if job.kind == "notebook":
            executed = job.outputs(engine.out_dir)[0]
            f = files.get_file_from_path(job.script.relative_to("docs").as_posix())
            if f is not None and executed.exists():
                internals.render_notebook_from(f, str(executed))
            elif f is not None:
                log.warning(f"{job.script}: no executed copy yet; the page shows the code without outputs")
    posts = {uri: text for uri, text in _pages(files).items() if uri.startswith("posts/")}
    files.append(File.generated(config, callouts.OPEN_QUESTIONS_PAGE, content=callouts.open_questions_page(posts)))
    files.append(File.generated(config, glossary.PAGE, content=glossary.page(terms or {}, series.titles_of(
        _pages(files)))))
    pages = _pages(files)
    records = lambda fid: with_provenance(fid, engine.verdicts(fid), history, jobs[fid].papers)
    ids = [job.id for job in figures]
    files.append(File.generated(config, claims.PAGE, content=claims.claims_page(pages, records, ids)))
    files.append(File.generated(config, claims.HISTORY_PAGE, content=claims.history_page(
        {f"{fid}.{key}": rec for fid in ids for key, rec in records(fid).items()}, history)))
    for uri, content in sources.cached_pages(engine.root, [job.script for job in figures],
                                             engine.layout.source_pages).items():
        files.append(File.generated(config, uri, content=content))
    mj = mathjax_dir()
    if mj is None:
        log.error("MathJax is missing: install the pinned requirements (django-static-mathjax).")
        return pages
    for path in sorted(mj.rglob("*")):
        rel = path.relative_to(mj).as_posix()
        if path.is_file() and _mathjax_file_wanted(rel):
            files.append(File.generated(config, f"assets/mathjax/{rel}", abs_src_path=str(path)))
    return pages
