"""MkDocs hooks: connect MkDocs events to the figure engine. No logic of its own lives here.

- on_pre_build: rebuild stale figures and notebooks (a failure is logged, never raised, so `serve` lives on),
  then check every source (scripts/engine/preflight.py): a broken post, a failed figure or a broken
  declaration stops a strict build before site/ is emptied (under `serve`, which would freeze on a failed
  build, they are logged and the last good figure, or the rest of the site, stays live instead);
- on_config: anchor mkdocs-jupyter's notebook cache to the project folder; compiled templates are kept;
- on_startup: note whether this is `serve` (the engine then keeps its warm worker between builds);
- on_files: publish figure outputs, executed notebooks and the site's own MathJax copy;
- on_page_markdown: expand {{ figure() }}, {{ ref() }}, {{ value() }} and [@citations]; errors name page and line;
- on_pre_page, on_page_content, on_env, on_post_build: reuse converted pages and excerpts, search entries and
  reading times whose inputs did not change (scripts/engine/rendercache.py); drop the entries a build did not use;
- on_serve: watch the code, the declarations and the inputs, so editing or adding them rebuilds (but not the
  engine's own writes: the manifest, figures/out/, __pycache__/, which would trigger a second build);
- on_shutdown: stop the warm worker.
"""

from __future__ import annotations

import pathlib
import sys

_PROJECT = str(pathlib.Path(__file__).resolve().parents[1])  # before the project is importable: see paths.py
if _PROJECT not in sys.path:  # the mkdocs executable does not put the project on the import path
    sys.path.insert(0, _PROJECT)

from mkdocs.plugins import event_priority, get_plugin_logger  # noqa: E402

from scripts.engine import paths, site  # noqa: E402

log = get_plugin_logger("figures")
_site = site.SiteBridge(paths.ROOT, log)


def on_pre_build(config) -> None:
    _site.start_build()
    _site.build_figures()
    _site.load_bibliography()
    _site.preflight(config)  # raises before MkDocs empties site/: a failed build leaves the last one in place


# Before the plugins' own (the search plugin compiles templates in its on_config).
@event_priority(100)
def on_config(config):
    _site.configure(config)
    _site.cache_templates(config)
    return config


def on_startup(command, dirty) -> None:
    _site.serving = command == "serve"
    _site.dirty = dirty


# After mkdocs-jupyter (priority 0) wraps notebook files — the swap must land on its wrapper — and before the
# blog plugin (-50) reads the posts, so a post left out of a serve preview is never read.
@event_priority(-40)
def on_files(files, config):
    return _site.add_files(files, config)


def on_page_markdown(markdown, page, config, files):
    return _site.render_page(markdown, page)


# After mkdocs-jupyter (priority 0) has given notebook pages their own render, which is left alone.
@event_priority(-10)
def on_pre_page(page, config, files):
    _site.cache_render(page, config, files)
    return page


# Before the blog plugin's (priority 0), which would compute the reading time itself.
@event_priority(10)
def on_page_content(html, page, config, files):
    _site.cache_excerpt(page, config, files)  # the blog plugin made it in on_page_markdown
    _site.cache_readtime(html, page, config)
    return html


def on_env(env, config, files):
    _site.cache_search(config, files)  # the search plugin made its index in on_config
    return env


def on_post_build(config) -> None:
    _site.finish_build()


def on_serve(server, config, builder):
    _site.watch(server)
    return server


def on_shutdown() -> None:
    _site.shutdown()
