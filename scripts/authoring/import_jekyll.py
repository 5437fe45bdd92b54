"""Import a Jekyll post as a post of this blog, losing no content and saying what could not be mapped.

    python -m scripts.authoring.import_jekyll path/to/2024-10-25-my-post.md [--date YYYY-MM-DD]

Front matter mapping (Jekyll -> Material blog):
- `title` -> `title` (and the page's H1 if the body has none); `date` -> `date` (else the file name's
  YYYY-MM-DD prefix, else --date); `permalink` -> `slug` (its last path segment); `tags` / `categories`
  (lists or space-separated strings) -> `tags` / `categories` (categories the site does not allow become
  tags); `tldr` / `excerpt` / `description` -> `description`, and the excerpt marker `<!-- more -->` goes
  after the first paragraph; `pinned` / `sticky` -> `pin`; `author` -> `authors` if known.
- `layout` and anything else: reported as not mapped (Material decides the layout).
Body: `$…$` / `$$…$$` math is kept as is (arithmatex reads both); root-relative image paths (`/images/x.png`)
become paths relative to the post, and any image missing from docs/ is reported; Liquid
`{% highlight lang %}` blocks become fenced code, `{% raw %}` markers are dropped, other Liquid tags and
`{{ site.* }}` variables are removed and reported.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import re
import sys
from dataclasses import dataclass, field

import yaml

from scripts.engine.preflight import split_front_matter

ROOT = pathlib.Path(__file__).resolve().parents[2]
ALLOWED_CATEGORIES = ("Papers", "Methods", "Site")
_DATE_IN_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")


class ImportError_(ValueError):
    """The post cannot be imported; the message names the file and what to fix."""


@dataclass
class Imported:
    path: pathlib.Path
    front: dict
    body: str
    not_mapped: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "---\n" + yaml.safe_dump(self.front, sort_keys=False, allow_unicode=True) + "---\n\n" + self.body


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value) if v] if "," in value or " " in value else [value]
    return [str(v) for v in value]


def _liquid(body: str, report: list[str]) -> str:
    body = re.sub(r"{%\s*highlight\s+(\w+)[^%]*%}\n?(.*?){%\s*endhighlight\s*%}",
                  lambda m: f"```{m.group(1)}\n{m.group(2).rstrip()}\n```", body, flags=re.S)
    body = re.sub(r"{%-?\s*(end)?raw\s*-?%}", "", body)
    for m in re.finditer(r"{%-?\s*(\w+)[^%]*%}", body):
        report.append(f"Liquid tag {{% {m.group(1)} … %}} removed")
    body = re.sub(r"{%-?[^%]*%}", "", body)
    for m in re.finditer(r"{{\s*(site|page)\.[\w.]+\s*}}", body):
        report.append(f"Liquid variable {m.group(0)} removed")
    return re.sub(r"{{\s*(site|page)\.[\w.]+\s*}}", "", body)


def convert(path: pathlib.Path, *, docs_dir: pathlib.Path, authors: set[str], date: datetime.date | None = None) -> Imported:
    raw = path.read_text(encoding="utf-8")
    text = raw.lstrip()  # Jekyll tolerates blank lines before the front matter; MkDocs does not
    source, problems = split_front_matter(str(path), text)
    if problems:  # the same messages (line and remedy) as a broken post gets from the site build
        skipped = raw[:len(raw) - len(text)].count("\n")
        p = problems[0]
        raise ImportError_(f"{path}:{p.line + skipped}: {p.message}")
    if source.meta is None:
        raise ImportError_(f"{path}: no front matter (a block between two '---' lines at the top); add one with a title.")
    meta = dict(source.meta)
    body = source.body.strip("\n") + "\n"
    report: list[str] = []
    name = _DATE_IN_NAME.match(path.stem)
    raw_date = meta.pop("date", None) or (name.group(1) if name else None) or date
    if raw_date is None:
        raise ImportError_(f"{path}: no date in the front matter or the file name; pass --date YYYY-MM-DD.")
    try:
        post_date = raw_date if isinstance(raw_date, datetime.date) else datetime.date.fromisoformat(str(raw_date)[:10])
    except ValueError as e:
        raise ImportError_(f"{path}: date {raw_date!r} is not YYYY-MM-DD.") from e
    if isinstance(post_date, datetime.datetime):
        post_date = post_date.date()
    title = meta.pop("title", None)
    slug_source = str(meta.pop("permalink", "") or "").strip("/").split("/")[-1] or (name.group(2) if name else "") or str(title or path.stem)
    slug = re.sub(r"[^a-z0-9]+", "-", slug_source.lower()).strip("-")
    front: dict = {"date": post_date}
    if title:
        front["title"] = str(title)
    author = meta.pop("author", None)
    front["authors"] = [author] if author in authors else [sorted(authors)[0]]
    if author and author not in authors:
        report.append(f"author {author!r} is not in docs/.authors.yml; used {front['authors'][0]!r}")
    tags = _as_list(meta.pop("tags", None))
    cats = []
    for c in _as_list(meta.pop("categories", None)) + _as_list(meta.pop("category", None)):
        (cats if c in ALLOWED_CATEGORIES else tags).append(c)
        if c not in ALLOWED_CATEGORIES:
            report.append(f"category {c!r} is not allowed here ({', '.join(ALLOWED_CATEGORIES)}); kept as a tag")
    front["categories"] = cats or ["Papers"]
    if tags:
        front["tags"] = tags
    description = next((meta.pop(k) for k in ("description", "tldr", "excerpt") if meta.get(k)), None)
    for k in ("tldr", "excerpt"):
        meta.pop(k, None)
    if description:
        front["description"] = str(description)
    pinned = meta.pop("pinned", None) or meta.pop("sticky", None)
    if pinned:
        front["pin"] = True
    front["slug"] = slug
    for key, value in meta.items():
        report.append(f"front matter {key}: {value!r} not mapped" + (" (Material decides the layout)" if key == "layout" else ""))

    body = _liquid(body, report)
    missing = []

    def image(mm: re.Match) -> str:
        target = mm.group(2)
        if target.startswith("/"):
            if not (docs_dir / target.lstrip("/")).exists():
                missing.append(target)
            target = "../" + target.lstrip("/")  # posts live one folder below the docs root
        return f"{mm.group(1)}({target})"

    body = re.sub(r"(!\[[^\]]*\])\(([^)\s]+)\)", image, body)
    if title and not re.search(r"^#\s", body, re.M):
        body = f"# {title}\n\n{body}"
    if "<!-- more -->" not in body:  # the blog requires an excerpt marker: after the first paragraph of prose
        paragraphs = body.split("\n\n")
        k = next((i for i, p in enumerate(paragraphs) if p.strip() and not p.lstrip().startswith(("#", "---"))), 0)
        paragraphs.insert(k + 1, "<!-- more -->")
        body = "\n\n".join(paragraphs)
    out = docs_dir / "posts" / f"{post_date.isoformat()}-{slug}.md"
    return Imported(out, front, body, report, missing)


def import_post(path: pathlib.Path, *, root: pathlib.Path = ROOT, date: datetime.date | None = None) -> Imported:
    docs = root / "docs"
    authors = set((yaml.safe_load((docs / ".authors.yml").read_text()) or {}).get("authors", {}))
    result = convert(path, docs_dir=docs, authors=authors, date=date)
    if result.path.exists():
        raise ImportError_(f"{result.path.relative_to(root)} already exists; remove it or change the slug.")
    result.path.write_text(result.text())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("post", type=pathlib.Path)
    parser.add_argument("--date", type=datetime.date.fromisoformat, help="when neither front matter nor file name has one")
    args = parser.parse_args(argv)
    try:
        result = import_post(args.post, date=args.date)
    except ImportError_ as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"created {result.path.relative_to(ROOT)}")
    for line in result.not_mapped:
        print(f"  not mapped: {line}")
    for img in result.missing_images:
        print(f"  missing image: {img} — copy it to docs{img} or the strict build will fail")
    return 0


if __name__ == "__main__":
    sys.exit(main())
