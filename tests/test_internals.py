"""One test per touch point of scripts/engine/internals.py: each fails, naming its touch point, when a pinned
upgrade of MkDocs, Material or mkdocs-jupyter changes the private name, signature or attributes it relies on."""

from __future__ import annotations

import ast
import inspect
import textwrap

from scripts.engine import internals


def _sets(func) -> set[str]:
    """The attributes `func` assigns on `self` (`self.x = ...`, `self.x, *y = ...`)."""
    found: set[str] = set()

    def targets(node):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            found.add(node.attr)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for n in node.elts:
                targets(n)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(func)))):
        for t in getattr(node, "targets", [getattr(node, "target", None)]):
            targets(t)
    return found


def _params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


def test_page_render():
    from mkdocs.structure.pages import Page

    assert _params(Page.render) == ["self", "config", "files"], "touch point page-render: Page.render's signature"
    assert _sets(Page.render) == set(internals.PAGE_RENDER_SETS), (
        "touch point page-render: Page.render sets other attributes than a cached page restores "
        "(internals.PAGE_RENDER_SETS)")
    assert "_title_from_render" in _sets(Page.__init__), "touch point page-render: Page._title_from_render"


def test_excerpt_render():
    from material.plugins.blog.structure import Excerpt

    assert _params(Excerpt.render) == ["self", "page", "separator"], "touch point excerpt-render: its signature"
    assert _sets(Excerpt.render) == set(internals.EXCERPT_RENDER_SETS), (
        "touch point excerpt-render: Excerpt.render sets other attributes than a cached excerpt restores")
    assert {"md", "post", "file", "more"} <= _sets(Excerpt.__init__), "touch point excerpt-render: Excerpt's md/post"
    assert "self.md.convert" in inspect.getsource(Excerpt.render), "touch point excerpt-render: converts with md"


def test_theme_env():
    import jinja2
    from mkdocs.theme import Theme

    theme = Theme(name="mkdocs")
    assert _params(Theme.get_env) == ["self"], "touch point theme-env: Theme.get_env's signature"
    env = getattr(theme, internals.THEME_ENV)()
    assert isinstance(env, jinja2.Environment) and isinstance(env.loader, jinja2.FileSystemLoader), (
        "touch point theme-env: get_env no longer makes a Jinja environment with a FileSystemLoader")


def test_live_reload():
    from mkdocs.livereload import LiveReloadServer

    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root="/tmp")
    try:
        assert internals.can_request_rebuild(server), "touch point live-reload: _rebuild_cond/_want_rebuild are gone"
        internals.request_rebuild(server)
        assert server._want_rebuild is True, "touch point live-reload: _want_rebuild"
        assert "self._want_rebuild" in inspect.getsource(LiveReloadServer._build_loop), (
            "touch point live-reload: the build loop no longer waits for _want_rebuild")
    finally:
        server.server_close()


def test_jupyter_cache_dir():
    from mkdocs_jupyter.plugin import Plugin

    assert "cache_dir" in dict(Plugin.config_scheme), "touch point jupyter-cache-dir: the option is gone"
    assert 'self.config["cache_dir"]' in inspect.getsource(Plugin.on_pre_page), (
        "touch point jupyter-cache-dir: mkdocs-jupyter no longer reads cache_dir when it converts")


def test_jupyter_notebook_file(tmp_path):
    from mkdocs.structure.files import File
    from mkdocs_jupyter.plugin import NotebookFile, Plugin

    plugin = Plugin()
    plugin.load_config({"include": ["notebooks/*.ipynb", "notebooks/*.py"]})
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "a.py").write_text("x = 1\n")
    wrapped = NotebookFile(File("notebooks/a.py", str(tmp_path), str(tmp_path / "site"), True), True, str(tmp_path))
    executed = str(tmp_path / "out" / "notebooks" / "a.ipynb")
    internals.render_notebook_from(wrapped, executed)
    assert wrapped.abs_src_path == executed, "touch point jupyter-notebook-file: abs_src_path not settable"
    assert "page.file.abs_src_path" in inspect.getsource(Plugin.on_pre_page), (
        "touch point jupyter-notebook-file: mkdocs-jupyter no longer converts page.file.abs_src_path")
