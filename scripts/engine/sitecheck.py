"""Check every source before MkDocs empties the site directory: one error listing every problem.

Front matter of posts and the bibliography are always checked (the blog plugin would fail on them anyway,
with a worse message). Page content — shortcodes, citations, callouts, images — is checked in strict mode;
otherwise rendering logs it and the page shows the mistake in place. The checks themselves are in preflight.py.
"""

from __future__ import annotations

import json
import os
import pathlib
import posixpath
from collections.abc import Callable

import yaml

from scripts.engine import paths, preflight


def problems(config, root: pathlib.Path, figure_jobs, out_dir: pathlib.Path, render: Callable,
             left_out: set[str] | None) -> list[str]:
    """Every problem of the docs, in order; `render(body, page)` gives a page's shortcode errors. With a
    `left_out` set (a lenient serve preview), a post with a broken front matter is added to it."""
    docs = pathlib.Path(config.docs_dir)
    prefix = os.path.relpath(docs, root).replace(os.sep, "/")
    rules, post_dir = _blog_rules(config, docs)
    generated = frozenset(paths.published(p.name) for job in figure_jobs for p in job.outputs(out_dir))
    out: list[str] = []
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs).as_posix()
        display, text = f"{prefix}/{rel}", path.read_text(encoding="utf-8")
        found: list[preflight.Problem] = []
        if post_dir is not None and rel.startswith(post_dir + "/"):
            found += preflight.check_post(display, text, rules)
            if found and left_out is not None:
                left_out.add(rel)
        if config.strict:
            source, _ = preflight.split_front_matter(display, text)
            found += preflight.check_images(display, source.body, source.body_line, posixpath.dirname(rel),
                                            docs, generated)
            found += preflight.check_quotations(display, source.body, source.body_line)
            if post_dir is not None and rel.startswith(post_dir + "/"):
                found += preflight.check_project_language(display, source.body, source.body_line)
            found += [preflight.Problem(display, source.body_line + e.line - 1, e.message)
                      for e in render(source.body, rel)]
        out += [str(p) for p in sorted(found, key=lambda p: p.line)]
    if config.strict:  # what figures publish beside the posts: captions, claims, computed tables and values
        for job in figure_jobs:
            values = out_dir / paths.values_name(job.id)
            record = json.loads(values.read_text(encoding="utf-8")) if values.exists() else {}
            out += [str(p) for p in preflight.check_figure_language(job, root, record)]
    return out


def _blog_rules(config, docs: pathlib.Path) -> tuple[preflight.BlogRules, str | None]:
    """The blog plugin's settings that posts must satisfy, and its posts folder (None: no blog)."""
    blog = config.plugins.get("material/blog")
    if blog is None:
        return preflight.BlogRules(), None
    c = blog.config
    post_dir = posixpath.normpath(c.post_dir.format(blog=c.blog_dir))
    authors = None
    authors_file = docs / posixpath.normpath(c.authors_file.format(blog=c.blog_dir))
    if c.authors and authors_file.exists():
        data = yaml.safe_load(authors_file.read_text(encoding="utf-8")) or {}
        authors = frozenset((data.get("authors") or {}).keys())
    return preflight.BlogRules(tuple(c.categories_allowed or ()), authors,
                               c.post_excerpt_separator if c.post_excerpt == "required" else None), post_dir
