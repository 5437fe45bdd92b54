"""Errors that teach: check every page's sources before MkDocs touches the site directory.

MkDocs empties `site/` right after the `pre_build` event, and Material's blog reports a broken post as
"Error reading metadata of post" without the line or the remedy. So before that, in `pre_build`, every post's
front matter is read here — YAML syntax, a date, allowed categories, known authors, the excerpt marker, keys
that look misspelt — and every page's images, quotation sources and leftover `make note` placeholders are
looked up. Each problem is one line,
`docs/posts/x.md:3: what is wrong — how to fix it`, and a failing check aborts the build with the last good
site still in place. (Under `mkdocs serve` the figures plugin instead leaves a broken post out of the preview:
see `sitecheck.py`.)

Functions here take the text and the rules as arguments (no MkDocs objects), so tests call them directly.
"""

from __future__ import annotations

import calendar
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
        line = _error_line(e)
        problem = getattr(e, "problem", None) or str(e).split("\n")[0]
        fix = _yaml_fix(lines[line - 1] if line - 1 < len(lines) else "", problem, e)
        return Source({}, body, end + 2), [Problem(display, line, f"the front matter is not valid YAML ({problem}) "
                                                                  f"— {fix}")]
    except Exception as e:  # noqa: BLE001 — PyYAML's constructors raise ValueError (2026-02-30), KeyError, ...
        return Source({}, body, end + 2), [_unreadable(display, block, e)]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return Source({}, body, end + 2), [Problem(display, 2, "the front matter must be `key: value` lines "
                                                               "(a YAML mapping), e.g. `date: 2026-01-31`")]
    return Source(meta, body, end + 2), []


def _error_line(e: yaml.YAMLError) -> int:
    """The source line of a YAML error. An unclosed `[`, `{` or quote is only noticed on a later line (the
    next key's colon, or the end), so for those the line where it opened is the one to fix."""
    context = getattr(e, "context", None) or ""
    unclosed = context.startswith(("while parsing a flow", "while scanning a quoted scalar"))
    mark = getattr(e, "context_mark" if unclosed else "problem_mark", None)
    return mark.line + 2 if mark is not None else 2  # +2: the block starts on the line after `---`


def _unreadable(display: str, block: str, error: Exception) -> Problem:
    """A front matter that is valid YAML syntax but holds a value PyYAML cannot construct."""
    found = _unconstructable_scalar(block)
    if found is None:
        return Problem(display, 2, f"the front matter cannot be read ({type(error).__name__}: {error}) — check its "
                                   "YAML (each field is `key: value`; lists are [a, b]; no deeper nesting than needed)")
    node, e = found
    line = node.start_mark.line + 2
    shown = block.split("\n")[node.start_mark.line].strip()
    if node.tag == "tag:yaml.org,2002:timestamp":
        return Problem(display, line, _impossible_date(shown, node.value, e, _example_date(display)))
    tag = node.tag.rsplit(":", 1)[-1]
    return Problem(display, line, f"`{shown}` cannot be read as {tag} ({type(e).__name__}: {e}) — fix the value, or "
                                  f"remove the `!!{tag}` tag")


def _unconstructable_scalar(block: str) -> tuple[yaml.Node, Exception] | None:
    """The first scalar of `block` PyYAML's safe loader cannot turn into a value, with its error."""
    try:
        loader = yaml.SafeLoader(block)
        stack, seen = [loader.get_single_node()], set()
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.ScalarNode):
                try:
                    loader.construct_object(node)
                except Exception as e:  # noqa: BLE001 — the very errors we are looking for
                    return node, e
            elif isinstance(node, yaml.MappingNode):
                stack += [n for pair in reversed(node.value) for n in reversed(pair)]
            else:
                stack += reversed(node.value)
    except Exception:  # noqa: BLE001 — e.g. RecursionError on absurd nesting: the caller says it generally
        return None
    return None


def _impossible_date(shown: str, value: str, error: Exception, fallback: str) -> str:
    m = yaml.SafeLoader.timestamp_regexp.match(value)
    if m is None:
        return f"`{shown}` is not a date — write it as YYYY-MM-DD, e.g. {fallback}"
    y, mo, d = int(m["year"]), int(m["month"]), int(m["day"])
    if _real_date(y, mo, d):  # the date exists, so the time or the time zone does not
        error = "a time zone is less than 24 hours from UTC" if "offset" in str(error) else error
        return (f"`{shown}` is not a real time ({error}) — write a time that exists, e.g. "
                f"{y:04d}-{mo:02d}-{d:02d} 12:00:00, or the date alone")
    reason, example = _why_not_a_date(y, mo, d, fallback)
    return f"`{shown}` is not a real date ({reason}) — write a date that exists, e.g. {example}"


def _why_not_a_date(y: int, mo: int, d: int, fallback: str) -> tuple[str, str]:
    if y < 1:
        return "there is no year 0", fallback
    if not 1 <= mo <= 12:
        return "months run from 01 to 12", _real_date(y, d, mo) or f"{y:04d}-12-{min(max(d, 1), 31):02d}"
    days = calendar.monthrange(y, mo)[1]
    if d < 1:
        return "days start at 01", f"{y:04d}-{mo:02d}-01"
    return f"{calendar.month_name[mo]} has {days} days in {y}", f"{y:04d}-{mo:02d}-{days:02d}"


def _real_date(y: int, mo: int, d: int) -> str | None:
    """The date if it exists (to suggest a month and day written the other way round)."""
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def _example_date(display: str) -> str:
    m = _FILENAME_DATE.match(pathlib.PurePosixPath(display).name)
    return m.group(1) if m else dt.date.today().isoformat()


def _yaml_fix(line: str, problem: str, error: yaml.YAMLError | None = None) -> str:
    if "\t" in line:
        return "indent with spaces, not tabs"
    if (getattr(error, "context", None) or "").startswith("while scanning a quoted scalar"):
        return "close the quote on this line"
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
    example = _example_date(display)
    if source.meta is None:
        return [Problem(display, 1, "a post starts with front matter — add at its top:  ---  /  "
                                    f"date: {example}  /  categories: [Papers]  /  ---")]
    meta, lines = source.meta, key_lines(text)

    def at(key: str) -> int:
        return lines.get(key, 1)

    date = meta.get("date")
    if "date" not in meta:
        problems.append(Problem(display, 1, f"the post has no date — add `date: {example}` to its front matter"))
    else:
        problems += _check_date(display, at("date"), date, example)
    for key, allowed, where in (("categories", rules.categories_allowed, "mkdocs.yml → blog → categories_allowed"),
                                ("authors", tuple(sorted(rules.authors or ())), "docs/.authors.yml")):
        value = meta.get(key)
        if value is None:  # Material's blog refuses an empty `categories:` ("Required configuration not provided")
            if key in meta:
                problems.append(Problem(display, at(key), f"`{key}:` is empty — list at least one, e.g. "
                                                          f"{key}: [{(allowed or ('x',))[0]}], or delete the line"))
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            names = " of names (quote a name that is a number or a date)" if isinstance(value, list) else ""
            problems.append(Problem(display, at(key), f"`{key}` must be a list{names}, e.g. "
                                                      f"{key}: [{(allowed or ('x',))[0]}]"))
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
    problems += [Problem(display, at(key), message) for key, message in _check_shapes(meta)]
    for key in meta:
        if isinstance(key, str) and key not in KNOWN_KEYS:
            near = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.75)
            if near:
                problems.append(Problem(display, at(key),
                                        f'unknown front-matter key "{key}" — did you mean "{near[0]}"?'))
    if rules.excerpt_separator and not any(line.strip() == rules.excerpt_separator and not code
                                           for _, line, code in lines_with_code_flag(source.body)):
        problems.append(Problem(display, source.body_line, f"the post has no excerpt marker — add a line "
                                f"`{rules.excerpt_separator}` after the paragraph the index page should show"))
    return problems


def _check_date(display: str, line: int, date, example: str) -> list[Problem]:
    """Material's blog takes a date, a date and time, or a mapping of them with `created:` (and `updated:`)."""
    if isinstance(date, dict):
        if "created" not in date:
            return [Problem(display, line, "a date written as a mapping needs `created:` (and optionally `updated:`)")]
        return [Problem(display, line, _not_a_date(str(k), v, example)) for k, v in date.items()
                if not isinstance(v, dt.date)]
    if date is None:
        return [Problem(display, line, f"`date:` is empty — write the post's date, e.g. date: {example}")]
    return [] if isinstance(date, dt.date) else [Problem(display, line, _not_a_date("date", date, example))]


_LOOSE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def _not_a_date(key: str, value, example: str) -> str:
    """A date written as text (quoted, one-digit month, a time without seconds) gets the spelling YAML reads."""
    m = _LOOSE_DATE.match(str(value).strip()) if isinstance(value, str) else None
    if m and _real_date(*map(int, m.groups()[:3])):
        example = _real_date(*map(int, m.groups()[:3]))
        if m[4] is not None:
            example += f" {int(m[4]):02d}:{m[5]}:{m[6] or '00'}"
    return (f"`{key}: {_shown(value)}` is not a date — write it as YYYY-MM-DD (or YYYY-MM-DD HH:MM:SS) without "
            f"quotes, e.g. {key}: {example}")


def _shown(value) -> str:
    """A value as the author wrote it in YAML (true, not True), for messages."""
    if isinstance(value, (list, dict)):
        return "[…]" if isinstance(value, list) else "{…}"
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _is_links(value, depth: int = 0) -> bool:
    """What Material's `links` accepts (mkdocs.structure.nav._data_to_navigation, which it calls with no
    config: a path starting with / then fails on the missing config)."""
    if depth > 20:
        return False
    if isinstance(value, str):
        return depth > 0 and not value.startswith("/")
    if isinstance(value, dict):
        return all(_is_links(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all((isinstance(i, str) or isinstance(i, dict) and len(i) == 1) and _is_links(i, depth + 1)
                   for i in value)
    return False


def _is_text(value) -> bool:
    return isinstance(value, str)


# Every other key Material's blog reads (material/plugins/blog/structure/config.py; `tags` by the tags
# plugin's TagSet; `hide`, which the blog appends to; `description` and `title` by the templates), with the
# shape it accepts and an example. An empty value is accepted (as by Material) except for `hide`.
_SHAPES = {
    "tags": (lambda v: isinstance(v, list) and all(isinstance(t, (str, int, float)) for t in v),
             "must be a list of words or numbers", "tags: [induction heads, QK circuit]"),
    "draft": (lambda v: isinstance(v, bool), "is true or false", "draft: true"),
    "pin": (lambda v: isinstance(v, bool), "is true or false", "pin: true"),
    "readtime": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                 "is a whole number of minutes", "readtime: 5"),
    "slug": (_is_text, "is text (the last part of the post's URL)", "slug: induction-heads"),
    "description": (_is_text, "is one line of text", "description: What the paper claims, checked"),
    "title": (_is_text, "is text", "title: Induction heads, checked"),
    "links": (_is_links, "is a list of links (`Title: url`, `Title: path/in/docs.md` with no leading /, or a "
                         "section `Title: [...]`)",
              "links: [{The paper: https://arxiv.org/abs/2209.11895}]"),
    "hide": (lambda v: isinstance(v, list), "must be a list", "hide: [toc]"),
}


def _check_shapes(meta: dict) -> list[tuple[str, str]]:
    """(key, message) for each key whose value has a shape Material's blog would refuse or crash on."""
    found = []
    for key, (fits, shape, example) in _SHAPES.items():
        if key not in meta or (meta[key] is None and key != "hide") or fits(meta[key]):
            continue
        found.append((key, f"`{key}` {shape}, not {_described(meta[key], fits)} — "
                           f"{_shape_fix(key, meta[key], example)}"))
    return found


def _described(value, fits=None) -> str:
    """How a refused value reads in a message; for a list of the wrong things, the first wrong thing."""
    if isinstance(value, list):
        wrong = next((v for v in value if fits is not None and not fits([v])), None)
        return "a list" if wrong is None or fits([]) is False else f"a list holding {_described(wrong)}"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else repr(value) if isinstance(value, str) else _shown(value)


def _shape_fix(key: str, value, example: str) -> str:
    if _SHAPES[key][0] is _is_text and not isinstance(value, (list, dict)) and value is not None:
        return f'quote it: {key}: "{_shown(value)}"'  # YAML read 2026 as a number, yes as true, ...
    return f"e.g. {example}"


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
    "[Title of the paper]": "the link text is the scaffold's placeholder — write the paper's title",
    "example-claim": "the verdict places the scaffold's example claim — declare the paper's claim (claim, cite, "
                     "statistic, rule) under a key of its own in figures/*.yml, return its Estimate from compute(), "
                     "and place that key here",
}


def check_placeholders(display: str, body: str, body_line: int) -> list[Problem]:
    """Text the `make note` scaffold left for the author to replace (code and inline code are not checked)."""
    problems = []
    for lineno, text, code in lines_with_code_flag(body):
        if code:
            continue
        text = INLINE_CODE.sub("", text)
        for m in PLACEHOLDER_LINK.finditer(text):
            problems.append(Problem(display, body_line + lineno - 1, f'link "{m.group(0)}" is a placeholder '
                                    "(example.org stands for the paper) — link the paper itself"))
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


# Project language: how the work was organised is not what a reader came for. A strict build refuses it in
# posts (outside code), each pattern with its fix.
PROJECT_LANGUAGE = (
    (re.compile(r"\b[Ii]ssues?\s+#\d+|\(#\d+\)|(?<![\w/&])#\d+\b"),
     "an issue number — readers cannot see the tracker; say what the work was, not its ticket"),
    (re.compile(r"\b[\w-]+-issue\b|\bissue behind this\b|\bthis issue\b|\bthe [\w-]+ issue will\b", re.I),
     "project language (an issue of the tracker) — say what the next note or experiment does instead"),
    (re.compile(r"\bthe chip'?s hover\b|\bhover (?:the|a) chip\b", re.I),
     "interface language that only works with a mouse — say where the detail is (the Claims page, the table)"),
)


def check_project_language(display: str, body: str, body_line: int) -> list[Problem]:
    """Issue numbers and tracker talk in a post's prose (code and inline code are left alone)."""
    problems = []
    for lineno, text, code in lines_with_code_flag(body):
        if code:
            continue
        prose = _LINK_TARGET.sub("", INLINE_CODE.sub("", text))
        problems += [Problem(display, body_line + lineno - 1, f'"{m.group(0)}": {why}')
                     for pattern, why in PROJECT_LANGUAGE for m in pattern.finditer(prose)]
    return problems


def check_figure_language(job, root: pathlib.Path, record: dict) -> list[Problem]:
    """The same check on what a figure publishes besides the post: its caption, alt text and claims (named at
    their line in the declaration) and the tables and values its script computes (named at the script's line
    that spells the words, or its first line)."""
    declared = [job.caption, job.alt, *job.papers.values(),
                *(spec[k] for spec in job.verdicts.values() for k in ("claim", "statistic"))]
    tables = record.get("tables", {}).values()
    computed = [str(v) for v in record.get("values", {}).values()] + [
        str(cell) for t in tables for cell in [t.get("caption", ""), *t.get("columns", []),
                                               *(c for row in t.get("rows", []) for c in row)]]
    problems = []
    for where, texts in ((job.declared_in, declared), (job.script, computed)):
        try:
            source = (root / where).read_text(encoding="utf-8")
        except OSError:
            source = ""
        for text in texts:
            for pattern, why in PROJECT_LANGUAGE:
                for m in pattern.finditer(text or ""):
                    at = source.find(m.group(0))
                    line = source.count("\n", 0, at) + 1 if at >= 0 else 1
                    problems.append(Problem(where.as_posix(), line, f'figure {job.id!r} publishes "{m.group(0)}": {why}'))
    return problems


_LINK_TARGET = re.compile(r"\]\([^)]*\)|\{[:#][^}]*\}|<[^>]+>")  # link targets, attribute lists and tags: not prose


def check_site_url(site_url: str | None, config_file: str) -> list[Problem]:
    """A site built for publishing must know its address: canonical links, the cite block, RSS and the sitemap
    all print it."""
    url = (site_url or "").lower()
    if not url or "127.0.0.1" in url or "localhost" in url or "0.0.0.0" in url:
        return [Problem(config_file, 1, f"site_url is {site_url or 'not set'!r}, a local address: a published "
                                        "site would link to it — set SITE_URL=https://<where it is published>/ "
                                        "(mkdocs.yml reads it) before building for publishing")]
    return []


def check_repo_url(repo_url: str | None, config_file: str) -> list[Problem]:
    """A site built for publishing links each post's figures to the commit that computed them, in the
    repository: it must know where that is."""
    if not (repo_url or "").startswith(("https://", "http://")):
        return [Problem(config_file, 1, f"repo_url is {repo_url or 'not set'!r}: published posts link their "
                                        "figures' commit into the repository — set REPO_URL=https://<host>/<owner>/"
                                        "<repository> (mkdocs.yml reads it) before building for publishing")]
    return []


def _image_index(docs_dir: pathlib.Path) -> dict[str, str]:
    return {p.name: p.relative_to(docs_dir).as_posix() for p in sorted(docs_dir.rglob("*"))
            if p.suffix.lower() in IMAGE_SUFFIXES and "assets/mathjax" not in p.as_posix()}
