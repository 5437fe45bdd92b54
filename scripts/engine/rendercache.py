"""Reuse Markdown conversions across builds: a page or blog excerpt whose input did not change is not converted again.

Also cached the same way: the search index entries of each page (Material's search parses every page's HTML on
every build) and each post's reading time (Material's blog parses every post's HTML again for it).

MkDocs converts every page's Markdown on every build, and Material's blog converts each post once more for every
view that lists it (to cut its excerpt). A no-op build, or a rebuild under `mkdocs serve` after one figure
changed, would redo all of it. This cache wraps the `render` of each page and each excerpt object (per object, as
mkdocs-jupyter does for notebooks: no class is patched) with a content-addressed lookup. The key covers everything
a conversion reads:

- the Markdown after every `on_page_markdown` handler (so the figures' values, verdicts and citations are in it);
- the page's source path and URL, and for an excerpt the URL of the view it is shown on and of its post;
- the source path and URL of every file in the build (relative links resolve against them);
- the Markdown extensions with their configuration, and the link-validation settings;
- the installed libraries (the stats of the library folders: any install, upgrade or removal, Pygments
  included, changes them), the code of any extension or callable defined in the project, and this module.

Not covered: files an extension reads besides the page (`pymdownx.snippets`, custom icon folders). With such
an extension configured nothing is cached (`RenderCache.usable`).

What a hit restores: the HTML, the table of contents, the title found in the text, the anchors the page defines
and the links it makes to other pages' anchors (MkDocs validates those after every page is rendered).

A conversion that logged anything at INFO or above (a broken link, an extension's warning) is never stored, so
every build says it again and `--strict` still fails on it. Entries a build did not use are deleted at its end.
Errors: none of its own — an entry that cannot be read is a miss, one that cannot be written is skipped.
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import hashlib
import json
import logging
import os
import pathlib
import re
import sys
import tempfile
import threading
import time

import jinja2
from mkdocs.structure.toc import AnchorLink, TableOfContents, get_toc

from scripts.engine import snapshot

# Under .cache/ (paths.Layout.cache_dir). Named here, not in paths.py, because every figure script imports
# paths.py: a new name there would make every figure stale.
FOLDER = "render"  # converted pages and excerpts, one JSON file per key
TEMPLATES_FOLDER = "templates"  # Jinja's compiled theme templates (site.SiteBridge.cache_templates)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_INSTALLED = [os.path.join(os.path.abspath(p), "") for p in snapshot.library_folders()]
# Extensions that read files other than the page (the key cannot see those files): with one configured, nothing
# is cached. None is used here; the list makes adding one safe.
_READS_FILES = ("pymdownx.snippets", "pymdownx.b64", "markdown_include", "mdx_include")
_UNSET = object()
_STALE_TMP_SECONDS = 600  # a temporary file older than this is a killed build's, not a concurrent one's


def _code(module_name: str) -> str:
    """The code of a module outside the installed packages (a project's own extension or callable), as a hash:
    installed code is covered by the library folders' stats (see `_libraries`)."""
    file = getattr(sys.modules.get(module_name), "__file__", None)
    if not file or any(os.path.abspath(file).startswith(p) for p in _INSTALLED):
        return ""
    try:
        return hashlib.sha256(pathlib.Path(file).read_bytes()).hexdigest()
    except OSError:
        return ""


def _libraries() -> list:
    """The stats of the library folders: installing, upgrading or removing any package (Pygments, which
    colours code; jieba, which the search plugin uses if present; an extension's own package) changes them."""
    return [sys.version, [[folder, snapshot.stat(folder)] for folder in sorted(set(_INSTALLED))]]


def _stable(obj) -> object:
    """A JSON-able form of configuration that is the same in every process (no memory addresses)."""
    if isinstance(obj, collections.abc.Mapping):
        return {str(k): _stable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [_stable(v) for v in obj]
        return sorted(items, key=json.dumps) if isinstance(obj, (set, frozenset)) else items
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if callable(obj) and hasattr(obj, "__qualname__"):
        module = getattr(obj, "__module__", "?")
        return f"{module}.{obj.__qualname__}:{_code(module)}"
    if hasattr(obj, "getConfigs"):  # a Markdown extension instance
        kind = type(obj)
        return [f"{kind.__module__}.{kind.__qualname__}:{_code(kind.__module__)}", _stable(obj.getConfigs())]
    return _ADDRESS.sub("", repr(obj))


def _toc_tokens(toc: TableOfContents | list[AnchorLink]) -> list[dict]:
    return [{"level": a.level, "id": a.id, "name": a.title, "children": _toc_tokens(a.children)} for a in toc]


@contextlib.contextmanager
def _logged():
    """Collect what is logged meanwhile (MkDocs' loggers do not propagate to the root logger, so watch both)."""
    seen: list[logging.LogRecord] = []
    thread = threading.get_ident()  # under serve, other threads log too (the server, the watcher)

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.INFO and record.thread == thread and all(record is not r for r in seen):
                seen.append(record)

    handler = _Collect(logging.INFO)
    watched = [logging.getLogger(), logging.getLogger("mkdocs")]
    for logger in watched:
        logger.addHandler(handler)
    try:
        yield seen
    finally:
        for logger in watched:
            logger.removeHandler(handler)


class RenderCache:
    """One build's view of the cache folder; `finish` (after a complete build) deletes what it did not use."""

    def __init__(self, directory: pathlib.Path):
        self.dir = directory
        self.hits: collections.Counter[str] = collections.Counter()  # by kind: page, excerpt, search, readtime
        self.misses: collections.Counter[str] = collections.Counter()
        self._context: str | None = None
        self._used: set[str] = set()

    # -- keys ------------------------------------------------------------------------------------------------
    def _build_context(self, config, files) -> str:
        if self._context is None:
            h = hashlib.sha256(pathlib.Path(__file__).read_bytes())
            local = [_code(name) for name in config["markdown_extensions"] if isinstance(name, str)]
            settings = [_libraries(), local, config["markdown_extensions"], config["mdx_configs"], config["validation"],
                        config["use_directory_urls"], logging.getLogger("mkdocs").getEffectiveLevel()]
            h.update(json.dumps(_stable(settings), sort_keys=True).encode())
            for f in sorted(files, key=lambda f: f.src_uri):  # inclusion: a link to an excluded page is logged
                h.update(f"{f.src_uri}\0{f.dest_uri}\0{f.url}\0{f.inclusion}\n".encode())
            self._context = h.hexdigest()
        return self._context

    def _key(self, kind: str, *parts: str) -> str:
        h = hashlib.sha256(f"{kind}\0{self._context}".encode())
        for part in parts:
            h.update(b"\0" + part.encode())
        return h.hexdigest()[:40]

    # -- storage ---------------------------------------------------------------------------------------------
    def _load(self, kind: str, key: str) -> dict | None:
        self._used.add(key)
        try:
            entry = json.loads((self.dir / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses[kind] += 1
            return None
        self.hits[kind] += 1
        return entry

    def summary(self) -> str:
        return "; ".join(f"{kind}: {self.hits[kind]} reused, {self.misses[kind]} converted"
                         for kind in ("page", "excerpt", "search", "readtime"))

    def _store(self, key: str, entry: dict) -> None:
        """Write an entry; the cache is an optimisation, so a failure to write (a full disk, a concurrent build
        that removed the folder) only means it is converted again next time. Values JSON cannot hold are stored
        as `str()`, as the search plugin itself writes them."""
        tmp = None
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, default=str)
            os.replace(tmp, self.dir / f"{key}.json")
        except OSError:
            if tmp is not None:
                pathlib.Path(tmp).unlink(missing_ok=True)

    def finish(self, *, partial: bool = False) -> None:
        """After a build: delete the entries it did not use, and temporary files a killed build left (not those
        of a build running beside this one). A partial build (`--dirty`) uses only some: it deletes nothing."""
        if partial or not self.dir.is_dir():
            return
        now = time.time()
        for path in self.dir.iterdir():
            try:
                if path.suffix == ".json" and path.stem not in self._used:
                    path.unlink(missing_ok=True)
                elif path.suffix == ".tmp" and now - path.stat().st_mtime > _STALE_TMP_SECONDS:
                    path.unlink(missing_ok=True)
            except OSError:
                pass

    # -- wrapping ----------------------------------------------------------------------------------------------
    @staticmethod
    def usable(config) -> bool:
        """False when an extension that reads other files is configured (their content is not in any key)."""
        names = [n if isinstance(n, str) else type(n).__module__ for n in config["markdown_extensions"]]
        custom_icons = (config["mdx_configs"].get("pymdownx.emoji") or {}).get("options", {}).get("custom_icons")
        return not custom_icons and not any(n.startswith(r) for n in names for r in _READS_FILES)

    def wrap_page(self, page, config, files) -> None:
        """Serve `page.render` from the cache. A page whose render another plugin already replaced is left alone
        (mkdocs-jupyter's notebook pages: they have that plugin's own content-hashed cache)."""
        if "render" in vars(page) or not self.usable(config):
            return
        self._build_context(config, files)
        original = page.render

        def render(config, files) -> None:
            key = self._key("page", page.file.src_uri, page.file.url, page.markdown or "")
            entry = self._load("page", key)
            if entry is not None:
                page.content = entry["content"]
                page.toc = get_toc(entry["toc"])
                page._title_from_render = entry["title"]
                page.present_anchor_ids = set(entry["anchors"])
                if entry["links"] is not None:
                    page.links_to_anchors = {files.get_file_from_path(src): links
                                             for src, links in entry["links"].items()}
                return
            with _logged() as logged:
                original(config, files)
            if logged:
                return
            links = getattr(page, "links_to_anchors", None)
            self._store(key, {"content": page.content, "toc": _toc_tokens(page.toc),
                              "title": page._title_from_render, "anchors": sorted(page.present_anchor_ids or ()),
                              "links": None if links is None else {f.src_uri: v for f, v in links.items()}})

        page.render = render

    def wrap_excerpt(self, excerpt, config, files) -> None:
        """Serve a blog excerpt's `render(view, separator)` from the cache (Material's blog plugin calls it once
        per view that lists the post, converting the whole post each time).

        Material keeps one Markdown converter per excerpt and never resets it, so the footnotes extension
        numbered an excerpt's back-links by how many views had converted it before (`fnref:1`, `fnref2:1`, ...):
        the HTML depended on the order of conversions, which no cache key can see. The converter is reset before
        each conversion, so an excerpt's HTML depends on its input alone (its back-links are always `fnref:1`)."""
        if "render" in vars(excerpt) or not self.usable(config):
            return
        self._build_context(config, files)
        original, post = excerpt.render, excerpt.post

        def render(page, separator: str) -> None:
            key = self._key("excerpt", excerpt.file.src_uri, post.url, page.url, separator, post.title or "",
                            str(bool(post._title_from_render)), post.markdown or "")
            entry = self._load("excerpt", key)
            if entry is not None:
                excerpt.markdown = entry["markdown"]
                excerpt.content = entry["content"]
                if entry["more"] is not None:
                    excerpt.more = entry["more"]
                excerpt.toc = get_toc(entry["toc"])
                return
            before, excerpt.more = getattr(excerpt, "more", None), _UNSET
            excerpt.md.reset()  # see the method's docstring
            with _logged() as logged:
                original(page, separator)
            more = None if excerpt.more is _UNSET else excerpt.more
            if excerpt.more is _UNSET:
                excerpt.more = before
            if logged:
                return
            self._store(key, {"markdown": excerpt.markdown, "content": excerpt.content, "more": more,
                              "toc": _toc_tokens(excerpt.toc)})

        excerpt.render = render

    def wrap_search(self, index, settings, config, files) -> None:
        """Serve Material's search index entries for a page from the cache: `add_entry_from_context(page)` parses
        the page's final HTML into sections on every build. The key is everything an entry is made of: the
        page's URL, title, front matter, HTML and table of contents, and the search plugin's settings."""
        if "add_entry_from_context" in vars(index) or not self.usable(config):
            return
        self._build_context(config, files)
        original, options = index.add_entry_from_context, json.dumps(_stable(settings), sort_keys=True)

        def add_entry_from_context(page) -> None:
            key = self._key("search", options, page.url, str(page.title), json.dumps(_stable(page.meta), sort_keys=True),
                            page.content or "", json.dumps(_toc_tokens(page.toc or [])))
            entry = self._load("search", key)
            if entry is not None:
                index.entries.extend(entry["entries"])
                return
            before = len(index.entries)
            with _logged() as logged:
                original(page)
            if not logged:
                self._store(key, {"entries": index.entries[before:]})

        index.add_entry_from_context = add_entry_from_context

    def readtime(self, html: str, words_per_minute: int) -> int:
        """Material's reading time of a post (it parses the post's whole HTML on every build), from the cache."""
        from material.plugins.blog.readtime import readtime

        key = self._key("readtime", str(words_per_minute), html)
        entry = self._load("readtime", key)
        if entry is None:
            entry = {"minutes": readtime(html, words_per_minute)}
            self._store(key, entry)
        return entry["minutes"]


# -- the theme ----------------------------------------------------------------------------------------------------

_TEMPLATE_LISTS: dict[tuple[str, ...], list[str]] = {}  # installed theme folders -> their files, once per process


def wrap_theme(theme, folder: pathlib.Path) -> None:
    """Every Jinja environment `theme.get_env()` makes (the search plugin makes its own in on_config) keeps its
    compiled templates in `folder` (Jinja's bytecode cache, which checks each against its source), and lists an
    installed theme's files once per process.

    MkDocs lists every file of the theme on each build to publish its assets, and matches each against its
    exclusion patterns; Material's folder holds 14,000 icons under `.icons/`, a quarter of a second per rebuild
    under `serve`. A theme installed as a package does not change while the server runs, so its list is kept,
    without the dotted paths that MkDocs' patterns (`.*`, `*/.*`) exclude anyway; a theme folder in the project
    (`custom_dir`) is walked every time. Jinja's `list_templates` is used by MkDocs only for that (the emoji
    extension reads the icons from their folder, not through Jinja)."""
    if "get_env" in vars(theme):
        return
    make = theme.get_env

    def get_env() -> jinja2.Environment:
        folder.mkdir(parents=True, exist_ok=True)
        env = make()
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
        loader = env.loader
        dirs = tuple(os.path.abspath(d) for d in getattr(loader, "searchpath", ()))
        if dirs and all(any(d.startswith(p) for p in _INSTALLED) for d in dirs):
            list_templates = loader.list_templates

            def listed() -> list[str]:
                if dirs not in _TEMPLATE_LISTS:
                    _TEMPLATE_LISTS[dirs] = [n for n in list_templates() if not any(p.startswith(".") for p in n.split("/"))]
                return list(_TEMPLATE_LISTS[dirs])

            loader.list_templates = listed
        return env

    theme.get_env = get_env
