"""Updates and corrections: what changed in a post after it was published, read from the repository's history.

Every post ends with a generated list, one line per date after its publication on which
- its **prose** changed (a commit touching the post's file),
- the **values** its figures publish changed (a figure of the page whose `figures/out/<id>.json` values differ
  from the version before), named by figure,
- a **verdict's outcome** moved (the ledger's outcome events, `ledger.py`), old → new, linked to the claim's
  history page,
so a post never changes a published conclusion silently. The publication date is the date of the first commit
of the post's file; changes made the same day are part of publishing it. Uncommitted edits are not listed: the
list describes what was published.

Git is read once per build for every post (a log per file and one `git cat-file --batch`), cached by HEAD in
.cache/corrections.json. Without git the list says history is unavailable; a shallow clone says it is partial.
Errors: none of its own (git failing means no history, said on the page).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import pathlib

from scripts.engine import claims, ledger, paths
from scripts.engine.paths import atomic_write


@dataclasses.dataclass(frozen=True)
class Change:
    """What changed in one post on one date."""

    date: str
    prose: bool = False
    figures: tuple[str, ...] = ()  # figure ids whose published values changed
    verdicts: tuple[tuple[str, str, str], ...] = ()  # (figure-id.key, old outcome, new outcome)


@dataclasses.dataclass(frozen=True)
class PostHistory:
    published: str | None  # YYYY-MM-DD of the post's first commit; None: not committed yet
    changes: tuple[Change, ...] = ()
    note: str = ""  # why the history is missing or partial


def _dates(root: pathlib.Path, rel: str) -> list[tuple[str, str]]:
    """(short hash, commit date) of every commit touching `rel`, oldest first."""
    out = ledger.git(root, "log", "--reverse", "--format=%h %cs", "--", rel)
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


def _values(text: str | None) -> dict | None:
    try:
        return json.loads(text).get("values") if text else None
    except (ValueError, AttributeError):
        return None


def value_changes(root: pathlib.Path, figure_id: str) -> list[str]:
    """Dates on which the values figure `figure_id` publishes changed from their previous committed version."""
    rel = f"figures/out/{paths.values_name(figure_id)}"
    commits = _dates(root, rel)
    texts = ledger.blobs(root, [f"{sha}:{rel}" for sha, _ in commits])
    out, before = [], None
    for (_, date), text in zip(commits, texts):
        now = _values(text)
        if before is not None and now is not None and now != before:
            out.append(date)
        before = now if now is not None else before
    return out


def post_history(root: pathlib.Path, post: str, figure_ids: list[str], history: ledger.Ledger,
                 verdicts: dict[str, list[str]], cache: dict | None = None) -> PostHistory:
    """The changes to `post` (a path relative to `root`) after its first commit. `verdicts`: figure id -> the
    keys of its verdicts; `cache`: a dict kept across posts of one build (figure id -> its value-change dates)."""
    cache = {} if cache is None else cache
    try:
        shallow = ledger.shallow(root)
        commits = _dates(root, post)
    except (OSError, FileNotFoundError):
        return PostHistory(None, note="history unavailable: not a git repository")
    note = "history incomplete: this is a shallow clone" if shallow else ""
    if not commits:
        return PostHistory(None, note=note)
    published = commits[0][1]
    by_date: dict[str, dict] = {}
    at = lambda d: by_date.setdefault(d, {"prose": False, "figures": [], "verdicts": []})
    for _, date in commits[1:]:
        if date > published:
            at(date)["prose"] = True
    for fid in figure_ids:
        if fid not in cache:
            cache[fid] = value_changes(root, fid)
        for date in sorted(set(cache[fid])):
            if date > published:
                at(date)["figures"].append(fid)
        for key in verdicts.get(fid, []):
            for e in history.get(f"{fid}.{key}").events:
                if e.kind == "outcome" and e.date != ledger.UNCOMMITTED and e.date > published:
                    at(e.date)["verdicts"].append((f"{fid}.{key}", e.old, e.new))
    changes = tuple(Change(d, c["prose"], tuple(c["figures"]), tuple(c["verdicts"])) for d, c in sorted(by_date.items()))
    return PostHistory(published, changes, note)


def markdown(h: PostHistory, *, numbers: dict[str, int], claim_of: dict[str, str], page_src: str) -> str:
    """The post's closing section, in a `post-updates` block (what the site adds to every post, told apart from
    what its author wrote). `numbers`: figure id -> its number on the page; `claim_of`: verdict id -> the claim's
    sentence; `page_src`: the post's path under docs/ (links to the claims' history resolve from it)."""
    return f'<div class="post-updates" markdown="1">\n\n{_section(h, numbers, claim_of, page_src)}\n</div>\n'


def _section(h: PostHistory, numbers: dict[str, int], claim_of: dict[str, str], page_src: str) -> str:
    head = "## Updates and corrections\n\n"
    if h.published is None:
        return head + f"Not published yet{': ' + h.note if h.note else ''}.\n"
    intro = f"Published {h.published}."
    if not h.changes:
        return head + f"{intro} Nothing in it has changed since{' (' + h.note + ')' if h.note else ''}.\n"
    up = "../" * page_src.count("/")
    lines = []
    for c in h.changes:
        parts = ["the text revised"] if c.prose else []
        if c.figures:
            names = ", ".join(f"[Figure {numbers[f]}](#fig-{f})" if f in numbers else f"`{f}`" for f in c.figures)
            parts.append(f"values changed in {names}")
        moved = []
        for vid, old, new in c.verdicts:
            fid, key = vid.split(".", 1)
            link = f"{up}{claims.HISTORY_PAGE}#{claims.history_anchor(fid, key)}"
            moved.append(f"    - [{_short(claim_of.get(vid, vid))}]({link}): "
                         + ("withdrawn" if new == "withdrawn" else f"{old} → {new}"))
        if moved:
            parts.append(f"{len(moved)} verdict{'s' if len(moved) > 1 else ''} moved:" if len(moved) > 1
                         else "a verdict moved:")
        lines.append(f"- **{c.date}**: {'; '.join(parts)}{'' if moved else '.'}")
        lines += moved
    tail = f"\n\n*{h.note.capitalize()}.*" if h.note else ""
    return (head + f"{intro} What changed since, read from the repository's history (a verdict's history page "
            "gives its estimates and rules at each change):\n\n" + "\n".join(lines) + tail + "\n")


def _short(claim: str, words: int = 10) -> str:
    parts = claim.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def load_cache(path: pathlib.Path, head: str) -> dict:
    """The figures' value-change dates computed at `head` (empty if the file is from another HEAD or unreadable)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["head"] == head:
            return dict(data["figures"])
    return {}


def save_cache(path: pathlib.Path, head: str, figures: dict) -> None:
    with contextlib.suppress(OSError):
        atomic_write(path, json.dumps({"head": head, "figures": figures}, sort_keys=True))
