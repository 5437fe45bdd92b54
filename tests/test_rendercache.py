"""The render cache (scripts/engine/rendercache.py): a warm build publishes exactly what a cold one does, an edit
is converted again, and a page that warns is never cached (so a strict build fails on it every time)."""

from __future__ import annotations

import functools
import os
import pathlib
import re
import shutil
import subprocess

from scripts.engine import paths, rendercache
from tests.conftest import BIN
from tests.mini_site import mini_project

POST = """---
date: 2026-01-0{n} 10:00:00
authors: [circuits]
categories: [Papers]
description: Post {n}.
slug: post-{n}
---

# Post {n}

Opening of post {n}, with a link to [the other post](2026-01-0{other}-post.md#details) and a footnote.[^1]

<!-- more -->

## Details

Body of post {n}: $x^2$ and *emphasis*.

[^1]: The footnote of post {n}.
"""


def _project(tmp_path: pathlib.Path) -> pathlib.Path:
    project = mini_project(tmp_path / "p")
    (project / "docs" / "conventions.md").write_text("# Conventions\n\n## Verdicts\n")  # the Claims page links it
    posts = project / "docs" / "posts"
    posts.mkdir()
    for n, other in ((1, 2), (2, 1)):
        (posts / f"2026-01-0{n}-post.md").write_text(POST.format(n=n, other=other))
    return project


def _build(project: pathlib.Path, site: pathlib.Path, *, strict: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "FIGURES_BUILD": "0"}
    return subprocess.run([str(BIN / "mkdocs"), "build", "-v", *(["--strict"] if strict else []), "-d", str(site)],
                          cwd=project, capture_output=True, text=True, env=env)


def _counts(proc: subprocess.CompletedProcess) -> dict[str, tuple[int, int]]:
    """{kind: (reused, converted)} from the build's debug log, for page and excerpt."""
    found = re.findall(r"render cache: (.*)", proc.stderr + proc.stdout)
    assert found, proc.stderr[-3000:]
    return {kind: (int(a), int(b)) for kind, a, b in re.findall(r"(\w+): (\d+) reused, (\d+) converted", found[-1])}


def _pages(site: pathlib.Path) -> dict[str, bytes]:
    """Every HTML page and the search index (the feeds carry the build's time and are left out)."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.suffix == ".html" or p.name == "search_index.json"}


def test_a_warm_build_converts_nothing_and_publishes_the_same_site(tmp_path):
    project = _project(tmp_path)
    cold = _build(project, tmp_path / "cold")
    assert cold.returncode == 0, cold.stderr[-3000:]
    counts = _counts(cold)
    assert all(reused == 0 for reused, _ in counts.values())
    assert counts["page"][1] > 4 and counts["excerpt"][1] >= 4  # 2 posts, >= 2 views
    warm = _build(project, tmp_path / "warm")
    assert warm.returncode == 0, warm.stderr[-3000:]
    assert _counts(warm) == {kind: (converted, 0) for kind, (_, converted) in counts.items()}
    assert _pages(tmp_path / "warm") == _pages(tmp_path / "cold")  # HTML, reading times and the search index
    index = (tmp_path / "warm" / "index.html").read_text()
    assert "Opening of post 1" in index and "Body of post 1" not in index  # excerpts, cut at the separator


def test_an_edited_post_is_converted_again_and_nothing_else(tmp_path):
    project = _project(tmp_path)
    first = _build(project, tmp_path / "a")
    assert first.returncode == 0, first.stderr[-3000:]
    before = _counts(first)
    post = project / "docs" / "posts" / "2026-01-01-post.md"
    post.write_text(post.read_text().replace("Opening of post 1", "Revised opening of post 1"))
    second = _build(project, tmp_path / "b")
    assert second.returncode == 0, second.stderr[-3000:]
    after = _counts(second)
    views = sum("Revised opening of post 1" in p.read_text() for p in (tmp_path / "b").rglob("index.html")) - 1
    assert after["page"] == (before["page"][1] - 1, 1)  # the post itself, only
    assert after["excerpt"] == (before["excerpt"][1] - views, views)  # its excerpt in each view that lists it
    assert "Revised opening of post 1" in (tmp_path / "b" / "2026" / "01" / "01" / "post-1" / "index.html").read_text()
    assert "Revised opening of post 1" in (tmp_path / "b" / "index.html").read_text()
    total = sum(reused + converted for reused, converted in after.values())
    assert len(list((paths.Layout(project).render_cache).glob("*.json"))) == total  # the old entries dropped


def test_a_page_that_warns_is_never_cached_and_fails_every_strict_build(tmp_path):
    project = _project(tmp_path)
    (project / "docs" / "about.md").write_text("# About\n\nSee [the missing page](missing.md).\n")
    for site in ("a", "b"):
        proc = _build(project, tmp_path / site)
        assert proc.returncode != 0
        assert "missing.md" in proc.stderr
    lenient = _build(project, tmp_path / "c", strict=False)
    assert lenient.returncode == 0 and "missing.md" in lenient.stderr
    assert _counts(lenient)["page"][1] >= 1  # converted again: it was not stored


def test_adding_a_file_changes_every_key(tmp_path):
    """Links resolve against the whole set of files, so a new file is a new context (a cold build)."""
    project = _project(tmp_path)
    assert _build(project, tmp_path / "a").returncode == 0
    (project / "docs" / "reading.md").write_text("# Reading list\n")
    proc = _build(project, tmp_path / "b")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _counts(proc)["page"][0] == 0 and _counts(proc)["excerpt"][0] == 0


def test_an_excerpt_is_the_same_however_many_views_converted_it_before(tmp_path):
    """Material reuses one converter per excerpt, and footnote back-links were numbered by how many views had
    converted it (fnref:1, fnref2:1, ...). Moving a post into another category changed that count for the
    views the cache did not convert again: the warm site differed from a cold one."""
    project = _project(tmp_path)
    first = project / "docs" / "posts" / "2026-01-01-post.md"
    assert _build(project, tmp_path / "a").returncode == 0
    first.write_text(first.read_text().replace("categories: [Papers]", "categories: [Papers, Methods]"))
    warm = _build(project, tmp_path / "warm")
    assert warm.returncode == 0, warm.stderr[-3000:]
    shutil.rmtree(paths.Layout(project).render_cache)
    assert _build(project, tmp_path / "cold").returncode == 0
    assert _pages(tmp_path / "warm") == _pages(tmp_path / "cold")


def test_a_date_in_front_matter_builds_the_same_site_warm_and_cold(tmp_path):
    project = _project(tmp_path)
    (project / "docs" / "about.md").write_text("---\nsearch:\n  boost: 2026-01-01\n---\n\n# About\n")
    assert _build(project, tmp_path / "cold").returncode == 0
    warm = _build(project, tmp_path / "warm")
    assert warm.returncode == 0
    assert _pages(tmp_path / "warm") == _pages(tmp_path / "cold")


def test_nothing_is_cached_with_an_extension_that_reads_other_files(tmp_path):
    project = _project(tmp_path)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("markdown_extensions:\n", "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: [snippets]\n", 1))
    (project / "snippets").mkdir()
    (project / "snippets" / "note.md").write_text("Snippet text A\n")
    (project / "docs" / "about.md").write_text('# About\n\n--8<-- "note.md"\n')
    assert _build(project, tmp_path / "a").returncode == 0
    (project / "snippets" / "note.md").write_text("Snippet text B\n")
    proc = _build(project, tmp_path / "b")
    assert proc.returncode == 0 and "Snippet text B" in (tmp_path / "b" / "about" / "index.html").read_text()
    counts = _counts(proc)
    assert all(counts[kind] == (0, 0) for kind in ("page", "excerpt"))


def test_an_entry_that_cannot_be_written_is_skipped(tmp_path):
    cache = rendercache.RenderCache(tmp_path / "file-not-folder")
    (tmp_path / "file-not-folder").write_text("")  # mkdir fails: the cache is only an optimisation
    cache._store("k", {"x": 1})
    assert cache._load("page", "k") is None


def test_configuration_is_keyed_without_memory_addresses():
    def f():
        pass

    class Ext:
        def getConfigs(self):
            return {"emoji_generator": f}

    a = rendercache._stable({"x": [Ext(), f, {1, 2}], "y": object()})
    b = rendercache._stable({"y": object(), "x": [Ext(), f, {2, 1}]})
    assert a == b
    assert "0x" not in repr(a)
    partial = functools.partial(f)
    assert rendercache._stable(partial) == rendercache._stable(functools.partial(f))


def test_a_projects_own_extension_code_and_an_install_change_the_key(tmp_path, monkeypatch):
    """A local extension's code is hashed (installed code is covered by the library folders' stats, which any
    install or upgrade — Pygments' included — changes)."""
    import importlib
    import sys

    (tmp_path / "localext.py").write_text("def hook():\n    return 'A'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("localext")
    before = rendercache._stable({"x": module.hook})
    (tmp_path / "localext.py").write_text("def hook():\n    return 'B'\n")
    assert rendercache._stable({"x": module.hook}) != before
    sys.modules.pop("localext")

    libraries = tmp_path / "site-packages"
    libraries.mkdir()
    os.utime(libraries, (0, 0))  # long ago: the install below cannot fall in the same timestamp tick
    monkeypatch.setattr(rendercache, "_INSTALLED", [str(libraries) + "/"])
    before = rendercache._libraries()
    (libraries / "pygments-9.9.dist-info").mkdir()
    assert rendercache._libraries() != before
