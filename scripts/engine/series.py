"""Series of notes and "Cite this note": the blocks that end every post.

A series is declared once, in mkdocs.yml, in reading order — the one place that owns it:

```yaml
extra:
  series:
    framework:
      title: Reading "A Mathematical Framework for Transformer Circuits"
      posts: [posts/2026-11-21-the-zoo.md, posts/2026-11-21-residual-stream.md, ...]
```

Each post of a series gets a box "Part k of n" with links to the previous and next parts; every post gets a
BibTeX entry a reader can copy to cite it. Posts are also dated in series order (their front-matter `date`
carries a time), so the blog's index lists a series in a fixed order.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from scripts.engine.errors import EngineError

_H1 = re.compile(r"^#\s+(.+)$", re.M)


class SeriesError(EngineError):
    """mkdocs.yml's `extra.series` is malformed or names a post that does not exist."""


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    posts: tuple[str, ...]  # src uris, in reading order


def load(extra: Mapping, existing: set[str], left_out: frozenset[str] = frozenset()) -> list[Series]:
    """The series of `mkdocs.yml`'s `extra.series`. `left_out`: posts a serve preview left out while they are
    broken; their series skip them (the neighbours link around them) rather than report them missing."""
    out = []
    for key, spec in (extra.get("series") or {}).items():
        if not isinstance(spec, Mapping) or not spec.get("title") or not isinstance(spec.get("posts"), list):
            raise SeriesError(f"mkdocs.yml: extra.series.{key} needs a title and a list of posts")
        missing = [p for p in spec["posts"] if p not in existing and p not in left_out]
        if missing:
            raise SeriesError(f"mkdocs.yml: extra.series.{key} lists {missing}, which do not exist under docs/ — "
                              "give each post's path relative to docs/, e.g. posts/2026-11-21-the-zoo.md")
        out.append(Series(str(key), str(spec["title"]), tuple(p for p in spec["posts"] if p not in left_out)))
    return out


def title_of(markdown: str, fallback: str) -> str:
    """A page's first `# heading`, or `fallback`."""
    m = _H1.search(markdown)
    return m.group(1).strip() if m else fallback


def series_box(src_uri: str, all_series: list[Series], titles: Mapping[str, str]) -> str:
    """Markdown of the series box of a post ("" if it belongs to no series)."""
    for s in all_series:
        if src_uri not in s.posts:
            continue
        i = s.posts.index(src_uri)
        here = posixpath.dirname(src_uri)
        link = lambda p, here=here: f"[{titles.get(p, p)}]({posixpath.relpath(p, here)})"
        prev = f"← previous: {link(s.posts[i - 1])}" if i > 0 else ""
        nxt = f"next: {link(s.posts[i + 1])} →" if i + 1 < len(s.posts) else "this is the latest part"
        parts = " · ".join(p for p in (prev, nxt) if p)
        return (f'<nav class="series-box" markdown="1" aria-label="series">\n'
                f"**Part {i + 1} of {len(s.posts)}** of *{s.title}*.  \n{parts}\n</nav>\n")
    return ""


def cite_block(title: str, url: str, date: dt.date | dt.datetime | None, site_name: str, author: str,
               slug: str) -> str:
    """Markdown of a "Cite this note" block with a BibTeX entry."""
    year = date.year if date else ""
    key = re.sub(r"[^a-z0-9]", "", f"circuits{year}{slug}".lower())
    esc = lambda s: s.replace("{", "\\{").replace("}", "\\}")
    entry = (f"@misc{{{key},\n  title = {{{esc(title)}}},\n  author = {{{esc(author)}}},\n"
             f"  year = {{{year}}},\n  howpublished = {{{esc(site_name)}}},\n  url = {{{url}}}\n}}")
    indented = "\n".join(f"    {line}" for line in entry.splitlines())
    return '\n??? quote "Cite this note"\n    ```bibtex\n' + indented + "\n    ```\n"


def decorate(markdown: str, src_uri: str, *, meta: Mapping, all_series: list[Series], titles: Mapping[str, str],
             site_url: str, page_url: str, site_name: str, author: str) -> str:
    """A post's Markdown with its series box and cite block appended."""
    title = title_of(markdown, meta.get("title", src_uri))
    date = meta.get("date")
    if isinstance(date, Mapping):
        date = date.get("created")
    slug = meta.get("slug") or posixpath.basename(src_uri).removesuffix(".md")
    url = (site_url or "").rstrip("/") + "/" + page_url.lstrip("/")
    box = series_box(src_uri, all_series, titles)
    return markdown.rstrip("\n") + "\n\n" + (box + "\n" if box else "") + cite_block(
        title, url, date if isinstance(date, (dt.date, dt.datetime)) else None, site_name, author, slug)


def titles_of(pages: Mapping[str, str]) -> dict[str, str]:
    return {uri: title_of(text, uri) for uri, text in pages.items()}
