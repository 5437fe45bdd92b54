"""Errors that teach: check every page's sources before MkDocs touches the site directory.

MkDocs empties `site/` right after the `pre_build` event, and Material's blog reports a broken post as
"Error reading metadata of post" without the line or the remedy. So before that, in `pre_build`, every post's
front matter is read here — YAML syntax, a date, allowed categories, known authors, the excerpt marker, keys
that look misspelt — and every page's images, quotation sources and leftover `make note` placeholders are
looked up. Each problem is one line,
`docs/posts/x.md:3: what is wrong — how to fix it`, and a failing check aborts the build with the last good
site still in place. (Under `mkdocs serve` the bridge instead leaves a broken post out of the preview: see
`SiteBridge.preflight`.)

Functions here take the text and the rules as arguments (no MkDocs objects), so tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import pathlib
import posixpath
import re
from dataclasses import dataclass

import yaml

from scripts.engine.shortcodes import INLINE_CODE, lines_with_code_flag

# Front-matter keys Material, its blog and our pages understand; a near miss of one of these is a typo.
KNOWN_KEYS = frozenset({
    "date", "authors", "categories", "tags", "slug", "description", "title", "draft", "pin", "readtime", "links",
    "search", "hide", "template", "status", "subtitle", "icon", "comments", "rss", "render_macros",
})
_FILENAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})-")
_IMAGE_MD = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_IMAGE_HTML = re.compile(r"<img\b[^>]*?\ssrc=[\"']([^\"']+)[\"']", re.I)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class BlogRules:
    """What Material's blog plugin requires of a post (read from mkdocs.yml by the site bridge)."""

    categories_allowed: tuple[str, ...] = ()
    authors: frozenset[str] | None = None  # None: the site has no authors file
    excerpt_separator: str | None = "<!-- more -->"  # None: excerpts are optional


@dataclass(frozen=True)
class Source:
    meta: dict | None   # None when the file has no front matter
    body: str
    body_line: int      # 1-based line of the source where the body starts


def split_front_matter(display: str, text: str) -> tuple[Source, list[Problem]]:
    """The `---`-fenced YAML block at the top of a page, parsed, with problems naming their source line."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return Source(None, text, 1), []
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return Source(None, text, 1), [Problem(display, 1, "the front matter opened here is never closed — add a "
                                                           "line `---` after its last field")]
    block = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1:])
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(e, "problem", None) or str(e).split("\n")[0]
        return Source({}, body, end + 2), [Problem(display, line, f"the front matter is not valid YAML ({problem}) "
                                                                  f"— {_yaml_fix(lines[line - 1] if line - 1 < len(lines) else '', problem)}")]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Source({}, body, end + 2), [Problem(display, 2, "the front matter must be `key: value` lines "
                                                               "(a YAML mapping), e.g. `date: 2026-01-31`")]
    return Source(meta, body, end + 2), []


def _yaml_fix(line: str, problem: str) -> str:
    if "\t" in line:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return 'a value that contains ": " must be quoted, e.g. title: "Heads: a tour"'
    if "found character '@'" in problem or "found character '`'" in problem:
        return "quote a value that starts with @ or `"
    if "expected ',' or ']'" in problem:
        return "close the list with ]"
    if "expected ',' or '}'" in problem:
        return "close the mapping with }"
    if "could not find expected ':'" in problem:
        return "each line is `key: value`; check for a missing colon or an unclosed quote"
    return "check the YAML syntax on this line (each field is `key: value`; lists are [a, b])"


def check_post(display: str, text: str, rules: BlogRules) -> list[Problem]:
    """Everything Material's blog needs from a post, checked with line numbers and remedies."""
    source, problems = split_front_matter(display, text)
    if problems:
        return problems
    name = pathlib.PurePosixPath(display).name
    m = _FILENAME_DATE.match(name)
    example = m.group(1) if m else dt.date.today().isoformat()
    if source.meta is None:
        return [Problem(display, 1, "a post starts with front matter — add at its top:  ---  /  "
                                    f"date: {example}  /  categories: [Papers]  /  ---")]
    meta, lines = source.meta, key_lines(text)

    def at(key: str) -> int:
        return lines.get(key, 1)

    date = meta.get("date")
    if date is None:
        problems.append(Problem(display, 1, f"the post has no date — add `date: {example}` to its front matter"))
    else:
        problems += _check_date(display, at("date"), date)
    for key, allowed, where in (("categories", rules.categories_allowed, "mkdocs.yml → blog → categories_allowed"),
                                ("authors", tuple(sorted(rules.authors or ())), "docs/.authors.yml")):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(display, at(key), f"`{key}` must be a list, e.g. {key}: [{(allowed or ('x',))[0]}]"))
            continue
        if key == "authors" and rules.authors is None:
            continue
        for v in value:
            if allowed and v not in allowed:
                near = difflib.get_close_matches(v, allowed, n=1)
                hint = f'did you mean "{near[0]}"? ' if near else ""
                extra = " (or make it a tag)" if key == "categories" else ""
                problems.append(Problem(display, at(key), f'{key[:-1] if key != "categories" else "category"} "{v}" '
                                        f"is not defined — {hint}use one of {', '.join(allowed)}{extra}, "
                                        f"or add it to {where}"))
    tags = meta.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, (str, int)) for t in tags)):
        problems.append(Problem(display, at("tags"), "`tags` must be a list, e.g. tags: [induction heads, QK circuit]"))
    for key in ("draft", "pin"):
        if key in meta and not isinstance(meta[key], bool):
            problems.append(Problem(display, at(key), f"`{key}` is true or false, not {meta[key]!r}"))
    for key in meta:
        if isinstance(key, str) and key not in KNOWN_KEYS:
            near = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.75)
            if near:
                problems.append(Problem(display, at(key), f'unknown front-matter key "{key}" — did you mean "{near[0]}"?'))
    if rules.excerpt_separator and not any(line.strip() == rules.excerpt_separator and not code
                                           for _, line, code in lines_with_code_flag(source.body)):
        problems.append(Problem(display, source.body_line, f"the post has no excerpt marker — add a line "
                                f"`{rules.excerpt_separator}` after the paragraph the index page should show"))
    return problems


def _check_date(display: str, line: int, date) -> list[Problem]:
    if isinstance(date, dict):
        if "created" not in date:
            return [Problem(display, line, "a date written as a mapping needs `created:` (and optionally `updated:`)")]
        return [p for v in date.values() for p in _check_date(display, line, v)]
    if isinstance(date, (dt.date, dt.datetime)):
        return []
    return [Problem(display, line, f"`date: {date}` is not a date — write it as YYYY-MM-DD without quotes, "
                                   "e.g. date: 2026-01-31")]


def key_lines(text: str, skipped: int = 0) -> dict[str, int]:
    """Line of each top-level front-matter key (for messages); `skipped`: lines before `text` in its file."""
    out = {}
    for i, line in enumerate(text.split("\n")[1:], start=2):
        if line.rstrip() in ("---", "..."):
            break
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if m:
            out.setdefault(m.group(1), i + skipped)
    return out


def check_images(display: str, body: str, body_line: int, page_dir: str, docs_dir: pathlib.Path,
                 generated: frozenset[str] = frozenset()) -> list[Problem]:
    """Images a page embeds by a relative path must exist among the docs (or the generated files)."""
    problems, index = [], None
    for lineno, text, code in lines_with_code_flag(body):
        if code or ("![" not in text and "<img" not in text.lower()):
            continue
        text = INLINE_CODE.sub("", text)
        for m in [*_IMAGE_MD.finditer(text), *_IMAGE_HTML.finditer(text)]:
            url = m.group(1)
            if _EXTERNAL.match(url):
                continue
            path = url.split("#")[0].split("?")[0]
            target = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(page_dir, path))
            if target in generated or (docs_dir / target).is_file():
                continue
            index = _image_index(docs_dir) if index is None else index  # walked only when an image is missing
            near = difflib.get_close_matches(posixpath.basename(target), list(index), n=1, cutoff=0.6)
            hint = ""
            if near:
                hint = f'; did you mean "{posixpath.relpath(index[near[0]], page_dir or ".")}"?'
            problems.append(Problem(display, body_line + lineno - 1,
                                    f'image "{url}" not found (looked for docs/{target}){hint} — put the file there, '
                                    "or fix the path (relative to the page's folder)"))
    return problems


_ATTRIBUTION = re.compile(r"^\s*>\s*[—-]{1,2}\s*\[§\s*([^\]]*)\]\(([^)\s]+)")

# What `make note` (scripts/authoring/new_note.py) writes for the author to replace, and what to do instead
# (tests/test_new_note.py checks that a fresh scaffold trips every one, so the two cannot drift apart).
PLACEHOLDER_LINK = re.compile(r"https?://(?:www\.)?example\.(?:org|com|net)\b[^\s()\[\]<>\"']*", re.I)
PLACEHOLDERS = {
    "One or two sentences on what the paper claims and why it matters":
        "the excerpt is the scaffold's placeholder — say in a sentence or two what the paper claims",
    "A short quotation from the paper.": "the quotation is the scaffold's placeholder — quote the paper's own words",
    "§ Section name": "the quotation's source is the scaffold's placeholder — name the section you quote",
    "#section-id": "the quotation's link ends in the scaffold's placeholder anchor — use the section's own anchor",
    "Your reading of it, in your own words.": "this paragraph is the scaffold's placeholder — write your reading",
    "What is not obvious, or seems to contradict something else.":
        "the confusion callout is the scaffold's placeholder — write what confused you, or delete the callout",
    "What you computed, on which model and data.":
        "the experiment callout is the scaffold's placeholder — describe your experiment, or delete the callout",
    "Replace this example with the numbers your own script computes.":
        "the verdict is the scaffold's example — state the verdict your own figure supports",
}


def check_placeholders(display: str, body: str, body_line: int) -> list[Problem]:
    """Text the `make note` scaffold left for the author to replace (code and inline code are not checked)."""
    problems = []
    for lineno, text, code in lines_with_code_flag(body):
        if code:
            continue
        text = INLINE_CODE.sub("", text)
        for m in PLACEHOLDER_LINK.finditer(text):
            problems.append(Problem(display, body_line + lineno - 1, f'link "{m.group(0)}" is a placeholder (example.org '
                                    "stands for the paper) — link the paper itself"))
        problems += [Problem(display, body_line + lineno - 1, message) for phrase, message in PLACEHOLDERS.items()
                     if phrase in text]
    return problems


def check_quotations(display: str, body: str, body_line: int) -> list[Problem]:
    """A quotation's attribution, `> — [§ Section](url)`, must link the section itself (an #anchor); and no
    placeholder of the `make note` scaffold — its quotation, its example.org link, its callouts — may be left
    (see check_placeholders: the build runs both in strict mode, where quotations are checked)."""
    problems = check_placeholders(display, body, body_line)
    for lineno, text, code in lines_with_code_flag(body):
        m = None if code else _ATTRIBUTION.match(text)
        if m and "#" not in m.group(2):
            problems.append(Problem(display, body_line + lineno - 1,
                                    f'the quotation\'s source "§ {m.group(1).strip()}" links the paper but not the '
                                    "section — add the section's anchor to the link (…/#section-id; the paper's "
                                    "table of contents links each heading)"))
    return problems


def _image_index(docs_dir: pathlib.Path) -> dict[str, str]:
    return {p.name: p.relative_to(docs_dir).as_posix() for p in sorted(docs_dir.rglob("*"))
            if p.suffix.lower() in IMAGE_SUFFIXES and "assets/mathjax" not in p.as_posix()}
