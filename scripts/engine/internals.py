"""The one door to what MkDocs, Material and mkdocs-jupyter do not document: every private name the engine
reads, writes or replaces is touched here and nowhere else.

Each touch point below is named in a comment `# touch point: NAME`, and tests/test_internals.py has a test per
NAME that fails, naming it, when a pinned upgrade changes the signature or attribute it relies on. What the
touch points buy is measured in README.md ("Site build caches"); those that bought too little were removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from mkdocs.structure.toc import AnchorLink, TableOfContents, get_toc


def replace_method(obj, name: str, make: Callable[[Callable], Callable]) -> bool:
    """Replace `obj.name` on this one object (no class is patched) by `make(original)`. False, and nothing done,
    when another plugin already replaced it on this object (mkdocs-jupyter gives notebook pages its own render)."""
    if name in vars(obj):
        return False
    setattr(obj, name, make(getattr(obj, name)))
    return True


def _toc_tokens(toc: TableOfContents | list[AnchorLink]) -> list[dict]:
    return [{"level": a.level, "id": a.id, "name": a.title, "children": _toc_tokens(a.children)} for a in toc]


# touch point: page-render — mkdocs.structure.pages.Page.render(config, files) sets exactly these attributes, which
# a cached page restores (as JSON: to_json(value, files), from_json(value, files)). A new one after an upgrade
# fails the test rather than being silently missed.
PAGE_RENDER_SETS: dict[str, tuple[Callable, Callable]] = {
    "content": (lambda v, files: v, lambda v, files: v),
    "toc": (lambda v, files: _toc_tokens(v), lambda v, files: get_toc(v)),
    "_title_from_render": (lambda v, files: v, lambda v, files: v),
    "present_anchor_ids": (lambda v, files: sorted(v or ()), lambda v, files: set(v)),
    "links_to_anchors": (lambda v, files: None if v is None else {f.src_uri: x for f, x in v.items()},
                         lambda v, files: None if v is None else {files.get_file_from_path(s): x
                                                                  for s, x in v.items()}),
}


def page_result(page, files) -> dict:
    return {name: to_json(getattr(page, name, None), files) for name, (to_json, _) in PAGE_RENDER_SETS.items()}


def restore_page_result(page, entry: dict, files) -> None:
    for name, (_, from_json) in PAGE_RENDER_SETS.items():
        if entry.get(name) is not None or name != "links_to_anchors":  # set only above DEBUG: left as it was
            setattr(page, name, from_json(entry[name], files))


def title_from_render(page) -> str | None:
    return page._title_from_render  # touch point: page-render (the title an excerpt's conversion depends on)


# touch point: excerpt-render — material.plugins.blog.structure.Excerpt.render(page, separator) sets these, reads
# `post`, `file` and converts with its own converter `md`, which it never resets (see reset_excerpt_converter).
EXCERPT_RENDER_SETS = ("markdown", "content", "more", "toc")


def excerpt_result(excerpt) -> dict:
    return {"markdown": excerpt.markdown, "content": excerpt.content, "more": excerpt.more,
            "toc": _toc_tokens(excerpt.toc)}


def restore_excerpt_result(excerpt, entry: dict) -> None:
    excerpt.markdown, excerpt.content, excerpt.toc = entry["markdown"], entry["content"], get_toc(entry["toc"])
    if entry["more"] is not None:
        excerpt.more = entry["more"]


def reset_excerpt_converter(excerpt) -> None:
    """Material keeps one converter per excerpt and never resets it, so footnote back-links were numbered by how
    many views had converted it before (`fnref2:1`); reset, an excerpt depends on its input alone."""
    excerpt.md.reset()  # touch point: excerpt-render


# touch point: theme-env — mkdocs.theme.Theme.get_env() makes every Jinja environment (the search plugin makes its
# own in on_config); replaced per theme object to give each one a bytecode cache.
THEME_ENV = "get_env"


# touch point: live-reload — MkDocs' LiveReloadServer has no public way to ask for a build, nor a filtered watch:
# its own file handler sets `_want_rebuild` under `_rebuild_cond`.
def can_request_rebuild(server) -> bool:
    return getattr(server, "_rebuild_cond", None) is not None and hasattr(server, "_want_rebuild")


def request_rebuild(server) -> None:
    """Ask the live-reload server for a site build, as its own file watcher does. No-op without a server."""
    if can_request_rebuild(server):
        with server._rebuild_cond:
            server._want_rebuild = True
            server._rebuild_cond.notify_all()


# touch point: jupyter-cache-dir — mkdocs-jupyter resolves its `cache_dir` option against the working directory.
def anchor_jupyter_cache(config) -> None:
    """Make mkdocs-jupyter's cache folder relative to mkdocs.yml rather than to wherever mkdocs was started."""
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and not os.path.isabs(jupyter.config["cache_dir"]):
        folder = os.path.dirname(config.config_file_path)
        jupyter.config["cache_dir"] = os.path.join(folder, jupyter.config["cache_dir"])


# touch point: jupyter-notebook-file — mkdocs-jupyter wraps a notebook's File in its NotebookFile (in its on_files)
# and converts whatever `abs_src_path` says; pointing it at the engine's executed copy renders the outputs.
def render_notebook_from(file, executed: str) -> None:
    file.abs_src_path = executed
