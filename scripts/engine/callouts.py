"""Annotation callouts, and the check that a page uses only callout types the site styles.

The site's own types mark how a note reads a paper — `!!! confusion`, `!!! interest`, `!!! experiment`,
`!!! verdict` (styled in docs/assets/stylesheets/extra.css) — beside Material's built-in admonitions. A
misspelt type (`!!! verdic`) would silently render as a plain grey box; here it is an error with the line
and the known types instead.
"""

from __future__ import annotations

import re

from scripts.engine.shortcodes import ShortcodeError

OURS = ("confusion", "interest", "experiment", "verdict")
MATERIAL = ("note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important", "success", "check",
            "done", "question", "help", "faq", "warning", "caution", "attention", "failure", "fail", "missing",
            "danger", "error", "bug", "example", "quote", "cite")
KNOWN = frozenset(OURS + MATERIAL)
_CALLOUT = re.compile(r"^\s*(?:!!!|\?\?\?\+?)\s+([A-Za-z][\w-]*)")
_FENCE = re.compile(r"^\s*(```+|~~~+)")


def check(markdown: str) -> list[ShortcodeError]:
    """Unknown callout types, with 1-based lines (fenced code is skipped)."""
    errors, fence = [], None
    for lineno, text in enumerate(markdown.split("\n"), start=1):
        m = _FENCE.match(text)
        if m:
            fence = None if fence and m.group(1).startswith(fence) else (fence or m.group(1))
            continue
        m = _CALLOUT.match(text) if fence is None else None
        if m and m.group(1).split()[0].lower() not in KNOWN:
            errors.append(ShortcodeError(lineno, f'unknown callout "{m.group(1)}"; use one of {", ".join(OURS)} '
                                                 "(or a Material admonition type such as note, warning, example)"))
    return errors
