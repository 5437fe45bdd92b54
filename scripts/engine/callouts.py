"""Annotation callouts, and the check that a page uses only callout types the site styles.

The site's own types mark how a note reads a paper — `!!! confusion`, `!!! interest`, `!!! experiment`,
`!!! verdict` (styled in docs/assets/stylesheets/extra.css) — beside Material's built-in admonitions. A
misspelt type (`!!! verdic`) would silently render as a plain grey box; here it is an error with the line
and the known types instead.
"""

from __future__ import annotations

import re

from scripts.engine.series import title_of
from scripts.engine.shortcodes import ShortcodeError, lines_with_code_flag

OURS = ("confusion", "interest", "experiment", "verdict")
MATERIAL = ("note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important", "success", "check",
            "done", "question", "help", "faq", "warning", "caution", "attention", "failure", "fail", "missing",
            "danger", "error", "bug", "example", "quote", "cite")
KNOWN = frozenset(OURS + MATERIAL)
_CALLOUT = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s+([A-Za-z][\w-]*)")


def check(markdown: str) -> list[ShortcodeError]:
    """Unknown callout types, with 1-based lines (fenced code is skipped)."""
    errors = []
    for lineno, text, in_code in lines_with_code_flag(markdown):
        m = None if in_code else _CALLOUT.match(text)
        if m and m.group(1).split()[0].lower() not in KNOWN:
            errors.append(ShortcodeError(lineno, f'unknown callout "{m.group(1)}"; use one of {", ".join(OURS)} '
                                                 "(or a Material admonition type such as note, warning, example)"))
    return errors


# -- the open-questions page ----------------------------------------------------------------------------------

OPEN_QUESTIONS_PAGE = "open-questions.md"  # generated: it quotes the posts' callouts, shortcodes and all

_BLOCK = re.compile(r'^!!!\s+(confusion|experiment|verdict)(?:\s+"([^"]*)")?\s*\n((?:(?: {4}.*)?\n)*)', re.M)
_DRAFT = re.compile(r"^draft:\s*true\b", re.M)
_RELATIVE_LINK = re.compile(r"\]\((?!https?:|/|#|mailto:)([^)]+)\)")
_ANCHOR_LINK = re.compile(r"\]\((#[^)]+)\)")  # a section of the same post


def collect(posts: dict[str, str]) -> list[dict]:
    """Every confusion and experiment callout of every post (src path -> markdown), each experiment with the
    verdict that settles it in the same post: a `!!! verdict` callout after it, or else the
    `{{ verdict(...) }}` chips in the prose that follows it, up to the next experiment or section."""
    items = []
    for path, text in sorted(posts.items()):
        if _DRAFT.search(text.split("\n---", 1)[0] if text.startswith("---") else ""):
            continue  # a draft (e.g. a fresh `make note` scaffold) is not on the site, nor are its questions
        title = title_of(text, path)
        pending = None
        blocks = list(_BLOCK.finditer(text))
        for i, m in enumerate(blocks):
            kind, label = m.group(1), (m.group(2) or m.group(1).title())
            body = _relink("\n".join(line[4:] for line in m.group(3).splitlines()).strip(), path)
            if kind == "verdict":
                if pending is not None and pending["verdict"] is None:
                    pending["verdict"] = body
                continue
            item = {"kind": kind, "label": label, "body": body, "post": path, "title": title, "verdict": None}
            items.append(item)
            if kind == "experiment":
                pending = item
                item["chips"] = _chips_after(text, m.end(), blocks[i + 1:])
    for item in items:
        if item["kind"] == "experiment" and item["verdict"] is None and item["chips"]:
            item["verdict"] = "settled in the note by " + ", ".join(item["chips"]) + "."
    return items


def _relink(body: str, path: str) -> str:
    """Relative links were relative to the post's folder, and #anchors to the post itself; the generated page
    sits at the site root."""
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    body = _RELATIVE_LINK.sub(lambda link: f"]({folder}{link.group(1)})", body)
    body = _ANCHOR_LINK.sub(lambda link: f"]({path}{link.group(1)})", body)
    # A figure number means something only on its own page: link the figure in the post instead.
    return _REF.sub(lambda ref: f"[the note's figure]({path}#fig-{ref.group(1)})", body)


_REF = re.compile(r"\{\{\s*ref\(\s*\"([^\"]+)\"\s*\)\s*\}\}")


_SECTION = re.compile(r"^#{1,3}\s", re.M)
_VERDICT_CHIP = re.compile(r"\{\{\s*verdict\(\s*\"[^\"]+\"\s*\)\s*\}\}")


def _chips_after(text: str, start: int, later: list) -> list[str]:
    """The verdict shortcodes between an experiment callout and the next experiment or section heading."""
    end = min([b.start() for b in later if b.group(1) == "experiment"] + [len(text)])
    section = _SECTION.search(text, start)
    end = min(end, section.start()) if section else end
    return list(dict.fromkeys(_VERDICT_CHIP.findall(text[start:end])))


def _lead(body: str) -> list[str]:
    """What the page shows of a callout, as paragraphs of its list item: its first paragraph (a list stays a
    list) and its answer if it has one (a paragraph that starts with *The answer* or *Answered*)."""
    paragraphs = body.split("\n\n")
    shown = [paragraphs[0]] + [p for p in paragraphs[1:] if re.match(r"\*(?:The answer|Answered)", p)][:1]
    out = []
    for para in shown:
        lines = [line.strip() for line in para.splitlines()]
        first = next((i for i, line in enumerate(lines) if re.match(r"(?:[-*+]|\d+\.)\s", line)), len(lines))
        if first:
            out += ["", "    " + " ".join(lines[:first])]
        if first < len(lines):  # a list keeps its lines, after a blank line (4 spaces: inside the item)
            out += [""] + [f"    {line}" for line in lines[first:]]
    return out


def open_questions_page(posts: dict[str, str]) -> str:
    """Markdown of the generated page: questions first, then experiments with their verdicts."""
    items = collect(posts)
    out = ["# Open questions", "",
           "Every point of confusion and every experiment across the notes, gathered automatically "
           "(`scripts/engine/callouts.py`): the research to-do list at a glance. An experiment without a "
           "verdict is still to be run.", ""]
    for kind, heading in (("confusion", "Points of confusion"), ("experiment", "Experiments")):
        out += [f"## {heading}", ""]
        for it in (i for i in items if i["kind"] == kind):
            out.append(f"- **{it['label']}** — [{it['title']}]({it['post']})")
            out += _lead(it["body"])
            if kind == "experiment":
                verdict = (it["verdict"] or "").split("\n\n")[0].replace("\n", " ")
                out += ["", f"    *Verdict:* {verdict}" if verdict else "    *Verdict: not yet run.*"]
            out.append("")
    return "\n".join(out) + "\n"
