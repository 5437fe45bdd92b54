"""Citations: `[@key]` in a page becomes an author-year link, and the page ends with its bibliography.

    as shown by the induction-head paper [@olsson2022induction]      → (Olsson et al., 2022)
    [@elhage2021framework, § Virtual Weights; @olsson2022induction]  → (Elhage et al., 2021, § Virtual Weights;
                                                                       Olsson et al., 2022)

Entries live in one BibTeX file, `docs/references.bib` (published with the site, so readers can take it).
pybtex parses it and formats each entry in its `plain` style (title linked by URL, DOI or arXiv id); what is
ours is the page syntax, the author-year labels and the errors: an unknown key, a malformed citation or a
broken `.bib` names the file, the line and the fix, like every other authoring mistake on this site.

Why not the mkdocs-bibtex plugin: it renders citations as footnotes mixed with the page's own notes, rewrites
`[@…]` inside code blocks, and reports an unknown key as a warning without a line; it also pulls pandoc and
`requests`. The part it would save us is pybtex, which we use directly.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import importlib.metadata
import json
import pathlib
import re
from dataclasses import asdict, dataclass, field

from scripts.engine import paths
from scripts.engine.errors import EngineError
from scripts.engine.shortcodes import ShortcodeError, lines_with_code_flag, outside_inline_code

BIB_FILE = pathlib.Path("docs/references.bib")
CITATION = re.compile(r"\[(@[^\[\]]*)\](?![(\[:])")
_PART = re.compile(r"^\s*@([\w:.+/-]+)\s*(?:,\s*(.*?))?\s*$")
_ENTRY_START = re.compile(r"^[ \t]*@\s*(\w+)\s*[{(]\s*([^,\s]+)\s*,", re.M)


class BibliographyError(EngineError):
    """A `.bib` file that cannot be read; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Entry:
    key: str
    label: str  # "Elhage et al., 2021"
    html: str   # the formatted reference, links included
    text: str   # the same as plain text (for the citation's tooltip)


@dataclass
class Bibliography:
    path: pathlib.Path
    entries: dict[str, Entry] = field(default_factory=dict)
    digest: str = ""

    @classmethod
    def load(cls, path: pathlib.Path, display: str | None = None,
             cache: pathlib.Path | None = None) -> Bibliography:
        """Parse and format every entry. A missing file is an empty bibliography (a site may cite nothing).

        With `cache` (a JSON file), the formatted entries are kept keyed by the hash of the .bib text, of this
        module and pybtex's version, so a build where none changed skips importing pybtex."""
        if not path.exists():
            return cls(path)
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        formatter = pathlib.Path(__file__).read_text(encoding="utf-8") + importlib.metadata.version("pybtex")
        key = hashlib.sha256((digest + formatter).encode()).hexdigest()
        if cache is not None and cache.exists():
            try:
                stored = json.loads(cache.read_text(encoding="utf-8"))
                if stored.get("key") == key:
                    return cls(path, {e["key"]: Entry(**e) for e in stored["entries"]}, digest)
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache is rebuilt
        entries = _format(text, display or str(path))
        if cache is not None:
            paths.atomic_write(cache, json.dumps({"key": key, "entries": [asdict(e) for e in entries.values()]}))
        return cls(path, entries, digest)

    def fresh(self) -> bool:
        """Whether the file is unchanged since it was loaded (a serve rebuild reparses only on change)."""
        if not self.path.exists():
            return not self.entries
        return hashlib.sha256(self.path.read_bytes()).hexdigest() == self.digest


def _format(text: str, display: str) -> dict[str, Entry]:
    import pybtex.errors
    from pybtex.backends.html import Backend
    from pybtex.backends.plaintext import Backend as TextBackend
    from pybtex.database import BibliographyDataError, parse_string
    from pybtex.scanner import PybtexSyntaxError
    from pybtex.style.formatting.plain import Style

    dupes = _duplicate_keys(text)
    if dupes:
        key, line = dupes[0]
        raise BibliographyError(f"{display}:{line}: the key \"{key}\" is used by two entries; rename one "
                                "(keys are usually author + year + first word of the title)")
    pybtex.errors.set_strict_mode(True)
    try:
        data = parse_string(text, "bibtex")
    except PybtexSyntaxError as e:
        raise BibliographyError(f"{display}:{e.lineno}: {e.args[0] if e.args else e} — check the braces and the "
                                "commas between fields (each field is `name = {value},`)") from None
    except BibliographyDataError as e:
        raise BibliographyError(f"{display}: {e}") from None
    # Backends are passed as instances: `render_as("text")` would look the plugin up in the installed
    # packages' entry points on every call (a second per build for a dozen entries).
    backend, plain, style, out = Backend(), TextBackend(), Style(), {}
    labels = _disambiguate({key: _label(entry, display, text, plain) for key, entry in data.entries.items()})
    for key, entry in data.entries.items():
        try:
            formatted = style.format_entry(labels[key], entry)
            body_html = formatted.text.render(backend).replace("\n", " ")
        except Exception as e:  # pybtex raises on a field a style needs (e.g. an @article with no journal)
            raise BibliographyError(f"{display}:{_line_of(text, key)}: entry \"{key}\": {e}") from None
        out[key] = Entry(key, labels[key], body_html, formatted.text.render(plain).replace("\n", " "))
    return out


def _disambiguate(labels: dict[str, str]) -> dict[str, str]:
    """Two works with the same label become "Elhage et al., 2022a" and "…2022b", in key order."""
    groups: dict[str, list[str]] = {}
    for key, label in labels.items():
        groups.setdefault(label, []).append(key)
    out = dict(labels)
    for label, keys in groups.items():
        if len(keys) > 1:
            for i, key in enumerate(sorted(keys)):
                out[key] = f"{label}{chr(ord('a') + i)}"
    return out


def _duplicate_keys(text: str) -> list[tuple[str, int]]:
    seen, dupes = set(), []
    for m in _ENTRY_START.finditer(text):
        if m.group(1).lower() in ("comment", "preamble", "string"):
            continue
        key = m.group(2)
        if key in seen:
            dupes.append((key, text.count("\n", 0, m.start()) + 1))
        seen.add(key)
    return dupes


def _line_of(text: str, key: str) -> int:
    m = re.search(r"@\s*\w+\s*[{(]\s*" + re.escape(key) + r"\s*,", text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def _label(entry, display: str, text: str, plain) -> str:
    """Author-year label: "Nanda & Bloom, 2022", "Elhage et al., 2021" (`and others` counts as more)."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    year = entry.fields.get("year")
    if not people or not year:
        raise BibliographyError(f"{display}:{_line_of(text, entry.key)}: entry \"{entry.key}\" needs an author "
                                "and a year, which its citation label is made of")
    names = [" ".join(part.render(plain) for part in [*p.rich_prelast_names, *p.rich_last_names])
             for p in people]
    if len(names) == 1:
        who = names[0]
    elif len(names) == 2 and names[1] != "others":
        who = f"{names[0]} & {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {year}"


# -- pages ---------------------------------------------------------------------------------------------------

def render(markdown: str, bib: Bibliography) -> tuple[str, list[ShortcodeError]]:
    """Replace every `[@key…]` outside code with its links; append the page's references. 1-based lines."""
    errors: list[ShortcodeError] = []
    cited: list[str] = []

    def expand(m: re.Match, lineno: int) -> str:
        parts = []
        for raw in m.group(1).split(";"):
            pm = _PART.match(raw)
            if pm is None:
                errors.append(ShortcodeError(lineno, f'malformed citation "{m.group(0)}": write [@key], '
                                                     "[@key, § Section] or [@key1; @key2]"))
                return m.group(0)
            key, locator = pm.group(1), pm.group(2)
            entry = bib.entries.get(key)
            if entry is None:
                near = difflib.get_close_matches(key, list(bib.entries), n=1)
                hint = f'did you mean "{near[0]}"? ' if near else ""
                errors.append(ShortcodeError(lineno, f'unknown citation key "{key}"; {hint}'
                                                     f"add a BibTeX entry for it to {BIB_FILE.as_posix()}"))
                return m.group(0)
            if key not in cited:
                cited.append(key)
            loc = f", {locator}" if locator else ""
            # A Markdown link, not raw HTML: Material's blog rewrites `#anchor` links in excerpts to the post.
            tip = entry.text.replace('"', "'").replace("\\", "")
            parts.append(f'[{_md_escape(entry.label)}](#ref-{key} "{tip}"){{ .citation }}{loc}')
        return "(" + "; ".join(parts) + ")"

    out = []
    for lineno, text, in_code in lines_with_code_flag(markdown):
        if in_code or "[@" not in text:
            out.append(text)
            continue
        out.append(outside_inline_code(
            text, lambda part, lineno=lineno: CITATION.sub(lambda m: expand(m, lineno), part)))
    body = "\n".join(out)
    if cited:
        body += "\n\n" + references_section([bib.entries[k] for k in cited])
    return body, errors


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def references_section(entries: list[Entry]) -> str:
    """The page's bibliography, sorted by label, as an HTML block after a `## References` heading."""
    items = "\n".join(f'<li id="ref-{e.key}" class="bib-entry"><span class="bib-label">{html.escape(e.label)}.</span> '
                      f"{e.html}</li>" for e in sorted(entries, key=lambda e: (e.label.lower(), e.key)))
    return f'## References {{ #references }}\n\n<ul class="bibliography">\n{items}\n</ul>\n'
