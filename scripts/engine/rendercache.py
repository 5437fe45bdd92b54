"""Reuse Markdown conversions across builds: a page or blog excerpt whose input did not change is not converted again.

Also kept: the theme's compiled templates (`wrap_theme`).

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
  included, changes them), the code of any extension or callable defined in the project, this module and internals.py.

Not covered: files an extension reads besides the page (`pymdownx.snippets`, custom icon folders). With such
an extension configured nothing is cached (`RenderCache.usable`).

What a hit restores: every attribute `Page.render` sets (internals.PAGE_RENDER_SETS, checked against MkDocs'
code by tests/test_internals.py). Every private name of MkDocs or Material used here is in internals.py.

A conversion that logged anything at INFO or above (a broken link, an extension's warning) is never stored, so
every build says it again and `--strict` still fails on it. Entries a build did not use are deleted at its end.
Errors: none of its own — an entry that cannot be read is a miss, one that cannot be written is skipped.
"""

from __future__ import annotations

import collections
import collections.abc
import contextlib
import functools
import hashlib
import json
import logging
import os
import pathlib
import re
import sys
import threading
import time

import jinja2

from scripts.engine import internals, paths, snapshot

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_INSTALLED = [os.path.join(os.path.abspath(p), "") for p in snapshot.library_folders()]
# Extensions that read files other than the page (the key cannot see those files): with one configured, nothing
# is cached. None is used here; the list makes adding one safe.
_READS_FILES = ("pymdownx.snippets", "pymdownx.b64", "markdown_include", "mdx_include")
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
        self.hits: collections.Counter[str] = collections.Counter()  # by kind: page, excerpt
        self.misses: collections.Counter[str] = collections.Counter()
        self._context: str | None = None
        self._used: set[str] = set()

    # -- keys ------------------------------------------------------------------------------------------------
    def _build_context(self, config, files) -> str:
        if self._context is None:
            h = hashlib.sha256(pathlib.Path(__file__).read_bytes() + pathlib.Path(internals.__file__).read_bytes())
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
                         for kind in ("page", "excerpt"))

    def _store(self, key: str, entry: dict) -> None:
        """Write an entry; the cache is an optimisation, so a failure to write (a full disk, a concurrent build
        that removed the folder) only means it is converted again next time. Values JSON cannot hold are stored
        as `str()`, as the search plugin itself writes them."""
        with contextlib.suppress(OSError):
            paths.atomic_write(self.dir / f"{key}.json", json.dumps(entry, default=str))

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
        if self.usable(config):
            self._build_context(config, files)
            internals.replace_method(page, "render", lambda original: functools.partial(self._page, page, original))

    def _page(self, page, original, config, files) -> None:
        key = self._key("page", page.file.src_uri, page.file.url, page.markdown or "")
        entry = self._load("page", key)
        if entry is not None:
            internals.restore_page_result(page, entry, files)
            return
        with _logged() as logged:
            original(config, files)
        if not logged:
            self._store(key, internals.page_result(page, files))

    def wrap_excerpt(self, excerpt, config, files) -> None:
        """Serve a blog excerpt's `render(view, separator)` from the cache (Material's blog plugin calls it once
        per view that lists the post, converting the whole post each time). Its converter is reset before each
        conversion (internals.reset_excerpt_converter), so its HTML depends on its input alone."""
        if self.usable(config):
            self._build_context(config, files)
            internals.replace_method(excerpt, "render",
                                     lambda original: functools.partial(self._excerpt, excerpt, original))

    def _excerpt(self, excerpt, original, page, separator: str) -> None:
        post = excerpt.post
        key = self._key("excerpt", excerpt.file.src_uri, post.url, page.url, separator, post.title or "",
                        str(bool(internals.title_from_render(post))), post.markdown or "")
        entry = self._load("excerpt", key)
        if entry is not None:
            internals.restore_excerpt_result(excerpt, entry)
            return
        before, excerpt.more = excerpt.more, None  # `more` is set only when the separator is found
        internals.reset_excerpt_converter(excerpt)
        with _logged() as logged:
            original(page, separator)
        result = internals.excerpt_result(excerpt)
        if excerpt.more is None:
            excerpt.more = before
        if not logged:
            self._store(key, result)


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
    internals.replace_method(theme, internals.THEME_ENV, lambda make: functools.partial(_env, make, folder))


def _env(make, folder: pathlib.Path) -> jinja2.Environment:
    folder.mkdir(parents=True, exist_ok=True)
    env = make()
    env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))
    loader = env.loader
    dirs = tuple(os.path.abspath(d) for d in getattr(loader, "searchpath", ()))
    if dirs and all(any(d.startswith(p) for p in _INSTALLED) for d in dirs):
        list_templates = loader.list_templates

        def listed() -> list[str]:
            if dirs not in _TEMPLATE_LISTS:
                _TEMPLATE_LISTS[dirs] = [n for n in list_templates()
                                         if not any(p.startswith(".") for p in n.split("/"))]
            return list(_TEMPLATE_LISTS[dirs])

        loader.list_templates = listed
    return env
