"""Import Jekyll posts as posts of this blog, losing nothing silently: every element not carried over is reported.

    python -m scripts.authoring.import_jekyll path/to/_posts/2024-10-25-my-post.md   # one post
    python -m scripts.authoring.import_jekyll path/to/jekyll-site/                    # every post in its _posts/
    ... [--dry-run] [--strict] [--date YYYY-MM-DD] [--root path/to/this/blog]

What a reader of the Jekyll site saw is the reference: tests/test_import_jekyll.py renders fixture posts
shaped like the popular academic themes (academicpages, minimal-mistakes, al-folio, Chirpy, tufte-jekyll)
with real Jekyll and, after import, with this site, and compares words, math, images, code, headings, lists,
links, footnotes and tables; every difference must be a line of the import's report.

The work is done in three passes, each in its own module:
1. Liquid (scripts/authoring/liquid.py): raw blocks honoured, code never touched, includes and tags that
   carry content mapped (figures, highlight, post links, citations, tufte-jekyll tags), `site.*` from the
   site's _config.yml.
2. kramdown (scripts/authoring/kramdown.py): list indentation, inline and display math, IALs, HTML blocks,
   task lists, excerpt separators — the places where kramdown and Python-Markdown read the same text
   differently.
3. Paths (here): links and images to the Jekyll site (root-relative, `{{ site.url }}…`, post permalinks) become
   paths relative to the post; the files they name are copied from the Jekyll site into docs/ at the same
   path (a file already there with other content stops the import); a missing image is a loss.

Front matter → Material's: `title`; `date` (else the file name's date, else --date; `last_modified_at` →
`date.updated`); `permalink`/`slug` → `slug`; `tags`/`categories` (lists or space-separated) → `tags` and
`categories` (a category the site does not allow becomes a tag); `description`/`excerpt`/`tldr` →
`description`; `pinned`/`sticky`/`pin` → `pin`; `published: false` (or a post in _drafts/) → `draft: true`;
`subtitle`; `author` if known; `image`/`header.image` (a cover) → the image under the title. The rest
(`layout`, `toc`, `comments`…) is reported as not mapped: Material decides the layout. A heading in the body
that repeats the title is kept, once (Jekyll themes print the title above it as well; noted).

The report: one line per finding, `file:line: lost|note: what — what to do`. A *loss* is content the
reader would not get (a removed include, a missing image, an unknown citation key); `--strict` exits 1 and
writes nothing if there is one. `--dry-run` prints the report and writes nothing. Bad input — an unreadable
or non-UTF-8 file, no front matter, a folder without posts, a post that already exists — is one error
naming the file (and line) with the fix, and nothing is written: a folder is imported all or nothing.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import re
import sys
import urllib.parse
from dataclasses import dataclass, field

import yaml

from scripts.authoring import kramdown, liquid
from scripts.authoring.findings import Finding
from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT
from scripts.engine.preflight import key_lines, split_front_matter

ALLOWED_CATEGORIES = ("Papers", "Methods", "Site")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".mdwn")
_DATE_IN_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)
_BIB_KEY = re.compile(r"^[ \t]*@\s*(?!comment\b|string\b|preamble\b)\w+\s*[{(]\s*([^,\s]+)\s*,", re.M | re.I)
_FILE_SUFFIXES = liquid.IMAGE_EXTENSIONS + (".pdf", ".zip", ".csv", ".json", ".txt", ".ipynb", ".py", ".mp4",
                                            ".webm", ".mp3", ".tex", ".bib", ".pptx", ".key", ".gz", ".tar")
# Keys that only steer a theme's layout: reported as not mapped, never as lost.
_PERMALINK_STYLES = {"date": "/:categories/:year/:month/:day/:title:output_ext",
                     "pretty": "/:categories/:year/:month/:day/:title/",
                     "ordinal": "/:categories/:year/:y_day/:title:output_ext",
                     "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
                     "none": "/:categories/:title:output_ext"}


class ImportError_(EngineError):
    """The post cannot be imported; the message names the file (and line) and what to fix. Nothing was written."""


@dataclass
class Imported:
    source: pathlib.Path
    path: pathlib.Path                      # the post it becomes, in docs/posts/
    front: dict
    body: str
    findings: list[Finding] = field(default_factory=list)
    assets: dict[str, pathlib.Path] = field(default_factory=dict)   # docs-relative path -> file in the Jekyll site
    missing_images: list[str] = field(default_factory=list)
    post_links: list[tuple[int, str]] = field(default_factory=list)  # (line, file name in docs/posts) it links to

    @property
    def not_mapped(self) -> list[str]:
        return [f.message for f in self.findings]

    @property
    def lost(self) -> list[Finding]:
        return [f for f in self.findings if f.lost]

    def text(self) -> str:
        return "---\n" + yaml.safe_dump(self.front, sort_keys=False, allow_unicode=True) + "---\n\n" + self.body


# -- the Jekyll site around a post -------------------------------------------------------------------------

@dataclass
class _Post:
    path: pathlib.Path
    meta: dict
    date: datetime.date | None
    slug: str
    url: str            # what Jekyll serves it at (permalink), without the baseurl

    @property
    def out_name(self) -> str:
        return f"{self.date.isoformat() if self.date else 'undated'}-{self.slug}.md"


@dataclass
class JekyllSite:
    """A Jekyll site's root (the folder holding _posts/), its _config.yml and its posts; root None: a lone post."""

    root: pathlib.Path | None
    config: dict
    _posts: dict[pathlib.Path, _Post] | None = None

    @classmethod
    def around(cls, path: pathlib.Path) -> JekyllSite:
        """The site a post belongs to: the parent of the nearest enclosing _posts/ or _drafts/ folder."""
        for parent in path.resolve().parents:
            if parent.name in ("_posts", "_drafts"):
                return cls.at(parent.parent)
        return cls(None, dict(_JEKYLL_DEFAULTS))

    @classmethod
    def at(cls, root: pathlib.Path) -> JekyllSite:
        config = dict(_JEKYLL_DEFAULTS)
        path = root / "_config.yml"
        if path.is_file():
            try:
                loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError, OSError) as e:
                line = getattr(getattr(e, "problem_mark", None), "line", -1) + 1
                raise ImportError_(f"{path}:{max(line, 1)}: the Jekyll site's _config.yml cannot be read ({e}) — "
                                   "fix it (Jekyll could not build it either)") from e
            if isinstance(loaded, dict):
                config.update(loaded)
        return cls(root.resolve(), config)

    def post_files(self) -> list[pathlib.Path]:
        if self.root is None or not (self.root / "_posts").is_dir():
            return []
        return sorted(p for p in (self.root / "_posts").rglob("*") if p.is_file() and is_post_name(p))

    def posts(self) -> dict[pathlib.Path, _Post]:
        if self._posts is None:
            self._posts = {}
            for p in self.post_files():
                try:
                    text = p.read_text(encoding="utf-8").lstrip()
                except (OSError, UnicodeDecodeError):
                    continue
                source, problems = split_front_matter(str(p), text)
                if not problems and source.meta is not None:
                    self._posts[p.resolve()] = self.describe(p, source.meta)
        return self._posts

    def describe(self, path: pathlib.Path, meta: dict, date: datetime.date | None = None) -> _Post:
        name = _DATE_IN_NAME.match(path.stem)
        post_date = _to_date(meta.get("date")) or (_to_date(name.group(1)) if name else None) or date
        title_part = name.group(2) if name else path.stem
        slug_source = (str(meta.get("permalink") or "").strip("/").split("/")[-1].replace(".html", "")
                       or str(meta.get("slug") or "") or title_part or str(meta.get("title") or path.stem))
        slug = re.sub(r"[^a-z0-9]+", "-", slug_source.lower()).strip("-") or "post"
        return _Post(path, meta, post_date, slug, self._url(path, meta, post_date, title_part))

    def _url(self, path: pathlib.Path, meta: dict, date, title_part: str) -> str:
        pattern = str(meta.get("permalink") or self.config.get("permalink") or "date")
        pattern = _PERMALINK_STYLES.get(pattern, pattern)
        cats = _as_list(meta.get("categories")) + _as_list(meta.get("category"))
        if self.root is not None and path.resolve().is_relative_to(self.root):  # folders above _posts: categories
            rel = path.resolve().relative_to(self.root).parts
            cats = [p for p in rel[:rel.index("_posts")] if p] + cats if "_posts" in rel else cats
        dt = date or datetime.date(1970, 1, 1)
        values = {
            "year": f"{dt.year:04d}", "month": f"{dt.month:02d}", "day": f"{dt.day:02d}",
            "i_month": str(dt.month), "i_day": str(dt.day), "short_year": f"{dt.year % 100:02d}",
            "y_day": f"{dt.timetuple().tm_yday:03d}", "title": str(meta.get("slug") or title_part),
            "slug": str(meta.get("slug") or title_part), "name": title_part,
            "categories": "/".join(dict.fromkeys(c.lower().replace(" ", "-") for c in cats)),
            "output_ext": ".html", "short_month": dt.strftime("%b"), "long_month": dt.strftime("%B"),
        }
        url = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
        return re.sub(r"/+", "/", "/" + url.lstrip("/"))

    def post_named(self, name: str) -> _Post | None:
        stem = name.strip().rsplit("/", 1)[-1]
        stem = re.sub(r"\.(md|markdown|mkd|mkdn|mdown|html)$", "", stem)
        return next((p for p in self.posts().values() if p.path.stem == stem), None)

    def post_at(self, url: str) -> _Post | None:
        key = _canonical(url)
        return next((p for p in self.posts().values() if _canonical(p.url) == key), None)

    def page_url(self, rel: str) -> str | None:
        """The URL Jekyll gives a page or post file (for {% link %})."""
        if self.root is None:
            return None
        path = self.root / rel.strip("/")
        if not path.is_file():
            return None
        post = self.posts().get(path.resolve())
        if post is not None:
            return post.url
        try:
            source, _ = split_front_matter(str(path), path.read_text(encoding="utf-8").lstrip())
            permalink = (source.meta or {}).get("permalink")
        except (OSError, UnicodeDecodeError):
            permalink = None
        if permalink:
            return "/" + str(permalink).lstrip("/")
        rel_path = pathlib.PurePosixPath(rel.strip("/"))
        if rel_path.suffix in MARKDOWN_SUFFIXES + (".html",):
            rel_path = rel_path.with_suffix(".html")
        return "/" + (str(rel_path.parent) + "/" if rel_path.name == "index.html" else str(rel_path)).lstrip("./")


_JEKYLL_DEFAULTS = {"url": "", "baseurl": "", "permalink": "date", "excerpt_separator": "\n\n"}


def is_post_name(path: pathlib.Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES and _DATE_IN_NAME.match(path.stem) is not None


def _canonical(url: str) -> str:
    url = urllib.parse.unquote(url.split("#")[0].split("?")[0])
    url = re.sub(r"(index)?\.html$", "", url)
    return url.rstrip("/") or "/"


def _to_date(value) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value) if v] if "," in value or " " in value else [value]
    return [str(v) for v in value]


# -- one post ----------------------------------------------------------------------------------------------

def read_post(path: pathlib.Path) -> tuple[str, int]:
    """The post's text (Jekyll tolerates blank lines and a BOM before the front matter; MkDocs does not) and the
    number of lines skipped before it."""
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as e:
        raise ImportError_(f"{path}: no such file — check the path") from e
    except IsADirectoryError as e:
        raise ImportError_(f"{path}: is a folder — give a post file, or the Jekyll site's folder alone") from e
    except PermissionError as e:
        raise ImportError_(f"{path}: cannot be read (permission denied) — check the file's permissions") from e
    except UnicodeDecodeError as e:
        data = path.read_bytes()
        line = data[:e.start].count(b"\n") + 1
        raise ImportError_(f"{path}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x}) — "
                           "save the file as UTF-8") from e
    text = raw.lstrip()
    return text, raw[:len(raw) - len(text)].count("\n")


def convert(path: pathlib.Path, *, docs_dir: pathlib.Path, authors: set[str], date: datetime.date | None = None,
            site: JekyllSite | None = None, bib_keys: frozenset[str] = frozenset()) -> Imported:
    """Convert one post (nothing is written). Raises ImportError_ for input that cannot be a post."""
    text, skipped, source = _read_front_matter(path)
    site = site or JekyllSite.around(path)
    meta = dict(source.meta)
    keys = key_lines(text, skipped)
    findings: list[Finding] = []
    post = _dated(path, site, meta, date, keys)
    front = _front_matter(meta, post, authors, keys, findings)
    if "_drafts" in path.resolve().parts:
        front["draft"] = True
    body_first = source.body_line + skipped
    lines, origins = _render_liquid(path, source.body, body_first, site, meta, post, keys, bib_keys, findings)
    # 2. kramdown -> Python-Markdown, 3. paths
    assets: dict[str, pathlib.Path] = {}
    missing: list[str] = []
    mapper = _UrlMapper(site, docs_dir, path, findings, assets, missing)
    separator = meta.get("excerpt_separator") or site.config.get("excerpt_separator")
    lines, origins, more = kramdown.convert(lines, origins, mapper, separator)
    findings += more
    body = _with_excerpt_marker(_with_title(lines, origins, front.get("title"), body_first, findings))
    findings.sort(key=lambda f: f.line)
    out = docs_dir / "posts" / post.out_name
    return Imported(path, out, front, body, findings, assets, missing, mapper.post_links)


def _read_front_matter(path: pathlib.Path):
    """The post's text, the lines skipped before its front matter, and its split source."""
    text, skipped = read_post(path)
    source, problems = split_front_matter(str(path), text)
    if problems:  # the same messages (line and remedy) as a broken post gets from the site build
        p = problems[0]
        raise ImportError_(f"{path}:{p.line + skipped}: {p.message}")
    if source.meta is None:
        raise ImportError_(f"{path}:1: no front matter (a block between two '---' lines at the top); Jekyll would not "
                           "read it as a post either — add one with a title")
    return text, skipped, source


def _dated(path: pathlib.Path, site: JekyllSite, meta: dict, date: datetime.date | None, keys: dict[str, int]) -> _Post:
    """The post as Jekyll names it; raises ImportError_ when it has no date Jekyll would read."""
    post = site.describe(path, meta, date)
    if post.date is None:
        raw_date = meta.get("date")
        if raw_date is not None:
            raise ImportError_(f"{path}:{keys.get('date', 1)}: date {raw_date!r} is not YYYY-MM-DD — write it as "
                               "date: 2024-10-25")
        raise ImportError_(f"{path}: no date in the front matter or the file name; pass --date YYYY-MM-DD.")
    return post


def _render_liquid(path: pathlib.Path, body: str, body_first: int, site: JekyllSite, meta: dict, post: _Post,
                   keys: dict[str, int], bib_keys: frozenset[str], findings: list[Finding]
                   ) -> tuple[list[str], list[int]]:
    """1. Liquid: the body's lines as Jekyll renders them (with the source line of each), the cover image first
    and the footnotes Liquid tags made last."""
    env = liquid.Env(site=site.config, page={**meta, "url": post.url, "date": post.date, "path": path.name},
                     bib_keys=bib_keys,
                     post_url=lambda name: (p.url if (p := site.post_named(name)) else None),
                     link_url=lambda rel: (
                         (site.config.get("baseurl") or "") + url if (url := site.page_url(rel)) else None))
    rendered = liquid.render(body, env, body_first)
    findings += rendered.findings
    lines, origins = rendered.lines, rendered.origins
    cover = _cover(meta)
    if cover:
        cover_line = keys.get("image", keys.get("header", 1))
        lines, origins = [f"![{cover[1]}]({cover[0]})", ""] + lines, [cover_line] * 2 + origins
    for ident, note_text, line in rendered.footnotes:
        lines, origins = lines + ["", f"[^{ident}]: {note_text}"], origins + [line, line]
    return lines, origins


def _with_title(lines: list[str], origins: list[int], title, body_first: int, findings: list[Finding]) -> str:
    """The body with the title as its heading: added when it has none, noted when its own heading is the title."""
    body = "\n".join(lines).strip("\n") + "\n"
    own = re.search(r"^#\s+(.+?)\s*#*\s*$", body, re.M)
    if title and own is None:
        body = f"# {title}\n\n{body}"
    elif title and own.group(1).strip() == str(title).strip():
        line = next((o for t, o in zip(lines, origins) if t.startswith("#") and title in t), body_first)
        findings.append(Finding(line, f'the post\'s own heading "{title}" is its title: shown once (the Jekyll theme '
                                      "printed the title above it too)"))
    return body


def _front_matter(meta: dict, post: _Post, authors: set[str], keys: dict[str, int], findings: list[Finding]) -> dict:
    meta = dict(meta)

    def note(key: str, message: str) -> None:
        findings.append(Finding(keys.get(key, 1), message))

    meta.pop("date", None)
    front: dict = {"date": post.date}
    updated = _to_date(meta.pop("last_modified_at", None) or meta.pop("updated", None))
    if updated and updated != post.date:
        front["date"] = {"created": post.date, "updated": updated}
    title = meta.pop("title", None)
    if title:
        front["title"] = str(title)
    author = meta.pop("author", None)
    default = sorted(authors)[0] if authors else "circuits"
    front["authors"] = [author] if author in authors else [default]
    if author and author not in authors:
        note("author", f"author {author!r} is not in docs/.authors.yml; used {default!r}")
    tags = _as_list(meta.pop("tags", None))
    cats = []
    for c in _as_list(meta.pop("categories", None)) + _as_list(meta.pop("category", None)):
        (cats if c in ALLOWED_CATEGORIES else tags).append(c)
        if c not in ALLOWED_CATEGORIES:
            note("categories" if "categories" in keys else "category",
                 f"category {c!r} is not allowed here ({', '.join(ALLOWED_CATEGORIES)}); kept as a tag")
    front["categories"] = cats or ["Papers"]
    if tags:
        front["tags"] = list(dict.fromkeys(tags))
    description = next(filter(None, [meta.pop(k, None) for k in ("description", "tldr", "excerpt")]), None)
    if description:
        front["description"] = str(description)
    if any([meta.pop(k, None) for k in ("pinned", "sticky", "pin")]):
        front["pin"] = True
    if meta.pop("published", True) is False:
        front["draft"] = True
    subtitle = meta.pop("subtitle", None)
    if subtitle:
        front["subtitle"] = str(subtitle)
    for k in ("permalink", "slug", "excerpt_separator"):
        meta.pop(k, None)
    front["slug"] = post.slug
    if _cover(meta):
        meta.pop("image", None)
        header = meta.get("header")
        if isinstance(header, dict):
            header = {k: v for k, v in header.items() if k not in ("image", "overlay_image")}
            if header:
                meta["header"] = header
            else:
                meta.pop("header")
    for key, value in meta.items():
        note(key, f"front matter {key}: {value!r} not mapped"
             + (" (Material decides the layout)" if key == "layout" else ""))
    return front


def _cover(meta: dict) -> tuple[str, str] | None:
    """A post's cover image (Chirpy `image`, minimal-mistakes `header.image`): (path, alt)."""
    image = meta.get("image")
    header = meta.get("header")
    if isinstance(image, dict) and image.get("path"):
        return liquid._site_path(str(image["path"])), str(image.get("alt") or "")
    if isinstance(image, str) and image.lower().endswith(liquid.IMAGE_EXTENSIONS):
        return liquid._site_path(image), ""
    if isinstance(header, dict):
        path = header.get("image") or header.get("overlay_image")
        if isinstance(path, str) and path:
            return liquid._site_path(path), str(header.get("image_description") or header.get("caption") or "")
    return None


def _with_excerpt_marker(body: str) -> str:
    """Material's blog requires `<!-- more -->` on a line of its own: where the post had its excerpt separator
    (moved to its own line), else after the first top-level paragraph of prose (Jekyll's default excerpt)."""
    lines, out, fence, found = body.split("\n"), [], None, False
    for line in lines:
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m:
            fence = None if fence and m.group(1).startswith(fence) else (fence or m.group(1)[:3])
        if fence is None and not m and "<!-- more -->" in line and not found:
            found = True
            before, _, after = line.partition("<!-- more -->")
            out += ([before.rstrip(), ""] if before.strip() else []) + ["<!-- more -->"] + (["", after.strip()]
                                                                                            if after.strip() else [])
            continue
        out.append(line)
    if found:
        return "\n".join(out)
    fence, start = None, None
    for k, line in enumerate(lines):
        m = re.match(r"^\s*(`{3,}|~{3,})", line)
        if m:
            fence = None if fence and m.group(1).startswith(fence) else (fence or m.group(1)[:3])
            continue
        if fence:
            continue
        if start is None and line.strip() and not line.startswith((" ", "#", "<", "!", ">", "|", "$$", "[^", "-", "*",
                                                                   "+", "{:")) and not re.match(r"^\d+\.\s", line):
            start = k
        elif start is not None and not line.strip():
            return "\n".join(lines[:k] + ["", "<!-- more -->"] + lines[k:])
    return body.rstrip("\n") + "\n\n<!-- more -->\n"


class _UrlMapper:
    """Links and images of a post → paths in this site; files of the Jekyll site are queued for copying."""

    def __init__(self, site: JekyllSite, docs_dir: pathlib.Path, source: pathlib.Path, findings: list[Finding],
                 assets: dict[str, pathlib.Path], missing: list[str]):
        self.site, self.docs, self.source = site, docs_dir, source
        self.findings, self.assets, self.missing = findings, assets, missing
        self.post_links: list[tuple[int, str]] = []

    def __call__(self, url: str, kind: str, line: int) -> str:
        bracket = url.startswith("<") and url.endswith(">")
        inner = url[1:-1] if bracket else url
        if not inner or inner.startswith(("#", "mailto:", "data:", "tel:")):
            return url
        cut = min([i for i in (inner.find("#"), inner.find("?")) if i >= 0], default=len(inner))
        path, tail = inner[:cut], inner[cut:]
        site_url = str(self.site.config.get("url") or "").rstrip("/")
        baseurl = "/" + str(self.site.config.get("baseurl") or "").strip("/")
        if site_url and (path == site_url or path.startswith(site_url + "/")):
            path = path[len(site_url):] or "/"
        if _SCHEME.match(path):
            return url
        if baseurl != "/" and (path == baseurl or path.startswith(baseurl + "/")):
            path = path[len(baseurl):] or "/"
        wrap = (lambda u: f"<{u}>" if bracket or " " in u else u)
        if path.startswith("/"):
            post = self.site.post_at(path)
            if post is not None and kind != "html":
                self.post_links.append((line, post.out_name))
                return wrap(post.out_name + tail)
            rel = urllib.parse.unquote(path.lstrip("/"))
            found = self.site.root / rel if self.site.root is not None else None
            if found is not None and found.is_file():
                self.assets[rel] = found
                return wrap(self._target(rel, kind, line) + tail)
            if rel and (self.docs / rel).is_file():
                return wrap(self._target(rel, kind, line) + tail)
            if kind == "image" or rel.lower().endswith(_FILE_SUFFIXES):
                self._missing(path, rel, kind, line)
                return wrap(self._target(rel, kind, line, missing=True) + tail)
            if post is None:
                self.findings.append(Finding(line, f"link {path} points at a page of the Jekyll site that is not "
                                                   "imported; left as it was — import it or link elsewhere"))
            return url
        if path.endswith(".md") or not path:
            return url
        for base in (self.source.parent, self.site.root):
            if base is None:
                continue
            found = (base / urllib.parse.unquote(path)).resolve()
            if found.is_file():
                rel = self._site_relative(found)
                self.assets[rel] = found
                return wrap(self._target(rel, kind, line) + tail)
        if kind == "image":
            self._missing(path, path, kind, line)
        return url

    def _target(self, rel: str, kind: str, line: int, missing: bool = False) -> str:
        if kind == "html":  # MkDocs rewrites paths of Markdown links only; raw HTML keeps a site-root path
            if not missing:
                self.findings.append(Finding(line, f"raw HTML link to /{rel} kept as a site-root path (it works when "
                                                   "the site is served at its domain root); a Markdown link is safer"))
            return "/" + urllib.parse.quote(rel)
        return "../" + urllib.parse.quote(rel)

    def _site_relative(self, found: pathlib.Path) -> str:
        if self.site.root is not None and found.is_relative_to(self.site.root):
            return found.relative_to(self.site.root).as_posix()
        return f"posts/{found.name}"

    def _missing(self, url: str, rel: str, kind: str, line: int) -> None:
        what = "image" if kind == "image" or rel.lower().endswith(liquid.IMAGE_EXTENSIONS) else "file"
        if what == "image":
            self.missing.append(url)
        where = "the Jekyll site" if self.site.root is not None else "docs/ (the post is not inside a Jekyll site)"
        self.findings.append(Finding(line, f"{what} {url} not found in {where} — copy it to docs/{rel.lstrip('/')}"
                                           + (" or the strict build will fail" if what == "image" else ""), lost=True))


# -- a batch: one post, several, or a whole site -------------------------------------------------------------

@dataclass
class Batch:
    posts: list[Imported]
    skipped: list[str] = field(default_factory=list)   # what a folder held that is not imported, and why
    written: bool = False

    @property
    def lost(self) -> list[tuple[Imported, Finding]]:
        return [(p, f) for p in self.posts for f in p.lost]


def collect(sources: list[pathlib.Path]) -> tuple[list[tuple[pathlib.Path, JekyllSite]], list[str]]:
    """The post files named by the arguments (files, Jekyll site folders or _posts folders), each with its site."""
    found, skipped = [], []
    for src in sources:
        if src.is_dir():
            root = src.parent if src.name in ("_posts", "_drafts") else src
            posts_dir = root / "_posts" if (root / "_posts").is_dir() else (src if src.name == "_posts" else None)
            if posts_dir is None:
                candidates = sorted(p for p in src.iterdir() if p.is_file() and is_post_name(p))
                site = JekyllSite(None, dict(_JEKYLL_DEFAULTS))
            else:
                site = JekyllSite.at(root)
                candidates = site.post_files()
                skipped += [f"{p}: Jekyll reads only YYYY-MM-DD-title.md files in _posts as posts"
                            for p in sorted(posts_dir.rglob("*")) if p.is_file() and not is_post_name(p)
                            and not p.name.startswith(".")]
                if (root / "_drafts").is_dir():
                    skipped.append(f"{root / '_drafts'}: Jekyll does not publish drafts either — import one by its "
                                   "file name (with --date if it has none); it stays a draft here")
            if not candidates:
                raise ImportError_(f"{src}: no Jekyll posts here (looked for _posts/YYYY-MM-DD-title.md) — give a post "
                                   "file, a Jekyll site folder or its _posts folder")
            found += [(p, site) for p in candidates]
        elif src.exists() or src.is_symlink():
            if src.suffix.lower() not in MARKDOWN_SUFFIXES:
                raise ImportError_(f"{src}: not a Markdown post (.md or .markdown) — "
                                   "only Markdown posts can be imported")
            found.append((src, JekyllSite.around(src)))
        else:
            raise ImportError_(f"{src}: no such file or folder — check the path")
    return found, skipped


def bibliography_keys(docs: pathlib.Path) -> frozenset[str]:
    bib = docs / "references.bib"
    return frozenset(_BIB_KEY.findall(bib.read_text(encoding="utf-8"))) if bib.is_file() else frozenset()


def import_paths(sources: list[pathlib.Path], *, root: pathlib.Path | None = None, date: datetime.date | None = None,
                 dry_run: bool = False, strict: bool = False) -> Batch:
    """Convert every post named, then — unless dry_run, or strict with a loss — write them all into `root`'s
    docs/ (default: this repository) and copy their files. Raises ImportError_ (before writing anything) for bad
    input or a conflict with what exists."""
    root = root or ROOT
    docs = root / "docs"
    authors = set(((yaml.safe_load((docs / ".authors.yml").read_text()) if (docs / ".authors.yml").is_file() else {})
                   or {}).get("authors", {}) or {})
    keys = bibliography_keys(docs)
    found, skipped = collect(sources)
    posts = [convert(path, docs_dir=docs, authors=authors, date=date, site=site, bib_keys=keys) for path, site in found]
    seen: dict[pathlib.Path, pathlib.Path] = {}
    for p in posts:
        if p.path.exists():
            raise ImportError_(f"{p.path.relative_to(root)} already exists; remove it or change the slug.")
        if p.path in seen:
            raise ImportError_(f"{p.source} and {seen[p.path]} would both become {p.path.relative_to(root)} — give one "
                               "a different permalink or slug")
        seen[p.path] = p.source
    for p in posts:  # a link to a post that is neither here nor in this batch fails the strict build
        for line, name in p.post_links:
            if name not in {q.path.name for q in posts} and not (docs / "posts" / name).exists():
                p.findings.append(Finding(line, f"links to the post that becomes posts/{name}, which is not imported "
                                                "yet — import it too (the strict build fails on the link until then)"))
        p.findings.sort(key=lambda f: f.line)
    copies: dict[pathlib.Path, pathlib.Path] = {}
    for p in posts:
        for rel, src in p.assets.items():
            dest = docs / rel
            if dest.is_file() and dest.read_bytes() != src.read_bytes():
                raise ImportError_(f"{src}: would overwrite docs/{rel}, a different file already there — rename one "
                                   "of them (and the links to it)")
            if not dest.exists():
                copies[dest] = src
    batch = Batch(posts, skipped)
    if dry_run or (strict and batch.lost):
        return batch
    for p in posts:
        p.path.parent.mkdir(parents=True, exist_ok=True)
        p.path.write_text(p.text(), encoding="utf-8")
    for dest, src in copies.items():
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
    batch.written = True
    return batch


def import_post(path: pathlib.Path, *, root: pathlib.Path | None = None, date: datetime.date | None = None) -> Imported:
    """Import one post (and copy the files it references); returns what was written."""
    return import_paths([path], root=root, date=date).posts[0]


def report(batch: Batch, root: pathlib.Path | None = None) -> list[str]:
    """The import report, one line per post and per finding."""
    root = root or ROOT
    lines = []
    verb = "created" if batch.written else "would create"
    for p in batch.posts:
        out = p.path.relative_to(root) if p.path.is_relative_to(root) else p.path
        lines.append(f"{verb} {out}  (from {p.source})")
        lines += [f"  {f.render(str(p.source))}" for f in p.findings]
    copied = sorted({rel for p in batch.posts for rel in p.assets})
    if copied:
        lines.append(f"{'copied' if batch.written else 'would copy'} {len(copied)} file(s) into docs/: "
                     + ", ".join(copied))
    for s in batch.skipped:
        lines.append(f"skipped {s}")
    n_lost = len(batch.lost)
    lines.append(f"{len(batch.posts)} post(s), {n_lost} loss(es), "
                 f"{sum(len(p.findings) for p in batch.posts) - n_lost} note(s)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=pathlib.Path, metavar="POST_OR_SITE",
                        help="a post, a Jekyll site folder or its _posts folder (several allowed)")
    parser.add_argument("--date", type=datetime.date.fromisoformat,
                        help="when neither front matter nor file name has one")
    parser.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    parser.add_argument("--strict", action="store_true", help="exit 1 and write nothing if anything would be lost")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT, help="the blog to import into (default: this one)")
    args = parser.parse_args(argv)
    try:
        batch = import_paths(args.sources, root=args.root, date=args.date, dry_run=args.dry_run, strict=args.strict)
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for line in report(batch, args.root):
        print(line)
    if args.strict and batch.lost:
        print(f"--strict: {len(batch.lost)} element(s) would be lost; nothing was written", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
