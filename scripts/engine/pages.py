"""Page content: expand {{ figure() }}, {{ ref() }}, {{ value() }} and [@citations] in a page's Markdown, add a
post's series links, and check callouts; errors name the page's file and line."""

from __future__ import annotations

import pathlib
import re

from mkdocs.utils import get_relative_url

from scripts.engine import (
    callouts,
    citations,
    claims,
    corrections,
    glossary,
    ledger,
    paths,
    provenance,
    publish,
    series,
    shortcodes,
    sources,
)
from scripts.engine.declarations import Job


class Renderer:
    """One serve session's (or build's) bibliography and series, and the figures of the `site` it renders for."""

    def __init__(self, site):
        self.site = site
        self.bib = citations.Bibliography(site.engine.root / citations.BIB_FILE)
        self.bib_error: str | None = None
        self.series: list = []
        self.titles: dict = {}
        self.identity: tuple[str, str, str] | None = None  # site URL, name, author
        self.repo_url: str | None = None  # where the repository lives (config repo_url, REPO_URL), for provenance
        self.value_changes: tuple[str, dict] = ("", {})  # HEAD, figure id -> dates its values changed (corrections.py)
        self.glossary: dict[str, glossary.Term] = {}  # docs/glossary.yml, read in on_files
        self.files = None  # the build's Files, for the URLs the glossary's cards link to

    def load_bibliography(self) -> None:
        """(Re)parse docs/references.bib when it changed since the last build."""
        self.bib_error = None
        if self.bib.fresh() and self.bib.digest:
            return
        root = self.site.engine.root
        try:
            self.bib = citations.Bibliography.load(root / citations.BIB_FILE, citations.BIB_FILE.as_posix(),
                                                   cache=self.site.engine.layout.bibliography_cache)
        except citations.BibliographyError as e:
            self.bib = citations.Bibliography(root / citations.BIB_FILE)
            self.bib_error = str(e)

    def load_series(self, pages: dict[str, str], config, log, left_out: frozenset[str] = frozenset()) -> None:
        try:
            self.series = series.load(config.extra, set(pages), left_out)
        except series.SeriesError as e:
            self.series = []
            log.error(str(e))
        self.titles = series.titles_of(pages)
        self.identity = (config.site_url or "", config.site_name, config.site_author or config.site_name)
        self.repo_url = config.repo_url or None

    def render(self, markdown: str, page_url: str) -> tuple[str, list[shortcodes.ShortcodeError]]:
        text, errors = citations.render(markdown, self.bib)
        text, more = shortcodes.render(text, page_url, Catalog(self.site))
        more = [e for e in more if not self.site.about_unavailable(e.message)]  # its declaration error says it once
        return text, errors + more + callouts.check(markdown)

    def render_page(self, markdown: str, page, log) -> str:
        engine, line = self.site.engine, ""
        if self.glossary and not page.file.src_uri.startswith(("glossary", "claims")):
            markdown = glossary.annotate(markdown, self.glossary, lambda t: self._glossary_urls(t, page.url))
        if page.file.src_uri.startswith("posts/"):  # the commit its figures were computed at
            ids = [m.group(2) or m.group(3) for m in shortcodes.SHORTCODE.finditer(markdown) if m.group(1) == "figure"]
            line = provenance.figures_line(engine.root, engine.out_dir, ids, self.repo_url)
        elif page.file.src_uri == "about.md":  # the commit the site was built from
            line = provenance.site_line(engine.root, self.repo_url)
        if page.file.src_uri.startswith("posts/"):  # what changed since it was published
            markdown = markdown.rstrip("\n") + "\n\n" + self.corrections(markdown, page) + "\n"
        if line:
            markdown = markdown.rstrip("\n") + "\n\n" + line + "\n"
        if page.file.src_uri.startswith("posts/") and self.identity:
            site_url, site_name, author = self.identity
            markdown = series.decorate(markdown, page.file.src_uri, meta=page.meta, all_series=self.series,
                                       titles=self.titles, site_url=site_url, page_url=page.url,
                                       site_name=site_name, author=author)
        text, errors = self.render(markdown, page.url)
        text = _feature_anchors(text)
        if page.file.src_uri == callouts.OPEN_QUESTIONS_PAGE:  # its callouts are quoted from posts, which say
            errors = []                                      # each error once, with their own file and line
        offset = _body_offset(page.file.content_string, markdown) if errors else 0
        for err in errors:
            log.error(f"{page.file.src_path}:{err.line + offset}: {err.message}")
        return text


    def _glossary_urls(self, term: glossary.Term, page_url: str) -> tuple[str, str]:
        """A card's two links, relative to the page: the note that explains the term, and its Glossary entry."""
        path, _, anchor = term.see.partition("#")
        f = self.files.get_file_from_path(path) if self.files is not None else None
        if f is not None and f.url == page_url:  # this very note explains it: link the section
            note = f"#{anchor}"
        else:
            note = get_relative_url(f.url, page_url) + (f"#{anchor}" if anchor else "") if f is not None else term.see
        return note, get_relative_url(glossary.PAGE.removesuffix(".md") + "/", page_url) + f"#{term.slug}"

    def corrections(self, markdown: str, page) -> str:
        """A post's "Updates and corrections" section (corrections.py): every figure the page quotes, placed or not,
        and every verdict of those figures."""
        root = self.site.engine.root
        try:
            head = ledger.git(root, "rev-parse", "HEAD").strip()
        except (OSError, FileNotFoundError):
            head = ""
        cache_file = self.site.engine.layout.corrections_cache
        if self.value_changes[0] != head or not head:
            self.value_changes = (head, corrections.load_cache(cache_file, head) if head else {})
        known = dict(self.value_changes[1])
        catalog = Catalog(self.site)
        found = [(m.group(1), (m.group(2) or m.group(3) or "").split(".")[0]) for m in shortcodes.SHORTCODE.finditer(markdown)]
        ids = list(dict.fromkeys(fid for kind, fid in found if kind in ("figure", "value", "verdict", "table", "ref")
                                 and catalog.job(fid) is not None))
        numbers = {fid: n for n, fid in enumerate(dict.fromkeys(f for k, f in found if k == "figure"), start=1)}
        records = {fid: catalog.verdicts(fid) for fid in ids}
        if self.site.ledger is None:
            self.site.ledger = ledger.build(root, cache=self.site.engine.layout.ledger_cache)
        src = pathlib.Path(page.file.abs_src_path).resolve().relative_to(root.resolve()).as_posix()
        history = corrections.post_history(root, src, ids, self.site.ledger, {f: list(r) for f, r in records.items()},
                                           cache=self.value_changes[1])
        if head and self.value_changes[1] != known:
            corrections.save_cache(cache_file, head, self.value_changes[1])
        claim_of = {f"{fid}.{key}": rec.get("claim", "") for fid, recs in records.items() for key, rec in recs.items()}
        return corrections.markdown(history, numbers=numbers, claim_of=claim_of, page_src=page.file.src_uri)


_BROWSER = '<div class="widget" data-widget="feature-browser"'


def _feature_anchors(text: str) -> str:
    """A prose link to a feature of the browser, `[feature 1,204](#feature-4096-1204)`, gets a real target: an
    empty element with that id just above the browser (feature-browser.js opens the feature), so the link is
    an anchor MkDocs can check and a browser without scripts still scrolls to the browser."""
    targets = dict.fromkeys(re.findall(r"\]\(#(feature-\d+-\d+)\)", text))  # after the shortcodes: ids resolved
    if not targets or _BROWSER not in text:
        return text
    spans = "".join(f'<span id="{t}" class="widget-anchor"></span>' for t in targets)
    return text.replace(_BROWSER, spans + _BROWSER, 1)


def _body_offset(source: str, body: str) -> int:
    """Lines of the source file before the body MkDocs hands to plugins (front matter is stripped)."""
    lead = len(body) - len(body.lstrip("\n"))
    start = source.find(body.lstrip("\n")[:200])
    return max(0, source[:start].count("\n") - lead) if start >= 0 else 0


class Catalog:
    """Adapts the site's per-build state to `shortcodes.Catalog`."""

    def __init__(self, site):
        self.site = site

    def job(self, figure_id: str) -> Job | None:
        job = self.site.jobs.get(figure_id)
        return job if job is not None and job.kind == "figure" else None

    def _record(self, figure_id: str) -> dict:
        cache = self.site.values  # per build: each figure's JSON is read once
        if figure_id not in cache:
            cache[figure_id] = self.site.engine.record(figure_id)
        return cache[figure_id]

    def values(self, figure_id: str) -> dict[str, str]:
        return self._record(figure_id).get("values", {})

    def image_url(self, figure_id: str, theme: str, page_url: str, phone: bool = False) -> str:
        return get_relative_url(paths.published(paths.image_name(figure_id, theme, phone)), page_url)

    def image_size(self, figure_id: str, phone: bool = False) -> tuple[int, int] | None:
        """The light image's size in CSS px (SVG pt x 4/3), so the page reserves its box before a lazy load;
        None if there is no such image (a phone rendering not computed yet: the page serves the column's)."""
        path = self.site.engine.out_dir / paths.image_name(figure_id, "light", phone)
        if not path.exists():
            return None
        m = re.search(rb'<svg[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"', path.read_bytes()[:2000])
        return (round(float(m.group(1)) * 4 / 3), round(float(m.group(2)) * 4 / 3)) if m else None

    def data_url(self, figure_id: str, page_url: str) -> str:
        return get_relative_url(paths.published(paths.data_name(figure_id)), page_url)

    def failed(self, figure_id: str) -> bool:
        return figure_id in self.site.failed

    def failure(self, figure_id: str) -> str:
        return self.site.failed.get(figure_id, "")

    def updating(self, figure_id: str) -> bool:
        return figure_id in self.site.updating

    def verdicts(self, figure_id: str) -> dict[str, dict]:
        """The figure's verdict records, each with its line of history (the ledger, read once per build)."""
        if self.site.ledger is None:  # read in on_files; a page rendered without it (a test) reads it here
            self.site.ledger = ledger.build(self.site.engine.root, cache=self.site.engine.layout.ledger_cache)
        job = self.job(figure_id)
        return publish.with_provenance(figure_id, self._record(figure_id).get("verdicts", {}), self.site.ledger,
                                       job.papers if job else None)

    def tables(self, figure_id: str) -> dict[str, dict]:
        return self._record(figure_id).get("tables", {})

    def source_url(self, script: pathlib.Path, page_url: str) -> str:
        return get_relative_url(sources.page_uri(script), page_url)

    def values_url(self, figure_id: str, page_url: str) -> str:
        return get_relative_url(paths.published(paths.values_name(figure_id)), page_url)

    def claims_url(self, page_url: str) -> str:
        return get_relative_url(claims.PAGE.removesuffix(".md") + "/", page_url)
