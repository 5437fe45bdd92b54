"""The Markdown syntax that places computed figures and numbers in a page.

    {{ figure("near-orthogonal") }}       on a line of its own: the image (light and dark variants),
                                          alt text, and a numbered caption "Figure N."
    {{ ref("near-orthogonal") }}          inline: "Figure N", linked to the figure on this page
    {{ value("near-orthogonal.ratio") }}  inline: a number the figure's script computed

Shortcodes inside fenced code blocks and `inline code` are left alone, so pages can show the syntax.
Anything else between `{{` and `}}` that looks like a call is an error naming the page line, as is an
unknown figure id or value key: a typo never silently renders as nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from scripts.engine.declarations import Job

SHORTCODE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\(\s*(?:\"([^\"]*)\"|'([^']*)')\s*\)\s*\}\}")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
INLINE_CODE = re.compile(r"(`+)(?:.+?)\1")


class Catalog(Protocol):
    """What the renderer needs to know about figures (the hook adapts the engine to this)."""

    def job(self, figure_id: str) -> Job | None: ...
    def values(self, figure_id: str) -> dict[str, str]: ...
    def image_url(self, figure_id: str, theme: str, page_url: str) -> str: ...
    def data_url(self, figure_id: str, page_url: str) -> str: ...
    def failed(self, figure_id: str) -> bool: ...


@dataclass(frozen=True)
class ShortcodeError:
    line: int
    message: str


def _figure_html(job: Job, number: int, url_light: str, url_dark: str, failed: bool, data_url: str = "") -> str:
    alt = html.escape(job.alt, quote=True)
    warn = ""
    if failed:
        warn = ('<p class="figure-stale">This figure is out of date: its script failed on the last build. '
                "The last good version is shown.</p>\n")
    widget = ""
    if job.widget:  # the interactive version first; the static images stay as its overview and print copy
        widget = (f'<div class="widget" data-widget="{job.widget}" data-src="{data_url}" '
                  f'aria-label="{html.escape(job.alt, quote=True)}"></div>\n')
    return (
        f'<figure class="computed-figure" id="fig-{job.id}" markdown="1">\n'
        f"{warn}{widget}"
        f'<img src="{url_light}#only-light" alt="{alt}">\n'
        f'<img src="{url_dark}#only-dark" alt="{alt}">\n'
        f'<figcaption markdown="span">**Figure {number}.** {job.caption} '
        f'<span class="figure-source">Computed by <code>{job.script.as_posix()}</code>.</span></figcaption>\n'
        f"</figure>"
    )


def lines_with_code_flag(markdown: str) -> Iterator[tuple[int, str, bool]]:
    """(1-based line number, line, whether it is fence or fenced code) for every line of a page."""
    fence: str | None = None
    for lineno, text in enumerate(markdown.split("\n"), start=1):
        m = _FENCE.match(text)
        if m:
            fence = None if fence and m.group(1).startswith(fence) else (fence or m.group(1))
            yield lineno, text, True
        else:
            yield lineno, text, fence is not None


def outside_inline_code(text: str, expand: Callable[[str], str]) -> str:
    """Apply `expand` to the parts of a line outside its `inline code` spans; the spans are kept as they are."""
    pieces, last = [], 0
    for code in INLINE_CODE.finditer(text):
        pieces += [expand(text[last:code.start()]), code.group(0)]
        last = code.end()
    return "".join(pieces) + expand(text[last:])


def _in_math(segment: str, pos: int) -> bool:
    """Inside a $...$ span: an odd number of unescaped single dollars before `pos`."""
    return len(re.findall(r"(?<![\\$])\$(?!\$)", segment[:pos])) % 2 == 1


@dataclass
class _Renderer:
    """Expands the shortcodes of one page, collecting errors."""

    page_url: str
    catalog: Catalog
    numbers: dict[str, int]
    errors: list[ShortcodeError] = field(default_factory=list)

    def line(self, text: str, lineno: int) -> str:
        """Expand a line, outside its inline code spans."""
        return outside_inline_code(text, lambda segment: self._segment(segment, text, lineno))

    def _segment(self, segment: str, line: str, lineno: int) -> str:
        return SHORTCODE.sub(lambda sc: self._expand(sc, segment, line, lineno), segment)

    def _error(self, lineno: int, message: str) -> None:
        self.errors.append(ShortcodeError(lineno, message))

    def _expand(self, sc: re.Match, segment: str, line: str, lineno: int) -> str:
        name, arg = sc.group(1), sc.group(2) if sc.group(2) is not None else sc.group(3)
        catalog = self.catalog
        if name == "figure":
            job = catalog.job(arg)
            if job is None:
                self._error(lineno, f'unknown figure id "{arg}"; declare it in figures/*.yml')
                return f'<span class="shortcode-error">unknown figure "{html.escape(arg)}"</span>'
            if line.strip() != sc.group(0):
                self._error(lineno, "{{ figure(...) }} must stand on a line of its own")
            return _figure_html(job, self.numbers[arg], catalog.image_url(arg, "light", self.page_url),
                                catalog.image_url(arg, "dark", self.page_url), catalog.failed(arg),
                                catalog.data_url(arg, self.page_url) if job.widget else "")
        if name == "ref":
            if arg not in self.numbers:
                self._error(lineno, f'ref("{arg}"): no {{{{ figure("{arg}") }}}} on this page')
                return html.escape(arg)
            return f'<a href="#fig-{arg}">Figure {self.numbers[arg]}</a>'
        if name == "value":
            fid, _, key = arg.partition(".")
            job = catalog.job(fid)
            values = catalog.values(fid) if job else {}
            if job is None:
                self._error(lineno, f'value("{arg}"): unknown figure id "{fid}"')
            elif key not in values:
                known = ", ".join(sorted(values)) or "none yet: build the figure"
                self._error(lineno, f'value("{arg}"): figure "{fid}" has no value "{key}" (known: {known})')
            elif _in_math(segment, sc.start()):  # inside $...$ math: plain text, no HTML
                return values[key]
            else:
                return (f'<span class="computed-value" title="computed by {job.script.as_posix()}">'
                        f"{html.escape(values[key])}</span>")
            return f'<span class="shortcode-error">{html.escape(arg)}?</span>'
        self._error(lineno, f'unknown shortcode "{name}"; use figure, ref or value')
        return sc.group(0)


def render(markdown: str, page_url: str, catalog: Catalog) -> tuple[str, list[ShortcodeError]]:
    """Expand every shortcode of a page. Returns the new Markdown and the errors, with 1-based lines."""
    numbers: dict[str, int] = {}  # first pass: number the figures in order, so {{ ref }} may point forward
    for _, text, in_code in lines_with_code_flag(markdown):
        for sc in ([] if in_code else SHORTCODE.finditer(INLINE_CODE.sub("", text))):
            arg = sc.group(2) if sc.group(2) is not None else sc.group(3)
            if sc.group(1) == "figure" and catalog.job(arg):
                numbers.setdefault(arg, len(numbers) + 1)
    renderer = _Renderer(page_url, catalog, numbers)
    out = [text if in_code or "{{" not in text else renderer.line(text, lineno)
           for lineno, text, in_code in lines_with_code_flag(markdown)]
    return "\n".join(out), renderer.errors
