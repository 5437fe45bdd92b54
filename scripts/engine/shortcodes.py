"""The Markdown syntax that places computed figures and numbers in a page.

    {{ figure("near-orthogonal") }}       on a line of its own: the image (light and dark variants),
                                          alt text, and a numbered caption "Figure N."
    {{ ref("near-orthogonal") }}          inline: "Figure N", linked to the figure on this page
    {{ value("near-orthogonal.ratio") }}  inline: a number the figure's script computed
    {{ verdict("near-orthogonal.matches-sqrt-d") }}
                                          inline: a declared claim's headline estimate [interval] and an
                                          outcome button that opens its details (statistic, rule, every
                                          seed, variants, provenance, a link to its Claims entry)
    {{ scorecard() }}                     on a line of its own: a table of every verdict of this page
    {{ findings() }}                      on a line of its own: what held, what did not, what is not settled
    {{ table("copying.top-tokens") }}     on a line of its own: a table the script returned in
                                          `Result.tables` (api.Table), as a real HTML table: searchable,
                                          selectable, copyable; whitespace markers (␣ ↵ ⇥) shown muted
    {{ head("attn-only-2l-seed2.L1H1") }} inline: the head's name with a card (its pattern on a repeated
                                          sequence and three scores, from figure `atlas-<model>`) that links
                                          to its entry in the head atlas

Shortcodes inside fenced code blocks and `inline code` are left alone, so pages can show the syntax.
Anything else between `{{` and `}}` that looks like a call is an error naming the page line, as is an
unknown figure id or value key: a typo never silently renders as nothing.
"""

from __future__ import annotations

import html
import math
import pathlib
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from scripts.engine.declarations import Job
from scripts.engine.style import PHONE_MEDIA

_HEAD_NAME = re.compile(r"\bL\d+H\d+\b")  # a head as the notes name it: L1H0
_SEED_PREFIX = re.compile(r"\bseed (\d+):")  # a per-seed value's segment: "seed 2: L1H1 0.915; seed 3: …"
SHORTCODE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\(\s*(?:\"([^\"]*)\"|'([^']*)')?\s*\)\s*\}\}")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
INLINE_CODE = re.compile(r"(`+)(?:.+?)\1")


class Catalog(Protocol):
    """What the renderer needs to know about figures (the hook adapts the engine to this)."""

    def job(self, figure_id: str) -> Job | None: ...
    def values(self, figure_id: str) -> dict[str, str]: ...
    def image_url(self, figure_id: str, theme: str, page_url: str, phone: bool = False) -> str: ...
    def data_url(self, figure_id: str, page_url: str) -> str: ...
    def failed(self, figure_id: str) -> bool: ...
    def verdicts(self, figure_id: str) -> dict[str, dict]: ...
    def claims_url(self, page_url: str) -> str: ...
    def source_url(self, script: pathlib.Path, page_url: str) -> str: ...
    def values_url(self, figure_id: str, page_url: str) -> str: ...
    def tables(self, figure_id: str) -> dict[str, dict]: ...


@dataclass(frozen=True)
class ShortcodeError:  # a record, not an exception: a page collects every problem and reports them all at once
    line: int
    message: str


_SIDES = re.compile(r"\b(left|right|middle)\b", re.I)  # a caption that places panels side by side


def _dims(size: tuple[int, int] | None) -> str:
    # width/height reserve the image's box before it loads, so a lazy load never moves the text under the reader
    return f' width="{size[0]}" height="{size[1]}"' if size else ""


def _picture(url: str, theme: str, alt: str, size, phone) -> str:
    """One theme's image; with a phone rendering (url per theme, size), a <picture> whose <source> the
    browser picks below style.PHONE_MEDIA — it fetches only the one it shows."""
    img = f'<img src="{url}#only-{theme}" alt="{alt}" loading="lazy"{_dims(size)}>'
    if not phone:
        return img + "\n"
    return (f'<picture><source media="{PHONE_MEDIA}" srcset="{phone[0][theme]}"{_dims(phone[1])}>'
            f"{img}</picture>\n")


def _figure_html(job: Job, number: int, url_light: str, url_dark: str, failed: bool, data_url: str = "",
                 source_url: str = "", values_url: str = "", size: tuple[int, int] | None = None,
                 updating: bool = False, failure: str = "", phone: tuple[dict, tuple] | None = None) -> str:
    alt = html.escape(job.alt, quote=True)
    warn = ""
    if failed:
        why = f" (<code>{html.escape(failure)}</code>)" if failure else ""
        warn = (f'<p class="figure-stale">This figure is out of date: its script failed on the last build{why}. '
                "The last good version is shown.</p>\n")
    elif updating:
        warn = ('<p class="figure-stale">This figure is being recomputed (what it is computed from changed); the '
                "page reloads when it is ready. The last good version is shown.</p>\n")
    stacked = ""
    if phone and _SIDES.search(job.caption):  # the phone rendering stacks what the caption places side by side
        stacked = (' <span class="figure-phone-note">On a narrow screen the panels are stacked: read "left" as '
                   'the first and "right" as the last.</span>')
    widget = ""
    if job.widget:  # the interactive version first; the static images stay as its overview and print copy
        widget = (f'<div class="widget" data-widget="{job.widget}" data-src="{data_url}" '
                  f'aria-label="{html.escape(job.alt, quote=True)}"></div>\n')
    return (
        f'<figure class="computed-figure" id="fig-{job.id}" markdown="1">\n'
        f"{warn}{widget}"
        # lazy: the browser fetches only the variant its palette shows (the other is display: none)
        + _picture(url_light, "light", alt, size, phone) + _picture(url_dark, "dark", alt, size, phone) +
        f'<figcaption markdown="span">**Figure {number}.** {job.caption}{stacked} '
        f'<span class="figure-source">Computed by <a href="{source_url}"><code>{job.script.as_posix()}</code></a> · '
        f'<a href="{values_url}">its numbers (JSON)</a>.</span></figcaption>\n'
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


def _in_link_target(segment: str, pos: int) -> bool:
    """Inside a Markdown link's target, `[text](#feature-4096-{{ value(...) }})`: the value goes in as it is."""
    return re.search(r"\]\([^()\s]*$", segment[:pos]) is not None


def verdict_anchor(figure_id: str, key: str) -> str:
    """The id of a verdict's chip in its page (the Claims page links here)."""
    return f"v-{figure_id}-{key}"


def claim_anchor(figure_id: str, key: str) -> str:
    """The id of a verdict's row on the Claims page (the chip links here)."""
    return f"claim-{figure_id}-{key}"


def _shown(rec: dict) -> str:
    """'0.57 [0.56, 0.58]', or '4.8 (exact)' where nothing was sampled (verdicts.shown)."""
    return rec.get("shown") or f"{rec['estimate']} [{rec['low']}, {rec['high']}]"


def verdict_details(rec: dict) -> str:
    """Everything about a verdict, as plain text (the chip's details, the Claims page's title)."""
    per_seed = "; ".join(f"{s['label']}: {_shown(s)} {s['outcome']}" for s in rec["seeds"] if s["label"])
    interval = rec.get("interval_text", f"{rec['level']} interval")
    return (f"Claim: {rec['claim']} Statistic: {rec['statistic']}. {interval[0].upper()}{interval[1:]}: "
            f"{rec['method']}. " + (f"The paper: {rec['paper']}. " if rec.get("paper") else "") +
            f"Rule, fixed before looking: {rec['rule_text']}." + (f" Seeds: {per_seed}." if per_seed else "")
            + "".join(f" Under {v['name']}: {v['shown']}, {v['outcome']}." for v in rec.get("variants", []))
            + (f" Inconclusive because the variants disagree: {rec['reason']}." if rec.get("reason") else "")
            + (f" Provenance: {rec['provenance']}." if rec.get("provenance") else ""))


OUTCOME_MARK = {"supported": "✓", "contradicted": "✗", "inconclusive": "?"}


def _details_html(rec: dict, figure_id: str, claims_href: str) -> str:
    """The chip's details, opened by its button: what was claimed, measured and decided, as short lines."""
    e = html.escape
    per_seed = ", ".join(f"{s['label']} {_shown(s)}" for s in rec["seeds"] if s["label"])
    lines = [f"<b>{e(rec['outcome'].capitalize())}</b> — {e(rec['claim'])}",
             f"Statistic: {e(rec['statistic'])}",
             f"Estimate: {e(_shown(rec))} ({e(rec.get('interval_text', ''))})",
             *([f"The paper: {e(rec['paper'])}"] if rec.get("paper") else []),
             f"Rule, fixed before looking: {e(rec['rule_text'])}"]
    if per_seed:
        lines.append(f"Each seed ({e(rec['holds'])} support it): {e(per_seed)}")
    lines += [f"Under {e(v['name'])}: {e(v['shown'])}, {e(v['outcome'])}" for v in rec.get("variants", [])]
    if rec.get("reason"):
        lines.append(f"Inconclusive because the variants disagree: {e(rec['reason'])}")
    if rec.get("provenance"):
        lines.append(f"Provenance: {e(rec['provenance'])}")
    lines.append(f'<a href="{claims_href}#{claim_anchor(figure_id, rec["key"])}">Its entry on the Claims page</a>')
    return "".join(f'<span class="verdict-line">{line}</span>' for line in lines)


def verdict_chip(rec: dict, figure_id: str, claims_href: str, *, anchor: bool = True, numbers: bool = True) -> str:
    """A verdict inside a sentence: its headline number (unless a table shows the numbers in columns of their
    own) and a compact outcome mark, a button that opens the details — claim, statistic, interval, rule, seeds,
    variants, provenance — by click, tap or keyboard (docs/assets/javascripts/verdicts.js; without script the
    outcome's title carries the same text)."""
    key = rec["key"]
    ident = f' id="{verdict_anchor(figure_id, key)}"' if anchor else ""
    nums = f'<span class="verdict-numbers">{html.escape(_shown(rec))}</span> ' if numbers else ""
    outcome = rec["outcome"]
    return (f'<span class="verdict-chip"{ident} data-outcome="{outcome}">{nums}'
            f'<button type="button" class="verdict-outcome" aria-expanded="false" '
            f'title="{html.escape(verdict_details(rec), quote=True)}">'
            f'<span class="verdict-mark" aria-hidden="true">{OUTCOME_MARK[outcome]}</span>{outcome}</button>'
            f'<span class="verdict-details" role="note" hidden>{_details_html(rec, figure_id, claims_href)}</span>'
            f'</span>')


_CITE = re.compile(r"\[@[^\],;\s]+(?:,\s*([^\]]+))?\]")


def _section_only(cite: str) -> str:
    """"[@key, § Section]" -> "(§ Section)": a page's own scorecard names the section of the paper the page is
    about; the Claims page, where claims from every paper meet, shows the full citation."""
    return _CITE.sub(lambda m: f"({m.group(1).strip()})" if m.group(1) else "", cite).strip()


_WS_MARK = re.compile("([␣↵⇥␍])")


def _table_cell(text: str) -> str:
    """A cell's text, escaped, with whitespace markers wrapped so CSS can mute them."""
    return _WS_MARK.sub(r'<span class="ws">\1</span>', html.escape(text))


def table_html(job: Job, key: str, table: dict, source_url: str) -> str:
    """A computed table (api.Table.as_json) as an HTML block: a plain <table>, styled like Markdown's."""
    align = table.get("align") or ["left"] * len(table["columns"])
    style = [f' style="text-align: {a}"' if a != "left" else "" for a in align]
    head = "".join(f"<th{s}>{_table_cell(c)}</th>" for c, s in zip(table["columns"], style))
    body = "\n".join("<tr>" + "".join(f"<td{s}>{_table_cell(c)}</td>" for c, s in zip(row, style)) + "</tr>"
                     for row in table["rows"])
    caption = f"<caption>{html.escape(table['caption'])}</caption>" if table.get("caption") else ""
    return (f'\n<div class="computed-table" id="tbl-{job.id}-{key}">\n<table>{caption}\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"
            f'<p class="figure-source">Computed by <a href="{source_url}"><code>{job.script.as_posix()}</code></a>.'
            "</p>\n"
            f"</div>\n")


def _paper_cell(rec: dict) -> str:
    """The paper's own number under ours in a table cell, where the declaration quotes one."""
    return f"<br><small>the paper: {_cell(html.escape(rec['paper']))}</small>" if rec.get("paper") else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@dataclass
class _Renderer:
    """Expands the shortcodes of one page, collecting errors."""

    page_url: str
    catalog: Catalog
    numbers: dict[str, int]
    placed: list[str] = field(default_factory=list)  # verdict ids of this page, in order (for the scorecard)
    anchored: set[str] = field(default_factory=set)  # verdicts whose chip already carries the page anchor
    errors: list[ShortcodeError] = field(default_factory=list)
    headed: set[tuple[str, int, str]] = field(default_factory=set)  # heads already given a card on this page

    def line(self, text: str, lineno: int) -> str:
        """Expand a line, outside its inline code spans."""
        return outside_inline_code(text, lambda segment: self._segment(segment, text, lineno))

    def _segment(self, segment: str, line: str, lineno: int) -> str:
        return SHORTCODE.sub(lambda sc: self._expand(sc, segment, line, lineno), segment)

    def _error(self, lineno: int, message: str) -> None:
        self.errors.append(ShortcodeError(lineno, message))

    def _expand(self, sc: re.Match, segment: str, line: str, lineno: int) -> str:
        name, arg = sc.group(1), sc.group(2) if sc.group(2) is not None else sc.group(3)
        handler = _HANDLERS.get(name)
        if handler is None:
            self._error(lineno, f'unknown shortcode "{name}"; use {", ".join(_HANDLERS)}')
            return sc.group(0)
        wants_arg = name not in _NO_ARG
        if wants_arg and arg is None:
            self._error(lineno, f'{{{{ {name}() }}}} needs an id in quotes, e.g. {{{{ {name}("my-figure") }}}}')
            return sc.group(0)
        if not wants_arg and arg is not None:
            self._error(lineno, f"{{{{ {name}() }}}} takes no argument: it lists the verdicts of its own page")
        return handler(self, arg, sc, segment, line, lineno)

    def _figure(self, arg, sc, segment, line, lineno) -> str:
        catalog = self.catalog
        job = catalog.job(arg)
        if job is None:
            self._error(lineno, f'unknown figure id "{arg}"; declare it in figures/*.yml')
            return f'<span class="shortcode-error">unknown figure "{html.escape(arg)}"</span>'
        if line.strip() != sc.group(0):
            self._error(lineno, "{{ figure(...) }} must stand on a line of its own")
        size = getattr(catalog, "image_size", lambda *_, **__: None)
        phone_size = size(arg, phone=True)
        phone = ({t: catalog.image_url(arg, t, self.page_url, phone=True) for t in ("light", "dark")}, phone_size
                 ) if phone_size else None
        return _figure_html(job, self.numbers[arg], catalog.image_url(arg, "light", self.page_url),
                            catalog.image_url(arg, "dark", self.page_url), catalog.failed(arg),
                            catalog.data_url(arg, self.page_url) if job.widget else "",
                            catalog.source_url(job.script, self.page_url), catalog.values_url(arg, self.page_url),
                            size(arg), getattr(catalog, "updating", lambda _: False)(arg),
                            getattr(catalog, "failure", lambda _: "")(arg), phone)

    def _ref(self, arg, sc, segment, line, lineno) -> str:
        if arg not in self.numbers:
            self._error(lineno, f'ref("{arg}"): no {{{{ figure("{arg}") }}}} on this page')
            return html.escape(arg)
        return f'<a href="#fig-{arg}">Figure {self.numbers[arg]}</a>'

    def _lookup(self, kind: str, arg: str, lineno: int, table) -> tuple[object, str, dict]:
        """(job, key, table of the figure) for "figure-id.key", or (None, key, {}) after reporting why."""
        fid, _, key = arg.partition(".")
        job = self.catalog.job(fid)
        found = table(fid) if job else {}
        if job is None:
            self._error(lineno, f'{kind}("{arg}"): unknown figure id "{fid}"')
        elif key not in found and kind == "verdict" and key in job.verdicts:
            self._error(lineno, f'{kind}("{arg}"): figure "{fid}" declares it but has not computed it yet; build the '
                                "figure (python -m scripts.engine build " + fid + ")")
            return None, key, {}
        elif key not in found:
            known = ", ".join(sorted(found)) or ("none yet: build the figure" if kind in ("value", "table")
                                                 else f"none: declare it under 'verdicts:' in {job.declared_in}")
            self._error(lineno, f'{kind}("{arg}"): figure "{fid}" has no {kind} "{key}" (known: {known})')
            return None, key, {}
        return job, key, found

    def _value(self, arg, sc, segment, line, lineno) -> str:
        job, key, values = self._lookup("value", arg, lineno, self.catalog.values)
        if job is None:
            return f'<span class="shortcode-error">{html.escape(arg)}?</span>'
        if _in_math(segment, sc.start()):  # inside $...$ math: plain text, no HTML
            return values[key]
        if _in_link_target(segment, sc.start()):  # part of a URL: the value alone, escaped for one
            return urllib.parse.quote(values[key], safe="/#:-_.,~")
        return (f'<span class="computed-value" title="computed by {job.script.as_posix()}">'
                f"{self._linked_heads(html.escape(values[key]), job, key)}</span>")

    def _verdict(self, arg, sc, segment, line, lineno) -> str:
        job, key, recs = self._lookup("verdict", arg, lineno, self.catalog.verdicts)
        if job is None:
            return f'<span class="shortcode-error">{html.escape(arg)}?</span>'
        if _in_math(segment, sc.start()):
            self._error(lineno, f'verdict("{arg}") cannot stand inside $...$ math')
        first = arg not in self.anchored
        self.anchored.add(arg)
        return verdict_chip(recs[key], job.id, self.catalog.claims_url(self.page_url), anchor=first)

    def _table(self, arg, sc, segment, line, lineno) -> str:
        job, key, tables = self._lookup("table", arg, lineno, self.catalog.tables)
        if job is None:
            return f'<span class="shortcode-error">{html.escape(arg)}?</span>'
        if line.strip() != sc.group(0):
            self._error(lineno, "{{ table(...) }} must stand on a line of its own")
        return table_html(job, key, tables[key], self.catalog.source_url(job.script, self.page_url))

    def _scorecard(self, arg, sc, segment, line, lineno) -> str:
        if line.strip() != sc.group(0):
            self._error(lineno, "{{ scorecard() }} must stand on a line of its own")
        rows = ["| the paper claims | statistic | our estimate [interval], n | outcome |",
                "| --- | --- | --- | --- |"]
        claims = self.catalog.claims_url(self.page_url)
        for vid in self.placed:
            fid, _, key = vid.partition(".")
            rec = self.catalog.verdicts(fid)[key]
            cite = f" {_section_only(rec['cite'])}" if rec["cite"] else ""
            seeds = f"; holds in {rec['holds']} seeds" if len(rec["seeds"]) > 1 else ""
            rows.append(f"| [{_cell(rec['claim'])}](#{verdict_anchor(fid, key)}){_cell(cite)} | "
                        f"{_cell(rec['statistic'])} | {_shown(rec)}, "
                        f"n = {rec['n']:,}{seeds}{_paper_cell(rec)} | {verdict_chip(rec, fid, claims, anchor=False, numbers=False)} |")
        if len(rows) == 2:
            self._error(lineno, "{{ scorecard() }} lists the verdicts placed on its page, and this page has none")
        block = '<div class="scorecard" markdown>\n\n' + "\n".join(rows) + "\n\n</div>"  # a class for the phone layout
        return _indented(block, line)

    def _findings(self, arg, sc, segment, line, lineno) -> str:
        """The page's verdicts in three plain lines — what held, what did not, what is not settled — by their
        claims' short form (the words before " — "), for the top of a post and its excerpt on the home page."""
        if line.strip() != sc.group(0):
            self._error(lineno, "{{ findings() }} must stand on a line of its own")
        groups: dict[str, list[str]] = {"supported": [], "contradicted": [], "inconclusive": []}
        for vid in self.placed:
            fid, _, key = vid.partition(".")
            rec = self.catalog.verdicts(fid)[key]
            groups[rec["outcome"]].append(html.escape(short_claim(rec["claim"])))
        if not any(groups.values()):
            self._error(lineno, "{{ findings() }} sums up the verdicts placed on its page, and this page has none")
        heads = {"supported": "Held in our models", "contradicted": "Did not hold here",
                 "inconclusive": "Not settled"}
        lines = [f'<p class="findings-line" data-outcome="{o}"><strong>{heads[o]}:</strong> {"; ".join(items)}.</p>'
                 for o, items in groups.items() if items]
        return _indented('<div class="findings">' + "".join(lines) + "</div>", line)

    def _head(self, arg, sc, segment, line, lineno) -> str:
        """{{ head("attn-only-2l-seed2.L1H1") }}: the head's name with a card (its pattern on a repeated sequence
        and three scores, from the model's atlas figure `atlas-<model>`) linking to its atlas entry."""
        model, _, head = arg.rpartition(".")
        m = re.fullmatch(r"(.+?)(?:-seed(\d+))?", model or "?")
        base, seed = m.group(1), int(m.group(2) or 0)
        fid = f"atlas-{base}"
        if _in_math(segment, sc.start()):
            self._error(lineno, f'head("{arg}") cannot stand inside $...$ math')
        if self.catalog.job(fid) is None:
            self._error(lineno, f'head("{arg}"): no head atlas for model "{base}" (figure "{fid}"); the atlases are '
                                'declared in figures/atlas.yml; write head("model.L1H0"), the model as named in models/')
            return html.escape(head or arg)
        card = self._head_card(base, seed, head)
        if card is None:
            values = self.catalog.values(fid)
            known = sorted({k.split(".")[2] for k in values if k.startswith(f"card.{seed}.")})
            self._error(lineno, f'head("{arg}"): the atlas of "{base}" has no head "{head}" in seed {seed} '
                                f"(known: {', '.join(known) or 'none: build the figure, or check the seed'})")
            return html.escape(head or arg)
        return card

    def _head_card(self, base: str, seed: int, head: str) -> str | None:
        """A head's name with its card, from the atlas of model `base`; None if the atlas does not have it."""
        from mkdocs.utils import get_relative_url

        values = self.catalog.values(f"atlas-{base}") if self.catalog.job(f"atlas-{base}") else {}
        card, thumb = values.get(f"card.{seed}.{head}"), values.get(f"thumb.{seed}.{head}")
        if card is None or thumb is None:
            return None
        url = get_relative_url(f"atlas/{base}/", self.page_url) + f"#seed-{seed}"
        side = math.isqrt(len(thumb))
        return (f'<span class="gloss head-ref" tabindex="0" data-head="{html.escape(base)}.{seed}.{head}">{head}'
                f'<span class="gloss-card" role="tooltip" data-search-exclude>'
                f'<canvas class="head-thumb" width="{4 * side}" height="{4 * side}" data-thumb="{thumb}" '
                f'aria-hidden="true"></canvas><strong>{head}</strong> of {html.escape(base)}, seed '
                f'{seed}: {html.escape(card)}. <a href="{html.escape(url)}">In the head atlas</a></span></span>')

    def _linked_heads(self, text: str, job: Job, key: str) -> str:
        """Head names in a value (already escaped), each the first time on the page, get their card: the head of
        the model the declaration says the value is about (`heads:`, by value key or "*"), else of the figure's
        one model (`params: {model: …}`); of the seed named by the closest "seed k:" before it in the value,
        else of seed 0 (a figure's headline model; per-seed values all name their seed that way)."""
        model = job.heads.get(key) or job.heads.get("*") or job.params.get("model")
        if not isinstance(model, str) or self.catalog.job(f"atlas-{model}") is None:
            return text

        def link(m: re.Match) -> str:
            seeds = _SEED_PREFIX.findall(text[:m.start()])
            key = (model, int(seeds[-1]) if seeds else 0, m.group(0))
            if key in self.headed:
                return m.group(0)
            card = self._head_card(*key)
            if card is None:
                return m.group(0)
            self.headed.add(key)
            return card

        return _HEAD_NAME.sub(link, text)


_HANDLERS: dict[str, Callable[..., str]] = {
    "figure": _Renderer._figure, "ref": _Renderer._ref, "value": _Renderer._value,
    "verdict": _Renderer._verdict, "scorecard": _Renderer._scorecard, "table": _Renderer._table,
    "findings": _Renderer._findings, "head": _Renderer._head,
}
_NO_ARG = {"scorecard", "findings"}


def short_claim(claim: str) -> str:
    """A claim's short form for the findings lines: the words before " — " (or before the bracket the dash falls
    in), the whole claim when it starts "The same" (its second half says what), lower-cased unless it starts
    with a name ("MLP", "MiniLM", "OV")."""
    short = claim.split(" — ")[0].strip().rstrip(".")
    if short.count("(") > short.count(")"):
        short = short[:short.rfind("(")].strip()
    if short.lower().startswith("the same"):
        short = claim.strip().rstrip(".")
    first = short.split()[0]
    return short[0].lower() + short[1:] if first[1:] == first[1:].lower() else short


def _indented(block: str, line: str) -> str:
    """A multi-line block for a shortcode that stands on its own `line`: every line after the first takes the
    line's indentation, so the block can sit inside a callout (`??? note "Scorecard"` and four spaces)."""
    pad = line[:len(line) - len(line.lstrip())]
    return ("\n" + pad).join(block.split("\n"))


def render(markdown: str, page_url: str, catalog: Catalog) -> tuple[str, list[ShortcodeError]]:
    """Expand every shortcode of a page. Returns the new Markdown and the errors, with 1-based lines."""
    numbers: dict[str, int] = {}  # first pass: number the figures and collect the verdicts in order, so that
    placed: list[str] = []        # {{ ref }} may point forward and {{ scorecard() }} may stand above its rows
    for _, text, in_code in lines_with_code_flag(markdown):
        for sc in ([] if in_code else SHORTCODE.finditer(INLINE_CODE.sub("", text))):
            arg = sc.group(2) if sc.group(2) is not None else sc.group(3)
            if sc.group(1) == "figure" and catalog.job(arg):
                numbers.setdefault(arg, len(numbers) + 1)
            if sc.group(1) == "verdict" and arg and arg not in placed:
                fid, _, key = arg.partition(".")
                if catalog.job(fid) and key in catalog.verdicts(fid):
                    placed.append(arg)
    renderer = _Renderer(page_url, catalog, numbers, placed=placed)
    out = [text if in_code or "{{" not in text else renderer.line(text, lineno)
           for lineno, text, in_code in lines_with_code_flag(markdown)]
    return "\n".join(out), renderer.errors
