"""The glossary: terms the notes rely on, defined once in `docs/glossary.yml`, listed on a generated Glossary page,
and given a definition card at their first use on each page.

    residual-stream:                     # the entry's anchor on the Glossary page
      term: residual stream
      also: [stream]                     # optional: other words for it, shown on the Glossary page
      forms: [streams]                   # optional: other spellings that get the card, not shown (a plural
                                         # "s" is always allowed)
      definition: One plain-text sentence or three, in the site's voice (no Markdown: it is shown in a card).
      see: posts/2026-11-21-residual-stream.md   # the note that explains it (a page under docs/)

The first use of a term (or of one of its other words) in a page's prose gets a card on hover, focus or tap
(`glossary.js`): its definition, a link to the note that explains it and to its Glossary entry. Prose means not
code, math, a link or its text, a heading, an admonition's title, HTML, a shortcode, or a post's excerpt (above
`<!-- more -->`: the blog shows excerpts on other pages, where the card's relative links would not resolve).
The cards are part of the page's Markdown after this plugin's handler, so the render cache's key covers them.

Errors: `GlossaryError`, naming `docs/glossary.yml:line` and the fix.
"""

from __future__ import annotations

import dataclasses
import html
import pathlib
import re

import yaml

from scripts.engine.errors import EngineError
from scripts.engine.shortcodes import lines_with_code_flag

FILE = pathlib.Path("docs/glossary.yml")
PAGE = "glossary.md"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_MARKUP = re.compile(r"[$*_`\[\]<>]")


class GlossaryError(EngineError):
    """docs/glossary.yml is malformed; the message names file:line and what to fix."""


@dataclasses.dataclass(frozen=True)
class Term:
    slug: str
    term: str
    also: tuple[str, ...]
    definition: str
    see: str  # a page's path under docs/
    forms: tuple[str, ...] = ()  # spellings that also get the card, not listed (zero-ablation, grokked)

    def pattern(self) -> str:
        words = sorted({self.term, *self.also, *self.forms}, key=len, reverse=True)
        return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


def load(root: pathlib.Path, pages: set[str] | None = None) -> dict[str, Term]:
    """The glossary's terms by slug, in the file's order ({} without the file). `pages`: the site's Markdown pages
    (paths under docs/); a `see:` outside them is an error."""
    path = root / FILE
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", 0) + 1
        raise GlossaryError(f"not valid YAML ({getattr(e, 'problem', e)}); fix the syntax.",
                            where=f"{FILE}:{line}") from e
    if data is None:
        return {}
    if not isinstance(data, dict) or node is None or not isinstance(node, yaml.MappingNode):
        raise GlossaryError("the glossary is a mapping of slugs to entries (see scripts/engine/glossary.py).",
                            where=f"{FILE}:1")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    fields = {k.value: {f.value: f.start_mark.line + 1 for f, _ in v.value} for k, v in node.value
              if isinstance(v, yaml.MappingNode)}
    terms, seen = {}, {}
    for slug, entry in data.items():
        where = f"{FILE}:{lines.get(slug, 1)}"
        at = lambda key, slug=slug, where=where: f"{FILE}:{fields.get(slug, {}).get(key)}" if key in fields.get(
            slug, {}) else where  # the line of one of the entry's fields, or the entry's own
        terms[slug] = _term(slug, entry, where, pages, at)
        for word in (terms[slug].term, *terms[slug].also, *terms[slug].forms):
            if word.lower() in seen:
                raise GlossaryError(f"{word!r} is already a word of entry {seen[word.lower()]!r}; each word names "
                                    "one entry.", where=where)
            seen[word.lower()] = slug
    return terms


def _term(slug, entry, where: str, pages: set[str] | None, at=lambda key: "") -> Term:
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise GlossaryError(f"entry {slug!r}: a slug is lower-case letters, digits and dashes, e.g. "
                            "'residual-stream'.", where=where)
    keys = {"term", "also", "forms", "definition", "see"}
    if not isinstance(entry, dict) or set(entry) - keys:
        extra = sorted(set(entry) - keys) if isinstance(entry, dict) else []
        raise GlossaryError(f"entry {slug!r}: give term, definition, see and optionally also and forms"
                            f"{' (unknown: ' + ', '.join(map(str, extra)) + ')' if extra else ''}.", where=where)
    missing = [k for k in ("term", "definition", "see") if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        raise GlossaryError(f"entry {slug!r}: '{missing[0]}' must be a line of text.", where=at(missing[0]) or where)
    also, forms = entry.get("also") or [], entry.get("forms") or []
    for key, words in (("also", also), ("forms", forms)):
        if not isinstance(words, list) or not all(isinstance(a, str) and a.strip() for a in words):
            raise GlossaryError(f"entry {slug!r}: '{key}' is a list of other words for the term, e.g. [stream].",
                                where=at(key) or where)
    definition = " ".join(entry["definition"].split())
    if _MARKUP.search(definition):
        raise GlossaryError(f"entry {slug!r}: the definition is shown as plain text in a card; write it without "
                            "Markdown, math or HTML (no $ * _ ` [ ] < >).", where=at("definition") or where)
    see = entry["see"].strip()
    if pages is not None and see.split("#")[0] not in pages:
        raise GlossaryError(f"entry {slug!r}: 'see: {see}' is not a page of the site; give a path under docs/, "
                            "e.g. posts/2026-11-21-residual-stream.md.", where=at("see") or where)
    return Term(slug, entry["term"].strip(), tuple(a.strip() for a in also), definition, see,
                tuple(f.strip() for f in forms))


def page(terms: dict[str, Term], titles: dict[str, str]) -> str:
    """Markdown of the Glossary page: every term, alphabetically, with its definition and the note explaining it."""
    out = ["# Glossary", "",
           "The terms the notes rely on, each in a sentence or three. In the notes, the first use of a term on a page "
           "shows its definition when you point at it, focus it or tap it.", ""]
    for t in sorted(terms.values(), key=lambda t: t.term.lower()):
        also = f" *Also: {', '.join(t.also)}.*" if t.also else ""
        out += [f"## {t.term[:1].upper() + t.term[1:]} {{#{t.slug}}}", "",
                f"{t.definition}{also} Explained in [{titles.get(t.see.split('#')[0], t.see)}]({t.see}).", ""]
    return "\n".join(out)


# -- cards at first use -------------------------------------------------------------------------------------

_SKIP_LINE = re.compile(r"^\s*(#|!!!|\?\?\?|<|\[[^\]]+\]:|\*\[|\|?\s*-{3,})")
_MASKS = [re.compile(p) for p in (
    r"(`+).+?\1",                      # inline code
    r"\$\$.+?\$\$|(?<!\\)\$[^$]+\$",    # math
    r"\{\{.*?\}\}",                    # shortcodes
    r"!?\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\[[^\]]*\]|\[[^\]]*\]",  # links, their text, citations
    r"<[^>]+>",                         # HTML tags
    r"https?://\S+",
)]


def _masked(line: str) -> str:
    for m in _MASKS:
        line = m.sub(lambda x: "\0" * len(x.group()), line)
    return line


def card(t: Term, shown: str, note_url: str, glossary_url: str) -> str:
    """The inline HTML of a term's first use: the word as written, then its card (hidden until hover/focus)."""
    return (f'<span class="gloss" tabindex="0" data-gloss="{t.slug}">{shown}'
            f'<span class="gloss-card" role="tooltip" data-search-exclude>'
            f"<strong>{html.escape(t.term)}</strong>: {html.escape(t.definition)} "
            f'<a href="{html.escape(note_url)}">'
            f'{"Where this note explains it" if note_url.startswith("#") else "The note that explains it"}</a> · '
            f'<a href="{html.escape(glossary_url)}">Glossary</a></span></span>')


def annotate(markdown: str, terms: dict[str, Term], url_of) -> str:
    """`markdown` with each term's first use in prose given its card. `url_of(term)` -> (note URL, glossary URL),
    relative to the page. Lines inside code fences are left alone, as is everything above `<!-- more -->`."""
    if not terms:
        return markdown
    patterns = {slug: re.compile(rf"(?<![\w-])({t.pattern()})(e?s)?(?![\w-])", re.IGNORECASE)
                for slug, t in terms.items()}
    todo = dict(terms)
    lines = markdown.split("\n")
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "<!-- more -->"), 0)
    for lineno, line, in_code in lines_with_code_flag(markdown):
        i = lineno - 1
        if in_code or i < start or not todo or _SKIP_LINE.match(line):
            continue
        masked = _masked(line)
        hits = []  # (start, end, slug), first use of each term in this line, not overlapping
        for slug in list(todo):
            m = patterns[slug].search(masked)
            if m and not any(m.start() < e and s < m.end() for s, e, _ in hits):
                hits.append((m.start(), m.end(), slug))
        for s, e, slug in sorted(hits, reverse=True):
            note, gloss = url_of(todo.pop(slug))
            line = line[:s] + card(terms[slug], line[s:e], note, gloss) + line[e:]
        lines[i] = line
    return "\n".join(lines)
