"""The generated Claims page: every verdict on the site, with its estimate, interval, outcome and seeds.

Verdict records come from the figures' `{id}.json` (written by the job from the declaration's claim and
rule and the script's estimates; see verdicts.py). A verdict is *placed* where a page writes
`{{ verdict("figure.key") }}`; the page's chip carries the anchor the Claims page links to. Verdicts that no
page places are listed too, so a declared claim cannot hide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from scripts.engine.series import title_of
from scripts.engine.shortcodes import (
    INLINE_CODE,
    SHORTCODE,
    _cell,
    _paper_cell,
    _shown,
    claim_anchor,
    lines_with_code_flag,
    verdict_anchor,
)

PAGE = "claims.md"


def placements(pages: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """verdict id -> (page src path, page title) of the first page that places it; posts come before other
    pages (the Conventions page shows verdicts as examples; the claim's home is its post)."""
    found: dict[str, tuple[str, str]] = {}
    for path, text in sorted(pages.items(), key=lambda kv: (not kv[0].startswith("posts/"), kv[0])):
        title = title_of(text, path)
        for _, line, in_code in lines_with_code_flag(text):
            for sc in ([] if in_code else SHORTCODE.finditer(INLINE_CODE.sub("", line))):
                arg = sc.group(2) if sc.group(2) is not None else sc.group(3)
                if sc.group(1) == "verdict" and arg:
                    found.setdefault(arg, (path, title))
    return found


HISTORY_PAGE = "claims-history.md"
_KINDS = {"first": "first result", "rule": "rule changed", "outcome": "outcome changed", "estimate": "estimate changed"}


def history_anchor(fid: str, key: str) -> str:
    """A claim's permalink on the history page: claims-history/#history-<figure>-<key>."""
    return f"history-{fid}-{key}"


def history_page(records: Mapping[str, dict], ledger) -> str:
    """Markdown of every claim's history (scripts/engine/ledger.py), one section each with a stable anchor:
    every change of its rule, outcome and estimate, with the commit and the date, oldest first.
    `records`: "figure.key" -> the verdict's current record."""
    out = ["# Claims: their history", "",
           "Each claim's record, read from the repository's history: every commit that changed what the claim's "
           "published record or its declaration says — its rule (claim, statistic, rule, or the parameters "
           "that decide it), its outcome, its estimate. A rule that lives in code (a training run's epoch cap) "
           "is added by hand, with the commit that changed it, in `figures/ledger/backfill.yml`. "
           f"[Back to the claims]({PAGE}).", ""]
    if ledger.note:
        out += [f"*{ledger.note[0].upper()}{ledger.note[1:]}.*", ""]
    for vid, rec in sorted(records.items()):
        fid, key = vid.split(".", 1)
        history = ledger.get(vid)
        rows = [f"| {e.date} | {f'`{e.commit}`' if e.commit else '—'} | {_KINDS[e.kind]} | {_cell(e.field)} | "
                f"{_cell(e.old) or '—'} | {_cell(e.new)}{(' — ' + _cell(e.why)) if e.why else ''} |"
                for e in history.events]
        out += [f'<span id="{history_anchor(fid, key)}"></span>', "", f'## {_cell(rec["claim"])}', "",
                f"`{vid}` · now **{rec['outcome']}**: {_shown(rec)}, n = {rec['n']:,} {_cell(rec['unit'])} · "
                f"rule {rec['rule']} · [its row]({PAGE}#{claim_anchor(fid, key)})", "",
                f"**Provenance:** {history.provenance()}.", ""]
        if rows:
            out += ["| date | commit | what | field | before | after |", "| --- | --- | --- | --- | --- | --- |",
                    *rows, ""]
    return "\n".join(out) + "\n"


def _row(fid: str, rec: dict, where: str) -> str:
    lines = []
    if len(rec["seeds"]) > 1:
        lines = [f"{s['label']}: {_shown(s)} {s['outcome']}" for s in rec["seeds"]]
    lines += [f"under {v['name']}: {v['shown']} {v['outcome']}" for v in rec.get("variants", [])]
    seeds = f"holds in {rec['holds']}" if len(rec["seeds"]) > 1 else "one model"
    if lines:  # folded: on a phone the per-seed lines made the page ten times taller
        seeds += f"<details><summary>each seed</summary>{'<br>'.join(_cell(x) for x in lines)}</details>"
    cite = f" {rec['cite']}" if rec["cite"] else ""
    if rec.get("provenance"):
        where += (f"<br><small>{_cell(rec['provenance'])} · "
                  f"[history]({HISTORY_PAGE}#{history_anchor(fid, rec['key'])})</small>")
    return (f"| <span id=\"{claim_anchor(fid, rec['key'])}\"></span>{_cell(rec['claim'])}{_cell(cite)} {where} | "
            f"{_cell(rec['statistic'])}; rule {rec['rule']} | "
            f"{_shown(rec)}, n = {rec['n']:,} {_cell(rec['unit'])}{_paper_cell(rec)} | "
            f"<span class=\"verdict-chip\" data-outcome=\"{rec['outcome']}\"><span class=\"verdict-outcome\">"
            f"{rec['outcome']}</span></span> | {seeds} |")


def claims_page(pages: Mapping[str, str], records: Callable[[str], Mapping[str, dict]], figure_ids: list[str]) -> str:
    """Markdown of the page. `pages`: src path -> markdown of the pages that may place verdicts;
    `records(figure_id)`: that figure's verdict records."""
    placed = placements(pages)
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    counts = {"supported": 0, "contradicted": 0, "inconclusive": 0}
    for fid in figure_ids:
        for key, rec in records(fid).items():
            vid = f"{fid}.{key}"
            path, title = placed.get(vid, ("", "Not yet placed in a note"))
            titles[path] = title
            link = f"([where]({path}#{verdict_anchor(fid, key)}))" if path else ""
            groups.setdefault(path, []).append(_row(fid, rec, link))
            counts[rec["outcome"]] = counts.get(rec["outcome"], 0) + 1
    total = sum(counts.values())
    out = ["# Claims", "",
           f"Every verdict on the site: {total} claims, {counts['supported']} supported, "
           f"{counts['contradicted']} contradicted, {counts['inconclusive']} inconclusive. Each was settled by a "
           "script: the claim and its rule are declared beside the figure before the script runs, the script "
           "measures the statistic with an interval that says what it covers (an exact quantity is shown "
           "as exact, a bound as its bounds), and the rule decides — *supported* if the interval "
           "lies wholly on the claimed side of the threshold, *contradicted* if wholly on the other, "
           "*inconclusive* if it straddles it. A claim about trained models is a claim about their training "
           "recipe: it is tested on every training seed, and with three or more seeds the estimate shown is the "
           "mean over seeds, with a 95 % interval over seeds and test data, which decides. A claim declared with "
           "method variants (three ways of removing a head, say) holds only if every variant agrees — otherwise "
           "it is inconclusive, and says which variant said what. How this works: "
           "[Conventions](conventions.md#verdicts).", ""]
    for path in sorted(groups, key=lambda p: (p == "", p)):
        out += [f"## {titles[path]}", "", '<div class="claims-table" markdown>', "",
                "| claim | statistic and rule | our estimate [interval], n | outcome | seeds |",
                "| --- | --- | --- | --- | --- |", *groups[path], "", "</div>", ""]
    return "\n".join(out) + "\n"
