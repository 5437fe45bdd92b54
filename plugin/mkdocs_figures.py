"""The `figures` MkDocs plugin: connects MkDocs' events to the figure engine of the project whose mkdocs.yml
lists it. Registered by pyproject.toml's entry point (`pip install -e .`, done by `make`).

This is the only engine code installed as a package. The engine itself is imported from the project's own
scripts/ folder, found next to the config file, so a copy of the project (a test's, a benchmark's) runs its
own engine on its own files. Each handler is one line: what it does is in scripts/engine/site.py.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger

log = get_plugin_logger("figures")


class _Switch(c.Type):
    """true/false, or 1/0: `!ENV [FIGURES_BUILD, true]` reads FIGURES_BUILD=0 as the integer 0."""

    def __init__(self, default: bool):
        super().__init__(int, default=default)

    def run_validation(self, value):
        if super().run_validation(value) not in (0, 1):
            raise base.ValidationError(f"expected true or false (or 1 or 0), not {value!r}")
        return bool(value)


class FiguresConfig(base.Config):
    build = _Switch(default=True)  # compute stale figures first; false: publish the committed ones as they are
    publish = _Switch(default=False)  # a build for publishing: a strict one refuses a local site_url


def _engine_site(config_file: str):
    """The project's scripts.engine.site, imported from the folder of `config_file`."""
    root = os.path.dirname(os.path.realpath(config_file))
    loaded = sys.modules.get("scripts")
    if loaded is not None and os.path.dirname(os.path.dirname(os.path.realpath(loaded.__file__))) != root:
        raise PluginError(f"figures: this process already imported the engine of {loaded.__file__}, not {root}'s")
    if root not in sys.path:
        sys.path.insert(0, root)  # the mkdocs executable does not put the project on the import path
    return importlib.import_module("scripts.engine.site"), root


class FiguresPlugin(BasePlugin[FiguresConfig]):
    def __init__(self):
        self.site = None  # scripts.engine.site.Site, made once per process: under serve it keeps the warm worker
        self.command, self.dirty = "build", False

    def on_startup(self, *, command, dirty) -> None:
        self.command, self.dirty = command, dirty

    @event_priority(100)  # before the search plugin compiles its templates in its on_config
    def on_config(self, config):
        if self.site is None:
            site, root = _engine_site(config.config_file_path)
            self.site = site.Site(pathlib.Path(root), log, serving=self.command == "serve", dirty=self.dirty)
        self.site.build, self.site.publish = self.config.build, self.config.publish
        if "md_in_html" not in config.markdown_extensions:  # scorecards and the Claims page wrap tables in
            config.markdown_extensions.append("md_in_html")  # <div class=... markdown> for their phone layout
        self.site.on_config(config)
        return config

    def on_pre_build(self, *, config) -> None:
        self.site.on_pre_build(config)

    # After mkdocs-jupyter (0) wraps notebook files, and before the blog plugin (-50) reads the posts.
    @event_priority(-40)
    def on_files(self, files, *, config):
        return self.site.on_files(files, config)

    def on_page_markdown(self, markdown, *, page, config, files):
        return self.site.on_page_markdown(markdown, page)

    @event_priority(-10)  # after mkdocs-jupyter (0) gave notebook pages their own render, which is left alone
    def on_pre_page(self, page, *, config, files):
        self.site.on_pre_page(page, config, files)
        return page

    @event_priority(10)  # the blog plugin made the post's excerpt in on_page_markdown, and renders it per view later
    def on_page_content(self, html, *, page, config, files):
        self.site.on_page_content(page, config, files)
        return html

    def on_post_build(self, *, config) -> None:
        self.site.on_post_build()

    def on_serve(self, server, *, config, builder):
        self.site.on_serve(server)
        return server

    def on_shutdown(self) -> None:
        if self.site is not None:
            self.site.on_shutdown()
